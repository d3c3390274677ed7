;; longjob: a NexusTask task, written by hand in WAT, that runs many small
;; steps, reports its progress after each one and checkpoints every 100, so
;; that a durable task resumes where it stopped when it is retried or the
;; server restarts.
;;
;; Its input is the number of steps N in decimal (1000 if the input is
;; empty). Step i folds the eight little-endian bytes of i into a 64-bit
;; FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3); the
;; output is the final hash as 16 lowercase hex digits, the same whether or
;; not the run resumed from a checkpoint.
;;
;; The checkpoint is 24 bytes, three little-endian u64s: N, the number of
;; steps done, and the hash so far. A checkpoint for another N is ignored.
;; The imports and helpers are copied from abi/sdk/wat/nexus_v1.wat. Build
;; with:
;;   wat2wasm longjob.wat -o longjob.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param $ptr i32) (param $len i32)))
  (import "nexus_v1" "log" (func $log (param $level i32) (param $ptr i32) (param $len i32)))
  (import "nexus_v1" "progress" (func $progress (param $done i64) (param $total i64)))
  (import "nexus_v1" "checkpoint_save" (func $checkpoint_save (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "checkpoint_load" (func $checkpoint_load (param $ptr i32) (param $cap i32) (result i32)))

  (memory (export "memory") 1)

  ;; 0..24: the checkpoint; 32..48: the hex output; 64..: messages.
  (data (i32.const 48) "0123456789abcdef")
  (data (i32.const 64) "input: not a decimal number")
  (data (i32.const 96) "ignoring a checkpoint of another run")
  (data (i32.const 144) "checkpoint: nexus: limit reached")
  (data (i32.const 192) "output: nexus: limit reached")
  (data (i32.const 224) "resuming after step ")
  (data (i32.const 248) " of ")
  (data (i32.const 256) "checkpoint: load failed")

  (func (export "nexus_run") (result i32)
    (local $in i32) (local $len i32) (local $ok i32) (local $r i32) (local $i i32)
    (local $n i64) (local $done i64) (local $hash i64)

    ;; N: the input as a decimal number, 1000 if it is blank.
    (call $input_all)
    (call $trim)
    (local.set $len)
    (local.set $in)
    (local.set $n (i64.const 1000))
    (if (local.get $len)
      (then
        (call $parse_u64 (local.get $in) (local.get $len))
        (local.set $ok)
        (local.set $n)
        (if (i32.eqz (local.get $ok))
          (then (return (call $fail (i32.const 64) (i32.const 27)))))))

    ;; Resume from the checkpoint of a previous attempt of this run.
    (local.set $hash (i64.const 0xcbf29ce484222325))
    (local.set $r (call $checkpoint_load (i32.const 0) (i32.const 24)))
    (if (i32.ge_s (local.get $r) (i32.const 0))
      (then
        ;; A checkpoint of another size did not fit, or does not fit our
        ;; format: either way it is not ours.
        (if (i32.or (i32.ne (local.get $r) (i32.const 24))
              (i32.or (i64.ne (i64.load (i32.const 0)) (local.get $n))
                      (i64.gt_u (i64.load (i32.const 8)) (local.get $n))))
          (then (call $log (i32.const 2) (i32.const 96) (i32.const 36)))
          (else
            (local.set $done (i64.load (i32.const 8)))
            (local.set $hash (i64.load (i32.const 16)))
            (call $log_resume (local.get $done) (local.get $n)))))
      (else
        (if (i32.ne (local.get $r) (i32.const -1))
          (then (return (call $fail (i32.const 256) (i32.const 23)))))))

    (block $end
      (loop $step
        (br_if $end (i64.ge_u (local.get $done) (local.get $n)))
        (local.set $i (i32.const 0))
        (loop $byte
          (local.set $hash (i64.mul
            (i64.xor (local.get $hash)
              (i64.and (i64.shr_u (local.get $done) (i64.extend_i32_u (i32.shl (local.get $i) (i32.const 3))))
                       (i64.const 0xff)))
            (i64.const 0x100000001b3)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $byte (i32.lt_u (local.get $i) (i32.const 8))))
        (local.set $done (i64.add (local.get $done) (i64.const 1)))
        (call $progress (local.get $done) (local.get $n))
        (if (i64.eqz (i64.rem_u (local.get $done) (i64.const 100)))
          (then
            (i64.store (i32.const 0) (local.get $n))
            (i64.store (i32.const 8) (local.get $done))
            (i64.store (i32.const 16) (local.get $hash))
            (if (i32.lt_s (call $checkpoint_save (i32.const 0) (i32.const 24)) (i32.const 0))
              (then (return (call $fail (i32.const 144) (i32.const 32)))))))
        (br $step)))
    (call $progress (local.get $n) (local.get $n))

    ;; The hash as 16 lowercase hex digits.
    (local.set $i (i32.const 0))
    (loop $digit
      (i32.store8 (i32.add (i32.const 32) (local.get $i))
        (i32.load8_u (i32.add (i32.const 48)
          (i32.wrap_i64 (i64.and
            (i64.shr_u (local.get $hash) (i64.extend_i32_u (i32.sub (i32.const 60) (i32.shl (local.get $i) (i32.const 2)))))
            (i64.const 0xf))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $i) (i32.const 16))))
    (if (i32.lt_s (call $output_write (i32.const 32) (i32.const 16)) (i32.const 0))
      (then (return (call $fail (i32.const 192) (i32.const 28)))))
    (i32.const 0))

  ;; $log_resume logs "resuming after step $done of $n" at info level.
  (func $log_resume (param $done i64) (param $n i64)
    (local $buf i32) (local $len i32)
    (local.set $buf (call $alloc (i32.const 64)))
    (memory.copy (local.get $buf) (i32.const 224) (i32.const 20))
    (local.set $len (i32.add (i32.const 20)
      (call $u64_dec (local.get $done) (i32.add (local.get $buf) (i32.const 20)))))
    (memory.copy (i32.add (local.get $buf) (local.get $len)) (i32.const 248) (i32.const 4))
    (local.set $len (i32.add (local.get $len) (i32.const 4)))
    (local.set $len (i32.add (local.get $len)
      (call $u64_dec (local.get $n) (i32.add (local.get $buf) (local.get $len)))))
    (call $log (i32.const 1) (local.get $buf) (local.get $len)))

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

  ;; $input_all reads the whole input into fresh memory: (pointer, length).
  (func $input_all (result i32 i32)
    (local $p i32) (local $len i32) (local $n i32) (local $r i32)
    (local.set $len (call $input_len))
    (local.set $p (call $alloc (local.get $len)))
    (block $done
      (loop $read
        (br_if $done (i32.ge_u (local.get $n) (local.get $len)))
        (local.set $r (call $input_read
          (i32.add (local.get $p) (local.get $n)) (i32.sub (local.get $len) (local.get $n))))
        (br_if $done (i32.le_s (local.get $r) (i32.const 0)))
        (local.set $n (i32.add (local.get $n) (local.get $r)))
        (br $read)))
    (local.get $p) (local.get $n))

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

  ;; $parse_u64 parses [$p, $p+$len), digits only, as a decimal u64:
  ;; (value, 1), or (0, 0) if it is empty, has another byte or overflows.
  (func $parse_u64 (param $p i32) (param $len i32) (result i64 i32)
    (local $v i64) (local $d i64) (local $end i32)
    (if (i32.eqz (local.get $len)) (then (return (i64.const 0) (i32.const 0))))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (loop $digit
      (local.set $d (i64.extend_i32_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30))))
      (if (i64.gt_u (local.get $d) (i64.const 9)) (then (return (i64.const 0) (i32.const 0))))
      ;; v*10 + d must not pass 2^64-1.
      (if (i64.gt_u (local.get $v)
            (i64.div_u (i64.sub (i64.const -1) (local.get $d)) (i64.const 10)))
        (then (return (i64.const 0) (i32.const 0))))
      (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (local.get $d)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $p) (local.get $end))))
    (local.get $v) (i32.const 1))

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
)
