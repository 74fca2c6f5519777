/* Misuse of the ExtismPlugin functions: constructors given zero lengths, huge counts beside a
 * NULL array and a NULL errmsg; calls with non-UTF-8, empty and unknown names and with NULL
 * data; malformed JSON for extism_plugin_config; non-UTF-8 var keys; out-of-range log levels;
 * and repeated idle operations. Each case checks the result docs/abi.md 3 and 10 document, and the
 * plugin keeps working throughout. */
#include "api_misuse.h"

static const char *const malformed_configs[] = {
    "{",
    "}",
    "[1]",
    "[]",
    "null",
    "1",
    "\"text\"",
    "true",
    "{\"a\":1}",
    "{\"a\":true}",
    "{\"a\":{}}",
    "{\"a\":[\"b\"]}",
    "{1:\"x\"}",
    "{a:\"x\"}",
    "{'a':'b'}",
    "{\"a\":\"b\",}",
    "{\"a\" \"b\"}",
    "{\"a\":\"b\"",
    "{\"a\":\"b\"} x",
    "{\"a\":\"b\"}{}",
    "{\"a\":\"\xff\"}",
    "{\"\xff\":\"a\"}",
    "\xef\xbb\xbf{}",
    "{\"a\":\"\\ud800\"}",
    " ",
};

static bool config(ExtismPlugin *plugin, const char *json) {
    return extism_plugin_config(plugin, (const uint8_t *)json, strlen(json));
}

static void ignore_log(int32_t level, const char *message, ExtismSize len, void *user_data) {
    (void)level;
    (void)message;
    (void)len;
    (void)user_data;
}

/* Constructors of ExtismPlugin. */
static bool constructors(const uint8_t *wasm, size_t wasm_len) {
    int failed = 0;
    char *errmsg = NULL;
    const ExtismFunction *no_functions[1] = {NULL};
    ExtismPlugin *plugin = NULL;

    /* A non-NULL pointer with length 0 is empty input: an empty manifest. */
    plugin = extism_plugin_new(wasm, 0, NULL, 0, false, &errmsg);
    CASE(plugin == NULL, "zero-length wasm made a plugin");
    CASE(errmsg != NULL &&
             strcmp(errmsg, COMPILE_PREFIX "No wasm files specified in Extism manifest") == 0,
         "zero-length wasm: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    plugin = extism_plugin_new_with_fuel_limit(wasm, 0, NULL, 0, false, 1000, &errmsg);
    CASE(plugin == NULL, "zero-length wasm made a plugin with fuel");
    CASE(errmsg != NULL &&
             strcmp(errmsg, COMPILE_PREFIX "No wasm files specified in Extism manifest") == 0,
         "zero-length wasm with fuel: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);

    /* Failures with a NULL errmsg pointer. */
    CASE(extism_plugin_new_with_fuel_limit(wasm, 0, NULL, 0, false, 1000, NULL) == NULL,
         "zero-length wasm with fuel and no errmsg");
    CASE(extism_plugin_new_with_fuel_limit(NULL, 8, NULL, 0, false, 1000, NULL) == NULL,
         "NULL wasm with fuel and no errmsg");
    CASE(extism_plugin_new((const uint8_t *)NOT_UTF8, 1, NULL, 0, false, NULL) == NULL,
         "non-UTF-8 bytes with no errmsg");

    /* Bytes that are neither wasm nor UTF-8 are decoded as wasm, and fail. */
    plugin = extism_plugin_new((const uint8_t *)NOT_UTF8 "\xfe", 2, NULL, 0, false, &errmsg);
    CASE(plugin == NULL, "non-UTF-8 bytes made a plugin");
    CASE(errmsg != NULL && strncmp(errmsg, COMPILE_PREFIX, strlen(COMPILE_PREFIX)) == 0 &&
             strlen(errmsg) > strlen(COMPILE_PREFIX),
         "non-UTF-8 bytes: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);

    /* A wasm binary cut short. */
    plugin = extism_plugin_new(wasm, wasm_len - 1, NULL, 0, false, &errmsg);
    CASE(plugin == NULL, "truncated wasm made a plugin");
    CASE(errmsg != NULL && strncmp(errmsg, COMPILE_PREFIX, strlen(COMPILE_PREFIX)) == 0,
         "truncated wasm: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);

    /* A NULL function array makes any count irrelevant. */
    plugin = extism_plugin_new(wasm, wasm_len, NULL, UINT64_MAX, false, &errmsg);
    CASE(plugin != NULL, "NULL functions with count UINT64_MAX: %s", text_or_null(errmsg));
    CASE(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "call after a huge count");
    extism_plugin_free(plugin);
    plugin =
        extism_plugin_new_with_fuel_limit(wasm, wasm_len, NULL, UINT64_MAX, false, 1000, &errmsg);
    CASE(plugin != NULL, "NULL functions with count UINT64_MAX, with fuel: %s",
         text_or_null(errmsg));
    CASE(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "call after a huge count, fuel");
    extism_plugin_free(plugin);

    /* A count of 0 means no element of the array is read. */
    plugin = extism_plugin_new(wasm, wasm_len, no_functions, 0, false, &errmsg);
    CASE(plugin != NULL, "a NULL element beyond n_functions was read: %s", text_or_null(errmsg));
    extism_plugin_free(plugin);

    /* The largest fuel limit behaves like a generous one. */
    plugin = extism_plugin_new_with_fuel_limit(wasm, wasm_len, NULL, 0, false, UINT64_MAX, &errmsg);
    CASE(plugin != NULL, "fuel limit UINT64_MAX: %s", text_or_null(errmsg));
    CASE(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "call with fuel UINT64_MAX: %s",
         text_or_null(extism_plugin_error(plugin)));
    extism_plugin_free(plugin);
    plugin = NULL;

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    return !failed;
}

/* extism_plugin_call*, extism_plugin_function_exists and the error and output queries. */
static bool calls(ExtismPlugin *plugin) {
    int failed = 0;
    int context = 0;
    const char *error;
    char *alias_error = NULL;

    CASE(extism_plugin_call(plugin, NOT_UTF8, NULL, 0) == -1, "call of a non-UTF-8 name");
    error = extism_plugin_error(plugin);
    CASE(error != NULL && error[0] != '\0', "a non-UTF-8 name left no error");
    CASE(extism_plugin_call_with_host_context(plugin, NOT_UTF8, NULL, 0, &context) == -1,
         "call_with_host_context of a non-UTF-8 name");
    CASE(extism_plugin_error(plugin) != NULL, "a non-UTF-8 name left no error (context)");
    CASE(extism_plugin_call(plugin, "run" NOT_UTF8, (const uint8_t *)"x", 1) == -1,
         "call of a name with a non-UTF-8 tail");

    CASE(extism_plugin_call(plugin, "", NULL, 0) == -1, "call of the empty name");
    CASE_ERROR_EQ(plugin, "Function not found: ");
    CASE(extism_plugin_call(plugin, "missing", (const uint8_t *)"x", 1) == -1,
         "call of a missing export");
    CASE_ERROR_EQ(plugin, "Function not found: missing");

    /* A successful call clears the error. */
    CASE(extism_plugin_call(plugin, "run", NULL, 0) == 0, "run after failures");
    CASE(extism_plugin_error(plugin) == NULL, "a successful call left an error");

    /* Zero length: empty input, whatever the pointer. */
    CASE(extism_plugin_call(plugin, "run_i32", (const uint8_t *)"ignored", 0) == 0,
         "non-NULL data with length 0");
    CASE(extism_plugin_call_with_host_context(plugin, "run_i32", (const uint8_t *)"x", 0,
                                              &context) == 0,
         "non-NULL data with length 0 and a context");

    /* NULL data with a length: -1 and an error, whatever the length. */
    CASE(extism_plugin_call(plugin, "run", NULL, UINT64_MAX) == -1,
         "NULL data with length UINT64_MAX");
    CASE(extism_plugin_error(plugin) != NULL, "NULL data with length UINT64_MAX left no error");
    CASE(extism_plugin_call(plugin, "run", NULL, 1) == -1, "NULL data with length 1");
    CASE(extism_plugin_error(plugin) != NULL, "NULL data with length 1 left no error");
    CASE(extism_plugin_call_with_host_context(plugin, "run", NULL, 1, &context) == -1,
         "NULL data with length 1 and a context");
    CASE(extism_plugin_error(plugin) != NULL, "NULL data with a context left no error");
    CASE(extism_plugin_call(plugin, NULL, NULL, 5) == -1, "NULL name and NULL data");
    CASE(extism_plugin_call(NULL, NULL, NULL, 5) == -1, "all-NULL call");
    CASE(extism_plugin_call_with_host_context(NULL, NULL, NULL, 5, NULL) == -1,
         "all-NULL call_with_host_context");

    /* The deprecated alias agrees. Each query invalidates the previous text, so copy it. */
    alias_error = error_copy(plugin);
    CASE(alias_error != NULL && extism_error(plugin) != NULL &&
             strcmp(alias_error, extism_error(plugin)) == 0,
         "extism_error and extism_plugin_error disagree");

    /* function_exists: false for non-UTF-8, empty and missing names; it clears the error. */
    CASE(!extism_plugin_function_exists(plugin, NOT_UTF8), "a non-UTF-8 name exists");
    CASE(!extism_plugin_function_exists(plugin, ""), "the empty name exists");
    CASE(!extism_plugin_function_exists(plugin, "missing"), "a missing name exists");
    CASE(!extism_plugin_function_exists(NULL, NULL), "function_exists(NULL, NULL)");
    CASE(extism_plugin_call(plugin, "missing", NULL, 0) == -1, "call of a missing export");
    CASE(extism_plugin_function_exists(plugin, "run"), "run does not exist");
    CASE(extism_plugin_error(plugin) == NULL, "function_exists left the error");

    /* Output of a call that set none: length 0, and the data pointer is still valid. */
    CASE(extism_plugin_call(plugin, "run", NULL, 0) == 0, "run");
    CASE(extism_plugin_output_length(plugin) == 0, "output without output_set");
    CASE(extism_plugin_output_data(plugin) != NULL, "output data is NULL for a live plugin");

cleanup:
    free(alias_error);
    return !failed;
}

/* extism_plugin_config with malformed and edge-case JSON; config_var.wasm shows the config is
 * unchanged by every refusal. */
static bool configs(ExtismPlugin *plugin) {
    int failed = 0;
    size_t i;

    CASE(config(plugin, "{\"name\":\"before\"}"), "a valid config was refused");
    for (i = 0; i < sizeof malformed_configs / sizeof malformed_configs[0]; i++) {
        CASE(!config(plugin, malformed_configs[i]), "malformed config %zu accepted: %s", i,
             malformed_configs[i]);
    }
    CASE(!extism_plugin_config(plugin, (const uint8_t *)"{}", 0), "zero-length JSON accepted");
    CASE(!extism_plugin_config(plugin, (const uint8_t *)"{}\0", 3), "JSON with a NUL accepted");
    CASE(!extism_plugin_config(NULL, NULL, 0), "config(NULL, NULL, 0)");
    CASE(!extism_plugin_config(NULL, (const uint8_t *)"{}", 2), "config on a NULL plugin");
    CASE_CALL(plugin, "get_config", "name", "before");

    /* Only json_size bytes are read. */
    CASE(extism_plugin_config(plugin, (const uint8_t *)"{\"name\":\"cut\"}garbage", 14),
         "a JSON prefix was refused");
    CASE_CALL(plugin, "get_config", "name", "cut");

    /* Whitespace, escapes, the empty key and null for a missing key are all fine. */
    CASE(config(plugin, " \n{ \"name\" : \"sp\\u0061ced\" , \"\" : \"empty\" }\t"),
         "valid JSON with whitespace and escapes refused");
    CASE_CALL(plugin, "get_config", "name", "spaced");
    CASE(config(plugin, "{\"never_set\":null,\"\":null}"), "null values refused");

    /* A refusal does not set the plugin error, a success clears it. */
    CASE(extism_plugin_call(plugin, "missing", NULL, 0) == -1, "call of a missing export");
    CASE(config(plugin, "{}"), "{} refused");
    CASE(extism_plugin_error(plugin) == NULL, "a successful config left the error");

cleanup:
    return !failed;
}

/* Vars, log callbacks, reset, cancel, ids, exports and header opt-in on a live plugin. */
static bool other_functions(ExtismPlugin *plugin, ExtismPlugin *other) {
    int failed = 0;
    ExtismSize len = 99;
    const uint8_t *value;
    const ExtismCancelHandle *cancel = extism_plugin_cancel_handle(plugin);
    const char *exports;

    /* Vars with keys that are not UTF-8, empty keys and empty values. */
    CASE(extism_plugin_var_get(plugin, NOT_UTF8, &len) == NULL, "var_get of a non-UTF-8 key");
    CASE(!extism_plugin_var_remove(plugin, NOT_UTF8), "var_remove of a non-UTF-8 key");
    CASE(extism_plugin_var_get(NULL, NULL, NULL) == NULL, "var_get(NULL, NULL, NULL)");
    CASE(!extism_plugin_var_set(NULL, NULL, NULL, 0), "var_set(NULL, NULL, NULL, 0)");
    CASE(!extism_plugin_var_remove(NULL, NULL), "var_remove(NULL, NULL)");
    CASE(!extism_plugin_var_remove(plugin, "never_set"), "removing a var that was never set");
    CASE(extism_plugin_var_set(plugin, "empty", (const uint8_t *)"ignored", 0),
         "var_set of a non-NULL value with length 0");
    value = extism_plugin_var_get(plugin, "empty", &len);
    CASE(value != NULL && len == 0, "the empty value: %p, length %llu", (const void *)value,
         (unsigned long long)len);
    CASE(extism_plugin_var_set(plugin, "", (const uint8_t *)"v", 1), "the empty key refused");
    value = extism_plugin_var_get(plugin, "", &len);
    CASE(value != NULL && len == 1 && value[0] == 'v', "the empty key does not hold \"v\"");
    CASE(extism_plugin_var_remove(plugin, ""), "removing the empty key");
    CASE(!extism_plugin_var_remove(plugin, ""), "removing the empty key twice");
    CASE(extism_plugin_var_remove(plugin, "empty"), "removing the empty value");

    /* Log callbacks: min_level must be 0..4. */
    CASE(!extism_plugin_set_log_callback(plugin, ignore_log, -1, NULL), "min_level -1");
    CASE(!extism_plugin_set_log_callback(plugin, ignore_log, 5, NULL), "min_level 5");
    CASE(!extism_plugin_set_log_callback(plugin, ignore_log, INT32_MAX, NULL),
         "min_level INT32_MAX");
    CASE(!extism_plugin_set_log_callback(plugin, ignore_log, INT32_MIN, NULL),
         "min_level INT32_MIN");
    CASE(!extism_plugin_set_log_callback(NULL, NULL, 0, NULL), "log callback on NULL");
    CASE(extism_plugin_set_log_callback(plugin, NULL, 0, NULL),
         "removing a log callback that was never set");

    /* Idle operations, repeated. */
    CASE(extism_plugin_reset(plugin), "reset of an idle plugin");
    CASE(extism_plugin_reset(plugin), "second reset");
    CASE(extism_plugin_output_length(plugin) == 0, "output after reset");
    CASE(extism_plugin_cancel(cancel) && extism_plugin_cancel(cancel), "idle cancels refused");
    CASE(extism_plugin_cancel_handle(plugin) == cancel, "the cancel handle changed");
    extism_plugin_allow_http_response_headers(plugin);
    extism_plugin_allow_http_response_headers(plugin);
    CASE_CALL(plugin, "get_config", "name", "spaced");

    /* Ids are 16 stable bytes, different for two plugins. */
    CASE(extism_plugin_id(plugin) != NULL && extism_plugin_id(plugin) == extism_plugin_id(plugin),
         "the id pointer is not stable");
    CASE(memcmp(extism_plugin_id(plugin), extism_plugin_id(other), 16) != 0,
         "two plugins share an id");

    exports = extism_plugin_exports(plugin);
    CASE(exports != NULL && exports[0] == '[' && strstr(exports, "\"get_config\"") != NULL,
         "exports: %s", text_or_null(exports));

cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    size_t len = 0;
    char manifest[4096];
    uint8_t *wasm = NULL;
    ExtismPlugin *noop = NULL;
    ExtismPlugin *config_var = NULL;

    wasm = read_file(plugin_path("noop.wasm"), &len);
    CHECK(wasm != NULL, "cannot read noop.wasm");
    noop = load_plugin("noop.wasm", NULL, 0, false);
    CHECK(noop != NULL, "noop.wasm did not load");
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}]}",
             plugin_path("config_var.wasm"));
    config_var = plugin_from_text(manifest, NULL, 0, false);
    CHECK(config_var != NULL, "config_var.wasm did not load");

    CHECK(constructors(wasm, len), "constructors");
    CHECK(calls(noop), "calls");
    CHECK(configs(config_var), "config");
    CHECK(other_functions(config_var, noop), "other functions");
    CASE(extism_plugin_call(noop, "run_i32", NULL, 0) == 0, "noop after everything");

    report_cases("plugin");

cleanup:
    extism_plugin_free(config_var);
    extism_plugin_free(noop);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
