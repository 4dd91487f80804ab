/* test_pool.c -- shape inference and reference kernels of MaxPool, AveragePool and
 * GlobalAveragePool against hand-computed values. */
#include "ir_test_util.h"
#include "pool.h"

#include <string.h>

static glc_graph *G;
static glc_diag D;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 13;
    memset(&D, 0, sizeof D);
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

/* A pool node on a new f32 input of shape (rank, dims); *nid gets the node. */
static glc_value_id pool_node(glc_op op, int rank, const int64_t *dims, glc_node_id *nid) {
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, rank, dims);
    return tu_node(G, op, "pool", &x, 1, nid);
}

/* MaxPool with outputs Y and Indices; returns Y, *ix gets Indices. */
static glc_value_id maxpool2(int rank, const int64_t *dims, glc_node_id *nid, glc_value_id *ix) {
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, rank, dims);
    glc_value_id out[2] = {glc_graph_add_value(G, "y", GLC_DT_UNDEF, 0, NULL),
                           glc_graph_add_value(G, "ix", GLC_DT_UNDEF, 0, NULL)};
    *nid = glc_graph_add_node(G, GLC_OP_MAXPOOL, "mp", &x, 1, out, 2);
    *ix = out[1];
    return out[0];
}

static void ints(glc_node_id n, const char *name, int count, const int64_t *v) {
    assert_int_equal(glc_node_set_ints(G, n, name, v, (uint32_t)count), GLC_OK);
}

static void infer_ok(void) {
    if (glc_infer_shapes(G, &D)) fail_msg("infer: %s", D.msg);
}

static void infer_fails(glc_status want, const char *needle) {
    assert_int_equal(glc_infer_shapes(G, &D), want);
    if (!strstr(D.msg, needle)) fail_msg("diag '%s' lacks '%s'", D.msg, needle);
}

/* Runs the graph with outputs outs[0..n_out) (marked as graph outputs in order). */
static void run(const glc_value_id *outs, int n_out, const float *x, void *const *bufs) {
    for (int i = 0; i < n_out; i++)
        glc_graph_add_output(G, outs[i]);
    infer_ok();
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    const void *in[1] = {x};
    if (glc_interp_run(G, in, bufs, &D)) fail_msg("interp: %s", D.msg);
}

static void assert_i64s(const int64_t *got, const int64_t *want, int n) {
    for (int i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("element %d: got %lld want %lld", i, (long long)got[i], (long long)want[i]);
}

/* ---- shape inference ---------------------------------------------------------- */

static void test_pool__maxpool_default_shape_and_int64_indices(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id ix, y = maxpool2(4, (int64_t[]){2, 3, 4, 5}, &n, &ix);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 3});
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){2, 3, 3, 3});
    tu_assert_shape(G, ix, GLC_DT_I64, 4, (int64_t[]){2, 3, 3, 3});
}

static void test_pool__ceil_mode_rounds_the_output_size_up(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = pool_node(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 1, 4, 5}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){3, 3});
    ints(n, "strides", 2, (int64_t[]){2, 2});
    glc_node_set_int(G, n, "ceil_mode", 1);
    infer_ok(); /* floor would give (1, 2) */
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){1, 1, 2, 2});
}

static void test_pool__ceil_mode_drops_a_window_starting_in_the_end_pad(void **state) {
    (void)state;
    glc_node_id n; /* L = 2 + 1 + 1: ceil((4 - 3) / 3) + 1 = 2, but window 1 starts at 3 */
    glc_value_id y = pool_node(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 3, 2, 2}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){3, 3});
    ints(n, "strides", 2, (int64_t[]){3, 3});
    ints(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    glc_node_set_int(G, n, "ceil_mode", 1);
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){1, 3, 1, 1});
}

static void test_pool__same_lower_puts_the_odd_pad_first(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = pool_node(GLC_OP_MAXPOOL, 4, (int64_t[]){1, 1, 5, 6}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 3});
    ints(n, "strides", 2, (int64_t[]){2, 1});
    ints(n, "dilations", 2, (int64_t[]){1, 2});
    glc_node_set_string(G, n, "auto_pad", "SAME_LOWER");
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){1, 1, 3, 6});
    glc_pool_geom pg;
    assert_int_equal(glc_pool_geom_get(G, &G->nodes[n], &pg, &D), GLC_OK);
    /* H: total (3-1)*2 + 2 - 5 = 1 -> (1, 0); W: effective kernel 5, total 4 -> (2, 2). */
    assert_int_equal(pg.pad_begin[0], 1);
    assert_int_equal(pg.pad_end[0], 0);
    assert_int_equal(pg.pad_begin[1], 2);
    assert_int_equal(pg.pad_end[1], 2);
}

static void test_pool__valid_ignores_nothing_and_shrinks(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = pool_node(GLC_OP_MAXPOOL, 5, (int64_t[]){1, 2, 4, 5, 6}, &n);
    ints(n, "kernel_shape", 3, (int64_t[]){2, 2, 3});
    ints(n, "strides", 3, (int64_t[]){2, 2, 2});
    glc_node_set_string(G, n, "auto_pad", "VALID");
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 5, (int64_t[]){1, 2, 2, 2, 2});
}

static void test_pool__global_average_keeps_rank_with_unit_spatial_dims(void **state) {
    (void)state;
    glc_value_id y = pool_node(GLC_OP_GLOBALAVERAGEPOOL, 5, (int64_t[]){2, 3, 4, 5, 6}, NULL);
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 5, (int64_t[]){2, 3, 1, 1, 1});
}

static void test_pool__rejects_missing_kernel_shape(void **state) {
    (void)state;
    pool_node(GLC_OP_MAXPOOL, 4, (int64_t[]){1, 1, 4, 4}, NULL);
    infer_fails(GLC_E_SHAPE, "kernel_shape must list 2 sizes");
    assert_string_equal(D.node, "pool");
}

static void test_pool__rejects_pads_of_the_wrong_length(void **state) {
    (void)state;
    glc_node_id n;
    pool_node(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 1, 4, 4}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
    ints(n, "pads", 2, (int64_t[]){1, 1});
    infer_fails(GLC_E_SHAPE, "pads must list 4 values");
}

static void test_pool__rejects_a_pad_as_large_as_the_window(void **state) {
    (void)state;
    glc_node_id n;
    pool_node(GLC_OP_MAXPOOL, 3, (int64_t[]){1, 1, 8}, &n);
    ints(n, "kernel_shape", 1, (int64_t[]){2});
    ints(n, "pads", 2, (int64_t[]){0, 2});
    infer_fails(GLC_E_SHAPE, "must be smaller than the window");
}

static void test_pool__rejects_a_window_larger_than_the_input(void **state) {
    (void)state;
    glc_node_id n;
    pool_node(GLC_OP_MAXPOOL, 4, (int64_t[]){1, 1, 4, 4}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 3});
    ints(n, "dilations", 2, (int64_t[]){1, 2}); /* effective 5 > 4 */
    infer_fails(GLC_E_SHAPE, "does not fit input 0 f32[1,1,4,4]");
}

static void test_pool__rejects_unknown_auto_pad(void **state) {
    (void)state;
    glc_node_id n;
    pool_node(GLC_OP_MAXPOOL, 4, (int64_t[]){1, 1, 4, 4}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
    glc_node_set_string(G, n, "auto_pad", "SAME");
    infer_fails(GLC_E_SHAPE, "unknown auto_pad 'SAME'");
}

static void test_pool__rejects_explicit_pads_with_auto_pad(void **state) {
    (void)state;
    glc_node_id n;
    pool_node(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 1, 4, 4}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
    ints(n, "pads", 4, (int64_t[]){1, 0, 0, 0});
    glc_node_set_string(G, n, "auto_pad", "VALID");
    infer_fails(GLC_E_SHAPE, "cannot be combined with auto_pad VALID");
}

static void test_pool__rejects_inputs_without_spatial_axes(void **state) {
    (void)state;
    glc_node_id n;
    pool_node(GLC_OP_MAXPOOL, 2, (int64_t[]){2, 3}, &n);
    ints(n, "kernel_shape", 1, (int64_t[]){1});
    infer_fails(GLC_E_SHAPE, "at least one spatial axis");
}

static void test_pool__uint8_is_unsupported_and_int32_invalid(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_U8, 4, (int64_t[]){1, 1, 4, 4});
    glc_node_id n;
    tu_node(G, GLC_OP_MAXPOOL, "mp", &x, 1, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
    infer_fails(GLC_E_UNSUPPORTED, "only f32");
    G->values[x].dtype = GLC_DT_I32;
    infer_fails(GLC_E_SHAPE, "only f32");
}

static void test_pool__rejects_count_include_pad_other_than_0_or_1(void **state) {
    (void)state;
    glc_node_id n;
    pool_node(GLC_OP_AVERAGEPOOL, 3, (int64_t[]){1, 1, 4}, &n);
    ints(n, "kernel_shape", 1, (int64_t[]){2});
    glc_node_set_int(G, n, "count_include_pad", 2);
    infer_fails(GLC_E_SHAPE, "count_include_pad 2");
}

/* ---- reference kernels ------------------------------------------------------- */

static void test_pool__maxpool_dilated_ceil_mode_1d(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id ix, y = maxpool2(3, (int64_t[]){1, 1, 6}, &n, &ix);
    ints(n, "kernel_shape", 1, (int64_t[]){2});
    ints(n, "dilations", 1, (int64_t[]){2});
    ints(n, "strides", 1, (int64_t[]){2});
    glc_node_set_int(G, n, "ceil_mode", 1);
    float x[6] = {1, 5, 2, 4, 3, 0}, out[3];
    int64_t idx[3];
    /* windows {0,2}, {2,4}, {4,(6)}: the last runs past the input */
    run((glc_value_id[]){y, ix}, 2, x, (void *[]){out, idx});
    tu_assert_floats(out, (float[]){2, 3, 3}, 3);
    assert_i64s(idx, (int64_t[]){2, 4, 4}, 3);
}

static void test_pool__maxpool_column_major_indices_with_pads(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id ix, y = maxpool2(4, (int64_t[]){1, 2, 3, 4}, &n, &ix);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
    ints(n, "pads", 4, (int64_t[]){1, 1, 0, 0});
    glc_node_set_int(G, n, "storage_order", 1);
    float x[24] = {1, 9, 2, 3, 4, 0, 8, 7, 6, 5, 11, 10}, out[24];
    for (int i = 0; i < 12; i++)
        x[12 + i] = x[i] + 100;
    int64_t idx[24];
    run((glc_value_id[]){y, ix}, 2, x, (void *[]){out, idx});
    float want[12] = {1, 9, 9, 3, 4, 9, 9, 8, 6, 6, 11, 11};
    int64_t wi[24] = {0, 3, 3, 9, 1, 3, 3, 7, 2, 2, 8, 8}; /* h + w * 3 */
    tu_assert_floats(out, want, 12);
    for (int i = 0; i < 12; i++)
        want[i] += 100, wi[12 + i] = wi[i] + 12;
    tu_assert_floats(out + 12, want, 12);
    assert_i64s(idx, wi, 24);
}

static void test_pool__maxpool_ties_keep_the_first_tap(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id ix, y = maxpool2(4, (int64_t[]){1, 1, 2, 3}, &n, &ix);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
    float x[6] = {7, 7, 7, 7, 7, 7}, out[2];
    int64_t idx[2];
    run((glc_value_id[]){y, ix}, 2, x, (void *[]){out, idx});
    assert_i64s(idx, (int64_t[]){0, 1}, 2);
}

static void test_pool__maxpool_3d_strided_padded_indices(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id ix, y = maxpool2(5, (int64_t[]){1, 1, 2, 3, 3}, &n, &ix);
    ints(n, "kernel_shape", 3, (int64_t[]){2, 2, 2});
    ints(n, "strides", 3, (int64_t[]){1, 2, 1});
    ints(n, "pads", 6, (int64_t[]){1, 0, 1, 0, 1, 0});
    float x[18], out[12];
    for (int i = 0; i < 18; i++)
        x[i] = (float)((i * 7) % 18);
    int64_t idx[12];
    run((glc_value_id[]){y, ix}, 2, x, (void *[]){out, idx});
    tu_assert_floats(out, (float[]){3, 10, 17, 6, 13, 13, 12, 16, 17, 15, 15, 13}, 12);
    assert_i64s(idx, (int64_t[]){3, 4, 5, 6, 7, 7, 12, 10, 5, 15, 15, 7}, 12);
}

static void test_pool__average_ceil_mode_divisor_stops_at_the_end_pad(void **state) {
    (void)state;
    for (int cip = 0; cip < 2; cip++) {
        teardown(NULL);
        setup(NULL);
        glc_node_id n;
        glc_value_id y = pool_node(GLC_OP_AVERAGEPOOL, 3, (int64_t[]){1, 1, 5}, &n);
        ints(n, "kernel_shape", 1, (int64_t[]){3});
        ints(n, "strides", 1, (int64_t[]){2});
        ints(n, "pads", 2, (int64_t[]){1, 0});
        glc_node_set_int(G, n, "ceil_mode", 1);
        glc_node_set_int(G, n, "count_include_pad", cip);
        float x[5] = {1, 2, 3, 4, 5}, out[3];
        /* windows {-1,0,1}, {1,2,3}, {3,4,(5)}: tap 5 is past the end pad, never counted */
        run(&y, 1, x, (void *[]){out});
        tu_assert_floats(out, cip ? (float[]){1, 3, 4.5f} : (float[]){1.5f, 3, 4.5f}, 3);
    }
}

static void test_pool__average_same_lower_and_same_upper_differ(void **state) {
    (void)state;
    const char *modes[2] = {"SAME_LOWER", "SAME_UPPER"};
    float want[2][9] = {{1, 1.5f, 2.5f, 2.5f, 3, 4, 5.5f, 6, 7},
                        {3, 4, 4.5f, 6, 7, 7.5f, 7.5f, 8.5f, 9}};
    for (int m = 0; m < 2; m++) {
        teardown(NULL);
        setup(NULL);
        glc_node_id n;
        glc_value_id y = pool_node(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 1, 3, 3}, &n);
        ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
        glc_node_set_string(G, n, "auto_pad", modes[m]);
        float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, out[9];
        run(&y, 1, x, (void *[]){out});
        tu_assert_floats(out, want[m], 9);
    }
}

static void test_pool__average_count_include_pad_2d(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = pool_node(GLC_OP_AVERAGEPOOL, 4, (int64_t[]){1, 1, 2, 2}, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){2, 2});
    ints(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    glc_node_set_int(G, n, "count_include_pad", 1);
    float x[4] = {4, 8, 12, 16}, out[9];
    run(&y, 1, x, (void *[]){out});
    tu_assert_floats(out, (float[]){1, 3, 2, 4, 10, 6, 3, 7, 4}, 9);
}

static void test_pool__global_average_per_plane(void **state) {
    (void)state;
    glc_value_id y = pool_node(GLC_OP_GLOBALAVERAGEPOOL, 4, (int64_t[]){1, 2, 2, 2}, NULL);
    float x[8] = {1, 2, 3, 4, -1, -1, 3, 7}, out[2];
    run(&y, 1, x, (void *[]){out});
    tu_assert_floats(out, (float[]){2.5f, 2}, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_pool__maxpool_default_shape_and_int64_indices),
        T(test_pool__ceil_mode_rounds_the_output_size_up),
        T(test_pool__ceil_mode_drops_a_window_starting_in_the_end_pad),
        T(test_pool__same_lower_puts_the_odd_pad_first),
        T(test_pool__valid_ignores_nothing_and_shrinks),
        T(test_pool__global_average_keeps_rank_with_unit_spatial_dims),
        T(test_pool__rejects_missing_kernel_shape),
        T(test_pool__rejects_pads_of_the_wrong_length),
        T(test_pool__rejects_a_pad_as_large_as_the_window),
        T(test_pool__rejects_a_window_larger_than_the_input),
        T(test_pool__rejects_unknown_auto_pad),
        T(test_pool__rejects_explicit_pads_with_auto_pad),
        T(test_pool__rejects_inputs_without_spatial_axes),
        T(test_pool__uint8_is_unsupported_and_int32_invalid),
        T(test_pool__rejects_count_include_pad_other_than_0_or_1),
        T(test_pool__maxpool_dilated_ceil_mode_1d),
        T(test_pool__maxpool_column_major_indices_with_pads),
        T(test_pool__maxpool_ties_keep_the_first_tap),
        T(test_pool__maxpool_3d_strided_padded_indices),
        T(test_pool__average_ceil_mode_divisor_stops_at_the_end_pad),
        T(test_pool__average_same_lower_and_same_upper_differ),
        T(test_pool__average_count_include_pad_2d),
        T(test_pool__global_average_per_plane),
#undef T
    };
    return cmocka_run_group_tests_name("ir/pool", tests, NULL, NULL);
}
