;; reuse: frees handles the runtime already took (as the Haskell PDK does), then reads what the
;; runtime handed out after taking them; and churns the allocator within one call.
;; Imports: extism:host/env alloc, free, length, store_u8, store_u64, input_length,
;;          input_load_u8, output_set, memory_bytes, config_get, var_get, var_set,
;;          http_request, log_info.
;; Exports (each returns 0):
;;   config_twice   key "greeting" -> config_get -> free(key); outputs the value.
;;   var_get_twice  var_set("k", "stored"), then key "k" -> var_get -> free(key); outputs the
;;                  value.
;;   var_set_twice  var_set(key, value), then a new block "survivor", then free(key) and
;;                  free(value); outputs the new block.
;;   log_twice      log_info(message), then a new block "survivor", then free(message);
;;                  outputs the new block.
;;   http_twice     the input (a JSON request) copied to a new block -> http_request -> free
;;                  of that block; outputs the response body.
;;   churn          10,000 times: alloc(1 + i*37 % 5000), write a byte, free; outputs
;;                  memory_bytes() afterwards as 8 little-endian bytes.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "memory_bytes" (func $memory_bytes (result i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (memory 1)
  (data (i32.const 0x100) "greeting")
  (data (i32.const 0x110) "k")
  (data (i32.const 0x120) "stored")
  (data (i32.const 0x130) "survivor")
  (data (i32.const 0x140) "message")

  ;; Copies len bytes at ptr of this module's memory into a new Extism block.
  (func $block (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
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

  ;; Sets the output to the whole block h (none for 0).
  (func $output_block (param $h i64)
    (call $output_set (local.get $h) (call $length (local.get $h))))

  (func (export "config_twice") (result i32)
    (local $key i64) (local $value i64)
    (local.set $key (call $block (i32.const 0x100) (i32.const 8)))
    (local.set $value (call $config_get (local.get $key)))
    (call $free (local.get $key))
    (call $output_block (local.get $value))
    (i32.const 0))

  (func (export "var_get_twice") (result i32)
    (local $key i64) (local $value i64)
    (call $var_set
      (call $block (i32.const 0x110) (i32.const 1))
      (call $block (i32.const 0x120) (i32.const 6)))
    (local.set $key (call $block (i32.const 0x110) (i32.const 1)))
    (local.set $value (call $var_get (local.get $key)))
    (call $free (local.get $key))
    (call $output_block (local.get $value))
    (i32.const 0))

  (func (export "var_set_twice") (result i32)
    (local $key i64) (local $value i64) (local $survivor i64)
    (local.set $key (call $block (i32.const 0x110) (i32.const 1)))
    (local.set $value (call $block (i32.const 0x120) (i32.const 6)))
    (call $var_set (local.get $key) (local.get $value))
    (local.set $survivor (call $block (i32.const 0x130) (i32.const 8)))
    (call $free (local.get $key))
    (call $free (local.get $value))
    (call $output_block (local.get $survivor))
    (i32.const 0))

  (func (export "log_twice") (result i32)
    (local $message i64) (local $survivor i64)
    (local.set $message (call $block (i32.const 0x140) (i32.const 7)))
    (call $log_info (local.get $message))
    (local.set $survivor (call $block (i32.const 0x130) (i32.const 8)))
    (call $free (local.get $message))
    (call $output_block (local.get $survivor))
    (i32.const 0))

  (func (export "http_twice") (result i32)
    (local $request i64) (local $n i64) (local $i i64) (local $response i64)
    (local.set $n (call $input_length))
    (local.set $request (call $alloc (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $request) (local.get $i))
          (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.set $response (call $http_request (local.get $request) (i64.const 0)))
    (call $free (local.get $request))
    (call $output_block (local.get $response))
    (i32.const 0))

  (func (export "churn") (result i32)
    (local $i i64) (local $h i64) (local $out i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (i64.const 10000)))
        (local.set $h (call $alloc
          (i64.add (i64.const 1) (i64.rem_u (i64.mul (local.get $i) (i64.const 37)) (i64.const 5000)))))
        (call $store_u8 (local.get $h) (i32.const 1))
        (call $free (local.get $h))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.set $out (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $out) (call $memory_bytes))
    (call $output_set (local.get $out) (i64.const 8))
    (i32.const 0)))
