;; startloop: an infinite loop in the Wasm start function, which runs while
;; the module is instantiated, before any export is called.
(module
  (memory (export "memory") 1)
  (func $start (loop $l (br $l)))
  (start $start)
  (func (export "_start")))
