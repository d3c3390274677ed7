;; loop: a wasi-command that never ends. Stopped by the deadline.
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
