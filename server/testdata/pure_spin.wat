;; pure_spin: a pure nexus-v1 task that counts down from the little-endian
;; u32 at the start of its input, then copies its input to its output: a
;; task whose run takes as long as its input asks.
;; Build with: wat2wasm pure_spin.wat -o pure_spin.wasm
(module
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nexus_pure"))
  (func (export "nexus_run") (result i32)
    (local $n i32)
    (local $i i32)
    (local.set $n (call $input_read (i32.const 0) (i32.const 4096)))
    (local.set $i (i32.load (i32.const 0)))
    (block $done
      (loop $spin
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $spin)))
    (drop (call $output_write (i32.const 0) (local.get $n)))
    (i32.const 0)))
