;; noprofile: exports neither _start nor nexus_run.
(module
  (memory (export "memory") 1)
  (func (export "main")))
