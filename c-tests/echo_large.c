/* echo.wasm returns its input byte for byte: small sizes around the 8-byte word boundary and
 * 16 MiB of pseudo-random bytes. */
#include "check.h"

static void fill_pseudo_random(uint8_t *bytes, size_t len, uint64_t seed) {
    uint64_t state = seed;
    size_t i;
    for (i = 0; i < len; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes[i] = (uint8_t)(state >> 24);
    }
}

static bool echo_round_trip(ExtismPlugin *plugin, uint8_t *buffer, size_t len) {
    int failed = 0;
    size_t i;
    int32_t rc;
    const uint8_t *output;

    fill_pseudo_random(buffer, len, 0x9e3779b97f4a7c15ULL + len);
    rc = extism_plugin_call(plugin, "echo", buffer, len);
    CHECK(rc == 0, "echo of %zu bytes: rc %d, error %s", len, rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    CHECK(extism_plugin_output_length(plugin) == len, "echo of %zu bytes gave %llu bytes", len,
          (unsigned long long)extism_plugin_output_length(plugin));
    output = extism_plugin_output_data(plugin);
    CHECK(output != NULL, "output_data is NULL");
    for (i = 0; i < len; i++) {
        CHECK(output[i] == buffer[i], "echo of %zu bytes differs at byte %zu: %02x != %02x", len, i,
              output[i], buffer[i]);
    }

cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    static const size_t sizes[] = {
        0, 1, 7, 8, 9, 15, 16, 17, 4095, 4096, 65536, 65537, (size_t)1 << 20};
    const size_t large = (size_t)16 << 20;
    size_t i;
    uint8_t *buffer = malloc(large + 9);
    ExtismPlugin *plugin = NULL;

    CHECK(buffer != NULL, "out of memory");
    plugin = load_plugin("echo.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "echo.wasm did not load");

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK(echo_round_trip(plugin, buffer, sizes[i]), "size %zu", sizes[i]);
    }
    CHECK(echo_round_trip(plugin, buffer, large), "16 MiB");
    CHECK(echo_round_trip(plugin, buffer, large + 9), "16 MiB + 9");
    /* Small again after large: nothing is left over from the big call. */
    CHECK(echo_round_trip(plugin, buffer, 3), "3 bytes after 16 MiB");
    CHECK(echo_round_trip(plugin, buffer, 0), "0 bytes after 16 MiB");

    /* Input with a NULL pointer and length 0 is empty input. */
    CHECK(extism_plugin_call(plugin, "echo", NULL, 0) == 0, "echo of NULL, 0");
    CHECK(extism_plugin_output_length(plugin) == 0, "echo of NULL, 0 produced output");

cleanup:
    extism_plugin_free(plugin);
    free(buffer);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
