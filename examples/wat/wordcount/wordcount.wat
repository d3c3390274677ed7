;; wordcount: a NexusTask task, written by hand in WAT, that counts the
;; words, lines and bytes of its input and lists its five most frequent
;; words, as one line of JSON. For the input "the fox saw the dog\nthe dog
;; ran" it outputs
;;
;;   {"words":8,"lines":1,"bytes":31,"top":[["the",3],["dog",2],["fox",1],["ran",1],["saw",1]]}
;;
;;   - words: maximal runs of bytes other than the ASCII whitespace space,
;;     \t, \n, \v, \f and \r (as wc -w counts them), compared byte for
;;     byte (case-sensitive);
;;   - lines: the number of \n bytes (as wc -l counts them);
;;   - bytes: the input's length;
;;   - top: up to five [word, count] pairs, most frequent first, ties broken
;;     by the word in ascending byte order.
;;
;; In words, " and \ are escaped with a backslash and bytes below 0x20 as
;; \u00XX; every other byte is copied as it is. The wordcount example of
;; every language gives the same output for the same input. The module is
;; declared pure (it exports nexus_pure), so the host may cache its
;; results. The imports and helpers are copied from abi/sdk/wat/nexus_v1.wat.
;; Build with:
;;   wat2wasm wordcount.wat -o wordcount.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param $ptr i32) (param $len i32)))

  (memory (export "memory") 1)

  ;; Static data: JSON pieces, hex digits, a message; 256..276 the top
  ;; words (five slot addresses).
  (data (i32.const 0) "{\"words\":")
  (data (i32.const 16) ",\"lines\":")
  (data (i32.const 32) ",\"bytes\":")
  (data (i32.const 48) ",\"top\":[")
  (data (i32.const 64) "0123456789abcdef")
  (data (i32.const 96) "output: nexus: limit reached")

  ;; The word table: open addressing, $cap slots (a power of two) of 16
  ;; bytes at $slots: the word's address in the input (0: empty slot), its
  ;; length, and its count (i64). $used slots are taken.
  (global $slots (mut i32) (i32.const 0))
  (global $cap (mut i32) (i32.const 0))
  (global $used (mut i32) (i32.const 0))
  ;; How many top words are kept at 256.
  (global $ntop (mut i32) (i32.const 0))
  ;; Where the next output byte goes.
  (global $out (mut i32) (i32.const 0))

  ;; Declares the module pure to the host; never called.
  (func (export "nexus_pure"))

  (func (export "nexus_run") (result i32)
    (local $in i32) (local $len i32) (local $i i32) (local $start i32) (local $c i32)
    (local $words i64) (local $lines i64) (local $s i32) (local $buf i32) (local $size i32)
    (call $input_all)
    (local.set $len)
    (local.set $in)
    (call $grow)

    ;; Count lines and words, and each word in the table.
    (block $end
      (loop $scan
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load8_u (i32.add (local.get $in) (local.get $i))))
        (if (i32.eq (local.get $c) (i32.const 0x0a))
          (then (local.set $lines (i64.add (local.get $lines) (i64.const 1)))))
        (if (call $is_space (local.get $c))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $scan)))
        (local.set $start (local.get $i))
        (block $word_end
          (loop $word
            (br_if $word_end (i32.ge_u (local.get $i) (local.get $len)))
            (br_if $word_end (call $is_space (i32.load8_u (i32.add (local.get $in) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $word)))
        (local.set $words (i64.add (local.get $words) (i64.const 1)))
        (call $add (i32.add (local.get $in) (local.get $start)) (i32.sub (local.get $i) (local.get $start)))
        (br $scan)))

    ;; Keep the five best words, in rank order.
    (local.set $i (i32.const 0))
    (block $done
      (loop $slot
        (br_if $done (i32.ge_u (local.get $i) (global.get $cap)))
        (local.set $s (i32.add (global.get $slots) (i32.shl (local.get $i) (i32.const 4))))
        (if (i32.load (local.get $s)) (then (call $rank (local.get $s))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $slot)))

    ;; The JSON: its size is bounded by the fixed parts and six bytes per
    ;; byte of each top word.
    (local.set $size (i32.const 128))
    (local.set $i (i32.const 0))
    (block $sized
      (loop $top
        (br_if $sized (i32.ge_u (local.get $i) (global.get $ntop)))
        (local.set $s (i32.load (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $size (i32.add (local.get $size)
          (i32.add (i32.mul (i32.load offset=4 (local.get $s)) (i32.const 6)) (i32.const 32))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.set $buf (call $alloc (local.get $size)))
    (global.set $out (local.get $buf))
    (call $put (i32.const 0) (i32.const 9))
    (call $put_u64 (local.get $words))
    (call $put (i32.const 16) (i32.const 9))
    (call $put_u64 (local.get $lines))
    (call $put (i32.const 32) (i32.const 9))
    (call $put_u64 (i64.extend_i32_u (local.get $len)))
    (call $put (i32.const 48) (i32.const 8))
    (local.set $i (i32.const 0))
    (block $listed
      (loop $top
        (br_if $listed (i32.ge_u (local.get $i) (global.get $ntop)))
        (local.set $s (i32.load (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 2)))))
        (if (local.get $i) (then (call $put_byte (i32.const 0x2c))))
        (call $put_byte (i32.const 0x5b))
        (call $put_json_string (i32.load (local.get $s)) (i32.load offset=4 (local.get $s)))
        (call $put_byte (i32.const 0x2c))
        (call $put_u64 (i64.load offset=8 (local.get $s)))
        (call $put_byte (i32.const 0x5d))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (call $put_byte (i32.const 0x5d))
    (call $put_byte (i32.const 0x7d))
    (if (i32.lt_s (call $output_write (local.get $buf) (i32.sub (global.get $out) (local.get $buf))) (i32.const 0))
      (then (return (call $fail (i32.const 96) (i32.const 28)))))
    (i32.const 0))

  ;; $hash is FNV-1a 32 over [$p, $p+$len).
  (func $hash (param $p i32) (param $len i32) (result i32)
    (local $h i32) (local $end i32)
    (local.set $h (i32.const 2166136261))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $p))) (i32.const 16777619)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (local.get $h))

  ;; $compare compares [$a, $a+$alen) with [$b, $b+$blen) in byte order:
  ;; negative, zero or positive.
  (func $compare (param $a i32) (param $alen i32) (param $b i32) (param $blen i32) (result i32)
    (local $i i32) (local $n i32) (local $d i32)
    (local.set $n (select (local.get $alen) (local.get $blen) (i32.lt_u (local.get $alen) (local.get $blen))))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $d (i32.sub (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                               (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (if (local.get $d) (then (return (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.sub (local.get $alen) (local.get $blen)))

  ;; $find returns the slot of $slots (of $cap slots) holding the word
  ;; [$p, $p+$len), or the empty slot where it goes.
  (func $find (param $slots i32) (param $cap i32) (param $p i32) (param $len i32) (result i32)
    (local $i i32) (local $s i32)
    (local.set $i (i32.and (call $hash (local.get $p) (local.get $len)) (i32.sub (local.get $cap) (i32.const 1))))
    (loop $probe
      (local.set $s (i32.add (local.get $slots) (i32.shl (local.get $i) (i32.const 4))))
      (if (i32.eqz (i32.load (local.get $s))) (then (return (local.get $s))))
      (if (i32.eq (i32.load offset=4 (local.get $s)) (local.get $len))
        (then
          (if (i32.eqz (call $compare (i32.load (local.get $s)) (local.get $len) (local.get $p) (local.get $len)))
            (then (return (local.get $s))))))
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.sub (local.get $cap) (i32.const 1))))
      (br $probe))
    (unreachable))

  ;; $grow doubles the table (64 slots at first), moving every word. New
  ;; memory from $alloc is zero: it is never reused.
  (func $grow
    (local $cap i32) (local $slots i32) (local $i i32) (local $s i32)
    (local.set $cap (select (i32.shl (global.get $cap) (i32.const 1)) (i32.const 64) (global.get $cap)))
    (local.set $slots (call $alloc (i32.shl (local.get $cap) (i32.const 4))))
    (block $done
      (loop $move
        (br_if $done (i32.ge_u (local.get $i) (global.get $cap)))
        (local.set $s (i32.add (global.get $slots) (i32.shl (local.get $i) (i32.const 4))))
        (if (i32.load (local.get $s))
          (then
            (memory.copy
              (call $find (local.get $slots) (local.get $cap) (i32.load (local.get $s)) (i32.load offset=4 (local.get $s)))
              (local.get $s) (i32.const 16))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $move)))
    (global.set $slots (local.get $slots))
    (global.set $cap (local.get $cap)))

  ;; $add counts one occurrence of the word [$p, $p+$len).
  (func $add (param $p i32) (param $len i32)
    (local $s i32)
    (if (i32.gt_u (i32.shl (i32.add (global.get $used) (i32.const 1)) (i32.const 2))
                  (i32.mul (global.get $cap) (i32.const 3)))
      (then (call $grow)))
    (local.set $s (call $find (global.get $slots) (global.get $cap) (local.get $p) (local.get $len)))
    (if (i32.eqz (i32.load (local.get $s)))
      (then
        (i32.store (local.get $s) (local.get $p))
        (i32.store offset=4 (local.get $s) (local.get $len))
        (global.set $used (i32.add (global.get $used) (i32.const 1)))))
    (i64.store offset=8 (local.get $s) (i64.add (i64.load offset=8 (local.get $s)) (i64.const 1))))

  ;; $before reports whether slot $a ranks above slot $b: a higher count, or
  ;; the same count and a word that comes first in byte order.
  (func $before (param $a i32) (param $b i32) (result i32)
    (if (i64.ne (i64.load offset=8 (local.get $a)) (i64.load offset=8 (local.get $b)))
      (then (return (i64.gt_u (i64.load offset=8 (local.get $a)) (i64.load offset=8 (local.get $b))))))
    (i32.lt_s
      (call $compare (i32.load (local.get $a)) (i32.load offset=4 (local.get $a))
                     (i32.load (local.get $b)) (i32.load offset=4 (local.get $b)))
      (i32.const 0)))

  ;; $rank inserts slot $s into the top words if it ranks among the five
  ;; best so far.
  (func $rank (param $s i32)
    (local $j i32) (local $at i32)
    (if (i32.eq (global.get $ntop) (i32.const 5))
      (then
        (if (i32.eqz (call $before (local.get $s) (i32.load (i32.const 272))))
          (then (return)))
        (local.set $j (i32.const 4)))
      (else
        (local.set $j (global.get $ntop))
        (global.set $ntop (i32.add (global.get $ntop) (i32.const 1)))))
    ;; Shift the words it ranks above one place down.
    (block $placed
      (loop $shift
        (br_if $placed (i32.eqz (local.get $j)))
        (local.set $at (i32.add (i32.const 256) (i32.shl (local.get $j) (i32.const 2))))
        (br_if $placed (i32.eqz (call $before (local.get $s) (i32.load (i32.sub (local.get $at) (i32.const 4))))))
        (i32.store (local.get $at) (i32.load (i32.sub (local.get $at) (i32.const 4))))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $shift)))
    (i32.store (i32.add (i32.const 256) (i32.shl (local.get $j) (i32.const 2))) (local.get $s)))

  ;; $put appends [$p, $p+$len) to the output buffer.
  (func $put (param $p i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $p) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))

  ;; $put_byte appends one byte to the output buffer.
  (func $put_byte (param $c i32)
    (i32.store8 (global.get $out) (local.get $c))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))

  ;; $put_u64 appends $v in decimal to the output buffer.
  (func $put_u64 (param $v i64)
    (global.set $out (i32.add (global.get $out) (call $u64_dec (local.get $v) (global.get $out)))))

  ;; $put_json_string appends the word [$p, $p+$len) as a JSON string with
  ;; the minimal escaping described at the top of this file.
  (func $put_json_string (param $p i32) (param $len i32)
    (local $end i32) (local $c i32)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (call $put_byte (i32.const 0x22))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c)))
          (then
            (call $put_byte (i32.const 0x5c))
            (call $put_byte (local.get $c)))
          (else
            (if (i32.lt_u (local.get $c) (i32.const 0x20))
              (then
                (call $put_byte (i32.const 0x5c))
                (call $put_byte (i32.const 0x75))
                (call $put_byte (i32.const 0x30))
                (call $put_byte (i32.const 0x30))
                (call $put_byte (i32.load8_u (i32.add (i32.const 64) (i32.shr_u (local.get $c) (i32.const 4)))))
                (call $put_byte (i32.load8_u (i32.add (i32.const 64) (i32.and (local.get $c) (i32.const 0xf))))))
              (else (call $put_byte (local.get $c))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (call $put_byte (i32.const 0x22)))

  ;; The next free heap address.
  (global $heap (mut i32) (i32.const 65536))

  ;; $alloc returns $size bytes of fresh memory, 8-byte aligned, growing
  ;; the memory as needed; it traps when memory cannot grow (the host then
  ;; reports memory_limit). Nothing is ever freed or reused, so the bytes
  ;; are zero: they come from pages memory.grow added.
  (func $alloc (param $size i32) (result i32)
    (local $p i32) (local $end i64) (local $pages i64)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i64.add (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $size))))
    (local.set $pages (i64.shr_u (i64.add (local.get $end) (i64.const 65535)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i64.gt_u (local.get $pages) (i64.const 65536)) (then unreachable))
        (if (i32.lt_s
              (memory.grow (i32.sub (i32.wrap_i64 (local.get $pages)) (memory.size)))
              (i32.const 0))
          (then unreachable))))
    (global.set $heap (i32.wrap_i64 (local.get $end)))
    (local.get $p))

  ;; $input_all reads the whole input into fresh memory: (pointer, length).
  (func $input_all (result i32 i32)
    (local $p i32) (local $len i32) (local $n i32) (local $r i32)
    (local.set $len (call $input_len))
    (local.set $p (call $alloc (local.get $len)))
    (block $done
      (loop $read
        (br_if $done (i32.ge_u (local.get $n) (local.get $len)))
        (local.set $r (call $input_read
          (i32.add (local.get $p) (local.get $n)) (i32.sub (local.get $len) (local.get $n))))
        (br_if $done (i32.le_s (local.get $r) (i32.const 0)))
        (local.set $n (i32.add (local.get $n) (local.get $r)))
        (br $read)))
    (local.get $p) (local.get $n))

  ;; $fail sets the task's error message to [$ptr, $ptr+$len) and returns 1,
  ;; for nexus_run to return.
  (func $fail (param $ptr i32) (param $len i32) (result i32)
    (call $error_set (local.get $ptr) (local.get $len))
    (i32.const 1))

  ;; $is_space reports whether byte $c is ASCII whitespace (space, \t, \n,
  ;; \v, \f, \r).
  (func $is_space (param $c i32) (result i32)
    (i32.or (i32.eq (local.get $c) (i32.const 0x20))
            (i32.lt_u (i32.sub (local.get $c) (i32.const 0x09)) (i32.const 5))))

  ;; $u64_dec writes $v in decimal at $dst (up to 20 bytes) and returns the
  ;; number of bytes written.
  (func $u64_dec (param $v i64) (param $dst i32) (result i32)
    (local $n i32) (local $t i64) (local $i i32)
    ;; Count the digits, then write them from the last.
    (local.set $t (local.get $v))
    (loop $count
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
      (br_if $count (i64.ne (local.get $t) (i64.const 0))))
    (local.set $i (local.get $n))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.const 0x30) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $write (local.get $i)))
    (local.get $n))
)
