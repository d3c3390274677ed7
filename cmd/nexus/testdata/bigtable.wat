;; bigtable: declares a table of ten million elements (80 MB of references),
;; more than a 64 MiB memory quota allows.
(module
  (memory (export "memory") 1)
  (table 10000000 funcref)
  (func (export "nexus_run") (result i32)
    (i32.const 0)))
