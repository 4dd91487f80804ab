/*
 * test_raise_recurrence.c -- passes/raise_recurrence.c on tf2onnx's Keras Loops
 * (tests/fixtures/keras_tf2onnx_loops): for each raised cell kind the pipeline leaves the
 * fused node (RNN Tanh, RNN Relu, GRU linear_before_reset 1 and 0, a go_backwards and a
 * bidirectional model, LSTM at batch 1 and with HardSigmoid gates, ai.glc.ConvLSTM with same
 * and valid padding, stacked, on one input channel and with a symbolic batch) and no Loop,
 * with the raised node's attributes, and Y read only when the model returns sequences (the
 * last step comes from Y_h); without the pass
 * (disable_pass) the Loop stays; both match TensorFlow's golden in the interpreter. A Loop
 * with one extra op in its cell (tests/fixtures/raise_recurrence/simplernn_scaled_cell)
 * stays a Loop, the -v log says why, and it matches numpy's golden; so do an LSTM and a
 * ConvLSTM Loop whose cell update subtracts (tests/fixtures/raise_recurrence:
 * lstm_sub_cell, convlstm_sub_cell; ORT's goldens).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "build.h"
#include "fixture.h"
#include "passes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Lines the pass logs, appended to the buffer given as user (4096 bytes). */
static void collect(void *user, const char *line) {
    char *buf = user;
    snprintf(buf + strlen(buf), 4096 - strlen(buf), "%s\n", line);
}

static glc_graph *pipeline(const char *dir, const char *disable, char *log) {
    char rel[300];
    snprintf(rel, sizeof rel, "%s/model.onnx", dir);
    glc_graph *g = tf_import_fixture(rel);
    glc_diag d;
    memset(&d, 0, sizeof d);
    glc_pipeline_options o = {.verify_each = true, .disable_pass = disable};
    if (log) o.log = collect, o.log_user = log;
    if (glc_run_pipeline(g, &o, &d)) fail_msg("%s: %s", rel, d.msg);
    return g;
}

/* Runs g in the interpreter on the fixture's input and compares with its golden. */
static void matches_golden(const glc_graph *g, const char *dir) {
    char path[512];
    glc_host_tensor x, want;
    char *name = NULL;
    glc_diag d;
    memset(&d, 0, sizeof d);
    snprintf(path, sizeof path, "%s/fixtures/%s/test_data_set_0/input_0.pb", GLC_TEST_SRC, dir);
    assert_int_equal(glc_tensorproto_read(path, &x, &name, &d), GLC_OK);
    free(name);
    snprintf(path, sizeof path, "%s/fixtures/%s/test_data_set_0/output_0.pb", GLC_TEST_SRC, dir);
    assert_int_equal(glc_tensorproto_read(path, &want, &name, &d), GLC_OK);
    free(name);
    const glc_value *out = &g->values[g->outputs[0]];
    assert_int_equal(glc_value_nbytes(out), want.nbytes);
    float *got = malloc(want.nbytes);
    const void *ins[1] = {x.data};
    void *outs[1] = {got};
    if (glc_interp_run(g, ins, outs, &d)) fail_msg("%s: %s", dir, d.msg);
    const float *w = want.data;
    for (size_t i = 0; i < want.nbytes / sizeof(float); i++)
        if (fabsf(got[i] - w[i]) > 1e-5f + 1e-4f * fabsf(w[i]))
            fail_msg("%s: element %zu is %g, TensorFlow's %g", dir, i, got[i], w[i]);
    free(got);
    glc_host_tensor_fini(&x);
    glc_host_tensor_fini(&want);
}

/* Whether a live node reads output 0 (Y) of the last node of op. */
static bool y_read(const glc_graph *g, glc_op op) {
    glc_value_id y = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == op) y = g->nodes[i].out[0];
    if (!y) return false; /* absent: not computed */
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (int q = 0; !g->nodes[i].dead && q < g->nodes[i].n_in; q++)
            if (g->nodes[i].in[q] == y) return true;
    return false;
}

/* act0: the node's first activation when it has an activations attribute, else NULL. */
static void check_raised(const char *kase, glc_op op, int n_fused, int64_t lbr, const char *act0) {
    char dir[256], log[4096] = "";
    snprintf(dir, sizeof dir, "keras_tf2onnx_loops/%s", kase);
    glc_graph *g = pipeline(dir, NULL, log);
    assert_int_equal(tb_live_nodes(g, GLC_OP_LOOP), 0);
    assert_int_equal(tb_live_nodes(g, op), n_fused);
    const glc_node *n = tb_first_node(g, op);
    if (op == GLC_OP_GRU) assert_int_equal(glc_attr_int(n, "linear_before_reset", -1), lbr);
    const glc_attr *acts = glc_node_attr(n, "activations");
    assert_int_equal(acts != NULL, act0 != NULL);
    if (act0) assert_string_equal(acts->strings[0], act0);
    assert_non_null(strstr(log, "raised to"));
    /* return_sequences=False: the last step is read from Y_h, Y is not needed */
    assert_int_equal(y_read(g, op), strstr(kase, "_seq") != NULL);
    matches_golden(g, dir);
    glc_graph_destroy(g);
    g = pipeline(dir, "raise-recurrence", NULL);
    assert_int_equal(tb_live_nodes(g, GLC_OP_LOOP), n_fused);
    assert_int_equal(tb_live_nodes(g, op), 0);
    matches_golden(g, dir);
    glc_graph_destroy(g);
}

static void test_simplernn_tanh(void **state) {
    (void)state;
    check_raised("simplernn_stacked", GLC_OP_RNN, 2, 0, NULL);
}

static void test_simplernn_relu(void **state) {
    (void)state;
    check_raised("simplernn_relu_seq", GLC_OP_RNN, 1, 0, "Relu");
}

static void test_simplernn_go_backwards(void **state) {
    (void)state;
    check_raised("simplernn_go_backwards", GLC_OP_RNN, 1, 0, NULL);
}

static void test_gru_reset_after(void **state) {
    (void)state;
    check_raised("gru_reset_after_seq", GLC_OP_GRU, 1, 1, NULL);
}

static void test_gru_reset_before(void **state) {
    (void)state;
    check_raised("gru_reset_before_seq", GLC_OP_GRU, 1, 0, NULL);
}

static void test_gru_bidirectional(void **state) {
    (void)state;
    check_raised("gru_bidirectional", GLC_OP_GRU, 2, 1, NULL);
}

/* Symbolic batch: raised, and the zero state tf2onnx expands to the batch is dropped
 * (zero-states sees through Unsqueeze and Expand). */
static void test_gru_symbolic_batch(void **state) {
    (void)state;
    glc_graph *g = pipeline("keras_tf2onnx_loops/gru_symbolic_batch", NULL, NULL);
    assert_int_equal(tb_live_nodes(g, GLC_OP_LOOP), 0);
    const glc_node *n = tb_first_node(g, GLC_OP_GRU);
    assert_non_null(n);
    assert_true(n->n_in <= 5 || !n->in[5]);
    assert_true(glc_dim_is_sym(g->values[n->out[1]].dims[1]));
    glc_graph_destroy(g);
}

/* ConvLSTM2D: the window of the input Conv (same: pads 1, valid: none) on the node, Y only
 * when the layer returns sequences; stacked layers and one input channel (tf2onnx reshapes
 * x_t instead of transposing it) are raised too. */
/* Unmasked LSTM Loops (tf2onnx rewrites a plain LSTM into a node except at batch 1, or with
 * Keras 3's hard_sigmoid gates): raised to LSTM, HardSigmoid's alpha 1/6 and beta 1/2 on the
 * node; the Loop with one op of its cell changed stays a Loop. */
static void test_lstm_batch1(void **state) {
    (void)state;
    check_raised("lstm_batch1_seq", GLC_OP_LSTM, 1, 0, NULL);
}

static void test_lstm_hard_sigmoid(void **state) {
    (void)state;
    char log[4096] = "";
    check_raised("lstm_hard_sigmoid", GLC_OP_LSTM, 1, 0, "HardSigmoid");
    glc_graph *g = pipeline("keras_tf2onnx_loops/lstm_hard_sigmoid", NULL, log);
    const glc_node *n = tb_first_node(g, GLC_OP_LSTM);
    const glc_attr *acts = glc_node_attr(n, "activations");
    assert_string_equal(acts->strings[0], "HardSigmoid");
    assert_string_equal(acts->strings[1], "Tanh");
    uint32_t k;
    const float *alpha = glc_attr_floats(n, "activation_alpha", &k);
    assert_int_equal(k, 1);
    assert_float_equal(alpha[0], 1.0f / 6, 1e-7);
    assert_float_equal(glc_attr_floats(n, "activation_beta", &k)[0], 0.5f, 0);
    assert_non_null(strstr(log, "raised to LSTM (gates HardSigmoid)"));
    glc_graph_destroy(g);
}

static void test_convlstm_same_seq(void **state) {
    (void)state;
    check_raised("convlstm2d_same_seq", GLC_OP_CONVLSTM, 1, 0, NULL);
    glc_graph *g = pipeline("keras_tf2onnx_loops/convlstm2d_same_seq", NULL, NULL);
    const glc_node *n = tb_first_node(g, GLC_OP_CONVLSTM);
    uint32_t k;
    const int64_t *pads = glc_attr_ints(n, "pads", &k);
    assert_int_equal(k, 4);
    for (uint32_t i = 0; i < k; i++)
        assert_int_equal(pads[i], 1);
    assert_int_equal(glc_attr_int(n, "hidden_size", 0), 3);
    glc_graph_destroy(g);
}

static void test_convlstm_valid_last(void **state) {
    (void)state;
    check_raised("convlstm2d_valid_last", GLC_OP_CONVLSTM, 1, 0, NULL);
    glc_graph *g = pipeline("keras_tf2onnx_loops/convlstm2d_valid_last", NULL, NULL);
    uint32_t k;
    const int64_t *pads = glc_attr_ints(tb_first_node(g, GLC_OP_CONVLSTM), "pads", &k);
    for (uint32_t i = 0; i < k; i++)
        assert_int_equal(pads[i], 0);
    glc_graph_destroy(g);
}

/* Stacked: the upper layer reads the lower one's squeezed Y, no layout round trip (at batch
 * 1 too, where tf2onnx's time-major Transposes are Reshapes). */
static void check_stacked(const char *kase) {
    char dir[256];
    snprintf(dir, sizeof dir, "keras_tf2onnx_loops/%s", kase);
    check_raised(kase, GLC_OP_CONVLSTM, 2, 0, NULL);
    glc_graph *g = pipeline(dir, NULL, NULL);
    const glc_node *upper = NULL;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == GLC_OP_CONVLSTM) upper = &g->nodes[i];
    const glc_value *x = &g->values[upper->in[0]];
    assert_int_equal(g->nodes[x->producer].op, GLC_OP_SQUEEZE);
    glc_graph_destroy(g);
}

static void test_convlstm_stacked(void **state) {
    (void)state;
    check_stacked("convlstm2d_stacked");
}

static void test_convlstm_stacked_batch1(void **state) {
    (void)state;
    check_stacked("convlstm2d_stacked_batch1");
}

static void test_convlstm_one_channel(void **state) {
    (void)state;
    check_raised("convlstm2d_one_channel", GLC_OP_CONVLSTM, 1, 0, NULL);
}

/* Symbolic batch: raised, both zero states (Expand of zeros) dropped. */
static void test_convlstm_symbolic_batch(void **state) {
    (void)state;
    glc_graph *g = pipeline("keras_tf2onnx_loops/convlstm2d_symbolic_batch", NULL, NULL);
    assert_int_equal(tb_live_nodes(g, GLC_OP_LOOP), 0);
    const glc_node *n = tb_first_node(g, GLC_OP_CONVLSTM);
    assert_non_null(n);
    for (int i = 5; i < n->n_in; i++)
        assert_int_equal(n->in[i], 0);
    assert_true(glc_dim_is_sym(g->values[n->out[1]].dims[1]));
    glc_graph_destroy(g);
}

/* c' = f * c - i * g (one Add made a Sub): no (Conv)LSTM; the Loop stays and matches. */
static void check_sub_cell(const char *kase, glc_op op, const char *why) {
    char log[4096] = "", dir[256];
    snprintf(dir, sizeof dir, "raise_recurrence/%s", kase);
    glc_graph *g = pipeline(dir, NULL, log);
    assert_int_equal(tb_live_nodes(g, GLC_OP_LOOP), 1);
    assert_int_equal(tb_live_nodes(g, op), 0);
    assert_non_null(strstr(log, why));
    matches_golden(g, dir);
    glc_graph_destroy(g);
}

static void test_convlstm_sub_cell_stays_loop(void **state) {
    (void)state;
    check_sub_cell("convlstm_sub_cell", GLC_OP_CONVLSTM,
                   "stays a Loop: c' is not Sigmoid(G_f) * c");
}

static void test_lstm_sub_cell_stays_loop(void **state) {
    (void)state;
    check_sub_cell("lstm_sub_cell", GLC_OP_LSTM, "stays a Loop: c' is not f(G_f) * c");
}

static void test_extra_op_stays_loop(void **state) {
    (void)state;
    char log[4096] = "";
    const char *dir = "raise_recurrence/simplernn_scaled_cell";
    glc_graph *g = pipeline(dir, NULL, log);
    assert_int_equal(tb_live_nodes(g, GLC_OP_LOOP), 1);
    assert_int_equal(tb_live_nodes(g, GLC_OP_RNN), 0);
    assert_non_null(strstr(log, "raise-recurrence: Loop 'Loop_3' stays a Loop: the "
                                "activation's input is not"));
    matches_golden(g, dir);
    glc_graph_destroy(g);
}

static void test_masked_stays_loop(void **state) {
    (void)state;
    char log[4096] = "";
    glc_graph *g = pipeline("keras_tf2onnx_loops/gru_masking", NULL, log);
    assert_int_equal(tb_live_nodes(g, GLC_OP_LOOP), 1);
    assert_non_null(strstr(log, "stays a Loop: as an LSTM (h and c carried), h' is not"));
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simplernn_tanh),      cmocka_unit_test(test_simplernn_relu),
        cmocka_unit_test(test_simplernn_go_backwards), cmocka_unit_test(test_gru_reset_after),
        cmocka_unit_test(test_gru_reset_before),    cmocka_unit_test(test_gru_bidirectional),
        cmocka_unit_test(test_gru_symbolic_batch),  cmocka_unit_test(test_extra_op_stays_loop),
        cmocka_unit_test(test_masked_stays_loop),
        cmocka_unit_test(test_lstm_batch1),         cmocka_unit_test(test_lstm_hard_sigmoid),
        cmocka_unit_test(test_convlstm_same_seq),   cmocka_unit_test(test_convlstm_valid_last),
        cmocka_unit_test(test_convlstm_stacked),    cmocka_unit_test(test_convlstm_one_channel),
        cmocka_unit_test(test_convlstm_symbolic_batch),
        cmocka_unit_test(test_convlstm_sub_cell_stays_loop),
        cmocka_unit_test(test_lstm_sub_cell_stays_loop),
        cmocka_unit_test(test_convlstm_stacked_batch1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
