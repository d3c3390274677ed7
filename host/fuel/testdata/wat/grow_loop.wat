;; run grows memory one page at a time, forever (memory.grow fails once the
;; maximum is reached, and the loop goes on).
(module
  (memory 0 1024)
  (func (export "run")
    (loop $again
      (drop (memory.grow (i32.const 1)))
      (br $again))))
