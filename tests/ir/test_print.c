/* test_print.c -- the printer's exact, deterministic text form. */
#include "ir_test_util.h"

#include <stdlib.h>
#include <string.h>

static void test_print__small_gemm_graph_exact_text(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 13;
    g->name = "main";
    int64_t xd[2] = {1, 4}, wd[2] = {3, 4};
    float w[12] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f, 1.1f, 1.2f};
    glc_value_id x = tu_input(g, "x", GLC_DT_F32, 2, xd);
    glc_value_id wv = glc_graph_add_const(g, "w", GLC_DT_F32, 2, wd, w);
    glc_value_id y = glc_graph_add_value(g, "y", GLC_DT_UNDEF, 0, NULL);
    glc_value_id in[3] = {x, wv, 0};
    glc_node_id n = glc_graph_add_node(g, GLC_OP_GEMM, "gemm0", in, 3, &y, 1);
    glc_node_set_float(g, n, "alpha", 1.0f);
    glc_node_set_int(g, n, "transB", 1);
    glc_node_set_ints(g, n, "perm", (int64_t[]){1, 2}, 2);
    glc_node_set_string(g, n, "mode", "fast");
    glc_graph_add_output(g, y);
    glc_diag d = {0};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    glc_graph_print(g, f);
    fclose(f);
    const char *want = "graph main (opset 13)\n"
                       "  input  %x: f32[1,4]\n"
                       "  const  %w: f32[3,4] = {0.1, 0.2, 0.3, 0.4, ...}\n"
                       "  %y: f32[1,3] = Gemm(%x, %w, _) {alpha=1, transB=1, perm=[1,2], "
                       "mode=\"fast\"}     # node 'gemm0'\n"
                       "  output %y\n";
    assert_string_equal(buf, want);
    free(buf);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print__small_gemm_graph_exact_text),
    };
    return cmocka_run_group_tests_name("ir/print", tests, NULL, NULL);
}
