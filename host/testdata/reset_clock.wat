;; reset_clock: a nexus-v1 task that reads the deterministic clocks and
;; random source (WASI clock_time_get and random_get) and outputs what it
;; read: the wall clock, the monotonic clock and 8 random bytes. A new
;; instance's task always reads the same; an earlier task's readings must
;; not advance what the next one reads.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nexus_run") (result i32)
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 0)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 8)))
    (drop (call $random (i32.const 16) (i32.const 8)))
    (drop (call $output_write (i32.const 0) (i32.const 24)))
    (i32.const 0)))
