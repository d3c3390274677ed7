;; config: writes the task's configuration value "greeting", or "none".
;; Asks with a 4-byte buffer first, then again with the size the host
;; reports, exercising the buffer-too-small path.
(module
  (import "nexus_v1" "config_get" (func $config_get (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "greeting")
  (data (i32.const 16) "none")
  (func (export "nexus_run") (result i32)
    (local $n i32)
    (local.set $n (call $config_get (i32.const 0) (i32.const 8) (i32.const 1024) (i32.const 4)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (drop (call $output_write (i32.const 16) (i32.const 4))) (return (i32.const 0))))
    (if (i32.gt_u (local.get $n) (i32.const 4))
      (then (drop (call $config_get (i32.const 0) (i32.const 8) (i32.const 1024) (local.get $n)))))
    (drop (call $output_write (i32.const 1024) (local.get $n)))
    (i32.const 0)))
