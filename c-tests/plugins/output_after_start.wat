;; output_after_start: a command whose `_start` leaves a 64 KiB output, so the store that
;; holds it is rebuilt before the next call, which asks the host for that output.
;; Imports: extism:host/env alloc, output_set; extism:host/user read_output () -> ().
;; Exports:
;;   _start  () -> ()    sets the output to a new 64 KiB block (two pages of Extism memory).
;;   probe   () -> i32   calls read_output, then returns 0 with no output.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/user" "read_output" (func $read_output))
  (func (export "_start")
    (call $output_set (call $alloc (i64.const 65536)) (i64.const 65536)))
  (func (export "probe") (result i32)
    (call $read_output)
    (i32.const 0)))
