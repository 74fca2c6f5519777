;; multi_main: main module linked with multi_lib (which must be named "lib").
;; Imports: lib.add (i32, i32) -> i32, lib.bump () -> i32, and extism:host/env.
;; Exports (both () -> i32, return 0):
;;   run   outputs add(40, 2) in decimal: "42".
;;   bump  calls lib.bump and outputs its result in decimal ("1", then "2", ... while
;;         the lib instance lives).
(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (import "lib" "bump" (func $bump (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
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

  (func (export "run") (result i32)
    (call $output_i64 (i64.extend_i32_s (call $add (i32.const 40) (i32.const 2))))
    (i32.const 0))

  (func (export "bump") (result i32)
    (call $output_i64 (i64.extend_i32_s (call $bump)))
    (i32.const 0)))
