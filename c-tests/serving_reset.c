/* Plugins made from a compiled plugin take the memories earlier plugins gave back (docs/abi.md
 * D15), and each must start as a fresh instance does: at its own initial size, zeroed, with
 * memory.size and out-of-bounds traps as for a fresh instance, however far the previous user
 * grew and what it wrote. grow_fill.wasm starts at 1 page; each round makes a plugin, checks
 * it, grows it to 8, 9 or 10 pages, checks the grown memory is zero, fills every byte with
 * 0xab, and frees it, so every round after the first takes a memory a previous round grew and
 * filled (freed memories are reused most recent first). The same runs again in a forked child,
 * growing to 16 pages, farther than the parent ever did: its resets must look at its own pages,
 * since a child that asked about its parent's would find nothing written there and leave its
 * own writes in place. Last, the same rounds with plugins made by extism_plugin_new, whose
 * instances take the slots of the instance pool (D13): a slot whose previous instance grew its
 * memory starts the next one just as clean. */
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define ROUNDS 40
#define INITIAL_PAGES 1

/* grow_fill.wasm, for plugins made with extism_plugin_new. */
static uint8_t *wasm;
static size_t wasm_len;

/* One round; false (with a message) on any difference from a fresh instance. The plugin is
 * made from `compiled`, or with extism_plugin_new when it is NULL. With `far`, the memory
 * grows to 16 pages, else to 8, 9 or 10. */
static bool round_trip(const ExtismCompiledPlugin *compiled, int round, bool far) {
    int failed = 0;
    char *errmsg = NULL;
    int32_t rc;
    ExtismPlugin *plugin = compiled != NULL
                               ? extism_plugin_new_from_compiled(compiled, &errmsg)
                               : extism_plugin_new(wasm, wasm_len, NULL, 0, false, &errmsg);
    CHECK(plugin != NULL, "round %d: %s", round, text_or_null(errmsg));
    rc = extism_plugin_call(plugin, "size", NULL, 0);
    CHECK(rc == INITIAL_PAGES, "round %d: memory.size is %d pages, expected %d", round, rc,
          INITIAL_PAGES);
    rc = extism_plugin_call(plugin, "nonzero", NULL, 0);
    CHECK(rc == 0, "round %d: %d bytes of the fresh memory are not zero", round, rc);
    rc = extism_plugin_call(plugin, "load_last", NULL, 0);
    CHECK(rc == 0, "round %d: the last byte is %d, or the load failed: %s", round, rc,
          text_or_null(extism_plugin_error(plugin)));
    rc = extism_plugin_call(plugin, "load_past_end", NULL, 0);
    CHECK(rc != 0, "round %d: a load past the end of the memory did not trap", round);
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), "out of bounds");
    rc = extism_plugin_call(plugin, "store_past_end", NULL, 0);
    CHECK(rc != 0, "round %d: a store past the end of the memory did not trap", round);
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), "out of bounds");
    /* The traps left the instance as it was: still the initial size, still zero. */
    rc = extism_plugin_call(plugin, "nonzero", NULL, 0);
    CHECK(rc == 0, "round %d: %d bytes not zero after the traps", round, rc);

    static const char *const extra[] = {"set_extra_0", "set_extra_1", "set_extra_2"};
    const char *set_extra = far ? "set_extra_8" : extra[round % 3];
    int32_t pages = far ? 16 : 8 + round % 3;
    rc = extism_plugin_call(plugin, set_extra, NULL, 0);
    CHECK(rc == 0, "round %d: %s: %s", round, set_extra, text_or_null(extism_plugin_error(plugin)));
    rc = extism_plugin_call(plugin, "grow_fill", NULL, 0);
    CHECK(rc == pages, "round %d: grow_fill returned %d: %s", round, rc,
          text_or_null(extism_plugin_error(plugin)));
    rc = extism_plugin_call(plugin, "found", NULL, 0);
    CHECK(rc == 0, "round %d: %d bytes of the memory grown to %d pages were not zero", round, rc,
          pages);
    rc = extism_plugin_call(plugin, "nonzero", NULL, 0);
    CHECK(rc == pages * 65536, "round %d: %d bytes written, expected all", round, rc);
    rc = extism_plugin_call(plugin, "load_past_end", NULL, 0);
    CHECK(rc != 0, "round %d: a load past the end of the grown memory did not trap", round);
cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    return !failed;
}

static bool rounds(const ExtismCompiledPlugin *compiled, bool far) {
    for (int round = 0; round < ROUNDS; round++) {
        if (!round_trip(compiled, round, far)) {
            return false;
        }
    }
    return true;
}

int main(void) {
    int failed = 0;
    int status = 0;
    int verdict_pipe[2] = {-1, -1};
    char verdict = 0;
    ExtismCompiledPlugin *compiled = load_compiled_plugin("grow_fill.wasm", NULL, 0, false);
    CHECK(compiled != NULL, "grow_fill.wasm did not compile");
    CHECK(rounds(compiled, false), "rounds in the parent");

    /* A child: the parent's freed memories and its reads of its pages are the parent's. The
     * child sends its verdict through a pipe rather than its exit status: a leak checker at the
     * child's exit (valgrind's) reports what the parent's threads held, which no code of the
     * child can reach (see fork.c). */
    CHECK(pipe(verdict_pipe) == 0, "pipe failed");
    fflush(NULL);
    pid_t child = fork();
    CHECK(child >= 0, "fork failed");
    if (child == 0) {
        char passed = rounds(compiled, true) ? 'y' : 'n';
        _exit(write(verdict_pipe[1], &passed, 1) == 1 ? 0 : 1);
    }
    close(verdict_pipe[1]);
    verdict_pipe[1] = -1;
    CHECK(waitpid(child, &status, 0) == child, "waitpid failed");
    CHECK(read(verdict_pipe[0], &verdict, 1) == 1, "the child ended without a verdict (%d)",
          status);
    CHECK(verdict == 'y', "rounds in a forked child failed");

    /* And the parent again, unaffected. */
    CHECK(rounds(compiled, false), "rounds in the parent after the fork");

    /* The instance pool's slots. */
    wasm = read_file(plugin_path("grow_fill.wasm"), &wasm_len);
    CHECK(wasm != NULL, "grow_fill.wasm cannot be read");
    CHECK(rounds(NULL, false), "rounds with extism_plugin_new");
    printf("%d rounds each in the parent, a forked child, the parent again, and with "
           "extism_plugin_new\n",
           ROUNDS);
cleanup:
    for (int i = 0; i < 2; i++) {
        if (verdict_pipe[i] >= 0) {
            close(verdict_pipe[i]);
        }
    }
    extism_compiled_plugin_free(compiled);
    free(wasm);
    return failed ? EXIT_FAILURE : 0;
}
