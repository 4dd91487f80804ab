/* cg_sym_util.h -- codegen tests of graphs with symbolic dims: a builder makes the graph
 * (its inputs' dims may be glc_dim_symbol()s), which is compiled once; then for each set
 * of input dims a fresh graph from the same builder, made static for those dims
 * (glc_graph_bind_inputs, as `glc run --interp` and conformance --dynamic do), runs in the
 * reference interpreter on random data, and the compiled model, planned for the same
 * dims, must give the same output dims and values, on the calling thread alone and on a
 * pool of 3 threads alike (bitwise). */
#ifndef GLC_TESTS_CG_SYM_UTIL_H
#define GLC_TESTS_CG_SYM_UTIL_H

#include "cg_test_util.h"

#define CG_SYM_MAX_IO 8

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

/* Runs m at run r (inputs in, outputs out) on par (NULL: the calling thread); the planned
 * output dims must be those of g (bound to r). */
static inline void cg_sym_run_model(const glc_rt_model *m, const glc_graph *g, const cg_sym_dims *r,
                                    const void **in, void **out, const glc_parallel *par) {
    const int64_t *dims[CG_SYM_MAX_IO];
    for (int i = 0; i < CG_SYM_MAX_IO; i++)
        dims[i] = r->dims[i];
    uint64_t wss = 0;
    int64_t od[CG_SYM_MAX_IO][GLC_MAX_RANK], *odp[CG_SYM_MAX_IO];
    for (int i = 0; i < CG_SYM_MAX_IO; i++)
        odp[i] = od[i];
    assert_int_equal(glc_rt_model_plan(m, dims, odp, &wss), GLC_RT_OK);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        for (int a = 0; a < v->rank; a++)
            assert_int_equal(od[i][a], v->dims[a]);
    }
    void *ws = wss ? aligned_alloc(64, (wss + 63) / 64 * 64) : NULL;
    assert_int_equal(glc_rt_model_run_with(m, in, dims, out, ws, wss, par), GLC_RT_OK);
    free(ws);
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
        const void *in[CG_SYM_MAX_IO];
        void *out[CG_SYM_MAX_IO], *out3[CG_SYM_MAX_IO], *want[CG_SYM_MAX_IO];
        for (uint32_t i = 0; i < g->n_inputs; i++) {
            const glc_value *v = &g->values[g->inputs[i]];
            void *p = malloc(glc_value_nbytes(v) + 1);
            cg_fill(v, p, &seed);
            in[i] = p;
        }
        for (uint32_t i = 0; i < g->n_outputs; i++) {
            size_t nb = glc_value_nbytes(&g->values[g->outputs[i]]) + 1;
            out[i] = calloc(1, nb), out3[i] = calloc(1, nb), want[i] = calloc(1, nb);
        }
        glc_diag d;
        memset(&d, 0, sizeof d);
        if (glc_interp_run(g, in, want, &d)) fail_msg("interp: %s", d.msg);
        cg_sym_run_model(m, g, &runs[k], in, out, NULL);
        cg_sym_run_model(m, g, &runs[k], in, out3, glc_rt_pool_parallel(pool));
        for (uint32_t i = 0; i < g->n_outputs; i++) {
            const glc_value *v = &g->values[g->outputs[i]];
            if (normwise_rtol > 0 && v->dtype == GLC_DT_F32)
                cg_compare_normwise(v, out[i], want[i], normwise_rtol);
            else
                cg_compare(v, out[i], want[i]);
            if (memcmp(out[i], out3[i], glc_value_nbytes(v)))
                fail_msg("run %d: output '%s' differs on 3 threads", k, v->name);
            free(out[i]), free(out3[i]), free(want[i]);
        }
        for (uint32_t i = 0; i < g->n_inputs; i++)
            free((void *)in[i]);
        glc_graph_destroy(g);
    }
    glc_rt_pool_destroy(pool);
    glc_rt_model_close(m);
    glc_graph_destroy(gs);
}

#endif
