/* Under a file-size limit (`ulimit -f 1000`, RLIMIT_FSIZE of 1000 KiB) a plugin with a 2 MiB
 * data segment is created and called normally: with the cache on (its compiled module does not
 * fit, so it is not written, and no temporary file is left), with the cache off (its initial
 * memory is not written to an in-memory file either), and with the cache on and the module
 * already cached by a process with a larger limit (it is loaded without being copied to an
 * in-memory file). Writing past the limit raises SIGXFSZ, which ends the process; each case
 * runs in a child process so that the test can see that. */
#include <sys/resource.h>

#include "cache_files.h"

#define LIMIT (1000 * 1024)
#define LARGER_LIMIT (64 * 1024 * 1024)
#define DATA_LEN (2 * 1024 * 1024)
/* run returns the first data byte ('a') plus the last ('z'). */
#define ANSWER ('a' + 'z')

static char *wat;

/* A module with DATA_LEN bytes of data: 'a', then 'b's, then 'z'. */
static char *data_module(void) {
    static const char head[] = "(module (memory 33) (data (i32.const 0) \"a";
    static const char tail[] = "z\") (func (export \"run\") (result i32)\n"
                               "  (i32.add (i32.load8_u (i32.const 0))\n"
                               "           (i32.load8_u (i32.const 2097151)))))";
    size_t len = strlen(head) + (DATA_LEN - 2) + strlen(tail);
    char *text = malloc(len + 1);
    if (text == NULL) {
        return NULL;
    }
    memcpy(text, head, strlen(head));
    memset(text + strlen(head), 'b', DATA_LEN - 2);
    memcpy(text + strlen(head) + DATA_LEN - 2, tail, strlen(tail) + 1);
    return text;
}

/* Creates the plugin and calls run, with EXTISM_CACHE_CONFIG set to `config` and the
 * file-size limit lowered to `max_size` first. */
static int create_and_call(const char *config, rlim_t max_size) {
    int failed = 0;
    ExtismPlugin *plugin = NULL;
    struct rlimit limit;

    CHECK(setenv("EXTISM_CACHE_CONFIG", config, 1) == 0, "setenv failed");
    CHECK(getrlimit(RLIMIT_FSIZE, &limit) == 0, "getrlimit failed");
    limit.rlim_cur = max_size;
    CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0, "setrlimit failed");
    plugin = plugin_from_text(wat, NULL, 0, false);
    CHECK(plugin != NULL, "the plugin was not created");
    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == ANSWER, "run did not return %d: %s", ANSWER,
          text_or_null(extism_plugin_error(plugin)));
cleanup:
    extism_plugin_free(plugin);
    return failed;
}

static int cache_off(void *unused) {
    (void)unused;
    return create_and_call("", LIMIT);
}

static int cache_on(void *config) {
    return create_and_call(config, LIMIT);
}

static int cache_on_larger_limit(void *config) {
    return create_and_call(config, LARGER_LIMIT);
}

int main(void) {
    int failed = 0;
    char root[] = "/tmp/extism-disk-cache-fsize-XXXXXX";
    char config_cached[CACHE_PATH_LEN], config_uncached[CACHE_PATH_LEN];
    char cached[CACHE_PATH_LEN], cached_modules[CACHE_PATH_LEN];
    char uncached[CACHE_PATH_LEN], uncached_modules[CACHE_PATH_LEN];
    bool made = false;

    wat = data_module();
    CHECK(wat != NULL, "out of memory");
    CHECK(mkdtemp(root) != NULL, "mkdtemp failed");
    made = true;
    CHECK(join_path(config_uncached, root, "uncached.toml") &&
              join_path(uncached, root, "uncached") &&
              join_path(uncached_modules, root, "uncached-extism") &&
              join_path(config_cached, root, "cached.toml") && join_path(cached, root, "cached") &&
              join_path(cached_modules, root, "cached-extism"),
          "paths too long");
    CHECK(write_cache_config(config_uncached, uncached), "no configuration file");
    CHECK(write_cache_config(config_cached, cached), "no configuration file");

    CHECK(run_in_child(cache_off, NULL) == 0, "cache off");

    CHECK(run_in_child(cache_on, config_uncached) == 0, "cache on");
    CHECK(count_files(uncached_modules, ".tmp", true) == 0, "a temporary file was left in %s",
          uncached_modules);
    /* The kernel's module fits and is cached; the plugin's does not. */
    CHECK(count_files(uncached_modules, ".cwasm", true) == 1,
          "expected only the kernel's module in %s, found %d files", uncached_modules,
          count_files(uncached_modules, ".cwasm", true));

    CHECK(run_in_child(cache_on_larger_limit, config_cached) == 0, "cache on, larger limit");
    CHECK(count_files(cached_modules, ".cwasm", true) == 2, "the modules were not cached in %s",
          cached_modules);
    CHECK(run_in_child(cache_on, config_cached) == 0, "cache on, module cached");
    /* Loaded, not found damaged (a damaged file is deleted, and this one would not be
     * written again under the limit). */
    CHECK(count_files(cached_modules, ".cwasm", true) == 2, "the cached module was deleted");

cleanup:
    free(wat);
    if (made) {
        remove_tree(root);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
