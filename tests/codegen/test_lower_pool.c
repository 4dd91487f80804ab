/* test_lower_pool.c -- MaxPool, AveragePool and GlobalAveragePool compiled to a shared
 * object: against the reference interpreter on random data (shapes chosen so the clamped
 * borders, the interior and vector remainders all occur) and against hand-computed
 * values, for ceil_mode, dilations, SAME_LOWER, 3-D and column-major Indices. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

static glc_graph *G;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 17;
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

/* Geometry of one pool node; zero-length lists are left unset. */
typedef struct pool_attrs {
    int nsp;
    int64_t kernel[3], strides[3], dilations[3], pads[6];
    bool has_strides, has_dilations, has_pads;
    const char *auto_pad;
    int ceil_mode, count_include_pad, storage_order;
} pool_attrs;

static void set_attrs(glc_graph *g, glc_node_id n, const pool_attrs *a) {
    uint32_t k = (uint32_t)a->nsp;
    glc_node_set_ints(g, n, "kernel_shape", a->kernel, k);
    if (a->has_strides) glc_node_set_ints(g, n, "strides", a->strides, k);
    if (a->has_dilations) glc_node_set_ints(g, n, "dilations", a->dilations, k);
    if (a->has_pads) glc_node_set_ints(g, n, "pads", a->pads, 2 * k);
    if (a->auto_pad) glc_node_set_string(g, n, "auto_pad", a->auto_pad);
    if (a->ceil_mode) glc_node_set_int(g, n, "ceil_mode", a->ceil_mode);
    if (a->count_include_pad) glc_node_set_int(g, n, "count_include_pad", 1);
    if (a->storage_order) glc_node_set_int(g, n, "storage_order", a->storage_order);
}

/* x -> op; outputs Y (if want_y) and, for MaxPool, Indices (if want_ix) are graph outputs. */
static void build(glc_op op, int rank, const int64_t *dims, const pool_attrs *a, bool want_y,
                  bool want_ix) {
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, rank, dims);
    glc_value_id out[2] = {want_y ? glc_graph_add_value(G, "y", GLC_DT_UNDEF, 0, NULL) : 0,
                           want_ix ? glc_graph_add_value(G, "ix", GLC_DT_UNDEF, 0, NULL) : 0};
    glc_node_id n = glc_graph_add_node(G, op, "pool", &x, 1, out, want_ix ? 2 : 1);
    set_attrs(G, n, a);
    for (int i = 0; i < 2; i++)
        if (out[i]) glc_graph_add_output(G, out[i]);
}

static void check_random(glc_op op, int rank, const int64_t *dims, const pool_attrs *a,
                         bool want_ix, const char *file) {
    build(op, rank, dims, a, true, want_ix);
    cg_check_vs_interp(G, file);
}

/* Compiles, runs on x and compares every output with want[i] exactly (f32 or i64) and
 * with the interpreter. */
static void check_values(const float *x, const void *const *want, const char *file) {
    assert_true(G->n_outputs <= 2);
    void *got[2], *ref[2];
    cg_run_both(G, file, (const void *[]){x}, got, ref);
    for (uint32_t i = 0; i < G->n_outputs; i++) {
        const glc_value *v = &G->values[G->outputs[i]];
        size_t nb = glc_value_nbytes(v);
        if (memcmp(got[i], want[i], nb)) {
            cg_compare(v, got[i], want[i]); /* names the first difference */
            fail_msg("%s: compiled output differs from the expected values", v->name);
        }
        if (memcmp(ref[i], want[i], nb)) fail_msg("%s: interpreter differs", v->name);
        free(got[i]);
        free(ref[i]);
    }
}

/* ---- hand-computed ------------------------------------------------------------- */

static void test_lower_pool__maxpool_dilated_ceil_mode_with_indices(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 1,
                    .kernel = {2},
                    .strides = {2},
                    .dilations = {2},
                    .has_strides = true,
                    .has_dilations = true,
                    .ceil_mode = 1};
    build(GLC_OP_MAXPOOL, 3, (int64_t[]){1, 1, 6}, &a, true, true);
    float x[6] = {1, 5, 2, 4, 3, 0}, y[3] = {2, 3, 3};
    int64_t ix[3] = {2, 4, 4};
    check_values(x, (const void *[]){y, ix}, "mp_dil_ceil.so");
}

static void test_lower_pool__maxpool_column_major_indices_2d(void **state) {
    (void)state;
    pool_attrs a = {
        .nsp = 2, .kernel = {2, 2}, .pads = {1, 1, 0, 0}, .has_pads = true, .storage_order = 1};
    build(GLC_OP_MAXPOOL, 4, (int64_t[]){1, 2, 3, 4}, &a, true, true);
    float x[24] = {1, 9, 2, 3, 4, 0, 8, 7, 6, 5, 11, 10}, y[24];
    int64_t ix[24] = {0, 3, 3, 9, 1, 3, 3, 7, 2, 2, 8, 8};
    float y0[12] = {1, 9, 9, 3, 4, 9, 9, 8, 6, 6, 11, 11};
    for (int i = 0; i < 12; i++) {
        x[12 + i] = x[i] + 100;
        y[i] = y0[i];
        y[12 + i] = y0[i] + 100;
        ix[12 + i] = ix[i] + 12;
    }
    check_values(x, (const void *[]){y, ix}, "mp_colmajor.so");
}

static void test_lower_pool__maxpool_indices_without_y(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 2, .kernel = {2, 2}, .pads = {1, 1, 0, 0}, .has_pads = true};
    build(GLC_OP_MAXPOOL, 4, (int64_t[]){1, 1, 3, 4}, &a, false, true);
    float x[12] = {1, 9, 2, 3, 4, 0, 8, 7, 6, 5, 11, 10};
    int64_t ix[12] = {0, 1, 1, 3, 4, 1, 1, 6, 8, 8, 10, 10}; /* row-major */
    check_values(x, (const void *[]){ix}, "mp_ix_only.so");
}

static void test_lower_pool__maxpool_3d_column_major_indices(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 3,
                    .kernel = {2, 2, 2},
                    .strides = {1, 2, 1},
                    .pads = {1, 0, 1, 0, 1, 0},
                    .has_strides = true,
                    .has_pads = true,
                    .storage_order = 1};
    build(GLC_OP_MAXPOOL, 5, (int64_t[]){1, 1, 2, 3, 3}, &a, true, true);
    float x[18], y[12] = {3, 10, 17, 6, 13, 13, 12, 16, 17, 15, 15, 13};
    for (int i = 0; i < 18; i++)
        x[i] = (float)((i * 7) % 18);
    int64_t ix[12] = {2, 8, 14, 4, 10, 10, 3, 7, 14, 5, 5, 10}; /* d + h*2 + w*6 */
    check_values(x, (const void *[]){y, ix}, "mp_3d.so");
}

static void test_lower_pool__average_ceil_mode_count_include_pad(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 1,
                    .kernel = {3},
                    .strides = {2},
                    .pads = {1, 0},
                    .has_strides = true,
                    .has_pads = true,
                    .ceil_mode = 1,
                    .count_include_pad = 1};
    build(GLC_OP_AVERAGEPOOL, 3, (int64_t[]){1, 1, 5}, &a, true, false);
    float x[5] = {1, 2, 3, 4, 5}, y[3] = {1, 3, 4.5f};
    check_values(x, (const void *[]){y}, "ap_ceil_cip.so");
}

static void test_lower_pool__average_same_lower(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 2, .kernel = {2, 2}, .auto_pad = "SAME_LOWER"};
    build(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 1, 3, 3}, &a, true, false);
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[9] = {1, 1.5f, 2.5f, 2.5f, 3, 4, 5.5f, 6, 7};
    check_values(x, (const void *[]){y}, "ap_same_lower.so");
}

static void test_lower_pool__global_average_2d(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, (int64_t[]){1, 2, 2, 2});
    glc_graph_add_output(G, cg_node(G, GLC_OP_GLOBALAVERAGEPOOL, "gap", &x, 1, NULL));
    float xv[8] = {1, 2, 3, 4, -1, -1, 3, 7}, y[2] = {2.5f, 2};
    check_values(xv, (const void *[]){y}, "gap_small.so");
}

static void test_lower_pool__global_max_2d(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, (int64_t[]){1, 2, 2, 2});
    glc_graph_add_output(G, cg_node(G, GLC_OP_GLOBALMAXPOOL, "gmp", &x, 1, NULL));
    float xv[8] = {1, 2, 4, 3, -1, NAN, -3, -7}, y[2] = {4, -1};
    check_values(xv, (const void *[]){y}, "gmp_small.so");
}

/* ---- random data vs the interpreter ---------------------------------------------- */

static void test_lower_pool__maxpool_2d_ceil_mode_asymmetric_pads(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 2,
                    .kernel = {3, 3},
                    .strides = {2, 2},
                    .pads = {1, 0, 1, 2},
                    .has_strides = true,
                    .has_pads = true,
                    .ceil_mode = 1};
    check_random(GLC_OP_MAXPOOL, 4, (int64_t[]){2, 3, 17, 23}, &a, true, "r_mp_ceil.so");
}

static void test_lower_pool__maxpool_2d_dilations_column_major(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 2,
                    .kernel = {2, 3},
                    .dilations = {2, 2},
                    .pads = {1, 2, 0, 1},
                    .has_dilations = true,
                    .has_pads = true,
                    .storage_order = 1};
    check_random(GLC_OP_MAXPOOL, 4, (int64_t[]){1, 2, 19, 21}, &a, true, "r_mp_dil.so");
}

static void test_lower_pool__maxpool_1d_long_row(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 1, .kernel = {4}, .pads = {2, 1}, .has_pads = true};
    check_random(GLC_OP_MAXPOOL, 3, (int64_t[]){2, 3, 70}, &a, true, "r_mp_1d.so");
}

static void test_lower_pool__maxpool_3d_strided(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 3,
                    .kernel = {2, 3, 2},
                    .strides = {2, 1, 2},
                    .pads = {1, 1, 0, 0, 1, 1},
                    .has_strides = true,
                    .has_pads = true,
                    .storage_order = 1};
    check_random(GLC_OP_MAXPOOL, 5, (int64_t[]){1, 2, 5, 6, 7}, &a, true, "r_mp_3d.so");
}

static void test_lower_pool__maxpool_same_upper_dilated(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 2,
                    .kernel = {3, 2},
                    .strides = {2, 3},
                    .dilations = {2, 1},
                    .has_strides = true,
                    .has_dilations = true,
                    .auto_pad = "SAME_UPPER"};
    check_random(GLC_OP_MAXPOOL, 4, (int64_t[]){2, 1, 11, 14}, &a, true, "r_mp_su.so");
}

static void test_lower_pool__average_same_lower_strided(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 2,
                    .kernel = {4, 3},
                    .strides = {2, 1},
                    .has_strides = true,
                    .auto_pad = "SAME_LOWER"};
    check_random(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){2, 2, 15, 33}, &a, false, "r_ap_sl.so");
}

static void test_lower_pool__average_ceil_mode_count_include_pad_2d(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 2,
                    .kernel = {3, 4},
                    .strides = {2, 3},
                    .pads = {1, 2, 0, 1},
                    .has_strides = true,
                    .has_pads = true,
                    .ceil_mode = 1,
                    .count_include_pad = 1};
    check_random(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 3, 12, 20}, &a, false, "r_ap_cip.so");
}

static void test_lower_pool__average_3d_ceil_mode(void **state) {
    (void)state;
    pool_attrs a = {.nsp = 3,
                    .kernel = {2, 2, 3},
                    .strides = {2, 2, 2},
                    .pads = {0, 1, 1, 1, 0, 1},
                    .has_strides = true,
                    .has_pads = true,
                    .ceil_mode = 1};
    check_random(GLC_OP_AVERAGEPOOL, 5, (int64_t[]){1, 2, 5, 6, 9}, &a, false, "r_ap_3d.so");
}

static void test_lower_pool__global_average_3d_and_rank_2(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 5, (int64_t[]){2, 3, 4, 5, 6});
    glc_value_id z = cg_in(G, "z", GLC_DT_F32, 2, (int64_t[]){3, 4});
    glc_graph_add_output(G, cg_node(G, GLC_OP_GLOBALAVERAGEPOOL, "gap3", &x, 1, NULL));
    glc_graph_add_output(G, cg_node(G, GLC_OP_GLOBALAVERAGEPOOL, "gap0", &z, 1, NULL));
    cg_check_vs_interp(G, "r_gap.so");
}

/* ---- symbolic dims: one model run at several sizes (cg_check_symbolic) ------------- */

/* x -> op named name; Y (if want_y) and Indices (if want_ix) are graph outputs. */
static void pool_g(glc_graph *g, const char *name, glc_op op, glc_value_id x, const pool_attrs *a,
                   bool want_y, bool want_ix) {
    char yn[64], in[64];
    snprintf(yn, sizeof yn, "%s_y", name);
    snprintf(in, sizeof in, "%s_ix", name);
    glc_value_id out[2] = {want_y ? glc_graph_add_value(g, yn, GLC_DT_UNDEF, 0, NULL) : 0,
                           want_ix ? glc_graph_add_value(g, in, GLC_DT_UNDEF, 0, NULL) : 0};
    set_attrs(g, glc_graph_add_node(g, op, name, &x, 1, out, want_ix ? 2 : 1), a);
    for (int i = 0; i < 2; i++)
        if (out[i]) glc_graph_add_output(g, out[i]);
}

/* x (N, C, H, W), every dim symbolic: MaxPool with pads, strides, dilations and ceil_mode
 * (Y and Indices), SAME_UPPER with stride 2 (symbolic pads) and column-major Indices,
 * Indices alone (its row in the node scratch), AveragePool SAME_LOWER strided and NOTSET
 * with count_include_pad and ceil_mode, GlobalAveragePool. */
static void build_pools_2d(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 4, (int64_t[]){v[0], v[1], v[2], v[3]});
    pool_attrs a = {.nsp = 2,
                    .kernel = {3, 2},
                    .strides = {2, 1},
                    .dilations = {1, 2},
                    .pads = {1, 0, 1, 1},
                    .has_strides = true,
                    .has_dilations = true,
                    .has_pads = true,
                    .ceil_mode = 1};
    pool_g(g, "mp", GLC_OP_MAXPOOL, x, &a, true, true);
    pool_attrs same = {.nsp = 2,
                       .kernel = {3, 2},
                       .strides = {2, 2},
                       .has_strides = true,
                       .auto_pad = "SAME_UPPER",
                       .storage_order = 1};
    pool_g(g, "mp_same", GLC_OP_MAXPOOL, x, &same, true, true);
    pool_g(g, "mp_ix", GLC_OP_MAXPOOL, x, &a, false, true);
    same.auto_pad = "SAME_LOWER";
    same.storage_order = 0;
    pool_g(g, "ap_same", GLC_OP_AVERAGEPOOL, x, &same, true, false);
    pool_attrs cip = {.nsp = 2,
                      .kernel = {2, 3},
                      .strides = {2, 2},
                      .pads = {1, 1, 0, 1},
                      .has_strides = true,
                      .has_pads = true,
                      .ceil_mode = 1,
                      .count_include_pad = 1};
    pool_g(g, "ap_cip", GLC_OP_AVERAGEPOOL, x, &cip, true, false);
    glc_graph_add_output(g, cg_node(g, GLC_OP_GLOBALAVERAGEPOOL, "gap", &x, 1, NULL));
}

static void test_lower_pool__symbolic_2d_pools_at_three_sizes(void **state) {
    (void)state;
    static const char *const names[4] = {"N", "C", "H", "W"};
    static const int64_t sizes[3][4] = {{1, 1, 4, 4}, {2, 3, 9, 11}, {1, 2, 6, 23}};
    cg_check_symbolic(build_pools_2d, 17, 4, names, sizes[0], 3, NULL, "sym_pool2d.so");
}

/* x (N, 2, D, 5, W): a 3-D AveragePool with one static axis between symbolic ones, and a
 * 1-D MaxPool on (N, C, W). */
static void build_pools_3d(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 5, (int64_t[]){v[0], 2, v[1], 5, v[2]});
    pool_attrs a = {.nsp = 3,
                    .kernel = {2, 3, 2},
                    .strides = {1, 2, 3},
                    .pads = {1, 1, 0, 0, 1, 1},
                    .has_strides = true,
                    .has_pads = true};
    pool_g(g, "ap3", GLC_OP_AVERAGEPOOL, x, &a, true, false);
    glc_value_id z = cg_in(g, "z", GLC_DT_F32, 3, (int64_t[]){v[0], 3, v[2]});
    pool_attrs m = {
        .nsp = 1, .kernel = {3}, .strides = {2}, .has_strides = true, .auto_pad = "SAME_LOWER"};
    pool_g(g, "mp1", GLC_OP_MAXPOOL, z, &m, true, true);
}

static void test_lower_pool__symbolic_1d_and_3d_pools_at_two_sizes(void **state) {
    (void)state;
    static const char *const names[3] = {"N", "D", "W"};
    static const int64_t sizes[2][3] = {{1, 1, 3}, {2, 4, 10}};
    cg_check_symbolic(build_pools_3d, 17, 3, names, sizes[0], 2, NULL, "sym_pool3d.so");
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_lower_pool__maxpool_dilated_ceil_mode_with_indices),
        T(test_lower_pool__maxpool_column_major_indices_2d),
        T(test_lower_pool__maxpool_indices_without_y),
        T(test_lower_pool__maxpool_3d_column_major_indices),
        T(test_lower_pool__average_ceil_mode_count_include_pad),
        T(test_lower_pool__average_same_lower),
        T(test_lower_pool__global_average_2d),
        T(test_lower_pool__global_max_2d),
        T(test_lower_pool__maxpool_2d_ceil_mode_asymmetric_pads),
        T(test_lower_pool__maxpool_2d_dilations_column_major),
        T(test_lower_pool__maxpool_1d_long_row),
        T(test_lower_pool__maxpool_3d_strided),
        T(test_lower_pool__maxpool_same_upper_dilated),
        T(test_lower_pool__average_same_lower_strided),
        T(test_lower_pool__average_ceil_mode_count_include_pad_2d),
        T(test_lower_pool__average_3d_ceil_mode),
        T(test_lower_pool__global_average_3d_and_rank_2),
        T(test_lower_pool__symbolic_2d_pools_at_three_sizes),
        T(test_lower_pool__symbolic_1d_and_3d_pools_at_two_sizes),
#undef T
    };
    return cmocka_run_group_tests_name("codegen/pool", tests, cg_group_setup, cg_group_teardown);
}
