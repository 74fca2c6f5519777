/* extism_plugin_id: 16 bytes of a random UUIDv4, fixed for the life of a plugin and different
 * between plugins. */
#include "check.h"

static bool is_uuid_v4(const uint8_t *id) {
    return (id[6] >> 4) == 4 && (id[8] & 0xc0) == 0x80;
}

static void print_id(const char *label, const uint8_t *id) {
    int i;
    printf("%s: ", label);
    for (i = 0; i < 16; i++) {
        printf("%02x%s", id[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
    }
    printf("\n");
}

int main(void) {
    int failed = 0;
    uint8_t first[16];
    uint8_t second[16];
    const uint8_t *id = NULL;
    const uint8_t zero[16] = {0};
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *other = NULL;
    ExtismPlugin *from_compiled[2] = {NULL, NULL};
    ExtismCompiledPlugin *compiled = NULL;

    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");
    other = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(other != NULL, "returns.wasm did not load twice");

    id = extism_plugin_id(plugin);
    CHECK(id != NULL, "extism_plugin_id returned NULL");
    memcpy(first, id, 16);
    print_id("id", first);
    CHECK(memcmp(first, zero, 16) != 0, "the id is all zeros");
    CHECK(is_uuid_v4(first), "not a UUIDv4: byte 6 = %02x, byte 8 = %02x", first[6], first[8]);

    /* Stable across calls, errors, traps and reset. */
    CHECK(extism_plugin_call(plugin, "ret_42", NULL, 0) == 42, "ret_42");
    CHECK(extism_plugin_call(plugin, "output_then_trap", NULL, 0) == 134, "output_then_trap");
    CHECK(extism_plugin_call(plugin, "missing", NULL, 0) == -1, "missing");
    CHECK(extism_plugin_reset(plugin), "reset failed");
    id = extism_plugin_id(plugin);
    CHECK(id != NULL && memcmp(id, first, 16) == 0, "the id changed");

    id = extism_plugin_id(other);
    CHECK(id != NULL, "extism_plugin_id returned NULL for the second plugin");
    memcpy(second, id, 16);
    CHECK(is_uuid_v4(second), "second id is not a UUIDv4");
    CHECK(memcmp(first, second, 16) != 0, "two plugins share an id");

    /* Plugins from one compiled plugin get their own ids. */
    compiled = load_compiled_plugin("returns.wasm", NULL, 0, false);
    CHECK(compiled != NULL, "returns.wasm did not compile");
    from_compiled[0] = extism_plugin_new_from_compiled(compiled, NULL);
    from_compiled[1] = extism_plugin_new_from_compiled(compiled, NULL);
    CHECK(from_compiled[0] != NULL && from_compiled[1] != NULL, "new_from_compiled failed");
    CHECK(extism_plugin_id(from_compiled[0]) != NULL && extism_plugin_id(from_compiled[1]) != NULL,
          "no id for a plugin made from a compiled plugin");
    CHECK(memcmp(extism_plugin_id(from_compiled[0]), extism_plugin_id(from_compiled[1]), 16) != 0,
          "plugins from one compiled plugin share an id");
    CHECK(memcmp(extism_plugin_id(from_compiled[0]), first, 16) != 0 &&
              memcmp(extism_plugin_id(from_compiled[1]), first, 16) != 0,
          "a plugin from a compiled plugin has the id of another plugin");
    CHECK(is_uuid_v4(extism_plugin_id(from_compiled[0])) &&
              is_uuid_v4(extism_plugin_id(from_compiled[1])),
          "not a UUIDv4");

cleanup:
    extism_plugin_free(from_compiled[1]);
    extism_plugin_free(from_compiled[0]);
    extism_compiled_plugin_free(compiled);
    extism_plugin_free(other);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
