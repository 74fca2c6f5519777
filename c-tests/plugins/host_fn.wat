;; host_fn: calls user host functions of many signatures.
;; Imports from extism:host/user: hello_world (i64) -> i64, add_i32 (i32, i32) -> i32,
;;   add_i64 (i64, i64) -> i64, mul_f32 (f32, f32) -> f32, mul_f64 (f64, f64) -> f64,
;;   pair () -> (i32, i64); from custom: shout (i64) -> i64; plus extism:host/env.
;; Exports (all () -> i32, return 0); numbers are output in decimal:
;;   call_hello    passes the input handle (input_offset(), 0 for empty input) to
;;                 hello_world and outputs the returned block r: output_set(r, length(r)).
;;   call_add_i32  outputs add_i32(40, 2).
;;   call_add_i64  outputs add_i64(1 << 40, 2).
;;   call_mul_f32  outputs i32.trunc_f32_s(mul_f32(1.5, 4.0)) (traps on NaN/overflow).
;;   call_mul_f64  outputs i64.trunc_f64_s(mul_f64(2.5, 4.0)) (traps on NaN/overflow).
;;   call_pair     outputs "<i32>,<i64>" of the two results of pair().
;;   call_shout    like call_hello, with custom.shout.
(module
  (import "extism:host/user" "hello_world" (func $hello_world (param i64) (result i64)))
  (import "extism:host/user" "add_i32" (func $add_i32 (param i32 i32) (result i32)))
  (import "extism:host/user" "add_i64" (func $add_i64 (param i64 i64) (result i64)))
  (import "extism:host/user" "mul_f32" (func $mul_f32 (param f32 f32) (result f32)))
  (import "extism:host/user" "mul_f64" (func $mul_f64 (param f64 f64) (result f64)))
  (import "extism:host/user" "pair" (func $pair (result i32 i64)))
  (import "custom" "shout" (func $shout (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (memory 1)
  ;; Copies len bytes at ptr of this module's memory into a new Extism block (0 if len is 0).
  (func $block (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
    (if (i32.eqz (local.get $len)) (then (return (i64.const 0))))
    (local.set $h (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (call $store_u8
          (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $h))

  ;; Sets the output to len bytes at ptr of this module's memory.
  (func $output (param $ptr i32) (param $len i32)
    (call $output_set
      (call $block (local.get $ptr) (local.get $len))
      (i64.extend_i32_u (local.get $len))))

  ;; Writes v in decimal (with '-' if negative) at dst; returns the length.
  (func $fmt (param $v i64) (param $dst i32) (result i32)
    (local $u i64) (local $t i64) (local $neg i32) (local $n i32) (local $p i32)
    (local.set $u (local.get $v))
    (if (i64.lt_s (local.get $v) (i64.const 0))
      (then
        (local.set $neg (i32.const 1))
        (i32.store8 (local.get $dst) (i32.const 0x2d))
        (local.set $u (i64.sub (i64.const 0) (local.get $v)))))
    (local.set $n (i32.const 1))
    (local.set $t (i64.div_u (local.get $u) (i64.const 10)))
    (block $counted
      (loop $count
        (br_if $counted (i64.eqz (local.get $t)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
        (br $count)))
    (local.set $p (i32.add (i32.add (local.get $dst) (local.get $neg)) (local.get $n)))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 0x30) (i32.wrap_i64 (i64.rem_u (local.get $u) (i64.const 10)))))
      (local.set $u (i64.div_u (local.get $u) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $u) (i64.const 0))))
    (i32.add (local.get $neg) (local.get $n)))

  ;; Sets the output to v in decimal (formatted in the scratch area at 0x10).
  (func $output_i64 (param $v i64)
    (call $output (i32.const 0x10) (call $fmt (local.get $v) (i32.const 0x10))))

  (func (export "call_hello") (result i32)
    (local $r i64)
    (local.set $r (call $hello_world (call $input_offset)))
    (call $output_set (local.get $r) (call $length (local.get $r)))
    (i32.const 0))

  (func (export "call_add_i32") (result i32)
    (call $output_i64 (i64.extend_i32_s (call $add_i32 (i32.const 40) (i32.const 2))))
    (i32.const 0))

  (func (export "call_add_i64") (result i32)
    (call $output_i64 (call $add_i64 (i64.const 0x10000000000) (i64.const 2)))
    (i32.const 0))

  (func (export "call_mul_f32") (result i32)
    (call $output_i64
      (i64.extend_i32_s (i32.trunc_f32_s (call $mul_f32 (f32.const 1.5) (f32.const 4.0)))))
    (i32.const 0))

  (func (export "call_mul_f64") (result i32)
    (call $output_i64 (i64.trunc_f64_s (call $mul_f64 (f64.const 2.5) (f64.const 4.0))))
    (i32.const 0))

  (func (export "call_pair") (result i32)
    (local $a i32) (local $b i64) (local $n i32)
    (call $pair)
    (local.set $b)
    (local.set $a)
    (local.set $n (call $fmt (i64.extend_i32_s (local.get $a)) (i32.const 0x40)))
    (i32.store8 (i32.add (i32.const 0x40) (local.get $n)) (i32.const 0x2c))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (local.set $n
      (i32.add (local.get $n) (call $fmt (local.get $b) (i32.add (i32.const 0x40) (local.get $n)))))
    (call $output (i32.const 0x40) (local.get $n))
    (i32.const 0))

  (func (export "call_shout") (result i32)
    (local $r i64)
    (local.set $r (call $shout (call $input_offset)))
    (call $output_set (local.get $r) (call $length (local.get $r)))
    (i32.const 0)))
