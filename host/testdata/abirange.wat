;; abirange: calls one nexus_v1 import that takes memory ranges, with
;; arguments from the input, so that tests can pass out-of-range pointers.
;; Input: five little-endian i32s: which import (0 input_read, 1
;; output_write, 2 error_set, 3 log, 4 checkpoint_save, 5 checkpoint_load,
;; 6 kv_get, 7 kv_set, 8 kv_delete, 9 config_get) and its arguments a, b, c,
;; d (as many as it takes). nexus_run returns the import's result, or 0.
(module
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param i32 i32)))
  (import "nexus_v1" "log" (func $log (param i32 i32 i32)))
  (import "nexus_v1" "checkpoint_save" (func $checkpoint_save (param i32 i32) (result i32)))
  (import "nexus_v1" "checkpoint_load" (func $checkpoint_load (param i32 i32) (result i32)))
  (import "nexus_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "kv_delete" (func $kv_delete (param i32 i32) (result i32)))
  (import "nexus_v1" "config_get" (func $config_get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nexus_run") (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (if (i32.ne (call $input_read (i32.const 0) (i32.const 20)) (i32.const 20))
      (then (return (i32.const 100))))
    (local.set $a (i32.load (i32.const 4)))
    (local.set $b (i32.load (i32.const 8)))
    (local.set $c (i32.load (i32.const 12)))
    (local.set $d (i32.load (i32.const 16)))
    (block $bad
    (block $config_get
    (block $kv_delete
    (block $kv_set
    (block $kv_get
    (block $checkpoint_load
    (block $checkpoint_save
    (block $log
    (block $error_set
    (block $output_write
    (block $input_read
      (br_table $input_read $output_write $error_set $log $checkpoint_save
                $checkpoint_load $kv_get $kv_set $kv_delete $config_get $bad
        (i32.load (i32.const 0))))
      (return (call $input_read (local.get $a) (local.get $b))))
      (return (call $output_write (local.get $a) (local.get $b))))
      (call $error_set (local.get $a) (local.get $b))
      (return (i32.const 0)))
      (call $log (local.get $a) (local.get $b) (local.get $c))
      (return (i32.const 0)))
      (return (call $checkpoint_save (local.get $a) (local.get $b))))
      (return (call $checkpoint_load (local.get $a) (local.get $b))))
      (return (call $kv_get (local.get $a) (local.get $b) (local.get $c) (local.get $d))))
      (return (call $kv_set (local.get $a) (local.get $b) (local.get $c) (local.get $d))))
      (return (call $kv_delete (local.get $a) (local.get $b))))
      (return (call $config_get (local.get $a) (local.get $b) (local.get $c) (local.get $d))))
    (i32.const 101)))
