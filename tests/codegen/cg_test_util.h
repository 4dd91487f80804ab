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
    if (!cg_attr_chosen(g, "glc_hoist_steps") && glc_pass_hoist_projections(g, &cx))
        fail_msg("hoist-projections: %s", d.msg);
    if (!cg_attr_chosen(g, "glc_fuse_cell") && glc_pass_fuse_cell(g, &cx))
        fail_msg("fuse-cell: %s", d.msg);
    if (!cg_attr_chosen(g, "glc_wavefront") && glc_pass_wavefront(g, &cx))
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

static inline void cg_fill(const glc_value *v, void *p, unsigned *seed) {
    int64_t n = glc_value_numel(v);
    for (int64_t i = 0; i < n; i++) {
        double r = (double)rand_r(seed) / RAND_MAX * 4.0 - 2.0;
        if (v->dtype == GLC_DT_F32)
            ((float *)p)[i] = (float)r;
        else if (v->dtype == GLC_DT_I32)
            ((int32_t *)p)[i] = (int32_t)lround(r * 3);
        else if (v->dtype == GLC_DT_I64)
            ((int64_t *)p)[i] = (int64_t)lround(r * 3);
    }
}

static inline void cg_compare(const glc_value *v, const void *got, const void *want) {
    int64_t n = glc_value_numel(v);
    for (int64_t i = 0; i < n; i++) {
        if (v->dtype == GLC_DT_F32) {
            double a = ((const float *)got)[i], b = ((const float *)want)[i];
            if (isnan(a) && isnan(b)) continue;
            if (!(fabs(a - b) <= 1e-5 * fmax(1.0, fabs(b))))
                fail_msg("%s[%lld]: got %.9g want %.9g", v->name, (long long)i, a, b);
        } else if (v->dtype == GLC_DT_I32) {
            assert_int_equal(((const int32_t *)got)[i], ((const int32_t *)want)[i]);
        } else {
            assert_int_equal(((const int64_t *)got)[i], ((const int64_t *)want)[i]);
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
        void *out[16];
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
    void *in[16], *out[16], *want[16];
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

#endif
