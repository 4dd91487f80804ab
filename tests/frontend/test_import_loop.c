/*
 * test_import_loop.c -- ONNX Loop at import (frontend/import_loop.c) and in the reference
 * interpreter (ir/loop.c): the body becomes a graph of its own, the values it reads from
 * enclosing scopes lifted into trailing inputs (constants copied in), nested bodies lift
 * through each scope; carried values that change shape and scan outputs without a trip
 * count are refused; a loop that ends early with scan outputs fails at run time; a Scan is
 * the same Loop; --stream refuses a Loop. Fixtures from tests/fixtures/frontend/
 * gen_fixtures.py (loop_*, scan_dirs); the expected values were computed by ONNX Runtime
 * 1.32 when they were written (loop_rnn's by the recurrence in double, in the test).
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

#define FIX GLC_TEST_SRC "/fixtures/frontend/"

/* Imports a fixture that is meant to be refused: the status, the diagnostic in *d. */
static glc_status import(const char *name, glc_graph **g, glc_diag *d) {
    char path[512];
    snprintf(path, sizeof path, FIX "%s", name);
    memset(d, 0, sizeof *d);
    return glc_import_onnx_file_opts(path, NULL, g, d);
}

static const glc_node *the_loop(const glc_graph *g) {
    const glc_node *n = tb_first_node(g, GLC_OP_LOOP);
    if (!n) fail_msg("no Loop node");
    return n;
}

static const char *in_name(const glc_graph *g, const glc_node *n, int i) {
    return n->in[i] ? g->values[n->in[i]].name : "_";
}

/* W, an initializer of the main graph, is copied into the body as a constant; x and b
 * become trailing inputs of the node and of the body, in the order the body reads them. */
static void test_import_loop__outer_values_are_lifted_into_trailing_inputs(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_rnn.onnx");
    glc_diag d = {0};
    const glc_node *n = the_loop(g);
    const glc_graph *b = n->body;
    assert_non_null(b);
    assert_ptr_equal(b->parent, g);
    assert_int_equal(n->n_in, 5);
    assert_string_equal(in_name(g, n, 2), "h0");
    assert_string_equal(in_name(g, n, 3), "x");
    assert_string_equal(in_name(g, n, 4), "b");
    assert_int_equal(b->n_inputs, 5);
    assert_string_equal(b->values[b->inputs[3]].name, "x");
    assert_string_equal(b->values[b->inputs[4]].name, "b");
    glc_value_id w = glc_graph_find_value(b, "W");
    assert_int_not_equal(w, 0);
    assert_non_null(b->values[w].data);
    assert_int_equal(glc_attr_int(n, GLC_ATTR_LOOP_CARRIED, -1), 1);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
    const glc_value *hs = &g->values[n->out[1]];
    assert_int_equal(hs->rank, 2);
    assert_int_equal(hs->dims[0], 4);
    assert_int_equal(hs->dims[1], 3);
    glc_graph_destroy(g);
}

/* x = 0.1 * (0..11), h0 = (1, -1, 0.5), b = (0.2, 0, -0.2): checked against the recurrence
 * computed here in double. */
static void test_import_loop__interpreter_runs_the_body_per_iteration(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_rnn.onnx");
    glc_diag d = {0};
    float x[12], h0[3] = {1, -1, 0.5f}, b[3] = {0.2f, 0, -0.2f}, h[3], hs[12];
    for (int i = 0; i < 12; i++)
        x[i] = 0.1f * (float)i;
    assert_int_equal(glc_interp_run(g, (const void *[]){x, h0, b}, (void *[]){h, hs}, &d), GLC_OK);
    /* recomputed here in double: h' = tanh(h W + x_i + b) */
    double hw[3] = {1, -1, 0.5};
    for (int t = 0; t < 4; t++) {
        double nh[3];
        for (int j = 0; j < 3; j++) {
            double s = x[3 * t + j] + b[j];
            for (int k = 0; k < 3; k++)
                s += hw[k] * ((double)(3 * k + j) - 4) / 8;
            nh[j] = tanh(s);
        }
        for (int j = 0; j < 3; j++) {
            hw[j] = nh[j];
            assert_true(fabs(hs[3 * t + j] - nh[j]) < 1e-6);
        }
    }
    for (int j = 0; j < 3; j++)
        assert_true(fabs(h[j] - hw[j]) < 1e-6);
    glc_graph_destroy(g);
}

/* The condition ends the loop: ORT gives v_last (767, -257) after 9 iterations. */
static void test_import_loop__condition_ends_a_loop_without_scan_outputs(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_while.onnx");
    glc_diag d = {0};
    float v[2] = {0.5f, -1.5f}, v_last[2];
    int64_t k_last = 0;
    assert_int_equal(glc_interp_run(g, (const void *[]){v}, (void *[]){v_last, &k_last}, &d),
                     GLC_OK);
    assert_true(v_last[0] == 767 && v_last[1] == -257);
    assert_int_equal(k_last, 9);
    glc_graph_destroy(g);
}

/* The inner Loop reads b from the main graph: both bodies gain an input for it. ORT: s =
 * (1, 2), b = (0.5, -1) give (22, -12). Passes run on both bodies and keep the result. */
static void test_import_loop__nested_bodies_lift_through_each_scope(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_nested.onnx");
    glc_diag d = {0};
    const glc_node *outer = the_loop(g);
    assert_string_equal(in_name(g, outer, 3), "b");
    const glc_node *inner = the_loop(outer->body);
    assert_string_equal(in_name(outer->body, inner, 3), "b");
    assert_ptr_equal(inner->body->parent, outer->body);
    float s[2] = {1, 2}, b[2] = {0.5f, -1}, r[2];
    assert_int_equal(glc_interp_run(g, (const void *[]){s, b}, (void *[]){r}, &d), GLC_OK);
    assert_true(r[0] == 22 && r[1] == -12);
    glc_pipeline_options po = {.verify_each = true};
    assert_int_equal(glc_run_pipeline(g, &po, &d), GLC_OK);
    memset(r, 0, sizeof r);
    assert_int_equal(glc_interp_run(g, (const void *[]){s, b}, (void *[]){r}, &d), GLC_OK);
    assert_true(r[0] == 22 && r[1] == -12);
    glc_graph_destroy(g);
}

/* The printer shows the body under its node, indented. */
static void test_import_loop__printer_shows_bodies_indented(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_nested.onnx");
    char *buf = tb_dump(g);
    assert_non_null(strstr(buf, "\n    graph outer_body (opset 13)\n"));
    assert_non_null(strstr(buf, "\n        graph inner_body (opset 13)\n"));
    assert_non_null(strstr(buf, "\n          %iv_out: f32[2] = Add(%iv, %b)"));
    free(buf);
    glc_graph_destroy(g);
}

static void test_import_loop__refusals_name_the_value_or_the_trip_count(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("loop_grows.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "loop-carried value 'v' is f32[2] on entry and 'v_out' is "
                                  "f32[4] after an iteration"));
    assert_string_equal(d.node, "the_loop");
    assert_int_equal(import("loop_no_trip.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "1 scan outputs, and the trip count is absent"));
}

/* M = 5 with a scan output, the condition false after 3 iterations: a run-time error. */
static void test_import_loop__early_exit_with_scan_outputs_fails_at_run_time(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_early_exit.onnx");
    glc_diag d = {0};
    float x[2] = {1, 2}, y[2], ys[10];
    assert_int_equal(glc_interp_run(g, (const void *[]){x}, (void *[]){y, ys}, &d),
                     GLC_E_RUNTIME);
    assert_non_null(strstr(d.msg, "ended the loop after 3 of 5 iterations"));
    glc_graph_destroy(g);
}

/* Scan with every attribute becomes a Loop (scan elements gathered in the body, outputs
 * reversed and transposed after it); ORT's outputs for these inputs. */
static void test_import_loop__scan_with_axes_and_directions_is_a_loop(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/scan_dirs.onnx");
    glc_diag d = {0};
    const glc_node *n = the_loop(g);
    assert_int_equal(glc_attr_int(n, GLC_ATTR_LOOP_CARRIED, -1), 1);
    float s0[2] = {1, -1}, x[6] = {0, 1, 2, 3, 4, 5}, w[6], s[2], es[6], ps[6];
    for (int i = 0; i < 6; i++)
        w[i] = ((float)i - 2) / 2;
    assert_int_equal(glc_interp_run(g, (const void *[]){s0, x, w}, (void *[]){s, es, ps}, &d),
                     GLC_OK);
    const float want_s[2] = {-4, 6}, want_es[6] = {-4, 0, 1, 6, 3.5f, 0.5f},
                want_ps[6] = {0, 1.5f, -1, 3, -4, 2.5f};
    assert_memory_equal(s, want_s, sizeof s);
    assert_memory_equal(es, want_es, sizeof es);
    assert_memory_equal(ps, want_ps, sizeof ps);
    glc_graph_destroy(g);
}

/* --stream cannot split a Loop's iterations across calls: refused, naming it. */
static void test_import_loop__stream_refuses_a_loop(void **state) {
    (void)state;
    glc_graph *g = tf_import_fixture("frontend/loop_rnn.onnx");
    glc_diag d = {0};
    glc_pipeline_options po = {.stream = true};
    assert_int_equal(glc_run_pipeline(g, &po, &d), GLC_E_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "cannot stream: the model has a Loop"));
    assert_string_equal(d.node, "rnn");
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_loop__outer_values_are_lifted_into_trailing_inputs),
        cmocka_unit_test(test_import_loop__interpreter_runs_the_body_per_iteration),
        cmocka_unit_test(test_import_loop__condition_ends_a_loop_without_scan_outputs),
        cmocka_unit_test(test_import_loop__nested_bodies_lift_through_each_scope),
        cmocka_unit_test(test_import_loop__printer_shows_bodies_indented),
        cmocka_unit_test(test_import_loop__refusals_name_the_value_or_the_trip_count),
        cmocka_unit_test(test_import_loop__early_exit_with_scan_outputs_fails_at_run_time),
        cmocka_unit_test(test_import_loop__scan_with_axes_and_directions_is_a_loop),
        cmocka_unit_test(test_import_loop__stream_refuses_a_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
