/* Plugin vars from both sides: the guest's var_get/var_set (config_var.wasm, count_vowels.wasm)
 * and the host's extism_plugin_var_get/_set/_remove (docs/abi.md 10), with the max_var_bytes limit
 * (docs/abi.md 7.3). */
#include "check.h"

static bool set_var(ExtismPlugin *plugin, const char *key, const char *value) {
    return extism_plugin_var_set(plugin, key, (const uint8_t *)value, strlen(value));
}

/* Checks that the host sees `key` set to exactly `expected`. */
static bool var_equals(ExtismPlugin *plugin, const char *key, const char *expected) {
    ExtismSize len = 0;
    const uint8_t *value = extism_plugin_var_get(plugin, key, &len);
    bool same = value != NULL && len == strlen(expected) && memcmp(value, expected, len) == 0;
    if (!same) {
        fprintf(stderr, "var %s: ", key);
        if (value != NULL) {
            print_bytes(stderr, value, (size_t)len);
        } else {
            fputs("(unset)", stderr);
        }
        fprintf(stderr, ", expected \"%s\"\n", expected);
    }
    return same;
}

static ExtismPlugin *config_var_with_limit(const char *limit) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"memory\":{\"max_var_bytes\":%s}}",
             plugin_path("config_var.wasm"), limit);
    return plugin_from_text(manifest, NULL, 0, false);
}

int main(void) {
    int failed = 0;
    ExtismSize len = 0;
    char value[64];
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *vowels = NULL;
    ExtismPlugin *limited = NULL;

    plugin = load_plugin("config_var.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "config_var.wasm did not load");

    /* Host writes, guest reads. */
    CHECK_CALL_OUTPUT(plugin, "get_var", "greeting", "none");
    CHECK(extism_plugin_var_get(plugin, "greeting", &len) == NULL, "greeting set before use");
    CHECK(set_var(plugin, "greeting", "hi there"), "var_set refused");
    CHECK(var_equals(plugin, "greeting", "hi there"), "host read-back");
    CHECK_CALL_OUTPUT(plugin, "get_var", "greeting", "hi there");
    CHECK(set_var(plugin, "greeting", "bye"), "var_set of an existing key refused");
    CHECK_CALL_OUTPUT(plugin, "get_var", "greeting", "bye");

    /* Guest writes, host reads. */
    CHECK_CALL_OUTPUT(plugin, "set_var", "colour=blue", "");
    CHECK(var_equals(plugin, "colour", "blue"), "guest-set var");
    CHECK_CALL_OUTPUT(plugin, "set_var", "colour=red=ish", "");
    CHECK(var_equals(plugin, "colour", "red=ish"), "guest-set var, split at the first '='");
    CHECK_CALL_OUTPUT(plugin, "del_var", "colour", "");
    CHECK(extism_plugin_var_get(plugin, "colour", &len) == NULL, "guest delete not seen by host");

    /* Host removes. */
    CHECK(extism_plugin_var_remove(plugin, "greeting"), "var_remove of a set var returned false");
    CHECK(!extism_plugin_var_remove(plugin, "greeting"),
          "var_remove of an unset var returned true");
    CHECK_CALL_OUTPUT(plugin, "get_var", "greeting", "none");

    /* Keys must be UTF-8. */
    CHECK(!set_var(plugin, "\xff\xfe", "x"), "a non-UTF-8 key was accepted");

    /* Vars persist across calls and belong to one plugin. */
    vowels = load_plugin("count_vowels.wasm", NULL, 0, false);
    CHECK(vowels != NULL, "count_vowels.wasm did not load");
    CHECK_CALL_OUTPUT(vowels, "count_vowels", "aaa",
                      "{\"count\":3,\"total\":3,\"vowels\":\"aeiouAEIOU\"}");
    CHECK(var_equals(vowels, "total", "3"), "count_vowels total");
    CHECK(extism_plugin_var_get(plugin, "total", &len) == NULL, "vars leaked between plugins");
    CHECK(set_var(vowels, "total", "100"), "setting total refused");
    CHECK_CALL_OUTPUT(vowels, "count_vowels", "a",
                      "{\"count\":1,\"total\":101,\"vowels\":\"aeiouAEIOU\"}");
    CHECK(var_equals(vowels, "total", "101"), "count_vowels total after host write");

    /* max_var_bytes 0 disables writes from both sides; reads still work. */
    limited = config_var_with_limit("0");
    CHECK(limited != NULL, "max_var_bytes 0 did not load");
    CHECK(!set_var(limited, "k", "v"), "var_set worked with vars disabled");
    CHECK(extism_plugin_call(limited, "set_var", (const uint8_t *)"k=v", 3) == -1,
          "guest var_set worked with vars disabled");
    CHECK_STR_EQ(extism_plugin_error(limited), "Vars are disabled by this host");
    CHECK_CALL_OUTPUT(limited, "get_var", "k", "none");
    extism_plugin_free(limited);
    limited = NULL;

    /* The limit counts key + value + 48 bytes per entry, the replaced entry included. */
    limited = config_var_with_limit("100");
    CHECK(limited != NULL, "max_var_bytes 100 did not load");
    memset(value, 'v', sizeof value);
    value[51] = '\0';
    CHECK(set_var(limited, "a", value), "1 + 51 + 48 = 100 bytes refused");
    CHECK(!set_var(limited, "b", ""), "a second entry fit in a full store");
    CHECK(!set_var(limited, "a", "x"), "a replacement is counted with the entry it replaces");
    CHECK(var_equals(limited, "a", value), "a refused write changed the var");
    CHECK(extism_plugin_call(limited, "set_var", (const uint8_t *)"b=x", 3) == -1,
          "guest var_set fit in a full store");
    CHECK_STR_EQ(extism_plugin_error(limited), "Variable store is full");
    CHECK(extism_plugin_var_remove(limited, "a"), "var_remove of a");
    CHECK_CALL_OUTPUT(limited, "set_var", "b=x", "");
    CHECK(var_equals(limited, "b", "x"), "guest var after the store was emptied");

cleanup:
    extism_plugin_free(limited);
    extism_plugin_free(vowels);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
