;; config_var: reads config, and reads and writes vars.
;; Imports: extism:host/env input_length, input_load_u8, alloc, store_u8, length,
;;   output_set, error_set, config_get, var_get, var_set.
;; Keys and values are copied from the input into new blocks; an empty key or value
;; is passed as handle 0 (the empty string for a key, a delete for a value).
;; Exports (all () -> i32):
;;   get_config      input is a key; outputs config_get(key) and returns 0, or sets the
;;                   error "missing" and returns 1 when the key is absent (or its
;;                   value is empty, since the host then returns handle 0).
;;   get_var         input is a key; outputs the var's value, or "none" if unset; returns 0.
;;   set_var         input "key=value" (split at the first '='): var_set(key, value);
;;                   returns 0. Without '=' sets the error "expected key=value", returns 1.
;;   del_var         input is a key: var_set(key, 0); returns 0.
;;   bad_config_key  config_get(0xFFFFFF), an invalid handle: the host is expected to
;;                   fail the call; if it does not, returns 0 with no output.
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (memory 1)
  (data (i32.const 0x100) "missing")
  (data (i32.const 0x110) "none")
  (data (i32.const 0x120) "expected key=value")
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

  ;; Copies input bytes [start, start+len) into a new block (0 if len is 0).
  (func $input_block (param $start i64) (param $len i64) (result i64)
    (local $h i64) (local $i i64)
    (if (i64.eqz (local.get $len)) (then (return (i64.const 0))))
    (local.set $h (call $alloc (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
        (call $store_u8
          (i64.add (local.get $h) (local.get $i))
          (call $input_load_u8 (i64.add (local.get $start) (local.get $i))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $h))

  (func $input_key (result i64)
    (call $input_block (i64.const 0) (call $input_length)))

  ;; Outputs block h (handed to the runtime).
  (func $output_block (param $h i64)
    (call $output_set (local.get $h) (call $length (local.get $h))))

  (func (export "get_config") (result i32)
    (local $v i64)
    (local.set $v (call $config_get (call $input_key)))
    (if (i64.eqz (local.get $v))
      (then
        (call $error_set (call $block (i32.const 0x100) (i32.const 7)))
        (return (i32.const 1))))
    (call $output_block (local.get $v))
    (i32.const 0))

  (func (export "get_var") (result i32)
    (local $v i64)
    (local.set $v (call $var_get (call $input_key)))
    (if (i64.eqz (local.get $v))
      (then (call $output (i32.const 0x110) (i32.const 4)))
      (else (call $output_block (local.get $v))))
    (i32.const 0))

  (func (export "set_var") (result i32)
    (local $n i64) (local $eq i64)
    (local.set $n (call $input_length))
    (block $found
      (loop $scan
        (if (i64.ge_u (local.get $eq) (local.get $n))
          (then
            (call $error_set (call $block (i32.const 0x120) (i32.const 18)))
            (return (i32.const 1))))
        (br_if $found (i32.eq (call $input_load_u8 (local.get $eq)) (i32.const 0x3d)))
        (local.set $eq (i64.add (local.get $eq) (i64.const 1)))
        (br $scan)))
    (call $var_set
      (call $input_block (i64.const 0) (local.get $eq))
      (call $input_block
        (i64.add (local.get $eq) (i64.const 1))
        (i64.sub (i64.sub (local.get $n) (local.get $eq)) (i64.const 1))))
    (i32.const 0))

  (func (export "del_var") (result i32)
    (call $var_set (call $input_key) (i64.const 0))
    (i32.const 0))

  (func (export "bad_config_key") (result i32)
    (drop (call $config_get (i64.const 0xFFFFFF)))
    (i32.const 0)))
