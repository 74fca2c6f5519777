;; multi_lib: library module for multi_main (load it under the module name "lib").
;; A reactor (no _start), so its state persists between calls.
;; No imports.
;; Exports:
;;   add   (i32, i32) -> i32   returns the sum.
;;   bump  () -> i32           increments a global counter and returns it (1, 2, 3, ...).
(module
  (global $counter (mut i32) (i32.const 0))
  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter)))
