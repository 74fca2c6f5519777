;; kernel: self-checking scenarios for the Extism memory functions (extism:host/env).
;; Every export is () -> i32 and runs one scenario: it returns 0 when every check
;; passed, otherwise the number of the first failed check, and then also sets the
;; output to "<scenario>: <check>" (for example "alloc_zero: alloc(0) == 0").
;;
;; Exports and their checks, in order (call with empty input unless noted):
;;   alloc_zero       1 alloc(0) == 0
;;   alloc_length     alloc(n) for n = 1, 7, 8, 9, 4096, 65539:
;;                    1 each != 0; 2 length(h) == n; 3 length_unsafe(h) == n;
;;                    4 no two blocks overlap; then a distinct byte pattern is written
;;                    to each block (store_u64 per 8 bytes, store_u8 for the tail) and
;;                    5 every byte reads back with load_u8; 6 every 8-byte word reads
;;                    back with load_u64
;;   length_invalid   h = alloc(16): 1 h != 0; 2 length(0) == 0; 3 length(h+1) == 0;
;;                    4 length(0x7fffffffffffffff) == 0; 5 length(-1) == 0;
;;                    (length_unsafe on 0, -1, h+1 and huge must not trap)
;;                    6 length(h) == 16 afterwards
;;   free_then_length h = alloc(32), g = alloc(64): 1 both != 0; free(h): 2 length(h) == 0;
;;                    free(0), free(g+5), free(-1), free(0x7ffffffffffffff0),
;;                    free(0xdeadbeef), free(h) again: 3 length(g) == 64;
;;                    a = alloc(32), b = alloc(32): 4 both != 0; 5 both lengths == 32;
;;                    6 a, b, g do not overlap; 7 patterns written to a, b, g read back
;;   reuse_after_free h = alloc(100): 1 h != 0; free(h), h2 = alloc(100): 2 h2 != 0;
;;                    3 length(h2) == 100; pattern written: 4 load_u8 and 5 load_u64 read it back
;;   bounds           mb = memory_bytes(): 1 load_u8(mb+100) == 0; 2 load_u64(mb+100) == 0;
;;                    3 load_u8(-1) == 0; 4 load_u64(-1) == 0; 5 load_u64(mb-4) == 0;
;;                    6 load_u8(mb) == 0; store_u8/store_u64 at mb+100, -1 and
;;                    store_u64 at mb-4 do not trap and 7 change nothing (bytes mb-4..mb-1,
;;                    load_u8(mb+100), memory_bytes()); h = alloc(16): 8 h != 0;
;;                    store_u64(h+3, 0x0102030405060708): 9 load_u8(h+3) == 8;
;;                    10 load_u8(h+10) == 1; 11 load_u64(h+3) == 0x0102030405060708;
;;                    store_u8(h+1, 0xaa), store_u8(h+2, 0xbb):
;;                    12 load_u64(h+1) == 0x030405060708bbaa
;;   input            needs input "0123456789abcdef!" (17 bytes): 1 input_length() == 17;
;;                    2 input_load_u64(0) == LE "01234567"; 3 input_load_u64(9) == LE "9abcdef!";
;;                    4 input_load_u64(10) == 0; 5 input_load_u8(16) == '!';
;;                    6 input_load_u8(17) == 0; 7 input_load_u64(-1) == 0;
;;                    8 input_offset() != 0; 9 load_u8(input_offset()+16) == '!';
;;                    10 length(input_offset()) == 17; 11 input_load_u8(-1) == 0
;;   input_empty      needs empty input: 1 input_length() == 0; 2 input_offset() == 0;
;;                    3 input_load_u8(0) == 0; 4 input_load_u64(0) == 0
;;   echo_via_offset  output_set(input_offset(), input_length()); returns 0 (output == input)
;;   output_invalid   output_set(0, 5): 1 output_length() == 0; 2 output_offset() == 0;
;;                    output_set(memory_bytes()+64, 4): 3 output_length() == 0;
;;                    h = block "ok", output_set(h, 2): 4 output_offset() == h;
;;                    5 output_length() == 2. Output on success: "ok"
;;   error_get_set    1 error_get() == 0; error_set(h = block "e1"): 2 error_get() == h;
;;                    error_set(0): 3 error_get() == 0. Returns 0 with no error set.
;;   reset            h = alloc(10), output_set(h, 10), error_set(block "e"): 1 h != 0;
;;                    reset(): 2 length(h) == 0; 3 input_length() == 0; 4 input_offset() == 0;
;;                    5 output_length() == 0; 6 output_offset() == 0; 7 error_get() == 0;
;;                    8 alloc(10) != 0; 9 its length == 10. Works with or without input.
;;   memory_bytes     1 memory_bytes() > 0; h = alloc(2 MiB): 2 h != 0;
;;                    3 memory_bytes() >= 2 MiB; 4 length(h) == 2 MiB
;;   alloc_huge       1 alloc(1 << 40) == 0. The host may instead fail the call with
;;                    "oom" (e.g. under max_pages); the plugin itself never traps here.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "length_unsafe" (func $length_unsafe (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "output_offset" (func $output_offset (result i64)))
  (import "extism:host/env" "output_length" (func $output_length (result i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "error_get" (func $error_get (result i64)))
  (import "extism:host/env" "reset" (func $reset))
  (import "extism:host/env" "memory_bytes" (func $memory_bytes (result i64)))

  (memory 1)

  ;; 0x40: six i64 handles (alloc_length); 0x80: the six i64 sizes.
  (data (i32.const 0x80)
    "\01\00\00\00\00\00\00\00" "\07\00\00\00\00\00\00\00" "\08\00\00\00\00\00\00\00"
    "\09\00\00\00\00\00\00\00" "\00\10\00\00\00\00\00\00" "\03\00\01\00\00\00\00\00")
  (data (i32.const 0x200) "ok")
  (data (i32.const 0x210) "e1")
  (data (i32.const 0x220) "e")

  ;; Failure texts: slot s lives at 4096 + 64*s, NUL-terminated.
  (data (i32.const 4160) "alloc_zero: alloc(0) == 0\00")
  (data (i32.const 4224) "alloc_length: alloc(n) != 0\00")
  (data (i32.const 4288) "alloc_length: length(h) == n\00")
  (data (i32.const 4352) "alloc_length: length_unsafe(h) == n\00")
  (data (i32.const 4416) "alloc_length: blocks do not overlap\00")
  (data (i32.const 4480) "alloc_length: load_u8 reads back stored bytes\00")
  (data (i32.const 4544) "alloc_length: load_u64 reads back stored bytes\00")
  (data (i32.const 4608) "length_invalid: alloc(16) != 0\00")
  (data (i32.const 4672) "length_invalid: length(0) == 0\00")
  (data (i32.const 4736) "length_invalid: length(h+1) == 0\00")
  (data (i32.const 4800) "length_invalid: length(0x7fffffffffffffff) == 0\00")
  (data (i32.const 4864) "length_invalid: length(-1) == 0\00")
  (data (i32.const 4928) "length_invalid: length(h) == 16\00")
  (data (i32.const 4992) "free_then_length: alloc != 0\00")
  (data (i32.const 5056) "free_then_length: length(freed) == 0\00")
  (data (i32.const 5120) "free_then_length: live block kept after bad frees\00")
  (data (i32.const 5184) "free_then_length: alloc after frees != 0\00")
  (data (i32.const 5248) "free_then_length: length(new) == 32\00")
  (data (i32.const 5312) "free_then_length: blocks do not overlap\00")
  (data (i32.const 5376) "free_then_length: data reads back\00")
  (data (i32.const 5440) "reuse_after_free: alloc(100) != 0\00")
  (data (i32.const 5504) "reuse_after_free: alloc after free != 0\00")
  (data (i32.const 5568) "reuse_after_free: length == 100\00")
  (data (i32.const 5632) "reuse_after_free: load_u8 reads back\00")
  (data (i32.const 5696) "reuse_after_free: load_u64 reads back\00")
  (data (i32.const 5760) "bounds: load_u8(memory_bytes+100) == 0\00")
  (data (i32.const 5824) "bounds: load_u64(memory_bytes+100) == 0\00")
  (data (i32.const 5888) "bounds: load_u8(-1) == 0\00")
  (data (i32.const 5952) "bounds: load_u64(-1) == 0\00")
  (data (i32.const 6016) "bounds: load_u64(memory_bytes-4) == 0\00")
  (data (i32.const 6080) "bounds: load_u8(memory_bytes) == 0\00")
  (data (i32.const 6144) "bounds: out-of-range stores are ignored\00")
  (data (i32.const 6208) "bounds: alloc(16) != 0\00")
  (data (i32.const 6272) "bounds: load_u8(h+3) == 8 after store_u64(h+3)\00")
  (data (i32.const 6336) "bounds: load_u8(h+10) == 1 after store_u64(h+3)\00")
  (data (i32.const 6400) "bounds: unaligned load_u64(h+3) round-trips\00")
  (data (i32.const 6464) "bounds: unaligned load_u64(h+1) is little-endian\00")
  (data (i32.const 6528) "input: input_length() == 17\00")
  (data (i32.const 6592) "input: input_load_u64(0) == \"01234567\"\00")
  (data (i32.const 6656) "input: input_load_u64(9) == \"9abcdef!\"\00")
  (data (i32.const 6720) "input: input_load_u64(10) == 0\00")
  (data (i32.const 6784) "input: input_load_u8(16) == '!'\00")
  (data (i32.const 6848) "input: input_load_u8(17) == 0\00")
  (data (i32.const 6912) "input: input_load_u64(-1) == 0\00")
  (data (i32.const 6976) "input: input_offset() != 0\00")
  (data (i32.const 7040) "input: load_u8(input_offset()+16) == '!'\00")
  (data (i32.const 7104) "input: length(input_offset()) == 17\00")
  (data (i32.const 7168) "input: input_load_u8(-1) == 0\00")
  (data (i32.const 7232) "input_empty: input_length() == 0\00")
  (data (i32.const 7296) "input_empty: input_offset() == 0\00")
  (data (i32.const 7360) "input_empty: input_load_u8(0) == 0\00")
  (data (i32.const 7424) "input_empty: input_load_u64(0) == 0\00")
  (data (i32.const 7488) "output_invalid: output_set(0, 5) ignored (length)\00")
  (data (i32.const 7552) "output_invalid: output_set(0, 5) ignored (offset)\00")
  (data (i32.const 7616) "output_invalid: output_set(memory_bytes+64, 4) ignored\00")
  (data (i32.const 7680) "output_invalid: output_offset() == h\00")
  (data (i32.const 7744) "output_invalid: output_length() == 2\00")
  (data (i32.const 7808) "error_get_set: error_get() == 0 initially\00")
  (data (i32.const 7872) "error_get_set: error_get() == h after error_set(h)\00")
  (data (i32.const 7936) "error_get_set: error_get() == 0 after error_set(0)\00")
  (data (i32.const 8000) "reset: alloc != 0\00")
  (data (i32.const 8064) "reset: length(old) == 0\00")
  (data (i32.const 8128) "reset: input_length() == 0\00")
  (data (i32.const 8192) "reset: input_offset() == 0\00")
  (data (i32.const 8256) "reset: output_length() == 0\00")
  (data (i32.const 8320) "reset: output_offset() == 0\00")
  (data (i32.const 8384) "reset: error_get() == 0\00")
  (data (i32.const 8448) "reset: alloc after reset != 0\00")
  (data (i32.const 8512) "reset: length(new) == 10\00")
  (data (i32.const 8576) "memory_bytes: memory_bytes() > 0\00")
  (data (i32.const 8640) "memory_bytes: alloc(2 MiB) != 0\00")
  (data (i32.const 8704) "memory_bytes: memory_bytes() >= 2 MiB\00")
  (data (i32.const 8768) "memory_bytes: length == 2 MiB\00")
  (data (i32.const 8832) "alloc_huge: alloc(1 << 40) == 0\00")

  ;; Copies len bytes at ptr of this module's memory into a new Extism block.
  (func $block (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
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

  ;; Sets the output to the failure text of `slot` and returns `check`.
  (func $fail (param $check i32) (param $slot i32) (result i32)
    (local $ptr i32) (local $len i32)
    (local.set $ptr (i32.add (i32.const 4096) (i32.mul (local.get $slot) (i32.const 64))))
    (block $end
      (loop $scan
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $ptr) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $scan)))
    (call $output_set
      (call $block (local.get $ptr) (local.get $len))
      (i64.extend_i32_u (local.get $len)))
    (local.get $check))

  ;; Pattern byte k of the block with the given seed.
  (func $pat (param $seed i32) (param $k i64) (result i32)
    (i32.and
      (i32.add
        (i32.add (i32.mul (local.get $seed) (i32.const 37))
                 (i32.mul (i32.wrap_i64 (local.get $k)) (i32.const 13)))
        (i32.const 1))
      (i32.const 255)))

  ;; Pattern bytes k..k+8 as a little-endian u64.
  (func $pat64 (param $seed i32) (param $k i64) (result i64)
    (local $j i64) (local $r i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $j) (i64.const 8)))
        (local.set $r
          (i64.or (local.get $r)
            (i64.shl
              (i64.extend_i32_u (call $pat (local.get $seed) (i64.add (local.get $k) (local.get $j))))
              (i64.mul (local.get $j) (i64.const 8)))))
        (local.set $j (i64.add (local.get $j) (i64.const 1)))
        (br $next)))
    (local.get $r))

  ;; Writes the pattern into [h, h+n): store_u64 per 8 bytes, store_u8 for the tail.
  (func $fill (param $h i64) (param $n i64) (param $seed i32)
    (local $i i64)
    (block $done
      (loop $next
        (br_if $done (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $n)))
        (call $store_u64 (i64.add (local.get $h) (local.get $i)) (call $pat64 (local.get $seed) (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $next)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $h) (local.get $i)) (call $pat (local.get $seed) (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next))))

  ;; 1 if every byte of [h, h+n) matches the pattern (read with load_u8), else 0.
  (func $check_u8 (param $h i64) (param $n i64) (param $seed i32) (result i32)
    (local $i i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne (call $load_u8 (i64.add (local.get $h) (local.get $i)))
                    (call $pat (local.get $seed) (local.get $i)))
          (then (return (i32.const 0))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (i32.const 1))

  ;; 1 if every whole 8-byte word of [h, h+n) matches the pattern (read with load_u64), else 0.
  (func $check_u64 (param $h i64) (param $n i64) (param $seed i32) (result i32)
    (local $i i64)
    (block $done
      (loop $next
        (br_if $done (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $n)))
        (if (i64.ne (call $load_u64 (i64.add (local.get $h) (local.get $i)))
                    (call $pat64 (local.get $seed) (local.get $i)))
          (then (return (i32.const 0))))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $next)))
    (i32.const 1))

  ;; 1 if [a, a+an) and [b, b+bn) share a byte.
  (func $overlap (param $a i64) (param $an i64) (param $b i64) (param $bn i64) (result i32)
    (i32.and
      (i64.lt_u (local.get $a) (i64.add (local.get $b) (local.get $bn)))
      (i64.lt_u (local.get $b) (i64.add (local.get $a) (local.get $an)))))

  (func (export "alloc_zero") (result i32)
    (if (i64.ne (call $alloc (i64.const 0)) (i64.const 0))
      (then (return (call $fail (i32.const 1) (i32.const 1)))))
    (i32.const 0))

  (func (export "alloc_length") (result i32)
    (local $i i32) (local $j i32) (local $h i64) (local $n i64)
    ;; allocate and check lengths
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 6)))
        (local.set $n (i64.load (i32.add (i32.const 0x80) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $h (call $alloc (local.get $n)))
        (i64.store (i32.add (i32.const 0x40) (i32.shl (local.get $i) (i32.const 3))) (local.get $h))
        (if (i64.eqz (local.get $h))
          (then (return (call $fail (i32.const 1) (i32.const 2)))))
        (if (i64.ne (call $length (local.get $h)) (local.get $n))
          (then (return (call $fail (i32.const 2) (i32.const 3)))))
        (if (i64.ne (call $length_unsafe (local.get $h)) (local.get $n))
          (then (return (call $fail (i32.const 3) (i32.const 4)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    ;; pairwise overlap
    (local.set $i (i32.const 0))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (i32.const 6)))
        (local.set $j (i32.add (local.get $i) (i32.const 1)))
        (block $inner_done
          (loop $inner
            (br_if $inner_done (i32.ge_u (local.get $j) (i32.const 6)))
            (if (call $overlap
                  (i64.load (i32.add (i32.const 0x40) (i32.shl (local.get $i) (i32.const 3))))
                  (i64.load (i32.add (i32.const 0x80) (i32.shl (local.get $i) (i32.const 3))))
                  (i64.load (i32.add (i32.const 0x40) (i32.shl (local.get $j) (i32.const 3))))
                  (i64.load (i32.add (i32.const 0x80) (i32.shl (local.get $j) (i32.const 3)))))
              (then (return (call $fail (i32.const 4) (i32.const 5)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    ;; write every block, then read every block back
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 6)))
        (call $fill
          (i64.load (i32.add (i32.const 0x40) (i32.shl (local.get $i) (i32.const 3))))
          (i64.load (i32.add (i32.const 0x80) (i32.shl (local.get $i) (i32.const 3))))
          (i32.add (local.get $i) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 6)))
        (local.set $h (i64.load (i32.add (i32.const 0x40) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $n (i64.load (i32.add (i32.const 0x80) (i32.shl (local.get $i) (i32.const 3)))))
        (if (i32.eqz (call $check_u8 (local.get $h) (local.get $n) (i32.add (local.get $i) (i32.const 1))))
          (then (return (call $fail (i32.const 5) (i32.const 6)))))
        (if (i32.eqz (call $check_u64 (local.get $h) (local.get $n) (i32.add (local.get $i) (i32.const 1))))
          (then (return (call $fail (i32.const 6) (i32.const 7)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func (export "length_invalid") (result i32)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 16)))
    (if (i64.eqz (local.get $h))
      (then (return (call $fail (i32.const 1) (i32.const 8)))))
    (if (i64.ne (call $length (i64.const 0)) (i64.const 0))
      (then (return (call $fail (i32.const 2) (i32.const 9)))))
    (if (i64.ne (call $length (i64.add (local.get $h) (i64.const 1))) (i64.const 0))
      (then (return (call $fail (i32.const 3) (i32.const 10)))))
    (if (i64.ne (call $length (i64.const 0x7fffffffffffffff)) (i64.const 0))
      (then (return (call $fail (i32.const 4) (i32.const 11)))))
    (if (i64.ne (call $length (i64.const -1)) (i64.const 0))
      (then (return (call $fail (i32.const 5) (i32.const 12)))))
    (drop (call $length_unsafe (i64.const 0)))
    (drop (call $length_unsafe (i64.const -1)))
    (drop (call $length_unsafe (i64.add (local.get $h) (i64.const 1))))
    (drop (call $length_unsafe (i64.const 0x7fffffffffffffff)))
    (if (i64.ne (call $length (local.get $h)) (i64.const 16))
      (then (return (call $fail (i32.const 6) (i32.const 13)))))
    (i32.const 0))

  (func (export "free_then_length") (result i32)
    (local $h i64) (local $g i64) (local $a i64) (local $b i64)
    (local.set $h (call $alloc (i64.const 32)))
    (local.set $g (call $alloc (i64.const 64)))
    (if (i32.or (i64.eqz (local.get $h)) (i64.eqz (local.get $g)))
      (then (return (call $fail (i32.const 1) (i32.const 14)))))
    (call $free (local.get $h))
    (if (i64.ne (call $length (local.get $h)) (i64.const 0))
      (then (return (call $fail (i32.const 2) (i32.const 15)))))
    (call $free (i64.const 0))
    (call $free (i64.add (local.get $g) (i64.const 5)))
    (call $free (i64.const -1))
    (call $free (i64.const 0x7ffffffffffffff0))
    (call $free (i64.const 0xdeadbeef))
    (call $free (local.get $h))
    (if (i64.ne (call $length (local.get $g)) (i64.const 64))
      (then (return (call $fail (i32.const 3) (i32.const 16)))))
    (local.set $a (call $alloc (i64.const 32)))
    (local.set $b (call $alloc (i64.const 32)))
    (if (i32.or (i64.eqz (local.get $a)) (i64.eqz (local.get $b)))
      (then (return (call $fail (i32.const 4) (i32.const 17)))))
    (if (i32.or (i64.ne (call $length (local.get $a)) (i64.const 32))
                (i64.ne (call $length (local.get $b)) (i64.const 32)))
      (then (return (call $fail (i32.const 5) (i32.const 18)))))
    (if (i32.or
          (i32.or (call $overlap (local.get $a) (i64.const 32) (local.get $b) (i64.const 32))
                  (call $overlap (local.get $a) (i64.const 32) (local.get $g) (i64.const 64)))
          (call $overlap (local.get $b) (i64.const 32) (local.get $g) (i64.const 64)))
      (then (return (call $fail (i32.const 6) (i32.const 19)))))
    (call $fill (local.get $a) (i64.const 32) (i32.const 11))
    (call $fill (local.get $b) (i64.const 32) (i32.const 12))
    (call $fill (local.get $g) (i64.const 64) (i32.const 13))
    (if (i32.eqz
          (i32.and
            (i32.and (call $check_u8 (local.get $a) (i64.const 32) (i32.const 11))
                     (call $check_u8 (local.get $b) (i64.const 32) (i32.const 12)))
            (call $check_u8 (local.get $g) (i64.const 64) (i32.const 13))))
      (then (return (call $fail (i32.const 7) (i32.const 20)))))
    (i32.const 0))

  (func (export "reuse_after_free") (result i32)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 100)))
    (if (i64.eqz (local.get $h))
      (then (return (call $fail (i32.const 1) (i32.const 21)))))
    (call $free (local.get $h))
    (local.set $h (call $alloc (i64.const 100)))
    (if (i64.eqz (local.get $h))
      (then (return (call $fail (i32.const 2) (i32.const 22)))))
    (if (i64.ne (call $length (local.get $h)) (i64.const 100))
      (then (return (call $fail (i32.const 3) (i32.const 23)))))
    (call $fill (local.get $h) (i64.const 100) (i32.const 7))
    (if (i32.eqz (call $check_u8 (local.get $h) (i64.const 100) (i32.const 7)))
      (then (return (call $fail (i32.const 4) (i32.const 24)))))
    (if (i32.eqz (call $check_u64 (local.get $h) (i64.const 100) (i32.const 7)))
      (then (return (call $fail (i32.const 5) (i32.const 25)))))
    (i32.const 0))

  ;; The four bytes at mb-4..mb-1 (read with load_u8) packed little-endian.
  (func $tail4 (param $mb i64) (result i32)
    (i32.or
      (i32.or (call $load_u8 (i64.sub (local.get $mb) (i64.const 4)))
              (i32.shl (call $load_u8 (i64.sub (local.get $mb) (i64.const 3))) (i32.const 8)))
      (i32.or (i32.shl (call $load_u8 (i64.sub (local.get $mb) (i64.const 2))) (i32.const 16))
              (i32.shl (call $load_u8 (i64.sub (local.get $mb) (i64.const 1))) (i32.const 24)))))

  (func (export "bounds") (result i32)
    (local $mb i64) (local $before i32) (local $h i64)
    (local.set $mb (call $memory_bytes))
    (if (i32.ne (call $load_u8 (i64.add (local.get $mb) (i64.const 100))) (i32.const 0))
      (then (return (call $fail (i32.const 1) (i32.const 26)))))
    (if (i64.ne (call $load_u64 (i64.add (local.get $mb) (i64.const 100))) (i64.const 0))
      (then (return (call $fail (i32.const 2) (i32.const 27)))))
    (if (i32.ne (call $load_u8 (i64.const -1)) (i32.const 0))
      (then (return (call $fail (i32.const 3) (i32.const 28)))))
    (if (i64.ne (call $load_u64 (i64.const -1)) (i64.const 0))
      (then (return (call $fail (i32.const 4) (i32.const 29)))))
    (if (i64.ne (call $load_u64 (i64.sub (local.get $mb) (i64.const 4))) (i64.const 0))
      (then (return (call $fail (i32.const 5) (i32.const 30)))))
    (if (i32.ne (call $load_u8 (local.get $mb)) (i32.const 0))
      (then (return (call $fail (i32.const 6) (i32.const 31)))))
    (local.set $before (call $tail4 (local.get $mb)))
    (call $store_u8 (i64.add (local.get $mb) (i64.const 100)) (i32.const 0xaa))
    (call $store_u64 (i64.add (local.get $mb) (i64.const 100)) (i64.const 0x1122334455667788))
    (call $store_u8 (i64.const -1) (i32.const 0xaa))
    (call $store_u64 (i64.const -1) (i64.const 0x1122334455667788))
    (call $store_u64 (i64.sub (local.get $mb) (i64.const 4)) (i64.const 0x1122334455667788))
    (if (i32.or
          (i32.or (i32.ne (call $tail4 (local.get $mb)) (local.get $before))
                  (i32.ne (call $load_u8 (i64.add (local.get $mb) (i64.const 100))) (i32.const 0)))
          (i64.ne (call $memory_bytes) (local.get $mb)))
      (then (return (call $fail (i32.const 7) (i32.const 32)))))
    (local.set $h (call $alloc (i64.const 16)))
    (if (i64.eqz (local.get $h))
      (then (return (call $fail (i32.const 8) (i32.const 33)))))
    (call $store_u64 (i64.add (local.get $h) (i64.const 3)) (i64.const 0x0102030405060708))
    (if (i32.ne (call $load_u8 (i64.add (local.get $h) (i64.const 3))) (i32.const 8))
      (then (return (call $fail (i32.const 9) (i32.const 34)))))
    (if (i32.ne (call $load_u8 (i64.add (local.get $h) (i64.const 10))) (i32.const 1))
      (then (return (call $fail (i32.const 10) (i32.const 35)))))
    (if (i64.ne (call $load_u64 (i64.add (local.get $h) (i64.const 3))) (i64.const 0x0102030405060708))
      (then (return (call $fail (i32.const 11) (i32.const 36)))))
    (call $store_u8 (i64.add (local.get $h) (i64.const 1)) (i32.const 0xaa))
    (call $store_u8 (i64.add (local.get $h) (i64.const 2)) (i32.const 0xbb))
    (if (i64.ne (call $load_u64 (i64.add (local.get $h) (i64.const 1))) (i64.const 0x030405060708bbaa))
      (then (return (call $fail (i32.const 12) (i32.const 37)))))
    (i32.const 0))

  (func (export "input") (result i32)
    (if (i64.ne (call $input_length) (i64.const 17))
      (then (return (call $fail (i32.const 1) (i32.const 38)))))
    (if (i64.ne (call $input_load_u64 (i64.const 0)) (i64.const 0x3736353433323130))
      (then (return (call $fail (i32.const 2) (i32.const 39)))))
    (if (i64.ne (call $input_load_u64 (i64.const 9)) (i64.const 0x2166656463626139))
      (then (return (call $fail (i32.const 3) (i32.const 40)))))
    (if (i64.ne (call $input_load_u64 (i64.const 10)) (i64.const 0))
      (then (return (call $fail (i32.const 4) (i32.const 41)))))
    (if (i32.ne (call $input_load_u8 (i64.const 16)) (i32.const 0x21))
      (then (return (call $fail (i32.const 5) (i32.const 42)))))
    (if (i32.ne (call $input_load_u8 (i64.const 17)) (i32.const 0))
      (then (return (call $fail (i32.const 6) (i32.const 43)))))
    (if (i64.ne (call $input_load_u64 (i64.const -1)) (i64.const 0))
      (then (return (call $fail (i32.const 7) (i32.const 44)))))
    (if (i64.eqz (call $input_offset))
      (then (return (call $fail (i32.const 8) (i32.const 45)))))
    (if (i32.ne (call $load_u8 (i64.add (call $input_offset) (i64.const 16))) (i32.const 0x21))
      (then (return (call $fail (i32.const 9) (i32.const 46)))))
    (if (i64.ne (call $length (call $input_offset)) (i64.const 17))
      (then (return (call $fail (i32.const 10) (i32.const 47)))))
    (if (i32.ne (call $input_load_u8 (i64.const -1)) (i32.const 0))
      (then (return (call $fail (i32.const 11) (i32.const 48)))))
    (i32.const 0))

  (func (export "input_empty") (result i32)
    (if (i64.ne (call $input_length) (i64.const 0))
      (then (return (call $fail (i32.const 1) (i32.const 49)))))
    (if (i64.ne (call $input_offset) (i64.const 0))
      (then (return (call $fail (i32.const 2) (i32.const 50)))))
    (if (i32.ne (call $input_load_u8 (i64.const 0)) (i32.const 0))
      (then (return (call $fail (i32.const 3) (i32.const 51)))))
    (if (i64.ne (call $input_load_u64 (i64.const 0)) (i64.const 0))
      (then (return (call $fail (i32.const 4) (i32.const 52)))))
    (i32.const 0))

  (func (export "echo_via_offset") (result i32)
    (call $output_set (call $input_offset) (call $input_length))
    (i32.const 0))

  (func (export "output_invalid") (result i32)
    (local $h i64)
    (call $output_set (i64.const 0) (i64.const 5))
    (if (i64.ne (call $output_length) (i64.const 0))
      (then (return (call $fail (i32.const 1) (i32.const 53)))))
    (if (i64.ne (call $output_offset) (i64.const 0))
      (then (return (call $fail (i32.const 2) (i32.const 54)))))
    (call $output_set (i64.add (call $memory_bytes) (i64.const 64)) (i64.const 4))
    (if (i64.ne (call $output_length) (i64.const 0))
      (then (return (call $fail (i32.const 3) (i32.const 55)))))
    (local.set $h (call $block (i32.const 0x200) (i32.const 2)))
    (call $output_set (local.get $h) (i64.const 2))
    (if (i64.ne (call $output_offset) (local.get $h))
      (then (return (call $fail (i32.const 4) (i32.const 56)))))
    (if (i64.ne (call $output_length) (i64.const 2))
      (then (return (call $fail (i32.const 5) (i32.const 57)))))
    (i32.const 0))

  (func (export "error_get_set") (result i32)
    (local $h i64)
    (if (i64.ne (call $error_get) (i64.const 0))
      (then (return (call $fail (i32.const 1) (i32.const 58)))))
    (local.set $h (call $block (i32.const 0x210) (i32.const 2)))
    (call $error_set (local.get $h))
    (if (i64.ne (call $error_get) (local.get $h))
      (then
        (call $error_set (i64.const 0))
        (return (call $fail (i32.const 2) (i32.const 59)))))
    (call $error_set (i64.const 0))
    (if (i64.ne (call $error_get) (i64.const 0))
      (then (return (call $fail (i32.const 3) (i32.const 60)))))
    (i32.const 0))

  (func (export "reset") (result i32)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 10)))
    (if (i64.eqz (local.get $h))
      (then (return (call $fail (i32.const 1) (i32.const 61)))))
    (call $output_set (local.get $h) (i64.const 10))
    (call $error_set (call $block (i32.const 0x220) (i32.const 1)))
    (call $reset)
    (if (i64.ne (call $length (local.get $h)) (i64.const 0))
      (then (return (call $fail (i32.const 2) (i32.const 62)))))
    (if (i64.ne (call $input_length) (i64.const 0))
      (then (return (call $fail (i32.const 3) (i32.const 63)))))
    (if (i64.ne (call $input_offset) (i64.const 0))
      (then (return (call $fail (i32.const 4) (i32.const 64)))))
    (if (i64.ne (call $output_length) (i64.const 0))
      (then (return (call $fail (i32.const 5) (i32.const 65)))))
    (if (i64.ne (call $output_offset) (i64.const 0))
      (then (return (call $fail (i32.const 6) (i32.const 66)))))
    (if (i64.ne (call $error_get) (i64.const 0))
      (then
        (call $error_set (i64.const 0))
        (return (call $fail (i32.const 7) (i32.const 67)))))
    (local.set $h (call $alloc (i64.const 10)))
    (if (i64.eqz (local.get $h))
      (then (return (call $fail (i32.const 8) (i32.const 68)))))
    (if (i64.ne (call $length (local.get $h)) (i64.const 10))
      (then (return (call $fail (i32.const 9) (i32.const 69)))))
    (i32.const 0))

  (func (export "memory_bytes") (result i32)
    (local $h i64)
    (if (i64.eqz (call $memory_bytes))
      (then (return (call $fail (i32.const 1) (i32.const 70)))))
    (local.set $h (call $alloc (i64.const 0x200000)))
    (if (i64.eqz (local.get $h))
      (then (return (call $fail (i32.const 2) (i32.const 71)))))
    (if (i64.lt_u (call $memory_bytes) (i64.const 0x200000))
      (then (return (call $fail (i32.const 3) (i32.const 72)))))
    (if (i64.ne (call $length (local.get $h)) (i64.const 0x200000))
      (then (return (call $fail (i32.const 4) (i32.const 73)))))
    (i32.const 0))

  (func (export "alloc_huge") (result i32)
    (if (i64.ne (call $alloc (i64.const 0x10000000000)) (i64.const 0))
      (then (return (call $fail (i32.const 1) (i32.const 74)))))
    (i32.const 0)))
