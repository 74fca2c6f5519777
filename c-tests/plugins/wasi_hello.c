/*
 * wasi_hello: C plugin built with wasi-libc as a WASI reactor (needs WASI).
 *
 * Exports (all `() -> i32`, 0 = success):
 *   greet        input is a name; output is "Hello, <input>!" (built with malloc
 *                and snprintf); the same text plus '\n' is written to stdout with
 *                printf (visible only when the host connects WASI stdout).
 *   random_bytes 16 bytes from getentropy, output as 32 lowercase hex chars.
 *   clock        clock_gettime(CLOCK_REALTIME) seconds, output in decimal.
 *   write_file   input "path\ncontent": writes content to path (fopen "w");
 *                on failure sets the error "write_file: <path>: <strerror>"
 *                and returns 1.
 *   read_file    input is a path; output is the file content; on failure sets
 *                the error "read_file: <path>: <strerror>" and returns 1.
 *   list_dir     input is a directory path; output is the entry names (without
 *                "." and "..") sorted by byte value and joined by '\n'; on
 *                failure sets the error "list_dir: <path>: <strerror>" and
 *                returns 1.
 * Memory errors (malloc, alloc) set an error and return 1.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(input_length) extern uint64_t input_length(void);
IMPORT(input_load_u8) extern uint32_t input_load_u8(uint64_t offset);
IMPORT(input_load_u64) extern uint64_t input_load_u64(uint64_t offset);
IMPORT(alloc) extern uint64_t extism_alloc(uint64_t n);
IMPORT(store_u8) extern void store_u8(uint64_t p, uint32_t v);
IMPORT(store_u64) extern void store_u64(uint64_t p, uint64_t v);
IMPORT(output_set) extern void output_set(uint64_t p, uint64_t n);
IMPORT(error_set) extern void error_set(uint64_t h);

/* Copies n bytes into a new Extism block; returns its handle (0 for n == 0 or failure). */
static uint64_t to_block(const char *data, size_t n) {
    if (n == 0) return 0;
    uint64_t h = extism_alloc(n);
    if (h == 0) return 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, 8);
        store_u64(h + i, w);
    }
    for (; i < n; i++) store_u8(h + i, (unsigned char)data[i]);
    return h;
}

static int output(const char *data, size_t n) {
    if (n == 0) return 0;
    uint64_t h = to_block(data, n);
    if (h == 0) return 1;
    output_set(h, n);
    return 0;
}

static int fail(const char *what, const char *path, int err) {
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s: %s: %s", what, path, strerror(err));
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
    error_set(to_block(msg, (size_t)n));
    return 1;
}

/* Reads the whole input into a NUL-terminated malloc'd buffer; *len gets its length. */
static char *read_input(size_t *len) {
    uint64_t n = input_length();
    char *buf = malloc((size_t)n + 1);
    if (!buf) return NULL;
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = input_load_u64(i);
        memcpy(buf + i, &w, 8);
    }
    for (; i < n; i++) buf[i] = (char)input_load_u8(i);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

EXPORT(greet) int32_t greet(void) {
    size_t n;
    char *name = read_input(&n);
    if (!name) return fail("greet", "input", ENOMEM);
    size_t cap = n + sizeof "Hello, !";
    char *msg = malloc(cap);
    if (!msg) {
        free(name);
        return fail("greet", "output", ENOMEM);
    }
    int len = snprintf(msg, cap, "Hello, %.*s!", (int)n, name);
    printf("%s\n", msg);
    fflush(stdout);
    int rc = output(msg, (size_t)len);
    free(msg);
    free(name);
    return rc;
}

EXPORT(random_bytes) int32_t random_bytes(void) {
    unsigned char bytes[16];
    char hex[33];
    if (getentropy(bytes, sizeof bytes) != 0) return fail("random_bytes", "getentropy", errno);
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
    return output(hex, 32);
}

EXPORT(clock) int32_t clock_export(void) {
    struct timespec ts;
    char text[32];
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return fail("clock", "clock_gettime", errno);
    int n = snprintf(text, sizeof text, "%lld", (long long)ts.tv_sec);
    return output(text, (size_t)n);
}

EXPORT(write_file) int32_t write_file(void) {
    size_t n;
    char *in = read_input(&n);
    if (!in) return fail("write_file", "input", ENOMEM);
    char *nl = memchr(in, '\n', n);
    const char *content = "";
    size_t content_len = 0;
    if (nl) {
        *nl = 0;
        content = nl + 1;
        content_len = n - (size_t)(content - in);
    }
    FILE *f = fopen(in, "w");
    if (!f) {
        int rc = fail("write_file", in, errno);
        free(in);
        return rc;
    }
    size_t written = content_len ? fwrite(content, 1, content_len, f) : 0;
    int err = written == content_len ? 0 : errno;
    if (fclose(f) != 0 && err == 0) err = errno;
    if (err == 0 && written != content_len) err = EIO;
    int rc = err ? fail("write_file", in, err) : 0;
    free(in);
    return rc;
}

EXPORT(read_file) int32_t read_file(void) {
    size_t n;
    char *path = read_input(&n);
    if (!path) return fail("read_file", "input", ENOMEM);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int rc = fail("read_file", path, errno);
        free(path);
        return rc;
    }
    size_t cap = 4096, len = 0;
    char *data = malloc(cap);
    int err = data ? 0 : ENOMEM;
    while (!err) {
        if (len == cap) {
            char *bigger = realloc(data, cap * 2);
            if (!bigger) {
                err = ENOMEM;
                break;
            }
            data = bigger;
            cap *= 2;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) err = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    int rc = err ? fail("read_file", path, err) : output(data, len);
    free(data);
    free(path);
    return rc;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

EXPORT(list_dir) int32_t list_dir(void) {
    size_t n;
    char *path = read_input(&n);
    if (!path) return fail("list_dir", "input", ENOMEM);
    DIR *dir = opendir(path);
    if (!dir) {
        int rc = fail("list_dir", path, errno);
        free(path);
        return rc;
    }
    char **names = NULL;
    size_t count = 0, cap = 0, total = 0;
    int err = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **bigger = realloc(names, ncap * sizeof *names);
            if (!bigger) {
                err = ENOMEM;
                break;
            }
            names = bigger;
            cap = ncap;
        }
        names[count] = strdup(e->d_name);
        if (!names[count]) {
            err = ENOMEM;
            break;
        }
        total += strlen(names[count]) + 1;
        count++;
    }
    closedir(dir);
    int rc;
    if (err) {
        rc = fail("list_dir", path, err);
    } else {
        qsort(names, count, sizeof *names, compare_names);
        char *joined = malloc(total + 1);
        size_t len = 0;
        if (!joined) {
            rc = fail("list_dir", path, ENOMEM);
        } else {
            for (size_t i = 0; i < count; i++) {
                size_t l = strlen(names[i]);
                if (i > 0) joined[len++] = '\n';
                memcpy(joined + len, names[i], l);
                len += l;
            }
            rc = output(joined, len);
            free(joined);
        }
    }
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
    free(path);
    return rc;
}
