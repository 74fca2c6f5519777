/* The Extism memory functions seen from a guest: every self-checking scenario of kernel.wasm
 * returns 0. On failure the guest sets the output to "<scenario>: <check>". */
#include "check.h"

struct scenario {
    const char *name;
    const char *input;
    const char *expected_output; /* NULL: any output */
};

static const struct scenario scenarios[] = {
    {"alloc_zero", "", ""},
    {"alloc_length", "", ""},
    {"length_invalid", "", ""},
    {"free_then_length", "", ""},
    {"reuse_after_free", "", ""},
    {"bounds", "", ""},
    {"input", "0123456789abcdef!", ""},
    {"input_empty", "", ""},
    {"echo_via_offset", "echo this input back via input_offset",
     "echo this input back via input_offset"},
    {"echo_via_offset", "x", "x"},
    {"output_invalid", "", "ok"},
    {"error_get_set", "", ""},
    {"reset", "", ""},
    {"reset", "some input", ""},
    {"memory_bytes", "", ""},
};

static bool run_scenario(ExtismPlugin *plugin, const struct scenario *scenario) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, scenario->name, (const uint8_t *)scenario->input,
                                    strlen(scenario->input));
    const char *error = extism_plugin_error(plugin);
    char *output = output_string(plugin);

    CHECK(output != NULL, "out of memory");
    CHECK(rc == 0, "%s failed at check %d: output \"%s\", error %s", scenario->name, rc, output,
          text_or_null(error));
    CHECK(error == NULL, "%s set the error \"%s\"", scenario->name, error);
    CHECK(scenario->expected_output == NULL || strcmp(output, scenario->expected_output) == 0,
          "%s output \"%s\", expected \"%s\"", scenario->name, output, scenario->expected_output);

cleanup:
    free(output);
    return !failed;
}

int main(void) {
    int failed = 0;
    size_t i;
    int32_t rc;
    const char *error;
    ExtismPlugin *plugin = load_plugin("kernel.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "kernel.wasm did not load");

    for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        CHECK(run_scenario(plugin, &scenarios[i]), "scenario %s", scenarios[i].name);
    }
    /* Once more in reverse order: no scenario depends on a fresh plugin. */
    for (i = sizeof scenarios / sizeof scenarios[0]; i-- > 0;) {
        CHECK(run_scenario(plugin, &scenarios[i]), "scenario %s (second run)", scenarios[i].name);
    }

    /* A 1 TiB allocation returns 0 to the guest, or fails the call with "oom". */
    rc = extism_plugin_call(plugin, "alloc_huge", NULL, 0);
    error = extism_plugin_error(plugin);
    CHECK((rc == 0 && error == NULL) || (rc == -1 && error != NULL && strcmp(error, "oom") == 0),
          "alloc_huge: rc %d, error %s", rc, text_or_null(error));
    CHECK(run_scenario(plugin, &scenarios[1]), "alloc_length after alloc_huge");

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
