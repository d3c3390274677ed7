;; initloop: an _initialize that never returns. The upload must not wait
;; for it beyond the snapshot's own fuel budget.
(module
  (memory (export "memory") 1)
  (func (export "_initialize")
    (loop $l (br $l)))
  (func (export "nexus_run") (result i32)
    (i32.const 0)))
