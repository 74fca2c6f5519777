;; pool_limits: a memory and a table that grow past what a small instance slot would hold.
;; Exports:
;;   grow_memory  () -> i32   grows the memory to 65,536 pages (4 GiB), writes and reads back
;;                            its last byte; returns 0, or 1 when memory.grow refused.
;;   grow_table   () -> i32   grows the table by 1,000,000 elements and reads the last one;
;;                            returns 0, or 1 when table.grow refused.
;;   write_secret () -> i32   grows the memory by one page, stores 0x5EC2E7 at 60,000 (the
;;                            first page) and at 70,000 (the grown page), sets the table's
;;                            element 0 to a function; returns 0.
;;   read_secret  () -> i32   0 when this instance starts clean: nothing at 60,000, one page of
;;                            memory, element 0 null; else 1, 2 or 3 for the first that is not.
(module
  (memory 1)
  (table 1 funcref)
  (func $marker)
  (elem declare func $marker)
  (func (export "write_secret") (result i32)
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 60000) (i32.const 0x5EC2E7))
    (i32.store (i32.const 70000) (i32.const 0x5EC2E7))
    (table.set 0 (i32.const 0) (ref.func $marker))
    (i32.const 0))
  (func (export "read_secret") (result i32)
    (if (i32.ne (i32.load (i32.const 60000)) (i32.const 0))
      (then (return (i32.const 1))))
    (if (i32.ne (memory.size) (i32.const 1))
      (then (return (i32.const 2))))
    (if (i32.eqz (ref.is_null (table.get 0 (i32.const 0))))
      (then (return (i32.const 3))))
    (i32.const 0))
  (func (export "grow_memory") (result i32)
    (if (i32.eq
          (memory.grow (i32.sub (i32.const 65536) (memory.size)))
          (i32.const -1))
      (then (return (i32.const 1))))
    (i32.store8 (i32.const -1) (i32.const 42))
    (if (i32.ne (i32.load8_u (i32.const -1)) (i32.const 42))
      (then (return (i32.const 2))))
    (i32.const 0))
  (func (export "grow_table") (result i32)
    (if (i32.eq
          (table.grow 0 (ref.null func) (i32.const 1000000))
          (i32.const -1))
      (then (return (i32.const 1))))
    (if (i32.eqz (ref.is_null (table.get 0 (i32.const 1000000))))
      (then (return (i32.const 2))))
    (i32.const 0)))
