;; bigmem: asks for 2048 pages (128 MiB) at start, more than the default quota.
(module
  (memory (export "memory") 2048)
  (func (export "_start")))
