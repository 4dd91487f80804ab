/* cg_test_util.h -- helpers for the codegen tests: build a graph, compile it to a .so in
 * a temp dir under GLC_TEST_BIN, open it with the runtime loader and compare its outputs
 * with the reference interpreter on random inputs. */
#ifndef GLC_TESTS_CG_TEST_UTIL_H
#define GLC_TESTS_CG_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen.h"
#include "glc_runtime.h"
#include "passes.h"

static char cg_tmpdir[512];

static inline int cg_make_tmpdir(void) {
    snprintf(cg_tmpdir, sizeof cg_tmpdir, "%s/cgtest-XXXXXX", GLC_TEST_BIN);
    return mkdtemp(cg_tmpdir) ? 0 : -1;
}

static inline void cg_rm_tmpdir(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cg_tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", cg_tmpdir);
}

/* The group setup and teardown of a test file that compiles: the temp dir. */
static inline int cg_group_setup(void **state) {
    (void)state;
    return cg_make_tmpdir();
}

static inline int cg_group_teardown(void **state) {
    (void)state;
    cg_rm_tmpdir();
    return 0;
}

static inline glc_value_id cg_in(glc_graph *g, const char *name, glc_dtype dt, int rank,
                                 const int64_t *dims) {
    glc_value_id v = glc_graph_add_value(g, name, dt, rank, dims);
    glc_graph_add_input(g, v);
    return v;
}

static inline glc_value_id cg_node(glc_graph *g, glc_op op, const char *name,
                                   const glc_value_id *in, int n_in, glc_node_id *nid) {
    char vn[128];
    snprintf(vn, sizeof vn, "%s_out", name);
    glc_value_id y = glc_graph_add_value(g, vn, GLC_DT_UNDEF, 0, NULL);
    glc_node_id n = glc_graph_add_node(g, op, name, in, n_in, &y, 1);
    if (nid) *nid = n;
    return y;
}

/* Set by a test to compile with glc_codegen_options.winograd (reset in its teardown). */
static bool cg_winograd;
/* Set by a test to compile for this CPU (glc_codegen_options.cpu; NULL: the host). */
static const char *cg_cpu;

/* Two questions a test may ask before it runs generated code, each answered for itself:
 * what glc will emit for the default target (the host, or GLC_DEFAULT_CPU; see
 * glc_codegen_target_has), and whether this host can run code using a feature (the CPU's
 * own answer). Each skips the running test and says why when the answer is no. */
static inline void cg_require_target(const char *feature) {
    glc_codegen_options o = glc_codegen_defaults();
    glc_codegen_target t;
    glc_diag d = {0};
    assert_int_equal(glc_codegen_target_resolve(&o, &t, &d), GLC_OK);
    bool has = glc_codegen_target_has(&t, feature);
    if (!has)
        print_message("skipped: glc's target (cpu %s, from %s) has no %s\n", t.cpu,
                      t.cpu_source, feature);
    glc_codegen_target_fini(&t);
    if (!has) skip();
}
/* FEATURE is a string literal (__builtin_cpu_supports' name, e.g. "avx512bf16"). */
#if defined(__x86_64__)
#define CG_HOST_RUNS(feature) __builtin_cpu_supports(feature)
#else
#define CG_HOST_RUNS(feature) 0
#endif
#define CG_REQUIRE_HOST(feature)                                                               \
    do {                                                                                       \
        if (!CG_HOST_RUNS(feature)) {                                                          \
            print_message("skipped: this host cannot run %s code\n", feature);                \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

/* Whether a node of g carries attribute name (a test chose it). */
static inline bool cg_attr_chosen(const glc_graph *g, const char *name) {
    for (uint32_t k = 0; k < g->n_nodes; k++)
        if (glc_node_attr(&g->nodes[k], name)) return true;
    return false;
}

/* Compiles g to <tmpdir>/<file> and opens it. The recurrent nodes hoist their input
 * projections, fuse their cells and run as wavefronts as the pipeline's hoist-projections,
 * fuse-cell and wavefront passes choose, unless the test set glc_hoist_steps, glc_fuse_cell
 * or glc_wavefront itself. */
static inline glc_rt_model *cg_compile(glc_graph *g, const char *file) {
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_infer_shapes(g, &d) || glc_graph_verify(g, &d)) fail_msg("graph: %s", d.msg);
    glc_pass_ctx cx = {.diag = &d};
    if (!cg_attr_chosen(g, GLC_ATTR_HOIST_STEPS) && glc_pass_hoist_projections(g, &cx))
        fail_msg("hoist-projections: %s", d.msg);
    if (!cg_attr_chosen(g, GLC_ATTR_FUSE_CELL) && glc_pass_fuse_cell(g, &cx))
        fail_msg("fuse-cell: %s", d.msg);
    if (!cg_attr_chosen(g, GLC_ATTR_WAVEFRONT) && glc_pass_wavefront(g, &cx))
        fail_msg("wavefront: %s", d.msg);
    char path[700];
    snprintf(path, sizeof path, "%s/%s", cg_tmpdir, file);
    glc_codegen_options o = glc_codegen_defaults();
    o.winograd = cg_winograd;
    o.cpu = cg_cpu;
    if (glc_codegen_emit(g, &o, path, &d) != GLC_OK) fail_msg("codegen: %s: %s", d.node, d.msg);
    glc_rt_model *m = NULL;
    char err[256];
    if (glc_rt_model_open(path, NULL, &m, err, sizeof err)) fail_msg("open: %s", err);
    return m;
}

/* Compiles g to <tmpdir>/<file> and runs it on in, then the interpreter: output i of each
 * in got[i] and ref[i], allocated here to its size (the caller frees them). */
static inline void cg_run_both(glc_graph *g, const char *file, const void *const *in, void **got,
                               void **ref) {
    glc_rt_model *m = cg_compile(g, file);
    const glc_model_desc *mi = glc_rt_model_desc(m);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        got[i] = calloc(1, glc_value_nbytes(&g->values[g->outputs[i]]));
        ref[i] = calloc(1, glc_value_nbytes(&g->values[g->outputs[i]]));
    }
    void *ws = mi->workspace_size ? aligned_alloc(64, (mi->workspace_size + 63) / 64 * 64) : NULL;
    assert_int_equal(glc_rt_model_run(m, in, NULL, got, ws, mi->workspace_size), GLC_RT_OK);
    free(ws);
    glc_rt_model_close(m);
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_interp_run(g, in, ref, &d)) fail_msg("interp: %s", d.msg);
}

static inline void cg_fill(const glc_value *v, void *p, unsigned *seed) {
    int64_t n = glc_value_numel(v);
    size_t es = glc_dtype_size(v->dtype);
    for (int64_t i = 0; i < n; i++) {
        double r = (double)rand_r(seed) / RAND_MAX * 4.0 - 2.0;
        char *at = (char *)p + (size_t)i * es;
        if (v->dtype == GLC_DT_F32) {
            ((float *)p)[i] = (float)r;
        } else if (v->dtype == GLC_DT_F64) {
            ((double *)p)[i] = r;
        } else if (v->dtype == GLC_DT_F16) {
            ((uint16_t *)p)[i] = glc_f64_to_f16(r);
        } else if (v->dtype == GLC_DT_BF16) {
            ((uint16_t *)p)[i] = glc_f32_to_bf16((float)r);
        } else if (v->dtype == GLC_DT_BOOL) {
            ((uint8_t *)p)[i] = r > 0;
        } else { /* integers: small values, unsigned ones non-negative */
            bool sgn = v->dtype == GLC_DT_I8 || v->dtype == GLC_DT_I16 || v->dtype == GLC_DT_I32 ||
                       v->dtype == GLC_DT_I64;
            int64_t k = lround((sgn ? r : fabs(r)) * 3);
            memcpy(at, &k, es); /* little-endian: the low bytes */
        }
    }
}

/* Element i of a float tensor (f16/bf16/f32/f64) as a double. */
static inline double cg_float_at(glc_dtype dt, const void *p, int64_t i) {
    if (dt == GLC_DT_F16) return glc_f16_to_f32(((const uint16_t *)p)[i]);
    if (dt == GLC_DT_BF16) return glc_bf16_to_f32(((const uint16_t *)p)[i]);
    if (dt == GLC_DT_F64) return ((const double *)p)[i];
    return ((const float *)p)[i];
}

/* f32 (and f64) to 1e-5 relative; f16 and bf16 to 1 part in 2^8 (an ulp of bf16: both
 * sides round the same f32 value, but the interpreter computes it in double); integers
 * and bools exactly. */
static inline void cg_compare(const glc_value *v, const void *got, const void *want) {
    int64_t n = glc_value_numel(v);
    size_t es = glc_dtype_size(v->dtype);
    bool half = v->dtype == GLC_DT_F16 || v->dtype == GLC_DT_BF16;
    for (int64_t i = 0; i < n; i++) {
        if (glc_dtype_is_float(v->dtype)) {
            double a = cg_float_at(v->dtype, got, i), b = cg_float_at(v->dtype, want, i);
            if (isnan(a) && isnan(b)) continue;
            if (!(fabs(a - b) <= (half ? 4e-3 : 1e-5) * fmax(1.0, fabs(b))) && a != b)
                fail_msg("%s[%lld]: got %.9g want %.9g", v->name, (long long)i, a, b);
        } else if (memcmp((const char *)got + i * es, (const char *)want + i * es, es)) {
            int64_t a = 0, b = 0;
            memcpy(&a, (const char *)got + i * es, es);
            memcpy(&b, (const char *)want + i * es, es);
            fail_msg("%s[%lld]: got %lld want %lld (%s)", v->name, (long long)i, (long long)a,
                     (long long)b, glc_dtype_name(v->dtype));
        }
    }
}

/* Norm-wise comparison for long sums (convolutions, products with K in the thousands):
 * |got - want| <= rtol * max(1, max |want|) over the whole output. Element-wise relative
 * error is the wrong yardstick there: an output near zero is a cancellation of large terms,
 * and any change of summation order (blocking, FMA) moves it by rounding of those terms. */
static inline void cg_compare_normwise(const glc_value *v, const float *got, const float *want,
                                       double rtol) {
    int64_t n = glc_value_numel(v);
    double scale = 1.0;
    for (int64_t i = 0; i < n; i++)
        scale = fmax(scale, fabs((double)want[i]));
    for (int64_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= rtol * scale))
            fail_msg("%s[%lld]: got %.9g want %.9g (norm-wise tolerance %.3g)", v->name,
                     (long long)i, got[i], want[i], rtol * scale);
}

/* The outputs `got` of a run on the default pool are bitwise those of a run on the calling
 * thread alone and on a pool of 3 threads: tasks split work, never change a sum. */
static inline void cg_check_thread_invariance(const glc_rt_model *m, const void *const *in,
                                              void *const *got, void *ws) {
    const glc_model_desc *mi = glc_rt_model_desc(m);
    glc_rt_pool *pool = NULL;
    assert_int_equal(glc_rt_pool_create(3, &pool), GLC_RT_OK);
    const glc_parallel *pars[2] = {NULL, glc_rt_pool_parallel(pool)};
    for (int k = 0; k < 2; k++) {
        void *out[128];
        for (uint32_t i = 0; i < mi->n_outputs; i++)
            out[i] = calloc(1, mi->outputs[i].size_bytes + 1);
        assert_int_equal(glc_rt_model_run_with(m, in, NULL, out, ws, mi->workspace_size, pars[k]),
                         GLC_RT_OK);
        for (uint32_t i = 0; i < mi->n_outputs; i++) {
            if (memcmp(out[i], got[i], mi->outputs[i].size_bytes))
                fail_msg("output '%s' differs on %s", mi->outputs[i].name,
                         k ? "3 threads" : "1 thread");
            free(out[i]);
        }
    }
    glc_rt_pool_destroy(pool);
}

/* Compiles g, checks info() against g, runs it and the interpreter on random data and
 * compares each output: element-wise (cg_compare) when normwise_rtol is 0, else f32
 * outputs norm-wise with that tolerance. */
static inline void cg_check_vs_interp_tol(glc_graph *g, const char *file, double normwise_rtol);

static inline void cg_check_vs_interp(glc_graph *g, const char *file) {
    cg_check_vs_interp_tol(g, file, 0);
}

static inline void cg_check_vs_interp_tol(glc_graph *g, const char *file, double normwise_rtol) {
    glc_rt_model *m = cg_compile(g, file);
    const glc_model_desc *mi = glc_rt_model_desc(m);
    assert_int_equal(mi->abi_version, GLC_ABI_VERSION);
    assert_int_equal(mi->n_inputs, g->n_inputs);
    assert_int_equal(mi->n_outputs, g->n_outputs);
    assert_true(g->n_inputs <= 128 && g->n_outputs <= 128);
    void *in[128], *out[128], *want[128];
    unsigned seed = 1234;
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        assert_string_equal(mi->inputs[i].name, v->name);
        assert_int_equal(mi->inputs[i].dtype, v->dtype);
        assert_int_equal(mi->inputs[i].rank, v->rank);
        for (int k = 0; k < v->rank; k++)
            assert_int_equal(mi->inputs[i].dims[k], v->dims[k]);
        assert_int_equal(mi->inputs[i].size_bytes, glc_value_nbytes(v));
        in[i] = malloc(glc_value_nbytes(v) + 1);
        cg_fill(v, in[i], &seed);
    }
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        assert_string_equal(mi->outputs[i].name, v->name);
        assert_int_equal(mi->outputs[i].dtype, v->dtype);
        assert_int_equal(mi->outputs[i].rank, v->rank);
        for (int k = 0; k < v->rank; k++)
            assert_int_equal(mi->outputs[i].dims[k], v->dims[k]);
        assert_int_equal(mi->outputs[i].size_bytes, glc_value_nbytes(v));
        out[i] = calloc(1, glc_value_nbytes(v) + 1);
        want[i] = calloc(1, glc_value_nbytes(v) + 1);
    }
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_interp_run(g, (const void *const *)in, want, &d)) fail_msg("interp: %s", d.msg);
    void *ws = mi->workspace_size ? aligned_alloc(64, (mi->workspace_size + 63) / 64 * 64) : NULL;
    assert_int_equal(glc_rt_model_run(m, (const void *const *)in, NULL, out, ws, mi->workspace_size),
                     GLC_RT_OK);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        if (normwise_rtol > 0 && v->dtype == GLC_DT_F32)
            cg_compare_normwise(v, out[i], want[i], normwise_rtol);
        else
            cg_compare(v, out[i], want[i]);
    }
    cg_check_thread_invariance(m, (const void *const *)in, out, ws);
    free(ws);
    for (uint32_t i = 0; i < g->n_inputs; i++)
        free(in[i]);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        free(out[i]);
        free(want[i]);
    }
    glc_rt_model_close(m);
}

/* ---- symbolic dims ------------------------------------------------------------------
 * One compiled model checked over several sizes. The graph whose input dims are symbols is
 * compiled once; for each run a static graph of that run's dims runs in the reference
 * interpreter on random inputs, and the compiled model, planned and invoked at that
 * graph's input dims, must give its output dims and the interpreter's outputs, on the
 * calling thread and on a pool of 3 threads alike (bitwise). The graphs come from one of
 * two kinds of builder:
 * - cg_check_symbolic(build, ...): build(g, v) makes the graph with dims v[0..n_sym): the
 *   symbols names[] for the compiled one, sizes[r*n_sym ..] for run r; the outputs must be
 *   the interpreter's byte for byte.
 * - cg_check_sym_vs_interp(build, ctx, ...): build(g, ctx) makes the graph with symbolic
 *   input dims, made static for run r by binding its inputs to runs[r]
 *   (glc_graph_bind_inputs, as `glc run --interp` and conformance --dynamic do); the
 *   outputs compare within cg_compare's tolerance, or norm-wise. */
#define CG_SYM_MAX_IO 16
typedef void (*cg_sym_fill)(const glc_value *v, void *p, unsigned *seed);
#define CG_SYM_BITWISE (-1.0) /* cg_sym_check_run's tol: outputs equal byte for byte */

/* Plans m at the input dims of g (a static graph: the run's), checks the planned output
 * dims against g's, and runs m on inputs in into out on par (NULL: the calling thread). */
static inline void cg_sym_run_model(const glc_rt_model *m, const glc_graph *g, const void **in,
                                    void **out, const glc_parallel *par) {
    const int64_t *dims[CG_SYM_MAX_IO];
    int64_t od[CG_SYM_MAX_IO][GLC_MAX_RANK], *odp[CG_SYM_MAX_IO];
    assert_true(g->n_inputs <= CG_SYM_MAX_IO && g->n_outputs <= CG_SYM_MAX_IO);
    for (uint32_t i = 0; i < g->n_inputs; i++)
        dims[i] = g->values[g->inputs[i]].dims;
    for (int i = 0; i < CG_SYM_MAX_IO; i++)
        odp[i] = od[i];
    uint64_t wss = 0;
    assert_int_equal(glc_rt_model_plan(m, dims, odp, &wss), GLC_RT_OK);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        for (int k = 0; k < v->rank; k++)
            if (od[i][k] != v->dims[k])
                fail_msg("output '%s' axis %d planned %lld, want %lld", v->name, k,
                         (long long)od[i][k], (long long)v->dims[k]);
    }
    void *ws = wss ? aligned_alloc(64, (wss + 63) / 64 * 64) : NULL;
    assert_int_equal(glc_rt_model_run_with(m, in, dims, out, ws, wss, par), GLC_RT_OK);
    free(ws);
}

/* Run `run` of m on the static graph g: inputs from fill (seeded by *seed); the outputs
 * must be the interpreter's byte for byte (tol CG_SYM_BITWISE), within cg_compare's
 * tolerance (0), or, f32 ones, norm-wise at relative tol (> 0); and those on pool's 3
 * threads bitwise those on the calling thread. */
static inline void cg_sym_check_run(const glc_rt_model *m, const glc_graph *g, cg_sym_fill fill,
                                    unsigned *seed, double tol, glc_rt_pool *pool, int run) {
    const void *in[CG_SYM_MAX_IO];
    void *got[CG_SYM_MAX_IO], *got3[CG_SYM_MAX_IO], *want[CG_SYM_MAX_IO];
    assert_true(g->n_inputs <= CG_SYM_MAX_IO && g->n_outputs <= CG_SYM_MAX_IO);
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        void *p = calloc(1, glc_value_nbytes(v) + 1);
        fill(v, p, seed);
        in[i] = p;
    }
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        size_t nb = glc_value_nbytes(&g->values[g->outputs[i]]) + 1;
        got[i] = calloc(1, nb), got3[i] = calloc(1, nb), want[i] = calloc(1, nb);
    }
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_interp_run(g, in, want, &d)) fail_msg("run %d: interp: %s", run, d.msg);
    cg_sym_run_model(m, g, in, got, NULL);
    cg_sym_run_model(m, g, in, got3, glc_rt_pool_parallel(pool));
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        size_t nb = glc_value_nbytes(v), at = 0;
        if (tol == CG_SYM_BITWISE) {
            while (at < nb && ((char *)got[i])[at] == ((char *)want[i])[at])
                at++;
            if (at < nb)
                fail_msg("run %d: output '%s' differs from the interpreter at byte %zu", run,
                         v->name, at);
        } else if (tol > 0 && v->dtype == GLC_DT_F32) {
            cg_compare_normwise(v, got[i], want[i], tol);
        } else {
            cg_compare(v, got[i], want[i]);
        }
        if (memcmp(got[i], got3[i], nb))
            fail_msg("run %d: output '%s' differs on 3 threads", run, v->name);
        free(got[i]), free(got3[i]), free(want[i]);
    }
    for (uint32_t i = 0; i < g->n_inputs; i++)
        free((void *)in[i]);
}

typedef void (*cg_sym_build)(glc_graph *g, const glc_dim *v);

static inline void cg_check_symbolic(cg_sym_build build, int opset, int n_sym,
                                     const char *const *names, const int64_t *sizes, int n_runs,
                                     cg_sym_fill fill, const char *file) {
    glc_graph *gs = glc_graph_create();
    glc_dim v[GLC_MAX_RANK];
    gs->opset = opset;
    for (int k = 0; k < n_sym; k++)
        v[k] = glc_dim_symbol(gs, names[k]);
    build(gs, v);
    glc_rt_model *m = cg_compile(gs, file);
    const glc_model_desc *md = glc_rt_model_desc(m);
    bool symbolic = false; /* the symbols reached the model (no dim was pinned) */
    for (uint32_t i = 0; i < md->n_inputs; i++)
        for (int k = 0; k < md->inputs[i].rank; k++)
            symbolic |= md->inputs[i].dims[k] < 0;
    assert_true(symbolic);
    glc_rt_pool *pool = NULL;
    assert_int_equal(glc_rt_pool_create(3, &pool), GLC_RT_OK);
    for (int r = 0; r < n_runs; r++) {
        glc_graph *g = glc_graph_create();
        g->opset = opset;
        build(g, sizes + (size_t)r * (size_t)n_sym);
        glc_diag d;
        memset(&d, 0, sizeof d);
        if (glc_infer_shapes(g, &d)) fail_msg("run %d: graph: %s", r, d.msg);
        unsigned seed = 1234u + (unsigned)r;
        cg_sym_check_run(m, g, fill ? fill : cg_fill, &seed, CG_SYM_BITWISE, pool, r);
        glc_graph_destroy(g);
    }
    glc_rt_pool_destroy(pool);
    glc_rt_model_close(m);
    glc_graph_destroy(gs);
}

/* The dims of every graph input for one run (in graph-input order). */
typedef struct cg_sym_dims {
    int64_t dims[CG_SYM_MAX_IO][GLC_MAX_RANK];
} cg_sym_dims;

typedef void (*cg_sym_builder)(glc_graph *g, const void *ctx);

/* A fresh graph from build, shapes inferred; bound to run r's dims when r is given. */
static inline glc_graph *cg_sym_graph(cg_sym_builder build, const void *ctx, const cg_sym_dims *r) {
    glc_graph *g = glc_graph_create();
    assert_non_null(g);
    g->opset = 17;
    build(g, ctx);
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_infer_shapes(g, &d)) fail_msg("infer: %s", d.msg);
    if (!r) return g;
    int rank[CG_SYM_MAX_IO];
    const int64_t *dims[CG_SYM_MAX_IO];
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        rank[i] = g->values[g->inputs[i]].rank;
        dims[i] = r->dims[i];
    }
    if (glc_graph_bind_inputs(g, rank, dims, &d)) fail_msg("bind: %s", d.msg);
    return g;
}

/* Compiles build's graph once and checks it at each of runs[0..n) (see above); f32
 * outputs compare norm-wise at normwise_rtol when it is > 0, else element-wise. */
static inline void cg_check_sym_vs_interp(cg_sym_builder build, const void *ctx, const char *file,
                                          const cg_sym_dims *runs, int n, double normwise_rtol) {
    glc_graph *gs = cg_sym_graph(build, ctx, NULL);
    glc_rt_model *m = cg_compile(gs, file);
    glc_rt_pool *pool = NULL;
    assert_int_equal(glc_rt_pool_create(3, &pool), GLC_RT_OK);
    unsigned seed = 4321;
    for (int k = 0; k < n; k++) {
        glc_graph *g = cg_sym_graph(build, ctx, &runs[k]);
        cg_sym_check_run(m, g, cg_fill, &seed, normwise_rtol > 0 ? normwise_rtol : 0, pool, k);
        glc_graph_destroy(g);
    }
    glc_rt_pool_destroy(pool);
    glc_rt_model_close(m);
    glc_graph_destroy(gs);
}

#endif
