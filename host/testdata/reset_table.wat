;; reset_table: a nexus-v1 task that writes a table slot. Input "write"
;; points slot 0 at $b; any other input calls slot 0 and outputs what it
;; returns ("A" in a new instance).
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (type $char (func (result i32)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $a $b)
  (func $a (result i32) (i32.const 65))
  (func $b (result i32) (i32.const 66))
  (func (export "nexus_run") (result i32)
    (if (i32.eq (call $input_len) (i32.const 5))
      (then
        (table.set $t (i32.const 0) (ref.func $b))
        (return (i32.const 0))))
    (i32.store8 (i32.const 0) (call_indirect $t (type $char) (i32.const 0)))
    (drop (call $output_write (i32.const 0) (i32.const 1)))
    (i32.const 0)))
