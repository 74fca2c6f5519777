/* The on-disk compilation cache follows EXTISM_CACHE_CONFIG: with a wasmtime cache
 * configuration file that names a directory, compiling a plugin leaves one compiled-module file
 * per module (the plugin's and the kernel's) in `<directory>/extism-modules`, and the plugin
 * works. The variable is read when the library first creates a plugin, so it is set before. */
#include <dirent.h>
#include <unistd.h>

#include "check.h"

/* Number of regular `*.cwasm` files in `dir`, or -1 if it cannot be read. */
static int count_modules(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len > 6 && strcmp(entry->d_name + len - 6, ".cwasm") == 0) {
            count++;
        }
    }
    closedir(d);
    return count;
}

/* Deletes the files in `dir`, then `dir`. */
static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    char path[1024];
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int main(void) {
    int failed = 0;
    char root[] = "/tmp/extism-disk-cache-XXXXXX";
    char config[64], cache_dir[64], modules_dir[96];
    bool made = false;
    FILE *file = NULL;
    ExtismPlugin *plugin = NULL;

    CHECK(mkdtemp(root) != NULL, "mkdtemp failed");
    made = true;
    snprintf(config, sizeof config, "%s/config.toml", root);
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", root);
    snprintf(modules_dir, sizeof modules_dir, "%s/extism-modules", cache_dir);
    file = fopen(config, "w");
    CHECK(file != NULL, "cannot write %s", config);
    fprintf(file, "[cache]\ndirectory = \"%s\"\n", cache_dir);
    fclose(file);
    file = NULL;
    CHECK(setenv("EXTISM_CACHE_CONFIG", config, 1) == 0, "setenv failed");

    CHECK(count_modules(modules_dir) == -1, "the cache directory exists before any plugin");
    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");
    CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");
    CHECK(count_modules(modules_dir) == 2, "expected 2 compiled modules in %s, found %d",
          modules_dir, count_modules(modules_dir));
    extism_plugin_free(plugin);

    /* The same bytes again: found in memory or on disk, no new file. */
    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load again");
    CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");
    CHECK(count_modules(modules_dir) == 2, "a second creation added files: %d",
          count_modules(modules_dir));

cleanup:
    extism_plugin_free(plugin);
    if (file != NULL) {
        fclose(file);
    }
    if (made) {
        remove_dir(modules_dir);
        rmdir(cache_dir);
        unlink(config);
        rmdir(root);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
