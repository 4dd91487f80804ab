/* test_codegen_emit.c -- the run() ABI errors, --emit kinds, bad target, unwritable output. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"
#include "files.h"

#include <sys/stat.h>

static glc_graph *G;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    if (!G) return -1;
    /* y = (a + b) * a: the sum lives in the workspace. */
    int64_t dims[2] = {4, 64};
    glc_value_id a = cg_in(G, "a", GLC_DT_F32, 2, dims), b = cg_in(G, "b", GLC_DT_F32, 2, dims);
    glc_value_id s = cg_node(G, GLC_OP_ADD, "add", (glc_value_id[]){a, b}, 2, NULL);
    glc_graph_add_output(G, cg_node(G, GLC_OP_MUL, "mul", (glc_value_id[]){s, a}, 2, NULL));
    glc_diag d;
    memset(&d, 0, sizeof d);
    return glc_infer_shapes(G, &d) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

static void test_codegen__run_rejects_null_pointers_and_short_workspace(void **state) {
    (void)state;
    glc_rt_model *m = cg_compile(G, "abi.so");
    const glc_model_desc *mi = glc_rt_model_desc(m);
    assert_int_equal(mi->workspace_size, 4 * 64 * 4);
    static float a[256], b[256], y[256];
    for (int i = 0; i < 256; i++)
        a[i] = (float)i, b[i] = 1.0f;
    void *ws = aligned_alloc(64, mi->workspace_size);
    const void *in[2] = {a, b}, *in_null[2] = {a, NULL};
    void *out[1] = {y}, *out_null[1] = {NULL};
    assert_int_equal(glc_rt_model_run(m, NULL, NULL, out, ws, mi->workspace_size), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_model_run(m, in, NULL, NULL, ws, mi->workspace_size), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_model_run(m, in_null, NULL, out, ws, mi->workspace_size), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_model_run(m, in, NULL, out_null, ws, mi->workspace_size), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, ws, mi->workspace_size - 1), GLC_RT_E_WORKSPACE);
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, NULL, mi->workspace_size), GLC_RT_E_WORKSPACE);
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, ws, mi->workspace_size), GLC_RT_OK);
    for (int i = 0; i < 256; i++)
        assert_float_equal(y[i], (i + 1.0f) * i, 0);
    free(ws);
    glc_rt_model_close(m);
}

/* g emitted as kind k for cpu (and features; NULL for both: the default target). */
static char *emit_for(const glc_graph *g, glc_emit_kind k, const char *file, const char *cpu,
                      const char *features) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", cg_tmpdir, file);
    glc_codegen_options o = glc_codegen_defaults();
    o.emit = k;
    if (cpu) o.triple = "x86_64-linux-gnu", o.cpu = cpu, o.features = features;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit(g, &o, path, &d)) fail_msg("emit: %s", d.msg);
    return tf_read_file(path, NULL);
}

static char *emit_graph(const glc_graph *g, glc_emit_kind k, const char *file) {
    return emit_for(g, k, file, NULL, NULL);
}

static char *emit_kind(glc_emit_kind k, const char *file) {
    return emit_graph(G, k, file);
}

static int count(const char *s, const char *word) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, word)); p += strlen(word))
        n++;
    return n;
}

/* A transpose moving runs of 64 floats ([16,32,32,64], perm [2,1,0,3]): only its innermost
 * loop is unrolled. Fully unrolled outer loops made thousands of moves in one block, which
 * took the machine scheduler seconds (W6's compile went from 0.3 to 3.4 s). */
static void test_codegen__transpose_outer_loops_stay_loops(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 4, (int64_t[]){16, 32, 32, 64});
    glc_node_id t;
    glc_graph_add_output(g, cg_node(g, GLC_OP_TRANSPOSE, "tr", &x, 1, &t));
    glc_node_set_ints(g, t, "perm", (int64_t[]){2, 1, 0, 3}, 4);
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    char *s = emit_graph(g, GLC_EMIT_ASM, "tr.s");
    int moves = count(s, "movups"); /* (v)movups: the vector copies */
    assert_true(moves > 0);
    assert_true(moves < 200);
    free(s);
    glc_graph_destroy(g);
}

/* x [1, 1, W] -> MaxPool (kernel 3, stride 2): p [1, 1, floor((W - 3) / 2) + 1], then a
 * chain of n Relus on p's dims. */
static glc_graph *pool_then_relus(int n) {
    glc_graph *g = glc_graph_create();
    glc_dim W = glc_dim_symbol(g, "W");
    glc_value_id v = cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){1, 1, W});
    glc_node_id pool;
    v = cg_node(g, GLC_OP_MAXPOOL, "pool", &v, 1, &pool);
    glc_node_set_ints(g, pool, "kernel_shape", (int64_t[]){3}, 1);
    glc_node_set_ints(g, pool, "strides", (int64_t[]){2}, 1);
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "relu%d", i);
        v = cg_node(g, GLC_OP_RELU, name, &v, 1, NULL);
    }
    glc_graph_add_output(g, v);
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    return g;
}

/* The divisions (sdiv) in the body of function `name` of unoptimised IR text ll. */
static int divisions_in(const char *ll, const char *name) {
    const char *f = strstr(ll, name);
    assert_non_null(f);
    const char *end = strstr(f, "\n}\n");
    assert_non_null(end);
    char *body = strndup(f, (size_t)(end - f));
    int n = count(body, " sdiv ");
    free(body);
    return n;
}

/* Each distinct dim expression is emitted once per function (codegen/dims.c): the
 * divisions of `run` (workspace offsets) and of glc.bind (size checks) do not grow with
 * the number of nodes using floor((W - 3) / 2). Before, each use emitted its own, and
 * PP-OCRv3's detector gave LLVM 1.7M lines of IR. */
static void test_codegen__each_dim_expression_is_emitted_once_per_function(void **state) {
    (void)state;
    int per_fn[2][2];
    for (int k = 0; k < 2; k++) {
        glc_graph *g = pool_then_relus(k ? 12 : 2);
        char path[700];
        snprintf(path, sizeof path, "%s/dims%d.ll", cg_tmpdir, k);
        glc_codegen_options o = glc_codegen_defaults();
        o.emit = GLC_EMIT_LLVM;
        o.opt_level = 0; /* as built: LLVM's own CSE would hide the repeats */
        glc_diag d;
        memset(&d, 0, sizeof d);
        if (glc_codegen_emit(g, &o, path, &d)) fail_msg("emit: %s", d.msg);
        char *ll = tf_read_file(path, NULL);
        per_fn[k][0] = divisions_in(ll, "@run(");
        per_fn[k][1] = divisions_in(ll, "@glc.bind(");
        free(ll);
        glc_graph_destroy(g);
    }
    assert_true(per_fn[0][0] > 0 && per_fn[0][1] > 0); /* the pool's floor division */
    assert_int_equal(per_fn[1][0], per_fn[0][0]);
    assert_int_equal(per_fn[1][1], per_fn[0][1]);
}

/* A chain of 8 Relus on x [1, 1, W]: with symbolic sizes the 7 intermediates take turns
 * in two slots, as a static layout would (model.c's ref_order). Stacked in value order,
 * each went above the one before: 7 slots, and ppocrv4_rec's workspace 204 MB. */
static void test_codegen__symbolic_workspace_reuses_dead_values(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    glc_value_id v = cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){1, 1, glc_dim_symbol(g, "W")});
    for (int i = 0; i < 8; i++) {
        char name[16];
        snprintf(name, sizeof name, "relu%d", i);
        v = cg_node(g, GLC_OP_RELU, name, &v, 1, NULL);
    }
    glc_graph_add_output(g, v);
    glc_rt_model *m = cg_compile(g, "chain.so");
    for (int64_t w = 1; w <= 5000; w *= 7) {
        const int64_t x_dims[3] = {1, 1, w}, *in_dims[1] = {x_dims};
        int64_t y_dims[3], *out_dims[1] = {y_dims};
        uint64_t ws = 0;
        assert_int_equal(glc_rt_model_plan(m, in_dims, out_dims, &ws), GLC_RT_OK);
        uint64_t slot = (uint64_t)(4 * w + 63) / 64 * 64;
        assert_int_equal(ws, 2 * slot);
    }
    glc_rt_model_close(m);
    glc_graph_destroy(g);
}

/* Whether glc's default target (the host, or GLC_DEFAULT_CPU) gets AVX-512 kernels. */
static bool target_has_avx512(void) {
    glc_codegen_options o = glc_codegen_defaults();
    glc_codegen_target t;
    glc_diag d = {0};
    assert_int_equal(glc_codegen_target_resolve(&o, &t, &d), GLC_OK);
    bool has = glc_codegen_target_has(&t, "avx512f");
    glc_codegen_target_fini(&t);
    return has;
}

/* Every --emit kind; the vectors are as wide as the target's (16 floats in zmm registers
 * where glc emits AVX-512, 8 in ymm for x86-64-v3), whatever the host: nothing runs. */
static void test_codegen__emit_kinds_vectorise_to_the_targets_width(void **state) {
    (void)state;
    char *ll = emit_kind(GLC_EMIT_LLVM, "m.ll");
    char *s = emit_kind(GLC_EMIT_ASM, "m.s");
    char *obj = emit_kind(GLC_EMIT_OBJ, "m.o");
    assert_non_null(ll);
    assert_non_null(s);
    assert_non_null(obj);
    assert_non_null(strstr(ll, "glc_model_invoke"));
    assert_non_null(strstr(s, "glc_model_describe"));
    assert_memory_equal(obj, "\177ELF", 4);
    /* Each node keeps its own kernel (noinline), a named symbol in profiles. */
    assert_non_null(strstr(s, "k.add:"));
    assert_non_null(strstr(s, "k.mul:"));
    if (target_has_avx512()) {
        assert_non_null(strstr(ll, "<16 x float>"));
        assert_non_null(strstr(s, "zmm"));
    }
    free(ll);
    free(s);
    free(obj);
    s = emit_for(G, GLC_EMIT_ASM, "v3.s", "x86-64-v3", NULL);
    assert_non_null(strstr(s, "ymm"));
    assert_null(strstr(s, "zmm"));
    free(s);
    s = emit_for(G, GLC_EMIT_ASM, "v4.s", "x86-64-v4", "+avx512f");
    assert_non_null(strstr(s, "zmm"));
    free(s);
}

static void test_codegen__bad_triple_is_an_llvm_error(void **state) {
    (void)state;
    char path[700];
    snprintf(path, sizeof path, "%s/bad.so", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    o.triple = "nonsense-unknown-nowhere";
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_codegen_emit(G, &o, path, &d), GLC_E_LLVM);
    assert_non_null(strstr(d.msg, "nonsense"));
    assert_int_equal(access(path, F_OK), -1);
}

/* Big-endian targets would read the host's little-endian weights byte-swapped: refused. */
static void test_codegen__big_endian_target_is_unsupported(void **state) {
    (void)state;
    const char *triples[] = {"aarch64_be-linux-gnu", "s390x-linux-gnu"};
    for (int i = 0; i < 2; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/be%d.o", cg_tmpdir, i);
        glc_codegen_options o = glc_codegen_defaults();
        o.triple = triples[i];
        o.emit = GLC_EMIT_OBJ;
        glc_diag d;
        memset(&d, 0, sizeof d);
        assert_int_equal(glc_codegen_emit(G, &o, path, &d), GLC_E_UNSUPPORTED);
        assert_non_null(strstr(d.msg, "big-endian"));
        assert_non_null(strstr(d.msg, triples[i]));
        assert_int_equal(access(path, F_OK), -1);
    }
}

static void test_codegen__unwritable_directory_is_io_error_and_leaves_nothing(void **state) {
    (void)state;
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/ro", cg_tmpdir);
    assert_int_equal(mkdir(dir, 0500), 0);
    snprintf(path, sizeof path, "%s/out.so", dir);
    glc_codegen_options o = glc_codegen_defaults();
    glc_diag d;
    memset(&d, 0, sizeof d);
    glc_status s = glc_codegen_emit(G, &o, path, &d);
    if (geteuid() != 0) { /* root may write anywhere */
        assert_int_equal(s, GLC_E_IO);
        assert_non_null(strstr(d.msg, path));
        assert_int_equal(access(path, F_OK), -1);
    }
    snprintf(path, sizeof path, "%s/missing/out.so", cg_tmpdir);
    assert_int_equal(glc_codegen_emit(G, &o, path, &d), GLC_E_IO);
    assert_non_null(strstr(d.msg, path));
}

static void test_codegen__bad_linker_is_link_error(void **state) {
    (void)state;
    char path[700];
    snprintf(path, sizeof path, "%s/nolink.so", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    o.cc = "false";
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_codegen_emit(G, &o, path, &d), GLC_E_LINK);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_codegen__host_cpu_is_a_name(void **state) {
    (void)state;
    char *cpu = glc_codegen_host_cpu();
    assert_non_null(cpu);
    assert_true(strlen(cpu) > 0);
    free(cpu);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_codegen__run_rejects_null_pointers_and_short_workspace),
        T(test_codegen__emit_kinds_vectorise_to_the_targets_width),
        T(test_codegen__bad_triple_is_an_llvm_error),
        T(test_codegen__big_endian_target_is_unsupported),
        T(test_codegen__unwritable_directory_is_io_error_and_leaves_nothing),
        T(test_codegen__bad_linker_is_link_error),
        T(test_codegen__host_cpu_is_a_name),
        T(test_codegen__transpose_outer_loops_stay_loops),
        T(test_codegen__each_dim_expression_is_emitted_once_per_function),
        T(test_codegen__symbolic_workspace_reuses_dead_values),
#undef T
    };
    return cmocka_run_group_tests_name("codegen_emit", tests, cg_group_setup, cg_group_teardown);
}
