;; fresh_memory.wat: a nexus-v1 reactor that shows whether memory survives
;; from one task to the next. _initialize stores "I" at 40001. Each task
;; outputs the bytes at 40000..40002 and at 70000 (after growing memory by
;; a page), then overwrites them with "XYZ" and "W". A fresh instance, made
;; from scratch or from a snapshot, always outputs "\00I\00\00".
(module
  (import "nexus_v1" "output_write" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_initialize")
    (i32.store8 (i32.const 40001) (i32.const 73)))
  (func (export "nexus_run") (result i32)
    (drop (call $out (i32.const 40000) (i32.const 3)))
    (i32.store8 (i32.const 40000) (i32.const 88))
    (i32.store8 (i32.const 40001) (i32.const 89))
    (i32.store8 (i32.const 40002) (i32.const 90))
    (if (i32.lt_u (memory.size) (i32.const 2))
      (then (drop (memory.grow (i32.const 1)))))
    (drop (call $out (i32.const 70000) (i32.const 1)))
    (i32.store8 (i32.const 70000) (i32.const 87))
    (i32.const 0)))
