;; tablegrow: grows its table by the little-endian i32 in the input and
;; traps if table.grow returns -1; otherwise returns 0.
(module
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (table $t 1 funcref)
  (memory (export "memory") 1)
  (func (export "nexus_run") (result i32)
    (drop (call $input_read (i32.const 0) (i32.const 4)))
    (if (i32.eq (table.grow $t (ref.null func) (i32.load (i32.const 0))) (i32.const -1))
      (then unreachable))
    (i32.const 0)))
