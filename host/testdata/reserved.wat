;; reserved: exports a name with the host's reserved prefix.
(module
  (memory (export "memory") 1)
  (global (export "__nexus_fuel") (mut i64) (i64.const 0))
  (func (export "_start")))
