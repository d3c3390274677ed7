;; pure: declares itself pure (exports nexus_pure) and tries to write and
;; read kv; writes kv_set's and kv_get's results as little-endian i32s.
(module
  (import "nexus_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "key")
  (func (export "nexus_pure"))
  (func (export "nexus_run") (result i32)
    (i32.store (i32.const 16) (call $kv_set (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 3)))
    (i32.store (i32.const 20) (call $kv_get (i32.const 0) (i32.const 3) (i32.const 32) (i32.const 16)))
    (drop (call $output_write (i32.const 16) (i32.const 8)))
    (i32.const 0)))
