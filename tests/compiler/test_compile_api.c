/*
 * test_compile_api.c -- glc_compile.h through libglc_compiler.so: the bundled MLP example
 * compiled in this process (from its path and from its bytes), loaded with the runtime's
 * loader and run against the example's expected output; bad inputs and options come back
 * as a status and a one-line message, and write nothing.
 */
#include "glc_compile.h"
#include "glc_runtime.h"

#include "frontend.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "files.h"

#define MLP GLC_TEST_SRC "/../examples/mlp/"

static char *out_path(const char *name) {
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/compile_api_%s", GLC_TEST_BIN, name);
    remove(p);
    return p;
}

static glc_host_tensor read_npy(const char *path) {
    glc_host_tensor t = {0};
    glc_diag d = {0};
    if (glc_npy_read(path, &t, &d) != GLC_OK) fail_msg("%s: %s", path, d.msg);
    return t;
}

/* Opens so, runs it on the example's x and compares y with expected_y.npy. */
static void expect_mlp_runs(const char *so) {
    char err[512];
    glc_rt_model *m = NULL;
    if (glc_rt_model_open(so, NULL, &m, err, sizeof err) != GLC_RT_OK) fail_msg("%s", err);
    const glc_model_desc *mi = glc_rt_model_desc(m);
    glc_host_tensor x = read_npy(MLP "x.npy"), want = read_npy(MLP "expected_y.npy");
    assert_int_equal(mi->n_inputs, 1);
    assert_int_equal(mi->outputs[0].size_bytes, want.nbytes);
    float *y = malloc(want.nbytes);
    void *ws = malloc(mi->workspace_size ? mi->workspace_size : 1);
    const void *in[1] = {x.data};
    void *out[1] = {y};
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, ws, mi->workspace_size), GLC_RT_OK);
    const float *w = want.data;
    for (size_t k = 0; k < want.nbytes / sizeof(float); k++)
        assert_true(fabsf(y[k] - w[k]) <= 1e-5f + 1e-5f * fabsf(w[k]));
    free(ws);
    free(y);
    glc_host_tensor_fini(&x);
    glc_host_tensor_fini(&want);
    glc_rt_model_close(m);
}

static void test_compile_api__compiles_the_example_from_its_path_and_runs_it(void **state) {
    char *so = out_path("path.so");
    glc_compile_diag d;
    assert_int_equal(glc_compile_file(MLP "mlp.onnx", so, NULL, &d), GLC_COMPILE_OK);
    assert_string_equal(d.message, "");
    expect_mlp_runs(so);
}

static void test_compile_api__compiles_the_example_from_bytes_and_runs_it(void **state) {
    size_t len;
    void *bytes = tf_read_file(MLP "mlp.onnx", &len);
    char *so = out_path("bytes.so");
    glc_compile_options o = glc_compile_defaults();
    o.opt_level = 2;
    o.prefix = "mlp";
    glc_compile_diag d;
    assert_int_equal(glc_compile_bytes(bytes, len, "mlp", so, &o, &d), GLC_COMPILE_OK);
    free(bytes);
    glc_rt_model *m = NULL;
    char err[256];
    assert_int_equal(glc_rt_model_open(so, "mlp", &m, err, sizeof err), GLC_RT_OK);
    glc_rt_model_close(m);
}

static void *compile_in_thread(void *so) {
    glc_compile_diag d;
    glc_compile_status s = glc_compile_file(MLP "mlp.onnx", so, NULL, &d);
    return s == GLC_COMPILE_OK ? so : NULL;
}

static void test_compile_api__compiles_on_two_threads_at_once(void **state) {
    char *so[2] = {out_path("thread0.so"), out_path("thread1.so")};
    pthread_t t[2];
    void *ok[2];
    for (int k = 0; k < 2; k++) assert_int_equal(pthread_create(&t[k], NULL, compile_in_thread,
                                                                so[k]), 0);
    for (int k = 0; k < 2; k++) assert_int_equal(pthread_join(t[k], &ok[k]), 0);
    for (int k = 0; k < 2; k++) {
        assert_ptr_equal(ok[k], so[k]);
        expect_mlp_runs(so[k]);
    }
}

static void count_line(void *user, const char *line) {
    assert_null(strchr(line, '\n'));
    if (!strncmp(line, "glc: ", 5)) ++*(int *)user;
}

static void test_compile_api__reports_progress_only_through_the_log_callback(void **state) {
    glc_compile_options o = glc_compile_defaults();
    int lines = 0;
    o.log = count_line;
    o.log_user = &lines;
    o.emit = GLC_COMPILE_EMIT_LLVM;
    glc_compile_diag d;
    assert_int_equal(glc_compile_file(MLP "mlp.onnx", out_path("log.ll"), &o, &d), GLC_COMPILE_OK);
    assert_true(lines >= 3); /* import, passes, codegen */
}

/* status s, a message holding `want`, and no file at out. */
static void expect_fail(glc_compile_status got, const glc_compile_diag *d, glc_compile_status s,
                        const char *want, const char *out) {
    if (got != s || d->status != s || !strstr(d->message, want))
        fail_msg("status %d, message '%s'; wanted %d with '%s'", got, d->message, s, want);
    assert_null(strchr(d->message, '\n'));
    assert_int_not_equal(access(out, F_OK), 0);
}

static void test_compile_api__a_missing_model_file_is_an_io_error(void **state) {
    char *so = out_path("missing.so");
    glc_compile_diag d;
    glc_compile_status s = glc_compile_file(GLC_TEST_SRC "/no/such.onnx", so, NULL, &d);
    expect_fail(s, &d, GLC_COMPILE_E_IO, "no/such.onnx", so);
}

static void test_compile_api__corrupt_bytes_are_a_parse_error_naming_the_model(void **state) {
    static const unsigned char junk[] = {0x0a, 0xff, 0xff, 0xff, 0x7f, 0x12, 0x01};
    char *so = out_path("junk.so");
    glc_compile_diag d;
    glc_compile_status s = glc_compile_bytes(junk, sizeof junk, "junk.onnx", so, NULL, &d);
    expect_fail(s, &d, GLC_COMPILE_E_PARSE, "junk.onnx: ", so);
}

static void test_compile_api__an_unknown_cpu_is_a_bad_option(void **state) {
    glc_compile_options o = glc_compile_defaults();
    o.cpu = "znver99";
    char *so = out_path("cpu.so");
    glc_compile_diag d;
    glc_compile_status s = glc_compile_file(MLP "mlp.onnx", so, &o, &d);
    expect_fail(s, &d, GLC_COMPILE_E_ARG, "unknown CPU 'znver99'", so);
}

static void test_compile_api__bad_options_are_refused_before_any_work(void **state) {
    char *so = out_path("opts.so");
    glc_compile_diag d;
    glc_compile_options o = glc_compile_defaults();
    o.opt_level = 7;
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, &o, &d), &d, GLC_COMPILE_E_ARG, "opt_level",
                so);
    o = glc_compile_defaults();
    o.emit = GLC_COMPILE_EMIT_COUNT;
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, &o, &d), &d, GLC_COMPILE_E_ARG, "emit", so);
    o = glc_compile_defaults();
    o.prefix = "9lives";
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, &o, &d), &d, GLC_COMPILE_E_ARG, "9lives", so);
    glc_compile_limit lim = {"no-such-limit", 1};
    o = glc_compile_defaults();
    o.limits = &lim, o.n_limits = 1;
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, &o, &d), &d, GLC_COMPILE_E_ARG,
                "no-such-limit", so);
}

static void test_compile_api__a_shape_for_no_input_is_a_bad_option(void **state) {
    glc_compile_shape sh = {.input = "nope", .rank = 2, .dims = {1, 4}};
    glc_compile_options o = glc_compile_defaults();
    o.shapes = &sh, o.n_shapes = 1;
    char *so = out_path("shape.so");
    glc_compile_diag d;
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, &o, &d), &d, GLC_COMPILE_E_ARG, "nope", so);
}

static void test_compile_api__a_count_without_its_array_is_a_bad_option(void **state) {
    glc_compile_options o = glc_compile_defaults();
    o.n_dims = 2;
    char *so = out_path("nulldims.so");
    glc_compile_diag d;
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, &o, &d), &d, GLC_COMPILE_E_ARG,
                "options.dims is NULL", so);
}

static void test_compile_api__a_missing_binding_file_is_an_io_error_naming_it(void **state) {
    glc_compile_binding b = {"x", GLC_TEST_SRC "/no/such.npy"};
    glc_compile_options o = glc_compile_defaults();
    o.bindings = &b, o.n_bindings = 1;
    char *so = out_path("nobind.so");
    glc_compile_diag d;
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, &o, &d), &d, GLC_COMPILE_E_IO,
                "no/such.npy", so);
}

static void test_compile_api__an_unwritable_output_is_an_io_error(void **state) {
    glc_compile_diag d;
    const char *so = GLC_TEST_BIN "/no/such/dir/x.so";
    expect_fail(glc_compile_file(MLP "mlp.onnx", so, NULL, &d), &d, GLC_COMPILE_E_IO,
                "cannot write output", so);
}

static void test_compile_api__null_arguments_are_diagnosed_not_crashed(void **state) {
    glc_compile_diag d;
    char *so = out_path("null.so");
    assert_int_equal(glc_compile_file(MLP "mlp.onnx", NULL, NULL, &d), GLC_COMPILE_E_ARG);
    assert_int_equal(glc_compile_bytes(NULL, 5, NULL, so, NULL, &d), GLC_COMPILE_E_PARSE);
    assert_int_equal(glc_compile_file(NULL, so, NULL, NULL), GLC_COMPILE_E_IO);
    assert_string_equal(glc_compile_version(), GLC_VERSION);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_api__compiles_the_example_from_its_path_and_runs_it),
        cmocka_unit_test(test_compile_api__compiles_the_example_from_bytes_and_runs_it),
        cmocka_unit_test(test_compile_api__reports_progress_only_through_the_log_callback),
        cmocka_unit_test(test_compile_api__compiles_on_two_threads_at_once),
        cmocka_unit_test(test_compile_api__a_missing_model_file_is_an_io_error),
        cmocka_unit_test(test_compile_api__corrupt_bytes_are_a_parse_error_naming_the_model),
        cmocka_unit_test(test_compile_api__an_unknown_cpu_is_a_bad_option),
        cmocka_unit_test(test_compile_api__bad_options_are_refused_before_any_work),
        cmocka_unit_test(test_compile_api__a_shape_for_no_input_is_a_bad_option),
        cmocka_unit_test(test_compile_api__a_count_without_its_array_is_a_bad_option),
        cmocka_unit_test(test_compile_api__a_missing_binding_file_is_an_io_error_naming_it),
        cmocka_unit_test(test_compile_api__an_unwritable_output_is_an_io_error),
        cmocka_unit_test(test_compile_api__null_arguments_are_diagnosed_not_crashed),
    };
    return cmocka_run_group_tests_name("compile_api", tests, NULL, NULL);
}
