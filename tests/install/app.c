/* Built against an installed libextism: runs count_vowels.wasm (path in argv[1]) on
 * "Hello, World!" and prints the output. Exits non-zero on any failure. */
#include <extism.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s COUNT_VOWELS_WASM\n", argv[0]);
        return 2;
    }
    char manifest[4096];
    int n = snprintf(manifest, sizeof manifest, "{\"wasm\": [{\"path\": \"%s\"}]}", argv[1]);
    if (n < 0 || (size_t)n >= sizeof manifest) {
        fprintf(stderr, "path too long\n");
        return 2;
    }
    char *errmsg = NULL;
    ExtismPlugin *plugin =
        extism_plugin_new((const uint8_t *)manifest, strlen(manifest), NULL, 0, false, &errmsg);
    if (plugin == NULL) {
        fprintf(stderr, "extism_plugin_new: %s\n", errmsg);
        extism_plugin_new_error_free(errmsg);
        return 1;
    }
    const char *input = "Hello, World!";
    int32_t rc = extism_plugin_call(plugin, "count_vowels", (const uint8_t *)input, strlen(input));
    if (rc != EXTISM_SUCCESS) {
        const char *error = extism_plugin_error(plugin);
        fprintf(stderr, "extism_plugin_call: rc %d: %s\n", (int)rc, error ? error : "(no message)");
        extism_plugin_free(plugin);
        return 1;
    }
    printf("%s %.*s\n", extism_version(), (int)extism_plugin_output_length(plugin),
           (const char *)extism_plugin_output_data(plugin));
    extism_plugin_free(plugin);
    return 0;
}
