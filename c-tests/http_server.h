/* Starts and stops c-tests/http_server.py for the HTTP tests.
 *
 * The server is spawned as `python3 HTTP_SERVER_SCRIPT PLUGINS_DIR`, with python3 looked up in
 * PATH. It prints its port on the first line of stdout, which is read through a pipe. Its stdin
 * is another pipe that the test keeps open: the server exits when that pipe closes, so it never
 * outlives the test, even one that crashes. http_server_stop also sends SIGTERM and reaps it. */
#ifndef EXTISM_C_TESTS_HTTP_SERVER_H
#define EXTISM_C_TESTS_HTTP_SERVER_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#ifndef HTTP_SERVER_SCRIPT
#error "HTTP_SERVER_SCRIPT must name c-tests/http_server.py"
#endif

extern char **environ;

struct http_server {
    pid_t pid;    /* 0 when no server runs */
    int stdin_fd; /* the write end of the server's stdin, or -1 */
    int port;
};

static inline void http_server_init(struct http_server *server) {
    server->pid = 0;
    server->stdin_fd = -1;
    server->port = 0;
}

static inline void http_server_stop(struct http_server *server) {
    if (server->stdin_fd >= 0) {
        close(server->stdin_fd);
        server->stdin_fd = -1;
    }
    if (server->pid > 0) {
        int status;
        kill(server->pid, SIGTERM);
        while (waitpid(server->pid, &status, 0) < 0 && errno == EINTR) {
        }
        server->pid = 0;
    }
}

/* Reads the first line of `fd` (at most size - 1 bytes), waiting at most 20 s in all. */
static inline bool http_server_read_line(int fd, char *line, size_t size) {
    size_t used = 0;
    int waited_ms = 0;
    while (used + 1 < size && waited_ms < 20000) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, 100);
        ssize_t got;
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            waited_ms += 100;
            continue;
        }
        got = read(fd, line + used, 1);
        if (got <= 0) {
            break;
        }
        if (line[used] == '\n') {
            line[used] = '\0';
            return true;
        }
        used++;
    }
    line[used] = '\0';
    return false;
}

/* Starts the server and fills in its pid and port. Prints the reason and returns false on
 * failure, leaving nothing running. */
static inline bool http_server_start(struct http_server *server) {
    int to_server[2] = {-1, -1};
    int from_server[2] = {-1, -1};
    char line[64];
    char *end = NULL;
    long port;
    bool actions_ready = false;
    bool ok = false;
    posix_spawn_file_actions_t actions;
    char *argv[] = {"python3", HTTP_SERVER_SCRIPT, PLUGINS_DIR, NULL};

    http_server_init(server);
    if (pipe(to_server) != 0 || pipe(from_server) != 0) {
        fprintf(stderr, "pipe failed: %s\n", strerror(errno));
        goto done;
    }
    if (posix_spawn_file_actions_init(&actions) != 0) {
        fprintf(stderr, "posix_spawn_file_actions_init failed\n");
        goto done;
    }
    actions_ready = true;
    if (posix_spawn_file_actions_adddup2(&actions, to_server[0], 0) != 0 ||
        posix_spawn_file_actions_adddup2(&actions, from_server[1], 1) != 0 ||
        posix_spawn_file_actions_addclose(&actions, to_server[0]) != 0 ||
        posix_spawn_file_actions_addclose(&actions, to_server[1]) != 0 ||
        posix_spawn_file_actions_addclose(&actions, from_server[0]) != 0 ||
        posix_spawn_file_actions_addclose(&actions, from_server[1]) != 0) {
        fprintf(stderr, "posix_spawn_file_actions failed\n");
        goto done;
    }
    errno = posix_spawnp(&server->pid, "python3", &actions, NULL, argv, environ);
    if (errno != 0) {
        fprintf(stderr, "cannot start python3 %s: %s\n", HTTP_SERVER_SCRIPT, strerror(errno));
        server->pid = 0;
        goto done;
    }
    close(to_server[0]);
    to_server[0] = -1;
    close(from_server[1]);
    from_server[1] = -1;
    server->stdin_fd = to_server[1];
    to_server[1] = -1;

    if (!http_server_read_line(from_server[0], line, sizeof line)) {
        fprintf(stderr, "the HTTP server printed no port (got \"%s\")\n", line);
        goto done;
    }
    port = strtol(line, &end, 10);
    if (end == line || *end != '\0' || port <= 0 || port > 65535) {
        fprintf(stderr, "the HTTP server printed \"%s\" instead of a port\n", line);
        goto done;
    }
    server->port = (int)port;
    ok = true;

done:
    if (actions_ready) {
        posix_spawn_file_actions_destroy(&actions);
    }
    for (int i = 0; i < 2; i++) {
        if (to_server[i] >= 0) {
            close(to_server[i]);
        }
        if (from_server[i] >= 0) {
            close(from_server[i]);
        }
    }
    if (!ok) {
        http_server_stop(server);
    }
    return ok;
}

/* Creates a plugin of http_fetch.wasm whose manifest sets `allowed_hosts` to the JSON value
 * `allowed_hosts` (for example `["127.0.0.1"]` or `null`), plus any `extra` top-level manifest
 * members (for example `"timeout_ms":500`, or ""). */
static inline ExtismPlugin *http_fetch_plugin(const char *allowed_hosts, const char *extra) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_hosts\":%s%s%s}",
             plugin_path("http_fetch.wasm"), allowed_hosts, extra[0] ? "," : "", extra);
    return plugin_from_text(manifest, NULL, 0, false);
}

/* Calls http_fetch's `fetch` with the request JSON `request`. Returns the rc; the output and
 * error stay readable on the plugin. */
static inline int32_t http_fetch(ExtismPlugin *plugin, const char *request) {
    return extism_plugin_call(plugin, "fetch", (const uint8_t *)request, strlen(request));
}

#endif
