/* allowed_paths (docs/abi.md 7.3, 8.3) with wasi_hello.wasm: a host directory mounted at /data can
 * be read and written; a "ro:" mount refuses writes; "..", absolute paths outside the mount
 * and symlinks leading out of it reach nothing; a missing host directory fails creation. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define COMPILE_PREFIX "Unable to compile Extism plugin: "

/* Removes `path` and, for a directory, everything in it, without following symlinks. */
static void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        struct dirent *entry;
        char child[4096];
        while (dir != NULL && (entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
                continue;
            }
            snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
            remove_tree(child);
        }
        if (dir != NULL) {
            closedir(dir);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static bool write_host_file(const char *path, const char *content) {
    FILE *file = fopen(path, "wb");
    bool ok;
    if (file == NULL) {
        return false;
    }
    ok = fwrite(content, 1, strlen(content), file) == strlen(content);
    return fclose(file) == 0 && ok;
}

/* True if the host file at `path` holds exactly `content`. */
static bool host_file_is(const char *path, const char *content) {
    size_t len = 0;
    uint8_t *data = read_file(path, &len);
    bool same = data != NULL && len == strlen(content) && memcmp(data, content, len) == 0;
    free(data);
    return same;
}

static bool host_file_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static ExtismPlugin *mount_plugin(const char *host_dir, const char *guest_dir) {
    char manifest[8192];
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_paths\":{\"%s\":\"%s\"}}",
             plugin_path("wasi_hello.wasm"), host_dir, guest_dir);
    return plugin_from_text(manifest, NULL, 0, true);
}

/* Calls `func` with `input` and expects rc 1 with the error "<func>: <path>: <reason>". */
static bool check_refused(ExtismPlugin *plugin, const char *func, const char *input) {
    int failed = 0;
    char prefix[4096];
    const char *newline = strchr(input, '\n');
    int path_len = newline ? (int)(newline - input) : (int)strlen(input);
    int32_t rc = extism_plugin_call(plugin, func, (const uint8_t *)input, strlen(input));
    snprintf(prefix, sizeof prefix, "%s: %.*s: ", func, path_len, input);
    CHECK(rc == 1, "%s of \"%s\" returned %d (error: %s)", func, input, rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_PREFIX(extism_plugin_error(plugin), prefix);
    printf("%s refused: %s\n", func, extism_plugin_error(plugin));
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    char base[] = "/tmp/extism_wasi_paths_XXXXXX";
    bool have_base = false;
    char mount[256], ro_mount[512], missing[512], secret[512], path[512], input[512];
    char manifest[4096];
    char *errmsg = NULL;
    char *create_error = NULL;
    char *overwrite_error = NULL;
    ExtismPlugin *plugin = NULL;

    CHECK(mkdtemp(base) != NULL, "mkdtemp failed");
    have_base = true;
    snprintf(mount, sizeof mount, "%s/mnt", base);
    snprintf(ro_mount, sizeof ro_mount, "ro:%s", mount);
    snprintf(missing, sizeof missing, "%s/missing", base);
    snprintf(secret, sizeof secret, "%s/secret.txt", base);
    CHECK(mkdir(mount, 0700) == 0, "cannot create %s", mount);
    CHECK(write_host_file(secret, "secret"), "cannot write %s", secret);
    snprintf(path, sizeof path, "%s/hello.txt", mount);
    CHECK(write_host_file(path, "from the host"), "cannot write %s", path);
    snprintf(path, sizeof path, "%s/etc_link", mount);
    CHECK(symlink("/etc", path) == 0, "cannot create the symlink %s", path);
    snprintf(path, sizeof path, "%s/secret_link", mount);
    CHECK(symlink("../secret.txt", path) == 0, "cannot create the symlink %s", path);

    /* Reading and writing inside a read-write mount. */
    plugin = mount_plugin(mount, "/data");
    CHECK(plugin != NULL, "wasi_hello.wasm with a mount did not load");
    CHECK_CALL_OUTPUT(plugin, "read_file", "/data/hello.txt", "from the host");
    CHECK_CALL_OUTPUT(plugin, "write_file", "/data/new.txt\nwritten by the guest", "");
    snprintf(path, sizeof path, "%s/new.txt", mount);
    CHECK(host_file_is(path, "written by the guest"), "the host does not see the guest's file");
    CHECK_CALL_OUTPUT(plugin, "read_file", "/data/new.txt", "written by the guest");
    CHECK_CALL_OUTPUT(plugin, "list_dir", "/data", "etc_link\nhello.txt\nnew.txt\nsecret_link");

    /* Nothing outside the mount: "..", absolute paths, symlinks out of it. */
    CHECK(check_refused(plugin, "read_file", "/data/../secret.txt"), "read through ..");
    CHECK(check_refused(plugin, "write_file", "/data/../escaped.txt\nx"), "write through ..");
    snprintf(path, sizeof path, "%s/escaped.txt", base);
    CHECK(!host_file_exists(path), "a write through .. created %s", path);
    CHECK(check_refused(plugin, "list_dir", "/data/.."), "list through ..");
    CHECK(check_refused(plugin, "read_file", "/etc/passwd"), "read of /etc/passwd");
    CHECK(check_refused(plugin, "read_file", secret), "read of the host path %s", secret);
    snprintf(input, sizeof input, "%s/escaped2.txt\nx", base);
    CHECK(check_refused(plugin, "write_file", input), "write to a host path");
    snprintf(path, sizeof path, "%s/escaped2.txt", base);
    CHECK(!host_file_exists(path), "a write to a host path created %s", path);
    CHECK(check_refused(plugin, "read_file", "/data/etc_link/passwd"), "read through etc_link");
    CHECK(check_refused(plugin, "list_dir", "/data/etc_link"), "list through etc_link");
    CHECK(check_refused(plugin, "read_file", "/data/secret_link"), "read through secret_link");
    CHECK(check_refused(plugin, "write_file", "/data/secret_link\nchanged"),
          "write through secret_link");
    CHECK(host_file_is(secret, "secret"), "a write through secret_link changed %s", secret);
    /* The plugin still works after the refusals. */
    CHECK_CALL_OUTPUT(plugin, "read_file", "/data/hello.txt", "from the host");
    extism_plugin_free(plugin);

    /* A read-only mount reads, but refuses writes with "not supported". The wording is checked
     * last, after what reached the host. */
    plugin = mount_plugin(ro_mount, "/data");
    CHECK(plugin != NULL, "wasi_hello.wasm with a read-only mount did not load");
    CHECK_CALL_OUTPUT(plugin, "read_file", "/data/hello.txt", "from the host");
    CHECK_CALL_OUTPUT(plugin, "list_dir", "/data", "etc_link\nhello.txt\nnew.txt\nsecret_link");
    CHECK(check_refused(plugin, "write_file", "/data/ro.txt\nx"), "create in a ro mount");
    create_error = error_copy(plugin);
    snprintf(path, sizeof path, "%s/ro.txt", mount);
    CHECK(!host_file_exists(path), "a write to a read-only mount created %s", path);
    CHECK(check_refused(plugin, "write_file", "/data/hello.txt\noverwritten"),
          "overwrite in a ro mount");
    overwrite_error = error_copy(plugin);
    snprintf(path, sizeof path, "%s/hello.txt", mount);
    CHECK(host_file_is(path, "from the host"), "a write to a read-only mount changed %s", path);
    CHECK_CALL_OUTPUT(plugin, "read_file", "/data/hello.txt", "from the host");
    /* The refusal is EPERM ("Operation not permitted"), where the reference says ENOTSUP
     * (README, "Differences from the reference"). */
    CHECK_STR_CONTAINS(create_error, "not permitted");
    CHECK_STR_CONTAINS(overwrite_error, "not permitted");
    extism_plugin_free(plugin);
    plugin = NULL;

    /* A host directory that does not exist fails creation, read-only or not. */
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_paths\":{\"%s\":\"/data\"}}",
             plugin_path("wasi_hello.wasm"), missing);
    plugin = extism_plugin_new((const uint8_t *)manifest, strlen(manifest), NULL, 0, true, &errmsg);
    CHECK(plugin == NULL, "a mount of a missing directory was accepted");
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    CHECK(strlen(errmsg) > strlen(COMPILE_PREFIX), "the errmsg gives no cause");
    printf("missing directory: %s\n", errmsg);
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_paths\":{\"ro:%s\":\"/data\"}}",
             plugin_path("wasi_hello.wasm"), missing);
    plugin = extism_plugin_new((const uint8_t *)manifest, strlen(manifest), NULL, 0, true, &errmsg);
    CHECK(plugin == NULL, "a read-only mount of a missing directory was accepted");
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    /* Without WASI, allowed_paths is ignored: a plugin without WASI imports loads and runs. */
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_paths\":{\"%s\":\"/data\"}}",
             plugin_path("noop.wasm"), mount);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "noop.wasm with allowed_paths and no WASI did not load");
    CHECK(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "run_i32: %s",
          text_or_null(extism_plugin_error(plugin)));

cleanup:
    free(overwrite_error);
    free(create_error);
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    if (have_base) {
        remove_tree(base);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
