;; f(n) = f(n-1) + f(n-1): 2^n calls and no loop anywhere, so only the
;; function-entry checks can stop it.
(module
  (func $f (export "run") (param $n i32) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (i64.const 1))
      (else
        (i64.add
          (call $f (i32.sub (local.get $n) (i32.const 1)))
          (call $f (i32.sub (local.get $n) (i32.const 1))))))))
