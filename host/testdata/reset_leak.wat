;; reset_leak: a nexus-v1 task that hides a secret where a reused instance
;; would keep it, and reads those places back. Input "write:<secret>"
;; copies the secret into linear memory (the heap at 2048), over the bytes
;; of an active data segment (at 64) and of what _initialize wrote (at
;; 128), and into two mutable globals; "grow" also grows memory by a page.
;; Any other input outputs all of those places and memory.size, so that a
;; task can compare what it finds with what a new instance holds.
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $g (mut i64) (i64.const 7))
  (global $h (mut i64) (i64.const 0))
  (data (i32.const 64) "pristine-data-segment")
  (func (export "_initialize")
    (global.set $h (i64.const 11))
    (i64.store (i32.const 128) (i64.const 0x656e6f642d74696e)))
  (func (export "nexus_run") (result i32)
    (local $n i32)
    (local.set $n (call $input_len))
    (if (i32.gt_u (local.get $n) (i32.const 512)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 1024) (local.get $n)))
    ;; "write:" is 0x74697277 0x3a65
    (if (i32.and (i32.ge_u (local.get $n) (i32.const 14))
                 (i32.eq (i32.load (i32.const 1024)) (i32.const 0x74697277)))
      (then
        (memory.copy (i32.const 2048) (i32.const 1030) (i32.sub (local.get $n) (i32.const 6)))
        (memory.copy (i32.const 64) (i32.const 1030) (i32.const 8))
        (memory.copy (i32.const 128) (i32.const 1030) (i32.const 8))
        (global.set $g (i64.load (i32.const 1030)))
        (global.set $h (i64.load (i32.const 1030)))
        (drop (call $output_write (i32.const 1024) (i32.const 5)))
        (return (i32.const 0))))
    ;; "grow"
    (if (i32.and (i32.eq (local.get $n) (i32.const 4))
                 (i32.eq (i32.load (i32.const 1024)) (i32.const 0x776f7267)))
      (then
        (drop (memory.grow (i32.const 1)))
        (i64.store (i32.const 65536) (i64.load (i32.const 1024)))
        (drop (call $output_write (i32.const 1024) (i32.const 4)))
        (return (i32.const 0))))
    (i64.store (i32.const 3000) (global.get $g))
    (i64.store (i32.const 3008) (global.get $h))
    (i32.store (i32.const 3016) (memory.size))
    (drop (call $output_write (i32.const 64) (i32.const 21)))
    (drop (call $output_write (i32.const 128) (i32.const 8)))
    (drop (call $output_write (i32.const 2048) (i32.const 32)))
    (drop (call $output_write (i32.const 3000) (i32.const 20)))
    (i32.const 0)))
