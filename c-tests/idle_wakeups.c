/* A process whose plugins are idle sleeps: after calls of every kind (a plain call, a call
 * with timeout_ms, a call cancelled from another thread, a WASI call, and an HTTP request that
 * ran out of time against a server that never answers), the library's threads do not wake up
 * while no call runs. Measured as the voluntary context switches of all the process's threads
 * (/proc/self/task/<tid>/status) over QUIET_MS, after a pause that lets the timer finish its
 * grace period; only the measuring thread's own sleep may switch. A thread that wakes up
 * switches voluntarily when it goes back to sleep, so every wake-up counts; involuntary
 * switches are left out, as they count preemptions of a running thread by other processes
 * (CTest runs tests side by side, under valgrind too). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define QUIET_MS 2000
/* The measuring thread's sleep and reads of /proc, and a little slack. */
#define MAX_SWITCHES 4

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void add_switches(const char *task, void *data) {
    char path[320];
    long *total = data;
    long voluntary;
    snprintf(path, sizeof path, "%s/status", task);
    voluntary = status_field(path, "voluntary_ctxt_switches:");
    if (voluntary >= 0) { /* else the thread has ended */
        *total += voluntary;
    }
}

/* The voluntary context switches of every thread of this process so far. */
static long process_switches(void) {
    long total = 0;
    return for_each_thread(add_switches, &total) < 0 ? -1 : total;
}

struct canceller {
    const ExtismCancelHandle *handle;
    atomic_bool call_done;
};

/* Cancels after 100 ms, then every 50 ms until the call is over (a cancel that comes before
 * the call runs does nothing). */
static void *cancel_until_done(void *arg) {
    struct canceller *canceller = arg;
    sleep_ms(100);
    while (!atomic_load(&canceller->call_done)) {
        extism_plugin_cancel(canceller->handle);
        sleep_ms(50);
    }
    return NULL;
}

/* A listening socket on the loopback interface that never accepts: a request to it connects
 * and then waits forever. Returns the socket, and its port in *port, or -1. */
static int silent_server(int *port) {
    struct sockaddr_in address = {0};
    socklen_t len = sizeof address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

int main(void) {
    int failed = 0;
    ExtismPlugin *plain = NULL, *timed = NULL, *looping = NULL, *wasi = NULL, *http = NULL;
    pthread_t thread;
    struct canceller canceller;
    bool cancelling = false;
    int server = -1, port = 0;
    char manifest[1024], request[256];
    long before, after;
    int32_t rc;

    plain = load_plugin("count_vowels.wasm", NULL, 0, false);
    CHECK(plain != NULL, "count_vowels.wasm did not load");
    CHECK(extism_plugin_call(plain, "count_vowels", (const uint8_t *)"hello", 5) == 0,
          "count_vowels failed: %s", text_or_null(extism_plugin_error(plain)));

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}],\"timeout_ms\":10000}",
             plugin_path("count_vowels.wasm"));
    timed = plugin_from_text(manifest, NULL, 0, false);
    CHECK(timed != NULL, "count_vowels.wasm with timeout_ms did not load");
    CHECK(extism_plugin_call(timed, "count_vowels", (const uint8_t *)"hello", 5) == 0,
          "count_vowels with timeout_ms failed: %s", text_or_null(extism_plugin_error(timed)));

    /* A cancel with no call running, then a call that runs until a cancel lands. */
    looping = load_plugin("traps.wasm", NULL, 0, false);
    CHECK(looping != NULL, "traps.wasm did not load");
    canceller.handle = extism_plugin_cancel_handle(looping);
    atomic_init(&canceller.call_done, false);
    extism_plugin_cancel(canceller.handle);
    CHECK(pthread_create(&thread, NULL, cancel_until_done, &canceller) == 0,
          "pthread_create failed");
    cancelling = true;
    rc = extism_plugin_call(looping, "infinite_loop", NULL, 0);
    atomic_store(&canceller.call_done, true);
    CHECK(rc == 134, "the cancelled loop returned %d: %s", rc,
          text_or_null(extism_plugin_error(looping)));

    wasi = load_plugin("wasi_hello.wasm", NULL, 0, true);
    CHECK(wasi != NULL, "wasi_hello.wasm did not load");
    CHECK(extism_plugin_call(wasi, "greet", (const uint8_t *)"Bob", 3) == 0, "greet failed: %s",
          text_or_null(extism_plugin_error(wasi)));

    server = silent_server(&port);
    CHECK(server >= 0, "no loopback socket");
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_hosts\":[\"127.0.0.1\"],\"timeout_ms\":300}",
             plugin_path("http_fetch.wasm"));
    http = plugin_from_text(manifest, NULL, 0, false);
    CHECK(http != NULL, "http_fetch.wasm did not load");
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/\"}", port);
    CHECK(extism_plugin_call(http, "fetch", (const uint8_t *)request, strlen(request)) == 134,
          "the request to a silent server returned %s", text_or_null(extism_plugin_error(http)));

    /* The timer's grace period after the last timed call is 200 ms. */
    sleep_ms((long)(1000 * time_scale()));
    before = process_switches();
    sleep_ms(QUIET_MS);
    after = process_switches();
    CHECK(before >= 0 && after >= 0, "cannot read /proc/self/task");
    CHECK(after - before <= MAX_SWITCHES,
          "the process's threads went to sleep %ld times in %d ms with no call running",
          after - before, QUIET_MS);

cleanup:
    if (cancelling) {
        atomic_store(&canceller.call_done, true);
        pthread_join(thread, NULL);
    }
    if (server >= 0) {
        close(server);
    }
    extism_plugin_free(plain);
    extism_plugin_free(timed);
    extism_plugin_free(looping);
    extism_plugin_free(wasi);
    extism_plugin_free(http);
    return failed ? EXIT_FAILURE : 0;
}
