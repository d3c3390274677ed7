;; step: a nexus-v1 guest for workflow examples and tests.
;;
;; What it does is chosen by the task's config (the "config" field of a
;; step):
;;
;;   mode=hash (or no mode)  write the FNV-1a 64-bit hash of the input as
;;                           16 lower-case hex digits;
;;   mode=echo               write the input unchanged;
;;   mode=fail               fail with the message "step failed";
;;   count=KEY               before the above, add one to the
;;                           little-endian u64 under KEY in the module's
;;                           kv store (a run counter).
;;
;; Build with: wat2wasm step.wat -o step.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param i32 i32)))
  (import "nexus_v1" "config_get" (func $config_get (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  ;; 0..64: constants; 64..128: config value; 128..136: counter;
  ;; 136..152: hex digits; 1024..: input (grows with the memory).
  (memory (export "memory") 2)
  (data (i32.const 0) "mode")
  (data (i32.const 8) "count")
  (data (i32.const 16) "step failed")
  (data (i32.const 32) "0123456789abcdef")

  ;; count adds one to the counter under the key at 64 (klen bytes).
  (func $count (param $klen i32)
    (i64.store (i32.const 128) (i64.const 0))
    (drop (call $kv_get (i32.const 64) (local.get $klen) (i32.const 128) (i32.const 8)))
    (i64.store (i32.const 128) (i64.add (i64.load (i32.const 128)) (i64.const 1)))
    (drop (call $kv_set (i32.const 64) (local.get $klen) (i32.const 128) (i32.const 8))))

  ;; read copies the whole input to 1024 and returns its length.
  (func $read (result i32)
    (local $n i32) (local $got i32) (local $need i32)
    (local.set $n (call $input_len))
    (local.set $need (i32.sub (i32.add (i32.const 1024) (local.get $n)) (i32.mul (memory.size) (i32.const 65536))))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (drop (memory.grow (i32.add (i32.div_u (local.get $need) (i32.const 65536)) (i32.const 1))))))
    (local.set $got (i32.const 0))
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $got) (local.get $n)))
        (local.set $got (i32.add (local.get $got)
          (call $input_read (i32.add (i32.const 1024) (local.get $got)) (i32.sub (local.get $n) (local.get $got)))))
        (br $more)))
    (local.get $n))

  ;; hash writes the FNV-1a hash of n input bytes as hex.
  (func $hash (param $n i32)
    (local $h i64) (local $i i32)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h (i64.mul
          (i64.xor (local.get $h) (i64.load8_u (i32.add (i32.const 1024) (local.get $i))))
          (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (local.set $i (i32.const 16))
    (loop $digit
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.const 136) (local.get $i))
        (i32.load8_u (i32.add (i32.const 32) (i32.wrap_i64 (i64.and (local.get $h) (i64.const 15))))))
      (local.set $h (i64.shr_u (local.get $h) (i64.const 4)))
      (br_if $digit (local.get $i)))
    (drop (call $output_write (i32.const 136) (i32.const 16))))

  (func (export "nexus_run") (result i32)
    (local $k i32) (local $n i32) (local $mode i32)
    (local.set $k (call $config_get (i32.const 8) (i32.const 5) (i32.const 64) (i32.const 64)))
    (if (i32.and (i32.gt_s (local.get $k) (i32.const 0)) (i32.le_s (local.get $k) (i32.const 64)))
      (then (call $count (local.get $k))))
    (local.set $n (call $read))
    ;; The mode's first byte: e(cho), f(ail), else hash.
    (local.set $k (call $config_get (i32.const 0) (i32.const 4) (i32.const 64) (i32.const 64)))
    (if (i32.gt_s (local.get $k) (i32.const 0))
      (then (local.set $mode (i32.load8_u (i32.const 64)))))
    (if (i32.eq (local.get $mode) (i32.const 102)) ;; f
      (then
        (call $error_set (i32.const 16) (i32.const 11))
        (return (i32.const 1))))
    (if (i32.eq (local.get $mode) (i32.const 101)) ;; e
      (then
        (drop (call $output_write (i32.const 1024) (local.get $n)))
        (return (i32.const 0))))
    (call $hash (local.get $n))
    (i32.const 0)))
