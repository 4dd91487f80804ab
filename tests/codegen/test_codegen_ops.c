/* test_codegen_ops.c -- every op compiled to a shared object and compared with the
 * reference interpreter on random data (1e-5 relative), plus hand-computed spot checks. */
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
    cg_cpu = NULL;
    return 0;
}

static void binary_case(glc_op op, glc_dtype dt, int ra, const int64_t *da, int rb,
                        const int64_t *db, const char *file) {
    glc_value_id in[2] = {cg_in(G, "a", dt, ra, da), cg_in(G, "b", dt, rb, db)};
    glc_graph_add_output(G, cg_node(G, op, "bin", in, 2, NULL));
    cg_check_vs_interp(G, file);
}

static void test_codegen__add_f32_broadcasts_column_against_3d(void **state) {
    (void)state;
    binary_case(GLC_OP_ADD, GLC_DT_F32, 3, (int64_t[]){2, 3, 37}, 2, (int64_t[]){3, 1}, "add.so");
}

static void test_codegen__sub_f32_broadcasts_both_ways(void **state) {
    (void)state;
    binary_case(GLC_OP_SUB, GLC_DT_F32, 2, (int64_t[]){4, 1}, 1, (int64_t[]){5}, "sub.so");
}

static void test_codegen__mul_i32_broadcasts_scalar(void **state) {
    (void)state;
    binary_case(GLC_OP_MUL, GLC_DT_I32, 2, (int64_t[]){3, 17}, 0, NULL, "mul.so");
}

static void test_codegen__div_f32_and_i64(void **state) {
    (void)state;
    binary_case(GLC_OP_DIV, GLC_DT_F32, 2, (int64_t[]){3, 4}, 2, (int64_t[]){1, 4}, "divf.so");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 17;
    int64_t x[4] = {7, -7, 9, 100}, y[4] = {2, 2, -4, 7}, z[4];
    glc_value_id in[2] = {cg_in(G, "a", GLC_DT_I64, 1, (int64_t[]){4}),
                          glc_graph_add_const(G, "b", GLC_DT_I64, 1, (int64_t[]){4}, y)};
    glc_graph_add_output(G, cg_node(G, GLC_OP_DIV, "div", in, 2, NULL));
    glc_rt_model *m = cg_compile(G, "divi.so");
    const void *ins[1] = {x};
    void *outs[1] = {z};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_int_equal(z[0], 3);
    assert_int_equal(z[1], -3);
    assert_int_equal(z[2], -2);
    assert_int_equal(z[3], 14);
    glc_rt_model_close(m);
}

static void test_codegen__relu_sigmoid_tanh_chain(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 2, (int64_t[]){5, 33});
    glc_value_id r = cg_node(G, GLC_OP_RELU, "relu", &x, 1, NULL);
    glc_value_id s = cg_node(G, GLC_OP_SIGMOID, "sig", &x, 1, NULL);
    glc_value_id t = cg_node(G, GLC_OP_TANH, "tanh", &x, 1, NULL);
    glc_graph_add_output(G, r);
    glc_graph_add_output(G, s);
    glc_graph_add_output(G, t);
    cg_check_vs_interp(G, "unary.so");
}

static void test_codegen__relu_keeps_nan(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 1, (int64_t[]){3});
    glc_graph_add_output(G, cg_node(G, GLC_OP_RELU, "relu", &x, 1, NULL));
    glc_rt_model *m = cg_compile(G, "relu.so");
    float in[3] = {NAN, -1.0f, 2.5f}, out[3];
    const void *ins[1] = {in};
    void *outs[1] = {out};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_true(isnan(out[0]));
    assert_true(out[1] == 0.0f && out[2] == 2.5f);
    glc_rt_model_close(m);
}

/* ops[k] on every dtype its type constraint allows (one node per dtype, inputs of shapes
 * [3, 17] and [17] broadcast), compiled (one model per op) and compared with the
 * interpreter. */
static void every_dtype(const glc_op *ops, int n_ops, const char *file) {
    for (int k = 0; k < n_ops; k++) {
        const glc_op_info *oi = &glc_op_table[ops[k]];
        for (int t = 0; t < 32; t++) {
            if (!(oi->types.t & GLC_DT_BIT(t))) continue;
            char name[64];
            glc_value_id in[2];
            for (int i = 0; i < oi->in_min; i++) {
                snprintf(name, sizeof name, "%s_%s_%d", oi->id, glc_dtype_name((glc_dtype)t), i);
                in[i] = cg_in(G, name, (glc_dtype)t, 2 - i, i ? (int64_t[]){17} : (int64_t[]){3, 17});
            }
            snprintf(name, sizeof name, "%s_%s", oi->id, glc_dtype_name((glc_dtype)t));
            glc_graph_add_output(G, cg_node(G, ops[k], name, in, oi->in_min, NULL));
        }
        char so[96];
        snprintf(so, sizeof so, "%s_%s", oi->id, file);
        cg_check_vs_interp(G, so);
        glc_graph_destroy(G);
        G = glc_graph_create();
        G->opset = 17;
    }
}

static void test_codegen__arithmetic_on_every_numeric_dtype(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_ADD, GLC_OP_SUB, GLC_OP_MUL, GLC_OP_DIV};
    every_dtype(ops, 4, "arith.so");
}

static void test_codegen__activations_on_every_dtype_they_take(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_RELU, GLC_OP_SIGMOID, GLC_OP_TANH, GLC_OP_LEAKYRELU,
                                 GLC_OP_HARDSIGMOID};
    every_dtype(ops, 5, "act.so");
}

static void test_codegen__math_functions_on_every_dtype_they_take(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_ABS,   GLC_OP_NEG,  GLC_OP_EXP,        GLC_OP_LOG,
                                 GLC_OP_SQRT,  GLC_OP_RECIPROCAL, GLC_OP_FLOOR, GLC_OP_CEIL,
                                 GLC_OP_ROUND, GLC_OP_SIGN, GLC_OP_ERF};
    every_dtype(ops, (int)(sizeof ops / sizeof ops[0]), "math.so");
}

static void test_codegen__trigonometric_and_hyperbolic_functions(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_SIN,  GLC_OP_COS,  GLC_OP_TAN,   GLC_OP_ASIN,
                                 GLC_OP_ACOS, GLC_OP_ATAN, GLC_OP_SINH,  GLC_OP_COSH,
                                 GLC_OP_ASINH, GLC_OP_ACOSH, GLC_OP_ATANH};
    every_dtype(ops, (int)(sizeof ops / sizeof ops[0]), "trig.so");
}

/* Round is half to even; Sign keeps 0 and NaN; Floor/Ceil of specials are themselves. */
static void test_codegen__rounding_and_sign_specials(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 1, (int64_t[]){6});
    glc_value_id y[3] = {cg_node(G, GLC_OP_ROUND, "r", &x, 1, NULL),
                         cg_node(G, GLC_OP_SIGN, "s", &x, 1, NULL),
                         cg_node(G, GLC_OP_FLOOR, "f", &x, 1, NULL)};
    for (int k = 0; k < 3; k++)
        glc_graph_add_output(G, y[k]);
    glc_rt_model *m = cg_compile(G, "round.so");
    float in[6] = {0.5f, 1.5f, -2.5f, -0.0f, NAN, -INFINITY}, r[6], sg[6], fl[6];
    const void *ins[1] = {in};
    void *outs[3] = {r, sg, fl};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_true(r[0] == 0.0f && r[1] == 2.0f && r[2] == -2.0f && isnan(r[4]));
    assert_true(sg[0] == 1.0f && sg[2] == -1.0f && sg[3] == 0.0f && signbit(sg[3]) && isnan(sg[4]));
    assert_true(fl[1] == 1.0f && fl[2] == -3.0f && fl[5] == -INFINITY);
    glc_rt_model_close(m);
}

static void test_codegen__activations_of_onnx_on_every_dtype_they_take(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_PRELU,    GLC_OP_ELU,       GLC_OP_SELU, GLC_OP_CELU,
                                 GLC_OP_THRESHOLDEDRELU, GLC_OP_SOFTPLUS, GLC_OP_SOFTSIGN,
                                 GLC_OP_HARDSWISH, GLC_OP_MISH,     GLC_OP_GELU, GLC_OP_SHRINK,
                                 GLC_OP_SWISH};
    every_dtype(ops, (int)(sizeof ops / sizeof ops[0]), "acts.so");
}

/* One node of op on x with float attributes names[k] = v[k] (and a string one). */
static glc_value_id act(glc_op op, glc_value_id x, const char *n1, float v1, const char *n2,
                        float v2, const char *s, const char *sv) {
    glc_node_id n;
    char name[64];
    snprintf(name, sizeof name, "%s_%s", glc_op_name(op), n1 ? n1 : sv ? sv : "");
    glc_value_id y = cg_node(G, op, name, &x, 1, &n);
    if (n1) glc_node_set_float(G, n, n1, v1);
    if (n2) glc_node_set_float(G, n, n2, v2);
    if (s) glc_node_set_string(G, n, s, sv);
    glc_graph_add_output(G, y);
    return y;
}

static void test_codegen__activation_attributes_and_known_values(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 1, (int64_t[]){5});
    act(GLC_OP_GELU, x, NULL, 0, NULL, 0, "approximate", "tanh");
    act(GLC_OP_GELU, x, NULL, 0, NULL, 0, NULL, NULL);
    act(GLC_OP_ELU, x, "alpha", 2, NULL, 0, NULL, NULL);
    act(GLC_OP_CELU, x, "alpha", 2, NULL, 0, NULL, NULL);
    act(GLC_OP_SHRINK, x, "bias", 1.5f, "lambd", 1.5f, NULL, NULL);
    act(GLC_OP_MISH, x, NULL, 0, NULL, 0, NULL, NULL);
    act(GLC_OP_SOFTPLUS, x, NULL, 0, NULL, 0, NULL, NULL);
    glc_rt_model *m = cg_compile(G, "actk.so");
    float in[5] = {1.0f, -5.0f, 2.0f, -100.0f, 100.0f}, y[7][5];
    const void *ins[1] = {in};
    void *outs[7] = {y[0], y[1], y[2], y[3], y[4], y[5], y[6]};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_true(fabsf(y[0][0] - 0.841192f) < 1e-6f);                 /* Gelu tanh */
    assert_true(fabsf(y[1][0] - 0.8413447f) < 1e-6f);                /* Gelu erf */
    assert_true(fabsf(y[1][1] + 1.4332e-6f) < 1e-9f);               /* 0.5 x erfc(5/sqrt 2) */
    assert_true(fabsf(y[2][1] - 2 * expm1f(-5)) < 1e-6f);           /* Elu alpha 2 */
    assert_true(fabsf(y[3][1] - 2 * expm1f(-2.5f)) < 1e-6f);        /* Celu alpha 2 */
    assert_true(y[4][0] == 0 && y[4][2] == 0.5f && y[4][1] == -3.5f); /* Shrink */
    assert_true(fabsf(y[5][0] - 0.86509836f) < 1e-6f && y[5][4] == 100.0f); /* Mish */
    assert_true(y[6][4] == 100.0f && y[6][3] > 0 && y[6][3] < 1e-43f); /* Softplus */
    glc_rt_model_close(m);
}

/* Swish x * sigmoid(alpha x) (opset 24): its default alpha 1 and alpha 2. */
static void test_codegen__swish_default_and_given_alpha(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 1, (int64_t[]){5});
    act(GLC_OP_SWISH, x, NULL, 0, NULL, 0, NULL, NULL);
    act(GLC_OP_SWISH, x, "alpha", 2, NULL, 0, NULL, NULL);
    glc_rt_model *m = cg_compile(G, "swish.so");
    float in[5] = {1.0f, -5.0f, 2.0f, -100.0f, 100.0f}, y[2][5];
    const void *ins[1] = {in};
    void *outs[2] = {y[0], y[1]};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_true(fabsf(y[0][0] - 0.7310586f) < 1e-6f && fabsf(y[0][1] + 0.03346425f) < 1e-7f);
    assert_true(y[0][4] == 100.0f && y[0][3] <= 0.0f && y[0][3] > -1e-40f);
    assert_true(fabsf(y[1][0] - 0.8807971f) < 1e-6f && fabsf(y[1][1] + 2.2698934e-4f) < 1e-9f);
    assert_true(fabsf(y[1][2] - 1.9640276f) < 1e-6f);
    glc_rt_model_close(m);
}

static void test_codegen__pow_mod_clip_on_every_dtype_they_take(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_POW, GLC_OP_MOD, GLC_OP_CLIP};
    every_dtype(ops, 3, "pmc.so");
}

/* Pow with an exponent of another type: float ^ integer, integer ^ float (through f64,
 * truncated), integer ^ integer (negative exponents: 0, or +-1 for bases +-1). */
static void test_codegen__pow_mixes_types_as_onnx_does(void **state) {
    (void)state;
    static const glc_dtype pairs[][2] = {{GLC_DT_F32, GLC_DT_I64}, {GLC_DT_F32, GLC_DT_U32},
                                         {GLC_DT_I32, GLC_DT_F32}, {GLC_DT_I64, GLC_DT_I64},
                                         {GLC_DT_F16, GLC_DT_I8},  {GLC_DT_F64, GLC_DT_F32}};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        char n[3][32];
        snprintf(n[0], 32, "x%zu", k);
        snprintf(n[1], 32, "y%zu", k);
        snprintf(n[2], 32, "pow%zu", k);
        glc_value_id in[2] = {cg_in(G, n[0], pairs[k][0], 1, (int64_t[]){40}),
                              cg_in(G, n[1], pairs[k][1], 1, (int64_t[]){40})};
        glc_graph_add_output(G, cg_node(G, GLC_OP_POW, n[2], in, 2, NULL));
    }
    cg_check_vs_interp(G, "powmix.so");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 17;
    glc_value_id in[2] = {cg_in(G, "x", GLC_DT_I32, 1, (int64_t[]){6}),
                          cg_in(G, "y", GLC_DT_I32, 1, (int64_t[]){6})};
    glc_graph_add_output(G, cg_node(G, GLC_OP_POW, "p", in, 2, NULL));
    glc_rt_model *m = cg_compile(G, "powi.so");
    int32_t x[6] = {3, -2, 1, -1, 5, 2}, y[6] = {6, 3, -4, -3, -1, 31}, z[6];
    const void *ins[2] = {x, y};
    void *outs[1] = {z};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_true(z[0] == 729 && z[1] == -8 && z[2] == 1 && z[3] == -1 && z[4] == 0);
    assert_true(z[5] == INT32_MIN); /* 2^31 wraps */
    glc_rt_model_close(m);
}

static void test_codegen__mod_signs_and_fmod(void **state) {
    (void)state;
    glc_value_id in[2] = {cg_in(G, "a", GLC_DT_I32, 1, (int64_t[]){6}),
                          cg_in(G, "b", GLC_DT_I32, 1, (int64_t[]){6})};
    glc_node_id f;
    glc_graph_add_output(G, cg_node(G, GLC_OP_MOD, "mod", in, 2, NULL));
    glc_graph_add_output(G, cg_node(G, GLC_OP_MOD, "fmod", in, 2, &f));
    glc_node_set_int(G, f, "fmod", 1);
    glc_rt_model *m = cg_compile(G, "mod.so");
    int32_t a[6] = {-4, 7, -7, 5, INT32_MIN, 3}, b[6] = {3, -3, -3, 0, -1, 5}, r[6], t[6];
    const void *ins[2] = {a, b};
    void *outs[2] = {r, t};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    int32_t wr[6] = {2, -2, -1, 0, 0, 3}, wt[6] = {-1, 1, -1, 0, 0, 3};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(r[i], wr[i]);
        assert_int_equal(t[i], wt[i]);
    }
    glc_rt_model_close(m);
}

/* Clip-11+ takes min and max as optional inputs, Clip-6 as attributes. */
static void test_codegen__clip_bounds_from_inputs_or_attributes(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 1, (int64_t[]){5});
    glc_value_id lo = glc_graph_add_const(G, "lo", GLC_DT_F32, 0, NULL, (float[]){-1});
    glc_value_id in3[3] = {x, 0, lo}, in2[2] = {x, lo};
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_CLIP, "max_only", in3, 3, NULL));
    glc_graph_add_output(G, cg_node(G, GLC_OP_CLIP, "min_only", in2, 2, NULL));
    glc_graph_add_output(G, cg_node(G, GLC_OP_CLIP, "attrs", &x, 1, &n));
    glc_node_set_float(G, n, "min", 0.5f);
    glc_node_set_float(G, n, "max", 1.5f);
    glc_rt_model *m = cg_compile(G, "clip.so");
    float xv[5] = {-3, 0.25f, 1, 2, NAN}, a[5], b[5], c[5];
    const void *ins[1] = {xv};
    void *outs[3] = {a, b, c};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_true(a[0] == -3 && a[2] == -1 && a[3] == -1 && isnan(a[4]));
    assert_true(b[0] == -1 && b[1] == 0.25f && b[3] == 2);
    assert_true(c[0] == 0.5f && c[1] == 0.5f && c[2] == 1 && c[3] == 1.5f && isnan(c[4]));
    glc_rt_model_close(m);
}

/* Min, Max, Sum and Mean of three inputs of shapes [2, 1, 4], [3, 1] and [4]. */
static void test_codegen__variadic_ops_broadcast_all_inputs(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_MIN, GLC_OP_MAX, GLC_OP_SUM, GLC_OP_MEAN};
    static const glc_dtype dts[] = {GLC_DT_F32, GLC_DT_F16, GLC_DT_I8, GLC_DT_U64, GLC_DT_F64};
    for (int k = 0; k < 4; k++)
        for (int t = 0; t < 5; t++) {
            if (!(glc_op_table[ops[k]].types.t & GLC_DT_BIT(dts[t]))) continue;
            char n[4][32];
            for (int i = 0; i < 3; i++)
                snprintf(n[i], 32, "%s_%s_%d", glc_op_name(ops[k]), glc_dtype_name(dts[t]), i);
            snprintf(n[3], 32, "%s_%s", glc_op_name(ops[k]), glc_dtype_name(dts[t]));
            glc_value_id in[3] = {cg_in(G, n[0], dts[t], 3, (int64_t[]){2, 1, 4}),
                                  cg_in(G, n[1], dts[t], 2, (int64_t[]){3, 1}),
                                  cg_in(G, n[2], dts[t], 1, (int64_t[]){4})};
            glc_graph_add_output(G, cg_node(G, ops[k], n[3], in, 3, NULL));
        }
    cg_check_vs_interp(G, "variadic.so");
}

static void test_codegen__comparisons_and_logic_on_every_dtype_they_take(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_EQUAL, GLC_OP_LESS, GLC_OP_LESSOREQUAL, GLC_OP_GREATER,
                                 GLC_OP_GREATEROREQUAL, GLC_OP_NOT, GLC_OP_AND, GLC_OP_OR,
                                 GLC_OP_XOR, GLC_OP_ISNAN, GLC_OP_ISINF};
    every_dtype(ops, (int)(sizeof ops / sizeof ops[0]), "cmp.so");
}

/* Where picks per element from broadcast operands, of any dtype. */
static void test_codegen__where_broadcasts_condition_and_both_values(void **state) {
    (void)state;
    static const glc_dtype dts[] = {GLC_DT_F32, GLC_DT_I64, GLC_DT_BOOL, GLC_DT_F16, GLC_DT_U8};
    glc_value_id c = cg_in(G, "c", GLC_DT_BOOL, 2, (int64_t[]){3, 1});
    for (int t = 0; t < 5; t++) {
        char n[3][32];
        snprintf(n[0], 32, "x_%s", glc_dtype_name(dts[t]));
        snprintf(n[1], 32, "y_%s", glc_dtype_name(dts[t]));
        snprintf(n[2], 32, "where_%s", glc_dtype_name(dts[t]));
        glc_value_id in[3] = {c, cg_in(G, n[0], dts[t], 1, (int64_t[]){5}),
                              cg_in(G, n[1], dts[t], 2, (int64_t[]){3, 5})};
        glc_graph_add_output(G, cg_node(G, GLC_OP_WHERE, n[2], in, 3, NULL));
    }
    cg_check_vs_interp(G, "where.so");
}

static void test_codegen__isnan_isinf_and_unordered_comparisons(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 1, (int64_t[]){5});
    glc_value_id xx[2] = {x, x};
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_ISNAN, "nan", &x, 1, NULL));
    glc_graph_add_output(G, cg_node(G, GLC_OP_ISINF, "inf", &x, 1, NULL));
    glc_graph_add_output(G, cg_node(G, GLC_OP_ISINF, "neginf", &x, 1, &n));
    glc_node_set_int(G, n, "detect_positive", 0);
    glc_graph_add_output(G, cg_node(G, GLC_OP_EQUAL, "eq", xx, 2, NULL));
    glc_rt_model *m = cg_compile(G, "isnan.so");
    float in[5] = {NAN, INFINITY, -INFINITY, 0.0f, -1e38f};
    uint8_t a[5], b[5], c[5], e[5];
    const void *ins[1] = {in};
    void *outs[4] = {a, b, c, e};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    uint8_t wa[5] = {1, 0, 0, 0, 0}, wb[5] = {0, 1, 1, 0, 0}, wc[5] = {0, 0, 1, 0, 0},
            we[5] = {0, 1, 1, 1, 1};
    assert_memory_equal(a, wa, 5);
    assert_memory_equal(b, wb, 5);
    assert_memory_equal(c, wc, 5);
    assert_memory_equal(e, we, 5); /* NaN == NaN is false */
    glc_rt_model_close(m);
}

static void test_codegen__bitwise_ops_on_every_integer_dtype(void **state) {
    (void)state;
    static const glc_op ops[] = {GLC_OP_BITWISEAND, GLC_OP_BITWISEOR, GLC_OP_BITWISEXOR,
                                 GLC_OP_BITWISENOT};
    every_dtype(ops, 4, "bits.so");
}

/* BitShift's direction is required; a shift by the width or more gives 0. */
static void test_codegen__bitshift_left_and_right(void **state) {
    (void)state;
    glc_value_id in[2] = {cg_in(G, "x", GLC_DT_U8, 1, (int64_t[]){4}),
                          cg_in(G, "n", GLC_DT_U8, 1, (int64_t[]){4})};
    glc_node_id l, r;
    glc_graph_add_output(G, cg_node(G, GLC_OP_BITSHIFT, "l", in, 2, &l));
    glc_graph_add_output(G, cg_node(G, GLC_OP_BITSHIFT, "r", in, 2, &r));
    glc_node_set_string(G, l, "direction", "LEFT");
    glc_node_set_string(G, r, "direction", "RIGHT");
    cg_check_vs_interp(G, "shift_rand.so");
    glc_rt_model *m = cg_compile(G, "shift.so");
    uint8_t x[4] = {0x81, 3, 255, 16}, n[4] = {1, 7, 8, 200}, a[4], b[4];
    const void *ins[2] = {x, n};
    void *outs[2] = {a, b};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_true(a[0] == 2 && a[1] == 0x80 && a[2] == 0 && a[3] == 0);
    assert_true(b[0] == 0x40 && b[1] == 0 && b[2] == 0 && b[3] == 0);
    glc_rt_model_close(m);
}

/* CastLike casts input 0 to input 1's dtype; input 1 is neither read nor broadcast. */
static void test_codegen__castlike_takes_only_the_dtype_of_its_second_input(void **state) {
    (void)state;
    static const glc_dtype dts[] = {GLC_DT_F16, GLC_DT_BF16, GLC_DT_F64, GLC_DT_I8, GLC_DT_BOOL};
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 2, (int64_t[]){3, 4});
    for (int t = 0; t < 5; t++) {
        char n[2][32];
        snprintf(n[0], 32, "like_%s", glc_dtype_name(dts[t]));
        snprintf(n[1], 32, "to_%s", glc_dtype_name(dts[t]));
        glc_value_id in[2] = {x, cg_in(G, n[0], dts[t], 1, (int64_t[]){5})};
        glc_value_id y = cg_node(G, GLC_OP_CASTLIKE, n[1], in, 2, NULL);
        glc_graph_add_output(G, y);
    }
    cg_check_vs_interp(G, "castlike.so");
    for (uint32_t k = 0; k < G->n_outputs; k++) {
        const glc_value *y = &G->values[G->outputs[k]];
        assert_true(y->dtype == dts[k] && y->rank == 2 && y->dims[0] == 3 && y->dims[1] == 4);
    }
}

/* The elementwise kernels on other targets: AVX2 (x86-64-v3: 8-lane f32 vectors, F16C
 * unused, FMA) and baseline x86-64 (SSE2: llvm.floor and friends become libm calls). */
static void test_codegen__elementwise_kernels_on_avx2_and_baseline_x86(void **state) {
    (void)state;
#if defined(__x86_64__)
    static const char *const cpus[] = {"x86-64-v3", "x86-64"};
    static const glc_op ops[] = {GLC_OP_EXP,  GLC_OP_ERF,   GLC_OP_SIN, GLC_OP_POW,
                                 GLC_OP_GELU, GLC_OP_ROUND, GLC_OP_MOD, GLC_OP_CAST};
    for (int k = 0; k < 2; k++) {
        cg_cpu = cpus[k];
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            static const glc_dtype dts[] = {GLC_DT_F32, GLC_DT_F16, GLC_DT_F64};
            for (int t = 0; t < 3; t++) {
                char n[3][48];
                snprintf(n[0], 48, "a_%s_%s", glc_op_name(ops[i]), glc_dtype_name(dts[t]));
                snprintf(n[1], 48, "b_%s_%s", glc_op_name(ops[i]), glc_dtype_name(dts[t]));
                snprintf(n[2], 48, "%s_%s", glc_op_name(ops[i]), glc_dtype_name(dts[t]));
                glc_value_id in[2] = {cg_in(G, n[0], dts[t], 1, (int64_t[]){67}),
                                      cg_in(G, n[1], dts[t], 1, (int64_t[]){67})};
                glc_node_id nid;
                glc_graph_add_output(G, cg_node(G, ops[i], n[2], in, glc_op_table[ops[i]].in_min,
                                                &nid));
                if (ops[i] == GLC_OP_CAST) glc_node_set_int(G, nid, "to", GLC_DT_BF16);
            }
        }
        char so[32];
        snprintf(so, sizeof so, "cpu%d.so", k);
        cg_check_vs_interp(G, so);
        glc_graph_destroy(G);
        G = glc_graph_create();
        G->opset = 17;
    }
    cg_cpu = NULL;
#endif
}

/* An integer becomes a float in one rounding, in the interpreter as in compiled code:
 * 2^60 + 2^36 + 1 is 2^60 + 2^37 in f32 (through f64 it would be 2^60, a tie gone even). */
static void test_codegen__integers_round_once_to_f32_and_bf16(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_I64, 1, (int64_t[]){2});
    glc_node_id a, b;
    glc_graph_add_output(G, cg_node(G, GLC_OP_CAST, "f32", &x, 1, &a));
    glc_graph_add_output(G, cg_node(G, GLC_OP_CAST, "bf16", &x, 1, &b));
    glc_node_set_int(G, a, "to", GLC_DT_F32);
    glc_node_set_int(G, b, "to", GLC_DT_BF16);
    G->opset = 19; /* bf16 rounded to nearest even */
    int64_t in[2] = {((int64_t)1 << 60) + ((int64_t)1 << 36) + 1, -3};
    float want = (float)(((int64_t)1 << 60) + ((int64_t)1 << 37)), got[2], ref[2];
    uint16_t gb[2], rb[2];
    glc_rt_model *m = cg_compile(G, "i2f.so");
    const void *ins[1] = {in};
    void *outs[2] = {got, gb}, *refs[2] = {ref, rb};
    glc_diag d = {0};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    assert_int_equal(glc_interp_run(G, ins, refs, &d), GLC_OK);
    assert_true(got[0] == want && ref[0] == want && got[1] == -3.0f && ref[1] == -3.0f);
    assert_true(gb[0] == rb[0] && gb[1] == 0xc040 && rb[1] == 0xc040);
    glc_rt_model_close(m);
}

/* Every reduction (the OPF_REDUCE rows) on every dtype it implements, over an inner axis
 * kept (contiguous combine), the inner axis reduced (a chain), two axes, and all axes. */
static void test_codegen__reductions_on_every_dtype_and_axis_set(void **state) {
    (void)state;
    static const int64_t sets[3][2] = {{1, 0}, {-1, 0}, {0, 2}};
    static const int counts[3] = {1, 1, 2};
    G->opset = 11; /* the axes are attributes */
    for (int op = GLC_OP_NONE + 1; op < GLC_OP_COUNT; op++) {
        const glc_op_info *oi = &glc_op_table[op];
        if (!(oi->flags & OPF_REDUCE)) continue;
        for (int t = 0; t < 32; t++) {
            if (!(oi->types.t_have & GLC_DT_BIT(t))) continue;
            char name[64];
            snprintf(name, sizeof name, "%s_%s", oi->id, glc_dtype_name((glc_dtype)t));
            glc_value_id x = cg_in(G, name, (glc_dtype)t, 3, (int64_t[]){3, 17, 5});
            for (int k = 0; k < 4; k++) {
                snprintf(name, sizeof name, "%s_%s_%d", oi->id, glc_dtype_name((glc_dtype)t), k);
                glc_node_id nid;
                glc_graph_add_output(G, cg_node(G, (glc_op)op, name, &x, 1, &nid));
                if (k < 3) glc_node_set_ints(G, nid, "axes", sets[k], (uint32_t)counts[k]);
                glc_node_set_int(G, nid, "keepdims", k % 2);
            }
        }
        char so[96];
        snprintf(so, sizeof so, "%s_reduce.so", oi->id);
        cg_check_vs_interp(G, so);
        glc_graph_destroy(G);
        G = glc_graph_create();
        G->opset = 11;
    }
}

static void test_codegen__softmax_opset13_middle_axis(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){2, 3, 4});
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, &n));
    glc_node_set_int(G, n, "axis", 1);
    cg_check_vs_interp(G, "sm13.so");
}

static void test_codegen__softmax_legacy_flattens_trailing_dims(void **state) {
    (void)state;
    G->opset = 11;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){2, 3, 4});
    glc_graph_add_output(G, cg_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, NULL));
    glc_rt_model *m = cg_compile(G, "sm11.so");
    float in[24], out[24];
    for (int i = 0; i < 24; i++)
        in[i] = (float)i;
    const void *ins[1] = {in};
    void *outs[1] = {out};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    for (int b = 0; b < 2; b++) {
        double s = 0;
        for (int i = 0; i < 12; i++)
            s += exp(in[b * 12 + i] - in[b * 12 + 11]);
        for (int i = 0; i < 12; i++)
            assert_float_equal(out[b * 12 + i], exp(in[b * 12 + i] - in[b * 12 + 11]) / s, 1e-6);
    }
    glc_rt_model_close(m);
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 11;
    x = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){2, 3, 4});
    glc_graph_add_output(G, cg_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, NULL));
    cg_check_vs_interp(G, "sm11b.so");
}

/* Softmax in f64 (SwiftF0's pitch distribution): computed in double, against a hand sum at
 * 1e-14 (an f32 computation misses by ~1e-7), and against the interpreter. */
static void test_codegen__softmax_f64_is_computed_in_double(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F64, 3, (int64_t[]){2, 3, 4});
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, &n));
    glc_node_set_int(G, n, "axis", 1);
    glc_rt_model *m = cg_compile(G, "sm64.so");
    double in[24], out[24];
    for (int i = 0; i < 24; i++)
        in[i] = 0.37 * i - 3.0 + 1e-9 * (i % 5);
    const void *ins[1] = {in};
    void *outs[1] = {out};
    assert_int_equal(glc_rt_model_run(m, ins, NULL, outs, NULL, 0), GLC_RT_OK);
    for (int b = 0; b < 2; b++)
        for (int k = 0; k < 4; k++) {
            double s = 0;
            for (int j = 0; j < 3; j++)
                s += exp(in[b * 12 + j * 4 + k] - in[b * 12 + 8 + k]);
            for (int j = 0; j < 3; j++) {
                int at = b * 12 + j * 4 + k;
                assert_float_equal(out[at], exp(in[at] - in[b * 12 + 8 + k]) / s, 1e-14);
            }
        }
    glc_rt_model_close(m);
    cg_check_vs_interp(G, "sm64b.so");
}

static void gemm_case(int ta, int tb, float alpha, float beta, int rc, const int64_t *dc,
                      const char *file) {
    int64_t M = 5, K = 7, N = 19;
    glc_value_id in[3] = {cg_in(G, "A", GLC_DT_F32, 2, ta ? (int64_t[]){K, M} : (int64_t[]){M, K}),
                          cg_in(G, "B", GLC_DT_F32, 2, tb ? (int64_t[]){N, K} : (int64_t[]){K, N}),
                          0};
    if (rc >= 0) in[2] = cg_in(G, "C", GLC_DT_F32, rc, dc);
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_GEMM, "gemm", in, rc >= 0 ? 3 : 2, &n));
    glc_node_set_int(G, n, "transA", ta);
    glc_node_set_int(G, n, "transB", tb);
    glc_node_set_float(G, n, "alpha", alpha);
    glc_node_set_float(G, n, "beta", beta);
    cg_check_vs_interp(G, file);
}

static void test_codegen__gemm_plain_with_row_bias(void **state) {
    (void)state;
    gemm_case(0, 0, 1.0f, 1.0f, 1, (int64_t[]){19}, "g0.so");
}

static void test_codegen__gemm_transposed_scaled_column_bias(void **state) {
    (void)state;
    gemm_case(1, 1, 0.5f, 2.0f, 2, (int64_t[]){5, 1}, "g1.so");
}

static void test_codegen__gemm_transb_without_c(void **state) {
    (void)state;
    gemm_case(0, 1, 1.5f, 1.0f, -1, NULL, "g2.so");
}

static void mm_case(int ra, const int64_t *da, int rb, const int64_t *db, const char *file) {
    glc_value_id in[2] = {cg_in(G, "a", GLC_DT_F32, ra, da), cg_in(G, "b", GLC_DT_F32, rb, db)};
    glc_graph_add_output(G, cg_node(G, GLC_OP_MATMUL, "mm", in, 2, NULL));
    cg_check_vs_interp(G, file);
}

static void test_codegen__matmul_batched_broadcast(void **state) {
    (void)state;
    mm_case(4, (int64_t[]){2, 1, 3, 4}, 3, (int64_t[]){5, 4, 17}, "mm0.so");
}

static void test_codegen__matmul_1d_promotion(void **state) {
    (void)state;
    mm_case(1, (int64_t[]){4}, 3, (int64_t[]){2, 4, 6}, "mm1.so");
    glc_graph_destroy(G);
    G = glc_graph_create();
    mm_case(2, (int64_t[]){3, 4}, 1, (int64_t[]){4}, "mm2.so");
}

static void test_codegen__transpose_default_and_perm(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){2, 3, 4});
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_TRANSPOSE, "t0", &x, 1, NULL));
    glc_graph_add_output(G, cg_node(G, GLC_OP_TRANSPOSE, "t1", &x, 1, &n));
    glc_node_set_ints(G, n, "perm", (int64_t[]){1, 2, 0}, 3);
    cg_check_vs_interp(G, "tr.so");
}

/* Size-1 axes dropped, contiguous neighbours merged ([H, N, W, C] -> [N, H, W, C] copies
 * runs of W*C), and 1 MiB outputs split into tasks (checked on 1 and 3 threads too). */
static void test_codegen__transpose_merged_axes_and_tasks(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 4, (int64_t[]){32, 16, 32, 16});
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_TRANSPOSE, "t0", &x, 1, &n));
    glc_node_set_ints(G, n, "perm", (int64_t[]){1, 0, 2, 3}, 4);
    glc_graph_add_output(G, cg_node(G, GLC_OP_TRANSPOSE, "t1", &x, 1, &n));
    glc_node_set_ints(G, n, "perm", (int64_t[]){2, 1, 0, 3}, 4);
    glc_value_id v = cg_in(G, "v", GLC_DT_I32, 5, (int64_t[]){3, 1, 5, 1, 7});
    glc_graph_add_output(G, cg_node(G, GLC_OP_TRANSPOSE, "t2", &v, 1, &n));
    glc_node_set_ints(G, n, "perm", (int64_t[]){3, 0, 1, 4, 2}, 5);
    cg_check_vs_interp(G, "tr_big.so");
}

static void test_codegen__concat_negative_axis_three_inputs(void **state) {
    (void)state;
    glc_value_id in[3] = {cg_in(G, "a", GLC_DT_I64, 2, (int64_t[]){2, 1}),
                          cg_in(G, "b", GLC_DT_I64, 2, (int64_t[]){2, 3}),
                          cg_in(G, "c", GLC_DT_I64, 2, (int64_t[]){2, 2})};
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_CONCAT, "cat", in, 3, &n));
    glc_node_set_int(G, n, "axis", -1);
    cg_check_vs_interp(G, "cat.so");
}

static void test_codegen__reshape_flatten_identity_and_aliased_outputs(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 3, (int64_t[]){2, 3, 4});
    glc_value_id shp =
        glc_graph_add_const(G, "shape", GLC_DT_I64, 1, (int64_t[]){2}, (int64_t[]){4, -1});
    glc_value_id w =
        glc_graph_add_const(G, "w", GLC_DT_F32, 1, (int64_t[]){2}, (float[]){1.5f, -2.0f});
    glc_value_id r = cg_node(G, GLC_OP_RESHAPE, "reshape", (glc_value_id[]){x, shp}, 2, NULL);
    glc_value_id f = cg_node(G, GLC_OP_FLATTEN, "flatten", &x, 1, NULL);
    glc_value_id i = cg_node(G, GLC_OP_IDENTITY, "ident", &r, 1, NULL);
    glc_graph_add_output(G, r);
    glc_graph_add_output(G, f);
    glc_graph_add_output(G, i);
    glc_graph_add_output(G, r); /* listed twice: copied */
    glc_graph_add_output(G, x); /* a graph input: copied */
    glc_graph_add_output(G, w); /* a constant: copied */
    cg_check_vs_interp(G, "copy.so");
}

static void test_codegen__workspace_reuses_dead_values(void **state) {
    (void)state;
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, 2, (int64_t[]){4, 64});
    glc_value_id t1 = cg_node(G, GLC_OP_RELU, "n1", &x, 1, NULL);
    glc_value_id t2 = cg_node(G, GLC_OP_TANH, "n2", &t1, 1, NULL);
    glc_value_id t3 = cg_node(G, GLC_OP_SIGMOID, "n3", &t2, 1, NULL);
    glc_graph_add_output(G, cg_node(G, GLC_OP_ADD, "n4", (glc_value_id[]){t3, t2}, 2, NULL));
    glc_rt_model *m = cg_compile(G, "reuse.so");
    /* t1 and t3 share a slot; t2 is live across both. */
    assert_int_equal(glc_rt_model_desc(m)->workspace_size, 2 * 4 * 64 * 4);
    glc_rt_model_close(m);
    cg_check_vs_interp(G, "reuse2.so");
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_codegen__add_f32_broadcasts_column_against_3d),
        T(test_codegen__sub_f32_broadcasts_both_ways),
        T(test_codegen__mul_i32_broadcasts_scalar),
        T(test_codegen__div_f32_and_i64),
        T(test_codegen__relu_sigmoid_tanh_chain),
        T(test_codegen__relu_keeps_nan),
        T(test_codegen__arithmetic_on_every_numeric_dtype),
        T(test_codegen__activations_on_every_dtype_they_take),
        T(test_codegen__math_functions_on_every_dtype_they_take),
        T(test_codegen__trigonometric_and_hyperbolic_functions),
        T(test_codegen__rounding_and_sign_specials),
        T(test_codegen__activations_of_onnx_on_every_dtype_they_take),
        T(test_codegen__activation_attributes_and_known_values),
        T(test_codegen__swish_default_and_given_alpha),
        T(test_codegen__pow_mod_clip_on_every_dtype_they_take),
        T(test_codegen__pow_mixes_types_as_onnx_does),
        T(test_codegen__mod_signs_and_fmod),
        T(test_codegen__clip_bounds_from_inputs_or_attributes),
        T(test_codegen__variadic_ops_broadcast_all_inputs),
        T(test_codegen__comparisons_and_logic_on_every_dtype_they_take),
        T(test_codegen__where_broadcasts_condition_and_both_values),
        T(test_codegen__isnan_isinf_and_unordered_comparisons),
        T(test_codegen__bitwise_ops_on_every_integer_dtype),
        T(test_codegen__bitshift_left_and_right),
        T(test_codegen__castlike_takes_only_the_dtype_of_its_second_input),
        T(test_codegen__elementwise_kernels_on_avx2_and_baseline_x86),
        T(test_codegen__integers_round_once_to_f32_and_bf16),
        T(test_codegen__reductions_on_every_dtype_and_axis_set),
        T(test_codegen__softmax_opset13_middle_axis),
        T(test_codegen__softmax_legacy_flattens_trailing_dims),
        T(test_codegen__softmax_f64_is_computed_in_double),
        T(test_codegen__gemm_plain_with_row_bias),
        T(test_codegen__gemm_transposed_scaled_column_bias),
        T(test_codegen__gemm_transb_without_c),
        T(test_codegen__matmul_batched_broadcast),
        T(test_codegen__matmul_1d_promotion),
        T(test_codegen__transpose_default_and_perm),
        T(test_codegen__transpose_merged_axes_and_tasks),
        T(test_codegen__concat_negative_axis_three_inputs),
        T(test_codegen__reshape_flatten_identity_and_aliased_outputs),
        T(test_codegen__workspace_reuses_dead_values),
#undef T
    };
    return cmocka_run_group_tests_name("codegen_ops", tests, cg_group_setup, cg_group_teardown);
}
