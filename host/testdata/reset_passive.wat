;; reset_passive: a nexus-v1 task with a passive data segment. Input
;; "write" drops it; any other input copies it into memory and outputs it
;; (a dropped segment traps instead).
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data $seg "passive-seg")
  (func (export "nexus_run") (result i32)
    (if (i32.eq (call $input_len) (i32.const 5))
      (then
        (data.drop $seg)
        (return (i32.const 0))))
    (memory.init $seg (i32.const 512) (i32.const 0) (i32.const 11))
    (drop (call $output_write (i32.const 512) (i32.const 11)))
    (i32.const 0)))
