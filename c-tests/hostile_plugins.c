/* A hostile guest (hostile.wasm) calls every host function of extism:host/env with invalid
 * handles, offsets and lengths:
 * - the memory functions never trap and ignore whatever is out of range (docs/abi.md 5.2, 5.4), so
 *   the guest's own checks all pass and the call returns 0 with no error;
 * - the functions that consume a handle fail the call with rc -1 and
 *   "invalid handle offset for <what>: <handle>" (5.3, D2), the handle in unsigned decimal;
 * - handle 0 is the empty string for keys and log messages (5.3), a valid block that is not
 *   UTF-8 fails as a key but is a fine var value, and an invalid log message only fails when
 *   its level is enabled (5.3, 8.6).
 * After every case the plugin still works, and at the end a new plugin does too.
 * Traps, deep recursion, division by zero and infinite loops with and without a timeout are
 * covered with traps.wasm by traps.c, timeout.c, cancel_from_thread.c and fuel.c. */
#include "check.h"

/* The handle kinds of hostile.wasm (first input byte); see the header of hostile.wat. */
#define ALL_KINDS "zsBbmnhNifau"
#define INVALID_KINDS "sBbmnhNifa"

static int cases;
static int failures;

/* Runs one case. A failing case prints its own report and is counted, and the run goes on, so
 * that every failing case is listed. */
#define RUN(case_call)                                                                             \
    do {                                                                                           \
        if (!(case_call)) {                                                                        \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

struct drained_lines {
    int lines;
    int unable_to_log;
};

static struct drained_lines drained;

static void count_line(const char *data, ExtismSize size) {
    (void)size;
    drained.lines++;
    if (strstr(data, "unable to log message") != NULL) {
        drained.unable_to_log++;
    }
}

static void drain(void) {
    memset(&drained, 0, sizeof drained);
    extism_log_drain(count_line);
}

/* The handles the guest must announce for the kinds with a fixed value. */
static const char *fixed_handle(char kind) {
    switch (kind) {
    case 's':
        return "1";
    case 'm':
        return "9223372036854775807";
    case 'n':
        return "18446744073709551615";
    case 'h':
        return "4611686018427387904";
    case 'N':
        return "9223372036854775808";
    default:
        return NULL;
    }
}

static int32_t call_kind(ExtismPlugin *plugin, const char *func, char kind) {
    return extism_plugin_call(plugin, func, (const uint8_t *)&kind, 1);
}

/* The plugin still answers its plain export. */
static bool still_works(ExtismPlugin *plugin) {
    return call_output_equals(plugin, "ok", NULL, 0, (const uint8_t *)"ok", 2);
}

/* A self-checking export returns 0 (no failed check) with no error. */
static bool check_self(ExtismPlugin *plugin, const char *func, const char *input) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, func, (const uint8_t *)input, strlen(input));
    const char *error = extism_plugin_error(plugin);
    cases++;
    CHECK(rc == 0, "%s: check %d of hostile.wat failed (error: %s)", func, rc, text_or_null(error));
    CHECK(error == NULL, "%s set the error \"%s\"", func, error);
    CHECK(still_works(plugin), "the plugin broke after %s", func);
cleanup:
    return !failed;
}

/* Passing an invalid handle of `kind` to `func` fails the call with rc -1 and
 * "invalid handle offset for <what>: <handle>". */
static bool check_invalid(ExtismPlugin *plugin, const char *func, char kind, const char *what) {
    int failed = 0;
    char expected[128];
    char *announced = NULL;
    int32_t rc = call_kind(plugin, func, kind);
    const char *error = extism_plugin_error(plugin);
    cases++;
    announced = output_string(plugin);
    CHECK(announced != NULL && announced[0] != '\0', "%s '%c': the guest announced no handle", func,
          kind);
    CHECK(fixed_handle(kind) == NULL || strcmp(announced, fixed_handle(kind)) == 0,
          "%s '%c': the guest announced %s, expected %s", func, kind, announced,
          fixed_handle(kind));
    snprintf(expected, sizeof expected, "invalid handle offset for %s: %s", what, announced);
    CHECK(rc == -1, "%s '%c' (handle %s): rc %d, expected -1 (error: %s)", func, kind, announced,
          rc, text_or_null(error));
    CHECK_STR_EQ(error, expected);
    CHECK(still_works(plugin), "the plugin broke after %s '%c'", func, kind);
cleanup:
    free(announced);
    return !failed;
}

/* A call that must succeed with no error. */
static bool check_ok(ExtismPlugin *plugin, const char *func, char kind) {
    int failed = 0;
    int32_t rc = call_kind(plugin, func, kind);
    const char *error = extism_plugin_error(plugin);
    cases++;
    CHECK(rc == 0 && error == NULL, "%s '%c': rc %d, error %s, expected 0 and no error", func, kind,
          rc, text_or_null(error));
    CHECK(still_works(plugin), "the plugin broke after %s '%c'", func, kind);
cleanup:
    return !failed;
}

/* A call that must fail with rc -1 and some error other than an invalid handle. */
static bool check_fails(ExtismPlugin *plugin, const char *func, char kind) {
    int failed = 0;
    int32_t rc = call_kind(plugin, func, kind);
    const char *error = extism_plugin_error(plugin);
    cases++;
    CHECK(rc == -1, "%s '%c': rc %d, expected -1 (error: %s)", func, kind, rc, text_or_null(error));
    CHECK(error != NULL && error[0] != '\0', "%s '%c' failed without an error", func, kind);
    CHECK(strncmp(error, "invalid handle offset", 21) != 0,
          "%s '%c' passed a valid handle but got \"%s\"", func, kind, error);
    printf("%s '%c': %s\n", func, kind, error);
    CHECK(still_works(plugin), "the plugin broke after %s '%c'", func, kind);
cleanup:
    return !failed;
}

/* The request is allowed, so the invalid body handle fails the call. */
static bool check_http_body(ExtismPlugin *plugin, char kind) {
    int failed = 0;
    int32_t rc = call_kind(plugin, "http_body", kind);
    const char *error = extism_plugin_error(plugin);
    cases++;
    CHECK(rc == -1, "http_body '%c': rc %d, expected -1 (error: %s)", kind, rc,
          text_or_null(error));
    CHECK_STR_PREFIX(error, "invalid handle offset for http");
    CHECK(still_works(plugin), "the plugin broke after http_body '%c'", kind);
cleanup:
    return !failed;
}

static bool check_var(ExtismPlugin *plugin, const char *key, const char *value, size_t len) {
    int failed = 0;
    ExtismSize got_len = 0;
    const uint8_t *got = extism_plugin_var_get(plugin, key, &got_len);
    cases++;
    if (value == NULL) {
        CHECK(got == NULL, "var \"%s\" is set", key);
    } else {
        CHECK(got != NULL && got_len == len && memcmp(got, value, len) == 0,
              "var \"%s\" does not hold the expected %zu bytes", key, len);
    }
cleanup:
    return !failed;
}

static const char *const log_functions[] = {"log_trace", "log_debug", "log_info", "log_warn",
                                            "log_error"};

/* The memory and I/O functions: every self check passes. */
static bool memory_functions(ExtismPlugin *plugin) {
    int failed = 0;
    RUN(check_self(plugin, "mem_length", ""));
    RUN(check_self(plugin, "mem_free", ""));
    RUN(check_self(plugin, "mem_load", ""));
    RUN(check_self(plugin, "mem_store", ""));
    RUN(check_self(plugin, "input_hostile", "0123456789"));
    RUN(check_self(plugin, "output_hostile", ""));
    CHECK(extism_plugin_call(plugin, "output_hostile", NULL, 0) == 0 &&
              extism_plugin_output_length(plugin) == 0,
          "output_hostile left an output of %llu bytes",
          (unsigned long long)extism_plugin_output_length(plugin));
    RUN(check_self(plugin, "error_hostile", ""));
    RUN(check_self(plugin, "alloc_huge", ""));
    RUN(check_self(plugin, "argless", ""));
cleanup:
    return !failed;
}

/* config_get, var_get, var_set and http_request with every kind of handle. */
static bool consuming_functions(ExtismPlugin *plugin) {
    int failed = 0;
    const char *kind;

    for (kind = INVALID_KINDS; *kind != '\0'; kind++) {
        RUN(check_invalid(plugin, "config_get", *kind, "config key"));
        RUN(check_invalid(plugin, "var_get", *kind, "var key"));
        RUN(check_invalid(plugin, "var_set_key", *kind, "var key"));
        RUN(check_invalid(plugin, "var_set_value", *kind, "var value"));
        RUN(check_invalid(plugin, "http_request", *kind, "http request"));
    }
    /* Nothing was stored by the failed var_set calls. */
    RUN(check_var(plugin, "k", NULL, 0));
    RUN(check_var(plugin, "", NULL, 0));

    /* Handle 0: the empty key, absent from config and vars; var_set(0, v) sets the empty
     * key; var_set(k, 0) deletes k; an empty request is not JSON. */
    RUN(check_ok(plugin, "config_get", 'z'));
    RUN(check_ok(plugin, "var_get", 'z'));
    RUN(check_ok(plugin, "var_set_key", 'z'));
    RUN(check_var(plugin, "", "value", 5));
    CHECK(extism_plugin_var_remove(plugin, ""), "removing the empty key");
    CHECK(extism_plugin_var_set(plugin, "k", (const uint8_t *)"old", 3), "setting k");
    RUN(check_ok(plugin, "var_set_value", 'z'));
    RUN(check_var(plugin, "k", NULL, 0));
    RUN(check_fails(plugin, "http_request", 'z'));

    /* A valid block that is not UTF-8: refused as a key, accepted as a value. */
    RUN(check_fails(plugin, "config_get", 'u'));
    RUN(check_fails(plugin, "var_get", 'u'));
    RUN(check_fails(plugin, "var_set_key", 'u'));
    RUN(check_ok(plugin, "var_set_value", 'u'));
    RUN(check_var(plugin, "k", "\xff\xfe", 2));
    RUN(check_fails(plugin, "http_request", 'u'));

    /* The host 127.0.0.1 is allowed, so the body handle is looked at; it is checked before
     * anything is sent. */
    for (kind = INVALID_KINDS; *kind != '\0'; kind++) {
        RUN(check_http_body(plugin, *kind));
    }
cleanup:
    return !failed;
}

/* log_* with every kind of handle, before and after a sink is installed. */
static bool check_logging(ExtismPlugin *plugin) {
    int failed = 0;
    size_t i;
    const char *kind;

    /* No sink: nothing is enabled, so every message, valid or not, is just dropped. */
    for (i = 0; i < sizeof log_functions / sizeof log_functions[0]; i++) {
        for (kind = ALL_KINDS; *kind != '\0'; kind++) {
            RUN(check_ok(plugin, log_functions[i], *kind));
        }
    }

    CHECK(extism_log_custom("trace"), "extism_log_custom(\"trace\") refused");
    drain();
    for (i = 0; i < sizeof log_functions / sizeof log_functions[0]; i++) {
        for (kind = INVALID_KINDS; *kind != '\0'; kind++) {
            RUN(check_invalid(plugin, log_functions[i], *kind, "log message"));
            drain();
        }
        /* Handle 0 is the empty message. */
        RUN(check_ok(plugin, log_functions[i], 'z'));
        drain();
        /* A message that is not UTF-8 becomes an error event, and the call goes on. */
        RUN(check_ok(plugin, log_functions[i], 'u'));
        drain();
        CHECK(drained.unable_to_log == 1,
              "%s of a non-UTF-8 message: %d \"unable to log "
              "message\" lines in %d",
              log_functions[i], drained.unable_to_log, drained.lines);
    }
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    char manifest[4096];
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *fresh = NULL;

    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"allowed_hosts\":[\"127.0.0.1\"]}",
             plugin_path("hostile.wasm"));
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "hostile.wasm did not load");
    CHECK(still_works(plugin), "the ok export of hostile.wasm");

    CHECK(memory_functions(plugin), "memory functions");
    CHECK(consuming_functions(plugin), "config, vars and HTTP");
    CHECK(check_logging(plugin), "logging");
    /* The memory functions once more on the same plugin: no case left it damaged. */
    CHECK(memory_functions(plugin), "memory functions, second round");

    /* The host is fine: a new plugin from the same module works. */
    fresh = plugin_from_text(manifest, NULL, 0, false);
    CHECK(fresh != NULL, "hostile.wasm did not load a second time");
    CHECK(still_works(fresh), "a new plugin");
    RUN(check_self(fresh, "mem_store", ""));

    printf("%d hostile-plugin cases checked, %d failed\n", cases, failures);
    CHECK(failures == 0, "%d cases failed", failures);

cleanup:
    drain();
    extism_plugin_free(fresh);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
