/*
 * test_import_contrib.c -- ONNX Runtime's contrib ops (frontend/import_contrib.c): what each
 * becomes in the graph, and the one-line refusals. Their numbers are checked against ORT by
 * the conformance fixtures in tests/fixtures/contrib (gen_contrib_fixtures.py, which also
 * writes the bad/ models used here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frontend.h"

#include <stdio.h>
#include <string.h>

#define FIX GLC_TEST_SRC "/fixtures/contrib/"

static glc_status import(const char *name, glc_graph **g, glc_diag *d) {
    char path[512];
    snprintf(path, sizeof path, FIX "%s", name);
    memset(d, 0, sizeof *d);
    *g = NULL;
    return glc_import_onnx_file(path, g, d);
}

/* The ops of g's nodes in order, as "Conv Add LeakyRelu". */
static void node_ops(const glc_graph *g, char *buf, size_t len) {
    buf[0] = '\0';
    for (uint32_t i = 0; i < g->n_nodes; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "",
                 glc_op_name(g->nodes[i].op));
}

static void test_import_contrib__dynamic_quantize_lstm_becomes_lstm_on_float_weights(void **s) {
    (void)s;
    glc_graph *g;
    glc_diag d;
    assert_int_equal(import("dq_lstm_bidir_i8_per_column/model.onnx", &g, &d), GLC_OK);
    char ops[200];
    node_ops(g, ops, sizeof ops);
    assert_string_equal(ops, "LSTM");
    const glc_node *n = &g->nodes[0];
    assert_int_equal(n->n_in, 8);
    assert_int_equal(glc_attr_int(n, "hidden_size", 0), 3);
    assert_string_equal(glc_attr_string(n, "direction", ""), "bidirectional");
    for (int k = 1; k <= 2; k++) { /* W [2, 4*3, 5] and R [2, 4*3, 3]: transposed, f32 */
        const glc_value *w = &g->values[n->in[k]];
        assert_non_null(w->data);
        assert_int_equal(w->dtype, GLC_DT_F32);
        assert_int_equal(w->rank, 3);
        assert_int_equal(w->dims[0], 2);
        assert_int_equal(w->dims[1], 12);
        assert_int_equal(w->dims[2], k == 1 ? 5 : 3);
    }
    assert_int_equal(g->values[n->out[0]].rank, 4);
    glc_graph_destroy(g);
}

static void test_import_contrib__fused_conv_becomes_conv_sum_and_activation(void **s) {
    (void)s;
    glc_graph *g;
    glc_diag d;
    char ops[200];
    assert_int_equal(import("fused_conv_leakyrelu_z/model.onnx", &g, &d), GLC_OK);
    node_ops(g, ops, sizeof ops);
    assert_string_equal(ops, "Conv Add LeakyRelu");
    assert_float_equal(glc_attr_float(&g->nodes[2], "alpha", 0), 0.2f, 1e-7);
    assert_int_equal(glc_attr_int(&g->nodes[0], "group", 1), 1);
    assert_null(glc_node_attr(&g->nodes[0], "activation"));
    glc_graph_destroy(g);
    assert_int_equal(import("fused_conv_clip/model.onnx", &g, &d), GLC_OK);
    node_ops(g, ops, sizeof ops);
    assert_string_equal(ops, "Conv Clip");
    assert_float_equal(glc_attr_float(&g->nodes[1], "min", 0), -0.2f, 1e-7);
    assert_float_equal(glc_attr_float(&g->nodes[1], "max", 0), 0.3f, 1e-7);
    glc_graph_destroy(g);
}

static void test_import_contrib__weights_computed_at_run_time_are_refused(void **s) {
    (void)s;
    glc_graph *g;
    glc_diag d;
    assert_int_equal(import("bad/dq_lstm_w_computed.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_null(g);
    assert_string_equal(d.msg, "DynamicQuantizeLSTM: input 1 'W' must be a constant (glc "
                               "dequantizes the weights at compile time)");
    assert_string_equal(d.node, "dq");
}

static void test_import_contrib__an_activation_ort_does_not_fuse_is_refused(void **s) {
    (void)s;
    glc_graph *g;
    glc_diag d;
    assert_int_equal(import("bad/fused_conv_elu.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_null(g);
    assert_string_equal(d.msg, "FusedConv: activation 'Elu' is not supported (Relu, Tanh, "
                               "Sigmoid, LeakyRelu, HardSigmoid, Clip)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_contrib__dynamic_quantize_lstm_becomes_lstm_on_float_weights),
        cmocka_unit_test(test_import_contrib__fused_conv_becomes_conv_sum_and_activation),
        cmocka_unit_test(test_import_contrib__weights_computed_at_run_time_are_refused),
        cmocka_unit_test(test_import_contrib__an_activation_ort_does_not_fuse_is_refused),
    };
    return cmocka_run_group_tests_name("frontend import of contrib ops", tests, NULL, NULL);
}
