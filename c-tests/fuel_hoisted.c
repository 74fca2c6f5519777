/* Fuel bounds the work of a call even where an optimising compiler would move work out of a
 * loop: the guest's outer loop never ends, and its inner loop holds a branch never taken whose
 * 4,000 instructions depend only on the outer counter. Cranelift's loop-invariant code motion
 * would run them at every entry of the inner loop while fuel is charged only where the branch
 * is taken (never), so a call with 50 million units of fuel would do some 13 billion
 * instructions first (seconds; wasmtime fixed this in 48.0.11). Plugins with a fuel limit are
 * compiled without that optimisation, so the call runs out of fuel after about 50 million
 * instructions: well within MAX_MS (times EXTISM_TEST_TIME_SCALE). */
#include <time.h>

#include "check.h"

#define CHAIN 2000
#define FUEL 50000000
#define MAX_MS 1000.0

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The module's text, in a malloc'd buffer. */
static char *hoistable_wat(void) {
    static const char head[] = "(module\n"
                               "  (memory 1)\n"
                               "  (func (export \"run\") (result i32)\n"
                               "    (local $o i32) (local $i i32) (local $x i32)\n"
                               "    (loop $outer\n"
                               "      (local.set $i (i32.const 0))\n"
                               "      (loop $inner\n"
                               "        (if (i32.eq (local.get $i) (i32.const -1))\n"
                               "          (then\n"
                               "            local.get $o\n";
    static const char tail[] = "            local.set $x))\n"
                               "        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
                               "        (br_if $inner (i32.lt_u (local.get $i) (i32.const 2))))\n"
                               "      (i32.store (i32.const 0) (local.get $x))\n"
                               "      (local.set $o (i32.add (local.get $o) (i32.const 1)))\n"
                               "      (br $outer))\n"
                               "    (i32.const 0)))\n";
    size_t step = 96;
    char *text = malloc(sizeof head + sizeof tail + CHAIN * step);
    if (text == NULL) {
        return NULL;
    }
    size_t used = (size_t)sprintf(text, "%s", head);
    for (int i = 0; i < CHAIN; i++) {
        used +=
            (size_t)sprintf(text + used, "            i32.const %d i32.mul i32.const %d i32.xor\n",
                            2 * i + 3, 7 * i + 1);
    }
    sprintf(text + used, "%s", tail);
    return text;
}

int main(void) {
    int failed = 0;
    char *errmsg = NULL;
    char *wat = hoistable_wat();
    ExtismPlugin *plugin = NULL;
    double start, elapsed;
    int32_t rc;

    CHECK(wat != NULL, "out of memory");
    plugin = extism_plugin_new_with_fuel_limit((const uint8_t *)wat, strlen(wat), NULL, 0, false,
                                               FUEL, &errmsg);
    CHECK(plugin != NULL, "the plugin did not load: %s", text_or_null(errmsg));
    start = now_ms();
    rc = extism_plugin_call(plugin, "run", NULL, 0);
    elapsed = now_ms() - start;
    CHECK(rc == -1, "run returned %d (error: %s)", rc, text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "plugin ran out of fuel");
    CHECK(elapsed < MAX_MS * time_scale(),
          "%d units of fuel took %.0f ms: the loop's hoisted work was not charged", FUEL, elapsed);

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    free(wat);
    return failed ? EXIT_FAILURE : 0;
}
