;; hostile: calls every host-implemented function of extism:host/env with handles,
;; offsets and lengths that a correct guest never passes. All exports are () -> i32.
;;
;; Self-checking exports: each runs every check (nothing returns early), then returns 0
;; when all passed, otherwise the number of the first failed check. "mb" is
;; memory_bytes() at the start of the export; "alias(h)" is h + (1 << 32), an offset that
;; lands on h if an implementation truncates offsets to 32 bits.
;;   ok             outputs "ok", returns 0.
;;   mem_length     h, g, x = alloc(16), free(g). length(v) == 0 for v = 0 [1], 1 [2],
;;                  h+1 [3], h+8 [4], g (freed) [5], mb [6], mb+4096 [7],
;;                  0x7fffffffffffffff [8], -1 [9], 1<<62 [10], i64 min [11],
;;                  alias(h) [12]; length_unsafe is called on each of them and must not
;;                  trap; length(h) == 16 [13]; length(x) == 16 [14].
;;   mem_free       h = alloc(16) filled with a pattern. free(v) for v = 0, 1, h+1, h+8,
;;                  mb, mb+4096, 0x7fffffffffffffff, -1, 1<<62, i64 min, alias(h), then:
;;                  length(h) == 16 [1], both words of h unchanged [2, 3]. free(h) twice:
;;                  length(h) == 0 [4]; a, b = alloc(16): both != 0 [5], a != b [6], both
;;                  lengths 16 [7] (a double free must not hand one block out twice).
;;   mem_load       h = alloc(16) with known bytes. load_u8(v) == 0 for v = mb [1],
;;                  mb+4096 [2], 0x7fffffffffffffff [3], -1 [4], 1<<62 [5], i64 min [6],
;;                  alias(h) [7], h + (1<<33) [8], h + i64 min [9]; load_u64(v) == 0 for
;;                  v = mb-1 [10], mb-7 [11], mb [12], 0x7fffffffffffffff [13], -1 [14],
;;                  -8 [15], i64 min [16], alias(h) [17], 1<<62 [18], -4 [19];
;;                  load_u8(h) == 1 [20]; load_u64(h) == 0x0807060504030201 [21].
;;   mem_store      h = alloc(16) with known bytes; t = load_u64(mb-8). store_u8 of 0xee at
;;                  mb, mb+4096, 0x7fffffffffffffff, -1, 1<<62, i64 min, alias(h),
;;                  h + (1<<33), h + i64 min; store_u64 of 0xeeeeeeeeeeeeeeee at mb-1, mb-7,
;;                  mb, 0x7fffffffffffffff, -1, -8, -4, i64 min, alias(h), alias(h) - 4,
;;                  1<<62. Then: both words of h unchanged [1, 2], load_u64(mb-8) == t [3],
;;                  memory_bytes() == mb [4].
;;   input_hostile  needs the input "0123456789". input_length() == 10 [1];
;;                  input_load_u8(i) == 0 for i = 10 [2], 11 [3], -1 [4],
;;                  0x7fffffffffffffff [5], 1<<32 [6], (1<<32)+1 [7], i64 min [8];
;;                  input_load_u64(i) == 0 for i = 3 [9], 9 [10], -1 [11], -8 [12], -4 [13],
;;                  0x7fffffffffffffff [14], 1<<32 [15], i64 min [16], 10 [17];
;;                  input_load_u64(2) == LE "23456789" [18]. Then, with h = alloc(16):
;;                  input_set(h, 1<<62), input_set(h, -1), input_set(-1, 2),
;;                  input_set(0x7fffffffffffffff, 1), input_set(mb, 1), input_set(mb-4, 8),
;;                  input_set(i64 min, 4), input_set(alias(h), 16) are all ignored:
;;                  input_length() == 10 [19], input_offset() unchanged [20],
;;                  input_load_u8(0) == '0' [21], input_load_u8(9) == '9' [22].
;;   output_hostile h = alloc(16). After each of output_set(h, 1<<62) [1], output_set(h, -1)
;;                  [2], output_set(-1, 1) [3], output_set(0x7fffffffffffffff, 1) [4],
;;                  output_set(mb, 1) [5], output_set(mb-4, 8) [6], output_set(1<<62, 1) [7],
;;                  output_set(i64 min, 1) [8], output_set(alias(h), 1) [9]:
;;                  output_offset() == 0 and output_length() == 0. The call's output is
;;                  therefore empty.
;;   error_hostile  h = alloc(16). After each of error_set(-1) [1],
;;                  error_set(0x7fffffffffffffff) [2], error_set(mb) [3],
;;                  error_set(mb+4096) [4], error_set(1<<62) [5], error_set(i64 min) [6],
;;                  error_set(alias(h)) [7]: error_get() == 0. The call has no error.
;;   alloc_huge     alloc(v) == 0 for v = 1<<40 [1], -1 [2], 0x7fffffffffffffff [3],
;;                  1<<62 [4], -8 [5]; then h = alloc(16) != 0 [6], length(h) == 16 [7].
;;   argless        needs empty input. http_status_code() == 0 [1], http_headers() == 0
;;                  [2] (headers not enabled), error_get() == 0 [3], output_offset() == 0
;;                  [4], output_length() == 0 [5], input_length() == 0 [6],
;;                  input_offset() == 0 [7]; get_log_level() is called; reset() twice;
;;                  input_length() == 0 [8]; h = alloc(8) != 0 [9], length(h) == 8 [10].
;;
;; Exports that pass one hostile handle to a host function that consumes it. The first
;; input byte picks the handle, which is first written as the call's output in unsigned
;; decimal (so the host can match it in the error text), then passed:
;;   'z' 0                       's' 1 (below every block)
;;   'B' memory_bytes()          'b' memory_bytes() + 4096
;;   'm' 0x7fffffffffffffff      'n' -1
;;   'h' 1 << 62                 'N' i64 min (0x8000000000000000)
;;   'i' h+1 for a live 16-byte block h (interior)
;;   'f' a freed 16-byte block (a live block is allocated after it, so it stays freed)
;;   'a' alias(h) for a live 16-byte block h
;;   'u' a live 2-byte block holding the bytes 0xff 0xfe (valid handle, not UTF-8)
;; Any other byte behaves as 'z'.
;;   config_get     config_get(t), returns 0.
;;   var_get        var_get(t), returns 0.
;;   var_set_key    var_set(t, block "value"), returns 0.
;;   var_set_value  var_set(block "k", t), returns 0.
;;   http_request   http_request(t, 0), returns 0.
;;   http_body      http_request(block {"url":"http://127.0.0.1:9/"}, t), returns 0.
;;   log_trace, log_debug, log_info, log_warn, log_error: that function with t, returns 0.
;;
;; Imports: all 32 functions of extism:host/env.
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
  (import "extism:host/env" "input_set" (func $input_set (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "output_offset" (func $output_offset (result i64)))
  (import "extism:host/env" "output_length" (func $output_length (result i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "error_get" (func $error_get (result i64)))
  (import "extism:host/env" "reset" (func $reset))
  (import "extism:host/env" "memory_bytes" (func $memory_bytes (result i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
  (import "extism:host/env" "http_status_code" (func $http_status_code (result i32)))
  (import "extism:host/env" "http_headers" (func $http_headers (result i64)))
  (import "extism:host/env" "log_trace" (func $log_trace (param i64)))
  (import "extism:host/env" "log_debug" (func $log_debug (param i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "log_warn" (func $log_warn (param i64)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (import "extism:host/env" "get_log_level" (func $get_log_level (result i32)))

  (memory 1)
  (data (i32.const 0x100) "ok")
  (data (i32.const 0x110) "k")
  (data (i32.const 0x120) "value")
  (data (i32.const 0x140) "{\"url\":\"http://127.0.0.1:9/\"}")
  ;; 0x200..0x220: decimal digits, written backwards from 0x220.

  ;; The number of the first failed check of the running export, 0 while all pass.
  (global $failed (mut i32) (i32.const 0))

  (func $check (param $ok i32) (param $n i32)
    (if (i32.and (i32.eqz (local.get $ok)) (i32.eqz (global.get $failed)))
      (then (global.set $failed (local.get $n)))))

  (func $zero (param $v i64) (param $n i32)
    (call $check (i64.eqz (local.get $v)) (local.get $n)))

  (func $zero32 (param $v i32) (param $n i32)
    (call $check (i32.eqz (local.get $v)) (local.get $n)))

  (func $result (result i32)
    (local $r i32)
    (local.set $r (global.get $failed))
    (global.set $failed (i32.const 0))
    (local.get $r))

  (func $alias (param $h i64) (result i64)
    (i64.add (local.get $h) (i64.const 0x100000000)))

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

  ;; A 16-byte block holding the bytes 1, 2, ..., 16.
  (func $pattern_block (result i64)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 16)))
    (call $store_u64 (local.get $h) (i64.const 0x0807060504030201))
    (call $store_u64 (i64.add (local.get $h) (i64.const 8)) (i64.const 0x100f0e0d0c0b0a09))
    (local.get $h))

  (func $pattern_intact (param $h i64) (param $n1 i32) (param $n2 i32)
    (call $check
      (i64.eq (call $load_u64 (local.get $h)) (i64.const 0x0807060504030201)) (local.get $n1))
    (call $check
      (i64.eq (call $load_u64 (i64.add (local.get $h) (i64.const 8)))
              (i64.const 0x100f0e0d0c0b0a09))
      (local.get $n2)))

  ;; Sets the call's output to v in unsigned decimal.
  (func $output_u64 (param $v i64)
    (local $p i32) (local $len i32)
    (local.set $p (i32.const 0x220))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (local.set $len (i32.sub (i32.const 0x220) (local.get $p)))
    (call $output_set
      (call $block (local.get $p) (local.get $len))
      (i64.extend_i32_u (local.get $len))))

  ;; The hostile handle picked by the first input byte (see the header).
  (func $target (result i64)
    (local $kind i32) (local $h i64)
    (local.set $kind (call $input_load_u8 (i64.const 0)))
    (if (i32.eq (local.get $kind) (i32.const 0x73)) (then (return (i64.const 1))))
    (if (i32.eq (local.get $kind) (i32.const 0x42)) (then (return (call $memory_bytes))))
    (if (i32.eq (local.get $kind) (i32.const 0x62))
      (then (return (i64.add (call $memory_bytes) (i64.const 4096)))))
    (if (i32.eq (local.get $kind) (i32.const 0x6d))
      (then (return (i64.const 0x7fffffffffffffff))))
    (if (i32.eq (local.get $kind) (i32.const 0x6e)) (then (return (i64.const -1))))
    (if (i32.eq (local.get $kind) (i32.const 0x68))
      (then (return (i64.const 0x4000000000000000))))
    (if (i32.eq (local.get $kind) (i32.const 0x4e))
      (then (return (i64.const 0x8000000000000000))))
    (if (i32.eq (local.get $kind) (i32.const 0x69))
      (then (return (i64.add (call $alloc (i64.const 16)) (i64.const 1)))))
    (if (i32.eq (local.get $kind) (i32.const 0x66))
      (then
        (local.set $h (call $alloc (i64.const 16)))
        (drop (call $alloc (i64.const 16)))
        (call $free (local.get $h))
        (return (local.get $h))))
    (if (i32.eq (local.get $kind) (i32.const 0x61))
      (then (return (call $alias (call $alloc (i64.const 16))))))
    (if (i32.eq (local.get $kind) (i32.const 0x75))
      (then
        (local.set $h (call $alloc (i64.const 2)))
        (call $store_u8 (local.get $h) (i32.const 0xff))
        (call $store_u8 (i64.add (local.get $h) (i64.const 1)) (i32.const 0xfe))
        (return (local.get $h))))
    (i64.const 0))

  ;; The hostile handle, after writing it as the call's output.
  (func $announced_target (result i64)
    (local $t i64)
    (local.set $t (call $target))
    (call $output_u64 (local.get $t))
    (local.get $t))

  (func (export "ok") (result i32)
    (call $output_set (call $block (i32.const 0x100) (i32.const 2)) (i64.const 2))
    (i32.const 0))

  (func (export "mem_length") (result i32)
    (local $h i64) (local $g i64) (local $x i64) (local $mb i64)
    (local.set $h (call $alloc (i64.const 16)))
    (local.set $g (call $alloc (i64.const 16)))
    (local.set $x (call $alloc (i64.const 16)))
    (call $free (local.get $g))
    (local.set $mb (call $memory_bytes))
    (call $zero (call $length (i64.const 0)) (i32.const 1))
    (call $zero (call $length (i64.const 1)) (i32.const 2))
    (call $zero (call $length (i64.add (local.get $h) (i64.const 1))) (i32.const 3))
    (call $zero (call $length (i64.add (local.get $h) (i64.const 8))) (i32.const 4))
    (call $zero (call $length (local.get $g)) (i32.const 5))
    (call $zero (call $length (local.get $mb)) (i32.const 6))
    (call $zero (call $length (i64.add (local.get $mb) (i64.const 4096))) (i32.const 7))
    (call $zero (call $length (i64.const 0x7fffffffffffffff)) (i32.const 8))
    (call $zero (call $length (i64.const -1)) (i32.const 9))
    (call $zero (call $length (i64.const 0x4000000000000000)) (i32.const 10))
    (call $zero (call $length (i64.const 0x8000000000000000)) (i32.const 11))
    (call $zero (call $length (call $alias (local.get $h))) (i32.const 12))
    (drop (call $length_unsafe (i64.const 0)))
    (drop (call $length_unsafe (i64.const 1)))
    (drop (call $length_unsafe (i64.add (local.get $h) (i64.const 1))))
    (drop (call $length_unsafe (i64.add (local.get $h) (i64.const 8))))
    (drop (call $length_unsafe (local.get $g)))
    (drop (call $length_unsafe (local.get $mb)))
    (drop (call $length_unsafe (i64.add (local.get $mb) (i64.const 4096))))
    (drop (call $length_unsafe (i64.const 0x7fffffffffffffff)))
    (drop (call $length_unsafe (i64.const -1)))
    (drop (call $length_unsafe (i64.const 0x4000000000000000)))
    (drop (call $length_unsafe (i64.const 0x8000000000000000)))
    (drop (call $length_unsafe (call $alias (local.get $h))))
    (call $check (i64.eq (call $length (local.get $h)) (i64.const 16)) (i32.const 13))
    (call $check (i64.eq (call $length (local.get $x)) (i64.const 16)) (i32.const 14))
    (call $result))

  (func (export "mem_free") (result i32)
    (local $h i64) (local $mb i64) (local $a i64) (local $b i64)
    (local.set $h (call $pattern_block))
    (local.set $mb (call $memory_bytes))
    (call $free (i64.const 0))
    (call $free (i64.const 1))
    (call $free (i64.add (local.get $h) (i64.const 1)))
    (call $free (i64.add (local.get $h) (i64.const 8)))
    (call $free (local.get $mb))
    (call $free (i64.add (local.get $mb) (i64.const 4096)))
    (call $free (i64.const 0x7fffffffffffffff))
    (call $free (i64.const -1))
    (call $free (i64.const 0x4000000000000000))
    (call $free (i64.const 0x8000000000000000))
    (call $free (call $alias (local.get $h)))
    (call $check (i64.eq (call $length (local.get $h)) (i64.const 16)) (i32.const 1))
    (call $pattern_intact (local.get $h) (i32.const 2) (i32.const 3))
    (call $free (local.get $h))
    (call $free (local.get $h))
    (call $zero (call $length (local.get $h)) (i32.const 4))
    (local.set $a (call $alloc (i64.const 16)))
    (local.set $b (call $alloc (i64.const 16)))
    (call $check
      (i32.and (i64.ne (local.get $a) (i64.const 0)) (i64.ne (local.get $b) (i64.const 0)))
      (i32.const 5))
    (call $check (i64.ne (local.get $a) (local.get $b)) (i32.const 6))
    (call $check
      (i32.and (i64.eq (call $length (local.get $a)) (i64.const 16))
               (i64.eq (call $length (local.get $b)) (i64.const 16)))
      (i32.const 7))
    (call $result))

  (func (export "mem_load") (result i32)
    (local $h i64) (local $mb i64)
    (local.set $h (call $pattern_block))
    (local.set $mb (call $memory_bytes))
    (call $zero32 (call $load_u8 (local.get $mb)) (i32.const 1))
    (call $zero32 (call $load_u8 (i64.add (local.get $mb) (i64.const 4096))) (i32.const 2))
    (call $zero32 (call $load_u8 (i64.const 0x7fffffffffffffff)) (i32.const 3))
    (call $zero32 (call $load_u8 (i64.const -1)) (i32.const 4))
    (call $zero32 (call $load_u8 (i64.const 0x4000000000000000)) (i32.const 5))
    (call $zero32 (call $load_u8 (i64.const 0x8000000000000000)) (i32.const 6))
    (call $zero32 (call $load_u8 (call $alias (local.get $h))) (i32.const 7))
    (call $zero32 (call $load_u8 (i64.add (local.get $h) (i64.const 0x200000000))) (i32.const 8))
    (call $zero32 (call $load_u8 (i64.add (local.get $h) (i64.const 0x8000000000000000)))
      (i32.const 9))
    (call $zero (call $load_u64 (i64.sub (local.get $mb) (i64.const 1))) (i32.const 10))
    (call $zero (call $load_u64 (i64.sub (local.get $mb) (i64.const 7))) (i32.const 11))
    (call $zero (call $load_u64 (local.get $mb)) (i32.const 12))
    (call $zero (call $load_u64 (i64.const 0x7fffffffffffffff)) (i32.const 13))
    (call $zero (call $load_u64 (i64.const -1)) (i32.const 14))
    (call $zero (call $load_u64 (i64.const -8)) (i32.const 15))
    (call $zero (call $load_u64 (i64.const 0x8000000000000000)) (i32.const 16))
    (call $zero (call $load_u64 (call $alias (local.get $h))) (i32.const 17))
    (call $zero (call $load_u64 (i64.const 0x4000000000000000)) (i32.const 18))
    (call $zero (call $load_u64 (i64.const -4)) (i32.const 19))
    (call $check (i32.eq (call $load_u8 (local.get $h)) (i32.const 1)) (i32.const 20))
    (call $check (i64.eq (call $load_u64 (local.get $h)) (i64.const 0x0807060504030201))
      (i32.const 21))
    (call $result))

  (func (export "mem_store") (result i32)
    (local $h i64) (local $mb i64) (local $tail i64)
    (local.set $h (call $pattern_block))
    (local.set $mb (call $memory_bytes))
    (local.set $tail (call $load_u64 (i64.sub (local.get $mb) (i64.const 8))))
    (call $store_u8 (local.get $mb) (i32.const 0xee))
    (call $store_u8 (i64.add (local.get $mb) (i64.const 4096)) (i32.const 0xee))
    (call $store_u8 (i64.const 0x7fffffffffffffff) (i32.const 0xee))
    (call $store_u8 (i64.const -1) (i32.const 0xee))
    (call $store_u8 (i64.const 0x4000000000000000) (i32.const 0xee))
    (call $store_u8 (i64.const 0x8000000000000000) (i32.const 0xee))
    (call $store_u8 (call $alias (local.get $h)) (i32.const 0xee))
    (call $store_u8 (i64.add (local.get $h) (i64.const 0x200000000)) (i32.const 0xee))
    (call $store_u8 (i64.add (local.get $h) (i64.const 0x8000000000000000)) (i32.const 0xee))
    (call $store_u64 (i64.sub (local.get $mb) (i64.const 1)) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.sub (local.get $mb) (i64.const 7)) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (local.get $mb) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.const 0x7fffffffffffffff) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.const -1) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.const -8) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.const -4) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.const 0x8000000000000000) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (call $alias (local.get $h)) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.sub (call $alias (local.get $h)) (i64.const 4))
      (i64.const 0xeeeeeeeeeeeeeeee))
    (call $store_u64 (i64.const 0x4000000000000000) (i64.const 0xeeeeeeeeeeeeeeee))
    (call $pattern_intact (local.get $h) (i32.const 1) (i32.const 2))
    (call $check
      (i64.eq (call $load_u64 (i64.sub (local.get $mb) (i64.const 8))) (local.get $tail))
      (i32.const 3))
    (call $check (i64.eq (call $memory_bytes) (local.get $mb)) (i32.const 4))
    (call $result))

  (func (export "input_hostile") (result i32)
    (local $h i64) (local $mb i64) (local $offset i64)
    (call $check (i64.eq (call $input_length) (i64.const 10)) (i32.const 1))
    (call $zero32 (call $input_load_u8 (i64.const 10)) (i32.const 2))
    (call $zero32 (call $input_load_u8 (i64.const 11)) (i32.const 3))
    (call $zero32 (call $input_load_u8 (i64.const -1)) (i32.const 4))
    (call $zero32 (call $input_load_u8 (i64.const 0x7fffffffffffffff)) (i32.const 5))
    (call $zero32 (call $input_load_u8 (i64.const 0x100000000)) (i32.const 6))
    (call $zero32 (call $input_load_u8 (i64.const 0x100000001)) (i32.const 7))
    (call $zero32 (call $input_load_u8 (i64.const 0x8000000000000000)) (i32.const 8))
    (call $zero (call $input_load_u64 (i64.const 3)) (i32.const 9))
    (call $zero (call $input_load_u64 (i64.const 9)) (i32.const 10))
    (call $zero (call $input_load_u64 (i64.const -1)) (i32.const 11))
    (call $zero (call $input_load_u64 (i64.const -8)) (i32.const 12))
    (call $zero (call $input_load_u64 (i64.const -4)) (i32.const 13))
    (call $zero (call $input_load_u64 (i64.const 0x7fffffffffffffff)) (i32.const 14))
    (call $zero (call $input_load_u64 (i64.const 0x100000000)) (i32.const 15))
    (call $zero (call $input_load_u64 (i64.const 0x8000000000000000)) (i32.const 16))
    (call $zero (call $input_load_u64 (i64.const 10)) (i32.const 17))
    ;; "23456789" little-endian.
    (call $check (i64.eq (call $input_load_u64 (i64.const 2)) (i64.const 0x3938373635343332))
      (i32.const 18))
    (local.set $offset (call $input_offset))
    (local.set $mb (call $memory_bytes))
    (local.set $h (call $alloc (i64.const 16)))
    (call $input_set (local.get $h) (i64.const 0x4000000000000000))
    (call $input_set (local.get $h) (i64.const -1))
    (call $input_set (i64.const -1) (i64.const 2))
    (call $input_set (i64.const 0x7fffffffffffffff) (i64.const 1))
    (call $input_set (local.get $mb) (i64.const 1))
    (call $input_set (i64.sub (local.get $mb) (i64.const 4)) (i64.const 8))
    (call $input_set (i64.const 0x8000000000000000) (i64.const 4))
    (call $input_set (call $alias (local.get $h)) (i64.const 16))
    (call $check (i64.eq (call $input_length) (i64.const 10)) (i32.const 19))
    (call $check (i64.eq (call $input_offset) (local.get $offset)) (i32.const 20))
    (call $check (i32.eq (call $input_load_u8 (i64.const 0)) (i32.const 0x30)) (i32.const 21))
    (call $check (i32.eq (call $input_load_u8 (i64.const 9)) (i32.const 0x39)) (i32.const 22))
    (call $result))

  (func $no_output (param $n i32)
    (call $zero (call $output_offset) (local.get $n))
    (call $zero (call $output_length) (local.get $n)))

  (func (export "output_hostile") (result i32)
    (local $h i64) (local $mb i64)
    (local.set $h (call $alloc (i64.const 16)))
    (local.set $mb (call $memory_bytes))
    (call $output_set (local.get $h) (i64.const 0x4000000000000000))
    (call $no_output (i32.const 1))
    (call $output_set (local.get $h) (i64.const -1))
    (call $no_output (i32.const 2))
    (call $output_set (i64.const -1) (i64.const 1))
    (call $no_output (i32.const 3))
    (call $output_set (i64.const 0x7fffffffffffffff) (i64.const 1))
    (call $no_output (i32.const 4))
    (call $output_set (local.get $mb) (i64.const 1))
    (call $no_output (i32.const 5))
    (call $output_set (i64.sub (local.get $mb) (i64.const 4)) (i64.const 8))
    (call $no_output (i32.const 6))
    (call $output_set (i64.const 0x4000000000000000) (i64.const 1))
    (call $no_output (i32.const 7))
    (call $output_set (i64.const 0x8000000000000000) (i64.const 1))
    (call $no_output (i32.const 8))
    (call $output_set (call $alias (local.get $h)) (i64.const 1))
    (call $no_output (i32.const 9))
    (call $result))

  (func (export "error_hostile") (result i32)
    (local $h i64) (local $mb i64)
    (local.set $h (call $alloc (i64.const 16)))
    (local.set $mb (call $memory_bytes))
    (call $error_set (i64.const -1))
    (call $zero (call $error_get) (i32.const 1))
    (call $error_set (i64.const 0x7fffffffffffffff))
    (call $zero (call $error_get) (i32.const 2))
    (call $error_set (local.get $mb))
    (call $zero (call $error_get) (i32.const 3))
    (call $error_set (i64.add (local.get $mb) (i64.const 4096)))
    (call $zero (call $error_get) (i32.const 4))
    (call $error_set (i64.const 0x4000000000000000))
    (call $zero (call $error_get) (i32.const 5))
    (call $error_set (i64.const 0x8000000000000000))
    (call $zero (call $error_get) (i32.const 6))
    (call $error_set (call $alias (local.get $h)))
    (call $zero (call $error_get) (i32.const 7))
    (call $result))

  (func (export "alloc_huge") (result i32)
    (local $h i64)
    (call $zero (call $alloc (i64.const 0x10000000000)) (i32.const 1))
    (call $zero (call $alloc (i64.const -1)) (i32.const 2))
    (call $zero (call $alloc (i64.const 0x7fffffffffffffff)) (i32.const 3))
    (call $zero (call $alloc (i64.const 0x4000000000000000)) (i32.const 4))
    (call $zero (call $alloc (i64.const -8)) (i32.const 5))
    (local.set $h (call $alloc (i64.const 16)))
    (call $check (i64.ne (local.get $h) (i64.const 0)) (i32.const 6))
    (call $check (i64.eq (call $length (local.get $h)) (i64.const 16)) (i32.const 7))
    (call $result))

  (func (export "argless") (result i32)
    (local $h i64)
    (call $zero32 (call $http_status_code) (i32.const 1))
    (call $zero (call $http_headers) (i32.const 2))
    (call $zero (call $error_get) (i32.const 3))
    (call $zero (call $output_offset) (i32.const 4))
    (call $zero (call $output_length) (i32.const 5))
    (call $zero (call $input_length) (i32.const 6))
    (call $zero (call $input_offset) (i32.const 7))
    (drop (call $get_log_level))
    (call $reset)
    (call $reset)
    (call $zero (call $input_length) (i32.const 8))
    (local.set $h (call $alloc (i64.const 8)))
    (call $check (i64.ne (local.get $h) (i64.const 0)) (i32.const 9))
    (call $check (i64.eq (call $length (local.get $h)) (i64.const 8)) (i32.const 10))
    (call $result))

  (func (export "config_get") (result i32)
    (drop (call $config_get (call $announced_target)))
    (i32.const 0))

  (func (export "var_get") (result i32)
    (drop (call $var_get (call $announced_target)))
    (i32.const 0))

  (func (export "var_set_key") (result i32)
    (local $t i64)
    (local.set $t (call $announced_target))
    (call $var_set (local.get $t) (call $block (i32.const 0x120) (i32.const 5)))
    (i32.const 0))

  (func (export "var_set_value") (result i32)
    (local $t i64)
    (local.set $t (call $announced_target))
    (call $var_set (call $block (i32.const 0x110) (i32.const 1)) (local.get $t))
    (i32.const 0))

  (func (export "http_request") (result i32)
    (drop (call $http_request (call $announced_target) (i64.const 0)))
    (i32.const 0))

  (func (export "http_body") (result i32)
    (local $t i64)
    (local.set $t (call $announced_target))
    (drop (call $http_request (call $block (i32.const 0x140) (i32.const 29)) (local.get $t)))
    (i32.const 0))

  (func (export "log_trace") (result i32)
    (call $log_trace (call $announced_target))
    (i32.const 0))

  (func (export "log_debug") (result i32)
    (call $log_debug (call $announced_target))
    (i32.const 0))

  (func (export "log_info") (result i32)
    (call $log_info (call $announced_target))
    (i32.const 0))

  (func (export "log_warn") (result i32)
    (call $log_warn (call $announced_target))
    (i32.const 0))

  (func (export "log_error") (result i32)
    (call $log_error (call $announced_target))
    (i32.const 0)))
