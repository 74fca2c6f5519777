/* WAT text as plugin input, with and without leading whitespace (docs/abi.md D8) or comments, and
 * a module without exports. */
#include "check.h"

#define COMPILE_PREFIX "Unable to compile Extism plugin: "

#define HI_MODULE_BODY                                                                             \
    "module\n"                                                                                     \
    "  (import \"extism:host/env\" \"alloc\" (func $alloc (param i64) (result i64)))\n"            \
    "  (import \"extism:host/env\" \"store_u8\" (func $store_u8 (param i64 i32)))\n"               \
    "  (import \"extism:host/env\" \"output_set\" (func $output_set (param i64 i64)))\n"           \
    "  (func (export \"hi\") (result i32) (local $h i64)\n"                                        \
    "    (local.set $h (call $alloc (i64.const 2)))\n"                                             \
    "    (call $store_u8 (local.get $h) (i32.const 104))\n"                                        \
    "    (call $store_u8 (i64.add (local.get $h) (i64.const 1)) (i32.const 105))\n"                \
    "    (call $output_set (local.get $h) (i64.const 2))\n"                                        \
    "    (i32.const 0))\n"                                                                         \
    "  (func (export \"seven\") (result i32) (i32.const 7)))\n"

static bool check_hi_module(const char *text) {
    int failed = 0;
    ExtismPlugin *plugin = plugin_from_text(text, NULL, 0, false);
    CHECK(plugin != NULL, "WAT was refused");
    CHECK_CALL_OUTPUT(plugin, "hi", "", "hi");
    CHECK(extism_plugin_call(plugin, "seven", NULL, 0) == 7, "seven did not return 7");
    CHECK_NO_ERROR(plugin);
    CHECK(extism_plugin_function_exists(plugin, "hi"), "hi not found");

cleanup:
    extism_plugin_free(plugin);
    return !failed;
}

int main(void) {
    int failed = 0;
    char *errmsg = NULL;
    ExtismPlugin *empty = NULL;

    CHECK(check_hi_module("(" HI_MODULE_BODY), "plain WAT");
    CHECK(check_hi_module("( " HI_MODULE_BODY), "space between ( and module");
    CHECK(check_hi_module("\n(" HI_MODULE_BODY), "leading newline");
    CHECK(check_hi_module(" \t\r\n  (" HI_MODULE_BODY), "leading whitespace");
    CHECK(check_hi_module(";; a comment\n(" HI_MODULE_BODY), "leading line comment");
    CHECK(check_hi_module("(; a block comment ;)(" HI_MODULE_BODY), "leading block comment");
    CHECK(check_hi_module("\n  ;; indented comment\n(" HI_MODULE_BODY), "whitespace, comment");

    empty = plugin_from_text("(module)", NULL, 0, false);
    CHECK(empty != NULL, "(module) was refused");
    CHECK(extism_plugin_call(empty, "run", NULL, 0) == -1, "run found in (module)");
    CHECK_STR_EQ(extism_plugin_error(empty), "Function not found: run");
    CHECK(!extism_plugin_function_exists(empty, "run"), "run exists in (module)");

    /* Invalid WAT fails at compile time with the compile prefix. */
    errmsg = text_creation_error("(module (func (export \"x\") (result i32)))");
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    extism_plugin_new_error_free(errmsg);
    errmsg = text_creation_error("(module (bogus))");
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(empty);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
