;; nexus_echo: a nexus-v1 task that upper-cases ASCII input with the raw ABI.
;; Input "fail" makes it call error_set and return 1.
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param i32 i32)))
  (import "nexus_v1" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "fail")
  (data (i32.const 16) "asked to fail")
  (data (i32.const 32) "upper-casing")
  (func (export "nexus_run") (result i32)
    (local $n i32) (local $i i32) (local $c i32)
    (local.set $n (call $input_len))
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 2))))
    (drop (call $input_read (i32.const 1024) (local.get $n)))
    (if (i32.and (i32.eq (local.get $n) (i32.const 4))
                 (i32.eq (i32.load (i32.const 1024)) (i32.load (i32.const 0))))
      (then
        (call $error_set (i32.const 16) (i32.const 13))
        (return (i32.const 1))))
    (call $log (i32.const 1) (i32.const 32) (i32.const 12))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (drop (call $output_write (i32.const 1024) (local.get $n)))
    (i32.const 0)))
