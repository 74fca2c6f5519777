/* Config seen by the guest's config_get (config_var.wasm): manifest values, runtime merges
 * with extism_plugin_config, a missing key, and an invalid key handle (docs/abi.md 3.7, 5.3, D2).
 */
#include "check.h"

static bool merge(ExtismPlugin *plugin, const char *json) {
    return extism_plugin_config(plugin, (const uint8_t *)json, strlen(json));
}

static bool check_missing(ExtismPlugin *plugin, const char *key) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, "get_config", (const uint8_t *)key, strlen(key));
    CHECK(rc == 1, "get_config of %s returned %d, expected 1", key, rc);
    CHECK_STR_EQ(extism_plugin_error(plugin), "missing");
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    char manifest[4096];
    ExtismPlugin *plugin = NULL;

    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"config\":{\"name\":\"manifest\",\"unicode\":"
             "\"\xc3\xa9t\xc3\xa9\",\"kept\":\"yes\"}}",
             plugin_path("config_var.wasm"));
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "config_var.wasm manifest did not load");

    CHECK_CALL_OUTPUT(plugin, "get_config", "name", "manifest");
    CHECK_CALL_OUTPUT(plugin, "get_config", "unicode", "\xc3\xa9t\xc3\xa9");
    CHECK(check_missing(plugin, "absent"), "absent key");

    /* Merges set and remove single keys and leave the rest. */
    CHECK(merge(plugin, "{\"name\":\"runtime\",\"added\":\"new\"}"), "merge refused");
    CHECK_CALL_OUTPUT(plugin, "get_config", "name", "runtime");
    CHECK_CALL_OUTPUT(plugin, "get_config", "added", "new");
    CHECK_CALL_OUTPUT(plugin, "get_config", "kept", "yes");
    CHECK(merge(plugin, "{\"added\":null,\"never_set\":null}"), "removal refused");
    CHECK(check_missing(plugin, "added"), "removed key");
    CHECK_CALL_OUTPUT(plugin, "get_config", "name", "runtime");
    CHECK(merge(plugin, "{}"), "empty merge refused");
    CHECK_CALL_OUTPUT(plugin, "get_config", "kept", "yes");

    /* Refused input changes nothing. */
    CHECK(!merge(plugin, "{\"name\":[\"x\"]}"), "an array value was accepted");
    CHECK(!merge(plugin, "\"name\""), "a JSON string was accepted");
    CHECK(!merge(plugin, "not json"), "text was accepted");
    CHECK_CALL_OUTPUT(plugin, "get_config", "name", "runtime");

    /* An invalid key handle fails the call with the host's message. */
    CHECK(extism_plugin_call(plugin, "bad_config_key", NULL, 0) == -1,
          "an invalid config key handle did not fail the call");
    CHECK_STR_EQ(extism_plugin_error(plugin), "invalid handle offset for config key: 16777215");
    CHECK_CALL_OUTPUT(plugin, "get_config", "kept", "yes");

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
