;; two_memories: a module with two memories of its own (multi-memory), which an instance slot
;; of one memory cannot hold.
;; Exports:
;;   run  () -> i32   writes 7 to the second memory and returns what it reads back.
(module
  (memory $a 1)
  (memory $b 1)
  (func (export "run") (result i32)
    (i32.store8 $b (i32.const 100) (i32.const 7))
    (i32.load8_u $b (i32.const 100))))
