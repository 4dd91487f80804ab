/*
 * test_target.c -- codegen/target.c: which target a compilation is for (options, then
 * GLC_DEFAULT_CPU, then the host), what glc_codegen_target_has answers, unknown CPU and
 * feature names as errors (not LLVM's warning on stderr), and LLVM's lists of names.
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

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Runs glc_codegen_target_check(o, d) with stderr in a file; returns the status and
 * copies what reached stderr to err. */
static glc_status check_quietly(const glc_codegen_options *o, glc_diag *d, char *err, size_t n) {
    FILE *f = tmpfile();
    assert_non_null(f);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(f), 2) >= 0);
    *d = (glc_diag){0};
    glc_status s = glc_codegen_target_check(o, d);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    err[fread(err, 1, n - 1, f)] = '\0';
    fclose(f);
    return s;
}

/* An unknown CPU or feature name, from an option or GLC_DEFAULT_CPU, is GLC_E_ARG naming
 * it and the way to list valid names; LLVM's "(ignoring processor)" no longer reaches
 * stderr. */
static void test_target__unknown_cpu_or_feature_is_an_argument_error(void **state) {
    (void)state;
    glc_diag d;
    const char *msg = d.msg;
    char err[512];
    glc_codegen_options o = glc_codegen_defaults();
    o.triple = "x86_64-linux-gnu";
    o.cpu = "znver99";
    assert_int_equal(check_quietly(&o, &d, err, sizeof err), GLC_E_ARG);
    assert_non_null(strstr(msg, "unknown CPU 'znver99' (--cpu) for x86_64-linux-gnu"));
    assert_non_null(strstr(msg, "'glc --list-cpus'"));
    assert_string_equal(err, "");

    o.cpu = "x86-64-v3";
    o.features = "+avx2,+avx512foo";
    assert_int_equal(check_quietly(&o, &d, err, sizeof err), GLC_E_ARG);
    assert_non_null(strstr(msg, "unknown CPU feature '+avx512foo'"));
    assert_non_null(strstr(msg, "'glc --list-features'"));
    assert_string_equal(err, "");

    o.features = "+avx2,+fma";
    assert_int_equal(check_quietly(&o, &d, err, sizeof err), GLC_OK);
    assert_string_equal(err, "");

    o = glc_codegen_defaults();
    o.triple = "aarch64-linux-gnu";
    o.cpu = "cortex-a99";
    assert_int_equal(check_quietly(&o, &d, err, sizeof err), GLC_E_ARG);
    assert_non_null(strstr(msg, "'cortex-a99'"));
    o.cpu = "cortex-a72";
    assert_int_equal(check_quietly(&o, &d, err, sizeof err), GLC_OK);

    assert_int_equal(setenv(ENV, "znver99", 1), 0);
    o = glc_codegen_defaults();
    assert_int_equal(check_quietly(&o, &d, err, sizeof err), GLC_E_ARG);
    assert_non_null(strstr(msg, "unknown CPU 'znver99' (GLC_DEFAULT_CPU)"));
    assert_string_equal(err, "");
}

/* glc_codegen_emit checks the names first: the same error, and no output file. */
static void test_target__emit_refuses_an_unknown_cpu_and_writes_nothing(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    glc_value_id x = glc_graph_add_value(g, "x", GLC_DT_F32, 1, (int64_t[]){4});
    glc_graph_add_input(g, x);
    glc_value_id y = glc_graph_add_value(g, "y", GLC_DT_UNDEF, 0, NULL);
    glc_graph_add_node(g, GLC_OP_RELU, "relu", &x, 1, &y, 1);
    glc_graph_add_output(g, y);
    glc_diag d = {0};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    char path[600];
    snprintf(path, sizeof path, "%s/target_bad_cpu.o", GLC_TEST_BIN);
    unlink(path);
    glc_codegen_options o = glc_codegen_defaults();
    o.emit = GLC_EMIT_OBJ;
    o.cpu = "znver99";
    assert_int_equal(glc_codegen_emit(g, &o, path, &d), GLC_E_ARG);
    assert_non_null(strstr(d.msg, "znver99"));
    assert_int_equal(access(path, F_OK), -1);
    glc_graph_destroy(g);
}

/* LLVM's CPU list for a triple: the x86-64 levels and the host's own CPU are in it. LLVM
 * gives its lists once per process, so a second call is an error, not an empty list. */
static void test_target__names_lists_the_cpus_llvm_knows(void **state) {
    (void)state;
    glc_codegen_options o = glc_codegen_defaults();
    o.triple = "x86_64-linux-gnu";
    char *names = NULL;
    glc_diag d = {0};
    assert_int_equal(glc_codegen_target_names(&o, false, &names, &d), GLC_OK);
    assert_non_null(strstr(names, "\nx86-64-v3\n"));
    assert_non_null(strstr(names, "\nznver4\n"));
    assert_null(strstr(names, " "));
#if defined(__x86_64__)
    char *host = glc_codegen_host_cpu(), line[256];
    snprintf(line, sizeof line, "\n%s\n", host);
    assert_non_null(strstr(names, line));
    free(host);
#endif
    free(names);
    assert_int_equal(glc_codegen_target_names(&o, true, &names, &d), GLC_E_LLVM);
    assert_null(names);
    assert_non_null(strstr(d.msg, "once per process"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_target__default_is_the_host_cpu_with_its_features),
        T(test_target__default_cpu_env_replaces_the_host_cpu_and_features),
        T(test_target__has_matches_whole_names_and_the_last_mention),
        T(test_target__unknown_cpu_or_feature_is_an_argument_error),
        T(test_target__emit_refuses_an_unknown_cpu_and_writes_nothing),
        T(test_target__names_lists_the_cpus_llvm_knows),
#undef T
    };
    return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
