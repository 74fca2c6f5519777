/* The library reads its environment variables once, when it sets up its first engine (the
 * first plugin made), and never again: a host's setenv on another thread cannot race with
 * it, and a change made later has no effect in the process. Each case runs in a process of
 * its own:
 *   - EXTISM_ENABLE_WASI_OUTPUT set at the first plugin: a WASI guest's stdout reaches the
 *     process's, also for a plugin made after the variable was removed;
 *   - set only after the first plugin: a WASI plugin made afterwards prints nothing;
 *   - EXTISM_CACHE_CONFIG changed after the first plugin: the engine with fuel metering, set
 *     up afterwards, still stores its compiled modules where the first value said;
 *   - RAYON_NUM_THREADS set to 3 at the first plugin: the compiler has 3 threads, also in a
 *     child forked afterwards that sets it to 1 before it compiles (the compiler's threads
 *     start again in a child). */
#include <fcntl.h>

#include "cache_files.h"

#define GREETING "Hello, Bob!"

static char root[] = "/tmp/extism-environment-once-XXXXXX";

/* Makes a WASI plugin, calls greet with "Bob" while stdout goes to a file, and returns
 * whether the greeting was printed there (-1 on failure). */
static int greeting_printed(void) {
    int failed = 0;
    int printed = 0;
    int saved = -1, file = -1;
    char path[CACHE_PATH_LEN], text[256] = "";
    ExtismPlugin *plugin = load_plugin("wasi_hello.wasm", NULL, 0, true);
    CHECK(plugin != NULL, "wasi_hello.wasm did not load");
    CHECK(join_path(path, root, "stdout"), "path too long");
    fflush(stdout);
    file = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    saved = dup(STDOUT_FILENO);
    CHECK(file >= 0 && saved >= 0 && dup2(file, STDOUT_FILENO) == STDOUT_FILENO,
          "cannot redirect stdout");
    CHECK_CALL_OUTPUT(plugin, "greet", "Bob", GREETING);
    CHECK(dup2(saved, STDOUT_FILENO) == STDOUT_FILENO, "cannot restore stdout");
    CHECK(lseek(file, 0, SEEK_SET) == 0 && read(file, text, sizeof text - 1) >= 0,
          "cannot read the captured stdout");
    printed = strstr(text, GREETING) != NULL;

cleanup:
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
    if (file >= 0) {
        close(file);
    }
    extism_plugin_free(plugin);
    return failed ? -1 : printed;
}

static int output_enabled_first(void *unused) {
    (void)unused;
    int failed = 0;
    CHECK(setenv("EXTISM_ENABLE_WASI_OUTPUT", "", 1) == 0, "setenv failed");
    CHECK(greeting_printed() == 1, "EXTISM_ENABLE_WASI_OUTPUT set: nothing printed");
    CHECK(unsetenv("EXTISM_ENABLE_WASI_OUTPUT") == 0, "unsetenv failed");
    CHECK(greeting_printed() == 1, "EXTISM_ENABLE_WASI_OUTPUT removed later: nothing printed");
cleanup:
    return failed;
}

static int output_enabled_late(void *unused) {
    (void)unused;
    int failed = 0;
    CHECK(unsetenv("EXTISM_ENABLE_WASI_OUTPUT") == 0, "unsetenv failed");
    CHECK(greeting_printed() == 0, "EXTISM_ENABLE_WASI_OUTPUT unset: the greeting was printed");
    CHECK(setenv("EXTISM_ENABLE_WASI_OUTPUT", "1", 1) == 0, "setenv failed");
    CHECK(greeting_printed() == 0,
          "EXTISM_ENABLE_WASI_OUTPUT set after the first plugin: the greeting was printed");
cleanup:
    return failed;
}

static int cache_config_changed(void *unused) {
    (void)unused;
    int failed = 0;
    char first_config[CACHE_PATH_LEN], first_dir[CACHE_PATH_LEN], first_files[CACHE_PATH_LEN];
    char second_config[CACHE_PATH_LEN], second_dir[CACHE_PATH_LEN], second_files[CACHE_PATH_LEN];
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *metered = NULL;
    int before;
    char *errmsg = NULL;
    size_t len = 0;
    uint8_t *wasm = NULL;

    CHECK(join_path(first_config, root, "first.toml") && join_path(first_dir, root, "first") &&
              join_path(first_files, root, "first-extism") &&
              join_path(second_config, root, "second.toml") &&
              join_path(second_dir, root, "second") &&
              join_path(second_files, root, "second-extism"),
          "paths too long");
    CHECK(write_cache_config(first_config, first_dir) &&
              write_cache_config(second_config, second_dir),
          "no configuration files");
    CHECK(setenv("EXTISM_CACHE_CONFIG", first_config, 1) == 0, "setenv failed");
    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");
    before = count_files(first_files, ".cwasm", false);
    CHECK(before > 0, "no compiled modules in %s", first_files);

    CHECK(setenv("EXTISM_CACHE_CONFIG", second_config, 1) == 0, "setenv failed");
    wasm = read_file(plugin_path("returns.wasm"), &len);
    CHECK(wasm != NULL, "cannot read returns.wasm");
    metered = extism_plugin_new_with_fuel_limit(wasm, len, NULL, 0, false, 1000000, &errmsg);
    CHECK(metered != NULL, "returns.wasm with a fuel limit did not load: %s", text_or_null(errmsg));
    CHECK_CALL_OUTPUT(metered, "output_hello", "", "hello");
    CHECK(count_files(second_files, ".cwasm", true) <= 0,
          "the engine set up after EXTISM_CACHE_CONFIG changed used the new value (%s)",
          second_files);
    CHECK(count_files(first_files, ".cwasm", false) > before,
          "the engine with fuel metering stored nothing in %s", first_files);

cleanup:
    extism_plugin_new_error_free(errmsg);
    free(wasm);
    extism_plugin_free(plugin);
    extism_plugin_free(metered);
    return failed;
}

/* In a child forked after the first plugin, which changes RAYON_NUM_THREADS to 1 and then
 * compiles: the compiler's threads start again there, as many as the parent read. */
static int compile_in_forked_child(void *unused) {
    (void)unused;
    int failed = 0;
    ExtismPlugin *plugin = NULL;
    CHECK(setenv("RAYON_NUM_THREADS", "1", 1) == 0, "setenv failed");
    plugin = load_plugin("count_vowels.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "count_vowels.wasm did not load in the forked child");
    CHECK(threads_named("extism-compile") == 3, "%d compiler threads, expected 3",
          threads_named("extism-compile"));
cleanup:
    extism_plugin_free(plugin);
    return failed;
}

/* Runs `body` in a child forked from this process, and returns 0 when it passed. The child
 * sends its verdict through a pipe and ends with _exit, and its exit status is not used: a
 * leak checker at the child's exit (ASan's at exit, valgrind's at any exit) would report what
 * the parent's threads, which do not exist in the child, still hold. */
static int in_forked_child(int (*body)(void *)) {
    int status = 0;
    int verdict_pipe[2];
    char verdict = 'n';
    if (pipe(verdict_pipe) != 0) {
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char passed = body(NULL) == 0 ? 'y' : 'n';
        fflush(NULL);
        _exit(write(verdict_pipe[1], &passed, 1) == 1 ? 0 : 1);
    }
    close(verdict_pipe[1]);
    if (pid > 0 && waitpid(pid, &status, 0) == pid && read(verdict_pipe[0], &verdict, 1) != 1) {
        verdict = 'n';
    }
    close(verdict_pipe[0]);
    return verdict == 'y' ? 0 : -1;
}

static int compile_threads(void *unused) {
    (void)unused;
    int failed = 0;
    ExtismPlugin *plugin = NULL;
    CHECK(setenv("EXTISM_CACHE_CONFIG", "", 1) == 0, "setenv failed");
    CHECK(setenv("RAYON_NUM_THREADS", "3", 1) == 0, "setenv failed");
    plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");
    CHECK(threads_named("extism-compile") == 3, "%d compiler threads, expected 3",
          threads_named("extism-compile"));
    CHECK(in_forked_child(compile_in_forked_child) == 0, "in a forked child");
cleanup:
    extism_plugin_free(plugin);
    return failed;
}

int main(void) {
    int failed = 0;
    bool made = false;

    CHECK(mkdtemp(root) != NULL, "mkdtemp failed");
    made = true;
    CHECK(run_in_child(output_enabled_first, NULL) == 0, "EXTISM_ENABLE_WASI_OUTPUT set first");
    CHECK(run_in_child(output_enabled_late, NULL) == 0, "EXTISM_ENABLE_WASI_OUTPUT set late");
    CHECK(run_in_child(cache_config_changed, NULL) == 0, "EXTISM_CACHE_CONFIG changed");
    CHECK(run_in_child(compile_threads, NULL) == 0, "RAYON_NUM_THREADS");

cleanup:
    if (made) {
        remove_tree(root);
    }
    return failed ? EXIT_FAILURE : 0;
}
