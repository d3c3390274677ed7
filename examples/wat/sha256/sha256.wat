;; sha256: a CPU-heavy NexusTask task, written by hand in WAT. Its input
;; is "R:text", a decimal repeat count R, a colon and then any bytes; its
;; output is the SHA-256 (FIPS 180-4) of the text repeated R times, as 64
;; lowercase hex digits. The text is hashed straight from the input's
;; memory. The module is declared pure (it exports nexus_pure), so the host
;; may cache its results. The imports and helpers are copied from
;; abi/sdk/wat/nexus_v1.wat. Build with:
;;   wat2wasm sha256.wat -o sha256.wasm
(module
  (import "nexus_v1" "input_len" (func $input_len (result i32)))
  (import "nexus_v1" "input_read" (func $input_read (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "output_write" (func $output_write (param $ptr i32) (param $len i32) (result i32)))
  (import "nexus_v1" "error_set" (func $error_set (param $ptr i32) (param $len i32)))

  (memory (export "memory") 1)

  ;; Memory layout: 0..256 the round constants K (64 little-endian u32s);
  ;; 256..288 the state H; 288..544 the message schedule W; 544..608 the
  ;; partial block; 608..672 the hex digest; 672..688 hex digits; 704..
  ;; messages.
  (data (i32.const 0) "\98\2f\8a\42\91\44\37\71\cf\fb\c0\b5\a5\db\b5\e9\5b\c2\56\39\f1\11\f1\59\a4\82\3f\92\d5\5e\1c\ab")
  (data (i32.const 32) "\98\aa\07\d8\01\5b\83\12\be\85\31\24\c3\7d\0c\55\74\5d\be\72\fe\b1\de\80\a7\06\dc\9b\74\f1\9b\c1")
  (data (i32.const 64) "\c1\69\9b\e4\86\47\be\ef\c6\9d\c1\0f\cc\a1\0c\24\6f\2c\e9\2d\aa\84\74\4a\dc\a9\b0\5c\da\88\f9\76")
  (data (i32.const 96) "\52\51\3e\98\6d\c6\31\a8\c8\27\03\b0\c7\7f\59\bf\f3\0b\e0\c6\47\91\a7\d5\51\63\ca\06\67\29\29\14")
  (data (i32.const 128) "\85\0a\b7\27\38\21\1b\2e\fc\6d\2c\4d\13\0d\38\53\54\73\0a\65\bb\0a\6a\76\2e\c9\c2\81\85\2c\72\92")
  (data (i32.const 160) "\a1\e8\bf\a2\4b\66\1a\a8\70\8b\4b\c2\a3\51\6c\c7\19\e8\92\d1\24\06\99\d6\85\35\0e\f4\70\a0\6a\10")
  (data (i32.const 192) "\16\c1\a4\19\08\6c\37\1e\4c\77\48\27\b5\bc\b0\34\b3\0c\1c\39\4a\aa\d8\4e\4f\ca\9c\5b\f3\6f\2e\68")
  (data (i32.const 224) "\ee\82\8f\74\6f\63\a5\78\14\78\c8\84\08\02\c7\8c\fa\ff\be\90\eb\6c\50\a4\f7\a3\f9\be\f2\78\71\c6")
  (data (i32.const 672) "0123456789abcdef")
  (data (i32.const 704) "input: want R:text")
  (data (i32.const 736) "input: R must be a decimal number")
  (data (i32.const 784) "output: nexus: limit reached")

  ;; Bytes in the partial block, and the message length so far.
  (global $buffered (mut i32) (i32.const 0))
  (global $total (mut i64) (i64.const 0))

  ;; Declares the module pure to the host; never called.
  (func (export "nexus_pure"))

  (func (export "nexus_run") (result i32)
    (local $in i32) (local $len i32) (local $colon i32) (local $text i32) (local $tlen i32)
    (local $ok i32) (local $repeat i64) (local $i i64)
    (call $input_all)
    (local.set $len)
    (local.set $in)

    ;; Split at the first colon; R before it must be a decimal number.
    (local.set $colon (i32.const 0))
    (block $found
      (loop $scan
        (if (i32.ge_u (local.get $colon) (local.get $len))
          (then (return (call $fail (i32.const 704) (i32.const 18)))))
        (br_if $found (i32.eq (i32.load8_u (i32.add (local.get $in) (local.get $colon))) (i32.const 0x3a)))
        (local.set $colon (i32.add (local.get $colon) (i32.const 1)))
        (br $scan)))
    (call $trim (local.get $in) (local.get $colon))
    (call $parse_u64)
    (local.set $ok)
    (local.set $repeat)
    (if (i32.eqz (local.get $ok))
      (then (return (call $fail (i32.const 736) (i32.const 33)))))
    (local.set $text (i32.add (i32.add (local.get $in) (local.get $colon)) (i32.const 1)))
    (local.set $tlen (i32.sub (i32.sub (local.get $len) (local.get $colon)) (i32.const 1)))

    ;; Hash the text R times.
    (call $init)
    (block $done
      (loop $again
        (br_if $done (i64.ge_u (local.get $i) (local.get $repeat)))
        (call $update (local.get $text) (local.get $tlen))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $again)))
    (call $final)
    (if (i32.lt_s (call $output_write (i32.const 608) (i32.const 64)) (i32.const 0))
      (then (return (call $fail (i32.const 784) (i32.const 28)))))
    (i32.const 0))

  ;; $init starts a hash: H is the initial state.
  (func $init
    (i32.store (i32.const 256) (i32.const 0x6a09e667))
    (i32.store (i32.const 260) (i32.const 0xbb67ae85))
    (i32.store (i32.const 264) (i32.const 0x3c6ef372))
    (i32.store (i32.const 268) (i32.const 0xa54ff53a))
    (i32.store (i32.const 272) (i32.const 0x510e527f))
    (i32.store (i32.const 276) (i32.const 0x9b05688c))
    (i32.store (i32.const 280) (i32.const 0x1f83d9ab))
    (i32.store (i32.const 284) (i32.const 0x5be0cd19))
    (global.set $buffered (i32.const 0))
    (global.set $total (i64.const 0)))

  ;; $update adds [$p, $p+$len) to the message.
  (func $update (param $p i32) (param $len i32)
    (local $n i32)
    (global.set $total (i64.add (global.get $total) (i64.extend_i32_u (local.get $len))))
    (if (global.get $buffered)
      (then
        ;; Fill the partial block first.
        (local.set $n (i32.sub (i32.const 64) (global.get $buffered)))
        (if (i32.lt_u (local.get $len) (local.get $n)) (then (local.set $n (local.get $len))))
        (memory.copy (i32.add (i32.const 544) (global.get $buffered)) (local.get $p) (local.get $n))
        (global.set $buffered (i32.add (global.get $buffered) (local.get $n)))
        (local.set $p (i32.add (local.get $p) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (if (i32.lt_u (global.get $buffered) (i32.const 64)) (then (return)))
        (call $compress (i32.const 544))
        (global.set $buffered (i32.const 0))))
    ;; Whole blocks straight from the message, then keep the rest.
    (block $done
      (loop $blocks
        (br_if $done (i32.lt_u (local.get $len) (i32.const 64)))
        (call $compress (local.get $p))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $len (i32.sub (local.get $len) (i32.const 64)))
        (br $blocks)))
    (memory.copy (i32.const 544) (local.get $p) (local.get $len))
    (global.set $buffered (local.get $len)))

  ;; $final pads the message, processes the last blocks and writes the
  ;; digest as 64 hex digits at 608.
  (func $final
    (local $bits i64) (local $i i32) (local $w i32)
    (local.set $bits (i64.shl (global.get $total) (i64.const 3)))
    (i32.store8 (i32.add (i32.const 544) (global.get $buffered)) (i32.const 0x80))
    (global.set $buffered (i32.add (global.get $buffered) (i32.const 1)))
    (if (i32.gt_u (global.get $buffered) (i32.const 56))
      (then
        (memory.fill (i32.add (i32.const 544) (global.get $buffered)) (i32.const 0)
          (i32.sub (i32.const 64) (global.get $buffered)))
        (call $compress (i32.const 544))
        (global.set $buffered (i32.const 0))))
    (memory.fill (i32.add (i32.const 544) (global.get $buffered)) (i32.const 0)
      (i32.sub (i32.const 56) (global.get $buffered)))
    ;; The length in bits, big-endian.
    (loop $byte
      (i32.store8 (i32.add (i32.const 600) (local.get $i))
        (i32.wrap_i64 (i64.shr_u (local.get $bits)
          (i64.extend_i32_u (i32.sub (i32.const 56) (i32.shl (local.get $i) (i32.const 3)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $byte (i32.lt_u (local.get $i) (i32.const 8))))
    (call $compress (i32.const 544))
    ;; Each state word as 8 hex digits, most significant first.
    (local.set $i (i32.const 0))
    (loop $digit
      (local.set $w (i32.load (i32.add (i32.const 256) (i32.shl (i32.shr_u (local.get $i) (i32.const 3)) (i32.const 2)))))
      (i32.store8 (i32.add (i32.const 608) (local.get $i))
        (i32.load8_u (i32.add (i32.const 672)
          (i32.and (i32.shr_u (local.get $w)
                     (i32.sub (i32.const 28) (i32.shl (i32.and (local.get $i) (i32.const 7)) (i32.const 2))))
                   (i32.const 0xf)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $i) (i32.const 64)))))

  ;; $be32 loads the big-endian u32 at $p.
  (func $be32 (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (i32.rotl
      (i32.or (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
              (i32.shl (i32.and (local.get $x) (i32.const 0x00ff00ff)) (i32.const 8)))
      (i32.const 16)))

  ;; $compress processes the 64-byte block at $p into the state H.
  (func $compress (param $p i32)
    (local $i i32) (local $w2 i32) (local $w15 i32) (local $t1 i32) (local $t2 i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    ;; The message schedule W.
    (loop $load
      (i32.store (i32.add (i32.const 288) (i32.shl (local.get $i) (i32.const 2)))
        (call $be32 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $load (i32.lt_u (local.get $i) (i32.const 16))))
    (loop $extend
      (local.set $w15 (i32.load (i32.add (i32.const 288) (i32.shl (i32.sub (local.get $i) (i32.const 15)) (i32.const 2)))))
      (local.set $w2 (i32.load (i32.add (i32.const 288) (i32.shl (i32.sub (local.get $i) (i32.const 2)) (i32.const 2)))))
      (i32.store (i32.add (i32.const 288) (i32.shl (local.get $i) (i32.const 2)))
        (i32.add
          (i32.add
            (i32.load (i32.add (i32.const 288) (i32.shl (i32.sub (local.get $i) (i32.const 16)) (i32.const 2))))
            (i32.xor (i32.xor (i32.rotr (local.get $w15) (i32.const 7)) (i32.rotr (local.get $w15) (i32.const 18)))
                     (i32.shr_u (local.get $w15) (i32.const 3))))
          (i32.add
            (i32.load (i32.add (i32.const 288) (i32.shl (i32.sub (local.get $i) (i32.const 7)) (i32.const 2))))
            (i32.xor (i32.xor (i32.rotr (local.get $w2) (i32.const 17)) (i32.rotr (local.get $w2) (i32.const 19)))
                     (i32.shr_u (local.get $w2) (i32.const 10))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $extend (i32.lt_u (local.get $i) (i32.const 64))))
    ;; 64 rounds.
    (local.set $a (i32.load (i32.const 256)))
    (local.set $b (i32.load (i32.const 260)))
    (local.set $c (i32.load (i32.const 264)))
    (local.set $d (i32.load (i32.const 268)))
    (local.set $e (i32.load (i32.const 272)))
    (local.set $f (i32.load (i32.const 276)))
    (local.set $g (i32.load (i32.const 280)))
    (local.set $h (i32.load (i32.const 284)))
    (local.set $i (i32.const 0))
    (loop $round
      ;; t1 = h + S1(e) + ch(e, f, g) + K[i] + W[i]
      (local.set $t1
        (i32.add
          (i32.add
            (i32.add (local.get $h)
              (i32.xor (i32.xor (i32.rotr (local.get $e) (i32.const 6)) (i32.rotr (local.get $e) (i32.const 11)))
                       (i32.rotr (local.get $e) (i32.const 25))))
            (i32.xor (i32.and (local.get $e) (local.get $f))
                     (i32.and (i32.xor (local.get $e) (i32.const -1)) (local.get $g))))
          (i32.add
            (i32.load (i32.shl (local.get $i) (i32.const 2)))
            (i32.load (i32.add (i32.const 288) (i32.shl (local.get $i) (i32.const 2)))))))
      ;; t2 = S0(a) + maj(a, b, c)
      (local.set $t2
        (i32.add
          (i32.xor (i32.xor (i32.rotr (local.get $a) (i32.const 2)) (i32.rotr (local.get $a) (i32.const 13)))
                   (i32.rotr (local.get $a) (i32.const 22)))
          (i32.xor (i32.xor (i32.and (local.get $a) (local.get $b)) (i32.and (local.get $a) (local.get $c)))
                   (i32.and (local.get $b) (local.get $c)))))
      (local.set $h (local.get $g))
      (local.set $g (local.get $f))
      (local.set $f (local.get $e))
      (local.set $e (i32.add (local.get $d) (local.get $t1)))
      (local.set $d (local.get $c))
      (local.set $c (local.get $b))
      (local.set $b (local.get $a))
      (local.set $a (i32.add (local.get $t1) (local.get $t2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $i) (i32.const 64))))
    (i32.store (i32.const 256) (i32.add (i32.load (i32.const 256)) (local.get $a)))
    (i32.store (i32.const 260) (i32.add (i32.load (i32.const 260)) (local.get $b)))
    (i32.store (i32.const 264) (i32.add (i32.load (i32.const 264)) (local.get $c)))
    (i32.store (i32.const 268) (i32.add (i32.load (i32.const 268)) (local.get $d)))
    (i32.store (i32.const 272) (i32.add (i32.load (i32.const 272)) (local.get $e)))
    (i32.store (i32.const 276) (i32.add (i32.load (i32.const 276)) (local.get $f)))
    (i32.store (i32.const 280) (i32.add (i32.load (i32.const 280)) (local.get $g)))
    (i32.store (i32.const 284) (i32.add (i32.load (i32.const 284)) (local.get $h))))

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

  ;; $trim returns [$p, $p+$len) without leading and trailing whitespace.
  (func $trim (param $p i32) (param $len i32) (result i32 i32)
    (block $front
      (loop $skip
        (br_if $front (i32.eqz (local.get $len)))
        (br_if $front (i32.eqz (call $is_space (i32.load8_u (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $skip)))
    (block $back
      (loop $skip
        (br_if $back (i32.eqz (local.get $len)))
        (br_if $back (i32.eqz (call $is_space
          (i32.load8_u (i32.sub (i32.add (local.get $p) (local.get $len)) (i32.const 1))))))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $skip)))
    (local.get $p) (local.get $len))

  ;; $parse_u64 parses [$p, $p+$len), digits only, as a decimal u64:
  ;; (value, 1), or (0, 0) if it is empty, has another byte or overflows.
  (func $parse_u64 (param $p i32) (param $len i32) (result i64 i32)
    (local $v i64) (local $d i64) (local $end i32)
    (if (i32.eqz (local.get $len)) (then (return (i64.const 0) (i32.const 0))))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (loop $digit
      (local.set $d (i64.extend_i32_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30))))
      (if (i64.gt_u (local.get $d) (i64.const 9)) (then (return (i64.const 0) (i32.const 0))))
      ;; v*10 + d must not pass 2^64-1.
      (if (i64.gt_u (local.get $v)
            (i64.div_u (i64.sub (i64.const -1) (local.get $d)) (i64.const 10)))
        (then (return (i64.const 0) (i32.const 0))))
      (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (local.get $d)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $p) (local.get $end))))
    (local.get $v) (i32.const 1))
)
