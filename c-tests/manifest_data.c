/* Wasm given inside the manifest: base64 `data`, `data` as {ptr, len} into this process, and
 * the same manifest written as TOML. */
#include "check.h"

/* Standard base64 with padding; returns a malloc'd NUL-terminated string. */
static char *base64_encode(const uint8_t *bytes, size_t len) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1);
    size_t i, o = 0;
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i + 2 < len; i += 3) {
        uint32_t word = (uint32_t)bytes[i] << 16 | (uint32_t)bytes[i + 1] << 8 | bytes[i + 2];
        out[o++] = alphabet[word >> 18 & 63];
        out[o++] = alphabet[word >> 12 & 63];
        out[o++] = alphabet[word >> 6 & 63];
        out[o++] = alphabet[word & 63];
    }
    if (i < len) {
        uint32_t word = (uint32_t)bytes[i] << 16 | (i + 1 < len ? (uint32_t)bytes[i + 1] << 8 : 0);
        out[o++] = alphabet[word >> 18 & 63];
        out[o++] = alphabet[word >> 12 & 63];
        out[o++] = i + 1 < len ? alphabet[word >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

int main(void) {
    int failed = 0;
    size_t len = 0;
    uint8_t *wasm = NULL;
    char *encoded = NULL;
    char *manifest = NULL;
    char *errmsg = NULL;
    char small[4096];
    ExtismPlugin *plugin = NULL;

    wasm = read_file(plugin_path("echo.wasm"), &len);
    CHECK(wasm != NULL, "cannot read echo.wasm");
    encoded = base64_encode(wasm, len);
    CHECK(encoded != NULL, "out of memory");
    manifest = malloc(strlen(encoded) + 256);
    CHECK(manifest != NULL, "out of memory");

    /* The encoder itself: all three padding cases. */
    {
        char *a = base64_encode((const uint8_t *)"M", 1);
        char *b = base64_encode((const uint8_t *)"Ma", 2);
        char *c = base64_encode((const uint8_t *)"Man", 3);
        bool ok = a && b && c && !strcmp(a, "TQ==") && !strcmp(b, "TWE=") && !strcmp(c, "TWFu");
        free(a);
        free(b);
        free(c);
        CHECK(ok, "base64 encoder is wrong");
    }

    sprintf(manifest, "{\"wasm\":[{\"data\":\"%s\"}]}", encoded);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "base64 data manifest did not load");
    CHECK_CALL_OUTPUT(plugin, "echo", "from base64", "from base64");
    extism_plugin_free(plugin);
    plugin = NULL;

    /* A single entry is main whatever its name. */
    sprintf(manifest, "{\"wasm\":[{\"data\":\"%s\",\"name\":\"anything\"}]}", encoded);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "named base64 data manifest did not load");
    CHECK_CALL_OUTPUT(plugin, "echo", "named", "named");
    extism_plugin_free(plugin);
    plugin = NULL;

    sprintf(manifest, "[[wasm]]\ndata = \"%s\"\n\n[config]\nkey = \"value\"\n", encoded);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "TOML manifest with data did not load");
    CHECK_CALL_OUTPUT(plugin, "echo", "from TOML", "from TOML");
    extism_plugin_free(plugin);
    plugin = NULL;

    snprintf(small, sizeof small, "[[wasm]]\npath = \"%s\"\n", plugin_path("echo.wasm"));
    plugin = plugin_from_text(small, NULL, 0, false);
    CHECK(plugin != NULL, "TOML manifest with a path did not load");
    CHECK_CALL_OUTPUT(plugin, "echo", "path in TOML", "path in TOML");
    extism_plugin_free(plugin);
    plugin = NULL;

    /* Invalid base64 fails to parse. */
    errmsg = text_creation_error("{\"wasm\":[{\"data\":\"not base64!\"}]}");
    CHECK_STR_EQ(errmsg, "Unable to compile Extism plugin: Unknown manifest format");
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    /* Data by address: copied at load time, so the buffer may go away afterwards. */
    snprintf(small, sizeof small, "{\"wasm\":[{\"data\":{\"ptr\":%llu,\"len\":%llu}}]}",
             (unsigned long long)(uintptr_t)wasm, (unsigned long long)len);
    plugin = plugin_from_text(small, NULL, 0, false);
    CHECK(plugin != NULL, "pointer data manifest did not load");
    memset(wasm, 0, len);
    free(wasm);
    wasm = NULL;
    CHECK_CALL_OUTPUT(plugin, "echo", "from a pointer", "from a pointer");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    free(manifest);
    free(encoded);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
