;; f(n) recurses n deep with almost no fuel per frame.
(module
  (func $f (export "run") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $f (i32.sub (local.get $n) (i32.const 1))) (i32.const 1))))))
