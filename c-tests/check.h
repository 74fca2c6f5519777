/* Shared checks for the C tests.
 *
 * Every function that uses CHECK declares `int failed = 0;` and ends with a `cleanup:` label
 * that releases everything it owns. A failed CHECK prints file:line, the condition and a
 * message, sets `failed` and jumps to `cleanup`. `main` returns `failed ? EXIT_FAILURE : 0`. */
#ifndef EXTISM_C_TESTS_CHECK_H
#define EXTISM_C_TESTS_CHECK_H

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extism.h"

#ifndef PLUGINS_DIR
#error "PLUGINS_DIR must name the directory that holds the test plugins, with a trailing slash"
#endif

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n    ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failed = 1;                                                                            \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

/* Compares two C strings; a NULL actual value fails and prints as (null). */
#define CHECK_STR_EQ(actual, expected)                                                             \
    do {                                                                                           \
        const char *check_actual_ = (actual);                                                      \
        const char *check_expected_ = (expected);                                                  \
        CHECK(check_actual_ != NULL && strcmp(check_actual_, check_expected_) == 0,                \
              "expected \"%s\", got %s%s%s", check_expected_, check_actual_ ? "\"" : "",           \
              check_actual_ ? check_actual_ : "(null)", check_actual_ ? "\"" : "");                \
    } while (0)

/* Checks that `actual` is non-NULL and starts with `prefix`. */
#define CHECK_STR_PREFIX(actual, prefix)                                                           \
    do {                                                                                           \
        const char *check_actual_ = (actual);                                                      \
        const char *check_prefix_ = (prefix);                                                      \
        CHECK(check_actual_ != NULL &&                                                             \
                  strncmp(check_actual_, check_prefix_, strlen(check_prefix_)) == 0,               \
              "expected a string starting with \"%s\", got %s", check_prefix_,                     \
              check_actual_ ? check_actual_ : "(null)");                                           \
    } while (0)

/* Checks that `actual` is non-NULL and contains `needle`, ignoring ASCII case. */
#define CHECK_STR_CONTAINS(actual, needle)                                                         \
    do {                                                                                           \
        const char *check_actual_ = (actual);                                                      \
        const char *check_needle_ = (needle);                                                      \
        CHECK(check_actual_ != NULL && contains_ignore_case(check_actual_, check_needle_),         \
              "expected a string containing \"%s\", got %s", check_needle_,                        \
              check_actual_ ? check_actual_ : "(null)");                                           \
    } while (0)

/* Checks that the last call on `plugin` set no error. */
#define CHECK_NO_ERROR(plugin)                                                                     \
    do {                                                                                           \
        const char *check_error_ = extism_plugin_error(plugin);                                    \
        CHECK(check_error_ == NULL, "expected no plugin error, got \"%s\"",                        \
              check_error_ ? check_error_ : "");                                                   \
    } while (0)

/* Calls `func` with a NUL-terminated input and checks rc 0, no error and exactly `expected`
 * as output. */
#define CHECK_CALL_OUTPUT(plugin, func, input, expected)                                           \
    CHECK(call_output_equals((plugin), (func), (const uint8_t *)(input), strlen(input),            \
                             (const uint8_t *)(expected), strlen(expected)),                       \
          "call of %s with input \"%s\" did not output \"%s\"", (func), (input), (expected))

/* For printing strings that may be NULL. */
static inline const char *text_or_null(const char *text) {
    return text ? text : "(null)";
}

static inline bool contains_ignore_case(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    for (const char *start = haystack; *start != '\0'; start++) {
        size_t i = 0;
        while (i < n && start[i] != '\0' &&
               tolower((unsigned char)start[i]) == tolower((unsigned char)needle[i])) {
            i++;
        }
        if (i == n) {
            return true;
        }
    }
    return n == 0;
}

/* Prints at most 200 bytes, escaping anything that is not printable ASCII. */
static inline void print_bytes(FILE *out, const uint8_t *bytes, size_t len) {
    size_t shown = len < 200 ? len : 200;
    fputc('"', out);
    for (size_t i = 0; i < shown; i++) {
        if (bytes[i] >= 0x20 && bytes[i] < 0x7f && bytes[i] != '"' && bytes[i] != '\\') {
            fputc(bytes[i], out);
        } else {
            fprintf(out, "\\x%02x", bytes[i]);
        }
    }
    fputc('"', out);
    if (shown < len) {
        fprintf(out, "... (%zu bytes)", len);
    }
}

/* EXTISM_TEST_ASAN is defined in a build with AddressSanitizer. */
#if defined(__SANITIZE_ADDRESS__)
#define EXTISM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXTISM_TEST_ASAN 1
#endif
#endif

/* For tests that measure the resident set, at file scope. Under ASan, freed memory waits in
 * a quarantine of 256 MiB by default before it is reused, which would show up as growth of
 * the resident set. A quarantine of 8 MiB keeps use-after-free detection for recent frees and
 * lets VmRSS reflect the library. An explicit quarantine_size_mb in ASAN_OPTIONS still takes
 * precedence. */
#ifdef EXTISM_TEST_ASAN
#define EXTISM_TEST_SMALL_ASAN_QUARANTINE                                                          \
    const char *__asan_default_options(void);                                                      \
    const char *__asan_default_options(void) {                                                     \
        return "quarantine_size_mb=8";                                                             \
    }
#else
#define EXTISM_TEST_SMALL_ASAN_QUARANTINE
#endif

/* The number after `field` (such as "VmRSS:") in the /proc status file at `path`, or -1. */
static inline long status_field(const char *path, const char *field) {
    char line[256];
    long value = -1;
    size_t len = strlen(field);
    FILE *status = fopen(path, "r");
    if (status == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, field, len) == 0) {
            value = strtol(line + len, NULL, 10);
            break;
        }
    }
    fclose(status);
    return value;
}

/* VmRSS of this process in KiB, or -1. */
static inline long resident_kib(void) {
    return status_field("/proc/self/status", "VmRSS:");
}

/* Calls `visit(task, data)` for each thread of this process, `task` being its
 * /proc/self/task/<tid> directory. Returns how many it visited, or -1. */
static inline int for_each_thread(void (*visit)(const char *task, void *data), void *data) {
    char task[300];
    int visited = 0;
    struct dirent *entry;
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL) {
        return -1;
    }
    while ((entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        snprintf(task, sizeof task, "/proc/self/task/%s", entry->d_name);
        visit(task, data);
        visited++;
    }
    closedir(tasks);
    return visited;
}

struct thread_name_count {
    const char *prefix;
    int count;
};

static inline void count_thread_named(const char *task, void *data) {
    struct thread_name_count *counting = data;
    char path[320], name[64];
    FILE *comm;
    snprintf(path, sizeof path, "%s/comm", task);
    comm = fopen(path, "r");
    if (comm == NULL) {
        return; /* the thread has ended */
    }
    if (fgets(name, sizeof name, comm) != NULL &&
        strncmp(name, counting->prefix, strlen(counting->prefix)) == 0) {
        counting->count++;
    }
    fclose(comm);
}

/* How many threads of this process have a name (as in /proc, at most 15 characters) starting
 * with `prefix`, or -1. */
static inline int threads_named(const char *prefix) {
    struct thread_name_count counting = {prefix, 0};
    return for_each_thread(count_thread_named, &counting) < 0 ? -1 : counting.count;
}

/* Builds PLUGINS_DIR + name. The result lives in one of eight rotating static buffers, so a
 * few paths can be used in the same expression. */
static inline const char *plugin_path(const char *name) {
    static char buffers[8][4096];
    static unsigned next;
    char *buffer = buffers[next++ % 8];
    snprintf(buffer, sizeof buffers[0], "%s%s", PLUGINS_DIR, name);
    return buffer;
}

/* Reads a whole file into malloc'd memory (with a NUL after the last byte, not counted in
 * `len`). Returns NULL and prints the reason on failure. */
static inline uint8_t *read_file(const char *path, size_t *len) {
    uint8_t *data = NULL;
    long size;
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    if (fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET)) {
        fprintf(stderr, "cannot size %s\n", path);
        fclose(file);
        return NULL;
    }
    data = malloc((size_t)size + 1);
    if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        free(data);
        fclose(file);
        return NULL;
    }
    fclose(file);
    data[size] = 0;
    *len = (size_t)size;
    return data;
}

/* Creates a plugin from c-tests/plugins/<name>. Prints the errmsg and returns NULL on failure.
 * The functions are consumed as by extism_plugin_new. */
static inline ExtismPlugin *load_plugin(const char *name, const ExtismFunction **functions,
                                        ExtismSize n_functions, bool with_wasi) {
    size_t len = 0;
    char *errmsg = NULL;
    uint8_t *wasm = read_file(plugin_path(name), &len);
    ExtismPlugin *plugin = NULL;
    if (wasm == NULL) {
        return NULL;
    }
    plugin = extism_plugin_new(wasm, len, functions, n_functions, with_wasi, &errmsg);
    if (plugin == NULL) {
        fprintf(stderr, "cannot create a plugin from %s: %s\n", name,
                errmsg ? errmsg : "(no errmsg)");
        extism_plugin_new_error_free(errmsg);
    }
    free(wasm);
    return plugin;
}

/* Creates a compiled plugin from c-tests/plugins/<name>, like load_plugin. */
static inline ExtismCompiledPlugin *load_compiled_plugin(const char *name,
                                                         const ExtismFunction **functions,
                                                         ExtismSize n_functions, bool with_wasi) {
    size_t len = 0;
    char *errmsg = NULL;
    uint8_t *wasm = read_file(plugin_path(name), &len);
    ExtismCompiledPlugin *compiled = NULL;
    if (wasm == NULL) {
        return NULL;
    }
    compiled = extism_compiled_plugin_new(wasm, len, functions, n_functions, with_wasi, &errmsg);
    if (compiled == NULL) {
        fprintf(stderr, "cannot compile %s: %s\n", name, errmsg ? errmsg : "(no errmsg)");
        extism_plugin_new_error_free(errmsg);
    }
    free(wasm);
    return compiled;
}

/* Creates a plugin from manifest or module text. Prints the errmsg and returns NULL on
 * failure. */
static inline ExtismPlugin *plugin_from_text(const char *text, const ExtismFunction **functions,
                                             ExtismSize n_functions, bool with_wasi) {
    char *errmsg = NULL;
    ExtismPlugin *plugin = extism_plugin_new((const uint8_t *)text, strlen(text), functions,
                                             n_functions, with_wasi, &errmsg);
    if (plugin == NULL) {
        fprintf(stderr, "cannot create a plugin from:\n%s\nerrmsg: %s\n", text,
                errmsg ? errmsg : "(no errmsg)");
        extism_plugin_new_error_free(errmsg);
    }
    return plugin;
}

/* Tries to create a plugin that must fail, and returns its errmsg (free it with
 * extism_plugin_new_error_free). Returns NULL, after freeing any plugin, if creation
 * succeeded or the errmsg was not set. */
static inline char *creation_error(const uint8_t *wasm, size_t len) {
    char *errmsg = NULL;
    ExtismPlugin *plugin = extism_plugin_new(wasm, len, NULL, 0, false, &errmsg);
    if (plugin != NULL) {
        fprintf(stderr, "plugin creation succeeded where it should fail\n");
        extism_plugin_free(plugin);
        extism_plugin_new_error_free(errmsg);
        return NULL;
    }
    return errmsg;
}

/* creation_error for manifest or module text. */
static inline char *text_creation_error(const char *text) {
    return creation_error((const uint8_t *)text, strlen(text));
}

/* Calls `func` and checks rc 0, no error and exactly the expected output bytes. Prints what
 * differs. */
static inline bool call_output_equals(ExtismPlugin *plugin, const char *func, const uint8_t *input,
                                      size_t input_len, const uint8_t *expected,
                                      size_t expected_len) {
    int32_t rc = extism_plugin_call(plugin, func, input, input_len);
    const char *error = extism_plugin_error(plugin);
    ExtismSize len = extism_plugin_output_length(plugin);
    const uint8_t *data = extism_plugin_output_data(plugin);
    bool same = rc == 0 && error == NULL && len == expected_len && data != NULL &&
                (expected_len == 0 || memcmp(data, expected, expected_len) == 0);
    if (!same) {
        fprintf(stderr, "call of %s: rc %d, error %s, output ", func, rc, error ? error : "(null)");
        if (data != NULL) {
            print_bytes(stderr, data, (size_t)len);
        } else {
            fputs("(null)", stderr);
        }
        fputs(", expected rc 0, no error and output ", stderr);
        print_bytes(stderr, expected, expected_len);
        fputc('\n', stderr);
    }
    return same;
}

/* Copies the current output of `plugin` as a NUL-terminated malloc'd string. */
static inline char *output_string(ExtismPlugin *plugin) {
    ExtismSize len = extism_plugin_output_length(plugin);
    const uint8_t *data = extism_plugin_output_data(plugin);
    char *copy = malloc((size_t)len + 1);
    if (copy == NULL) {
        return NULL;
    }
    if (len > 0 && data != NULL) {
        memcpy(copy, data, (size_t)len);
    }
    copy[len] = '\0';
    return copy;
}

/* Copies the current error of `plugin`, or returns NULL when there is none. */
static inline char *error_copy(ExtismPlugin *plugin) {
    const char *error = extism_plugin_error(plugin);
    char *copy;
    if (error == NULL) {
        return NULL;
    }
    copy = malloc(strlen(error) + 1);
    if (copy != NULL) {
        strcpy(copy, error);
    }
    return copy;
}

/* How much slower than natively the tests run: EXTISM_TEST_TIME_SCALE, which CMake sets from
 * EXTISM_TEST_TIMEOUT_FACTOR (20 under valgrind, which runs one thread at a time); 1 when unset.
 * Tests multiply their upper bounds on elapsed time, and the time limits whose order they
 * compare, by it. */
static inline double time_scale(void) {
    const char *text = getenv("EXTISM_TEST_TIME_SCALE");
    double scale = text != NULL ? atof(text) : 1.0;
    return scale >= 1.0 ? scale : 1.0;
}

#endif
