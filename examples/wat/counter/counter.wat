;; counter: a NexusTask task, written by hand in WAT, that counts in its
;; module's key-value store.
;;
;; It reads the key "count" (a decimal number as ASCII text; absent means 0),
;; adds the configuration value "step" (a decimal number, possibly negative;
;; 1 if not set), stores the sum back under "count" and outputs it in
;; decimal. Its input is ignored. The imports and helpers are copied from
;; abi/sdk/wat/nexus_v1.wat. Build with:
;;   wat2wasm counter.wat -o counter.wasm
(module
  (import "nexus_v1" "output_write" (func $output_write (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param $ptr i32) (param $len i32)))
  (import "nexus_v1" "kv_get" (func $kv_get (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vcap i32) (result i32)))
  (import "nexus_v1" "kv_set" (func $kv_set (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vlen i32) (result i32)))
  (import "nexus_v1" "config_get" (func $config_get (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vcap i32) (result i32)))

  (memory (export "memory") 1)

  ;; Static data: keys and messages.
  (data (i32.const 0) "count")
  (data (i32.const 16) "step")
  (data (i32.const 32) "kv count: not a decimal number")
  (data (i32.const 64) "config step: not a decimal number")
  (data (i32.const 128) "counter: overflow")
  (data (i32.const 160) "kv count")
  (data (i32.const 176) "config step")
  (data (i32.const 192) "output: nexus: limit reached")
  (data (i32.const 224) ": nexus: ")
  ;; Descriptions of the result codes -1 .. -5, then of any other code.
  (data (i32.const 256) "not found")
  (data (i32.const 272) "limit reached")
  (data (i32.const 288) "denied")
  (data (i32.const 304) "invalid argument")
  (data (i32.const 336) "host internal error")
  (data (i32.const 368) "unknown result code")

  (func (export "nexus_run") (result i32)
    (local $count i64) (local $step i64) (local $next i64)
    (local $p i32) (local $r i32) (local $ok i32) (local $buf i32) (local $n i32)

    ;; count = kv "count", 0 if absent.
    (call $kv_get_alloc (i32.const 0) (i32.const 5))
    (local.set $r)
    (local.set $p)
    (if (i32.ge_s (local.get $r) (i32.const 0))
      (then
        (call $parse_i64 (local.get $p) (local.get $r))
        (local.set $ok)
        (local.set $count)
        (if (i32.eqz (local.get $ok))
          (then (return (call $fail (i32.const 32) (i32.const 30))))))
      (else
        (if (i32.ne (local.get $r) (i32.const -1))
          (then (return (call $fail_code (i32.const 160) (i32.const 8) (local.get $r)))))))

    ;; step = config "step", 1 if not set.
    (local.set $step (i64.const 1))
    (call $config_get_alloc (i32.const 16) (i32.const 4))
    (local.set $r)
    (local.set $p)
    (if (i32.ge_s (local.get $r) (i32.const 0))
      (then
        (call $parse_i64 (local.get $p) (local.get $r))
        (local.set $ok)
        (local.set $step)
        (if (i32.eqz (local.get $ok))
          (then (return (call $fail (i32.const 64) (i32.const 33))))))
      (else
        (if (i32.ne (local.get $r) (i32.const -1))
          (then (return (call $fail_code (i32.const 176) (i32.const 11) (local.get $r)))))))

    ;; next = count + step, unless that overflows an i64.
    (if (i32.or
          (i32.and (i64.gt_s (local.get $step) (i64.const 0))
                   (i64.gt_s (local.get $count) (i64.sub (i64.const 0x7fffffffffffffff) (local.get $step))))
          (i32.and (i64.lt_s (local.get $step) (i64.const 0))
                   (i64.lt_s (local.get $count) (i64.sub (i64.const 0x8000000000000000) (local.get $step)))))
      (then (return (call $fail (i32.const 128) (i32.const 17)))))
    (local.set $next (i64.add (local.get $count) (local.get $step)))

    ;; Store it and output it, in decimal.
    (local.set $buf (call $alloc (i32.const 24)))
    (local.set $n (call $i64_dec (local.get $next) (local.get $buf)))
    (local.set $r (call $kv_set (i32.const 0) (i32.const 5) (local.get $buf) (local.get $n)))
    (if (i32.lt_s (local.get $r) (i32.const 0))
      (then (return (call $fail_code (i32.const 160) (i32.const 8) (local.get $r)))))
    (if (i32.lt_s (call $output_write (local.get $buf) (local.get $n)) (i32.const 0))
      (then (return (call $fail (i32.const 192) (i32.const 28)))))
    (i32.const 0))

  ;; $parse_i64 parses [$p, $p+$len) as a decimal i64 with an optional sign,
  ;; allowing surrounding ASCII whitespace: (value, 1), or (0, 0) if it is
  ;; not such a number or does not fit.
  (func $parse_i64 (param $p i32) (param $len i32) (result i64 i32)
    (local $neg i32) (local $c i32) (local $end i32) (local $v i64) (local $d i64)
    (call $trim (local.get $p) (local.get $len))
    (local.set $len)
    (local.set $p)
    (if (local.get $len)
      (then
        (local.set $c (i32.load8_u (local.get $p)))
        (local.set $neg (i32.eq (local.get $c) (i32.const 0x2d)))
        (if (i32.or (local.get $neg) (i32.eq (local.get $c) (i32.const 0x2b)))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $len (i32.sub (local.get $len) (i32.const 1)))))))
    (if (i32.eqz (local.get $len)) (then (return (i64.const 0) (i32.const 0))))
    ;; Accumulate negatively, so that -2^63 parses too.
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (loop $digit
      (local.set $d (i64.extend_i32_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30))))
      (if (i64.gt_u (local.get $d) (i64.const 9)) (then (return (i64.const 0) (i32.const 0))))
      (if (i64.lt_s (local.get $v) (i64.const -922337203685477580))
        (then (return (i64.const 0) (i32.const 0))))
      (local.set $v (i64.mul (local.get $v) (i64.const 10)))
      (if (i64.lt_s (local.get $v) (i64.add (i64.const 0x8000000000000000) (local.get $d)))
        (then (return (i64.const 0) (i32.const 0))))
      (local.set $v (i64.sub (local.get $v) (local.get $d)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $p) (local.get $end))))
    (if (i32.eqz (local.get $neg))
      (then
        (if (i64.eq (local.get $v) (i64.const 0x8000000000000000))
          (then (return (i64.const 0) (i32.const 0))))
        (local.set $v (i64.sub (i64.const 0) (local.get $v)))))
    (local.get $v) (i32.const 1))

  ;; $i64_dec writes $v in decimal, with a "-" if it is negative, at $dst
  ;; (up to 20 bytes) and returns the number of bytes written.
  (func $i64_dec (param $v i64) (param $dst i32) (result i32)
    (if (i64.ge_s (local.get $v) (i64.const 0))
      (then (return (call $u64_dec (local.get $v) (local.get $dst)))))
    (i32.store8 (local.get $dst) (i32.const 0x2d))
    (i32.add (i32.const 1)
      (call $u64_dec (i64.sub (i64.const 0) (local.get $v)) (i32.add (local.get $dst) (i32.const 1)))))

  ;; $fail_code fails the task with "what: nexus: description of $code",
  ;; what being [$what, $what+$len), and returns 1.
  (func $fail_code (param $what i32) (param $len i32) (param $code i32) (result i32)
    (local $buf i32) (local $desc i32) (local $dlen i32)
    (block $other
      (block $internal
        (block $invalid
          (block $denied
            (block $limit
              (block $not_found
                (br_table $not_found $limit $denied $invalid $internal $other
                  (i32.sub (i32.const -1) (local.get $code))))
              (local.set $desc (i32.const 256))
              (local.set $dlen (i32.const 9))
              (br $other))
            (local.set $desc (i32.const 272))
            (local.set $dlen (i32.const 13))
            (br $other))
          (local.set $desc (i32.const 288))
          (local.set $dlen (i32.const 6))
          (br $other))
        (local.set $desc (i32.const 304))
        (local.set $dlen (i32.const 16))
        (br $other))
      (local.set $desc (i32.const 336))
      (local.set $dlen (i32.const 19)))
    (if (i32.eqz (local.get $dlen))
      (then
        (local.set $desc (i32.const 368))
        (local.set $dlen (i32.const 19))))
    (local.set $buf (call $alloc (i32.add (local.get $len) (i32.const 64))))
    (memory.copy (local.get $buf) (local.get $what) (local.get $len))
    (memory.copy (i32.add (local.get $buf) (local.get $len)) (i32.const 224) (i32.const 9))
    (memory.copy (i32.add (i32.add (local.get $buf) (local.get $len)) (i32.const 9))
      (local.get $desc) (local.get $dlen))
    (call $fail (local.get $buf) (i32.add (i32.add (local.get $len) (i32.const 9)) (local.get $dlen))))

  ;; The next free heap address.
  (global $heap (mut i32) (i32.const 65536))

  ;; $alloc returns $size bytes of fresh memory, 8-byte aligned, growing
  ;; the memory as needed; it traps when memory cannot grow (the host then
  ;; reports memory_limit). Nothing is ever freed or reused, so the bytes
  ;; are zero: they come from pages memory.grow added.
  (func $alloc (param $size i32) (result i32)
    (local $p i32) (local $end i64) (local $pages i64)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i64.add (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $size))))
    (local.set $pages (i64.shr_u (i64.add (local.get $end) (i64.const 65535)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i64.gt_u (local.get $pages) (i64.const 65536)) (then unreachable))
        (if (i32.lt_s
              (memory.grow (i32.sub (i32.wrap_i64 (local.get $pages)) (memory.size)))
              (i32.const 0))
          (then unreachable))))
    (global.set $heap (i32.wrap_i64 (local.get $end)))
    (local.get $p))

  ;; $fail sets the task's error message to [$ptr, $ptr+$len) and returns 1,
  ;; for nexus_run to return.
  (func $fail (param $ptr i32) (param $len i32) (result i32)
    (call $error_set (local.get $ptr) (local.get $len))
    (i32.const 1))

  ;; $is_space reports whether byte $c is ASCII whitespace (space, \t, \n,
  ;; \v, \f, \r).
  (func $is_space (param $c i32) (result i32)
    (i32.or (i32.eq (local.get $c) (i32.const 0x20))
            (i32.lt_u (i32.sub (local.get $c) (i32.const 0x09)) (i32.const 5))))

  ;; $trim returns [$p, $p+$len) without leading and trailing whitespace.
  (func $trim (param $p i32) (param $len i32) (result i32 i32)
    (block $front
      (loop $skip
        (br_if $front (i32.eqz (local.get $len)))
        (br_if $front (i32.eqz (call $is_space (i32.load8_u (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $skip)))
    (block $back
      (loop $skip
        (br_if $back (i32.eqz (local.get $len)))
        (br_if $back (i32.eqz (call $is_space
          (i32.load8_u (i32.sub (i32.add (local.get $p) (local.get $len)) (i32.const 1))))))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $skip)))
    (local.get $p) (local.get $len))

  ;; $u64_dec writes $v in decimal at $dst (up to 20 bytes) and returns the
  ;; number of bytes written.
  (func $u64_dec (param $v i64) (param $dst i32) (result i32)
    (local $n i32) (local $t i64) (local $i i32)
    ;; Count the digits, then write them from the last.
    (local.set $t (local.get $v))
    (loop $count
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
      (br_if $count (i64.ne (local.get $t) (i64.const 0))))
    (local.set $i (local.get $n))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.const 0x30) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $write (local.get $i)))
    (local.get $n))

  ;; $config_get_alloc returns the configuration value of the key at
  ;; [$kptr, $kptr+$klen) in fresh memory, whatever its size: (pointer,
  ;; length), or (0, code) for a negative result code (-1: not set). It
  ;; handles "buffer too small, call again" by asking with the size the
  ;; host reported.
  (func $config_get_alloc (param $kptr i32) (param $klen i32) (result i32 i32)
    (local $cap i32) (local $buf i32) (local $r i32)
    (local.set $cap (i32.const 256))
    (loop $again
      (local.set $buf (call $alloc (local.get $cap)))
      (local.set $r (call $config_get (local.get $kptr) (local.get $klen) (local.get $buf) (local.get $cap)))
      (if (i32.gt_s (local.get $r) (local.get $cap))
        (then
          (local.set $cap (local.get $r))
          (br $again))))
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return (i32.const 0) (local.get $r))))
    (local.get $buf) (local.get $r))

  ;; $kv_get_alloc is $config_get_alloc for the kv store (-1: absent).
  (func $kv_get_alloc (param $kptr i32) (param $klen i32) (result i32 i32)
    (local $cap i32) (local $buf i32) (local $r i32)
    (local.set $cap (i32.const 256))
    (loop $again
      (local.set $buf (call $alloc (local.get $cap)))
      (local.set $r (call $kv_get (local.get $kptr) (local.get $klen) (local.get $buf) (local.get $cap)))
      (if (i32.gt_s (local.get $r) (local.get $cap))
        (then
          (local.set $cap (local.get $r))
          (br $again))))
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return (i32.const 0) (local.get $r))))
    (local.get $buf) (local.get $r))
)
