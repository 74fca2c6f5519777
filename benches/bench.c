/*
 * bench.c: performance benchmark of a libextism 1.x library, written only against extism.h and
 * the 33 functions of the reference C API, so one binary measures any libextism.so that the
 * dynamic loader finds (choose it with LD_LIBRARY_PATH).
 *
 *   usage: bench [--plugins DIR] [--quick] [WORKLOAD...]
 *
 * Without workload names every workload runs. Each workload runs in a fresh child process (the
 * same executable, re-executed), so one workload's memory, threads and caches never colour
 * another's. Output: comment lines starting with '#', then one line per result:
 *
 *   name median min max unit samples
 *
 * Every workload checks the plugin's answer; a wrong answer or a failed call makes the
 * workload fail, and the program then exits with status 1 after running the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extism.h"

/* ---------------------------------------------------------------- common helpers */

static const char *plugins_dir = "c-tests/plugins";
static bool quick;           /* fewer repetitions, for profiling runs */
static const char *self_exe; /* argv[0] as given, for messages */

static const char *current; /* name of the running workload, for messages */

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: %s: ", current ? current : "setup");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int reps(int n) {
    if (!quick) {
        return n;
    }
    int q = n / 10;
    return q < 3 ? 3 : q;
}

typedef struct {
    uint8_t *data;
    size_t len;
} Bytes;

static Bytes read_plugin(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", plugins_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail("cannot open %s: %s", path, strerror(errno));
    }
    Bytes b = {0};
    size_t cap = 1 << 16;
    b.data = malloc(cap);
    for (;;) {
        if (b.len == cap) {
            cap *= 2;
            b.data = realloc(b.data, cap);
        }
        size_t n = fread(b.data + b.len, 1, cap - b.len, f);
        if (n == 0) {
            break;
        }
        b.len += n;
    }
    if (ferror(f) || !b.data) {
        fail("cannot read %s", path);
    }
    fclose(f);
    return b;
}

static ExtismPlugin *new_plugin(Bytes wasm, const ExtismFunction **fns, ExtismSize n_fns,
                                bool wasi) {
    char *err = NULL;
    ExtismPlugin *p = extism_plugin_new(wasm.data, wasm.len, fns, n_fns, wasi, &err);
    if (!p) {
        fail("extism_plugin_new: %s", err ? err : "(no message)");
    }
    return p;
}

static ExtismPlugin *from_compiled(const ExtismCompiledPlugin *c) {
    char *err = NULL;
    ExtismPlugin *p = extism_plugin_new_from_compiled(c, &err);
    if (!p) {
        fail("extism_plugin_new_from_compiled: %s", err ? err : "(no message)");
    }
    return p;
}

static ExtismCompiledPlugin *compile(Bytes wasm, bool wasi) {
    char *err = NULL;
    ExtismCompiledPlugin *c = extism_compiled_plugin_new(wasm.data, wasm.len, NULL, 0, wasi, &err);
    if (!c) {
        fail("extism_compiled_plugin_new: %s", err ? err : "(no message)");
    }
    return c;
}

/* Fails unless the last call returned 0 with no error and an output of exactly `want`
 * (`want_len` bytes), or, when `prefix` is set, an output starting with `want`. */
static void check_output(ExtismPlugin *p, int32_t rc, const char *func, const void *want,
                         size_t want_len, bool prefix) {
    const char *err = extism_plugin_error(p);
    if (rc != 0 || err) {
        fail("%s returned %d (error: %s)", func, rc, err ? err : "none");
    }
    size_t len = (size_t)extism_plugin_output_length(p);
    const uint8_t *out = extism_plugin_output_data(p);
    bool ok = prefix ? len >= want_len : len == want_len;
    if (ok && want_len > 0) {
        ok = out && memcmp(out, want, want_len) == 0;
    }
    if (!ok) {
        int show = len > 80 ? 80 : (int)len;
        fail("%s: wrong output (%zu bytes, starts \"%.*s\")", func, len, show,
             out ? (const char *)out : "");
    }
}

/* The big.wasm answer and count_vowels' answer for "hello". */
#define BIG_ANSWER "204819819"
#define VOWELS_INPUT "hello"
#define VOWELS_ANSWER "{\"count\":2,"

static void call_checked(ExtismPlugin *p, const char *func, const char *input, const char *want,
                         bool prefix) {
    int32_t rc = extism_plugin_call(p, func, (const uint8_t *)input, strlen(input));
    check_output(p, rc, func, want, strlen(want), prefix);
}

/* ---------------------------------------------------------------- statistics and output */

typedef struct {
    double *v;
    int n;
    int cap;
} Samples;

static void add(Samples *s, double x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, sizeof(double) * (size_t)s->cap);
        if (!s->v) {
            fail("out of memory");
        }
    }
    s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, Samples *s, const char *unit) {
    if (s->n == 0) {
        fail("%s: no samples", name);
    }
    qsort(s->v, (size_t)s->n, sizeof(double), cmp_double);
    double med = s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
    printf("%s %.6g %.6g %.6g %s %d\n", name, med, s->v[0], s->v[s->n - 1], unit, s->n);
    fflush(stdout);
    free(s->v);
    *s = (Samples){0};
}

/* ---------------------------------------------------------------- child processes */

/* Runs this executable again with `args` (NULL-terminated) and, when `empty_cache_config`,
 * EXTISM_CACHE_CONFIG set to the empty string; captures up to `cap - 1` bytes of its standard
 * output into `buf`. Returns true if the child exited with status 0. */
static bool run_child(char *const args[], bool empty_cache_config, char *buf, size_t cap) {
    int fds[2];
    if (pipe(fds) != 0) {
        fail("pipe: %s", strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fail("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (empty_cache_config) {
            setenv("EXTISM_CACHE_CONFIG", "", 1);
        }
        char *argv[16];
        int n = 0;
        argv[n++] = (char *)self_exe;
        argv[n++] = "--plugins";
        argv[n++] = (char *)plugins_dir;
        if (quick) {
            argv[n++] = "--quick";
        }
        for (int i = 0; args[i] && n < 15; i++) {
            argv[n++] = args[i];
        }
        argv[n] = NULL;
        execv("/proc/self/exe", argv);
        fprintf(stderr, "bench: exec /proc/self/exe: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        len += (size_t)r;
        if (len == cap - 1) {
            break;
        }
    }
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Collects `n` one-number samples from `n` fresh processes (`--sample WHAT`). */
static bool process_samples(const char *what, bool empty_cache_config, int n, Samples *s) {
    char buf[256];
    char *args[] = {"--sample", (char *)what, NULL};
    for (int i = 0; i < n; i++) {
        if (!run_child(args, empty_cache_config, buf, sizeof buf)) {
            return false;
        }
        char *end = NULL;
        double x = strtod(buf, &end);
        if (end == buf) {
            fprintf(stderr, "bench: %s: child printed \"%s\"\n", what, buf);
            return false;
        }
        add(s, x);
    }
    return true;
}

/* ---------------------------------------------------------------- one-sample workloads */

/* First creation of big.wasm in this process, in milliseconds; then a checked call. */
static double sample_create_first(void) {
    Bytes big = read_plugin("big.wasm");
    double t0 = now_s();
    ExtismPlugin *p = new_plugin(big, NULL, 0, true);
    double t = now_s() - t0;
    call_checked(p, "run", "", BIG_ANSWER, false);
    extism_plugin_free(p);
    return t * 1e3;
}

static size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f || fscanf(f, "%lu %lu", &size, &resident) != 2) {
        fail("cannot read /proc/self/statm");
    }
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Resident memory per live plugin, in MiB, over 100 plugins of count_vowels made from bytes
 * and each called once. */
static double sample_rss_100(void) {
    enum { N = 100 };
    Bytes wasm = read_plugin("count_vowels.wasm");
    ExtismPlugin *plugins[N];
    size_t before = rss_bytes();
    for (int i = 0; i < N; i++) {
        plugins[i] = new_plugin(wasm, NULL, 0, false);
        call_checked(plugins[i], "count_vowels", VOWELS_INPUT, VOWELS_ANSWER, true);
    }
    size_t after = rss_bytes();
    for (int i = 0; i < N; i++) {
        extism_plugin_free(plugins[i]);
    }
    return ((double)after - (double)before) / N / (1024.0 * 1024.0);
}

/* ---------------------------------------------------------------- in-process workloads */

static void run_create_again(void) {
    Bytes big = read_plugin("big.wasm");
    ExtismPlugin *p = new_plugin(big, NULL, 0, true);
    call_checked(p, "run", "", BIG_ANSWER, false);
    extism_plugin_free(p);
    Samples s = {0};
    for (int i = 0; i < reps(30); i++) {
        double t0 = now_s();
        p = new_plugin(big, NULL, 0, true);
        add(&s, (now_s() - t0) * 1e3);
        if (i == 0) {
            call_checked(p, "run", "", BIG_ANSWER, false);
        }
        extism_plugin_free(p);
    }
    report("create_again", &s, "ms");
}

/* Creation from a compiled plugin (`name`), creation plus the plugin's first call
 * (`first_call_name`, which also catches work a library defers to the first call), and the
 * free of a plugin that has been called once (`free_name`); each timed separately. */
static void from_compiled_workload(const char *plugin, bool wasi, const char *func,
                                   const char *input, const char *want, bool prefix, int n,
                                   const char *name, const char *first_call_name,
                                   const char *free_name) {
    Bytes wasm = read_plugin(plugin);
    ExtismCompiledPlugin *c = compile(wasm, wasi);
    ExtismPlugin *p = from_compiled(c);
    call_checked(p, func, input, want, prefix);
    extism_plugin_free(p);
    Samples create = {0}, first = {0}, destroy = {0};
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        p = from_compiled(c);
        double t1 = now_s();
        int32_t rc = extism_plugin_call(p, func, (const uint8_t *)input, strlen(input));
        double t2 = now_s();
        check_output(p, rc, func, want, strlen(want), prefix);
        double t3 = now_s();
        extism_plugin_free(p);
        double t4 = now_s();
        add(&create, (t1 - t0) * 1e6);
        add(&first, (t2 - t0) * 1e6);
        add(&destroy, (t4 - t3) * 1e6);
    }
    report(name, &create, "us");
    if (first_call_name) {
        report(first_call_name, &first, "us");
    } else {
        free(first.v);
    }
    if (free_name) {
        report(free_name, &destroy, "us");
    } else {
        free(destroy.v);
    }
    extism_compiled_plugin_free(c);
}

static void run_new_from_compiled(void) {
    from_compiled_workload("count_vowels.wasm", false, "count_vowels", VOWELS_INPUT, VOWELS_ANSWER,
                           true, reps(500), "new_from_compiled", "new_and_first_call",
                           "plugin_free");
    from_compiled_workload("big.wasm", true, "run", "", BIG_ANSWER, false, reps(100),
                           "new_from_compiled_big", NULL, NULL);
}

/* Per-call time in microseconds over `samples` batches of `batch` calls; the output of the
 * last call of each batch is checked. */
static void call_loop(const char *name, ExtismPlugin *p, const char *func, const char *input,
                      const char *want, bool prefix, int samples, int batch) {
    size_t in_len = strlen(input);
    for (int i = 0; i < batch; i++) {
        int32_t rc = extism_plugin_call(p, func, (const uint8_t *)input, in_len);
        if (rc != 0) {
            fail("%s returned %d", func, rc);
        }
    }
    check_output(p, 0, func, want, strlen(want), prefix);
    Samples s = {0};
    for (int k = 0; k < samples; k++) {
        double t0 = now_s();
        int32_t bad = 0;
        for (int i = 0; i < batch; i++) {
            bad |= extism_plugin_call(p, func, (const uint8_t *)input, in_len);
        }
        double t = now_s() - t0;
        if (bad != 0) {
            fail("%s returned non-zero within a batch", func);
        }
        check_output(p, 0, func, want, strlen(want), prefix);
        add(&s, t / batch * 1e6);
    }
    report(name, &s, "us");
}

/* A manifest for noop.wasm with a 10 s `timeout_ms`, written into `buf`. */
static Bytes timed_noop_manifest(char *buf, size_t cap) {
    int n = snprintf(buf, cap, "{\"wasm\":[{\"path\":\"%s/noop.wasm\"}],\"timeout_ms\":10000}",
                     plugins_dir);
    if (n < 0 || (size_t)n >= cap) {
        fail("plugins directory path too long");
    }
    return (Bytes){(uint8_t *)buf, (size_t)n};
}

static void run_call_noop(void) {
    Bytes wasm = read_plugin("noop.wasm");
    ExtismPlugin *p = new_plugin(wasm, NULL, 0, false);
    call_loop("call_noop", p, "run", VOWELS_INPUT, "", false, reps(51), 200);
    extism_plugin_free(p);

    /* The same call with a 10 s timeout armed: what a deadline costs per call. */
    char manifest[4200];
    p = new_plugin(timed_noop_manifest(manifest, sizeof manifest), NULL, 0, false);
    call_loop("call_noop_timeout", p, "run", VOWELS_INPUT, "", false, reps(51), 200);
    extism_plugin_free(p);
}

static void run_call_pdk(void) {
    Bytes wasm = read_plugin("count_vowels.wasm");
    ExtismPlugin *p = new_plugin(wasm, NULL, 0, false);
    call_loop("call_pdk", p, "count_vowels", VOWELS_INPUT, VOWELS_ANSWER, true, reps(51), 200);
    extism_plugin_free(p);

    /* The PDK's own input and output path with as little guest work as possible. */
    wasm = read_plugin("as_echo.wasm");
    p = new_plugin(wasm, NULL, 0, false);
    call_loop("call_pdk_echo", p, "echo", VOWELS_INPUT, VOWELS_INPUT, false, reps(51), 200);
    extism_plugin_free(p);

    /* The same calls on a plugin made from a compiled plugin, which may run differently (a
     * library may compile for the per-request path there). */
    wasm = read_plugin("count_vowels.wasm");
    ExtismCompiledPlugin *c = compile(wasm, false);
    p = from_compiled(c);
    call_loop("call_pdk_compiled", p, "count_vowels", VOWELS_INPUT, VOWELS_ANSWER, true, reps(51),
              200);
    extism_plugin_free(p);
    extism_compiled_plugin_free(c);
}

/* hello_world(i64) -> i64: returns a new block holding a copy of the argument block. */
static void host_echo(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                      ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)data;
    if (n_inputs != 1 || n_outputs != 1) {
        abort();
    }
    ExtismMemoryHandle in = (ExtismMemoryHandle)inputs[0].v.i64;
    ExtismSize len = extism_current_plugin_memory_length(plugin, in);
    ExtismMemoryHandle out = extism_current_plugin_memory_alloc(plugin, len);
    uint8_t *base = extism_current_plugin_memory(plugin);
    if (len > 0 && out != 0) {
        memcpy(base + out, base + in, (size_t)len);
    }
    outputs[0].t = ExtismValType_I64;
    outputs[0].v.i64 = (int64_t)out;
}

static void run_host_fn(void) {
    Bytes wasm = read_plugin("host_fn_hello.wasm");
    const ExtismValType types[] = {ExtismValType_I64};
    ExtismFunction *f =
        extism_function_new("hello_world", types, 1, types, 1, host_echo, NULL, NULL);
    if (!f) {
        fail("extism_function_new returned NULL");
    }
    const ExtismFunction *fns[] = {f};
    ExtismPlugin *p = new_plugin(wasm, fns, 1, false);
    extism_function_free(f);
    call_loop("host_fn", p, "call_hello", VOWELS_INPUT, VOWELS_INPUT, false, reps(51), 200);
    extism_plugin_free(p);
}

static void fill_pattern(uint8_t *buf, size_t n) {
    uint32_t x = 0x9E3779B9u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

/* Input bytes per second (1e9 = 1 GB/s) of echo.wasm `echo`, output checked on every call. */
static void echo_size(ExtismPlugin *p, const char *name, size_t size, int n) {
    uint8_t *in = malloc(size);
    if (!in) {
        fail("out of memory");
    }
    fill_pattern(in, size);
    int32_t rc = extism_plugin_call(p, "echo", in, size);
    check_output(p, rc, "echo", in, size, false);
    Samples s = {0};
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        rc = extism_plugin_call(p, "echo", in, size);
        double t = now_s() - t0;
        check_output(p, rc, "echo", in, size, false);
        add(&s, (double)size / t / 1e9);
    }
    report(name, &s, "GB/s");
    free(in);
}

static void *(*volatile memcpy_fn)(void *, const void *, size_t) = memcpy;

static void run_echo(void) {
    Bytes wasm = read_plugin("echo.wasm");
    ExtismPlugin *p = new_plugin(wasm, NULL, 0, false);
    echo_size(p, "echo_1mib", 1u << 20, reps(40));
    echo_size(p, "echo_16mib", 16u << 20, reps(15));
    extism_plugin_free(p);
    /* The guest's copying on a plugin made from a compiled plugin. */
    ExtismCompiledPlugin *c = compile(wasm, false);
    p = from_compiled(c);
    echo_size(p, "echo_1mib_compiled", 1u << 20, reps(40));
    extism_plugin_free(p);
    extism_compiled_plugin_free(c);

    size_t size = 16u << 20;
    uint8_t *src = malloc(size), *dst = malloc(size);
    if (!src || !dst) {
        fail("out of memory");
    }
    fill_pattern(src, size);
    memset(dst, 0, size);
    memcpy_fn(dst, src, size);
    Samples s = {0};
    for (int i = 0; i < reps(15); i++) {
        src[i] ^= 1;
        double t0 = now_s();
        memcpy_fn(dst, src, size);
        double t = now_s() - t0;
        if (memcmp(dst, src, size) != 0) {
            fail("memcpy produced a different buffer");
        }
        add(&s, (double)size / t / 1e9);
    }
    report("memcpy_16mib", &s, "GB/s");
    free(src);
    free(dst);
}

/* Calls per second over all threads, one plugin per thread, all made from one compiled
 * plugin. The machine's speed drifts, so phases with 1 and with 2 threads alternate (5 pairs);
 * each phase has 50 ms of warm-up and two 100 ms windows, and each window is one sample.
 * `scale_2t_over_1t` divides each 2-thread phase's rate by the 1-thread phase just before it.
 * `scale` calls count_vowels; `scale_timed` calls noop.wasm `run` with `timeout_ms` set, the
 * shortest call there is with a deadline armed, so any per-call state the threads share shows. */
typedef struct {
    _Alignas(64) ExtismPlugin *plugin; /* one cache line per worker; NULL: the control loop */
    const ExtismCompiledPlugin *cycle; /* set: per-request cycles from it instead of calls */
    const char *func;                  /* the export to call */
    const char *answer;                /* expected output (a prefix unless `exact`) */
    bool exact;
    _Atomic uint64_t calls;
    _Atomic int failed;
    uint32_t scratch[4096]; /* the control loop's working set, private to the thread */
} Worker;

static atomic_bool workers_stop;

/* The control: library-free work on a private 16 KiB buffer, about a microsecond per round,
 * showing how well the machine itself runs two busy threads. */
static void *control_main(void *arg) {
    Worker *w = arg;
    uint64_t n = atomic_load_explicit(&w->calls, memory_order_relaxed);
    uint32_t x = 0x9E3779B9u + (uint32_t)n;
    while (!atomic_load_explicit(&workers_stop, memory_order_relaxed)) {
        for (int i = 0; i < 1024; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            w->scratch[x & 4095] += x;
        }
        n++;
        atomic_store_explicit(&w->calls, n, memory_order_relaxed);
    }
    return NULL;
}

/* One request as a server serves it: a fresh plugin from the compiled plugin, one call with
 * the 5-byte input, free. Returns false on a failed creation or call or a wrong answer. */
static bool one_cycle(const ExtismCompiledPlugin *c, const char *answer) {
    char *err = NULL;
    ExtismPlugin *p = extism_plugin_new_from_compiled(c, &err);
    if (!p) {
        extism_plugin_new_error_free(err);
        return false;
    }
    int32_t rc =
        extism_plugin_call(p, "count_vowels", (const uint8_t *)VOWELS_INPUT, strlen(VOWELS_INPUT));
    size_t len = (size_t)extism_plugin_output_length(p), answer_len = strlen(answer);
    const uint8_t *out = extism_plugin_output_data(p);
    bool ok = rc == 0 && len >= answer_len && out && memcmp(out, answer, answer_len) == 0;
    extism_plugin_free(p);
    return ok;
}

static void *cycle_main(Worker *w) {
    uint64_t n = atomic_load_explicit(&w->calls, memory_order_relaxed);
    while (!atomic_load_explicit(&workers_stop, memory_order_relaxed)) {
        if (!one_cycle(w->cycle, w->answer)) {
            atomic_store(&w->failed, 1);
            break;
        }
        n++;
        atomic_store_explicit(&w->calls, n, memory_order_relaxed);
    }
    return NULL;
}

static void *worker_main(void *arg) {
    Worker *w = arg;
    if (w->cycle) {
        return cycle_main(w);
    }
    if (!w->plugin) {
        return control_main(w);
    }
    const uint8_t *in = (const uint8_t *)VOWELS_INPUT;
    size_t in_len = strlen(VOWELS_INPUT), answer_len = strlen(w->answer);
    uint64_t n = atomic_load_explicit(&w->calls, memory_order_relaxed);
    while (!atomic_load_explicit(&workers_stop, memory_order_relaxed)) {
        int32_t rc = extism_plugin_call(w->plugin, w->func, in, in_len);
        if (rc != 0) {
            atomic_store(&w->failed, 1);
            break;
        }
        if ((n & 255) == 0) {
            size_t len = (size_t)extism_plugin_output_length(w->plugin);
            const uint8_t *out = extism_plugin_output_data(w->plugin);
            if (len < answer_len || (w->exact && len != answer_len) ||
                (answer_len > 0 && memcmp(out, w->answer, answer_len) != 0)) {
                atomic_store(&w->failed, 1);
                break;
            }
        }
        n++;
        atomic_store_explicit(&w->calls, n, memory_order_relaxed);
    }
    return NULL;
}

static uint64_t total_calls(Worker *w, int n) {
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        sum += atomic_load_explicit(&w[i].calls, memory_order_relaxed);
    }
    return sum;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* CPU time consumed so far by the given threads, in seconds. */
static double threads_cpu(const pthread_t *tid, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        clockid_t clock;
        struct timespec ts;
        if (pthread_getcpuclockid(tid[i], &clock) != 0 || clock_gettime(clock, &ts) != 0) {
            fail("cannot read a thread's CPU time");
        }
        sum += (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    }
    return sum;
}

typedef struct {
    double rate;         /* calls per second of wall time, all threads */
    double rate_per_cpu; /* calls per second of the threads' CPU time */
    double cpu_share;    /* the threads' CPU time / (wall time * threads) */
    double faults;       /* the process's minor page faults per call */
    double switches;     /* the process's context switches (voluntary + not) per call */
    double shootdowns;   /* TLB shootdown interrupts per call, all CPUs (/proc/interrupts) */
} Phase;

/* TLB shootdown interrupts so far, summed over all CPUs (the `TLB:` row of /proc/interrupts);
 * 0 where the row is missing. Every change to the memory map of a process with threads on
 * other CPUs (mprotect, munmap, madvise) interrupts those CPUs with one. */
static double tlb_shootdowns(void) {
    FILE *f = fopen("/proc/interrupts", "r");
    if (!f) {
        return 0;
    }
    char line[4096];
    double sum = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ') {
            p++;
        }
        if (strncmp(p, "TLB:", 4) != 0) {
            continue;
        }
        p += 4;
        for (;;) {
            char *end;
            unsigned long long n = strtoull(p, &end, 10);
            if (end == p) {
                break;
            }
            sum += (double)n;
            p = end;
        }
    }
    fclose(f);
    return sum;
}

static struct rusage usage_now(void) {
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0) {
        fail("getrusage failed");
    }
    return u;
}

/* Runs `threads` workers for one phase; adds each window's rate to `s`. */
static Phase scale_phase(Worker *w, int threads, Samples *s) {
    enum { WINDOWS = 2 };
    pthread_t tid[2];
    atomic_store(&workers_stop, false);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0) {
            fail("pthread_create failed");
        }
    }
    sleep_s(0.05);
    double t_start = now_s(), t_prev = t_start;
    double cpu_start = threads_cpu(tid, threads);
    struct rusage u_start = usage_now();
    double tlb_start = tlb_shootdowns();
    uint64_t c_start = total_calls(w, threads), c_prev = c_start;
    for (int k = 0; k < WINDOWS; k++) {
        sleep_s(0.1);
        double t = now_s();
        uint64_t calls = total_calls(w, threads);
        add(s, (double)(calls - c_prev) / (t - t_prev));
        t_prev = t;
        c_prev = calls;
    }
    double cpu = threads_cpu(tid, threads) - cpu_start;
    struct rusage u_end = usage_now();
    double tlb = tlb_shootdowns() - tlb_start;
    atomic_store(&workers_stop, true);
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
    }
    for (int i = 0; i < threads; i++) {
        if (atomic_load(&w[i].failed)) {
            fail("a %s call failed or gave a wrong answer in thread %d", w[i].func, i);
        }
    }
    double wall = t_prev - t_start, calls = (double)(c_prev - c_start);
    double faults = (double)(u_end.ru_minflt - u_start.ru_minflt);
    double switches =
        (double)(u_end.ru_nvcsw - u_start.ru_nvcsw) + (double)(u_end.ru_nivcsw - u_start.ru_nivcsw);
    return (Phase){calls / wall,   calls / cpu,      cpu / (wall * threads),
                   faults / calls, switches / calls, tlb / calls};
}

/* One scaling measurement of `func` on two plugins made from `c`; rows named `prefix`_1t, ...
 * With `control`, also the machine's own two-thread ratio. */
static void scale_workload(const char *prefix, ExtismCompiledPlugin *c, const char *func,
                           const char *answer, bool exact, bool control) {
    Worker *w = aligned_alloc(64, sizeof(Worker) * 2);
    if (!w) {
        fail("out of memory");
    }
    memset(w, 0, sizeof(Worker) * 2);
    for (int i = 0; i < 2; i++) {
        w[i].plugin = from_compiled(c);
        w[i].func = func;
        w[i].answer = answer;
        w[i].exact = exact;
        atomic_store(&w[i].calls, 0);
        atomic_store(&w[i].failed, 0);
    }
    Samples one = {0}, two = {0}, ratio = {0}, cpu_ratio = {0}, share = {0};
    for (int r = 0; r < (quick ? 2 : 5); r++) {
        Phase a = scale_phase(w, 1, &one);
        Phase b = scale_phase(w, 2, &two);
        add(&ratio, b.rate / a.rate);
        add(&cpu_ratio, b.rate_per_cpu / a.rate_per_cpu);
        add(&share, b.cpu_share);
    }
    for (int i = 0; i < 2; i++) {
        call_checked(w[i].plugin, func, VOWELS_INPUT, answer, !exact);
        extism_plugin_free(w[i].plugin);
        w[i].plugin = NULL;
    }
    /* The same alternation with the control loop instead of plugin calls. */
    Samples machine = {0}, ignored = {0};
    for (int r = 0; control && r < (quick ? 2 : 3); r++) {
        Phase a = scale_phase(w, 1, &ignored);
        Phase b = scale_phase(w, 2, &ignored);
        add(&machine, b.rate / a.rate);
    }
    free(ignored.v);
    free(w);
    char name[64];
    const struct {
        const char *suffix;
        Samples *samples;
        const char *unit;
    } rows[] = {{"1t", &one, "calls/s"},
                {"2t", &two, "calls/s"},
                {"2t_over_1t", &ratio, "x"},
                {"2t_per_cpu", &cpu_ratio, "x"},
                {"2t_cpu_share", &share, "share"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(name, sizeof name, "%s_%s", prefix, rows[i].suffix);
        report(name, rows[i].samples, rows[i].unit);
    }
    if (control) {
        report("machine_2t_over_1t", &machine, "x");
    }
}

static void run_scale(void) {
    Bytes wasm = read_plugin("count_vowels.wasm");
    ExtismCompiledPlugin *c = compile(wasm, false);
    scale_workload("scale", c, "count_vowels", VOWELS_ANSWER, false, true);
    extism_compiled_plugin_free(c);

    char manifest[4200];
    c = compile(timed_noop_manifest(manifest, sizeof manifest), false);
    scale_workload("scale_timed", c, "run", "", true, false);
    extism_compiled_plugin_free(c);
}

/* Per-request cycles (`extism_plugin_new_from_compiled` + one `count_vowels` call with the
 * 5-byte input + `extism_plugin_free`) per second, with 1 and with 2 threads cycling plugins
 * of one compiled plugin, alternating as `scale` does (5 pairs), then the machine's own
 * control. Besides the rates: CPU time per cycle, the process's minor page faults and context
 * switches per cycle (getrusage; the main thread's few wake-ups per phase included), and TLB
 * shootdown interrupts per cycle with 2 threads (the whole machine's, from /proc/interrupts).
 * `cycle` runs count_vowels.wasm (AssemblyScript; its memory never grows), `cycle_grow` runs
 * grow_vowels.wasm (laid out like a Rust PDK plugin; its allocator grows the memory by three
 * pages in every fresh instance). */
static void cycle_workload(const char *prefix, const char *plugin) {
    Bytes wasm = read_plugin(plugin);
    ExtismCompiledPlugin *c = compile(wasm, false);
    Worker *w = aligned_alloc(64, sizeof(Worker) * 2);
    if (!w) {
        fail("out of memory");
    }
    for (int i = 0; i < 2; i++) {
        w[i] = (Worker){.cycle = c, .func = "count_vowels", .answer = VOWELS_ANSWER};
    }
    for (int i = 0; i < 100; i++) {
        if (!one_cycle(c, VOWELS_ANSWER)) {
            fail("a warm-up cycle failed");
        }
    }
    Samples one = {0}, two = {0}, ratio = {0}, cpu_one = {0}, cpu_two = {0};
    Samples faults = {0}, switches_two = {0}, tlb_two = {0};
    for (int r = 0; r < (quick ? 2 : 5); r++) {
        Phase a = scale_phase(w, 1, &one);
        Phase b = scale_phase(w, 2, &two);
        add(&ratio, b.rate / a.rate);
        add(&cpu_one, 1e6 / a.rate_per_cpu);
        add(&cpu_two, 1e6 / b.rate_per_cpu);
        add(&faults, a.faults);
        add(&switches_two, b.switches);
        add(&tlb_two, b.shootdowns);
    }
    Samples machine = {0}, ignored = {0};
    for (int i = 0; i < 2; i++) {
        w[i] = (Worker){0};
    }
    for (int r = 0; r < (quick ? 2 : 3); r++) {
        Phase a = scale_phase(w, 1, &ignored);
        Phase b = scale_phase(w, 2, &ignored);
        add(&machine, b.rate / a.rate);
    }
    free(ignored.v);
    free(w);
    extism_compiled_plugin_free(c);
    free(wasm.data);
    char name[64];
    const struct {
        const char *suffix;
        Samples *samples;
        const char *unit;
    } rows[] = {{"1t", &one, "cycles/s"},
                {"2t", &two, "cycles/s"},
                {"2t_over_1t", &ratio, "x"},
                {"cpu_1t", &cpu_one, "us"},
                {"cpu_2t", &cpu_two, "us"},
                {"faults_1t", &faults, "faults"},
                {"switches_2t", &switches_two, "switches"},
                {"tlb_2t", &tlb_two, "shootdowns"},
                {"machine_2t_over_1t", &machine, "x"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(name, sizeof name, "%s_%s", prefix, rows[i].suffix);
        report(name, rows[i].samples, rows[i].unit);
    }
}

static void run_cycle(void) {
    cycle_workload("cycle", "count_vowels.wasm");
}

static void run_cycle_grow(void) {
    cycle_workload("cycle_grow", "grow_vowels.wasm");
}

/* A fixed number of per-request cycles on one thread and nothing else, for counting system
 * calls from outside (benches/compare.sh runs it under strace twice: BENCH_CYCLES=0 and
 * BENCH_CYCLES=N, and divides the difference by N). 200 warm-up cycles come first.
 * BENCH_CYCLE_PLUGIN names the plugin (default count_vowels.wasm). */
static void run_cycle_count(void) {
    const char *text = getenv("BENCH_CYCLES");
    long n = text ? strtol(text, NULL, 10) : 10000;
    const char *plugin = getenv("BENCH_CYCLE_PLUGIN");
    Bytes wasm = read_plugin(plugin && *plugin ? plugin : "count_vowels.wasm");
    ExtismCompiledPlugin *c = compile(wasm, false);
    for (long i = 0; i < 200 + n; i++) {
        if (!one_cycle(c, VOWELS_ANSWER)) {
            fail("cycle %ld failed", i);
        }
    }
    extism_compiled_plugin_free(c);
    free(wasm.data);
}

/* ---------------------------------------------------------------- workload table */

typedef enum { IN_PROCESS, PER_PROCESS } Kind;

typedef struct {
    const char *name; /* name used on the command line */
    Kind kind;
    void (*run)(void);      /* IN_PROCESS: runs in one child, prints its own result lines */
    double (*sample)(void); /* PER_PROCESS: one sample per fresh child */
    bool empty_cache;       /* PER_PROCESS: run children with EXTISM_CACHE_CONFIG= */
    int processes;          /* PER_PROCESS: number of timed children */
    const char *unit;
    bool on_request; /* runs only when named (a tool for compare.sh, no result lines) */
} Workload;

static const Workload workloads[] = {
    {"create_first", PER_PROCESS, NULL, sample_create_first, false, 7, "ms", false},
    {"create_first_nocache", PER_PROCESS, NULL, sample_create_first, true, 5, "ms", false},
    {"create_again", IN_PROCESS, run_create_again, NULL, false, 0, NULL, false},
    {"new_from_compiled", IN_PROCESS, run_new_from_compiled, NULL, false, 0, NULL, false},
    {"call_noop", IN_PROCESS, run_call_noop, NULL, false, 0, NULL, false},
    {"call_pdk", IN_PROCESS, run_call_pdk, NULL, false, 0, NULL, false},
    {"echo", IN_PROCESS, run_echo, NULL, false, 0, NULL, false},
    {"host_fn", IN_PROCESS, run_host_fn, NULL, false, 0, NULL, false},
    {"rss_100", PER_PROCESS, NULL, sample_rss_100, false, 3, "MiB/plugin", false},
    {"scale", IN_PROCESS, run_scale, NULL, false, 0, NULL, false},
    {"cycle", IN_PROCESS, run_cycle, NULL, false, 0, NULL, false},
    {"cycle_grow", IN_PROCESS, run_cycle_grow, NULL, false, 0, NULL, false},
    {"cycle_count", IN_PROCESS, run_cycle_count, NULL, false, 0, NULL, true},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

static const Workload *find_workload(const char *name) {
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        if (strcmp(workloads[i].name, name) == 0) {
            return &workloads[i];
        }
    }
    /* Result names that belong to a group run that group. */
    static const char *const aliases[][2] = {
        {"call_noop_timeout", "call_noop"},
        {"call_pdk_echo", "call_pdk"},
        {"call_pdk_compiled", "call_pdk"},
        {"echo_1mib_compiled", "echo"},
        {"echo_1mib", "echo"},
        {"echo_16mib", "echo"},
        {"memcpy_16mib", "echo"},
        {"scale_1t", "scale"},
        {"scale_2t", "scale"},
        {"scale_2t_over_1t", "scale"},
        {"scale_2t_cpu_share", "scale"},
        {"scale_2t_per_cpu", "scale"},
        {"machine_2t_over_1t", "scale"},
        {"cycle_1t", "cycle"},
        {"cycle_2t", "cycle"},
        {"cycle_2t_over_1t", "cycle"},
        {"cycle_cpu_1t", "cycle"},
        {"cycle_cpu_2t", "cycle"},
        {"cycle_faults_1t", "cycle"},
        {"cycle_switches_2t", "cycle"},
        {"cycle_tlb_2t", "cycle"},
        {"cycle_machine_2t_over_1t", "cycle"},
        {"cycle_grow_1t", "cycle_grow"},
        {"cycle_grow_2t", "cycle_grow"},
        {"cycle_grow_2t_over_1t", "cycle_grow"},
        {"cycle_grow_cpu_1t", "cycle_grow"},
        {"cycle_grow_cpu_2t", "cycle_grow"},
        {"cycle_grow_faults_1t", "cycle_grow"},
        {"cycle_grow_switches_2t", "cycle_grow"},
        {"cycle_grow_tlb_2t", "cycle_grow"},
        {"cycle_grow_machine_2t_over_1t", "cycle_grow"},
        {"plugin_free", "new_from_compiled"},
        {"new_and_first_call", "new_from_compiled"},
        {"new_from_compiled_big", "new_from_compiled"},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcmp(aliases[i][0], name) == 0) {
            return find_workload(aliases[i][1]);
        }
    }
    return NULL;
}

/* Runs one workload from the parent; returns false if it failed. */
static bool run_workload(const Workload *w) {
    current = w->name;
    if (w->kind == PER_PROCESS) {
        /* One untimed child first, so an on-disk cache is in its steady state. */
        char buf[256];
        char *args[] = {"--sample", (char *)w->name, NULL};
        if (!run_child(args, w->empty_cache, buf, sizeof buf)) {
            return false;
        }
        Samples s = {0};
        if (!process_samples(w->name, w->empty_cache, quick ? 2 : w->processes, &s)) {
            return false;
        }
        report(w->name, &s, w->unit);
        return true;
    }
    static char buf[1 << 14];
    char *args[] = {"--run", (char *)w->name, NULL};
    bool ok = run_child(args, false, buf, sizeof buf);
    fputs(buf, stdout);
    fflush(stdout);
    return ok;
}

/* The file name of the loaded libextism, from /proc/self/maps. */
static void print_library(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    const char *found = NULL;
    while (f && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "libextism")) {
            path[strcspn(path, "\n")] = '\0';
            found = path;
            break;
        }
    }
    printf("# library %s version %s\n", found ? found : "(unknown)", extism_version());
    if (f) {
        fclose(f);
    }
}

int main(int argc, char **argv) {
    self_exe = argv[0];
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--plugins") == 0 && i + 1 < argc) {
            plugins_dir = argv[++i];
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else {
            break;
        }
    }
    if (i + 1 < argc && strcmp(argv[i], "--sample") == 0) {
        const Workload *w = find_workload(argv[i + 1]);
        if (!w || w->kind != PER_PROCESS) {
            fail("unknown sample %s", argv[i + 1]);
        }
        current = w->name;
        printf("%.9g\n", w->sample());
        return 0;
    }
    if (i + 1 < argc && strcmp(argv[i], "--run") == 0) {
        const Workload *w = find_workload(argv[i + 1]);
        if (!w || w->kind != IN_PROCESS) {
            fail("unknown workload %s", argv[i + 1]);
        }
        current = w->name;
        w->run();
        return 0;
    }
    const Workload *chosen[N_WORKLOADS];
    size_t n = 0;
    if (i == argc) {
        for (size_t k = 0; k < N_WORKLOADS; k++) {
            if (!workloads[k].on_request) {
                chosen[n++] = &workloads[k];
            }
        }
    }
    for (; i < argc; i++) {
        const Workload *w = find_workload(argv[i]);
        if (!w) {
            fprintf(stderr, "bench: unknown workload %s\n", argv[i]);
            return 2;
        }
        bool dup = false;
        for (size_t k = 0; k < n; k++) {
            dup |= chosen[k] == w;
        }
        if (!dup) {
            chosen[n++] = w;
        }
    }
    print_library();
    int failures = 0;
    for (size_t k = 0; k < n; k++) {
        if (!run_workload(chosen[k])) {
            printf("# FAILED %s\n", chosen[k]->name);
            fflush(stdout);
            failures++;
        }
    }
    return failures ? 1 : 0;
}
