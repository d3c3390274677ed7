;; count: a CPU-bound nexus-v1 task. The input is a little-endian u32 n; it
;; computes x = x*31 + i for i in [0, n) with wrapping i32 arithmetic and
;; writes x (4 bytes, little-endian), then fuel_remaining before and after
;; the loop (8 bytes each).
(module
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "nexus_v1" "fuel_remaining" (func $fuel_remaining (result i64)))
  (memory (export "memory") 1)
  (func (export "nexus_run") (result i32)
    (local $n i32) (local $i i32) (local $x i32)
    (drop (call $input_read (i32.const 0) (i32.const 4)))
    (local.set $n (i32.load (i32.const 0)))
    (i64.store (i32.const 8) (call $fuel_remaining))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 31)) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i64.store (i32.const 16) (call $fuel_remaining))
    (i32.store (i32.const 4) (local.get $x))
    (drop (call $output_write (i32.const 4) (i32.const 20)))
    (i32.const 0)))
