/* fork() after using the library (docs/abi.md D14): the parent makes a call that times out,
 * compiles modules, makes an HTTP request and reads a file through WASI, so that each of the
 * library's threads is running; then each case below runs in a child of its own, which must
 * behave like a fresh process within 15 s (times EXTISM_TEST_TIME_SCALE) or is killed and
 * fails. Last, the parent does everything again, unaffected by its children. */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"

/* How long a child may take: far more than any case needs, far less than a hang. */
#define CHILD_SECONDS 15.0
/* The functions of a generated module: enough for the compiler to split the work. */
#define GENERATED_FUNCTIONS 400
#define FILE_CONTENT "written by the parent"

/* What the parent sets up before forking; the children inherit all of it. */
struct setup {
    struct http_server server;
    char dir[64];        /* a temporary directory, mounted at /data */
    char file_path[128]; /* dir/file.txt, holding FILE_CONTENT */
    ExtismPlugin *timed; /* traps.wasm with timeout_ms 300 */
    ExtismPlugin *loops; /* traps.wasm without a timeout, for cancels */
    ExtismPlugin *fetch; /* http_fetch.wasm allowed to reach 127.0.0.1 */
    ExtismPlugin *files; /* wasi_hello.wasm with dir mounted at /data */
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The text of a module with GENERATED_FUNCTIONS exports f0, f1, ..., each returning
 * seed * 1000 + its number; a different seed gives different bytes, so a module the process
 * has not compiled yet. Free with free(). */
static char *generated_module(int seed) {
    size_t size = 64 + (size_t)GENERATED_FUNCTIONS * 96;
    char *text = malloc(size);
    size_t used;
    if (text == NULL) {
        return NULL;
    }
    used = (size_t)snprintf(text, size, "(module\n");
    for (int i = 0; i < GENERATED_FUNCTIONS; i++) {
        used += (size_t)snprintf(
            text + used, size - used,
            "(func (export \"f%d\") (result i32) (i32.add (i32.const %d) (i32.const %d)))\n", i,
            seed * 1000, i);
    }
    snprintf(text + used, size - used, ")\n");
    return text;
}

/* Creates a plugin from a module the process has never compiled and calls its last
 * function. */
static bool compiles_new_module(int seed) {
    int failed = 0;
    char *text = generated_module(seed);
    ExtismPlugin *plugin = NULL;
    int32_t rc;
    char name[16];
    CHECK(text != NULL, "out of memory");
    plugin = plugin_from_text(text, NULL, 0, false);
    CHECK(plugin != NULL, "the generated module (seed %d) did not compile", seed);
    snprintf(name, sizeof name, "f%d", GENERATED_FUNCTIONS - 1);
    rc = extism_plugin_call(plugin, name, NULL, 0);
    CHECK(rc == seed * 1000 + GENERATED_FUNCTIONS - 1, "%s returned %d (error: %s)", name, rc,
          text_or_null(extism_plugin_error(plugin)));
cleanup:
    extism_plugin_free(plugin);
    free(text);
    return !failed;
}

/* An endless loop in a plugin with timeout_ms 300 ends with rc 134 and "timeout". */
static bool times_out(ExtismPlugin *timed) {
    int failed = 0;
    double start = now_seconds();
    int32_t rc = extism_plugin_call(timed, "infinite_loop", NULL, 0);
    double elapsed = now_seconds() - start;
    CHECK(rc == 134, "infinite_loop returned %d (error: %s)", rc,
          text_or_null(extism_plugin_error(timed)));
    CHECK_STR_EQ(extism_plugin_error(timed), "timeout");
    CHECK(elapsed >= 0.29, "timed out after %.3f s, before the 300 ms limit", elapsed);
cleanup:
    return !failed;
}

struct canceller {
    const ExtismCancelHandle *handle;
    volatile sig_atomic_t done;
};

/* Cancels every 50 ms, from 100 ms on, until the call is over. */
static void *cancel_until_done(void *arg) {
    struct canceller *canceller = arg;
    sleep_ms(100);
    while (!canceller->done) {
        extism_plugin_cancel(canceller->handle);
        sleep_ms(50);
    }
    return NULL;
}

/* An endless loop without a timeout ends with rc 134 and "timeout" when cancelled from
 * another thread. */
static bool cancels(ExtismPlugin *loops) {
    int failed = 0;
    bool started = false;
    pthread_t thread;
    struct canceller canceller;
    int32_t rc;
    canceller.handle = extism_plugin_cancel_handle(loops);
    canceller.done = 0;
    CHECK(canceller.handle != NULL, "no cancel handle");
    CHECK(pthread_create(&thread, NULL, cancel_until_done, &canceller) == 0,
          "pthread_create failed");
    started = true;
    rc = extism_plugin_call(loops, "infinite_loop", NULL, 0);
    CHECK(rc == 134, "the cancelled call returned %d (error: %s)", rc,
          text_or_null(extism_plugin_error(loops)));
    CHECK_STR_EQ(extism_plugin_error(loops), "timeout");
cleanup:
    canceller.done = 1;
    if (started) {
        pthread_join(thread, NULL);
    }
    return !failed;
}

/* A GET of /hello through http_request answers 200 "hello". */
static bool fetches(ExtismPlugin *fetch, int port) {
    int failed = 0;
    char request[128];
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/hello\"}", port);
    CHECK_CALL_OUTPUT(fetch, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");
cleanup:
    return !failed;
}

/* Reads /data/file.txt through WASI. */
static bool reads_file(ExtismPlugin *files) {
    int failed = 0;
    CHECK_CALL_OUTPUT(files, "read_file", "/data/file.txt", FILE_CONTENT);
cleanup:
    return !failed;
}

static ExtismPlugin *traps_plugin(const char *extra) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}]%s}",
             plugin_path("traps.wasm"), extra);
    return plugin_from_text(manifest, NULL, 0, false);
}

static ExtismPlugin *files_plugin(const char *dir) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_paths\":{\"%s\":\"/data\"}}",
             plugin_path("wasi_hello.wasm"), dir);
    return plugin_from_text(manifest, NULL, 0, true);
}

/* The cases, each run in a child of its own. */

/* A plugin from the parent still works, and a new one from bytes the parent compiled too. */
static bool child_plugin(struct setup *setup) {
    int failed = 0;
    ExtismPlugin *again = NULL;
    CHECK(extism_plugin_call(setup->timed, "div_zero", NULL, 0) == 134, "div_zero");
    CHECK_STR_CONTAINS(extism_plugin_error(setup->timed), "divide by zero");
    again = traps_plugin(",\"timeout_ms\":300");
    CHECK(again != NULL, "traps.wasm did not load again");
    CHECK(extism_plugin_call(again, "unreachable", NULL, 0) == 134, "unreachable");
    CHECK_STR_CONTAINS(extism_plugin_error(again), "unreachable");
cleanup:
    extism_plugin_free(again);
    return !failed;
}

/* Timeouts still fire, in a plugin from the parent and in a new one. */
static bool child_timeout(struct setup *setup) {
    int failed = 0;
    ExtismPlugin *fresh = NULL;
    CHECK(times_out(setup->timed), "the parent's plugin");
    fresh = traps_plugin(",\"timeout_ms\":300");
    CHECK(fresh != NULL, "traps.wasm did not load");
    CHECK(times_out(fresh), "a plugin of the child");
cleanup:
    extism_plugin_free(fresh);
    return !failed;
}

/* Compiling a module never seen before (the compiler runs on several threads). */
static bool child_compile(struct setup *setup) {
    (void)setup;
    return compiles_new_module((int)getpid() % 1000 + 10);
}

/* HTTP requests, from the parent's plugin (whose request thread the child does not have). */
static bool child_http(struct setup *setup) {
    int failed = 0;
    CHECK(fetches(setup->fetch, setup->server.port), "first request");
    CHECK(fetches(setup->fetch, setup->server.port), "second request");
cleanup:
    return !failed;
}

/* Reading a file through WASI, in the parent's plugin and in a new one. */
static bool child_wasi(struct setup *setup) {
    int failed = 0;
    ExtismPlugin *fresh = NULL;
    CHECK(reads_file(setup->files), "the parent's plugin");
    fresh = files_plugin(setup->dir);
    CHECK(fresh != NULL, "wasi_hello.wasm did not load");
    CHECK(reads_file(fresh), "a plugin of the child");
cleanup:
    extism_plugin_free(fresh);
    return !failed;
}

/* Cancelling a call from another thread of the child. */
static bool child_cancel(struct setup *setup) {
    return cancels(setup->loops);
}

/* Runs `child_case` in a forked child. Fails when the child's case fails or the child is
 * still running after CHILD_SECONDS (then it is killed).
 *
 * The child sends its verdict through a pipe and the parent reads it once the child has
 * exited; the exit status is not used. A leak checker at the child's exit (valgrind's, under
 * tests/valgrind.sh) finds the blocks the parent's threads held on their stacks and in their
 * thread-locals: those threads do not exist in the child, so nothing there can ever free or
 * reach those blocks, and its report would otherwise fail a child that did everything right.
 * A crash or sanitizer abort in the child still fails the case, as no verdict is sent. */
static bool in_child(const char *name, bool (*child_case)(struct setup *), struct setup *setup) {
    int failed = 0;
    int status = 0;
    int verdict_pipe[2] = {-1, -1};
    char verdict = 0;
    double limit = CHILD_SECONDS * time_scale();
    double start;
    pid_t pid;
    CHECK(pipe(verdict_pipe) == 0, "pipe failed: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0, "fork failed: %s", strerror(errno));
    if (pid == 0) {
        char passed = child_case(setup) ? 'y' : 'n';
        _exit(write(verdict_pipe[1], &passed, 1) == 1 ? 0 : 1);
    }
    close(verdict_pipe[1]);
    verdict_pipe[1] = -1;
    start = now_seconds();
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        CHECK(done >= 0 || errno == EINTR, "waitpid failed: %s", strerror(errno));
        if (done == pid) {
            break;
        }
        if (now_seconds() - start > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            CHECK(false, "%s: the child was still running after %.0f s", name, limit);
        }
        sleep_ms(10);
    }
    CHECK(read(verdict_pipe[0], &verdict, 1) == 1,
          "%s: the child ended without a verdict (status %d)", name, status);
    CHECK(verdict == 'y', "%s: the child's case failed", name);
cleanup:
    for (int i = 0; i < 2; i++) {
        if (verdict_pipe[i] >= 0) {
            close(verdict_pipe[i]);
        }
    }
    return !failed;
}

int main(void) {
    int failed = 0;
    struct setup setup;
    FILE *file = NULL;

    memset(&setup, 0, sizeof setup);
    http_server_init(&setup.server);
    /* Every compilation really compiles: no module comes from the disk cache. */
    setenv("EXTISM_CACHE_CONFIG", "", 1);

    strcpy(setup.dir, "/tmp/extism-fork-XXXXXX");
    CHECK(mkdtemp(setup.dir) != NULL, "mkdtemp failed: %s", strerror(errno));
    snprintf(setup.file_path, sizeof setup.file_path, "%s/file.txt", setup.dir);
    file = fopen(setup.file_path, "wb");
    CHECK(file != NULL && fputs(FILE_CONTENT, file) >= 0, "cannot write %s", setup.file_path);
    CHECK(fclose(file) == 0, "cannot write %s", setup.file_path);
    file = NULL;
    CHECK(http_server_start(&setup.server), "the HTTP server did not start");

    /* The parent uses everything, so that each of the library's threads runs. */
    setup.timed = traps_plugin(",\"timeout_ms\":300");
    setup.loops = traps_plugin("");
    setup.fetch = http_fetch_plugin("[\"127.0.0.1\"]", "\"timeout_ms\":10000");
    setup.files = files_plugin(setup.dir);
    CHECK(setup.timed && setup.loops && setup.fetch && setup.files, "a plugin did not load");
    CHECK(times_out(setup.timed), "parent, before forking");
    CHECK(compiles_new_module(1), "parent, before forking");
    CHECK(fetches(setup.fetch, setup.server.port), "parent, before forking");
    CHECK(reads_file(setup.files), "parent, before forking");
    CHECK(cancels(setup.loops), "parent, before forking");
    /* WASI calls run in the library's runtime, never in wasmtime-wasi's own global one. */
    CHECK(threads_named("extism-wasi") > 0, "no thread of the library's WASI runtime");
    CHECK(threads_named("tokio-runtime-w") == 0, "a thread of another tokio runtime is running");

    CHECK(in_child("plugin", child_plugin, &setup), "plugins");
    CHECK(times_out(setup.timed), "parent, right before forking");
    CHECK(in_child("timeout", child_timeout, &setup), "timeouts");
    CHECK(in_child("compile", child_compile, &setup), "compiling");
    CHECK(fetches(setup.fetch, setup.server.port), "parent, right before forking");
    /* A moment after its request, the request thread waits on the idle list for the next. */
    sleep_ms(100);
    CHECK(in_child("http", child_http, &setup), "HTTP");
    CHECK(reads_file(setup.files), "parent, right before forking");
    CHECK(in_child("wasi", child_wasi, &setup), "WASI files");
    CHECK(in_child("cancel", child_cancel, &setup), "cancel");

    /* The parent is unaffected. */
    CHECK(times_out(setup.timed), "parent, after forking");
    CHECK(cancels(setup.loops), "parent, after forking");
    CHECK(compiles_new_module(2), "parent, after forking");
    CHECK(fetches(setup.fetch, setup.server.port), "parent, after forking");
    CHECK(reads_file(setup.files), "parent, after forking");

cleanup:
    if (file != NULL) {
        fclose(file);
    }
    extism_plugin_free(setup.timed);
    extism_plugin_free(setup.loops);
    extism_plugin_free(setup.fetch);
    extism_plugin_free(setup.files);
    http_server_stop(&setup.server);
    if (setup.file_path[0] != '\0') {
        unlink(setup.file_path);
    }
    if (setup.dir[0] != '\0') {
        rmdir(setup.dir);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
