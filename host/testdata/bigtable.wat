;; bigtable: a table of a million elements (8 MB of references in wazero),
;; more than the table-element limit of a 4 MiB memory quota.
(module
  (table 1000000 funcref)
  (memory (export "memory") 1)
  (func (export "nexus_run") (result i32) (i32.const 0)))
