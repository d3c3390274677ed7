;; The start function never returns, so instantiation never completes.
(module
  (func $start (loop $forever (br $forever)))
  (start $start))
