;; spawn: a nexus-v1 task that fans out to child tasks. Its input is lines
;; of text; for each non-empty line it spawns a child task of the module
;; named by the configuration value "child" (default "sha256") with input
;; "1:LINE", then awaits the children in order and writes each one's
;; output on a line of its own. A child that fails fails the task.
;;
;; The imports and helpers are copied from abi/sdk/wat/nexus_v1.wat.
;; Build with: wat2wasm spawn.wat -o spawn.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param $ptr i32) (param $len i32)))
  (import "nexus_v1" "config_get" (func $config_get (param $kptr i32) (param $klen i32) (param $vptr i32) (param $vcap i32) (result i32)))
  (import "nexus_v1" "task_spawn" (func $task_spawn (param $mptr i32) (param $mlen i32) (param $iptr i32) (param $ilen i32) (param $optr i32) (param $olen i32) (result i32)))
  (import "nexus_v1" "task_await" (func $task_await (param $handle i32) (param $ptr i32) (param $cap i32) (result i32)))

  (memory (export "memory") 1)
  (data (i32.const 0) "sha256")
  (data (i32.const 16) "child")
  (data (i32.const 32) "\n")
  (data (i32.const 64) "spawn: a child could not be spawned")
  (data (i32.const 128) "spawn: a child failed")

  (func (export "nexus_run") (result i32)
    (local $in i32) (local $len i32) (local $mod i32) (local $mlen i32)
    (local $hs i32) (local $n i32) (local $start i32) (local $end i32)
    (local $arg i32) (local $h i32) (local $i i32) (local $out i32) (local $olen i32)
    (call $input_all)
    (local.set $len)
    (local.set $in)
    (call $config_get_alloc (i32.const 16) (i32.const 5))
    (local.set $mlen)
    (local.set $mod)
    (if (i32.eqz (local.get $mod))
      (then
        (local.set $mod (i32.const 0))
        (local.set $mlen (i32.const 6))))
    ;; At most one child per input byte.
    (local.set $hs (call $alloc (i32.shl (local.get $len) (i32.const 2))))
    (block $lines
      (loop $line
        (br_if $lines (i32.ge_u (local.get $start) (local.get $len)))
        (local.set $end (local.get $start))
        (block $eol
          (loop $scan
            (br_if $eol (i32.ge_u (local.get $end) (local.get $len)))
            (br_if $eol (i32.eq (i32.load8_u (i32.add (local.get $in) (local.get $end))) (i32.const 0x0a)))
            (local.set $end (i32.add (local.get $end) (i32.const 1)))
            (br $scan)))
        (if (i32.gt_u (local.get $end) (local.get $start))
          (then
            (local.set $arg (call $alloc (i32.add (i32.sub (local.get $end) (local.get $start)) (i32.const 2))))
            (i32.store16 (local.get $arg) (i32.const 0x3a31)) ;; "1:"
            (memory.copy (i32.add (local.get $arg) (i32.const 2))
              (i32.add (local.get $in) (local.get $start)) (i32.sub (local.get $end) (local.get $start)))
            (local.set $h (call $task_spawn (local.get $mod) (local.get $mlen) (local.get $arg)
              (i32.add (i32.sub (local.get $end) (local.get $start)) (i32.const 2)) (i32.const 0) (i32.const 0)))
            (if (i32.lt_s (local.get $h) (i32.const 0))
              (then (return (call $fail (i32.const 64) (i32.const 35)))))
            (i32.store (i32.add (local.get $hs) (i32.shl (local.get $n) (i32.const 2))) (local.get $h))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $start (i32.add (local.get $end) (i32.const 1)))
        (br $line)))
    (block $done
      (loop $await
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $task_await_alloc (i32.load (i32.add (local.get $hs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $olen)
        (local.set $out)
        (if (i32.eqz (local.get $out))
          (then (return (call $fail (i32.const 128) (i32.const 21)))))
        (drop (call $output_write (local.get $out) (local.get $olen)))
        (drop (call $output_write (i32.const 32) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $await)))
    (i32.const 0))

  ;; ---- Helpers, from abi/sdk/wat/nexus_v1.wat. ----------------------
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
)
