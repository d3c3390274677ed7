;; exprec: loop-free exponential recursion, f(n) = f(n-1) + f(n-1), f(0) = 1,
;; called with n = 60: 2^60 calls and not one loop. Stopped by fuel checks at
;; function entry.
(module
  (memory (export "memory") 1)
  (func $f (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 1))
      (else (i64.add
        (call $f (i64.sub (local.get $n) (i64.const 1)))
        (call $f (i64.sub (local.get $n) (i64.const 1)))))))
  (func (export "_start") (drop (call $f (i64.const 60)))))
