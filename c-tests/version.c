/* extism_version returns a static "major.minor.patch" string with major >= 1. */
#include "check.h"

/* Parses a run of decimal digits; returns the position after it, or NULL if there is none. */
static const char *parse_number(const char *text, unsigned long *value) {
    char *end = NULL;
    if (!isdigit((unsigned char)*text)) {
        return NULL;
    }
    *value = strtoul(text, &end, 10);
    return end;
}

int main(void) {
    int failed = 0;
    unsigned long major = 0, minor = 0, patch = 0;
    const char *rest = NULL;
    const char *version = extism_version();

    CHECK(version != NULL, "extism_version returned NULL");
    printf("extism_version: %s\n", version);

    rest = parse_number(version, &major);
    CHECK(rest != NULL && *rest == '.', "\"%s\" does not start with a major number", version);
    rest = parse_number(rest + 1, &minor);
    CHECK(rest != NULL && *rest == '.', "\"%s\" has no minor number", version);
    rest = parse_number(rest + 1, &patch);
    CHECK(rest != NULL, "\"%s\" has no patch number", version);
    CHECK(*rest == '\0' || *rest == '-' || *rest == '+', "\"%s\" has trailing text", version);
    CHECK(major >= 1, "major version %lu is below 1", major);
    CHECK_STR_EQ(extism_version(), version);

cleanup:
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
