;; printfail: a wasi-command task that copies stdin to stdout, writes a
;; line to stderr, then fails: it traps (unreachable) when the input
;; starts with "t", and exits with code 7 otherwise. A test of what a
;; failed task keeps of its output.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  ;; 0..8: iovec {buf, len}; 8..12: bytes read/written; 12..16: first
  ;; input byte; 16..: the stderr line; 1024..: buffer.
  (memory (export "memory") 2)
  (data (i32.const 16) "failing now\n")

  (func $copy
    (local $n i32) (local $first i32)
    (local.set $first (i32.const 1))
    (loop $copy
      (i32.store (i32.const 0) (i32.const 1024))
      (i32.store (i32.const 4) (i32.const 65536))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $proc_exit (i32.const 1))))
      (local.set $n (i32.load (i32.const 8)))
      (if (i32.eqz (local.get $n)) (then (return)))
      (if (local.get $first)
        (then
          (i32.store8 (i32.const 12) (i32.load8_u (i32.const 1024)))
          (local.set $first (i32.const 0))))
      (i32.store (i32.const 4) (local.get $n))
      (block $done
        (loop $write
          (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
            (then (call $proc_exit (i32.const 1))))
          (local.set $n (i32.sub (local.get $n) (i32.load (i32.const 8))))
          (br_if $done (i32.eqz (local.get $n)))
          (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.load (i32.const 8))))
          (i32.store (i32.const 4) (local.get $n))
          (br $write)))
      (br $copy)))

  (func (export "_start")
    (call $copy)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.eq (i32.load8_u (i32.const 12)) (i32.const 116)) ;; 't'
      (then unreachable))
    (call $proc_exit (i32.const 7)))
)
