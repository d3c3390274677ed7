;; spawnrange: calls one spawn import with arguments from the input, so
;; that tests can pass out-of-range pointers and bad handles. Input: seven
;; little-endian i32s: which import (0 task_spawn, 1 task_await, 2
;; task_await_any) and its arguments (as many as it takes). nexus_run
;; returns the import's result plus 1000 (so that codes are not zero).
;;
;; Build with: wat2wasm spawnrange.wat -o spawnrange.wasm
(module
  (import "nexus_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "nexus_v1" "task_spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "nexus_v1" "task_await" (func $await (param i32 i32 i32) (result i32)))
  (import "nexus_v1" "task_await_any" (func $await_any (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "child")
  (func (export "nexus_run") (result i32)
    (drop (call $input_read (i32.const 0) (i32.const 28)))
    (block $bad
    (block $any
    (block $await
    (block $spawn
      (br_table $spawn $await $any $bad (i32.load (i32.const 0))))
      (return (i32.add (i32.const 1000) (call $spawn (i32.load (i32.const 4)) (i32.load (i32.const 8))
        (i32.load (i32.const 12)) (i32.load (i32.const 16)) (i32.load (i32.const 20)) (i32.load (i32.const 24))))))
      (return (i32.add (i32.const 1000) (call $await (i32.load (i32.const 4)) (i32.load (i32.const 8)) (i32.load (i32.const 12))))))
      (return (i32.add (i32.const 1000) (call $await_any (i32.load (i32.const 4)) (i32.load (i32.const 8))))))
    (i32.const 1))
)
