;; tasktest: a nexus-v1 guest for the tasks tests. The first input byte
;; picks the mode; the rest of the input is its argument.
;;
;;   c KEY  count: add one to the little-endian u64 under KEY in kv and
;;          write the new count in decimal.
;;   r      resume: without a checkpoint, set kv "resume" to "1", save
;;          checkpoint "step1", set kv "lost" to "1", report progress 1/2
;;          and trap; with one, report progress 2/2 and write the
;;          checkpoint.
;;   t      trap.
;;   l      loop forever (until fuel, deadline or cancellation).
;;   e      return 1 (task_error).
;;   n      return 0 at once (the trivial task of the benchmarks).
;;   p      report progress 1/4, then loop forever.
;;   s KEY  slow count: spin 2^29 iterations (about half a second),
;;          then count as c does.
;;
;; Build with: wat2wasm tasktest.wat -o tasktest.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "nexus_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "progress" (func $progress (param i64 i64)))
  (import "nexus_v1" "checkpoint_save" (func $checkpoint_save (param i32 i32) (result i32)))
  (import "nexus_v1" "checkpoint_load" (func $checkpoint_load (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0..1024: input; 1024: u64 value; 1040..1060: digits; 1100: constants.
  (data (i32.const 1100) "step1")
  (data (i32.const 1110) "resume")
  (data (i32.const 1120) "1")
  (data (i32.const 1130) "lost")

  (func $count (param $klen i32) (result i32)
    (local $n i64) (local $p i32)
    (i64.store (i32.const 1024) (i64.const 0))
    (drop (call $kv_get (i32.const 1) (local.get $klen) (i32.const 1024) (i32.const 8)))
    (local.set $n (i64.add (i64.load (i32.const 1024)) (i64.const 1)))
    (i64.store (i32.const 1024) (local.get $n))
    (if (call $kv_set (i32.const 1) (local.get $klen) (i32.const 1024) (i32.const 8))
      (then (return (i32.const 2))))
    (local.set $p (i32.const 1060))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n) (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $n) (i64.const 0))))
    (drop (call $output_write (local.get $p) (i32.sub (i32.const 1060) (local.get $p))))
    (i32.const 0))

  (func $resume (result i32)
    (local $n i32)
    (local.set $n (call $checkpoint_load (i32.const 1024) (i32.const 64)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (drop (call $kv_set (i32.const 1110) (i32.const 6) (i32.const 1120) (i32.const 1)))
        (drop (call $checkpoint_save (i32.const 1100) (i32.const 5)))
        (drop (call $kv_set (i32.const 1130) (i32.const 4) (i32.const 1120) (i32.const 1)))
        (call $progress (i64.const 1) (i64.const 2))
        unreachable))
    (call $progress (i64.const 2) (i64.const 2))
    (drop (call $output_write (i32.const 1024) (local.get $n)))
    (i32.const 0))

  (func (export "nexus_run") (result i32)
    (local $len i32) (local $mode i32) (local $i i32)
    (local.set $len (call $input_read (i32.const 0) (i32.const 1024)))
    (if (i32.eqz (local.get $len)) (then unreachable))
    (local.set $mode (i32.load8_u (i32.const 0)))
    (if (i32.eq (local.get $mode) (i32.const 99)) ;; c
      (then (return (call $count (i32.sub (local.get $len) (i32.const 1))))))
    (if (i32.eq (local.get $mode) (i32.const 114)) ;; r
      (then (return (call $resume))))
    (if (i32.eq (local.get $mode) (i32.const 108)) ;; l
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $mode) (i32.const 101)) ;; e
      (then (return (i32.const 1))))
    (if (i32.eq (local.get $mode) (i32.const 110)) ;; n
      (then (return (i32.const 0))))
    (if (i32.eq (local.get $mode) (i32.const 115)) ;; s
      (then
        (local.set $i (i32.const 0x20000000))
        (loop $slow
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br_if $slow (local.get $i)))
        (return (call $count (i32.sub (local.get $len) (i32.const 1))))))
    (if (i32.eq (local.get $mode) (i32.const 112)) ;; p
      (then
        (call $progress (i64.const 1) (i64.const 4))
        (loop $spin (br $spin))))
    unreachable))
