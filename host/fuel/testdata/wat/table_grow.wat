;; run grows a table one element at a time, forever.
(module
  (table $t 0 funcref)
  (func (export "run")
    (loop $again
      (drop (table.grow $t (ref.null func) (i32.const 1)))
      (br $again))))
