;; counter: a nexus-v1 task that counts its own runs in the module's kv store.
;;
;; It reads key "count" (a little-endian u64; absent means 0), adds one,
;; stores it back and writes the new count in decimal. Build with:
;;   wat2wasm counter.wat -o counter.wasm
(module
  (import "nexus_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 1)
  ;; 0: key "count"; 16: the u64 value; 32..52: decimal digits; 64: messages.
  (data (i32.const 0) "count")
  (data (i32.const 64) "kv_set failed")

  (func (export "nexus_run") (result i32)
    (local $r i32) (local $n i64) (local $p i32)
    (local.set $r (call $kv_get (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 8)))
    ;; ERR_NOT_FOUND (-1) leaves 0 at offset 16; any other result is 8.
    (local.set $n (i64.add (i64.load (i32.const 16)) (i64.const 1)))
    (i64.store (i32.const 16) (local.get $n))
    (if (call $kv_set (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 8))
      (then
        (call $error_set (i32.const 64) (i32.const 13))
        (return (i32.const 1))))
    ;; Write the digits backwards from offset 52.
    (local.set $p (i32.const 52))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n) (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $n) (i64.const 0))))
    (drop (call $output_write (local.get $p) (i32.sub (i32.const 52) (local.get $p))))
    (i32.const 0)))
