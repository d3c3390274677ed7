;; echo.wat: an Extism plugin whose export "echo" returns its input
;; unchanged, written against Extism's kernel imports (extism:host/env) the
;; way the Extism PDKs do: input read 8 bytes per call (input_load_u64),
;; then byte by byte, into a block from the kernel's allocator (alloc,
;; store_u64, store_u8), which becomes the output (output_set). It is the
;; Extism counterpart of examples/wat/echo.wat for the load generator's
;; extism-echo target.
;;
;; Build: wat2wasm echo.wat -o echo.wasm
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "echo") (result i32)
    (local $n i64) (local $out i64) (local $i i64)
    (local.set $n (call $input_length))
    (local.set $out (call $alloc (local.get $n)))
    ;; whole words
    (block $words_done
      (loop $words
        (br_if $words_done (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $n)))
        (call $store_u64 (i64.add (local.get $out) (local.get $i))
                         (call $input_load_u64 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $words)))
    ;; the tail
    (block $bytes_done
      (loop $bytes
        (br_if $bytes_done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $out) (local.get $i))
                        (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $bytes)))
    (call $output_set (local.get $out) (local.get $n))
    (i32.const 0)))
