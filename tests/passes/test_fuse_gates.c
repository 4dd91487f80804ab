/* Tests for passes/fuse_gates.c: golden dumps before/after, the interpreter's outputs
 * unchanged (bit for bit: every output is the same sum in the same order), and graphs
 * with nothing to fuse left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "passes.h"

static glc_status run(glc_graph *g) {
    glc_diag d = {0};
    glc_pass_ctx cx = {.diag = &d};
    GLC_TRY(glc_infer_shapes(g, &d));
    GLC_TRY(glc_pass_fuse_gates(g, &cx));
    return glc_graph_verify(g, &d);
}

static float *ramp(int64_t n, float scale) {
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((i * 7) % 11 - 5) * scale;
    return v;
}

/* Every output of g on a fixed input x (numel nx), concatenated; caller frees. */
static float *interp(const glc_graph *g, int64_t nx, int64_t *n_out) {
    float *x = ramp(nx, 0.25f);
    int64_t total = 0;
    for (uint32_t i = 0; i < g->n_outputs; i++)
        total += glc_value_numel(&g->values[g->outputs[i]]);
    float *y = calloc((size_t)total, sizeof *y);
    void *outs[8];
    int64_t at = 0;
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        outs[i] = y + at;
        at += glc_value_numel(&g->values[g->outputs[i]]);
    }
    glc_diag d = {0};
    const void *ins[1] = {x};
    assert_int_equal(glc_interp_run(g, ins, outs, &d), GLC_OK);
    free(x);
    *n_out = total;
    return y;
}

/* Runs the pass; checks the interpreter's outputs are bitwise unchanged; returns the dump
 * after (caller frees). */
static char *fuse_and_compare(glc_graph *g, int64_t nx) {
    glc_diag d = {0};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    int64_t n0, n1;
    float *before = interp(g, nx, &n0);
    assert_int_equal(run(g), GLC_OK);
    float *after = interp(g, nx, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, (size_t)n0 * sizeof *before);
    free(before);
    free(after);
    return tb_dump(g);
}

static glc_value_id weight(glc_graph *g, const char *name, int rank, const int64_t *dims,
                           float scale) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *v = ramp(n, scale);
    glc_value_id id = tb_const_f32(g, name, rank, dims, v);
    free(v);
    return id;
}

/* An LSTM cell's four gate products as four MatMuls of one operand. */
static void test_fuse_gates__four_matmuls_become_one_and_a_split(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 17;
    glc_value_id x = tb_input(g, "x", 2, (int64_t[]){2, 3});
    const char *gates[4] = {"i", "f", "c", "o"};
    for (int k = 0; k < 4; k++) {
        char wn[8], nn[8], yn[8], tn[8], on[8];
        snprintf(wn, sizeof wn, "W%s", gates[k]);
        snprintf(nn, sizeof nn, "mm_%s", gates[k]);
        snprintf(yn, sizeof yn, "y%s", gates[k]);
        snprintf(tn, sizeof tn, "tanh_%s", gates[k]);
        snprintf(on, sizeof on, "t%s", gates[k]);
        glc_value_id in[2] = {x, weight(g, wn, 2, (int64_t[]){3, 2}, 0.5f * (float)(k + 1))};
        glc_value_id y = tb_node(g, GLC_OP_MATMUL, nn, in, 2, yn);
        glc_graph_add_output(g, tb_node(g, GLC_OP_TANH, tn, &y, 1, on));
    }
    char *after = fuse_and_compare(g, 6);
    const char *want =
        "graph main (opset 17)\n"
        "  input  %x: f32[2,3]\n"
        "  const  %mm_i.fused.w: f32[3,8] = {-2.5, 1, -5, 2, ...}\n"
        "  const  %mm_i.fused.split_sizes: i64[4] = {2, 2, 2, 2}\n"
        "  %mm_i.fused: f32[2,8] = MatMul(%x, %mm_i.fused.w)     # node 'mm_i.fused'\n"
        "  %yi: f32[2,2], %yf: f32[2,2], %yc: f32[2,2], %yo: f32[2,2] = "
        "Split(%mm_i.fused, %mm_i.fused.split_sizes) {axis=1}     # node 'mm_i.fused.split'\n"
        "  %ti: f32[2,2] = Tanh(%yi)     # node 'tanh_i'\n"
        "  %tf: f32[2,2] = Tanh(%yf)     # node 'tanh_f'\n"
        "  %tc: f32[2,2] = Tanh(%yc)     # node 'tanh_c'\n"
        "  %to: f32[2,2] = Tanh(%yo)     # node 'tanh_o'\n"
        "  output %ti\n"
        "  output %tf\n"
        "  output %tc\n"
        "  output %to\n";
    assert_string_equal(after, want);
    free(after);
    glc_graph_destroy(g);
}

/* ConvLSTM-style gate convolutions: same input and window, one with a bias and one
 * without (its part of the fused bias is zeros); a third Conv of another input stays. */
static void test_fuse_gates__convolutions_with_and_without_bias(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 17;
    glc_value_id x = tb_input(g, "x", 4, (int64_t[]){1, 2, 5, 4});
    glc_value_id w1 = weight(g, "W1", 4, (int64_t[]){3, 2, 3, 3}, 0.5f);
    glc_value_id w2 = weight(g, "W2", 4, (int64_t[]){2, 2, 3, 3}, 0.25f);
    glc_value_id b1 = weight(g, "B1", 1, (int64_t[]){3}, 1.0f);
    glc_value_id in1[3] = {x, w1, b1}, in2[2] = {x, w2};
    glc_value_id y1 = tb_node(g, GLC_OP_CONV, "conv1", in1, 3, "y1");
    glc_node_set_ints(g, g->n_nodes - 1, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    glc_value_id y2 = tb_node(g, GLC_OP_CONV, "conv2", in2, 2, "y2");
    glc_node_set_ints(g, g->n_nodes - 1, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    glc_value_id in3[2] = {y1, weight(g, "W3", 4, (int64_t[]){2, 3, 1, 1}, 1.0f)};
    glc_graph_add_output(g, tb_node(g, GLC_OP_CONV, "conv3", in3, 2, "y3"));
    glc_graph_add_output(g, y2);
    char *after = fuse_and_compare(g, 40);
    const char *want =
        "graph main (opset 17)\n"
        "  input  %x: f32[1,2,5,4]\n"
        "  const  %W3: f32[2,3,1,1] = {-5, 2, -2, 5, ...}\n"
        "  const  %conv1.fused.w: f32[5,2,3,3] = {-2.5, 1, -1, 2.5, ...}\n"
        "  const  %conv1.fused.b: f32[5] = {-5, 2, -2, 0, ...}\n"
        "  const  %conv1.fused.split_sizes: i64[2] = {3, 2}\n"
        "  %conv1.fused: f32[1,5,5,4] = Conv(%x, %conv1.fused.w, %conv1.fused.b) "
        "{pads=[1,1,1,1]}     # node 'conv1.fused'\n"
        "  %y1: f32[1,3,5,4], %y2: f32[1,2,5,4] = Split(%conv1.fused, %conv1.fused.split_sizes) "
        "{axis=1}     # node 'conv1.fused.split'\n"
        "  %y3: f32[1,2,5,4] = Conv(%y1, %W3)     # node 'conv3'\n"
        "  output %y3\n"
        "  output %y2\n";
    assert_string_equal(after, want);
    free(after);
    glc_graph_destroy(g);
}

/* PyTorch's nn.Linear form: Gemm(x, W, b) with transB = 1, three of them. */
static void test_fuse_gates__linear_layers_as_gemm_trans_b(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 17;
    glc_value_id x = tb_input(g, "x", 2, (int64_t[]){3, 4});
    for (int k = 0; k < 3; k++) {
        char wn[8], bn[8], nn[8], yn[8];
        snprintf(wn, sizeof wn, "W%d", k);
        snprintf(bn, sizeof bn, "B%d", k);
        snprintf(nn, sizeof nn, "fc%d", k);
        snprintf(yn, sizeof yn, "y%d", k);
        glc_value_id in[3] = {x, weight(g, wn, 2, (int64_t[]){5 + k, 4}, 0.5f),
                              weight(g, bn, 1, (int64_t[]){5 + k}, 0.25f)};
        glc_graph_add_output(g, tb_node(g, GLC_OP_GEMM, nn, in, 3, yn));
        glc_node_set_int(g, g->n_nodes - 1, "transB", 1);
    }
    char *after = fuse_and_compare(g, 12);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(g->nodes[0].op, GLC_OP_GEMM);
    assert_int_equal(g->nodes[1].op, GLC_OP_SPLIT);
    assert_non_null(strstr(after, "%fc0.fused: f32[3,18] = Gemm(%x, %fc0.fused.w, %fc0.fused.b) "
                                  "{transB=1}"));
    assert_non_null(strstr(after, "const  %fc0.fused.w: f32[18,4]"));
    free(after);
    glc_graph_destroy(g);
}

/* Nothing to fuse: runtime weights, different operands, different windows, a lone
 * product; the graph is unchanged (same dump). */
static void test_fuse_gates__leaves_graphs_without_siblings_unchanged(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 17;
    glc_value_id x = tb_input(g, "x", 4, (int64_t[]){1, 2, 5, 4});
    glc_value_id wr = tb_input(g, "Wr", 4, (int64_t[]){3, 2, 3, 3});
    glc_value_id w1 = weight(g, "W1", 4, (int64_t[]){3, 2, 3, 3}, 0.5f);
    glc_value_id w2 = weight(g, "W2", 4, (int64_t[]){3, 2, 3, 3}, 0.25f);
    glc_value_id a[2] = {x, wr}, b[2] = {x, w1}, c[2] = {x, w2};
    glc_graph_add_output(g, tb_node(g, GLC_OP_CONV, "runtime_w", a, 2, "ya"));
    glc_graph_add_output(g, tb_node(g, GLC_OP_CONV, "pad1", b, 2, "yb"));
    glc_node_set_ints(g, g->n_nodes - 1, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    glc_graph_add_output(g, tb_node(g, GLC_OP_CONV, "pad0", c, 2, "yc"));
    glc_diag d = {0};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    char *before = tb_dump(g);
    uint32_t nv = g->n_values;
    assert_int_equal(run(g), GLC_OK);
    char *after = tb_dump(g);
    assert_string_equal(before, after);
    assert_int_equal(g->n_values, nv);
    free(before);
    free(after);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuse_gates__four_matmuls_become_one_and_a_split),
        cmocka_unit_test(test_fuse_gates__convolutions_with_and_without_bias),
        cmocka_unit_test(test_fuse_gates__linear_layers_as_gemm_trans_b),
        cmocka_unit_test(test_fuse_gates__leaves_graphs_without_siblings_unchanged),
    };
    return cmocka_run_group_tests_name("fuse_gates", tests, NULL, NULL);
}
