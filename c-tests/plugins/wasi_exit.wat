;; wasi_exit: ends calls with WASI proc_exit (needs WASI).
;; Imports: wasi_snapshot_preview1 proc_exit (i32); extism:host/env alloc, store_u8, error_set.
;; Exports (all () -> i32; none returns normally):
;;   exit0             proc_exit(0).
;;   exit3             proc_exit(3).
;;   exit500           proc_exit(500).
;;   exit_after_error  error_set("bye"), then proc_exit(1).
;; Also exports its memory as "memory" (WASI implementations look it up).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "bye")
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

  (func (export "exit0") (result i32)
    (call $proc_exit (i32.const 0))
    (unreachable))

  (func (export "exit3") (result i32)
    (call $proc_exit (i32.const 3))
    (unreachable))

  (func (export "exit500") (result i32)
    (call $proc_exit (i32.const 500))
    (unreachable))

  (func (export "exit_after_error") (result i32)
    (call $error_set (call $block (i32.const 0x100) (i32.const 3)))
    (call $proc_exit (i32.const 1))
    (unreachable)))
