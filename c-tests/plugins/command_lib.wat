;; command_lib: a command module (exports _start) for command_main (load it under the
;; module name "cmd"). Every call into it from another module runs on a fresh
;; instance, so `count` always returns 1.
;; No imports.
;; Exports:
;;   _start  () -> ()    does nothing.
;;   count   () -> i32   increments a global counter (initially 0) and returns it.
(module
  (global $counter (mut i32) (i32.const 0))
  (func (export "_start"))
  (func (export "count") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter)))
