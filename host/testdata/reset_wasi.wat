;; reset_wasi: a nexus-v1 task that changes its WASI state. Input "write"
;; closes stderr (fd 2); any other input writes "e\n" to stderr and
;; outputs fd_write's errno as a byte ("\x00" in a new instance).
(module
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "e\n")
  (func (export "nexus_run") (result i32)
    (if (i32.eq (call $input_len) (i32.const 5))
      (then
        (drop (call $fd_close (i32.const 2)))
        (return (i32.const 0))))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 2))
    (i32.store8 (i32.const 32) (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $output_write (i32.const 32) (i32.const 1)))
    (i32.const 0)))
