/* Where the on-disk compilation cache puts its files: one compiled-module file per module (the
 * plugin's and the kernel's), in `$XDG_CACHE_HOME/extism/modules` or
 * `$HOME/.cache/extism/modules` when EXTISM_CACHE_CONFIG is unset, and in `<directory>-extism`
 * when it names a wasmtime cache configuration file whose directory is `<directory>`. Never
 * inside a wasmtime cache directory, whose clean-up deletes the files it does not know. Each
 * case runs in its own process, since the variables are read once, at the first plugin. */
#include "cache_files.h"

/* Creates returns.wasm twice and checks that `dir` then holds exactly two compiled modules. */
static int create_and_count(const char *dir) {
    int failed = 0;
    ExtismPlugin *plugin = NULL;

    CHECK(count_files(dir, ".cwasm", true) <= 0, "%s has modules before any plugin", dir);
    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");
    CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");
    CHECK(count_files(dir, ".cwasm", false) == 2, "expected 2 compiled modules in %s, found %d",
          dir, count_files(dir, ".cwasm", false));
    extism_plugin_free(plugin);

    /* The same bytes again: found in memory or on disk, no new file. */
    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load again");
    CHECK_CALL_OUTPUT(plugin, "output_hello", "", "hello");
    CHECK(count_files(dir, ".cwasm", false) == 2, "a second creation added files: %d",
          count_files(dir, ".cwasm", false));

cleanup:
    extism_plugin_free(plugin);
    return failed;
}

static const char *root;

/* A configuration file naming `<root>/wasmtime`: files in `<root>/wasmtime-extism`. */
static int configured(void *unused) {
    (void)unused;
    int failed = 0;
    char config[CACHE_PATH_LEN], wasmtime[CACHE_PATH_LEN], ours[CACHE_PATH_LEN];
    CHECK(join_path(config, root, "config.toml") && join_path(wasmtime, root, "wasmtime") &&
              join_path(ours, root, "wasmtime-extism"),
          "paths too long");
    CHECK(write_cache_config(config, wasmtime), "no configuration file");
    CHECK(setenv("EXTISM_CACHE_CONFIG", config, 1) == 0, "setenv failed");

    CHECK(create_and_count(ours) == 0, "with EXTISM_CACHE_CONFIG=%s", config);
    CHECK(count_files(wasmtime, "", true) <= 0,
          "%s, wasmtime's cache directory, holds %d files of ours", wasmtime,
          count_files(wasmtime, "", true));
cleanup:
    return failed;
}

/* Unset, with XDG_CACHE_HOME: `$XDG_CACHE_HOME/extism/modules`, and nothing in
 * `$XDG_CACHE_HOME/wasmtime` (wasmtime's default cache directory) or under HOME. */
static int default_xdg(void *unused) {
    (void)unused;
    int failed = 0;
    char xdg[CACHE_PATH_LEN], home[CACHE_PATH_LEN], ours[CACHE_PATH_LEN];
    char wasmtime[CACHE_PATH_LEN];
    CHECK(join_path(xdg, root, "xdg") && join_path(home, root, "home") &&
              join_path(ours, xdg, "extism/modules") && join_path(wasmtime, xdg, "wasmtime"),
          "paths too long");
    CHECK(unsetenv("EXTISM_CACHE_CONFIG") == 0, "unsetenv failed");
    CHECK(setenv("XDG_CACHE_HOME", xdg, 1) == 0, "setenv failed");
    CHECK(setenv("HOME", home, 1) == 0, "setenv failed");

    CHECK(create_and_count(ours) == 0, "with XDG_CACHE_HOME=%s", xdg);
    CHECK(count_files(wasmtime, "", true) <= 0, "%s holds files", wasmtime);
    CHECK(count_files(home, "", true) <= 0, "%s holds files", home);
cleanup:
    return failed;
}

/* Unset, without XDG_CACHE_HOME: `$HOME/.cache/extism/modules`. */
static int default_home(void *unused) {
    (void)unused;
    int failed = 0;
    char home[CACHE_PATH_LEN], ours[CACHE_PATH_LEN], wasmtime[CACHE_PATH_LEN];
    CHECK(join_path(home, root, "home") && join_path(ours, home, ".cache/extism/modules") &&
              join_path(wasmtime, home, ".cache/wasmtime"),
          "paths too long");
    CHECK(unsetenv("EXTISM_CACHE_CONFIG") == 0, "unsetenv failed");
    CHECK(unsetenv("XDG_CACHE_HOME") == 0, "unsetenv failed");
    CHECK(setenv("HOME", home, 1) == 0, "setenv failed");

    CHECK(create_and_count(ours) == 0, "with HOME=%s", home);
    CHECK(count_files(wasmtime, "", true) <= 0, "%s holds files", wasmtime);
cleanup:
    return failed;
}

int main(void) {
    int failed = 0;
    char dir[] = "/tmp/extism-disk-cache-XXXXXX";
    bool made = false;

    CHECK(mkdtemp(dir) != NULL, "mkdtemp failed");
    made = true;
    root = dir;
    CHECK(run_in_child(configured, NULL) == 0, "configured directory");
    CHECK(run_in_child(default_xdg, NULL) == 0, "default location under XDG_CACHE_HOME");
    CHECK(run_in_child(default_home, NULL) == 0, "default location under HOME");

cleanup:
    if (made) {
        remove_tree(dir);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
