;; nexus_v1.wat: NexusTask's guest ABI v1 (abi/ABI.md) for tasks written
;; by hand in the WebAssembly text format.
;;
;; WAT has no include directive: copy the import lines your task calls, and
;; the helpers it uses, into your module. Keep them as they are here: the
;; tests of examples/wat check that every copy in this repository is
;; identical to this file. This file is itself a valid module (a task that
;; echoes its input), so `wat2wasm nexus_v1.wat` checks it.
;;
;; Conventions of the helpers: static data lives in the first 64 KiB page;
;; the heap starts at 65536 and only grows ($alloc is a bump allocator, a
;; task is short-lived); results follow the ABI: a negative i32 is an
;; ERR_* code (-1 not found, -2 limit, -3 denied, -4 invalid, -5 internal,
;; -6 failed).
(module
  ;; ---- The imports of module nexus_v1 (ABI v1). ----------------------
  ;; Input: its total size; copy up to $len further bytes to $ptr (0 at the end).
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param $ptr i32) (param $len i32) (result i32)))
  ;; Output: append [$ptr, $ptr+$len); $len, or -2 (ERR_LIMIT) past the cap.
  (import "nexus_v1" "output_write" (func $output_write (param $ptr i32) (param $len i32) (result i32)))
  ;; The message reported when nexus_run returns non-zero.
  (import "nexus_v1" "error_set" (func $error_set (param $ptr i32) (param $len i32)))
  ;; One log line; $level 0 debug, 1 info, 2 warn, 3 error.
  (import "nexus_v1" "log" (func $log (param $level i32) (param $ptr i32) (param $len i32)))
  ;; Progress: $done of $total; the last call wins.
  (import "nexus_v1" "progress" (func $progress (param $done i64) (param $total i64)))
  ;; Checkpoints: save (0 or -2 past 1 MiB); load (length, copied if <= $cap; -1 if none).
  (import "nexus_v1" "checkpoint_save" (func $checkpoint_save (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "checkpoint_load" (func $checkpoint_load (param $ptr i32) (param $cap i32) (result i32)))
  ;; Key-value store: get (length, copied if <= $vcap; -1 if absent), set (0 or code), delete (0, -1 or code).
  (import "nexus_v1" "kv_get" (func $kv_get (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vcap i32) (result i32)))
  (import "nexus_v1" "kv_set" (func $kv_set (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vlen i32) (result i32)))
  (import "nexus_v1" "kv_delete" (func $kv_delete (param $kptr i32) (param $klen i32) (result i32)))
  ;; Configuration: the value's length, copied if <= $vcap; -1 if not set.
  (import "nexus_v1" "config_get" (func $config_get (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vcap i32) (result i32)))
  ;; Fuel left in the task's budget.
  (import "nexus_v1" "fuel_remaining" (func $fuel_remaining (result i64)))
  ;; Child tasks: spawn module [$mptr, $mptr+$mlen) with input [$iptr, $iptr+$ilen)
  ;; and JSON options [$optr, $optr+$olen) (0 for none): its handle, or an
  ;; ERR_* code. Await: the child's output length, copied to $ptr if it fits
  ;; in $cap, or -6 (ERR_FAILED). Await any: the index in the $n handles
  ;; (i32s at $hptr) of a finished child.
  (import "nexus_v1" "task_spawn" (func $task_spawn (param $mptr i32) (param $mlen i32) (param $iptr i32) (param $ilen i32) (param $optr i32) (param $olen i32) (result i32)))
  (import "nexus_v1" "task_await" (func $task_await (param $handle i32) (param $ptr i32) (param $cap i32) (result i32)))
  (import "nexus_v1" "task_await_any" (func $task_await_any (param $hptr i32) (param $n i32) (result i32)))

  ;; A nexus-v1 module exports its memory and nexus_run: () -> i32.
  (memory (export "memory") 1)

  (func (export "nexus_run") (result i32)
    (local $p i32) (local $n i32)
    (call $input_all)
    (local.set $n)
    (local.set $p)
    (if (i32.lt_s (call $output_write (local.get $p) (local.get $n)) (i32.const 0))
      (then (return (i32.const 1))))
    (i32.const 0))

  ;; ---- Helpers. ------------------------------------------------------

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

  ;; $task_await_alloc awaits the child task of $handle and returns its
  ;; output in fresh memory: (pointer, length), or (0, code) for a negative
  ;; result code (-6: the child did not succeed).
  (func $task_await_alloc (param $handle i32) (result i32 i32)
    (local $cap i32) (local $buf i32) (local $r i32)
    (local.set $cap (i32.const 256))
    (loop $again
      (local.set $buf (call $alloc (local.get $cap)))
      (local.set $r (call $task_await (local.get $handle) (local.get $buf) (local.get $cap)))
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
