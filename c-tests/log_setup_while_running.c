/* Installing the process-wide log sink while other threads are calling plugins (docs/abi.md 8.6):
 * no call is disturbed, get_log_level changes from "off" to trace for calls after the install,
 * and the drained lines carry each plugin's own id. */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define THREADS 2

struct worker {
    ExtismPlugin *plugin;
    atomic_int *go;
    atomic_int *stop;
    int calls;
    int off_seen;   /* calls that saw logging off (2147483647) */
    int trace_seen; /* calls that saw level 0 */
    int bad;        /* anything else */
};

static void *run_worker(void *data) {
    struct worker *w = data;
    while (!atomic_load(w->go)) {
    }
    while (!atomic_load(w->stop)) {
        int32_t rc = extism_plugin_call(w->plugin, "log_all", NULL, 0);
        char level[16] = {0};
        size_t len = (size_t)extism_plugin_output_length(w->plugin);
        w->calls++;
        if (rc != 0 || len == 0 || len >= sizeof level) {
            w->bad++;
            continue;
        }
        memcpy(level, extism_plugin_output_data(w->plugin), len);
        if (strcmp(level, "2147483647") == 0) {
            w->off_seen++;
        } else if (strcmp(level, "0") == 0) {
            w->trace_seen++;
        } else {
            w->bad++;
        }
    }
    return NULL;
}

struct drained {
    int lines;
    int bad_lines;
    int per_plugin[THREADS];
    char ids[THREADS][37];
};

static void format_id(const uint8_t *id, char out[37]) {
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[id[i] >> 4];
        out[o++] = hex[id[i] & 15];
    }
    out[o] = '\0';
}

static struct drained drained;

static void on_line(const char *data, ExtismSize size) {
    drained.lines++;
    if (size == 0 || data[size - 1] != '\n' || strlen(data) != (size_t)size) {
        drained.bad_lines++;
        return;
    }
    if (strstr(data, "extism::pdk") == NULL) {
        return;
    }
    for (int i = 0; i < THREADS; i++) {
        if (strstr(data, drained.ids[i]) != NULL) {
            drained.per_plugin[i]++;
        }
    }
}

int main(void) {
    int failed = 0;
    atomic_int go = 0;
    atomic_int stop = 0;
    struct worker workers[THREADS] = {0};
    pthread_t threads[THREADS];
    int started = 0;
    for (int i = 0; i < THREADS; i++) {
        workers[i].plugin = load_plugin("log.wasm", NULL, 0, false);
        workers[i].go = &go;
        workers[i].stop = &stop;
        CHECK(workers[i].plugin != NULL, "log.wasm did not load");
        format_id(extism_plugin_id(workers[i].plugin), drained.ids[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0, "pthread_create");
        started++;
    }
    atomic_store(&go, 1);
    {
        struct timespec t = {0, 20 * 1000000L};
        nanosleep(&t, NULL);
    }
    CHECK(extism_log_custom("trace"), "extism_log_custom failed");
    {
        struct timespec t = {0, 100 * 1000000L};
        nanosleep(&t, NULL);
    }

cleanup:
    atomic_store(&stop, 1);
    atomic_store(&go, 1);
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    started = 0;
    if (!failed) {
        extism_log_drain(on_line);
        for (int i = 0; i < THREADS; i++) {
            printf("thread %d: %d calls with logging off, %d at trace, %d bad; %d lines\n", i,
                   workers[i].off_seen, workers[i].trace_seen, workers[i].bad,
                   drained.per_plugin[i]);
            CHECK(workers[i].bad == 0, "thread %d saw %d failed calls or odd levels", i,
                  workers[i].bad);
            CHECK(workers[i].off_seen + workers[i].trace_seen == workers[i].calls,
                  "calls unaccounted for");
            CHECK(workers[i].trace_seen > 0, "thread %d never saw the installed sink", i);
            /* Five messages (one per level) per call made after the install. */
            CHECK(drained.per_plugin[i] >= 5 * workers[i].trace_seen - 5 &&
                      drained.per_plugin[i] <= 5 * workers[i].trace_seen + 5,
                  "thread %d: %d lines for %d traced calls", i, drained.per_plugin[i],
                  workers[i].trace_seen);
        }
        CHECK(drained.bad_lines == 0, "%d malformed lines", drained.bad_lines);
    }
    for (int i = 0; i < THREADS; i++) {
        extism_plugin_free(workers[i].plugin);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
