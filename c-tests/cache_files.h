/* Helpers for the tests of the on-disk compilation cache: cache configuration files, counting
 * and damaging the files in a directory, and running a part of a test in a child process (the
 * library reads EXTISM_CACHE_CONFIG once per process, when it creates its first plugin). */
#ifndef EXTISM_C_TESTS_CACHE_FILES_H
#define EXTISM_C_TESTS_CACHE_FILES_H

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define CACHE_PATH_LEN 4096

/* Writes `dir`, '/' and `name` to `out` (CACHE_PATH_LEN bytes). False if it does not fit. */
static inline bool join_path(char *out, const char *dir, const char *name) {
    int len = snprintf(out, CACHE_PATH_LEN, "%s/%s", dir, name);
    return len > 0 && len < CACHE_PATH_LEN;
}

/* Writes a wasmtime cache configuration file at `config` naming `directory`. */
static inline bool write_cache_config(const char *config, const char *directory) {
    FILE *file = fopen(config, "w");
    if (file == NULL) {
        fprintf(stderr, "cannot write %s\n", config);
        return false;
    }
    fprintf(file, "[cache]\ndirectory = \"%s\"\n", directory);
    return fclose(file) == 0;
}

static inline bool ends_with(const char *text, const char *suffix) {
    size_t len = strlen(text), n = strlen(suffix);
    return len >= n && strcmp(text + len - n, suffix) == 0;
}

/* Number of regular files whose name ends with `suffix` in `dir` and, when `recursive`, in
 * its subdirectories; -1 if `dir` cannot be read. */
static inline int count_files(const char *dir, const char *suffix, bool recursive) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    int count = 0;
    char path[CACHE_PATH_LEN];
    struct dirent *entry;
    struct stat st;
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        if (!join_path(path, dir, entry->d_name) || lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode) && recursive) {
            int below = count_files(path, suffix, true);
            count += below > 0 ? below : 0;
        } else if (S_ISREG(st.st_mode) && ends_with(entry->d_name, suffix)) {
            count++;
        }
    }
    closedir(d);
    return count;
}

/* Deletes `dir` and everything in it (symbolic links are deleted, not followed). */
static inline void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    char path[CACHE_PATH_LEN];
    struct dirent *entry;
    struct stat st;
    if (d != NULL) {
        while ((entry = readdir(d)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
                continue;
            }
            if (!join_path(path, dir, entry->d_name)) {
                continue;
            }
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                remove_tree(path);
            } else {
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Runs `body(arg)` in a child process and returns its exit status, or 128 + the signal that
 * ended it (also printed). */
static inline int run_in_child(int (*body)(void *), void *arg) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork failed\n");
        return -1;
    }
    if (pid == 0) {
        exit(body(arg));
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) {
        fprintf(stderr, "waitpid failed\n");
        return -1;
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "the child process was ended by signal %d\n", WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

#endif
