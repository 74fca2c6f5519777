;; init_order: records which guest-runtime initialisers the host runs.
;; Imports: extism:host/env alloc, store_u8, output_set.
;; Exports:
;;   _initialize  () -> ()         appends 'I' to a record in its own memory.
;;   hs_init      (i32, i32) -> ()  appends 'H' to the record.
;;   order        () -> i32        outputs the record; returns 0.
;; It does not export __wasm_call_ctors. Expected output of `order`: "IH" (the host
;; calls _initialize then hs_init(0, 0) once per instance), on every call.
(module
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

  ;; The record: its length (i32) at 0x0, its bytes from 0x10.
  (func $append (param $c i32)
    (local $n i32)
    (local.set $n (i32.load (i32.const 0)))
    (i32.store8 (i32.add (i32.const 0x10) (local.get $n)) (local.get $c))
    (i32.store (i32.const 0) (i32.add (local.get $n) (i32.const 1))))

  (func (export "order") (result i32)
    (call $output (i32.const 0x10) (i32.load (i32.const 0)))
    (i32.const 0))

  (func (export "_initialize")
    (call $append (i32.const 0x49)))

  (func (export "hs_init") (param i32 i32)
    (call $append (i32.const 0x48))))
