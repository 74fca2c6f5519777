;; The Extism kernel: the part of `extism:host/env` that guests call once per 8 bytes.
;;
;; Extism memory is this module's memory. The block allocator and the input, output and
;; error records live on the host side (src/kernel.rs); the host implements the functions
;; imported from "host" below, and this module re-exports them, so a guest's whole
;; `extism:host/env` namespace resolves to this one instance. Loads, stores and input reads
;; are wasm-to-wasm calls; each is a bounds check and a memory access, and never traps. The
;; memory size is computed inline (memory.size, in bytes) rather than in a helper function,
;; since every extra wasm call costs a stack and epoch check on this per-8-byte path.
(module
  (import "host" "alloc" (func $alloc (param i64) (result i64)))
  (import "host" "free" (func $free (param i64)))
  (import "host" "length" (func $length (param i64) (result i64)))
  (import "host" "input_set" (func $input_set (param i64 i64)))
  (import "host" "output_set" (func $output_set (param i64 i64)))
  (import "host" "output_offset" (func $output_offset (result i64)))
  (import "host" "output_length" (func $output_length (result i64)))
  (import "host" "error_set" (func $error_set (param i64)))
  (import "host" "error_get" (func $error_get (result i64)))
  (import "host" "reset" (func $reset))
  (import "host" "memory_bytes" (func $memory_bytes (result i64)))
  (import "host" "config_get" (func $config_get (param i64) (result i64)))
  (import "host" "var_get" (func $var_get (param i64) (result i64)))
  (import "host" "var_set" (func $var_set (param i64 i64)))
  (import "host" "http_request" (func $http_request (param i64 i64) (result i64)))
  (import "host" "http_status_code" (func $http_status_code (result i32)))
  (import "host" "http_headers" (func $http_headers (result i64)))
  (import "host" "log_trace" (func $log_trace (param i64)))
  (import "host" "log_debug" (func $log_debug (param i64)))
  (import "host" "log_info" (func $log_info (param i64)))
  (import "host" "log_warn" (func $log_warn (param i64)))
  (import "host" "log_error" (func $log_error (param i64)))
  (import "host" "get_log_level" (func $get_log_level (result i32)))

  (memory (export "memory") 1)

  ;; The current call's input region, set by the host.
  (global $input_offset (export "input_offset_global") (mut i64) (i64.const 0))
  (global $input_length (export "input_length_global") (mut i64) (i64.const 0))

  (func (export "input_length") (result i64) (global.get $input_length))
  (func (export "input_offset") (result i64) (global.get $input_offset))

  (func (export "load_u8") (param $p i64) (result i32)
    (if (result i32) (i64.lt_u (local.get $p) (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
      (then (i32.load8_u (i32.wrap_i64 (local.get $p))))
      (else (i32.const 0))))

  ;; The memory is never smaller than one page, so size - 8 cannot wrap.
  (func (export "load_u64") (param $p i64) (result i64)
    (if (result i64) (i64.le_u (local.get $p) (i64.sub (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)) (i64.const 8)))
      (then (i64.load (i32.wrap_i64 (local.get $p))))
      (else (i64.const 0))))

  (func (export "store_u8") (param $p i64) (param $v i32)
    (if (i64.lt_u (local.get $p) (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
      (then (i32.store8 (i32.wrap_i64 (local.get $p)) (local.get $v)))))

  (func (export "store_u64") (param $p i64) (param $v i64)
    (if (i64.le_u (local.get $p) (i64.sub (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)) (i64.const 8)))
      (then (i64.store (i32.wrap_i64 (local.get $p)) (local.get $v)))))

  ;; The host keeps the input region inside memory, so offset + i cannot leave it.
  (func (export "input_load_u8") (param $i i64) (result i32)
    (if (result i32) (i64.lt_u (local.get $i) (global.get $input_length))
      (then (i32.load8_u
        (i32.wrap_i64 (i64.add (global.get $input_offset) (local.get $i)))))
      (else (i32.const 0))))

  (func (export "input_load_u64") (param $i i64) (result i64)
    (if (result i64)
      (i32.and
        (i64.ge_u (global.get $input_length) (i64.const 8))
        (i64.le_u (local.get $i) (i64.sub (global.get $input_length) (i64.const 8))))
      (then (i64.load
        (i32.wrap_i64 (i64.add (global.get $input_offset) (local.get $i)))))
      (else (i64.const 0))))

  (export "alloc" (func $alloc))
  (export "free" (func $free))
  (export "length" (func $length))
  (export "length_unsafe" (func $length))
  (export "input_set" (func $input_set))
  (export "output_set" (func $output_set))
  (export "output_offset" (func $output_offset))
  (export "output_length" (func $output_length))
  (export "error_set" (func $error_set))
  (export "error_get" (func $error_get))
  (export "reset" (func $reset))
  (export "memory_bytes" (func $memory_bytes))
  (export "config_get" (func $config_get))
  (export "var_get" (func $var_get))
  (export "var_set" (func $var_set))
  (export "http_request" (func $http_request))
  (export "http_status_code" (func $http_status_code))
  (export "http_headers" (func $http_headers))
  (export "log_trace" (func $log_trace))
  (export "log_debug" (func $log_debug))
  (export "log_info" (func $log_info))
  (export "log_warn" (func $log_warn))
  (export "log_error" (func $log_error))
  (export "get_log_level" (func $get_log_level))
)
