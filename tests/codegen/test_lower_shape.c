/* test_lower_shape.c -- Transpose and Concat on symbolic dims: one compiled model run at
 * several sizes through plan and invoke, compared byte for byte with the interpreter on the
 * static graph of each size (cg_check_symbolic). Covers axes merged across symbols (a
 * (N, T, 4, 5) -> (4, 5, N, T) transpose is one (N*T, 20) -> (20, N*T) copy), a transpose
 * split into tasks only when its size reaches the threshold at run time, and concats along
 * static and symbolic axes. The static forms are in test_codegen_ops.c. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

static void transpose(glc_graph *g, const char *name, glc_value_id x, int rank,
                      const int64_t *perm) {
    glc_node_id n;
    glc_graph_add_output(g, cg_node(g, GLC_OP_TRANSPOSE, name, &x, 1, &n));
    if (perm) glc_node_set_ints(g, n, "perm", perm, (uint32_t)rank);
}

/* x (N, T, 4, 5): three permutations and the default; big (N, 64, 64): 16 KiB a row of N,
 * split from 1 MiB (N >= 64). */
static void build_transposes(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 4, (int64_t[]){v[0], v[1], 4, 5});
    transpose(g, "merged", x, 4, (int64_t[]){2, 3, 0, 1});
    transpose(g, "swap", x, 4, (int64_t[]){1, 0, 3, 2});
    transpose(g, "inner", x, 4, (int64_t[]){0, 2, 1, 3});
    transpose(g, "reversed", x, 4, NULL);
    glc_value_id big = cg_in(g, "big", GLC_DT_I32, 3, (int64_t[]){v[0], 64, 64});
    transpose(g, "big_t", big, 3, (int64_t[]){1, 0, 2});
}

static void test_lower_shape__symbolic_transpose_at_small_and_task_sizes(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "T"};
    static const int64_t sizes[3][2] = {{1, 1}, {3, 7}, {70, 2}};
    cg_check_symbolic(build_transposes, 13, 2, names, sizes[0], 3, NULL, "sym_transpose.so");
}

static void concat(glc_graph *g, const char *name, const glc_value_id *in, int n_in, int64_t ax) {
    glc_node_id n;
    glc_graph_add_output(g, cg_node(g, GLC_OP_CONCAT, name, in, n_in, &n));
    glc_node_set_int(g, n, "axis", ax);
}

/* (N, 2, T), (N, 3, T), (N, 1, T) along axis 1; (N, 2, T) and (N, 2, 3) along -1 (a
 * symbolic offset for the second); (N, 2, T) and (T, 2, T) along 0. */
static void build_concats(glc_graph *g, const glc_dim *v) {
    glc_value_id a = cg_in(g, "a", GLC_DT_F32, 3, (int64_t[]){v[0], 2, v[1]});
    glc_value_id b = cg_in(g, "b", GLC_DT_F32, 3, (int64_t[]){v[0], 3, v[1]});
    glc_value_id c = cg_in(g, "c", GLC_DT_F32, 3, (int64_t[]){v[0], 1, v[1]});
    glc_value_id d = cg_in(g, "d", GLC_DT_F32, 3, (int64_t[]){v[0], 2, 3});
    glc_value_id e = cg_in(g, "e", GLC_DT_I64, 3, (int64_t[]){v[1], 2, v[1]});
    glc_value_id f = cg_in(g, "f", GLC_DT_I64, 3, (int64_t[]){v[0], 2, v[1]});
    concat(g, "mid", (glc_value_id[]){a, b, c}, 3, 1);
    concat(g, "last", (glc_value_id[]){a, d}, 2, -1);
    concat(g, "first", (glc_value_id[]){f, e}, 2, 0);
}

static void test_lower_shape__symbolic_concat_along_static_and_symbolic_axes(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "T"};
    static const int64_t sizes[2][2] = {{1, 1}, {4, 6}};
    cg_check_symbolic(build_concats, 13, 2, names, sizes[0], 2, NULL, "sym_concat.so");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_shape__symbolic_transpose_at_small_and_task_sizes),
        cmocka_unit_test(test_lower_shape__symbolic_concat_along_static_and_symbolic_axes),
    };
    return cmocka_run_group_tests_name("codegen/shape", tests, cg_group_setup, cg_group_teardown);
}
