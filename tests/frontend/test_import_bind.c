/*
 * test_import_bind.c -- import options: graph inputs bound to constants (the library side
 * of `glc --bind`) and skip_infer, on the ONNX node test test_reshape_reordered_all_dims
 * (data (2,3,4) f32, shape (3) i64 given as graph inputs). Skipped when Debian's
 * libonnx-testdata is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frontend.h"

#include <string.h>
#include <unistd.h>

#define MODEL "/usr/share/libonnx-testdata/data/node/test_reshape_reordered_all_dims/model.onnx"

static glc_status import_bound(const int64_t *shape, int n, const char *name, glc_graph **g,
                               glc_diag *d) {
    if (access(MODEL, R_OK) != 0) skip();
    glc_host_tensor t = {.dtype = GLC_DT_I64,
                         .rank = 1,
                         .dims = {n},
                         .data = (void *)shape,
                         .nbytes = (size_t)n * 8};
    glc_import_binding b = {name, &t};
    glc_import_options o = {.bind = &b, .n_bind = 1};
    memset(d, 0, sizeof *d);
    return glc_import_onnx_file_opts(MODEL, &o, g, d);
}

static void test_import_bind__bound_input_becomes_a_constant(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    int64_t shape[3] = {4, 2, 3};
    assert_int_equal(import_bound(shape, 3, "shape", &g, &d), GLC_OK);
    assert_int_equal(g->n_inputs, 1);
    glc_value_id s = glc_graph_find_value(g, "shape");
    assert_non_null(g->values[s].data);
    assert_memory_equal(g->values[s].data, shape, sizeof shape);
    const glc_value *y = &g->values[g->outputs[0]];
    assert_int_equal(y->rank, 3);
    assert_true(y->dims[0] == 4 && y->dims[1] == 2 && y->dims[2] == 3);
    glc_graph_destroy(g);
}

static void test_import_bind__rejects_shape_mismatch_and_unknown_names(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    int64_t shape[2] = {4, 6};
    assert_int_equal(import_bound(shape, 2, "shape", &g, &d), GLC_E_ARG);
    assert_null(g);
    assert_non_null(strstr(d.msg, "bound value for input 'shape' is i64[2]; the model declares "
                                  "i64[3]"));
    assert_int_equal(import_bound(shape, 2, "nope", &g, &d), GLC_E_ARG);
    assert_non_null(strstr(d.msg, "cannot bind 'nope'"));
}

static void test_import_bind__unbound_static_operand_is_unsupported(void **state) {
    (void)state;
    if (access(MODEL, R_OK) != 0) skip();
    glc_graph *g = NULL;
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_import_onnx_file(MODEL, &g, &d), GLC_E_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "bind graph input 'shape' with --bind"));
}

static void test_import_bind__skip_infer_stops_before_inference(void **state) {
    (void)state;
    if (access(MODEL, R_OK) != 0) skip();
    glc_graph *g = NULL;
    glc_diag d;
    memset(&d, 0, sizeof d);
    glc_import_options o = {.skip_infer = true};
    assert_int_equal(glc_import_onnx_file_opts(MODEL, &o, &g, &d), GLC_OK);
    assert_int_equal(g->n_inputs, 2);
    assert_int_equal(g->values[g->outputs[0]].dtype, GLC_DT_UNDEF);
    bool need[16] = {false};
    assert_true(g->n_values <= 16);
    glc_graph_static_values(g, need);
    assert_false(need[g->inputs[0]]);
    assert_true(need[g->inputs[1]]);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_bind__bound_input_becomes_a_constant),
        cmocka_unit_test(test_import_bind__rejects_shape_mismatch_and_unknown_names),
        cmocka_unit_test(test_import_bind__unbound_static_operand_is_unsupported),
        cmocka_unit_test(test_import_bind__skip_infer_stops_before_inference),
    };
    return cmocka_run_group_tests_name("import_bind", tests, NULL, NULL);
}
