;; pure_echo: a nexus-v1 task that declares itself pure (exports
;; nexus_pure) and copies its input (up to 60 KiB) to its output.
;; Build with: wat2wasm pure_echo.wat -o pure_echo.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nexus_pure"))
  (func (export "nexus_run") (result i32)
    (local $n i32)
    (local.set $n (call $input_read (i32.const 0) (i32.const 61440)))
    (drop (call $output_write (i32.const 0) (local.get $n)))
    (i32.const 0)))
