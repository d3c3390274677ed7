;; spawner: a nexus-v1 guest for the spawn tests. Its input is
;;
;;   MODE (1 byte) | N (u32, little-endian) | L (1 byte) | NAME (L bytes) | BASE
;;
;; It spawns N children of module NAME, child i with input BASE followed by
;; the byte i, checks that task_await_any names one of them, then awaits
;; each in order and writes its output followed by ","; a child that did
;; not succeed is written "!". A negative result of task_spawn makes
;; nexus_run return 100 - code, of the awaits 200 - code. With MODE "T" the
;; task traps after awaiting unless it has a checkpoint (which it saves
;; first): its first attempt fails, its retry succeeds.
;;
;; Build with: wat2wasm spawner.wat -o spawner.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "nexus_v1" "checkpoint_save" (func $checkpoint_save (param i32 i32) (result i32)))
  (import "nexus_v1" "checkpoint_load" (func $checkpoint_load (param i32 i32) (result i32)))
  (import "nexus_v1" "task_spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "task_await" (func $await (param i32 i32 i32) (result i32)))
  (import "nexus_v1" "task_await_any" (func $await_any (param i32 i32) (result i32)))
  ;; 0..4096: input; 4096..: handles; 32768: child input; 36864: child
  ;; output; 40960: checkpoint; 40970: ",".
  (memory (export "memory") 1)
  (func (export "nexus_run") (result i32)
    (local $len i32) (local $n i32) (local $l i32) (local $base i32)
    (local $blen i32) (local $i i32) (local $h i32) (local $r i32)
    (local.set $len (call $input_len))
    (drop (call $input_read (i32.const 0) (local.get $len)))
    (local.set $n (i32.load (i32.const 1)))
    (local.set $l (i32.load8_u (i32.const 5)))
    (local.set $base (i32.add (i32.const 6) (local.get $l)))
    (local.set $blen (i32.sub (local.get $len) (local.get $base)))
    (memory.copy (i32.const 32768) (local.get $base) (local.get $blen))
    (block $spawned
      (loop $spawning
        (br_if $spawned (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (i32.const 32768) (local.get $blen)) (local.get $i))
        (local.set $h (call $spawn (i32.const 6) (local.get $l)
          (i32.const 32768) (i32.add (local.get $blen) (i32.const 1)) (i32.const 0) (i32.const 0)))
        (if (i32.lt_s (local.get $h) (i32.const 0))
          (then (return (i32.sub (i32.const 100) (local.get $h)))))
        (i32.store (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 2))) (local.get $h))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $spawning)))
    (if (local.get $n)
      (then
        (local.set $r (call $await_any (i32.const 4096) (local.get $n)))
        (if (i32.lt_s (local.get $r) (i32.const 0))
          (then (return (i32.sub (i32.const 200) (local.get $r)))))
        (if (i32.ge_u (local.get $r) (local.get $n))
          (then (return (i32.const 2))))))
    (i32.store8 (i32.const 40970) (i32.const 44))
    (local.set $i (i32.const 0))
    (block $awaited
      (loop $awaiting
        (br_if $awaited (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r (call $await
          (i32.load (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 2))))
          (i32.const 36864) (i32.const 4096)))
        (if (i32.eq (local.get $r) (i32.const -6))
          (then
            (i32.store8 (i32.const 36864) (i32.const 33))
            (local.set $r (i32.const 1))))
        (if (i32.lt_s (local.get $r) (i32.const 0))
          (then (return (i32.sub (i32.const 200) (local.get $r)))))
        (drop (call $output_write (i32.const 36864) (local.get $r)))
        (drop (call $output_write (i32.const 40970) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $awaiting)))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 84))
      (then
        (if (i32.lt_s (call $checkpoint_load (i32.const 40960) (i32.const 8)) (i32.const 0))
          (then
            (drop (call $checkpoint_save (i32.const 40960) (i32.const 1)))
            (unreachable)))))
    (i32.const 0))
)
