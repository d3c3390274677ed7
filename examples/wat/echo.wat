;; echo: a wasi-command task that copies stdin to stdout.
;;
;; It reads stdin in 64 KiB chunks with fd_read and writes each chunk with
;; fd_write until fd_read reports end of input. Build with:
;;   wat2wasm echo.wat -o echo.wasm
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  ;; 0..8: iovec {buf, len}; 8..12: bytes read/written; 1024..: buffer.
  (memory (export "memory") 2)

  (func (export "_start")
    (local $n i32)
    (loop $copy
      ;; iovec = {1024, 65536}
      (i32.store (i32.const 0) (i32.const 1024))
      (i32.store (i32.const 4) (i32.const 65536))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $proc_exit (i32.const 1))))
      (local.set $n (i32.load (i32.const 8)))
      (if (i32.eqz (local.get $n)) (then (return)))
      ;; write the n bytes just read; fd_write may write fewer, so loop.
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
)
