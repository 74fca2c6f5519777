;; A memory for checking that a fresh plugin's memory starts as a fresh instance's does, whatever
;; an earlier plugin did with the same address range. One page initially, no maximum; no
;; imports. All exports () -> i32, the result being the call's return code:
;;   grow_fill      grows the memory to 8 + extra pages (extra: 0, 1, 2 or 8, set by set_extra_N),
;;                  counts the bytes of the grown memory that are not zero (see found), then
;;                  writes 0xab to every byte of it; returns the new size in pages, or -1 when
;;                  memory.grow refused.
;;   found          what the last grow_fill counted: 0 when the grown memory was all zero.
;;   set_extra_N    (N = 0, 1, 2, 8) sets how many pages past 8 grow_fill grows to; returns 0.
;;   size           memory.size in pages.
;;   nonzero        how many bytes of the whole memory are not zero.
;;   load_last      loads the memory's last byte; returns it.
;;   load_past_end  loads the byte just past the memory's end: traps (out of bounds).
;;   store_past_end stores to that byte: traps (out of bounds).
(module
  (memory (export "memory") 1)
  (global $extra (mut i32) (i32.const 0))
  (global $found (mut i32) (i32.const 0))
  (func (export "set_extra_0") (result i32) (global.set $extra (i32.const 0)) (i32.const 0))
  (func (export "set_extra_1") (result i32) (global.set $extra (i32.const 1)) (i32.const 0))
  (func (export "set_extra_2") (result i32) (global.set $extra (i32.const 2)) (i32.const 0))
  (func (export "set_extra_8") (result i32) (global.set $extra (i32.const 8)) (i32.const 0))
  (func (export "grow_fill") (result i32)
    (local $pages i32)
    (local.set $pages (i32.add (i32.const 8) (global.get $extra)))
    (if (i32.eq
          (memory.grow (i32.sub (local.get $pages) (memory.size)))
          (i32.const -1))
      (then (return (i32.const -1))))
    (global.set $found (call $nonzero))
    (memory.fill (i32.const 0) (i32.const 0xab) (i32.mul (memory.size) (i32.const 65536)))
    (memory.size))
  (func (export "size") (result i32) (memory.size))
  (func (export "found") (result i32) (global.get $found))
  (func $nonzero (export "nonzero") (result i32)
    (local $at i32) (local $end i32) (local $count i32)
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (if (i64.ne (i64.load (local.get $at)) (i64.const 0))
          (then
            (local.set $count (i32.add (local.get $count)
              (i32.add
                (i32.add
                  (i32.add (i32.ne (i32.load8_u offset=0 (local.get $at)) (i32.const 0))
                           (i32.ne (i32.load8_u offset=1 (local.get $at)) (i32.const 0)))
                  (i32.add (i32.ne (i32.load8_u offset=2 (local.get $at)) (i32.const 0))
                           (i32.ne (i32.load8_u offset=3 (local.get $at)) (i32.const 0))))
                (i32.add
                  (i32.add (i32.ne (i32.load8_u offset=4 (local.get $at)) (i32.const 0))
                           (i32.ne (i32.load8_u offset=5 (local.get $at)) (i32.const 0)))
                  (i32.add (i32.ne (i32.load8_u offset=6 (local.get $at)) (i32.const 0))
                           (i32.ne (i32.load8_u offset=7 (local.get $at)) (i32.const 0)))))))))
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (br $next)))
    (local.get $count))
  (func (export "load_last") (result i32)
    (i32.load8_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))))
  (func (export "load_past_end") (result i32)
    (i32.load8_u (i32.mul (memory.size) (i32.const 65536))))
  (func (export "store_past_end") (result i32)
    (i32.store8 (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))
    (i32.const 0))
)
