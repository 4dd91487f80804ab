/*
 * test_target.c -- codegen/target.c: which target a compilation is for (options, then
 * GLC_DEFAULT_CPU, then the host) and what glc_codegen_target_has answers.
 *
 * Each test starts with GLC_DEFAULT_CPU unset and the caller's value is put back after it
 * (scripts/test.sh runs the suite once with GLC_DEFAULT_CPU=x86-64-v3). Nothing here runs
 * generated code, so every test holds on every host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "codegen.h"

#include <stdlib.h>
#include <string.h>

#define ENV "GLC_DEFAULT_CPU"

static char *saved_env; /* the caller's GLC_DEFAULT_CPU, or NULL */

static int setup(void **state) {
    (void)state;
    const char *e = getenv(ENV);
    saved_env = e ? strdup(e) : NULL;
    return unsetenv(ENV);
}

static int teardown(void **state) {
    (void)state;
    int r = saved_env ? setenv(ENV, saved_env, 1) : unsetenv(ENV);
    free(saved_env);
    saved_env = NULL;
    return r;
}

/* The target of o; the caller finishes it. */
static glc_codegen_target resolve(const glc_codegen_options *o) {
    glc_codegen_target t;
    glc_diag d = {0};
    assert_int_equal(glc_codegen_target_resolve(o, &t, &d), GLC_OK);
    return t;
}

static void test_target__default_is_the_host_cpu_with_its_features(void **state) {
    (void)state;
    glc_codegen_options o = glc_codegen_defaults();
    glc_codegen_target t = resolve(&o);
    char *host = glc_codegen_host_cpu();
    assert_string_equal(t.cpu, host);
    assert_string_equal(t.cpu_source, "host");
    assert_true(strlen(t.features) > 0);
#if defined(__x86_64__)
    /* LLVM's list of the host's features agrees with the CPU's own answer. */
    assert_int_equal(glc_codegen_target_has(&t, "avx2"), !!__builtin_cpu_supports("avx2"));
    assert_int_equal(glc_codegen_target_has(&t, "avx512f"), !!__builtin_cpu_supports("avx512f"));
#endif
    free(host);
    glc_codegen_target_fini(&t);
}

/* GLC_DEFAULT_CPU stands in for the host's CPU and features, as --cpu would; the options
 * still win over it. */
static void test_target__default_cpu_env_replaces_the_host_cpu_and_features(void **state) {
    (void)state;
    assert_int_equal(setenv(ENV, "x86-64-v3", 1), 0);
    glc_codegen_options o = glc_codegen_defaults();
    glc_codegen_target t = resolve(&o);
    assert_string_equal(t.cpu, "x86-64-v3");
    assert_string_equal(t.cpu_source, ENV);
    assert_string_equal(t.features, "");
    assert_false(glc_codegen_target_has(&t, "avx512f"));
    glc_codegen_target_fini(&t);

    o.features = "+avx512f,+avx512bf16";
    t = resolve(&o);
    assert_string_equal(t.cpu, "x86-64-v3");
    assert_true(glc_codegen_target_has(&t, "avx512bf16"));
    glc_codegen_target_fini(&t);

    o = glc_codegen_defaults();
    o.cpu = "haswell";
    t = resolve(&o);
    assert_string_equal(t.cpu, "haswell");
    assert_string_equal(t.cpu_source, "--cpu");
    glc_codegen_target_fini(&t);

    o = glc_codegen_defaults();
    o.triple = "aarch64-linux-gnu";
    t = resolve(&o);
    assert_string_equal(t.cpu, "");
    assert_string_equal(t.cpu_source, "--target");
    assert_string_equal(t.features, "");
    glc_codegen_target_fini(&t);

    assert_int_equal(setenv(ENV, "", 1), 0); /* empty is unset */
    o = glc_codegen_defaults();
    t = resolve(&o);
    assert_string_equal(t.cpu_source, "host");
    glc_codegen_target_fini(&t);
}

static void test_target__has_matches_whole_names_and_the_last_mention(void **state) {
    (void)state;
    glc_codegen_target t = {.features = "+avx512fp16,+avx2,-fma,+fma,+avx512f,-avx512f"};
    assert_true(glc_codegen_target_has(&t, "avx2"));
    assert_true(glc_codegen_target_has(&t, "fma"));
    assert_true(glc_codegen_target_has(&t, "avx512fp16"));
    assert_false(glc_codegen_target_has(&t, "avx512f"));
    assert_false(glc_codegen_target_has(&t, "avx"));
    assert_false(glc_codegen_target_has(&t, "sse4.2"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_target__default_is_the_host_cpu_with_its_features),
        T(test_target__default_cpu_env_replaces_the_host_cpu_and_features),
        T(test_target__has_matches_whole_names_and_the_last_mention),
#undef T
    };
    return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
