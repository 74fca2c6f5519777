;; host_fn_hello: minimal caller of one user host function (for benchmarks).
;; Imports: extism:host/user hello_world (i64) -> i64; extism:host/env input_offset,
;;   length, output_set.
;; Exports (both () -> i32, return 0):
;;   call_hello    passes the input handle (input_offset(), 0 for empty input) to
;;                 hello_world (once) and outputs the returned block r:
;;                 output_set(r, length(r)).
;;   call_hello_n  identical to call_hello (one hello_world call per plugin call).
(module
  (import "extism:host/user" "hello_world" (func $hello_world (param i64) (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))

  (func $call_hello (export "call_hello") (result i32)
    (local $r i64)
    (local.set $r (call $hello_world (call $input_offset)))
    (call $output_set (local.get $r) (call $length (local.get $r)))
    (i32.const 0))

  (func (export "call_hello_n") (result i32)
    (call $call_hello)))
