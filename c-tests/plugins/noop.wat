;; noop: no imports, no memory.
;; Exports:
;;   run      () -> ()    does nothing.
;;   run_i32  () -> i32   does nothing, returns 0.
(module
  (func (export "run"))
  (func (export "run_i32") (result i32)
    (i32.const 0)))
