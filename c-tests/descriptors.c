/* Open descriptors do not grow with the number of modules: under a limit of 256 descriptors
 * (RLIMIT_NOFILE), 1,000 plugins, each of a module of its own (a distinct WAT text with a data
 * segment, so each has an initial memory image), are all alive at once and each is called, and
 * while they live the host can still open 128 files. Each case runs in a process of its own,
 * since the library reads its environment once:
 *   - no on-disk cache (EXTISM_CACHE_CONFIG empty): every module is compiled;
 *   - the on-disk cache in an empty directory: every module is compiled and stored;
 *   - the same directory again: every module is loaded from its cache file.
 * The number of plugins comes from EXTISM_FD_TEST_PLUGINS (default DEFAULT_PLUGINS). */
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cache_files.h"

#define DEFAULT_PLUGINS 1000
#define DESCRIPTOR_LIMIT 256
#define HOST_FILES 128
/* Descriptors the library may open for itself once, whatever the number of modules (the
 * process's page map, a thread's event descriptor, ...). */
#define LIBRARY_DESCRIPTORS 16

/* A module that outputs "module <n>", copied from its data segment. */
static const char *const WAT_FORMAT =
    "(module\n"
    "  (import \"extism:host/env\" \"alloc\" (func $alloc (param i64) (result i64)))\n"
    "  (import \"extism:host/env\" \"store_u8\" (func $store_u8 (param i64 i32)))\n"
    "  (import \"extism:host/env\" \"output_set\" (func $output_set (param i64 i64)))\n"
    "  (memory 1)\n"
    "  (data (i32.const 1024) \"module %06d\")\n"
    "  (func (export \"run\") (result i32)\n"
    "    (local $h i64) (local $i i32)\n"
    "    (local.set $h (call $alloc (i64.const 13)))\n"
    "    (block $done\n"
    "      (loop $next\n"
    "        (br_if $done (i32.ge_u (local.get $i) (i32.const 13)))\n"
    "        (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))\n"
    "          (i32.load8_u offset=1024 (local.get $i)))\n"
    "        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "        (br $next)))\n"
    "    (call $output_set (local.get $h) (i64.const 13))\n"
    "    (i32.const 0)))\n";

static int plugin_count;
static char cache_root[] = "/tmp/extism-descriptors-XXXXXX";

/* Descriptors open in this process (not counting the one that reads the list), or -1. */
static int open_descriptors(void) {
    DIR *fds = opendir("/proc/self/fd");
    int count = -1;
    if (fds == NULL) {
        return -1;
    }
    for (struct dirent *entry = readdir(fds); entry != NULL; entry = readdir(fds)) {
        if (entry->d_name[0] != '.') {
            count++;
        }
    }
    closedir(fds);
    return count;
}

/* Creates the plugins, calls each, and checks what the descriptors did meanwhile. */
static int create_and_call(void *unused) {
    (void)unused;
    int failed = 0;
    ExtismPlugin **plugins = calloc((size_t)plugin_count, sizeof *plugins);
    int host_files[HOST_FILES];
    int opened = 0;
    int after_first = -1;
    char wat[2048], expected[32];
    struct rlimit limit;

    CHECK(plugins != NULL, "out of memory");
    CHECK(getrlimit(RLIMIT_NOFILE, &limit) == 0, "getrlimit failed");
    limit.rlim_cur = DESCRIPTOR_LIMIT;
    CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0, "setrlimit failed");

    for (int i = 0; i < plugin_count; i++) {
        snprintf(wat, sizeof wat, WAT_FORMAT, i);
        plugins[i] = plugin_from_text(wat, NULL, 0, false);
        CHECK(plugins[i] != NULL, "plugin %d of %d could not be created (%d descriptors open)", i,
              plugin_count, open_descriptors());
        snprintf(expected, sizeof expected, "module %06d", i);
        CHECK_CALL_OUTPUT(plugins[i], "run", "", expected);
        if (i == 0) {
            after_first = open_descriptors();
        }
    }
    /* Every plugin still works once all of them exist. */
    for (int i = 0; i < plugin_count; i++) {
        snprintf(expected, sizeof expected, "module %06d", i);
        CHECK_CALL_OUTPUT(plugins[i], "run", "", expected);
    }
    CHECK(open_descriptors() <= after_first + LIBRARY_DESCRIPTORS,
          "%d descriptors open with %d plugins, %d with one", open_descriptors(), plugin_count,
          after_first);
    for (opened = 0; opened < HOST_FILES; opened++) {
        host_files[opened] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(host_files[opened] >= 0, "the host could open only %d files beside %d plugins",
              opened, plugin_count);
    }

cleanup:
    for (int i = 0; i < opened; i++) {
        close(host_files[i]);
    }
    if (plugins != NULL) {
        for (int i = 0; i < plugin_count; i++) {
            extism_plugin_free(plugins[i]);
        }
    }
    free(plugins);
    return failed;
}

static int uncached(void *unused) {
    int failed = 0;
    CHECK(setenv("EXTISM_CACHE_CONFIG", "", 1) == 0, "setenv failed");
    failed = create_and_call(unused);
cleanup:
    return failed;
}

static int cached(void *unused) {
    int failed = 0;
    CHECK(unsetenv("EXTISM_CACHE_CONFIG") == 0, "unsetenv failed");
    CHECK(setenv("XDG_CACHE_HOME", cache_root, 1) == 0, "setenv failed");
    failed = create_and_call(unused);
cleanup:
    return failed;
}

int main(void) {
    int failed = 0;
    bool made = false;
    char modules[CACHE_PATH_LEN];
    const char *text = getenv("EXTISM_FD_TEST_PLUGINS");

    plugin_count = text ? atoi(text) : DEFAULT_PLUGINS;
    CHECK(plugin_count > 0, "EXTISM_FD_TEST_PLUGINS must be a positive number");
    CHECK(mkdtemp(cache_root) != NULL, "mkdtemp failed");
    made = true;
    CHECK(join_path(modules, cache_root, "extism/modules"), "path too long");

    CHECK(run_in_child(uncached, NULL) == 0, "without the on-disk cache");
    CHECK(run_in_child(cached, NULL) == 0, "with an empty on-disk cache");
    /* One file per module, and the kernel's. */
    CHECK(count_files(modules, ".cwasm", false) > plugin_count,
          "expected %d cache files in %s, found %d", plugin_count + 1, modules,
          count_files(modules, ".cwasm", false));
    CHECK(run_in_child(cached, NULL) == 0, "with every module in the on-disk cache");

cleanup:
    if (made) {
        remove_tree(cache_root);
    }
    return failed ? EXIT_FAILURE : 0;
}
