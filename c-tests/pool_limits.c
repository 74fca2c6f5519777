/* Instances in pool slots get everything an instance allocated on demand gets: a memory that
 * grows to the 4 GiB its manifest allows, a table that grows far past a small slot's, and a
 * module with two memories (which no one-memory slot holds) runs too. A slot that another
 * plugin used before starts clean: nothing of the previous instance's memory, its grown size
 * or its table is left. */
#include "check.h"

static ExtismPlugin *from_manifest(const char *json_format, const char *wasm) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest, json_format, plugin_path(wasm));
    return plugin_from_text(manifest, NULL, 0, false);
}

static int32_t call(ExtismPlugin *plugin, const char *name) {
    int32_t rc = extism_plugin_call(plugin, name, NULL, 0);
    if (rc != 0) {
        fprintf(stderr, "%s: rc %d, error %s\n", name, rc,
                text_or_null(extism_plugin_error(plugin)));
    }
    return rc;
}

int main(void) {
    int failed = 0;
    ExtismPlugin *allowed = NULL;
    ExtismPlugin *unlimited = NULL;
    ExtismPlugin *limited = NULL;
    ExtismPlugin *two = NULL;
    ExtismPlugin *reader = NULL;
    int32_t rc;

    /* max_pages 65536: the whole 4 GiB. */
    allowed = from_manifest("{\"wasm\":[{\"path\":\"%s\"}],\"memory\":{\"max_pages\":65536}}",
                            "pool_limits.wasm");
    CHECK(allowed != NULL, "pool_limits.wasm with max_pages 65536 did not load");
    CHECK(call(allowed, "grow_memory") == 0, "growing to 4 GiB with max_pages 65536 failed");

    /* No max_pages: the same ceiling. */
    unlimited = from_manifest("{\"wasm\":[{\"path\":\"%s\"}]}", "pool_limits.wasm");
    CHECK(unlimited != NULL, "pool_limits.wasm did not load");
    CHECK(call(unlimited, "grow_memory") == 0, "growing to 4 GiB without max_pages failed");
    /* (max_pages charges tables too: after the memory took all 4 GiB a table could not grow.) */
    CHECK(call(unlimited, "grow_table") == 0, "growing the table by 1,000,000 failed");

    /* A smaller max_pages still holds: the growth fails the call with oom. */
    limited = from_manifest("{\"wasm\":[{\"path\":\"%s\"}],\"memory\":{\"max_pages\":32}}",
                            "pool_limits.wasm");
    CHECK(limited != NULL, "pool_limits.wasm with max_pages 32 did not load");
    CHECK(extism_plugin_call(limited, "grow_memory", NULL, 0) != 0,
          "max_pages 32 let the memory grow to 4 GiB");
    CHECK_STR_EQ(extism_plugin_error(limited), "oom");

    two = from_manifest("{\"wasm\":[{\"path\":\"%s\"}]}", "two_memories.wasm");
    CHECK(two != NULL, "two_memories.wasm did not load");
    CHECK(extism_plugin_call(two, "run", NULL, 0) == 7, "two_memories run: rc %d, error %s",
          extism_plugin_call(two, "run", NULL, 0), text_or_null(extism_plugin_error(two)));

    /* Write a secret and free, then a new plugin of the same module (which the pool gives the
     * slot its instances just left) must read nothing. Repeated, so slots are reused. */
    for (int i = 0; i < 50; i++) {
        ExtismPlugin *writer = from_manifest("{\"wasm\":[{\"path\":\"%s\"}]}", "pool_limits.wasm");
        CHECK(writer != NULL, "round %d: writer did not load", i);
        rc = call(writer, "write_secret");
        extism_plugin_free(writer);
        CHECK(rc == 0, "round %d: write_secret failed", i);
        reader = from_manifest("{\"wasm\":[{\"path\":\"%s\"}]}", "pool_limits.wasm");
        CHECK(reader != NULL, "round %d: reader did not load", i);
        rc = extism_plugin_call(reader, "read_secret", NULL, 0);
        CHECK(rc == 0, "round %d: a new instance found what the last one left (check %d)", i, rc);
        extism_plugin_free(reader);
        reader = NULL;
    }

cleanup:
    extism_plugin_free(reader);
    extism_plugin_free(allowed);
    extism_plugin_free(unlimited);
    extism_plugin_free(limited);
    extism_plugin_free(two);
    return failed ? EXIT_FAILURE : 0;
}
