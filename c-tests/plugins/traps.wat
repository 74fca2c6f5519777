;; traps: exports that trap or never finish. All are () -> i32.
;; Exports:
;;   unreachable     executes `unreachable`.
;;   div_zero        i32.div_s 1 by a zero read from a mutable global (not foldable) — traps for any input.
;;   oob             i32.load at 0xFFFFFFF0 of its own 1-page memory: out-of-bounds trap.
;;   stack_overflow  unbounded non-tail recursion: call stack exhausted.
;;   infinite_loop   loops forever (needs a timeout, cancel or fuel to stop).
;;   grow_bomb       memory.grow by 1 page in a loop until it returns -1, then returns 0
;;                   (with max_pages set, the host is expected to fail the call with "oom").
;;   alloc_bomb      calls alloc(65536) forever without freeing; returns 1 if alloc returns 0.
;; Imports: extism:host/env alloc.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (memory 1)
  (global $zero (mut i32) (i32.const 0))

  (func (export "unreachable") (result i32)
    (unreachable))

  (func (export "div_zero") (result i32)
    (i32.div_s (i32.const 1) (global.get $zero)))

  (func (export "oob") (result i32)
    (i32.load (i32.const 0xFFFFFFF0)))

  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  (func (export "stack_overflow") (result i32)
    (call $recurse (i32.const 0)))

  (func (export "infinite_loop") (result i32)
    (loop $forever (br $forever))
    (i32.const 0))

  (func (export "grow_bomb") (result i32)
    (block $refused
      (loop $again
        (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $again)))
    (i32.const 0))

  (func (export "alloc_bomb") (result i32)
    (loop $again
      (if (i64.eqz (call $alloc (i64.const 65536)))
        (then (return (i32.const 1))))
      (br $again))
    (i32.const 1)))
