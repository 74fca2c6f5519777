/* Misuse of the ExtismFunction functions: non-UTF-8 and empty names and namespaces, huge
 * counts beside NULL type arrays, NULL user data with a destructor, a type that does not match
 * the import, and one function array passed to several constructors or holding the same
 * function twice. The destructors run exactly once and nothing leaks (docs/abi.md 3.3, 3.5). */
#include "api_misuse.h"

/* WAT importing hello_world: (i64) -> i64 from the namespace NS, calling it with the input
 * handle and outputting the block it returns. */
#define HELLO_FROM(NS)                                                                             \
    "(module\n"                                                                                    \
    "  (import \"" NS "\" \"hello_world\" (func $hello (param i64) (result i64)))\n"               \
    "  (import \"extism:host/env\" \"input_offset\" (func $input_offset (result i64)))\n"          \
    "  (import \"extism:host/env\" \"length\" (func $length (param i64) (result i64)))\n"          \
    "  (import \"extism:host/env\" \"output_set\" (func $output_set (param i64 i64)))\n"           \
    "  (func (export \"call_hello\") (result i32) (local $h i64)\n"                                \
    "    (local.set $h (call $hello (call $input_offset)))\n"                                      \
    "    (call $output_set (local.get $h) (call $length (local.get $h)))\n"                        \
    "    (i32.const 0)))\n"

struct counts {
    int calls;
    int frees;
};

static int null_frees;

static void echo(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                 ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)plugin;
    (void)n_inputs;
    (void)n_outputs;
    if (data != NULL) {
        ((struct counts *)data)->calls++;
    }
    outputs[0].v.i64 = inputs[0].v.i64;
}

static void count_free(void *data) {
    if (data == NULL) {
        null_frees++;
        return;
    }
    ((struct counts *)data)->frees++;
}

static ExtismFunction *hello_function(struct counts *counts) {
    const ExtismValType ptr = EXTISM_PTR;
    return extism_function_new("hello_world", &ptr, 1, &ptr, 1, echo, counts, count_free);
}

/* Creates a plugin from WAT text; NULL (with the errmsg printed) on failure. */
static ExtismPlugin *from_wat(const char *wat, ExtismFunction **functions, ExtismSize n) {
    return plugin_from_text(wat, (const ExtismFunction **)functions, n, false);
}

/* Names and namespaces. */
static bool names(void) {
    int failed = 0;
    const ExtismValType ptr = EXTISM_PTR;
    struct counts counts = {0, 0};
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;
    char *errmsg = NULL;

    CASE(extism_function_new(NOT_UTF8, &ptr, 1, &ptr, 1, echo, NULL, NULL) == NULL,
         "a non-UTF-8 name was accepted");
    CASE(extism_function_new("hello" NOT_UTF8, &ptr, 1, &ptr, 1, echo, NULL, NULL) == NULL,
         "a name with a non-UTF-8 tail was accepted");
    /* A refused function never owned its user data. */
    CASE(extism_function_new(NOT_UTF8, &ptr, 1, &ptr, 1, echo, &counts, count_free) == NULL &&
             counts.frees == 0,
         "a refused function ran free_user_data %d times", counts.frees);

    /* The empty name is UTF-8. */
    function = extism_function_new("", &ptr, 1, &ptr, 1, echo, NULL, NULL);
    CASE(function != NULL, "the empty name was refused");
    extism_function_free(function);
    function = NULL;

    /* A NULL type array counts as empty, whatever its count. */
    function = extism_function_new("nothing", NULL, UINT64_MAX, NULL, UINT64_MAX, echo, NULL, NULL);
    CASE(function != NULL, "NULL type arrays with count UINT64_MAX were refused");
    extism_function_free(function);
    function = NULL;

    /* A non-UTF-8 namespace is converted lossily: it becomes U+FFFD, and an import from that
     * module binds to it. */
    function = hello_function(&counts);
    CHECK(function != NULL, "extism_function_new failed");
    extism_function_set_namespace(function, NOT_UTF8);
    plugin = from_wat(HELLO_FROM(REPLACEMENT), &function, 1);
    CASE(plugin != NULL, "an import from U+FFFD did not bind to a lossy namespace");
    CASE_CALL(plugin, "call_hello", "lossy", "lossy");
    extism_plugin_free(plugin);
    plugin = NULL;
    extism_function_free(function);
    function = NULL;
    CASE(counts.calls == 1 && counts.frees == 1, "lossy namespace: %d calls, %d frees",
         counts.calls, counts.frees);

    /* The same namespace does not satisfy an import from extism:host/user. */
    counts.frees = 0;
    function = hello_function(&counts);
    CHECK(function != NULL, "extism_function_new failed");
    extism_function_set_namespace(function, NOT_UTF8);
    plugin = extism_plugin_new((const uint8_t *)HELLO_FROM("extism:host/user"),
                               strlen(HELLO_FROM("extism:host/user")),
                               (const ExtismFunction **)&function, 1, false, &errmsg);
    CASE(plugin == NULL, "an import from extism:host/user bound to another namespace");
    CASE(errmsg != NULL && strncmp(errmsg, COMPILE_PREFIX, strlen(COMPILE_PREFIX)) == 0 &&
             strstr(errmsg, "hello_world") != NULL,
         "unresolved import: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    extism_function_free(function);
    function = NULL;
    CASE(counts.frees == 1, "a function consumed by a failed creation freed %d times",
         counts.frees);

    /* The empty namespace is a valid module name. */
    counts.frees = 0;
    counts.calls = 0;
    function = hello_function(&counts);
    CHECK(function != NULL, "extism_function_new failed");
    extism_function_set_namespace(function, "");
    plugin = from_wat(HELLO_FROM(""), &function, 1);
    CASE(plugin != NULL, "an import from the empty module did not bind");
    CASE_CALL(plugin, "call_hello", "empty", "empty");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    extism_function_free(function);
    return !failed;
}

/* User data: NULL with a destructor, a destructor without user data, and a type mismatch. */
static bool user_data(void) {
    int failed = 0;
    const ExtismValType i32 = ExtismValType_I32;
    struct counts counts = {0, 0};
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;
    char *errmsg = NULL;
    size_t len = 0;
    uint8_t *hello = read_file(plugin_path("host_fn_hello.wasm"), &len);
    CHECK(hello != NULL, "cannot read host_fn_hello.wasm");

    /* free_user_data never runs for NULL user data, registered or not. */
    function = hello_function(NULL);
    CHECK(function != NULL, "extism_function_new failed");
    extism_function_free(function);
    function = hello_function(NULL);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = extism_plugin_new(hello, len, (const ExtismFunction **)&function, 1, false, &errmsg);
    CASE(plugin != NULL, "NULL user data: %s", text_or_null(errmsg));
    CASE_CALL(plugin, "call_hello", "no data", "no data");
    extism_plugin_free(plugin);
    plugin = NULL;
    extism_function_free(function);
    function = NULL;
    CASE(null_frees == 0, "free_user_data ran %d times for NULL user data", null_frees);

    /* A declared type that differs from the import fails creation and frees the data. */
    function = extism_function_new("hello_world", &i32, 1, &i32, 1, echo, &counts, count_free);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = extism_plugin_new(hello, len, (const ExtismFunction **)&function, 1, false, &errmsg);
    CASE(plugin == NULL, "a host function of the wrong type was linked");
    CASE(errmsg != NULL && strncmp(errmsg, COMPILE_PREFIX, strlen(COMPILE_PREFIX)) == 0,
         "wrong type: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    extism_function_free(function);
    function = NULL;
    CASE(counts.calls == 0 && counts.frees == 1, "wrong type: %d calls, %d frees", counts.calls,
         counts.frees);

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    extism_function_free(function);
    free(hello);
    return !failed;
}

/* One function array passed to every constructor after its first registration, and arrays
 * holding one function twice or a NULL after a valid function. */
static bool arrays(void) {
    int failed = 0;
    struct counts first = {0, 0};
    struct counts second = {0, 0};
    ExtismFunction *functions[2] = {NULL, NULL};
    const ExtismFunction *twice[2];
    const ExtismFunction *then_null[2];
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *refused = NULL;
    ExtismCompiledPlugin *compiled = NULL;
    char *errmsg = NULL;
    size_t len = 0;
    uint8_t *hello = read_file(plugin_path("host_fn_hello.wasm"), &len);
    CHECK(hello != NULL, "cannot read host_fn_hello.wasm");

    functions[0] = hello_function(&first);
    CHECK(functions[0] != NULL, "extism_function_new failed");
    compiled = extism_compiled_plugin_new(hello, len, (const ExtismFunction **)functions, 1, false,
                                          &errmsg);
    CASE(compiled != NULL, "first registration: %s", text_or_null(errmsg));

    /* Every constructor refuses the array a second time, with or without errmsg. */
    refused = extism_plugin_new(hello, len, (const ExtismFunction **)functions, 1, false, &errmsg);
    CASE(refused == NULL && errmsg != NULL && strcmp(errmsg, REGISTERED_TWICE) == 0,
         "plugin_new: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    refused = extism_plugin_new_with_fuel_limit(hello, len, (const ExtismFunction **)functions, 1,
                                                false, 1000000, &errmsg);
    CASE(refused == NULL && errmsg != NULL && strcmp(errmsg, REGISTERED_TWICE) == 0,
         "plugin_new_with_fuel_limit: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    CASE(extism_compiled_plugin_new_with_fuel_limit(hello, len, (const ExtismFunction **)functions,
                                                    1, false, 1000000, &errmsg) == NULL &&
             errmsg != NULL && strcmp(errmsg, REGISTERED_TWICE) == 0,
         "compiled_plugin_new_with_fuel_limit: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    CASE(extism_plugin_new(hello, len, (const ExtismFunction **)functions, 1, false, NULL) == NULL,
         "plugin_new without errmsg");
    CASE(extism_compiled_plugin_new(hello, len, (const ExtismFunction **)functions, 1, false,
                                    NULL) == NULL,
         "compiled_plugin_new without errmsg");
    CASE(first.frees == 0, "refusals freed the registered user data %d times", first.frees);

    /* The compiled plugin still holds the function; the data lives until the last holder. */
    plugin = extism_plugin_new_from_compiled(compiled, &errmsg);
    CASE(plugin != NULL, "new_from_compiled: %s", text_or_null(errmsg));
    extism_compiled_plugin_free(compiled);
    compiled = NULL;
    extism_function_free(functions[0]);
    functions[0] = NULL;
    CASE_CALL(plugin, "call_hello", "held", "held");
    CASE(first.calls == 1 && first.frees == 0, "while a plugin holds it: %d calls, %d frees",
         first.calls, first.frees);
    extism_plugin_free(plugin);
    plugin = NULL;
    CASE(first.frees == 1, "after the last holder: %d frees", first.frees);

    /* The same function twice in one array: the second element is already registered. */
    functions[0] = hello_function(&second);
    CHECK(functions[0] != NULL, "extism_function_new failed");
    twice[0] = functions[0];
    twice[1] = functions[0];
    refused = extism_plugin_new(hello, len, twice, 2, false, &errmsg);
    CASE(refused == NULL && errmsg != NULL && strcmp(errmsg, REGISTERED_TWICE) == 0,
         "the same function twice: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    extism_function_free(functions[0]);
    functions[0] = NULL;
    CASE(second.frees == 1 && second.calls == 0, "the same function twice: %d frees, %d calls",
         second.frees, second.calls);

    /* A valid function followed by NULL: refused, and the taken function is dropped once. */
    second.frees = 0;
    functions[0] = hello_function(&second);
    CHECK(functions[0] != NULL, "extism_function_new failed");
    then_null[0] = functions[0];
    then_null[1] = NULL;
    compiled = extism_compiled_plugin_new(hello, len, then_null, 2, false, &errmsg);
    CASE(compiled == NULL && errmsg != NULL && strcmp(errmsg, "Cannot pass null pointer") == 0,
         "a function then NULL: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    /* Now consumed, the function cannot be registered either. */
    refused = extism_plugin_new(hello, len, then_null, 1, false, &errmsg);
    CASE(refused == NULL && errmsg != NULL && strcmp(errmsg, REGISTERED_TWICE) == 0,
         "a consumed function: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    extism_function_free(functions[0]);
    functions[0] = NULL;
    CASE(second.frees == 1, "a function then NULL: %d frees", second.frees);

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(refused);
    extism_plugin_free(plugin);
    extism_compiled_plugin_free(compiled);
    extism_function_free(functions[0]);
    extism_function_free(functions[1]);
    free(hello);
    return !failed;
}

int main(void) {
    int failed = 0;
    CHECK(names(), "names and namespaces");
    CHECK(user_data(), "user data");
    CHECK(arrays(), "function arrays");
    CASE(null_frees == 0, "free_user_data ran %d times for NULL user data", null_frees);
    report_cases("function");
cleanup:
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
