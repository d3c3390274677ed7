;; pure_trap: a pure nexus-v1 task that always traps.
;; Build with: wat2wasm pure_trap.wat -o pure_trap.wasm
(module
  (memory (export "memory") 1)
  (func (export "nexus_pure"))
  (func (export "nexus_run") (result i32)
    unreachable))
