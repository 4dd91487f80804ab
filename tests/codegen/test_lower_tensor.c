/* test_lower_tensor.c -- the tensor family (Split, Slice, Squeeze, Unsqueeze, Gather,
 * Shape, Cast, Dropout, Pad, reductions, ArgMax, ArgMin) compiled to a shared object and
 * compared byte for byte with the reference interpreter on random data of every dtype
 * involved; the
 * infer-time folding of Shape -> Gather -> Concat -> Reshape with the folded Shape also a
 * graph output, through the pass pipeline; and `glc --bind` compiling an ONNX node test
 * whose static operands are graph inputs. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

#include <math.h>

#include "frontend.h"
#include "passes.h"

static glc_graph *G;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 13;
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

static glc_value_id i64s(const char *name, int n, const int64_t *v) {
    int64_t d[1] = {n};
    return glc_graph_add_const(G, name, GLC_DT_I64, 1, d, v);
}

static glc_value_id out_node(glc_op op, const char *name, const glc_value_id *in, int n_in,
                             glc_node_id *nid) {
    glc_value_id y = cg_node(G, op, name, in, n_in, nid);
    glc_graph_add_output(G, y);
    return y;
}

/* Random values of v's dtype; specials (NaN, inf, huge) salted into f32. */
static void fill(const glc_value *v, void *p, unsigned *seed) {
    static const float specials[6] = {NAN, INFINITY, -INFINITY, 3e9f, -3e9f, 1e20f};
    int64_t n = glc_value_numel(v);
    for (int64_t i = 0; i < n; i++) {
        double r = (double)rand_r(seed) / RAND_MAX * 8.0 - 4.0;
        int64_t k = (int64_t)(r * 40.0);
        switch (v->dtype) {
        case GLC_DT_F32:
            ((float *)p)[i] = i % 7 == 3 ? specials[(i / 7) % 6] : (float)r;
            break;
        case GLC_DT_F64:
            ((double *)p)[i] = r;
            break;
        case GLC_DT_BOOL:
            ((uint8_t *)p)[i] = k > 0;
            break;
        case GLC_DT_F16: { /* any bit pattern; NaNs made the quiet NaN of their sign */
            uint16_t h = (uint16_t)(i % 5 == 2 ? k * 1000003 : k * 97);
            if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) h = (h & 0x8000) | 0x7e00;
            ((uint16_t *)p)[i] = h;
            break;
        }
        case GLC_DT_BF16: { /* likewise (the interpreter's doubles quiet a signaling NaN) */
            uint16_t h = (uint16_t)(i % 5 == 2 ? k * 1000003 : k * 97);
            if ((h & 0x7f80) == 0x7f80 && (h & 0x7f)) h = (h & 0x8000) | 0x7fc0;
            ((uint16_t *)p)[i] = h;
            break;
        }
        default: {
            uint64_t bits = (uint64_t)(i % 5 == 2 ? k * 1000003 : k);
            memcpy((char *)p + i * glc_dtype_size(v->dtype), &bits, glc_dtype_size(v->dtype));
        }
        }
    }
}

/* Compiles G, runs it and the interpreter on in[] (random when NULL), compares bytes. */
/* Whether byte `at` lies in an f32 element that is NaN in both (a NaN's sign and payload
 * are not part of its value: vector and scalar code may give either). */
static bool same_nan(glc_dtype dt, const void *got, const void *want, size_t at) {
    if (dt != GLC_DT_F32) return false;
    float a, b;
    memcpy(&a, (const char *)got + at / 4 * 4, 4);
    memcpy(&b, (const char *)want + at / 4 * 4, 4);
    return isnan(a) && isnan(b);
}

static void check(const void *const *given, const char *file) {
    glc_rt_model *m = cg_compile(G, file);
    const glc_model_desc *md = glc_rt_model_desc(m);
    void *in[16] = {NULL}, *got[256], *want[256];
    unsigned seed = 99;
    for (uint32_t i = 0; i < G->n_inputs; i++) {
        const glc_value *v = &G->values[G->inputs[i]];
        in[i] = calloc(1, glc_value_nbytes(v) + 1);
        if (given && given[i])
            memcpy(in[i], given[i], glc_value_nbytes(v));
        else
            fill(v, in[i], &seed);
    }
    for (uint32_t i = 0; i < G->n_outputs; i++) {
        got[i] = calloc(1, glc_value_nbytes(&G->values[G->outputs[i]]) + 1);
        want[i] = calloc(1, glc_value_nbytes(&G->values[G->outputs[i]]) + 1);
    }
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_interp_run(G, (const void *const *)in, want, &d)) fail_msg("interp: %s", d.msg);
    void *ws = aligned_alloc(64, (md->workspace_size + 63) / 64 * 64 + 64);
    assert_int_equal(glc_rt_model_run(m, (const void *const *)in, NULL, got, ws, md->workspace_size),
                     GLC_RT_OK);
    for (uint32_t i = 0; i < G->n_outputs; i++) {
        const glc_value *v = &G->values[G->outputs[i]];
        size_t nb = glc_value_nbytes(v), at = 0;
        while (at < nb && (((char *)got[i])[at] == ((char *)want[i])[at] ||
                           same_nan(v->dtype, got[i], want[i], at)))
            at++;
        if (at < nb)
            fail_msg("output %u '%s' (%s) differs from the interpreter at byte %zu: %02x, want "
                     "%02x",
                     i, v->name, glc_dtype_name(v->dtype), at, ((unsigned char *)got[i])[at],
                     ((unsigned char *)want[i])[at]);
        free(got[i]);
        free(want[i]);
    }
    for (uint32_t i = 0; i < G->n_inputs; i++)
        free(in[i]);
    free(ws);
    glc_rt_model_close(m);
}

static void test_lower_tensor__slice_with_negative_steps_and_clamping(void **state) {
    (void)state;
    int64_t d[3] = {5, 7, 9}, di[2] = {4, 6};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, d), xi = cg_in(G, "xi", GLC_DT_I64, 2, di);
    glc_value_id a[5] = {
        x, i64s("s", 3, (int64_t[]){-1, 1, 100}), i64s("e", 3, (int64_t[]){-1000, 6, -100}),
        i64s("ax", 3, (int64_t[]){0, 1, 2}), i64s("st", 3, (int64_t[]){-2, 2, -3})};
    out_node(GLC_OP_SLICE, "s3", a, 5, NULL);
    glc_value_id b[4] = {xi, i64s("s2", 1, (int64_t[]){1}), i64s("e2", 1, (int64_t[]){5}),
                         i64s("a2", 1, (int64_t[]){-1})};
    out_node(GLC_OP_SLICE, "s2", b, 4, NULL);
    check(NULL, "slice.so");
}

static void test_lower_tensor__split_skips_unrequested_parts(void **state) {
    (void)state;
    int64_t d[3] = {3, 10, 4};
    glc_value_id in[2] = {cg_in(G, "x", GLC_DT_F32, 3, d), i64s("sp", 3, (int64_t[]){3, 5, 2})};
    glc_value_id out[3] = {glc_graph_add_value(G, "a", GLC_DT_UNDEF, 0, NULL), 0,
                           glc_graph_add_value(G, "c", GLC_DT_UNDEF, 0, NULL)};
    glc_node_id nid = glc_graph_add_node(G, GLC_OP_SPLIT, "split", in, 2, out, 3);
    glc_node_set_int(G, nid, "axis", -2);
    glc_graph_add_output(G, out[0]);
    glc_graph_add_output(G, out[2]);
    check(NULL, "split.so");
}

static void test_lower_tensor__squeeze_unsqueeze_and_gather(void **state) {
    (void)state;
    int64_t d[3] = {4, 1, 5}, di[2] = {2, 3}, dl[1] = {3};
    glc_value_id x = cg_in(G, "x", GLC_DT_I32, 3, d);
    glc_value_id sq[2] = {x, i64s("ax", 1, (int64_t[]){1})};
    glc_value_id s = out_node(GLC_OP_SQUEEZE, "sq", sq, 2, NULL);
    glc_value_id us[2] = {s, i64s("ax2", 2, (int64_t[]){0, 3})};
    out_node(GLC_OP_UNSQUEEZE, "us", us, 2, NULL);
    glc_value_id ga[2] = {s, cg_in(G, "idx", GLC_DT_I64, 2, di)};
    glc_node_id nid;
    out_node(GLC_OP_GATHER, "ga", ga, 2, &nid);
    glc_node_set_int(G, nid, "axis", 1);
    glc_value_id gb[2] = {x, cg_in(G, "idx32", GLC_DT_I32, 1, dl)};
    out_node(GLC_OP_GATHER, "gb", gb, 2, NULL);
    int64_t idx[6] = {0, -1, 4, -5, 2, 3};
    int32_t idx32[3] = {3, -4, 0};
    const void *given[3] = {NULL, idx, idx32};
    check(given, "gather.so");
}

/* Views (Reshape, Unsqueeze, Squeeze, Flatten) share their input's storage: of a
 * workspace value chained through four views, of a graph input, and a view that is a graph
 * output (copied into the caller's buffer). The workspace holds a and t only. (Exact ops
 * only: the comparison is bitwise.) */
static void test_lower_tensor__views_share_their_input_storage(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){2, 3, 4});
    glc_value_id a = cg_node(G, GLC_OP_RELU, "relu", &x, 1, NULL);
    glc_value_id r1[2] = {a, i64s("s64", 2, (int64_t[]){6, 4})};
    glc_value_id v1 = cg_node(G, GLC_OP_RESHAPE, "r1", r1, 2, NULL);
    glc_value_id u1[2] = {v1, i64s("ax0", 1, (int64_t[]){0})};
    glc_value_id v2 = cg_node(G, GLC_OP_UNSQUEEZE, "u1", u1, 2, NULL);
    glc_value_id s1[2] = {v2, i64s("ax0b", 1, (int64_t[]){0})};
    glc_value_id v3 = cg_node(G, GLC_OP_SQUEEZE, "s1", s1, 2, NULL);
    glc_value_id v4 = cg_node(G, GLC_OP_FLATTEN, "f1", &v3, 1, NULL);
    glc_value_id t = cg_node(G, GLC_OP_RELU, "relu2", &v4, 1, NULL);
    glc_value_id add[2] = {v4, t};
    out_node(GLC_OP_ADD, "add", add, 2, NULL);
    glc_value_id r2[2] = {x, i64s("s24", 1, (int64_t[]){24})};
    glc_value_id vx = cg_node(G, GLC_OP_RESHAPE, "rx", r2, 2, NULL);
    out_node(GLC_OP_RELU, "relu3", &vx, 1, NULL);
    glc_value_id r3[2] = {a, i64s("s46", 2, (int64_t[]){4, 6})};
    out_node(GLC_OP_RESHAPE, "rout", r3, 2, NULL);
    check(NULL, "views.so");
    glc_rt_model *m = cg_compile(G, "views2.so");
    assert_int_equal(glc_rt_model_desc(m)->workspace_size, 2 * 128); /* a and t, 96 B each */
    glc_rt_model_close(m);
}

static void test_lower_tensor__gather_writes_zeros_for_out_of_range_indices(void **state) {
    (void)state;
    int64_t d[2] = {2, 3}, di[1] = {3};
    glc_value_id ga[2] = {cg_in(G, "x", GLC_DT_F32, 2, d), cg_in(G, "i", GLC_DT_I64, 1, di)};
    glc_node_id nid;
    out_node(GLC_OP_GATHER, "ga", ga, 2, &nid);
    glc_node_set_int(G, nid, "axis", 1);
    glc_rt_model *m = cg_compile(G, "gather_oob.so");
    float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
    int64_t idx[3] = {-1, 3, -4};
    const void *in[2] = {x, idx};
    void *out[1] = {y};
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, NULL, 0), GLC_RT_OK);
    float want[6] = {3, 0, 0, 6, 0, 0};
    assert_memory_equal(y, want, sizeof want);
    glc_rt_model_close(m);
}

static void test_lower_tensor__shape_output_is_computed(void **state) {
    (void)state;
    int64_t d[4] = {2, 3, 4, 5};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, d);
    glc_node_id nid;
    out_node(GLC_OP_SHAPE, "shape", &x, 1, &nid);
    glc_node_set_int(G, nid, "start", 1);
    glc_node_set_int(G, nid, "end", -1);
    check(NULL, "shape.so");
}

static void test_lower_tensor__cast_between_every_supported_dtype(void **state) {
    (void)state;
    static const glc_dtype all[13] = {GLC_DT_F32, GLC_DT_F64, GLC_DT_BOOL, GLC_DT_I8,  GLC_DT_U8,
                                      GLC_DT_I16, GLC_DT_U16, GLC_DT_I32,  GLC_DT_U32, GLC_DT_I64,
                                      GLC_DT_U64, GLC_DT_F16, GLC_DT_BF16};
    int64_t d[1] = {29};
    for (int f = 0; f < 13; f++) {
        char name[32];
        snprintf(name, sizeof name, "x_%s", glc_dtype_name(all[f]));
        glc_value_id x = cg_in(G, name, all[f], 1, d);
        for (int t = 0; t < 13; t++) {
            snprintf(name, sizeof name, "%s_to_%s", glc_dtype_name(all[f]), glc_dtype_name(all[t]));
            glc_node_id nid;
            out_node(GLC_OP_CAST, name, &x, 1, &nid);
            glc_node_set_int(G, nid, "to", all[t]);
        }
    }
    check(NULL, "cast.so");
}

static void test_lower_tensor__dropout_copies_and_fills_masks(void **state) {
    (void)state;
    int64_t d[2] = {3, 7};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 2, d);
    glc_value_id out[2] = {glc_graph_add_value(G, "y", GLC_DT_UNDEF, 0, NULL),
                           glc_graph_add_value(G, "mask", GLC_DT_UNDEF, 0, NULL)};
    glc_graph_add_node(G, GLC_OP_DROPOUT, "do", &x, 1, out, 2);
    glc_graph_add_output(G, out[0]);
    glc_graph_add_output(G, out[1]);
    check(NULL, "dropout.so");
    teardown(NULL);
    setup(NULL);
    G->opset = 7; /* f32 mask, and only the mask requested */
    x = cg_in(G, "x", GLC_DT_F32, 2, d);
    glc_value_id out7[2] = {0, glc_graph_add_value(G, "mask", GLC_DT_UNDEF, 0, NULL)};
    glc_graph_add_node(G, GLC_OP_DROPOUT, "do", &x, 1, out7, 2);
    glc_graph_add_output(G, out7[1]);
    check(NULL, "dropout7.so");
}

static void pad_out(const char *mode, glc_value_id x, const int64_t *pads, int n, float value) {
    char name[32];
    snprintf(name, sizeof name, "pad_%s", mode);
    glc_value_id in[3] = {x, i64s(name, n, pads), 0};
    if (value != 0) in[2] = glc_graph_add_const(G, "v", GLC_DT_F32, 0, NULL, &value);
    glc_node_id nid;
    out_node(GLC_OP_PAD, name, in, value != 0 ? 3 : 2, &nid);
    glc_node_set_string(G, nid, "mode", mode);
}

static void test_lower_tensor__pad_in_every_mode_with_crops(void **state) {
    (void)state;
    int64_t d[3] = {2, 4, 5}, di[2] = {3, 2};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, d), xi = cg_in(G, "xi", GLC_DT_I32, 2, di);
    pad_out("constant", x, (int64_t[]){1, -1, 3, 0, 2, -2}, 6, 2.5f);
    pad_out("edge", x, (int64_t[]){0, 3, 7, 1, 0, 2}, 6, 0);
    pad_out("reflect", x, (int64_t[]){1, 9, 2, 0, 6, -1}, 6, 0);
    pad_out("wrap", x, (int64_t[]){0, 6, 11, 1, 2, 0}, 6, 0);
    glc_value_id in[2] = {xi, i64s("pi", 4, (int64_t[]){2, 1, 0, 3})};
    glc_node_id nid;
    out_node(GLC_OP_PAD, "pad_edge_i32", in, 2, &nid);
    glc_node_set_string(G, nid, "mode", "edge");
    check(NULL, "pad.so");
}

/* The reductions whose combine is one rounding (so the interpreter's double agrees bit for
 * bit), on data with NaNs and infinities, over axis sets. */
static void test_lower_tensor__reductions_over_axis_sets(void **state) {
    (void)state;
    int64_t d[4] = {3, 4, 5, 6};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, d);
    static const int64_t sets[4][3] = {{3, 0, 0}, {0, 2, 0}, {-3, -1, 0}, {0, 1, 2}};
    static const int counts[4] = {1, 2, 2, 3};
    static const glc_op ops[4] = {GLC_OP_REDUCEMEAN, GLC_OP_REDUCEMAX, GLC_OP_REDUCEMIN,
                                  GLC_OP_REDUCEL1};
    for (int j = 0; j < 4; j++)
        for (int k = 0; k < 4; k++) {
            char name[32];
            snprintf(name, sizeof name, "%s%d", glc_op_name(ops[j]), k);
            glc_node_id nid;
            out_node(ops[j], name, &x, 1, &nid);
            glc_node_set_ints(G, nid, "axes", sets[k], (uint32_t)counts[k]);
            glc_node_set_int(G, nid, "keepdims", k % 2);
        }
    out_node(GLC_OP_REDUCEMEAN, "rm_all", &x, 1, NULL);
    out_node(GLC_OP_REDUCEPROD, "rp_all", &x, 1, NULL);
    check(NULL, "reductions.so");
}

/* ArgMax and ArgMin along every axis, first and last index, on f32 with NaNs and
 * infinities and on small integers (many ties). */
static void test_lower_tensor__argmax_argmin_on_every_axis(void **state) {
    (void)state;
    static const glc_dtype dts[4] = {GLC_DT_F32, GLC_DT_I8, GLC_DT_U8, GLC_DT_I64};
    for (int t = 0; t < 4; t++) {
        char name[32];
        snprintf(name, sizeof name, "x%d", t);
        glc_value_id x = cg_in(G, name, dts[t], 3, (int64_t[]){3, 4, 5});
        for (int k = 0; k < 12; k++) {
            snprintf(name, sizeof name, "a%d_%d", t, k);
            glc_node_id nid;
            out_node(k % 2 ? GLC_OP_ARGMIN : GLC_OP_ARGMAX, name, &x, 1, &nid);
            glc_node_set_int(G, nid, "axis", k / 4 - (k % 4 == 3 ? 3 : 0));
            glc_node_set_int(G, nid, "select_last_index", (k / 2) % 2);
            glc_node_set_int(G, nid, "keepdims", k % 3 != 0);
        }
    }
    check(NULL, "argext.so");
}

/* x -> Shape (a graph output too) -> Gather [0] -> Concat [-1] -> Reshape(x, .). After
 * inference and the pipeline the Shape output is a constant graph output. */
static void test_lower_tensor__folded_shape_chain_compiles_with_a_constant_output(void **state) {
    (void)state;
    int64_t d[3] = {2, 3, 4}, one[1] = {1};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, d);
    glc_value_id shp = out_node(GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_value_id gin[2] = {shp, glc_graph_add_const(G, "zero", GLC_DT_I64, 1, one, (int64_t[]){0})};
    glc_value_id g0 = cg_node(G, GLC_OP_GATHER, "gather", gin, 2, NULL);
    glc_node_id cid;
    glc_value_id cin[2] = {g0, i64s("minus1", 1, (int64_t[]){-1})};
    glc_value_id s = cg_node(G, GLC_OP_CONCAT, "concat", cin, 2, &cid);
    glc_node_set_int(G, cid, "axis", 0);
    glc_value_id rin[2] = {x, s};
    out_node(GLC_OP_RESHAPE, "reshape", rin, 2, NULL);
    glc_diag d0;
    memset(&d0, 0, sizeof d0);
    glc_pipeline_options po = {.verify_each = true};
    if (glc_infer_shapes(G, &d0) || glc_run_pipeline(G, &po, &d0)) fail_msg("%s", d0.msg);
    shp = G->outputs[0];
    assert_non_null(G->values[shp].data);
    assert_int_equal(G->values[shp].producer, GLC_NO_NODE);
    glc_rt_model *m = cg_compile(G, "fold.so");
    float xv[24], y[24];
    int64_t sv[3] = {0};
    for (int i = 0; i < 24; i++)
        xv[i] = (float)i * 0.5f;
    const void *in[1] = {xv};
    void *out[2] = {sv, y};
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, NULL, 0), GLC_RT_OK);
    assert_true(sv[0] == 2 && sv[1] == 3 && sv[2] == 4);
    assert_memory_equal(y, xv, sizeof xv);
    const glc_model_desc *md = glc_rt_model_desc(m);
    assert_true(md->outputs[1].rank == 2 && md->outputs[1].dims[0] == 2 &&
                md->outputs[1].dims[1] == 12);
    glc_rt_model_close(m);
}

/* `glc test_slice/model.onnx --bind starts=.. --bind ends=.. ...` then the compiled model
 * on the test's input reproduces its output. */
static void test_lower_tensor__driver_binds_static_operands(void **state) {
    (void)state;
    const char *dir = "/usr/share/libonnx-testdata/data/node/test_slice";
    static const char *names[5] = {"x", "starts", "ends", "axes", "steps"};
    char path[1024], cmd[4096], so[700];
    glc_host_tensor t[5], want;
    glc_diag d;
    memset(&d, 0, sizeof d);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (access(path, R_OK) != 0) skip();
    snprintf(so, sizeof so, "%s/bound.so", cg_tmpdir);
    int k = snprintf(cmd, sizeof cmd, "%s %s -o %s", GLC_DRIVER, path, so);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, i);
        char *tname = NULL;
        if (glc_tensorproto_read(path, &t[i], &tname, &d)) fail_msg("%s", d.msg);
        free(tname);
        if (i == 0) continue;
        snprintf(path, sizeof path, "%s/%s.npy", cg_tmpdir, names[i]);
        if (glc_npy_write(path, &t[i], &d)) fail_msg("%s", d.msg);
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " --bind %s=%s", names[i], path);
    }
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/test_data_set_0/output_0.pb", dir);
    char *wname = NULL;
    if (glc_tensorproto_read(path, &want, &wname, &d)) fail_msg("%s", d.msg);
    free(wname);
    glc_rt_model *m = NULL;
    char err[256];
    if (glc_rt_model_open(so, NULL, &m, err, sizeof err)) fail_msg("open: %s", err);
    assert_int_equal(glc_rt_model_desc(m)->n_inputs, 1); /* only x is left */
    void *y = calloc(1, want.nbytes + 1);
    const void *in[1] = {t[0].data};
    void *out[1] = {y};
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, NULL, 0), GLC_RT_OK);
    assert_memory_equal(y, want.data, want.nbytes);
    free(y);
    glc_rt_model_close(m);
    glc_host_tensor_fini(&want);
    for (int i = 0; i < 5; i++)
        glc_host_tensor_fini(&t[i]);
}

/* ---- symbolic dims: one model run at several sizes (cg_check_symbolic) ------------- */

static glc_value_id ints_g(glc_graph *g, const char *name, int n, const int64_t *v) {
    int64_t d[1] = {n};
    return glc_graph_add_const(g, name, GLC_DT_I64, 1, d, v);
}

static glc_value_id out_g(glc_graph *g, glc_op op, const char *name, const glc_value_id *in,
                          int n_in, glc_node_id *nid) {
    glc_value_id y = cg_node(g, op, name, in, n_in, nid);
    glc_graph_add_output(g, y);
    return y;
}

/* x (N, T, 6): a slice with clamped and backward axes (empty when N = 1), T split in
 * halves, and the static axis split 1 + 5. */
static void build_slice_split(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){v[0], v[1], 6});
    glc_value_id a[5] = {x, ints_g(g, "s", 3, (int64_t[]){1, -1, 100}),
                         ints_g(g, "e", 3, (int64_t[]){INT64_MAX, -1000, -100}),
                         ints_g(g, "ax", 3, (int64_t[]){0, 1, 2}),
                         ints_g(g, "st", 3, (int64_t[]){1, -2, -3})};
    out_g(g, GLC_OP_SLICE, "slice", a, 5, NULL);
    glc_value_id h[2] = {glc_graph_add_value(g, "h0", GLC_DT_UNDEF, 0, NULL),
                         glc_graph_add_value(g, "h1", GLC_DT_UNDEF, 0, NULL)};
    glc_node_set_int(g, glc_graph_add_node(g, GLC_OP_SPLIT, "halves", &x, 1, h, 2), "axis", 1);
    glc_value_id p[2] = {glc_graph_add_value(g, "p0", GLC_DT_UNDEF, 0, NULL),
                         glc_graph_add_value(g, "p1", GLC_DT_UNDEF, 0, NULL)};
    glc_value_id in[2] = {x, ints_g(g, "sp", 2, (int64_t[]){1, 5})};
    glc_node_set_int(g, glc_graph_add_node(g, GLC_OP_SPLIT, "parts", in, 2, p, 2), "axis", -1);
    for (int k = 0; k < 2; k++) {
        glc_graph_add_output(g, h[k]);
        glc_graph_add_output(g, p[k]);
    }
}

static void test_lower_tensor__symbolic_slice_and_split_at_two_sizes(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "T"};
    static const int64_t sizes[3][2] = {{1, 2}, {3, 8}, {5, 6}};
    cg_check_symbolic(build_slice_split, 13, 2, names, sizes[0], 3, fill, "sym_slice.so");
}

/* x (N, 1, T) i32 squeezed, unsqueezed, gathered along T with run-time indices (K) and
 * along N with i32 ones; Shape of x from axis 1. */
static void build_gather(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_I32, 3, (int64_t[]){v[0], 1, v[1]});
    glc_value_id sq[2] = {x, ints_g(g, "ax", 1, (int64_t[]){1})};
    glc_value_id s = out_g(g, GLC_OP_SQUEEZE, "sq", sq, 2, NULL);
    glc_value_id us[2] = {s, ints_g(g, "ax2", 2, (int64_t[]){0, 3})};
    out_g(g, GLC_OP_UNSQUEEZE, "us", us, 2, NULL);
    glc_value_id ga[2] = {s, cg_in(g, "idx", GLC_DT_I64, 2, (int64_t[]){v[2], 3})};
    glc_node_id nid;
    out_g(g, GLC_OP_GATHER, "ga", ga, 2, &nid);
    glc_node_set_int(g, nid, "axis", 1);
    glc_value_id gb[2] = {x, cg_in(g, "idx32", GLC_DT_I32, 1, (int64_t[]){v[2]})};
    out_g(g, GLC_OP_GATHER, "gb", gb, 2, NULL);
    out_g(g, GLC_OP_SHAPE, "shape", &x, 1, &nid);
    glc_node_set_int(g, nid, "start", 1);
}

static void test_lower_tensor__symbolic_gather_squeeze_and_shape_at_two_sizes(void **state) {
    (void)state;
    static const char *const names[3] = {"N", "T", "K"};
    static const int64_t sizes[2][3] = {{7, 7, 3}, {9, 12, 1}}; /* cg_fill: indices in [-6, 6] */
    cg_check_symbolic(build_gather, 13, 3, names, sizes[0], 2, NULL, "sym_gather.so");
}

static void pad_g(glc_graph *g, const char *mode, glc_value_id x, const int64_t *pads) {
    char name[32];
    snprintf(name, sizeof name, "pad_%s", mode);
    float value = 2.5f;
    glc_value_id in[3] = {x, ints_g(g, name, 6, pads),
                          glc_graph_add_const(g, "v", GLC_DT_F32, 0, NULL, &value)};
    glc_node_id nid;
    out_g(g, GLC_OP_PAD, name, in, strcmp(mode, "constant") ? 2 : 3, &nid);
    glc_node_set_string(g, nid, "mode", mode);
}

/* x (N, T, 3): Cast, Dropout with its mask, Pad in every mode (and of x without its first
 * row, empty when N = 1), reductions over axis sets (over N x T elements: an empty
 * reduction never happens here, N and T being at least 1). */
static void build_elementwise(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){v[0], v[1], 3});
    glc_node_id nid;
    out_g(g, GLC_OP_CAST, "cast", &x, 1, &nid);
    glc_node_set_int(g, nid, "to", GLC_DT_I32);
    glc_value_id dm[2] = {glc_graph_add_value(g, "y", GLC_DT_UNDEF, 0, NULL),
                          glc_graph_add_value(g, "mask", GLC_DT_UNDEF, 0, NULL)};
    glc_graph_add_node(g, GLC_OP_DROPOUT, "do", &x, 1, dm, 2);
    glc_graph_add_output(g, dm[0]);
    glc_graph_add_output(g, dm[1]);
    pad_g(g, "constant", x, (int64_t[]){1, 0, -1, 0, 2, 1});
    pad_g(g, "edge", x, (int64_t[]){1, 1, 1, 1, 1, 1});
    pad_g(g, "reflect", x, (int64_t[]){2, 1, 0, 1, 3, 0});
    pad_g(g, "wrap", x, (int64_t[]){0, 3, 2, 1, 0, 4});
    glc_value_id sl[3] = {x, ints_g(g, "s1", 1, (int64_t[]){1}),
                          ints_g(g, "e1", 1, (int64_t[]){INT64_MAX})};
    glc_value_id rest = cg_node(g, GLC_OP_SLICE, "rest", sl, 3, NULL);
    glc_value_id pin[2] = {rest, ints_g(g, "prest", 6, (int64_t[]){0, 1, 0, 1, 0, 0})};
    out_g(g, GLC_OP_PAD, "pad_rest", pin, 2, NULL);
    static const int64_t sets[3][2] = {{1, 0}, {0, 2}, {-1, 0}};
    static const glc_op ops[2] = {GLC_OP_REDUCEMEAN, GLC_OP_REDUCEMAX};
    for (int k = 0; k < 6; k++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", k);
        out_g(g, ops[k / 3], name, &x, 1, &nid);
        glc_node_set_ints(g, nid, "axes", sets[k % 3], k % 3 == 1 ? 2 : 1);
        glc_node_set_int(g, nid, "keepdims", k % 2);
    }
    out_g(g, GLC_OP_REDUCEMEAN, "rm_all", &x, 1, NULL);
    out_g(g, GLC_OP_REDUCEPROD, "rp_all", &x, 1, NULL); /* 15 outputs: CG_SYM_MAX_IO is 16 */
}

static void test_lower_tensor__symbolic_cast_dropout_pad_reductions_at_two_sizes(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "T"};
    static const int64_t sizes[3][2] = {{1, 1}, {3, 5}, {4, 2}};
    cg_check_symbolic(build_elementwise, 13, 2, names, sizes[0], 3, fill, "sym_elem.so");
}

static void build_argext(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){v[0], v[1], 3});
    for (int k = 0; k < 6; k++) {
        char name[16];
        snprintf(name, sizeof name, "a%d", k);
        glc_node_id nid;
        out_g(g, k % 2 ? GLC_OP_ARGMIN : GLC_OP_ARGMAX, name, &x, 1, &nid);
        glc_node_set_int(g, nid, "axis", k / 2);
        glc_node_set_int(g, nid, "select_last_index", k / 3);
        glc_node_set_int(g, nid, "keepdims", k % 3 == 1);
    }
}

static void test_lower_tensor__symbolic_argmax_argmin_at_two_sizes(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "T"};
    static const int64_t sizes[3][2] = {{1, 1}, {3, 5}, {4, 2}};
    cg_check_symbolic(build_argext, 13, 2, names, sizes[0], 3, fill, "sym_argext.so");
}

/* GatherElements and ScatterElements (every reduction, duplicates included) along each
 * axis, with negative indices, against the interpreter. */
static void test_lower_tensor__gather_and_scatter_elements_on_every_axis(void **state) {
    (void)state;
    static const char *const reds[5] = {"none", "add", "mul", "max", "min"};
    int64_t d[3] = {3, 4, 5}, di[3] = {2, 3, 4}, idx[3][24];
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, d);
    const void *given[8] = {NULL};
    for (int ax = 0; ax < 3; ax++) {
        char name[32];
        snprintf(name, sizeof name, "i%d", ax);
        glc_value_id in[3] = {x, cg_in(G, name, GLC_DT_I64, 3, di)};
        snprintf(name, sizeof name, "u%d", ax);
        in[2] = cg_in(G, name, GLC_DT_F32, 3, di);
        for (int k = 0; k < 24; k++) /* in [-d, d): negatives and repeats */
            idx[ax][k] = (k * 7) % (2 * d[ax]) - d[ax];
        given[1 + 2 * ax] = idx[ax];
        glc_node_id nid;
        snprintf(name, sizeof name, "ge%d", ax);
        out_node(GLC_OP_GATHERELEMENTS, name, in, 2, &nid);
        glc_node_set_int(G, nid, "axis", ax - (ax == 2 ? 3 : 0));
        for (int r = 0; r < 5; r++) {
            snprintf(name, sizeof name, "se%d_%d", ax, r);
            out_node(GLC_OP_SCATTERELEMENTS, name, in, 3, &nid);
            glc_node_set_int(G, nid, "axis", ax);
            glc_node_set_string(G, nid, "reduction", reds[r]);
        }
    }
    check(given, "elements.so");
}

/* The normalisations (LayerNormalization with its statistics outputs on two axes,
 * InstanceNormalization, MeanVarianceNormalization) against the interpreter; both
 * accumulate in f64 in the same order, so they agree bit for bit. */
static void test_lower_tensor__normalisations_match_the_interpreter(void **state) {
    (void)state;
    int64_t d[4] = {2, 3, 4, 5}, dc[1] = {3}, dl[2] = {4, 5};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, d), sc = cg_in(G, "sc", GLC_DT_F32, 1, dc);
    glc_value_id b = cg_in(G, "b", GLC_DT_F32, 1, dc), sl = cg_in(G, "sl", GLC_DT_F32, 2, dl);
    glc_value_id bl = cg_in(G, "bl", GLC_DT_F32, 1, dl + 1);
    glc_node_id nid;
    glc_value_id in[3] = {x, sl, bl};
    for (int k = 0; k < 2; k++) {
        char name[16];
        snprintf(name, sizeof name, "ln%d", k);
        glc_value_id outs[3];
        for (int j = 0; j < 3; j++) {
            char vn[24];
            snprintf(vn, sizeof vn, "%s_%d", name, j);
            outs[j] = glc_graph_add_value(G, vn, GLC_DT_UNDEF, 0, NULL);
        }
        nid = glc_graph_add_node(G, GLC_OP_LAYERNORM, name, in, 3 - k, outs, 3);
        glc_node_set_int(G, nid, "axis", -2);
        glc_node_set_float(G, nid, "epsilon", 0.5f);
        for (int j = 0; j < 3; j++)
            glc_graph_add_output(G, outs[j]);
    }
    out_node(GLC_OP_INSTANCENORM, "in", (glc_value_id[]){x, sc, b}, 3, NULL);
    out_node(GLC_OP_MVN, "mvn", &x, 1, &nid);
    glc_node_set_ints(G, nid, "axes", (int64_t[]){1, 3}, 2);
    check(NULL, "norms.so");
}

/* Trilu (upper and lower, k from an input and absent) on batches of rectangular matrices
 * and EyeLike off the main diagonal in two dtypes, against the interpreter. */
static void test_lower_tensor__trilu_and_eyelike_select_by_diagonal(void **state) {
    (void)state;
    int64_t d[4] = {2, 3, 4, 6}, one = 1, k = -1;
    glc_value_id x = cg_in(G, "x", GLC_DT_I16, 4, d), kv = cg_in(G, "k", GLC_DT_I64, 1, &one);
    const void *given[3] = {NULL, &k, NULL};
    glc_node_id nid;
    for (int j = 0; j < 4; j++) {
        char name[16];
        snprintf(name, sizeof name, "tri%d", j);
        out_node(GLC_OP_TRILU, name, (glc_value_id[]){x, kv}, 1 + j % 2, &nid);
        glc_node_set_int(G, nid, "upper", j / 2);
    }
    glc_value_id m = cg_in(G, "m", GLC_DT_F32, 2, d + 2);
    out_node(GLC_OP_EYELIKE, "eye0", &m, 1, &nid);
    glc_node_set_int(G, nid, "k", 2);
    out_node(GLC_OP_EYELIKE, "eye1", &m, 1, &nid);
    glc_node_set_int(G, nid, "k", -3);
    glc_node_set_int(G, nid, "dtype", GLC_DT_I32);
    check(given, "diagonal.so");
}

/* Hardmax on every axis, and CumSum (every reverse/exclusive pair) on f32, i8 and i64
 * along a middle axis, against the interpreter. */
static void test_lower_tensor__hardmax_and_cumsum_along_an_axis(void **state) {
    (void)state;
    static const glc_dtype dts[3] = {GLC_DT_F32, GLC_DT_I8, GLC_DT_I64};
    int64_t d[3] = {3, 4, 5}, one = 1;
    glc_node_id nid;
    for (int t = 0; t < 3; t++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", t);
        glc_value_id x = cg_in(G, name, dts[t], 3, d);
        snprintf(name, sizeof name, "ax%d", t);
        glc_value_id ax = glc_graph_add_const(G, name, GLC_DT_I64, 1, &one, (int64_t[]){t - 2});
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "cs%d_%d", t, k);
            out_node(GLC_OP_CUMSUM, name, (glc_value_id[]){x, ax}, 2, &nid);
            glc_node_set_int(G, nid, "reverse", k / 2);
            glc_node_set_int(G, nid, "exclusive", k % 2);
        }
        if (t) continue;
        for (int a = -1; a < 3; a++) {
            snprintf(name, sizeof name, "hm%d", a + 1);
            out_node(GLC_OP_HARDMAX, name, &x, 1, &nid);
            glc_node_set_int(G, nid, "axis", a);
        }
    }
    check(NULL, "axis_ops.so");
}

/* Range in f32 (fractional delta) and i32 (negative delta, an empty one), and the windows
 * (periodic and symmetric, f32 and f64), against the interpreter; their sizes come from
 * constant operands. */
static void test_lower_tensor__range_counts_from_constant_operands(void **state) {
    (void)state;
    static const float fv[3] = {0.5f, 7.25f, 0.75f};
    static const int32_t iv[2][3] = {{10, -7, -3}, {1, 5, -1}};
    glc_value_id f[3], in[3];
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", k);
        f[k] = glc_graph_add_const(G, name, GLC_DT_F32, 0, NULL, &fv[k]);
    }
    out_node(GLC_OP_RANGE, "rf", f, 3, NULL);
    for (int j = 0; j < 2; j++) {
        for (int k = 0; k < 3; k++) {
            char name[16];
            snprintf(name, sizeof name, "i%d_%d", j, k);
            in[k] = glc_graph_add_const(G, name, GLC_DT_I32, 0, NULL, &iv[j][k]);
        }
        out_node(GLC_OP_RANGE, j ? "ri1" : "ri0", in, 3, NULL);
    }
    static const glc_op wins[3] = {GLC_OP_HANNWINDOW, GLC_OP_HAMMINGWINDOW, GLC_OP_BLACKMANWINDOW};
    glc_value_id size = glc_graph_add_const(G, "size", GLC_DT_I32, 0, NULL, (int32_t[]){7});
    for (int k = 0; k < 6; k++) {
        char name[16];
        glc_node_id nid;
        snprintf(name, sizeof name, "win%d", k);
        out_node(wins[k % 3], name, &size, 1, &nid);
        glc_node_set_int(G, nid, "periodic", k / 3);
        if (k == 4) glc_node_set_int(G, nid, "output_datatype", GLC_DT_F64);
    }
    check(NULL, "range.so");
}

/* The new ops that take no index data, with symbolic N and C (a multiple of 4): Expand, Tile,
 * DepthToSpace (both modes), SpaceToDepth, Trilu, CumSum, Hardmax, LayerNormalization, MVN,
 * LRN. */
static void build_new_ops(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 4, (int64_t[]){v[0], v[1], 4, 6});
    glc_value_id e = cg_in(g, "e", GLC_DT_I32, 2, (int64_t[]){v[0], 1});
    glc_node_id nid;
    out_g(g, GLC_OP_EXPAND, "expand", (glc_value_id[]){e, ints_g(g, "es", 3, (int64_t[]){2, 1, 5})},
          2, NULL);
    out_g(g, GLC_OP_TILE, "tile", (glc_value_id[]){x, ints_g(g, "rep", 4, (int64_t[]){2, 1, 1, 3})},
          2, NULL);
    for (int k = 0; k < 3; k++) {
        static const char *const names[3] = {"d2s_dcr", "d2s_crd", "s2d"};
        out_g(g, k < 2 ? GLC_OP_DEPTHTOSPACE : GLC_OP_SPACETODEPTH, names[k], &x, 1, &nid);
        glc_node_set_int(g, nid, "blocksize", 2);
        if (k < 2) glc_node_set_string(g, nid, "mode", k ? "CRD" : "DCR");
    }
    out_g(g, GLC_OP_TRILU, "trilu", &x, 1, &nid);
    glc_node_set_int(g, nid, "upper", 0);
    out_g(g, GLC_OP_CUMSUM, "cumsum", (glc_value_id[]){x, ints_g(g, "ax", 1, (int64_t[]){1})}, 2,
          &nid);
    glc_node_set_int(g, nid, "reverse", 1);
    out_g(g, GLC_OP_HARDMAX, "hardmax", &x, 1, &nid);
    glc_node_set_int(g, nid, "axis", 1);
    glc_value_id sc = cg_in(g, "sc", GLC_DT_F32, 2, (int64_t[]){4, 6});
    out_g(g, GLC_OP_LAYERNORM, "ln", (glc_value_id[]){x, sc}, 2, &nid);
    glc_node_set_int(g, nid, "axis", 2);
    out_g(g, GLC_OP_MVN, "mvn", &x, 1, NULL);
    for (int k = 0; k < 2; k++) {
        out_g(g, GLC_OP_LRN, k ? "lrn4" : "lrn3", &x, 1, &nid);
        glc_node_set_int(g, nid, "size", 3 + k);
        glc_node_set_float(g, nid, "beta", 0.6f);
    }
}

/* fill without NaNs and infinities: statistics over them are NaNs whose sign bit the
 * interpreter's doubles and the compiled floats need not agree on. */
static void fill_finite(const glc_value *v, void *p, unsigned *seed) {
    fill(v, p, seed);
    for (int64_t i = 0, n = glc_value_numel(v); v->dtype == GLC_DT_F32 && i < n; i++)
        if (!isfinite(((float *)p)[i])) ((float *)p)[i] = 0.5f;
}

static void test_lower_tensor__symbolic_new_ops_at_three_sizes(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "C"};
    static const int64_t sizes[3][2] = {{1, 4}, {3, 8}, {2, 12}};
    cg_check_symbolic(build_new_ops, 13, 2, names, sizes[0], 3, fill_finite, "sym_new.so");
}

/* Tile whose repeats are computed from x's symbolic shape, as exporters tile an initial
 * state over the batch: h (1, 1, 5) by Concat(Shape(x)[0:2], [1]) = (N, C, 1), and x
 * (N, C, 4, 6) by Concat([2], Shape(x)[0:1], [1, 1]) = (2, N, 1, 1). */
static void build_tile_shape_repeats(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 4, (int64_t[]){v[0], v[1], 4, 6});
    glc_value_id h = cg_in(g, "h", GLC_DT_F32, 3, (int64_t[]){1, 1, 5});
    glc_value_id shp = cg_node(g, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_value_id nc = cg_node(g, GLC_OP_SLICE, "nc",
                              (glc_value_id[]){shp, ints_g(g, "s0", 1, (int64_t[]){0}),
                                               ints_g(g, "e2", 1, (int64_t[]){2})},
                              3, NULL);
    glc_value_id n = cg_node(g, GLC_OP_SLICE, "n",
                             (glc_value_id[]){shp, ints_g(g, "s0b", 1, (int64_t[]){0}),
                                              ints_g(g, "e1", 1, (int64_t[]){1})},
                             3, NULL);
    glc_node_id cid;
    glc_value_id rep_h = cg_node(
        g, GLC_OP_CONCAT, "rep_h", (glc_value_id[]){nc, ints_g(g, "one", 1, (int64_t[]){1})}, 2,
        &cid);
    glc_node_set_int(g, cid, "axis", 0);
    glc_value_id rep_x = cg_node(g, GLC_OP_CONCAT, "rep_x",
                                 (glc_value_id[]){ints_g(g, "two", 1, (int64_t[]){2}), n,
                                                  ints_g(g, "ones", 2, (int64_t[]){1, 1})},
                                 3, &cid);
    glc_node_set_int(g, cid, "axis", 0);
    out_g(g, GLC_OP_TILE, "tile_h", (glc_value_id[]){h, rep_h}, 2, NULL);
    out_g(g, GLC_OP_TILE, "tile_x", (glc_value_id[]){x, rep_x}, 2, NULL);
}

static void test_lower_tensor__tile_with_repeats_from_a_symbolic_shape(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "C"};
    static const int64_t sizes[3][2] = {{1, 1}, {3, 2}, {2, 5}};
    cg_check_symbolic(build_tile_shape_repeats, 13, 2, names, sizes[0], 3, fill_finite,
                      "sym_tile.so");
}

static glc_value_id concat0(glc_graph *g, const char *name, const glc_value_id *in, int n_in) {
    glc_node_id cid;
    glc_value_id y = cg_node(g, GLC_OP_CONCAT, name, in, n_in, &cid);
    glc_node_set_int(g, cid, "axis", 0);
    return y;
}

/* Shape arithmetic that tf2onnx and PyTorch write, on x (N, C, 4, 6)'s symbolic dims:
 * Reshape(x, [ReduceProd(Shape(x)[0:2]), -1]) = (N*C, 24), and e (1, 3) expanded to
 * (Max(N, 2), 3) and (Min(C, 3), 3). */
static void build_shape_reductions(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 4, (int64_t[]){v[0], v[1], 4, 6});
    glc_value_id e = cg_in(g, "e", GLC_DT_F32, 2, (int64_t[]){1, 3});
    glc_value_id shp = cg_node(g, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_value_id nc = cg_node(g, GLC_OP_SLICE, "nc",
                              (glc_value_id[]){shp, ints_g(g, "s0", 1, (int64_t[]){0}),
                                               ints_g(g, "e2", 1, (int64_t[]){2})},
                              3, NULL);
    glc_value_id n = cg_node(g, GLC_OP_SLICE, "n",
                             (glc_value_id[]){shp, ints_g(g, "s0b", 1, (int64_t[]){0}),
                                              ints_g(g, "e1", 1, (int64_t[]){1})},
                             3, NULL);
    glc_value_id c = cg_node(g, GLC_OP_SLICE, "c",
                             (glc_value_id[]){shp, ints_g(g, "s1", 1, (int64_t[]){1}),
                                              ints_g(g, "e2b", 1, (int64_t[]){2})},
                             3, NULL);
    glc_value_id prod = cg_node(g, GLC_OP_REDUCEPROD, "prod", &nc, 1, NULL);
    glc_value_id three = ints_g(g, "three", 1, (int64_t[]){3});
    glc_value_id m1 = ints_g(g, "m1", 1, (int64_t[]){-1});
    glc_value_id flat = concat0(g, "flat", (glc_value_id[]){prod, m1}, 2);
    glc_value_id hi = cg_node(g, GLC_OP_MAX, "hi",
                              (glc_value_id[]){n, ints_g(g, "two", 1, (int64_t[]){2})}, 2, NULL);
    glc_value_id lo = cg_node(g, GLC_OP_MIN, "lo", (glc_value_id[]){c, three}, 2, NULL);
    out_g(g, GLC_OP_RESHAPE, "flat_x", (glc_value_id[]){x, flat}, 2, NULL);
    out_g(g, GLC_OP_EXPAND, "e_max",
          (glc_value_id[]){e, concat0(g, "smax", (glc_value_id[]){hi, three}, 2)}, 2, NULL);
    out_g(g, GLC_OP_EXPAND, "e_min",
          (glc_value_id[]){e, concat0(g, "smin", (glc_value_id[]){lo, three}, 2)}, 2, NULL);
}

static void test_lower_tensor__reduceprod_max_min_of_symbolic_shapes(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "C"};
    static const int64_t sizes[3][2] = {{1, 1}, {3, 2}, {2, 5}};
    cg_check_symbolic(build_shape_reductions, 13, 2, names, sizes[0], 3, fill_finite,
                      "sym_shape_red.so");
}

/* PyTorch's x.expand(-1, T, -1) on e (N, 1, 3) with T = x's symbolic dim 1: the shape is
 * Where(Equal(s, -1), 1, s) for s = [-1, T, -1] (the Where keeps T, the ones broadcast), then
 * Expand; and Equal(T, T) picks [N, T] from two shapes, as a shape for a Reshape. */
static void build_expand_minus_one(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){v[0], v[1], 2});
    glc_value_id e = cg_in(g, "e", GLC_DT_F32, 3, (int64_t[]){v[0], 1, 3});
    glc_value_id shp = cg_node(g, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_value_id t = cg_node(g, GLC_OP_SLICE, "t",
                             (glc_value_id[]){shp, ints_g(g, "s1", 1, (int64_t[]){1}),
                                              ints_g(g, "e2", 1, (int64_t[]){2})},
                             3, NULL);
    glc_value_id m1 = ints_g(g, "m1", 1, (int64_t[]){-1});
    glc_value_id s = concat0(g, "s", (glc_value_id[]){m1, t, m1}, 3);
    glc_value_id eq = cg_node(g, GLC_OP_EQUAL, "eq", (glc_value_id[]){s, m1}, 2, NULL);
    glc_value_id ones = ints_g(g, "ones", 3, (int64_t[]){1, 1, 1});
    glc_value_id w = cg_node(g, GLC_OP_WHERE, "w", (glc_value_id[]){eq, ones, s}, 3, NULL);
    out_g(g, GLC_OP_EXPAND, "e_t", (glc_value_id[]){e, w}, 2, NULL);
    glc_value_id same = cg_node(g, GLC_OP_EQUAL, "same", (glc_value_id[]){t, t}, 2, NULL);
    glc_value_id nt = cg_node(g, GLC_OP_SLICE, "nt",
                              (glc_value_id[]){shp, ints_g(g, "s0", 1, (int64_t[]){0}),
                                               ints_g(g, "e2b", 1, (int64_t[]){2})},
                              3, NULL);
    glc_value_id other = ints_g(g, "other", 2, (int64_t[]){-1, 1});
    glc_value_id pick = cg_node(g, GLC_OP_WHERE, "pick", (glc_value_id[]){same, nt, other}, 3,
                                NULL);
    glc_value_id flat = cg_node(g, GLC_OP_REDUCEPROD, "flat", &nt, 1, NULL);
    glc_value_id x2 = cg_node(g, GLC_OP_RESHAPE, "x2",
                              (glc_value_id[]){x, concat0(g, "s2", (glc_value_id[]){flat,
                                               ints_g(g, "two", 1, (int64_t[]){2})}, 2)},
                              2, NULL);
    out_g(g, GLC_OP_RESHAPE, "x_nt", (glc_value_id[]){x2, concat0(g, "s3", (glc_value_id[]){pick,
          ints_g(g, "two_b", 1, (int64_t[]){2})}, 2)}, 2, NULL);
}

static void test_lower_tensor__expand_minus_one_through_equal_and_where(void **state) {
    (void)state;
    static const char *const names[2] = {"N", "T"};
    static const int64_t sizes[3][2] = {{1, 1}, {2, 5}, {3, 2}};
    cg_check_symbolic(build_expand_minus_one, 13, 2, names, sizes[0], 3, fill_finite,
                      "sym_expand_m1.so");
}

/* A signal x (2, L) padded to a minimum length and to a whole number of hops, pads computed
 * from its symbolic length as SwiftF0 does: begin Max(8 - L, 0) (a pad glc proves
 * non-negative), end ceil(L / 4) * 4 - L (one it checks at run time); constant and edge. And
 * sliced by ends computed from L, as SwiftF0 then frames it. */
static void build_pad_symbolic(glc_graph *g, const glc_dim *v) {
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 2, (int64_t[]){2, v[0]});
    glc_value_id shp = cg_node(g, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_value_id l = cg_node(g, GLC_OP_SLICE, "l",
                             (glc_value_id[]){shp, ints_g(g, "s1", 1, (int64_t[]){1}),
                                              ints_g(g, "e2", 1, (int64_t[]){2})},
                             3, NULL);
    glc_value_id zero = ints_g(g, "zero", 1, (int64_t[]){0});
    glc_value_id four = ints_g(g, "four", 1, (int64_t[]){4});
    glc_value_id short_by = cg_node(g, GLC_OP_SUB, "short_by",
                                    (glc_value_id[]){ints_g(g, "eight", 1, (int64_t[]){8}), l}, 2,
                                    NULL);
    glc_value_id begin = cg_node(g, GLC_OP_MAX, "begin", (glc_value_id[]){short_by, zero}, 2, NULL);
    glc_value_id up = cg_node(g, GLC_OP_ADD, "up",
                              (glc_value_id[]){l, ints_g(g, "three", 1, (int64_t[]){3})}, 2, NULL);
    glc_value_id hops = cg_node(g, GLC_OP_DIV, "hops", (glc_value_id[]){up, four}, 2, NULL);
    glc_value_id whole = cg_node(g, GLC_OP_MUL, "whole", (glc_value_id[]){hops, four}, 2, NULL);
    glc_value_id end = cg_node(g, GLC_OP_SUB, "end", (glc_value_id[]){whole, l}, 2, NULL);
    glc_value_id pads = concat0(g, "pads", (glc_value_id[]){zero, begin, zero, end}, 4);
    glc_node_id id;
    out_g(g, GLC_OP_PAD, "pad_const", (glc_value_id[]){x, pads}, 2, NULL);
    out_g(g, GLC_OP_PAD, "pad_edge", (glc_value_id[]){x, pads}, 2, &id);
    glc_node_set_string(g, id, "mode", "edge");
    /* x[:, 1:L-1] and x[:, 0:ceil(L/4)*4] (an end past L, clamped), ends computed from L */
    glc_value_id two = ints_g(g, "two", 1, (int64_t[]){2});
    glc_value_id l1 = cg_node(g, GLC_OP_SUB, "l1",
                              (glc_value_id[]){l, ints_g(g, "one", 1, (int64_t[]){1})}, 2, NULL);
    out_g(g, GLC_OP_SLICE, "slice_mid",
          (glc_value_id[]){x, ints_g(g, "s01", 2, (int64_t[]){0, 1}),
                           concat0(g, "ends_mid", (glc_value_id[]){two, l1}, 2)}, 3, NULL);
    out_g(g, GLC_OP_SLICE, "slice_past",
          (glc_value_id[]){x, ints_g(g, "s00", 2, (int64_t[]){0, 0}),
                           concat0(g, "ends_past", (glc_value_id[]){two, whole}, 2)}, 3, NULL);
}

static void test_lower_tensor__pad_and_slice_by_bounds_computed_from_a_symbolic_length(void **state) {
    (void)state;
    static const char *const names[1] = {"L"};
    static const int64_t sizes[4][1] = {{1}, {5}, {8}, {11}};
    cg_check_symbolic(build_pad_symbolic, 13, 1, names, sizes[0], 4, fill_finite,
                      "sym_pad.so");
}

/* NegativeLogLikelihoodLoss with every reduction, with and without weights, an ignored
 * class, against the interpreter (no transcendental function: bit for bit). */
static void test_lower_tensor__nllloss_reductions_weights_and_ignore_index(void **state) {
    (void)state;
    static const char *const reds[3] = {"none", "sum", "mean"};
    int64_t dx[3] = {3, 5, 4}, dt[2] = {3, 4}, dw[1] = {5}, t[12];
    for (int k = 0; k < 12; k++)
        t[k] = (k * 3) % 5;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, dx), tv = cg_in(G, "t", GLC_DT_I64, 2, dt);
    glc_value_id w = cg_in(G, "w", GLC_DT_F32, 1, dw);
    const void *given[3] = {NULL, t, NULL};
    for (int k = 0; k < 12; k++) {
        char name[16];
        glc_node_id nid;
        snprintf(name, sizeof name, "nll%d", k);
        out_node(GLC_OP_NLLLOSS, name, (glc_value_id[]){x, tv, w}, 2 + k % 2, &nid);
        glc_node_set_string(G, nid, "reduction", reds[k % 3]);
        if (k >= 6) glc_node_set_int(G, nid, "ignore_index", 2);
    }
    check(given, "nllloss.so");
}

/* GatherND (batch_dims 0 and 1), ScatterND (none, add with repeated tuples), OneHot (f32
 * and negative indices) and ReverseSequence (both axis orders), against the interpreter. */
static void test_lower_tensor__nd_onehot_and_reversesequence(void **state) {
    (void)state;
    int64_t dx[3] = {3, 4, 5}, di[3] = {3, 2, 2}, du[3] = {3, 2, 5}, dh[2] = {3, 4}, dl[1] = {4};
    int64_t idx[12] = {0, 1, 2, -1, 1, 3, 0, 0, -3, 2, 1, 1}, lens[4] = {1, 3, 0, 2};
    float hot[12] = {0, 1, -1, 4.5f, 2, -4, 3, 1, 0, 2, 2, -2};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, dx), ix = cg_in(G, "ix", GLC_DT_I64, 3, di);
    glc_value_id u = cg_in(G, "u", GLC_DT_F32, 3, du), h = cg_in(G, "h", GLC_DT_F32, 2, dh);
    glc_value_id l = cg_in(G, "l", GLC_DT_I64, 1, dl);
    const void *given[5] = {NULL, idx, NULL, hot, lens};
    glc_node_id nid;
    out_node(GLC_OP_GATHERND, "gnd0", (glc_value_id[]){x, ix}, 2, NULL);
    out_node(GLC_OP_GATHERND, "gnd1", (glc_value_id[]){x, ix}, 2, &nid);
    glc_node_set_int(G, nid, "batch_dims", 1);
    glc_value_id su[3] = {x, ix, u};
    int64_t dix2[2] = {6, 2};
    glc_value_id ix2 = glc_graph_add_const(G, "ix2", GLC_DT_I64, 2, dix2, idx);
    glc_value_id u2 = cg_node(G, GLC_OP_RESHAPE, "u2r", (glc_value_id[]){u,
                             ints_g(G, "u2s", 2, (int64_t[]){6, 5})}, 2, NULL);
    su[1] = ix2, su[2] = u2;
    out_node(GLC_OP_SCATTERND, "snd0", su, 3, NULL);
    out_node(GLC_OP_SCATTERND, "snd1", su, 3, &nid);
    glc_node_set_string(G, nid, "reduction", "add");
    glc_value_id depth = glc_graph_add_const(G, "depth", GLC_DT_I64, 0, NULL, (int64_t[]){5});
    glc_value_id vals = glc_graph_add_const(G, "vals", GLC_DT_I32, 1, (int64_t[]){2},
                                            (int32_t[]){-7, 9});
    for (int a = -1; a < 2; a++) {
        char name[16];
        snprintf(name, sizeof name, "oh%d", a + 1);
        out_node(GLC_OP_ONEHOT, name, (glc_value_id[]){h, depth, vals}, 3, &nid);
        glc_node_set_int(G, nid, "axis", a);
    }
    out_node(GLC_OP_REVERSESEQUENCE, "rs0", (glc_value_id[]){h, l}, 2, NULL);
    glc_value_id ht = cg_node(G, GLC_OP_TRANSPOSE, "ht", &h, 1, NULL);
    out_node(GLC_OP_REVERSESEQUENCE, "rs1", (glc_value_id[]){ht, l}, 2, &nid);
    glc_node_set_int(G, nid, "time_axis", 1);
    glc_node_set_int(G, nid, "batch_axis", 0);
    check(given, "nd.so");
}

/* TopK largest and smallest along each axis of f32 (NaNs, infinities) and i8 (many ties),
 * Values and Indices, and each alone, against the interpreter. */
static void test_lower_tensor__topk_with_ties_on_every_axis(void **state) {
    (void)state;
    static const glc_dtype dts[2] = {GLC_DT_F32, GLC_DT_I8};
    glc_value_id k = glc_graph_add_const(G, "k", GLC_DT_I64, 1, (int64_t[]){1}, (int64_t[]){3});
    for (int t = 0; t < 2; t++) {
        char name[24];
        snprintf(name, sizeof name, "x%d", t);
        glc_value_id x = cg_in(G, name, dts[t], 3, (int64_t[]){4, 5, 6}), in[2] = {x, k};
        for (int j = 0; j < 8; j++) {
            glc_value_id o[2];
            for (int q = 0; q < 2; q++) {
                snprintf(name, sizeof name, "tk%d_%d_%d", t, j, q);
                o[q] = glc_graph_add_value(G, name, GLC_DT_UNDEF, 0, NULL);
            }
            snprintf(name, sizeof name, "tk%d_%d", t, j);
            if (j == 6) o[1] = 0;
            if (j == 7) o[0] = 0;
            glc_node_id nid = glc_graph_add_node(G, GLC_OP_TOPK, name, in, 2, o, 2);
            glc_node_set_int(G, nid, "axis", j % 3 - (j == 2 ? 3 : 0));
            glc_node_set_int(G, nid, "largest", j / 3 % 2 == 0);
            for (int q = 0; q < 2; q++)
                if (o[q]) glc_graph_add_output(G, o[q]);
        }
    }
    check(NULL, "topk.so");
}

/* Compress along each axis and flattened, with a constant condition shorter than the axis;
 * NonZero of a constant (-0 is zero, NaN is not); Unique of a constant, flattened and along
 * each axis, sorted and not. */
static void test_lower_tensor__compress_by_a_constant_condition(void **state) {
    (void)state;
    static const uint8_t cond[4] = {0, 1, 1, 0};
    glc_value_id x = cg_in(G, "x", GLC_DT_I16, 3, (int64_t[]){5, 4, 6});
    glc_value_id cv = glc_graph_add_const(G, "cond", GLC_DT_BOOL, 1, (int64_t[]){4}, cond);
    for (int a = -1; a < 3; a++) {
        char name[16];
        glc_node_id nid;
        snprintf(name, sizeof name, "cmp%d", a + 1);
        out_node(GLC_OP_COMPRESS, name, (glc_value_id[]){x, cv}, 2, &nid);
        if (a >= 0) glc_node_set_int(G, nid, "axis", a);
    }
    static const float nz[6] = {0, 1.5f, -0.0f, NAN, 0, -2};
    glc_value_id c = glc_graph_add_const(G, "nzc", GLC_DT_F32, 2, (int64_t[]){2, 3}, nz);
    out_node(GLC_OP_NONZERO, "nonzero", &c, 1, NULL);
    static const int32_t uv[12] = {3, 1, 3, 2, 1, 3, 3, 1, 3, 0, 0, 0};
    glc_value_id un = glc_graph_add_const(G, "unc", GLC_DT_I32, 2, (int64_t[]){4, 3}, uv);
    for (int k = 0; k < 4; k++) {
        glc_value_id o[4];
        for (int q = 0; q < 4; q++) {
            char name[16];
            snprintf(name, sizeof name, "u%d_%d", k, q);
            o[q] = glc_graph_add_value(G, name, GLC_DT_UNDEF, 0, NULL);
        }
        char name[8];
        snprintf(name, sizeof name, "u%d", k);
        glc_node_id nid = glc_graph_add_node(G, GLC_OP_UNIQUE, name, &un, 1, o, 4);
        glc_node_set_int(G, nid, "sorted", k % 2);
        if (k >= 2) glc_node_set_int(G, nid, "axis", k - 2);
        for (int q = 0; q < 4; q++)
            glc_graph_add_output(G, o[q]);
    }
    check(NULL, "compress.so");
}

/* QuantizeLinear (u8, i8, none: u8; per tensor and per channel, NaNs and infinities),
 * DequantizeLinear (u8, i8, i32) and DynamicQuantizeLinear against the interpreter. */
static void test_lower_tensor__quantize_and_dequantize(void **state) {
    (void)state;
    static const float sc[3] = {0.25f, 3.0f, 0.0625f};
    static const uint8_t zu[3] = {0, 128, 255};
    static const int8_t zi[3] = {-128, 0, 5};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){2, 3, 5});
    glc_value_id s3 = glc_graph_add_const(G, "s3", GLC_DT_F32, 1, (int64_t[]){3}, sc);
    glc_value_id s1 = glc_graph_add_const(G, "s1", GLC_DT_F32, 0, NULL, sc + 1);
    glc_value_id u3 = glc_graph_add_const(G, "u3", GLC_DT_U8, 1, (int64_t[]){3}, zu);
    glc_value_id i3 = glc_graph_add_const(G, "i3", GLC_DT_I8, 1, (int64_t[]){3}, zi);
    glc_value_id i1 = glc_graph_add_const(G, "i1", GLC_DT_I8, 0, NULL, zi + 2);
    glc_value_id qu = out_node(GLC_OP_QUANTIZELINEAR, "qu", (glc_value_id[]){x, s3, u3}, 3, NULL);
    glc_value_id qi = out_node(GLC_OP_QUANTIZELINEAR, "qi", (glc_value_id[]){x, s1, i1}, 3, NULL);
    out_node(GLC_OP_QUANTIZELINEAR, "qn", (glc_value_id[]){x, s3}, 2, NULL);
    out_node(GLC_OP_DEQUANTIZELINEAR, "du", (glc_value_id[]){qu, s3, u3}, 3, NULL);
    out_node(GLC_OP_DEQUANTIZELINEAR, "di", (glc_value_id[]){qi, s3, i3}, 3, NULL);
    glc_value_id w = cg_in(G, "w", GLC_DT_I32, 3, (int64_t[]){2, 3, 5});
    out_node(GLC_OP_DEQUANTIZELINEAR, "dw", (glc_value_id[]){w, s1}, 2, NULL);
    glc_value_id dq[3], v = cg_in(G, "v", GLC_DT_F32, 2, (int64_t[]){3, 7});
    for (int k = 0; k < 3; k++) {
        char name[8];
        snprintf(name, sizeof name, "dq%d", k);
        dq[k] = glc_graph_add_value(G, name, GLC_DT_UNDEF, 0, NULL);
    }
    glc_graph_add_node(G, GLC_OP_DYNAMICQUANTIZELINEAR, "dq", &v, 1, dq, 3);
    for (int k = 0; k < 3; k++)
        glc_graph_add_output(G, dq[k]);
    check(NULL, "quant.so");
}

/* Det of a batch of 4x4 matrices (pivoting, a singular one) against the interpreter. */
static void test_lower_tensor__det_with_pivoting_and_a_singular_matrix(void **state) {
    (void)state;
    float x[3 * 16];
    for (int k = 0; k < 48; k++)
        x[k] = (float)((k * 37) % 11) - 5.0f;
    for (int k = 0; k < 4; k++) /* the last matrix: two equal rows */
        x[32 + 4 + k] = x[32 + k];
    glc_value_id xv = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){3, 4, 4});
    out_node(GLC_OP_DET, "det", &xv, 1, NULL);
    check((const void *[]){x}, "det.so");
}

/* ConvTranspose (an nn op; here for this file's interpreter comparison): 2-D with strides,
 * dilations, asymmetric pads, output_padding, two groups and a bias; 1-D SAME_UPPER;
 * 2-D with output_shape. */
static void test_lower_tensor__convtranspose_against_the_interpreter(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, (int64_t[]){2, 4, 3, 4});
    glc_value_id w = cg_in(G, "w", GLC_DT_F32, 4, (int64_t[]){4, 3, 3, 2});
    glc_value_id b = cg_in(G, "b", GLC_DT_F32, 1, (int64_t[]){6});
    glc_node_id nid;
    out_node(GLC_OP_CONVTRANSPOSE, "ct0", (glc_value_id[]){x, w, b}, 3, &nid);
    glc_node_set_int(G, nid, "group", 2);
    glc_node_set_ints(G, nid, "strides", (int64_t[]){2, 3}, 2);
    glc_node_set_ints(G, nid, "dilations", (int64_t[]){2, 1}, 2);
    glc_node_set_ints(G, nid, "pads", (int64_t[]){1, 0, 0, 2}, 4);
    glc_node_set_ints(G, nid, "output_padding", (int64_t[]){1, 0}, 2);
    glc_value_id x1 = cg_in(G, "x1", GLC_DT_F32, 3, (int64_t[]){1, 2, 5});
    glc_value_id w1 = cg_in(G, "w1", GLC_DT_F32, 3, (int64_t[]){2, 3, 3});
    out_node(GLC_OP_CONVTRANSPOSE, "ct1", (glc_value_id[]){x1, w1}, 2, &nid);
    glc_node_set_string(G, nid, "auto_pad", "SAME_UPPER");
    glc_node_set_ints(G, nid, "strides", (int64_t[]){2}, 1);
    glc_value_id w2 = cg_in(G, "w2", GLC_DT_F32, 4, (int64_t[]){4, 2, 3, 3});
    out_node(GLC_OP_CONVTRANSPOSE, "ct2", (glc_value_id[]){x, w2}, 2, &nid);
    glc_node_set_ints(G, nid, "strides", (int64_t[]){3, 2}, 2);
    glc_node_set_ints(G, nid, "output_shape", (int64_t[]){10, 8}, 2);
    check(NULL, "convtranspose.so");
}

/* Einsum: a product, a diagonal, a full sum, ellipsis batches, the implicit output, three
 * operands, against the interpreter. */
static void test_lower_tensor__einsum_equations(void **state) {
    (void)state;
    static const char *const eqs[6] = {"ij,jk->ik", "ii->i", "bij->", "...ij,...jk->...ik",
                                       "ij,jk", "ij, jk, kl -> li"};
    glc_value_id a = cg_in(G, "a", GLC_DT_F32, 2, (int64_t[]){4, 4});
    glc_value_id t = cg_in(G, "t", GLC_DT_F32, 3, (int64_t[]){2, 4, 4});
    glc_value_id in[6][3] = {{a, a}, {a}, {t}, {t, t}, {a, a}, {a, a, a}};
    static const int nin[6] = {2, 1, 1, 2, 2, 3};
    for (int k = 0; k < 6; k++) {
        char name[16];
        glc_node_id nid;
        snprintf(name, sizeof name, "es%d", k);
        out_node(GLC_OP_EINSUM, name, in[k], nin[k], &nid);
        glc_node_set_string(G, nid, "equation", eqs[k]);
    }
    check(NULL, "einsum.so");
}

/* MatMulInteger (u8 x i8, with and without zero points), QLinearMatMul (batched, u8
 * output), ConvInteger and QLinearConv (groups, pads, strides, dilations, per-channel weight
 * zero points and scales, a bias) against the interpreter. */
static void test_lower_tensor__integer_matmuls(void **state) {
    (void)state;
    glc_value_id a = cg_in(G, "a", GLC_DT_U8, 3, (int64_t[]){2, 3, 5});
    glc_value_id b = cg_in(G, "b", GLC_DT_I8, 3, (int64_t[]){2, 5, 4});
    glc_value_id az = glc_graph_add_const(G, "az", GLC_DT_U8, 0, NULL, (uint8_t[]){100});
    glc_value_id bz = glc_graph_add_const(G, "bz", GLC_DT_I8, 0, NULL, (int8_t[]){-3});
    glc_value_id s[3], yz = glc_graph_add_const(G, "yz", GLC_DT_U8, 0, NULL, (uint8_t[]){120});
    static const float sv[3] = {0.02f, 0.5f, 0.75f};
    for (int k = 0; k < 3; k++) {
        char name[8];
        snprintf(name, sizeof name, "s%d", k);
        s[k] = glc_graph_add_const(G, name, GLC_DT_F32, 0, NULL, &sv[k]);
    }
    out_node(GLC_OP_MATMULINTEGER, "mi0", (glc_value_id[]){a, b}, 2, NULL);
    out_node(GLC_OP_MATMULINTEGER, "mi1", (glc_value_id[]){a, b, az, bz}, 4, NULL);
    out_node(GLC_OP_QLINEARMATMUL, "qm", (glc_value_id[]){a, s[0], az, b, s[1], bz, s[2], yz}, 8,
             NULL);
    glc_value_id x = cg_in(G, "x", GLC_DT_U8, 4, (int64_t[]){2, 4, 5, 6});
    glc_value_id w = cg_in(G, "w", GLC_DT_I8, 4, (int64_t[]){6, 2, 3, 2});
    glc_value_id wz = glc_graph_add_const(G, "wz", GLC_DT_I8, 1, (int64_t[]){6},
                                          (int8_t[]){0, 1, -1, 2, 0, 3});
    glc_value_id ws = glc_graph_add_const(G, "ws", GLC_DT_F32, 1, (int64_t[]){6},
                                          (float[]){0.1f, 0.2f, 0.05f, 0.3f, 0.01f, 0.02f});
    glc_value_id bias = glc_graph_add_const(G, "bias", GLC_DT_I32, 1, (int64_t[]){6},
                                            (int32_t[]){5, -7, 100, 0, -300, 9});
    glc_node_id nid;
    out_node(GLC_OP_CONVINTEGER, "ci", (glc_value_id[]){x, w, az, wz}, 4, &nid);
    glc_node_set_int(G, nid, "group", 2);
    glc_node_set_ints(G, nid, "pads", (int64_t[]){1, 0, 2, 1}, 4);
    glc_node_set_ints(G, nid, "strides", (int64_t[]){2, 1}, 2);
    out_node(GLC_OP_QLINEARCONV, "qc", (glc_value_id[]){x, s[0], az, w, ws, wz, s[2], yz, bias},
             9, &nid);
    glc_node_set_int(G, nid, "group", 2);
    glc_node_set_ints(G, nid, "dilations", (int64_t[]){2, 1}, 2);
    check(NULL, "qmatmul.so");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_lower_tensor__slice_with_negative_steps_and_clamping),
        T(test_lower_tensor__split_skips_unrequested_parts),
        T(test_lower_tensor__views_share_their_input_storage),
        T(test_lower_tensor__squeeze_unsqueeze_and_gather),
        T(test_lower_tensor__gather_writes_zeros_for_out_of_range_indices),
        T(test_lower_tensor__shape_output_is_computed),
        T(test_lower_tensor__cast_between_every_supported_dtype),
        T(test_lower_tensor__dropout_copies_and_fills_masks),
        T(test_lower_tensor__pad_in_every_mode_with_crops),
        T(test_lower_tensor__reductions_over_axis_sets),
        T(test_lower_tensor__argmax_argmin_on_every_axis),
        T(test_lower_tensor__folded_shape_chain_compiles_with_a_constant_output),
        T(test_lower_tensor__driver_binds_static_operands),
        T(test_lower_tensor__symbolic_slice_and_split_at_two_sizes),
        T(test_lower_tensor__symbolic_gather_squeeze_and_shape_at_two_sizes),
        T(test_lower_tensor__symbolic_cast_dropout_pad_reductions_at_two_sizes),
        T(test_lower_tensor__symbolic_argmax_argmin_at_two_sizes),
        T(test_lower_tensor__gather_and_scatter_elements_on_every_axis),
        T(test_lower_tensor__normalisations_match_the_interpreter),
        T(test_lower_tensor__trilu_and_eyelike_select_by_diagonal),
        T(test_lower_tensor__hardmax_and_cumsum_along_an_axis),
        T(test_lower_tensor__range_counts_from_constant_operands),
        T(test_lower_tensor__symbolic_new_ops_at_three_sizes),
        T(test_lower_tensor__tile_with_repeats_from_a_symbolic_shape),
        T(test_lower_tensor__reduceprod_max_min_of_symbolic_shapes),
        T(test_lower_tensor__expand_minus_one_through_equal_and_where),
        T(test_lower_tensor__pad_and_slice_by_bounds_computed_from_a_symbolic_length),
        T(test_lower_tensor__nllloss_reductions_weights_and_ignore_index),
        T(test_lower_tensor__nd_onehot_and_reversesequence),
        T(test_lower_tensor__topk_with_ties_on_every_axis),
        T(test_lower_tensor__compress_by_a_constant_condition),
        T(test_lower_tensor__quantize_and_dequantize),
        T(test_lower_tensor__det_with_pivoting_and_a_singular_matrix),
        T(test_lower_tensor__convtranspose_against_the_interpreter),
        T(test_lower_tensor__einsum_equations),
        T(test_lower_tensor__integer_matmuls),
    };
    return cmocka_run_group_tests_name("lower_tensor", tests, cg_group_setup, cg_group_teardown);
}
