/* A pool slot starts clean even when the pages the previous instance wrote were swapped out
 * when it was freed. A host function fills a block of Extism memory with a secret and asks the
 * kernel to page it out (MADV_PAGEOUT); the plugin is freed, and a new plugin, whose kernel
 * instance takes the same slot (the same memory address), must find only zeros there, in
 * several rounds. The same for plugins made from a compiled plugin, whose memories are kept
 * for reuse by the serving engine (docs/abi.md D15) rather than by the pool. Without swap,
 * MADV_PAGEOUT leaves the pages in memory: the test then checks the ordinary reset only, and prints
 * that it did. */
#define _DEFAULT_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define ROUNDS 8
#define SECRET_PAGES 8
#define SECRET 0x5a

enum mode { WRITE, READ };

struct state {
    enum mode mode;
    size_t page;
    uint8_t *base;     /* the kernel memory seen by the last call */
    uint64_t offset;   /* where WRITE put the secret */
    int paged_out;     /* pages of the secret that left memory */
    int secret_bytes;  /* bytes of the secret that READ found */
    bool failed_alloc; /* WRITE could not allocate its block */
};

/* How many of the `pages` pages at `start` are in swap, from /proc/self/pagemap (bit 62 of
 * each page's entry; readable without privileges). */
static int swapped_pages(const uint8_t *start, int pages, size_t page) {
    int swapped = 0;
    uint64_t entry;
    FILE *pagemap = fopen("/proc/self/pagemap", "rb");
    if (pagemap == NULL) {
        return 0;
    }
    for (int i = 0; i < pages; i++) {
        long index = (long)((uintptr_t)start / page) + i;
        if (fseek(pagemap, index * (long)sizeof entry, SEEK_SET) == 0 &&
            fread(&entry, sizeof entry, 1, pagemap) == 1) {
            swapped += (int)((entry >> 62) & 1);
        }
    }
    fclose(pagemap);
    return swapped;
}

/* hello_world(i64) -> i64: WRITE fills a block with the secret and pages it out; READ looks
 * for the secret where WRITE put it. Returns its input, so the guest outputs nothing new. */
static void hello_world(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                        ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct state *state = data;
    (void)n_inputs;
    (void)n_outputs;
    outputs[0] = inputs[0];
    state->base = extism_current_plugin_memory(plugin);
    if (state->mode == WRITE) {
        size_t len = SECRET_PAGES * state->page;
        /* One page more than the secret, so a whole page-aligned range fits in the block. */
        uint64_t block = extism_current_plugin_memory_alloc(plugin, len + state->page);
        if (block == 0 || state->base == NULL) {
            state->failed_alloc = true;
            return;
        }
        state->offset = (block + state->page - 1) / state->page * state->page;
        uint8_t *secret = state->base + state->offset;
        memset(secret, SECRET, len);
        madvise(secret, len, MADV_PAGEOUT);
        state->paged_out = swapped_pages(secret, SECRET_PAGES, state->page);
    } else {
        const uint8_t *place = state->base + state->offset;
        state->secret_bytes = 0;
        for (size_t i = 0; i < SECRET_PAGES * state->page; i++) {
            state->secret_bytes += place[i] == SECRET;
        }
    }
}

/* A plugin of host_fn_hello.wasm whose hello_world is the function above, called once: made
 * with extism_plugin_new, or from `compiled` when it is not NULL. */
static bool call_with(struct state *state, const ExtismCompiledPlugin *compiled, enum mode mode,
                      uint8_t **base) {
    const ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;
    char *errmsg = NULL;
    bool ok = false;
    if (compiled != NULL) {
        plugin = extism_plugin_new_from_compiled(compiled, &errmsg);
        if (plugin == NULL) {
            fprintf(stderr, "from the compiled plugin: %s\n", text_or_null(errmsg));
            extism_plugin_new_error_free(errmsg);
        }
    } else {
        function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, hello_world, state, NULL);
        if (function != NULL) {
            plugin =
                load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
        }
    }
    if (plugin != NULL) {
        state->mode = mode;
        ok = extism_plugin_call(plugin, "call_hello", NULL, 0) == 0;
        if (!ok) {
            fprintf(stderr, "call_hello: %s\n", text_or_null(extism_plugin_error(plugin)));
        }
    }
    *base = state->base;
    extism_plugin_free(plugin);
    extism_function_free(function);
    return ok;
}

/* ROUNDS of writing a secret in one plugin and looking for it in the next; adds the pages
 * that were swapped out to `paged_out`. */
static bool rounds(struct state *state, const ExtismCompiledPlugin *compiled, const char *path,
                   int *paged_out) {
    int failed = 0;
    uint8_t *written_base = NULL, *read_base = NULL;
    for (int round = 0; round < ROUNDS; round++) {
        CHECK(call_with(state, compiled, WRITE, &written_base),
              "%s, round %d: the writing call failed", path, round);
        CHECK(!state->failed_alloc, "%s, round %d: no block for the secret", path, round);
        *paged_out += state->paged_out;
        CHECK(call_with(state, compiled, READ, &read_base), "%s, round %d: the reading call failed",
              path, round);
        CHECK(read_base == written_base,
              "%s, round %d: the new plugin's kernel memory is at %p, not where the previous "
              "one's was, %p",
              path, round, (void *)read_base, (void *)written_base);
        CHECK(state->secret_bytes == 0,
              "%s, round %d: a new plugin found %d bytes of the previous one's secret (%d of %d "
              "pages had been swapped out)",
              path, round, state->secret_bytes, state->paged_out, SECRET_PAGES);
    }
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    int paged_out = 0;
    struct state state = {WRITE, 0, NULL, 0, 0, 0, false};
    const ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *function = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    state.page = (size_t)sysconf(_SC_PAGESIZE);
    CHECK(rounds(&state, NULL, "extism_plugin_new", &paged_out), "the pool");
    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, hello_world, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    compiled =
        load_compiled_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(compiled != NULL, "host_fn_hello.wasm did not compile");
    CHECK(rounds(&state, compiled, "from a compiled plugin", &paged_out), "the serving engine");
    if (paged_out == 0) {
        printf("no page was swapped out (no swap?): only the ordinary reset was checked\n");
    } else {
        printf("%d pages were swapped out over %d rounds each way\n", paged_out, ROUNDS);
    }

cleanup:
    extism_compiled_plugin_free(compiled);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : 0;
}
