/* Compiled modules loaded from the on-disk cache do not depend on their files afterwards:
 * rewriting every cache file (the plugin's and the kernel's) in place at the same size, or
 * truncating it to 4 KiB or to 0 bytes, changes nothing for plugins already created, for new
 * plugins from the same bytes, or for plugins created after every other was freed. (A library
 * that maps the files dies of SIGBUS at the next call, or runs whatever was written.) */
#include <fcntl.h>

#include "cache_files.h"

static char modules[CACHE_PATH_LEN];

/* Fills the cache: runs in a child, so that the test process loads the files. */
static int fill_cache(void *unused) {
    (void)unused;
    int failed = 0;
    ExtismPlugin *plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");
    CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");
cleanup:
    extism_plugin_free(plugin);
    return failed;
}

enum damage { REWRITE, TRUNCATE_4K, TRUNCATE_0 };
static const char *const damage_names[] = {"rewritten in place", "truncated to 4 KiB",
                                           "truncated to 0 bytes"};

/* Applies `damage` to every file in `modules`; returns how many it changed. */
static int damage_files(enum damage damage) {
    DIR *d = opendir(modules);
    if (d == NULL) {
        return -1;
    }
    int changed = 0;
    char path[CACHE_PATH_LEN];
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (!ends_with(entry->d_name, ".cwasm") || !join_path(path, modules, entry->d_name)) {
            continue;
        }
        if (damage == REWRITE) {
            size_t len = 0;
            uint8_t *bytes = read_file(path, &len);
            FILE *file = fopen(path, "r+b");
            if (bytes != NULL && file != NULL) {
                for (size_t i = 0; i < len; i++) {
                    bytes[i] ^= 0x5a;
                }
                changed += fwrite(bytes, 1, len, file) == len;
            }
            if (file != NULL) {
                fclose(file);
            }
            free(bytes);
        } else {
            changed += truncate(path, damage == TRUNCATE_0 ? 0 : 4096) == 0;
        }
    }
    closedir(d);
    return changed;
}

/* A new plugin from returns.wasm answers. */
static bool new_plugin_works(void) {
    int failed = 0;
    ExtismPlugin *plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");
    CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");
cleanup:
    extism_plugin_free(plugin);
    return !failed;
}

int main(void) {
    int failed = 0;
    char root[] = "/tmp/extism-disk-cache-truncate-XXXXXX";
    char config[CACHE_PATH_LEN], wasmtime[CACHE_PATH_LEN];
    bool made = false;
    ExtismPlugin *plugin = NULL;

    CHECK(mkdtemp(root) != NULL, "mkdtemp failed");
    made = true;
    CHECK(join_path(config, root, "config.toml") && join_path(wasmtime, root, "wasmtime") &&
              join_path(modules, root, "wasmtime-extism"),
          "paths too long");
    CHECK(write_cache_config(config, wasmtime), "no configuration file");
    CHECK(setenv("EXTISM_CACHE_CONFIG", config, 1) == 0, "setenv failed");

    CHECK(run_in_child(fill_cache, NULL) == 0, "filling the cache failed");
    CHECK(count_files(modules, ".cwasm", false) == 2, "expected 2 compiled modules in %s, found %d",
          modules, count_files(modules, ".cwasm", false));

    /* The kernel and the plugin both come from the files now. */
    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load from the cache");
    CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");

    for (enum damage damage = REWRITE; damage <= TRUNCATE_0; damage++) {
        CHECK(damage_files(damage) == 2, "could not damage the files (%s)", damage_names[damage]);
        CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");
        CHECK(new_plugin_works(), "a new plugin failed after the files were %s",
              damage_names[damage]);
    }

    /* With no plugin left, the modules are still held in memory, not in the files. */
    extism_plugin_free(plugin);
    plugin = NULL;
    CHECK(damage_files(TRUNCATE_0) == 2, "could not truncate the files");
    CHECK(new_plugin_works(), "a plugin created after every other was freed failed");

cleanup:
    extism_plugin_free(plugin);
    if (made) {
        remove_tree(root);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
