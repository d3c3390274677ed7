;; initloop: a nexus-v1 module whose _initialize never ends.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (loop $l (br $l)))
  (func (export "nexus_run") (result i32) (i32.const 0)))
