;; wasi_links: creates links through WASI preview1 in the first preopened directory (fd 3),
;; for the link checks of docs/abi.md §8.3. Needs with_wasi.
;;
;; Exports, each () -> i32 returning 0, with the WASI errno of the operation as the output, in
;; decimal ("0" on success, "63" for EPERM):
;;   symlink      input "TARGET\nLINK": path_symlink(TARGET, fd 3, LINK).
;;   link         input "OLD\nNEW": path_link(fd 3, no lookup flags, OLD, fd 3, NEW), a hard
;;                link of OLD itself (not of what it points to).
;;   symlink_oob  input "LINK": path_symlink with a target that runs past the end of memory
;;                (offset 65530, 100 bytes); the host fails the call.
;; Also exports `memory`.
(module
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link"
    (func $path_link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)

  ;; The input is copied to offset 1024; $split is the offset in it of the first '\n' (the
  ;; input length when there is none).
  (global $len (mut i32) (i32.const 0))
  (global $split (mut i32) (i32.const 0))

  (func $read_input
    (local $i i32)
    (local $byte i32)
    (global.set $len (i32.wrap_i64 (call $input_length)))
    (global.set $split (global.get $len))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (global.get $len)))
        (local.set $byte (call $input_load_u8 (i64.extend_i32_u (local.get $i))))
        (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (local.get $byte))
        (if (i32.and (i32.eq (local.get $byte) (i32.const 10))
                     (i32.eq (global.get $split) (global.get $len)))
          (then (global.set $split (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy))))

  ;; The part after the '\n': its offset and length.
  (func $second (result i32)
    (i32.add (i32.const 1025) (global.get $split)))
  (func $second_len (result i32)
    (i32.sub (i32.sub (global.get $len) (global.get $split)) (i32.const 1)))

  ;; Sets the output to `n` in decimal.
  (func $output_number (param $n i32)
    (local $p i32)
    (local $count i32)
    (local $handle i64)
    (local $i i32)
    (local.set $p (i32.const 80))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (local.set $count (i32.sub (i32.const 80) (local.get $p)))
    (local.set $handle (call $alloc (i64.extend_i32_u (local.get $count))))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (call $store_u8
          (i64.add (local.get $handle) (i64.extend_i32_u (local.get $i)))
          (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (call $output_set (local.get $handle) (i64.extend_i32_u (local.get $count))))

  (func (export "symlink") (result i32)
    (call $read_input)
    (call $output_number
      (call $path_symlink
        (i32.const 1024) (global.get $split)
        (i32.const 3)
        (call $second) (call $second_len)))
    (i32.const 0))

  (func (export "link") (result i32)
    (call $read_input)
    (call $output_number
      (call $path_link
        (i32.const 3) (i32.const 0) (i32.const 1024) (global.get $split)
        (i32.const 3) (call $second) (call $second_len)))
    (i32.const 0))

  (func (export "symlink_oob") (result i32)
    (call $read_input)
    (call $output_number
      (call $path_symlink
        (i32.const 65530) (i32.const 100)
        (i32.const 3)
        (i32.const 1024) (global.get $len)))
    (i32.const 0)))
