;; returns: exports with various result types, and error/output paths.
;; Exports:
;;   ret_42            () -> i32        returns 42.
;;   ret_neg           () -> i32        returns -7.
;;   ret_none          () -> ()         returns nothing.
;;   ret_i64           () -> i64        returns 5.
;;   ret_f32           () -> f32        returns 1.5.
;;   two_results       () -> (i32 i32)  returns 1, 2.
;;   takes_param       (i32) -> i32     returns its argument.
;;   error_rc0         () -> i32        error_set("guest error"), returns 0.
;;   error_rc7         () -> i32        error_set("bad thing"), returns 7.
;;   error_then_trap   () -> i32        error_set("failed before trap"), then traps (unreachable).
;;   output_hello      () -> i32        output "hello", returns 0.
;;   output_then_trap  () -> i32        output "partial", then traps (unreachable).
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (memory 1)
  (data (i32.const 0x100) "guest error")
  (data (i32.const 0x120) "bad thing")
  (data (i32.const 0x140) "failed before trap")
  (data (i32.const 0x160) "hello")
  (data (i32.const 0x180) "partial")

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

  (func $output (param $ptr i32) (param $len i32)
    (call $output_set
      (call $block (local.get $ptr) (local.get $len))
      (i64.extend_i32_u (local.get $len))))

  (func (export "ret_42") (result i32) (i32.const 42))
  (func (export "ret_neg") (result i32) (i32.const -7))
  (func (export "ret_none"))
  (func (export "ret_i64") (result i64) (i64.const 5))
  (func (export "ret_f32") (result f32) (f32.const 1.5))
  (func (export "two_results") (result i32 i32) (i32.const 1) (i32.const 2))
  (func (export "takes_param") (param i32) (result i32) (local.get 0))

  (func (export "error_rc0") (result i32)
    (call $error_set (call $block (i32.const 0x100) (i32.const 11)))
    (i32.const 0))

  (func (export "error_rc7") (result i32)
    (call $error_set (call $block (i32.const 0x120) (i32.const 9)))
    (i32.const 7))

  (func (export "error_then_trap") (result i32)
    (call $error_set (call $block (i32.const 0x140) (i32.const 18)))
    (unreachable))

  (func (export "output_hello") (result i32)
    (call $output (i32.const 0x160) (i32.const 5))
    (i32.const 0))

  (func (export "output_then_trap") (result i32)
    (call $output (i32.const 0x180) (i32.const 7))
    (unreachable)))
