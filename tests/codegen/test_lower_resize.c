/* test_lower_resize.c -- Resize and Upsample: the attributes the ONNX 1.12 node tests do not
 * reach (antialias, axes, keep_aspect_ratio_policy, half_pixel_symmetric, Upsample-7's
 * attribute scales), compiled and interpreted, against values from ONNX's reference
 * implementation (onnx.reference, onnx 1.17+); symbolic input sizes against the
 * interpreter at several sizes; and the one-line refusals of bad attributes and operands. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

static glc_graph *G;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 18;
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

/* Operands of one Resize node: scales (ns values) or sizes (nz), roi (nr). */
typedef struct operands {
    int ns, nz, nr;
    float scales[8], roi[16];
    int64_t sizes[8];
} operands;

/* x (f32, rank 4) -> Resize with the given operands as constants; returns the node. */
static glc_node_id resize_g(glc_graph *g, const int64_t *dims, const operands *op) {
    glc_value_id in[4] = {cg_in(g, "x", GLC_DT_F32, 4, dims), 0, 0, 0};
    if (op->nr) in[1] = glc_graph_add_const(g, "roi", GLC_DT_F32, 1, (int64_t[]){op->nr}, op->roi);
    if (op->ns)
        in[2] = glc_graph_add_const(g, "scales", GLC_DT_F32, 1, (int64_t[]){op->ns}, op->scales);
    if (op->nz)
        in[3] = glc_graph_add_const(g, "sizes", GLC_DT_I64, 1, (int64_t[]){op->nz}, op->sizes);
    glc_node_id n;
    glc_value_id y = cg_node(g, GLC_OP_RESIZE, "resize", in, op->nz ? 4 : 3, &n);
    glc_graph_add_output(g, y);
    return n;
}

/* Compiles G, runs it on x and compares with want (n values) within 1e-5, and so the
 * interpreter. */
static void check_values(const float *x, const float *want, int n, const char *file) {
    assert_int_equal(G->n_outputs, 1);
    void *out[1], *rout[1];
    cg_run_both(G, file, (const void *[]){x}, out, rout);
    assert_int_equal(glc_value_numel(&G->values[G->outputs[0]]), n);
    const float *got = out[0], *ref = rout[0];
    for (int i = 0; i < n; i++) {
        if (fabsf(got[i] - want[i]) > 1e-5f * (1 + fabsf(want[i])))
            fail_msg("compiled element %d: got %.9g want %.9g", i, got[i], want[i]);
        if (fabsf(ref[i] - want[i]) > 1e-5f * (1 + fabsf(want[i])))
            fail_msg("interpreted element %d: got %.9g want %.9g", i, ref[i], want[i]);
    }
    free(out[0]), free(rout[0]);
}

static const float X16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const float X4[4] = {1, 2, 3, 4};

static void test_lower_resize__linear_antialias_downscale(void **state) {
    (void)state;
    operands op = {.ns = 4, .scales = {1, 1, 0.5f, 0.5f}};
    glc_node_id n = resize_g(G, (int64_t[]){1, 1, 4, 4}, &op);
    glc_node_set_string(G, n, "mode", "linear");
    glc_node_set_int(G, n, "antialias", 1);
    const float want[4] = {4.125f, 5.875f, 11.125f, 12.875f};
    check_values(X16, want, 4, "rs_linear_aa.so");
}

static void test_lower_resize__cubic_antialias_downscale(void **state) {
    (void)state;
    operands op = {.ns = 4, .scales = {1, 1, 0.6f, 0.6f}};
    glc_node_id n = resize_g(G, (int64_t[]){1, 1, 4, 4}, &op);
    glc_node_set_string(G, n, "mode", "cubic");
    glc_node_set_int(G, n, "antialias", 1);
    const float want[4] = {2.51806951f, 4.28588581f, 9.58933544f, 11.357152f};
    check_values(X16, want, 4, "rs_cubic_aa.so");
}

static void test_lower_resize__axes_and_keep_aspect_ratio_not_larger(void **state) {
    (void)state;
    operands op = {.nz = 2, .sizes = {3, 5}};
    glc_node_id n = resize_g(G, (int64_t[]){1, 1, 2, 2}, &op);
    glc_node_set_ints(G, n, "axes", (int64_t[]){2, 3}, 2);
    glc_node_set_string(G, n, "keep_aspect_ratio_policy", "not_larger");
    const float want[9] = {1, 1, 2, 1, 1, 2, 3, 3, 4}; /* (1, 1, 3, 3): scale 1.5 */
    check_values(X4, want, 9, "rs_keep_aspect.so");
}

static void test_lower_resize__one_axis_linear_antialias(void **state) {
    (void)state;
    operands op = {.ns = 1, .scales = {0.75f}};
    glc_node_id n = resize_g(G, (int64_t[]){1, 1, 4, 4}, &op);
    glc_node_set_ints(G, n, "axes", (int64_t[]){3}, 1);
    glc_node_set_string(G, n, "mode", "linear");
    glc_node_set_int(G, n, "antialias", 1);
    const float want[12] = {1.27272725f, 2.5f, 3.72727275f, 5.27272749f, 6.5f, 7.72727251f,
                            9.27272701f, 10.5f, 11.727273f, 13.272727f, 14.5f, 15.727273f};
    check_values(X16, want, 12, "rs_axis_aa.so");
}

static void test_lower_resize__half_pixel_symmetric_opset_19(void **state) {
    (void)state;
    G->opset = 19;
    operands op = {.ns = 4, .scales = {1, 1, 2.3f, 2.94f}};
    glc_node_id n = resize_g(G, (int64_t[]){1, 1, 2, 2}, &op);
    glc_node_set_string(G, n, "mode", "linear");
    glc_node_set_string(G, n, "coordinate_transformation_mode", "half_pixel_symmetric");
    const float want[20] = {1,           1.15986395f, 1.5f,        1.84013605f, 2,
                            1.56521738f, 1.72508132f, 2.06521749f, 2.40535355f, 2.56521749f,
                            2.43478251f, 2.59464645f, 2.93478251f, 3.27491856f, 3.43478251f,
                            3,           3.15986395f, 3.5f,        3.84013605f, 4};
    check_values(X4, want, 20, "rs_hps.so");
}

static void test_lower_resize__upsample_7_attribute_scales(void **state) {
    (void)state;
    G->opset = 7;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, (int64_t[]){1, 1, 2, 2});
    glc_node_id n;
    glc_value_id y = cg_node(G, GLC_OP_UPSAMPLE, "up", &x, 1, &n);
    glc_node_set_floats(G, n, "scales", (const float[]){1, 1, 2, 3}, 4);
    glc_graph_add_output(G, y);
    const float want[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                            3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    check_values(X4, want, 24, "rs_upsample7.so");
}

/* Resize-10 (X, scales): asymmetric coordinates, nearest rounded up when downscaling (ONNX
 * Runtime's rule; ONNX 1.5's node test test_resize_downsample_nearest wants [1, 3]). */
static void test_lower_resize__opset_10_nearest_downscale(void **state) {
    (void)state;
    G->opset = 10;
    const float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    glc_value_id in[2] = {cg_in(G, "x", GLC_DT_F32, 4, (int64_t[]){1, 1, 2, 4}),
                          glc_graph_add_const(G, "scales", GLC_DT_F32, 1, (int64_t[]){4},
                                              (const float[]){1, 1, 0.6f, 0.6f})};
    glc_graph_add_output(G, cg_node(G, GLC_OP_RESIZE, "resize", in, 2, NULL));
    const float want[2] = {1, 3};
    check_values(x8, want, 2, "rs_opset10.so");
}

/* ---- symbolic sizes: tables built at run time ------------------------------------ */

typedef struct sym_case {
    const char *mode, *ctm;
    int antialias, exclude_outside;
    operands op;
} sym_case;

static void build_sym(glc_graph *g, const void *ctx) {
    const sym_case *sc = ctx;
    glc_dim h = glc_dim_symbol(g, "H"), w = glc_dim_symbol(g, "W");
    glc_node_id n = resize_g(g, (int64_t[]){1, 2, h, w}, &sc->op);
    glc_node_set_string(g, n, "mode", sc->mode);
    glc_node_set_string(g, n, "coordinate_transformation_mode", sc->ctm);
    if (sc->antialias) glc_node_set_int(g, n, "antialias", 1);
    if (sc->exclude_outside) glc_node_set_int(g, n, "exclude_outside", 1);
}

/* Compiles sc with H, W symbolic; runs at three sizes against the interpreter. */
static void check_sym(const sym_case *sc, const char *file) {
    glc_graph *gs = glc_graph_create();
    gs->opset = 19;
    build_sym(gs, sc);
    glc_rt_model *m = cg_compile(gs, file);
    const glc_model_desc *md = glc_rt_model_desc(m);
    assert_true(md->inputs[0].dims[2] < 0 && md->inputs[0].dims[3] < 0); /* H, W stayed symbols */
    static const int64_t hw[3][2] = {{1, 1}, {5, 7}, {12, 9}};
    glc_rt_pool *pool = NULL;
    assert_int_equal(glc_rt_pool_create(3, &pool), GLC_RT_OK);
    for (int r = 0; r < 3; r++) {
        glc_graph *g = glc_graph_create();
        g->opset = 19;
        sym_case st = *sc;
        glc_node_id n = resize_g(g, (int64_t[]){1, 2, hw[r][0], hw[r][1]}, &st.op);
        glc_node_set_string(g, n, "mode", sc->mode);
        glc_node_set_string(g, n, "coordinate_transformation_mode", sc->ctm);
        if (sc->antialias) glc_node_set_int(g, n, "antialias", 1);
        if (sc->exclude_outside) glc_node_set_int(g, n, "exclude_outside", 1);
        glc_diag d;
        memset(&d, 0, sizeof d);
        if (glc_infer_shapes(g, &d)) fail_msg("run %d: graph: %s", r, d.msg);
        unsigned seed = 99u + (unsigned)r;
        cg_sym_check_run(m, g, cg_fill, &seed, 1e-5, pool, r);
        glc_graph_destroy(g);
    }
    glc_rt_pool_destroy(pool);
    glc_rt_model_close(m);
    glc_graph_destroy(gs);
}

static void test_lower_resize__symbolic_sizes_every_mode(void **state) {
    (void)state;
    const sym_case cases[] = {
        {"nearest", "asymmetric", 0, 0, {.ns = 4, .scales = {1, 1, 2, 2}}},
        {"nearest", "half_pixel", 0, 1, {.ns = 4, .scales = {1, 1, 0.5f, 3}}},
        {"linear", "align_corners", 0, 0, {.ns = 4, .scales = {1, 1, 1.5f, 0.75f}}},
        {"linear", "half_pixel", 1, 0, {.ns = 4, .scales = {1, 1, 0.5f, 0.25f}}},
        {"cubic", "pytorch_half_pixel", 0, 1, {.nz = 4, .sizes = {1, 2, 4, 11}}},
        {"cubic", "half_pixel_symmetric", 1, 0, {.ns = 4, .scales = {1, 1, 0.5f, 2}}},
        {"linear", "tf_crop_and_resize", 0, 0,
         {.ns = 4,
          .scales = {1, 1, 2, 1.5f},
          .nr = 8,
          .roi = {0, 0, 0.2f, -0.3f, 1, 1, 1.4f, 0.9f}}},
    };
    char file[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(file, sizeof file, "rs_sym%zu.so", i);
        check_sym(&cases[i], file);
    }
}

/* x (1, 2, H, W) resized to the shape of z (1, 2, P, Q): sizes = Shape(z), as exporters
 * write F.interpolate(x, size=z.shape[2:]). dims: H, W, P, Q. */
static void build_to_shape_of(glc_graph *g, const glc_dim *v, const char *mode) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 4, (int64_t[]){1, 2, v[0], v[1]});
    glc_value_id z = cg_in(g, "z", GLC_DT_F32, 4, (int64_t[]){1, 2, v[2], v[3]});
    glc_value_id sz = cg_node(g, GLC_OP_SHAPE, "shape", &z, 1, NULL);
    glc_value_id in[4] = {x, 0, 0, sz};
    glc_node_id n;
    glc_value_id y = cg_node(g, GLC_OP_RESIZE, "resize", in, 4, &n);
    glc_node_set_string(g, n, "mode", mode);
    glc_graph_add_output(g, y);
}

static void test_lower_resize__sizes_from_a_symbolic_shape(void **state) {
    (void)state;
    static const int64_t dims[3][4] = {{3, 4, 6, 8}, {5, 7, 2, 3}, {4, 4, 4, 4}};
    const char *modes[2] = {"linear", "cubic"};
    for (int k = 0; k < 2; k++) {
        glc_graph *gs = glc_graph_create();
        gs->opset = 13;
        glc_dim v[4] = {glc_dim_symbol(gs, "H"), glc_dim_symbol(gs, "W"), glc_dim_symbol(gs, "P"),
                        glc_dim_symbol(gs, "Q")};
        build_to_shape_of(gs, v, modes[k]);
        glc_rt_model *m = cg_compile(gs, k ? "rs_to_shape_c.so" : "rs_to_shape_l.so");
        glc_rt_pool *pool = NULL;
        assert_int_equal(glc_rt_pool_create(3, &pool), GLC_RT_OK);
        for (int r = 0; r < 3; r++) {
            glc_graph *g = glc_graph_create();
            g->opset = 13;
            build_to_shape_of(g, dims[r], modes[k]);
            glc_diag d;
            memset(&d, 0, sizeof d);
            if (glc_infer_shapes(g, &d)) fail_msg("run %d: graph: %s", r, d.msg);
            unsigned seed = 7u + (unsigned)r;
            cg_sym_check_run(m, g, cg_fill, &seed, 1e-5, pool, r);
            glc_graph_destroy(g);
        }
        glc_rt_pool_destroy(pool);
        glc_rt_model_close(m);
        glc_graph_destroy(gs);
    }
}

/* ---- refusals ---------------------------------------------------------------------- */

static void refused(glc_status want, const char *needle) {
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_infer_shapes(G, &d), want);
    if (!strstr(d.msg, needle)) fail_msg("diag '%s' lacks '%s'", d.msg, needle);
    if (strchr(d.msg, '\n')) fail_msg("diag '%s' is not one line", d.msg);
}

static void test_lower_resize__refuses_bad_attributes(void **state) {
    (void)state;
    operands op = {.ns = 4, .scales = {1, 1, 2, 2}};
    glc_node_id n = resize_g(G, (int64_t[]){1, 1, 2, 2}, &op);
    glc_node_set_string(G, n, "mode", "bicubic");
    refused(GLC_E_SHAPE,
            "Resize: attribute 'mode' is 'bicubic'; expected one of nearest|linear|cubic");
    glc_node_set_string(G, n, "mode", "nearest");
    glc_node_set_int(G, n, "antialias", 1);
    refused(GLC_E_SHAPE, "Resize: antialias needs mode linear or cubic");
    glc_node_set_int(G, n, "antialias", 0);
    glc_node_set_string(G, n, "nearest_mode", "round");
    refused(GLC_E_SHAPE, "'nearest_mode' is 'round'");
    glc_node_set_string(G, n, "nearest_mode", "floor");
    glc_node_set_string(G, n, "coordinate_transformation_mode", "tf_crop_and_resize");
    refused(GLC_E_SHAPE, "Resize: tf_crop_and_resize needs roi of 8 values, got 0");
    glc_node_set_string(G, n, "coordinate_transformation_mode", "asymmetric");
    glc_node_set_ints(G, n, "axes", (int64_t[]){2, 2}, 2);
    refused(GLC_E_SHAPE, "Resize: axis 2 is out of range or repeated for rank 4");
}

static void test_lower_resize__refuses_bad_operands(void **state) {
    (void)state;
    operands both = {.ns = 4, .scales = {1, 1, 2, 2}, .nz = 4, .sizes = {1, 1, 4, 4}};
    resize_g(G, (int64_t[]){1, 1, 2, 2}, &both);
    refused(GLC_E_SHAPE, "Resize: exactly one of scales and sizes is needed");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 18;
    operands three = {.ns = 3, .scales = {1, 2, 2}};
    resize_g(G, (int64_t[]){1, 1, 2, 2}, &three);
    refused(GLC_E_SHAPE, "Resize: scales lists 3 values for 4 axes");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 18;
    operands neg = {.ns = 4, .scales = {1, 1, -2, 2}};
    resize_g(G, (int64_t[]){1, 1, 2, 2}, &neg);
    refused(GLC_E_SHAPE, "Resize: scale -2 of axis 2 must be positive");
}

static void test_lower_resize__refuses_run_time_scales_and_symbolic_aspect(void **state) {
    (void)state;
    glc_value_id in[3] = {cg_in(G, "x", GLC_DT_F32, 4, (int64_t[]){1, 1, 2, 2}), 0,
                          cg_in(G, "s", GLC_DT_F32, 1, (int64_t[]){4})};
    glc_graph_add_output(G, cg_node(G, GLC_OP_RESIZE, "resize", in, 3, NULL));
    refused(GLC_E_UNSUPPORTED, "Resize: input 2 'scales' must be a constant; bind graph input 's'");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 18;
    operands op = {.nz = 2, .sizes = {3, 5}};
    glc_dim h = glc_dim_symbol(G, "H");
    glc_node_id n = resize_g(G, (int64_t[]){1, 1, h, 2}, &op);
    glc_node_set_ints(G, n, "axes", (int64_t[]){2, 3}, 2);
    glc_node_set_string(G, n, "keep_aspect_ratio_policy", "not_smaller");
    refused(GLC_E_UNSUPPORTED, "Resize: keep_aspect_ratio_policy needs static sizes of axis 2");
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_lower_resize__linear_antialias_downscale),
        T(test_lower_resize__cubic_antialias_downscale),
        T(test_lower_resize__axes_and_keep_aspect_ratio_not_larger),
        T(test_lower_resize__one_axis_linear_antialias),
        T(test_lower_resize__half_pixel_symmetric_opset_19),
        T(test_lower_resize__upsample_7_attribute_scales),
        T(test_lower_resize__opset_10_nearest_downscale),
        T(test_lower_resize__symbolic_sizes_every_mode),
        T(test_lower_resize__sizes_from_a_symbolic_shape),
        T(test_lower_resize__refuses_bad_attributes),
        T(test_lower_resize__refuses_bad_operands),
        T(test_lower_resize__refuses_run_time_scales_and_symbolic_aspect),
#undef T
    };
    return cmocka_run_group_tests_name("codegen/resize", tests, cg_group_setup, cg_group_teardown);
}
