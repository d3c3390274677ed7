;; Recursion the call graph sees only through a table or a pair of
;; functions: each export recurses n deep with almost no fuel per frame.
(module
  (type $rec (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $viaTable)
  ;; run_table recurses through call_indirect on its own table entry.
  (func $viaTable (export "run_table") (type $rec) (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add
        (call_indirect (type $rec) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0))
        (i32.const 1)))))
  ;; run_mutual recurses through $odd, which is neither exported nor in a table.
  (func $even (export "run_mutual") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $odd (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func $odd (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $even (i32.sub (local.get $n) (i32.const 1))) (i32.const 1))))))
