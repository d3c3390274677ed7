;; tablegrow: asks for 2^31-1 more table elements. The host refuses the
;; growth (table.grow returns -1) and the task then traps: memory_limit.
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "nexus_run") (result i32)
    (if (i32.eq (table.grow $t (ref.null func) (i32.const 0x7fffffff)) (i32.const -1))
      (then unreachable))
    (i32.const 0)))
