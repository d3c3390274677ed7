;; oob: a nexus-v1 task that passes an out-of-range pointer to output_write.
(module
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nexus_run") (result i32)
    (drop (call $output_write (i32.const 65000) (i32.const 1000)))
    (i32.const 0)))
