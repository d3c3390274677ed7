;; The WAT conformance guest: a nexus-v1 task, written by hand, that reads a
;; command script (conformance/SCRIPT.md) from its input and performs it,
;; calling the nexus_v1 imports and writing what each returns to its
;; output. The import declarations and helpers are copied from the WAT SDK,
;; abi/sdk/wat/nexus_v1.wat; STDERR writes with WASI fd_write on fd 2.
;;
;; Rebuild it with examples/wat/build.sh, or:
;;   wat2wasm guest.wat -o guest.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param $ptr i32) (param $len i32)))
  (import "nexus_v1" "log" (func $log (param $level i32) (param $ptr i32) (param $len i32)))
  (import "nexus_v1" "progress" (func $progress (param $done i64) (param $total i64)))
  (import "nexus_v1" "checkpoint_save" (func $checkpoint_save (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "checkpoint_load" (func $checkpoint_load (param $ptr i32) (param $cap i32) (result i32)))
  (import "nexus_v1" "kv_get" (func $kv_get (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vcap i32) (result i32)))
  (import "nexus_v1" "kv_set" (func $kv_set (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vlen i32) (result i32)))
  (import "nexus_v1" "kv_delete" (func $kv_delete (param $kptr i32) (param $klen i32) (result i32)))
  (import "nexus_v1" "config_get" (func $config_get (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vcap i32) (result i32)))
  (import "nexus_v1" "fuel_remaining" (func $fuel_remaining (result i64)))
  (import "nexus_v1" "task_spawn" (func $task_spawn (param $mptr i32) (param $mlen i32) (param $iptr i32) (param $ilen i32) (param $optr i32) (param $olen i32) (result i32)))
  (import "nexus_v1" "task_await" (func $task_await (param $handle i32) (param $ptr i32) (param $cap i32) (result i32)))
  (import "nexus_v1" "task_await_any" (func $task_await_any (param $hptr i32) (param $n i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param $fd i32) (param $iovs i32) (param $iovs_len i32) (param $nwritten i32) (result i32)))

  (memory (export "memory") 1)

  ;; 0..4: the magic; 16..: the message for a bad script; 32..36: an i32
  ;; record; 48..60: WASI iovec {buf, len} and the count written; 64..72:
  ;; where SPIN and RECURSE store their results, so that their work is
  ;; observable and cannot be optimized away.
  (data (i32.const 0) "NXC1")
  (data (i32.const 16) "conformance: bad script")

  ;; The script being read: the next byte and the end; $ok turns 0 when
  ;; the script ends too soon.
  (global $pos (mut i32) (i32.const 0))
  (global $end (mut i32) (i32.const 0))
  (global $ok (mut i32) (i32.const 1))
  ;; What nexus_run returns, and the last FUEL's fuel_remaining.
  (global $code (mut i32) (i32.const 0))
  (global $last_fuel (mut i64) (i64.const 0x7fffffffffffffff))

  (func (export "nexus_run") (result i32)
    (local $p i32) (local $n i32)
    (call $input_all)
    (local.set $n)
    (local.set $p)
    (global.set $pos (local.get $p))
    (global.set $end (i32.add (local.get $p) (local.get $n)))
    (if (i32.and
          (i32.ge_u (local.get $n) (i32.const 4))
          (i32.eq (i32.load (local.get $p)) (i32.load (i32.const 0))))
      (then
        (global.set $pos (i32.add (local.get $p) (i32.const 4)))
        (if (call $perform) (then (return (global.get $code))))))
    (call $error_set (i32.const 16) (i32.const 23))
    (i32.const 99))

  ;; $perform runs the script's commands; it returns 1 when the script
  ;; ended or said to return, and 0 for a truncated script or an unknown op.
  (func $perform (result i32)
    (local $op i32) (local $a i32) (local $alen i32) (local $b i32) (local $blen i32)
    (local $u i32) (local $i i32) (local $buf i32) (local $x i64) (local $y i64)
    (block $bad
      (loop $next
        (if (i32.ge_u (global.get $pos) (global.get $end))
          (then
            (global.set $code (i32.const 0))
            (return (i32.const 1))))
        (local.set $op (call $u8))
        ;; 0x16 SPAWN, 0x17 AWAIT and 0x18 AWAIT_ANY (ENVELOPE is for the
        ;; SDKs with an envelope helper; the WAT SDK has none).
        (if (i32.eq (local.get $op) (i32.const 0x16))
          (then
            (call $bytes)
            (local.set $alen)
            (local.set $a)
            (call $bytes)
            (local.set $blen)
            (local.set $b)
            (call $bytes)
            (local.set $u)
            (local.set $i)
            (br_if $bad (i32.eqz (global.get $ok)))
            (call $write_i32 (call $task_spawn (local.get $a) (local.get $alen)
              (local.get $b) (local.get $blen) (local.get $i) (local.get $u)))
            (br $next)))
        (if (i32.eq (local.get $op) (i32.const 0x17))
          (then
            (local.set $a (call $u32))
            (local.set $u (call $u32))
            (br_if $bad (i32.eqz (global.get $ok)))
            (local.set $buf (call $alloc (local.get $u)))
            (call $write_value (call $task_await (local.get $a) (local.get $buf) (local.get $u))
              (local.get $buf) (local.get $u))
            (br $next)))
        (if (i32.eq (local.get $op) (i32.const 0x18))
          (then
            (call $bytes)
            (local.set $alen)
            (local.set $a)
            (br_if $bad (i32.eqz (global.get $ok)))
            (call $write_i32 (call $task_await_any (local.get $a) (i32.shr_u (local.get $alen) (i32.const 2))))
            (br $next)))
        (block $stderr
         (block $return
          (block $recurse
           (block $raw_output
            (block $alloc
             (block $spin
              (block $trap
               (block $fail
                (block $fuel
                 (block $config_get
                  (block $kv_delete
                   (block $kv_set
                    (block $kv_get
                     (block $checkpoint_load
                      (block $checkpoint_save
                       (block $progress
                        (block $log
                         (block $input_read
                          (block $input_len
                           (block $output_repeat
                            (block $output
                             (block $invalid
                              (br_table $invalid $output $output_repeat $input_len $input_read $log $progress $checkpoint_save $checkpoint_load $kv_get $kv_set $kv_delete $config_get $fuel $fail $trap $spin $alloc $raw_output $recurse $return $stderr $invalid (local.get $op)))
                              (br $bad))
                             ;; 0x01 OUTPUT
                             (call $bytes)
                             (local.set $alen)
                             (local.set $a)
                             (br_if $bad (i32.eqz (global.get $ok)))
                             (drop (call $output_write (local.get $a) (local.get $alen)))
                             (br $next))
                            ;; 0x02 OUTPUT_REPEAT
                            (call $bytes)
                            (local.set $alen)
                            (local.set $a)
                            (local.set $u (call $u32))
                            (br_if $bad (i32.eqz (global.get $ok)))
                            (local.set $i (i32.const 0))
                            (block $stop
                              (loop $again
                                (br_if $stop (i32.ge_u (local.get $i) (local.get $u)))
                                (br_if $stop (i32.lt_s (call $output_write (local.get $a) (local.get $alen)) (i32.const 0)))
                                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                                (br $again)))
                            (br $next))
                           ;; 0x03 INPUT_LEN
                           (call $write_i32 (call $input_len))
                           (br $next))
                          ;; 0x04 INPUT_READ
                          (local.set $u (call $u32))
                          (br_if $bad (i32.eqz (global.get $ok)))
                          (local.set $buf (call $alloc (local.get $u)))
                          (call $write_i32 (call $input_read (local.get $buf) (local.get $u)))
                          (br $next))
                         ;; 0x05 LOG
                         (local.set $u (call $u32))
                         (call $bytes)
                         (local.set $alen)
                         (local.set $a)
                         (br_if $bad (i32.eqz (global.get $ok)))
                         (call $log (local.get $u) (local.get $a) (local.get $alen))
                         (br $next))
                        ;; 0x06 PROGRESS
                        (local.set $x (call $u64))
                        (local.set $y (call $u64))
                        (br_if $bad (i32.eqz (global.get $ok)))
                        (call $progress (local.get $x) (local.get $y))
                        (br $next))
                       ;; 0x07 CHECKPOINT_SAVE
                       (call $bytes)
                       (local.set $alen)
                       (local.set $a)
                       (br_if $bad (i32.eqz (global.get $ok)))
                       (call $write_i32 (call $checkpoint_save (local.get $a) (local.get $alen)))
                       (br $next))
                      ;; 0x08 CHECKPOINT_LOAD
                      (local.set $u (call $u32))
                      (br_if $bad (i32.eqz (global.get $ok)))
                      (local.set $buf (call $alloc (local.get $u)))
                      (call $write_value (call $checkpoint_load (local.get $buf) (local.get $u)) (local.get $buf) (local.get $u))
                      (br $next))
                     ;; 0x09 KV_GET
                     (call $bytes)
                     (local.set $alen)
                     (local.set $a)
                     (local.set $u (call $u32))
                     (br_if $bad (i32.eqz (global.get $ok)))
                     (local.set $buf (call $alloc (local.get $u)))
                     (call $write_value (call $kv_get (local.get $a) (local.get $alen) (local.get $buf) (local.get $u))
                       (local.get $buf) (local.get $u))
                     (br $next))
                    ;; 0x0A KV_SET
                    (call $bytes)
                    (local.set $alen)
                    (local.set $a)
                    (call $bytes)
                    (local.set $blen)
                    (local.set $b)
                    (br_if $bad (i32.eqz (global.get $ok)))
                    (call $write_i32 (call $kv_set (local.get $a) (local.get $alen) (local.get $b) (local.get $blen)))
                    (br $next))
                   ;; 0x0B KV_DELETE
                   (call $bytes)
                   (local.set $alen)
                   (local.set $a)
                   (br_if $bad (i32.eqz (global.get $ok)))
                   (call $write_i32 (call $kv_delete (local.get $a) (local.get $alen)))
                   (br $next))
                  ;; 0x0C CONFIG_GET
                  (call $bytes)
                  (local.set $alen)
                  (local.set $a)
                  (local.set $u (call $u32))
                  (br_if $bad (i32.eqz (global.get $ok)))
                  (local.set $buf (call $alloc (local.get $u)))
                  (call $write_value (call $config_get (local.get $a) (local.get $alen) (local.get $buf) (local.get $u))
                    (local.get $buf) (local.get $u))
                  (br $next))
                 ;; 0x0D FUEL
                 (local.set $x (call $fuel_remaining))
                 (call $write_i32 (i32.and (i64.gt_s (local.get $x) (i64.const 0))
                   (i64.lt_s (local.get $x) (global.get $last_fuel))))
                 (global.set $last_fuel (local.get $x))
                 (br $next))
                ;; 0x0E FAIL
                (call $bytes)
                (local.set $alen)
                (local.set $a)
                (local.set $u (call $u32))
                (br_if $bad (i32.eqz (global.get $ok)))
                (call $error_set (local.get $a) (local.get $alen))
                (global.set $code (local.get $u))
                (return (i32.const 1)))
               ;; 0x0F TRAP
               (unreachable))
              ;; 0x10 SPIN
              (local.set $x (call $u64))
              (br_if $bad (i32.eqz (global.get $ok)))
              (call $spin (local.get $x))
              (br $next))
             ;; 0x11 ALLOC
             (local.set $u (call $u32))
             (br_if $bad (i32.eqz (global.get $ok)))
             (call $alloc_mib (local.get $u))
             (br $next))
            ;; 0x12 RAW_OUTPUT
            (local.set $u (call $u32))
            (local.set $alen (call $u32))
            (br_if $bad (i32.eqz (global.get $ok)))
            ;; The host bounds-checks the range and traps the task if it lies
            ;; outside memory: that is what this op tests.
            (call $write_i32 (call $output_write (local.get $u) (local.get $alen)))
            (br $next))
           ;; 0x13 RECURSE
           (local.set $u (call $u32))
           (br_if $bad (i32.eqz (global.get $ok)))
           (i64.store (i32.const 64) (call $recurse (local.get $u)))
           (br $next))
          ;; 0x14 RETURN
          (local.set $u (call $u32))
          (br_if $bad (i32.eqz (global.get $ok)))
          (global.set $code (local.get $u))
          (return (i32.const 1)))
         ;; 0x15 STDERR
         (call $bytes)
         (local.set $alen)
         (local.set $a)
         (br_if $bad (i32.eqz (global.get $ok)))
         (call $write_stderr (local.get $a) (local.get $alen))
         (br $next)))
    (i32.const 0))

  ;; $take returns the address of the script's next $n bytes and moves
  ;; past them; past the end it sets $ok to 0.
  (func $take (param $n i32) (result i32)
    (local $p i32)
    (if (i32.gt_u (local.get $n) (i32.sub (global.get $end) (global.get $pos)))
      (then
        (global.set $ok (i32.const 0))
        (global.set $pos (global.get $end))
        (return (i32.const 0))))
    (local.set $p (global.get $pos))
    (global.set $pos (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  ;; $u8, $u32 and $u64 read little-endian integers (0 past the end).
  (func $u8 (result i32)
    (local $p i32)
    (local.set $p (call $take (i32.const 1)))
    (if (result i32) (global.get $ok) (then (i32.load8_u (local.get $p))) (else (i32.const 0))))

  (func $u32 (result i32)
    (local $p i32)
    (local.set $p (call $take (i32.const 4)))
    (if (result i32) (global.get $ok) (then (i32.load (local.get $p))) (else (i32.const 0))))

  (func $u64 (result i64)
    (local $p i32)
    (local.set $p (call $take (i32.const 8)))
    (if (result i64) (global.get $ok) (then (i64.load (local.get $p))) (else (i64.const 0))))

  ;; $bytes reads a length-prefixed byte string: (address in the script,
  ;; length).
  (func $bytes (result i32 i32)
    (local $n i32)
    (local.set $n (call $u32))
    (call $take (local.get $n))
    (local.get $n))

  ;; $write_i32 writes an i32 record.
  (func $write_i32 (param $v i32)
    (i32.store (i32.const 32) (local.get $v))
    (drop (call $output_write (i32.const 32) (i32.const 4))))

  ;; $write_value writes the record of a "length, copied if it fits" call:
  ;; $r, then the value if it was copied into $buf of $cap bytes.
  (func $write_value (param $r i32) (param $buf i32) (param $cap i32)
    (call $write_i32 (local.get $r))
    (if (i32.and (i32.ge_s (local.get $r) (i32.const 0)) (i32.le_u (local.get $r) (local.get $cap)))
      (then (drop (call $output_write (local.get $buf) (local.get $r))))))

  ;; $spin runs a loop of $n iterations, x = x*31 + i, and stores x.
  (func $spin (param $n i64)
    (local $x i64) (local $i i64)
    (local.set $x (i64.load (i32.const 64)))
    (block $done
      (loop $again
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 31)) (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $again)))
    (i64.store (i32.const 64) (local.get $x)))

  ;; $recurse recurses $depth levels, one call per level; each result is
  ;; used after the call returns.
  (func $recurse (param $depth i32) (result i64)
    (if (i32.eqz (local.get $depth)) (then (return (i64.load (i32.const 64)))))
    (i64.add
      (i64.mul (call $recurse (i32.sub (local.get $depth) (i32.const 1))) (i64.const 31))
      (i64.extend_i32_u (local.get $depth))))

  ;; $alloc_mib allocates $mib MiB, writes one byte in every 4 KiB of it and
  ;; keeps it until the task ends; it traps if memory cannot grow.
  (func $alloc_mib (param $mib i32)
    (local $p i32) (local $size i32) (local $off i32)
    (if (i32.eqz (local.get $mib)) (then (return)))
    ;; 4 GiB or more does not fit a 32-bit address space.
    (if (i32.ge_u (local.get $mib) (i32.const 4096)) (then (unreachable)))
    (local.set $size (i32.shl (local.get $mib) (i32.const 20)))
    (local.set $p (call $alloc (local.get $size)))
    (loop $touch
      (i32.store8 (i32.add (local.get $p) (local.get $off)) (i32.const 1))
      (local.set $off (i32.add (local.get $off) (i32.const 4096)))
      (br_if $touch (i32.lt_u (local.get $off) (local.get $size)))))

  ;; $write_stderr writes [$p, $p+$len) to stderr (WASI fd_write on fd 2).
  (func $write_stderr (param $p i32) (param $len i32)
    (local $n i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 48) (local.get $p))
        (i32.store (i32.const 52) (local.get $len))
        (br_if $done (call $fd_write (i32.const 2) (i32.const 48) (i32.const 1) (i32.const 56)))
        (local.set $n (i32.load (i32.const 56)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $p (i32.add (local.get $p) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $again))))

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
)
