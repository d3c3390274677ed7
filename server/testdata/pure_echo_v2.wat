;; pure_echo_v2: like pure_echo, but prefixes its output with "v2:", so
;; that it can be uploaded as a new version of the same module.
;; Build with: wat2wasm pure_echo_v2.wat -o pure_echo_v2.wasm
(module
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "v2:")
  (func (export "nexus_pure"))
  (func (export "nexus_run") (result i32)
    (local $n i32)
    (local.set $n (call $input_read (i32.const 16) (i32.const 61440)))
    (drop (call $output_write (i32.const 0) (i32.const 3)))
    (drop (call $output_write (i32.const 16) (local.get $n)))
    (i32.const 0)))
