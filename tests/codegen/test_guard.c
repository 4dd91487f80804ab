/* test_guard.c -- guarded nodes (glc_node.guard: the branches of a run-time If) run only
 * when their guards hold, compiled (codegen/model.c) and interpreted (ir/interp.c).
 *
 * The guarded nodes here write graph outputs directly, so a node that did not run leaves
 * the caller's buffer as it was (compiled: the sentinel -7; the interpreter's buffers start
 * zeroed). The importer never guards a graph output's producer; the test does, to see it. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

static glc_graph *G;

static int group_setup(void **state) {
    (void)state;
    return cg_make_tmpdir();
}

static int group_teardown(void **state) {
    (void)state;
    cg_rm_tmpdir();
    return 0;
}

static void guard(glc_graph *g, glc_node_id n, glc_value_id v, bool when) {
    glc_node *nd = &g->nodes[n];
    nd->guard[nd->n_guards] = v;
    nd->guard_false = (uint8_t)(nd->guard_false | (!when) << nd->n_guards);
    nd->n_guards++;
}

/* y = Neg(x) if a; y2 = Relu(x) if !a; z = Abs(x) if a && !b. */
static glc_graph *guarded_graph(void) {
    glc_graph *g = glc_graph_create();
    g->opset = 17;
    glc_value_id a = cg_in(g, "a", GLC_DT_BOOL, 0, NULL), b = cg_in(g, "b", GLC_DT_BOOL, 0, NULL);
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 1, (int64_t[]){4});
    glc_node_id n0, n1, n2;
    glc_graph_add_output(g, cg_node(g, GLC_OP_NEG, "neg", &x, 1, &n0));
    glc_graph_add_output(g, cg_node(g, GLC_OP_RELU, "relu", &x, 1, &n1));
    glc_graph_add_output(g, cg_node(g, GLC_OP_ABS, "abs", &x, 1, &n2));
    guard(g, n0, a, true);
    guard(g, n1, a, false);
    guard(g, n2, a, true);
    guard(g, n2, b, false);
    return g;
}

/* ran[k]: whether output k (Neg, Relu, Abs of x) was computed; else it holds `untouched`. */
static void expect_outputs(float (*out)[4], const float *x, const bool *ran, float untouched) {
    for (int i = 0; i < 4; i++) {
        assert_true(out[0][i] == (ran[0] ? -x[i] : untouched));
        assert_true(out[1][i] == (ran[1] ? (x[i] > 0 ? x[i] : 0) : untouched));
        assert_true(out[2][i] == (ran[2] ? (x[i] < 0 ? -x[i] : x[i]) : untouched));
    }
}

static void test_guard__nodes_run_only_when_their_guards_hold(void **state) {
    (void)state;
    G = guarded_graph();
    glc_rt_model *m = cg_compile(G, "guard.so");
    const float x[4] = {-2, -0.5f, 0.25f, 3};
    for (int k = 0; k < 4; k++) {
        uint8_t a = k & 1, b = k >> 1 & 1;
        bool ran[3] = {a, !a, a && !b};
        float out[3][4];
        for (int i = 0; i < 12; i++)
            out[i / 4][i % 4] = -7;
        const void *ins[3] = {&a, &b, x};
        void *outs[3] = {out[0], out[1], out[2]};
        assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
        expect_outputs(out, x, ran, -7);
        glc_diag d;
        assert_int_equal(glc_interp_run(G, ins, outs, &d), GLC_OK);
        expect_outputs(out, x, ran, 0);
    }
    glc_rt_model_close(m);
    glc_graph_destroy(G);
}

static void test_guard__verifier_refuses_a_guard_that_is_no_bool_scalar(void **state) {
    (void)state;
    G = guarded_graph();
    glc_diag d;
    assert_int_equal(glc_infer_shapes(G, &d), GLC_OK);
    assert_int_equal(glc_graph_verify(G, &d), GLC_OK);
    G->nodes[0].guard[0] = glc_graph_find_value(G, "x");
    assert_int_equal(glc_graph_verify(G, &d), GLC_E_INVALID_IR);
    assert_string_equal(d.msg, "guard %x is not a bool with one element");
    glc_graph_destroy(G);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard__nodes_run_only_when_their_guards_hold),
        cmocka_unit_test(test_guard__verifier_refuses_a_guard_that_is_no_bool_scalar),
    };
    return cmocka_run_group_tests_name("guard", tests, group_setup, group_teardown);
}
