/* Tests for passes/pipeline.c: order, --print-after, verification between passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build.h"
#include "passes.h"

#include <stdlib.h>

/* x -> Identity -> Relu -> y, plus a dead Tanh. */
static glc_graph *sample(void) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_value_id i = tb_node(g, GLC_OP_IDENTITY, "id", &x, 1, "i");
    tb_node(g, GLC_OP_TANH, "unused", &x, 1, "u");
    glc_graph_add_output(g, tb_node(g, GLC_OP_RELU, "relu", &i, 1, "y"));
    glc_diag d = {0};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    return g;
}

static char *run_capture(glc_graph *g, glc_pipeline_options *o) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    o->dump = f;
    glc_diag d = {0};
    assert_int_equal(glc_run_pipeline(g, o, &d), GLC_OK);
    assert_null(d.pass);
    fclose(f);
    return buf;
}

static void test_pipeline__runs_every_pass_in_order(void **state) {
    glc_graph *g = sample();
    glc_pipeline_options o = {.verify_each = true};
    free(run_capture(g, &o));
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->nodes[0].op, GLC_OP_RELU);
    glc_graph_destroy(g);
}

static void test_pipeline__print_after_dumps_only_that_pass(void **state) {
    glc_graph *g = sample();
    glc_pipeline_options o = {.verify_each = true, .print_after = "eliminate-identity"};
    char *out = run_capture(g, &o);
    assert_non_null(strstr(out, "; after eliminate-identity"));
    assert_null(strstr(out, "; after dce"));
    assert_non_null(strstr(out, "Tanh")); /* dce has not run yet at that point */
    free(out);
    glc_graph_destroy(g);
}

static void test_pipeline__print_after_all_dumps_every_pass(void **state) {
    glc_graph *g = sample();
    glc_pipeline_options o = {.print_after_all = true};
    char *out = run_capture(g, &o);
    for (int i = 0; i < glc_pipeline_len; i++) {
        char want[64];
        snprintf(want, sizeof want, "; after %s", glc_pipeline[i].cli_name);
        if (glc_pipeline[i].on_request) /* not asked for: not run */
            assert_null(strstr(out, want));
        else
            assert_non_null(strstr(out, want));
    }
    free(out);
    glc_graph_destroy(g);
}

static void test_pipeline__disable_all_keeps_graph_as_imported(void **state) {
    glc_graph *g = sample();
    glc_pipeline_options o = {.disable_all = true};
    free(run_capture(g, &o));
    assert_int_equal(g->n_nodes, 3);
    glc_graph_destroy(g);
}

static void test_pipeline__finds_passes_by_cli_name(void **state) {
    assert_non_null(glc_pass_find("dce"));
    assert_non_null(glc_pass_find("stream"));
    assert_null(glc_pass_find("no-such-pass"));
}

/* passes.def is the one registry: every pass (stream too) is in the pipeline, in its
 * order; stream, a change of meaning, comes first and runs only when asked, even at -O0. */
static void test_pipeline__stream_is_registered_first_and_runs_on_request(void **state) {
    assert_string_equal(glc_pipeline[0].cli_name, "stream");
    assert_true(glc_pipeline[0].on_request);
    for (int i = 1; i < glc_pipeline_len; i++)
        assert_false(glc_pipeline[i].on_request);
    glc_graph *g = sample();
    glc_pipeline_options o = {.disable_all = true, .stream = true};
    glc_diag d = {0};
    /* it ran at -O0: the sample has no recurrent node to stream, which it says */
    assert_int_not_equal(glc_run_pipeline(g, &o, &d), GLC_OK);
    assert_string_equal(d.pass, "stream");
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline__runs_every_pass_in_order),
        cmocka_unit_test(test_pipeline__print_after_dumps_only_that_pass),
        cmocka_unit_test(test_pipeline__print_after_all_dumps_every_pass),
        cmocka_unit_test(test_pipeline__disable_all_keeps_graph_as_imported),
        cmocka_unit_test(test_pipeline__finds_passes_by_cli_name),
        cmocka_unit_test(test_pipeline__stream_is_registered_first_and_runs_on_request),
    };
    return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
