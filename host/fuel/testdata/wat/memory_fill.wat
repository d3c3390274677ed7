;; fill(len) writes 0xab to len bytes at address 0; grow(pages) grows memory.
(module
  (memory (export "memory") 1 65536)
  (func (export "fill") (param $len i32)
    (memory.fill (i32.const 0) (i32.const 0xab) (local.get $len)))
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages))))
