/*
 * echo: freestanding C plugin (no libc).
 *
 * Export `echo() -> i32`: reads the whole input the way the Rust PDK does
 * (`input_length` once, `input_load_u64` per 8 bytes, `input_load_u8` for the
 * remaining bytes) into a buffer in its own linear memory, growing that memory
 * as needed (inputs of 16 MiB and more work), then allocates an output block,
 * writes it with `store_u64` per 8 bytes and `store_u8` for the tail, and calls
 * `output_set`. Returns 0. For empty input it calls neither `alloc` nor
 * `output_set`, so the output is empty. If `alloc` returns 0 or memory cannot
 * grow, it sets no output and returns 1.
 */
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(#name)))

IMPORT(input_length) extern uint64_t input_length(void);
IMPORT(input_load_u8) extern uint32_t input_load_u8(uint64_t offset);
IMPORT(input_load_u64) extern uint64_t input_load_u64(uint64_t offset);
IMPORT(alloc) extern uint64_t extism_alloc(uint64_t n);
IMPORT(store_u8) extern void store_u8(uint64_t p, uint32_t v);
IMPORT(store_u64) extern void store_u64(uint64_t p, uint64_t v);
IMPORT(output_set) extern void output_set(uint64_t p, uint64_t n);

extern unsigned char __heap_base;

#define PAGE 65536u

/* Returns an 8-byte aligned buffer of at least n bytes in linear memory, or 0. */
static unsigned char *buffer(uint64_t n) {
    uintptr_t start = ((uintptr_t)&__heap_base + 7u) & ~(uintptr_t)7u;
    uint64_t end = (uint64_t)start + n;
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * PAGE;
    if (end > 0xFFFFFFFFull) return 0;
    if (end > have) {
        uint64_t pages = (end - have + PAGE - 1) / PAGE;
        if (__builtin_wasm_memory_grow(0, (uintptr_t)pages) == (uintptr_t)-1) return 0;
    }
    return (unsigned char *)start;
}

__attribute__((export_name("echo"))) int32_t echo(void) {
    uint64_t n = input_length();
    if (n == 0) return 0;

    unsigned char *buf = buffer(n);
    if (!buf) return 1;
    uint64_t words = n / 8, i;
    for (i = 0; i < words; i++) ((uint64_t *)buf)[i] = input_load_u64(i * 8);
    for (i = words * 8; i < n; i++) buf[i] = (unsigned char)input_load_u8(i);

    uint64_t out = extism_alloc(n);
    if (out == 0) return 1;
    for (i = 0; i < words; i++) store_u64(out + i * 8, ((uint64_t *)buf)[i]);
    for (i = words * 8; i < n; i++) store_u8(out + i, buf[i]);
    output_set(out, n);
    return 0;
}
