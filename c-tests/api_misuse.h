/* Shared by the api_misuse_*.c tests: each CASE is one misuse of the C API whose documented
 * result (docs/abi.md 3, 10 and the header's comments) is checked. The cases add to what
 * null_arguments.c, errmsg.c, function_reuse.c and plugin_vars.c already check. */
#ifndef EXTISM_C_TESTS_API_MISUSE_H
#define EXTISM_C_TESTS_API_MISUSE_H

#include "check.h"

static int misuse_cases;

/* One checked case: counted, then checked like CHECK. */
#define CASE(cond, ...)                                                                            \
    do {                                                                                           \
        misuse_cases++;                                                                            \
        CHECK(cond, __VA_ARGS__);                                                                  \
    } while (0)

/* One checked case: the last call on `plugin` left exactly the error `expected`. */
#define CASE_ERROR_EQ(plugin, expected)                                                            \
    do {                                                                                           \
        misuse_cases++;                                                                            \
        CHECK_STR_EQ(extism_plugin_error(plugin), expected);                                       \
    } while (0)

/* One checked case: calling `func` with `input` gives rc 0, no error and output `expected`. */
#define CASE_CALL(plugin, func, input, expected)                                                   \
    do {                                                                                           \
        misuse_cases++;                                                                            \
        CHECK_CALL_OUTPUT(plugin, func, input, expected);                                          \
    } while (0)

/* A byte that is never valid UTF-8, as a C string. */
#define NOT_UTF8 "\xff"
/* U+FFFD, what a lossy UTF-8 conversion makes of NOT_UTF8. */
#define REPLACEMENT "\xef\xbf\xbd"

#define COMPILE_PREFIX "Unable to compile Extism plugin: "
#define CREATE_PREFIX "Unable to create Extism plugin: "
#define REGISTERED_TWICE "Function cannot be registered with multiple different Plugins"

static inline void report_cases(const char *group) {
    printf("%d %s API-misuse cases checked\n", misuse_cases, group);
}

/* Frees *errmsg (if any) and sets it to NULL, so one variable serves many constructor calls. */
static inline void reset_errmsg(char **errmsg) {
    extism_plugin_new_error_free(*errmsg);
    *errmsg = NULL;
}

#endif
