;; badimport: imports from a module outside the ABI.
(module
  (import "env" "open" (func $open (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $open (i32.const 0)))))
