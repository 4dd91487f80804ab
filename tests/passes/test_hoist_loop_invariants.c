/*
 * test_hoist_loop_invariants.c -- passes/hoist_loop_invariants.c on fixture
 * tests/fixtures/frontend/loop_invariant.onnx: the weight carried through unchanged becomes
 * a constant of the body, the product of a captured value moves before the Loop; the Loop
 * computes what it did (interpreter, before and after); a second run changes nothing; a
 * Loop with nothing invariant (loop_while) is left as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "build.h"
#include "fixture.h"
#include "passes.h"

#include <stdlib.h>
#include <string.h>

static void hoist(glc_graph *g) {
    glc_diag d;
    memset(&d, 0, sizeof d);
    glc_pass_ctx cx = {.diag = &d};
    assert_int_equal(glc_pass_hoist_loop_invariants(g, &cx), GLC_OK);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
}

static const char *const expected =
    "graph loop_invariant (opset 13)\n"
    "  input  %x: f32[3]\n"
    "  input  %b: f32[3]\n"
    "  const  %W: f32[3,3] = {-0.75, -0.5, -0.25, 0, ...}\n"
    "  const  %M: i64[] = {3}\n"
    "  const  %two: f32[] = {2}\n"
    "  %bb: f32[3] = Mul(%b, %two)     # node 'Mul_1'\n"
    "  %h_last: f32[3] = Loop(%M, _, %x, %bb) {glc_carried=1}     # node 'inv'\n"
    "    graph inv_body (opset 13)\n"
    "      input  %i: i64[]\n"
    "      input  %c: bool[]\n"
    "      input  %h: f32[3]\n"
    "      input  %bb: f32[3]\n"
    "      const  %w: f32[3,3] = {-0.75, -0.5, -0.25, 0, ...}\n"
    "      %c_out: bool[] = Identity(%c)     # node 'Identity_0'\n"
    "      %hw: f32[3] = MatMul(%h, %w)     # node 'MatMul_2'\n"
    "      %s: f32[3] = Add(%hw, %bb)     # node 'Add_3'\n"
    "      %h_out: f32[3] = Relu(%s)     # node 'Relu_4'\n"
    "      output %c_out\n"
    "      output %h_out\n"
    "  %w_last: f32[3,3] = Identity(%W)     # node 'inv'\n"
    "  output %h_last\n"
    "  output %w_last\n";

static void run(const glc_graph *g, float *h, float *w) {
    const float x[3] = {1, -2, 0.5f}, b[3] = {0.25f, -0.5f, 1};
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_interp_run(g, (const void *[]){x, b}, (void *[]){h, w}, &d), GLC_OK);
}

static void test_hoist_loop_invariants__carried_weights_and_captured_products_leave_the_body(
    void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_invariant.onnx");
    float h0[3], w0[9], h1[3], w1[9];
    run(g, h0, w0);
    hoist(g);
    char *got = tb_dump(g);
    assert_string_equal(got, expected);
    free(got);
    run(g, h1, w1);
    assert_memory_equal(h0, h1, sizeof h0);
    assert_memory_equal(w0, w1, sizeof w0);
    hoist(g);
    got = tb_dump(g);
    assert_string_equal(got, expected);
    free(got);
    glc_graph_destroy(g);
}

static void test_hoist_loop_invariants__a_loop_with_nothing_invariant_is_unchanged(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_while.onnx");
    tb_check_unchanged(g, hoist);
    glc_graph_destroy(g);
}

/* A body node whose inputs are all constants (fold-constants leaves none). */
static int foldable_nodes(const glc_graph *b) {
    int k = 0;
    for (uint32_t i = 0; i < b->n_nodes; i++) {
        const glc_node *n = &b->nodes[i];
        bool all = !n->dead && n->n_in > 0;
        for (int q = 0; all && q < n->n_in; q++)
            all = !n->in[q] || b->values[n->in[q]].data;
        k += all;
    }
    return k;
}

/* tf2onnx's GRU body splits its carried bias (Split, Squeeze): once the bias is a body
 * constant those fold, without raise-recurrence too (the Loop stays, fully folded). */
static void test_hoist_loop_invariants__what_the_new_constants_feed_is_folded(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("keras_tf2onnx/gru_dense/model.onnx");
    glc_diag d;
    memset(&d, 0, sizeof d);
    glc_pipeline_options o = {.verify_each = true, .disable_pass = "raise-recurrence"};
    if (glc_run_pipeline(g, &o, &d)) fail_msg("pipeline: %s", d.msg);
    const glc_node *loop = tb_first_node(g, GLC_OP_LOOP);
    assert_non_null(loop);
    assert_int_equal(foldable_nodes(loop->body), 0);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_hoist_loop_invariants__carried_weights_and_captured_products_leave_the_body),
        cmocka_unit_test(test_hoist_loop_invariants__a_loop_with_nothing_invariant_is_unchanged),
        cmocka_unit_test(test_hoist_loop_invariants__what_the_new_constants_feed_is_folded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
