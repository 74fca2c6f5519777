/* count_vowels shaped like a plugin built with the Rust PDK, whose memory grows in every call.
 *
 * Built with wasi-libc as a reactor, with the layout Rust gives wasm32 programs: a 1 MiB stack
 * first, then the data, then the heap (`-z stack-size=1048576 --stack-first`), so the memory
 * starts at 17 pages. The heap is wasi-libc's malloc (dlmalloc), which takes its memory with
 * `memory.grow`: the first allocation in a fresh instance grows the memory, as the allocators
 * of the Rust, Go, Zig and C PDKs do.
 *
 * Export `count_vowels` () -> i32: reads the input into a heap buffer, counts its characters
 * that are in "aeiouAEIOU" with a table of 256 flags at the start of a 128 KiB block (the first
 * allocation, which grows the memory by three pages; the input and output buffers come after
 * it, so the call writes to the first and the last of the new pages), and outputs
 * `{"count":N,"total":N,"vowels":"aeiouAEIOU"}` (the JSON the Rust PDK's count_vowels example
 * writes). Returns 1 if an allocation fails.
 *
 * Imports: extism:host/env input_length, input_load_u8, alloc, store_u8, output_set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ENV(name) __attribute__((import_module("extism:host/env"), import_name(name)))
ENV("input_length") uint64_t input_length(void);
ENV("input_load_u8") uint32_t input_load_u8(uint64_t offset);
ENV("alloc") uint64_t extism_alloc(uint64_t length);
ENV("store_u8") void store_u8(uint64_t offset, uint32_t value);
ENV("output_set") void output_set(uint64_t offset, uint64_t length);

#define SCRATCH (128 * 1024)
static const char VOWELS[] = "aeiouAEIOU";

static int append(char *to, int at, const char *text) {
    size_t len = strlen(text);
    memcpy(to + at, text, len);
    return at + (int)len;
}

static int append_number(char *to, int at, unsigned value) {
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0) {
        to[at++] = digits[--n];
    }
    return at;
}

__attribute__((export_name("count_vowels"))) int count_vowels(void) {
    uint8_t *table = malloc(SCRATCH);
    uint64_t len = input_length();
    uint8_t *input = malloc(len + 1);
    if (table == NULL || input == NULL) {
        return 1;
    }
    /* Only its first 256 bytes are used: one flag per byte value. */
    memset(table, 0, 256);
    for (const char *v = VOWELS; *v != '\0'; v++) {
        table[(uint8_t)*v] = 1;
    }
    for (uint64_t i = 0; i < len; i++) {
        input[i] = (uint8_t)input_load_u8(i);
    }
    unsigned count = 0;
    for (uint64_t i = 0; i < len; i++) {
        count += table[input[i]];
    }
    char *json = malloc(96);
    if (json == NULL) {
        return 1;
    }
    int n = 0;
    n = append(json, n, "{\"count\":");
    n = append_number(json, n, count);
    n = append(json, n, ",\"total\":");
    n = append_number(json, n, count);
    n = append(json, n, ",\"vowels\":\"");
    n = append(json, n, VOWELS);
    n = append(json, n, "\"}");
    uint64_t out = extism_alloc((uint64_t)n);
    for (int i = 0; i < n; i++) {
        store_u8(out + (uint64_t)i, (uint8_t)json[i]);
    }
    output_set(out, (uint64_t)n);
    free(json);
    free(input);
    free(table);
    return 0;
}
