/*
 * dim_bind.c -- a symbolic graph made static for given input dims (ir.h:
 * glc_graph_bind_inputs), for the reference interpreter and `glc run --interp`.
 *
 * The symbols take their values from the inputs' dims exactly as a compiled model's
 * glc.bind does (codegen/bind.c): a static dim must match, a bare symbol's first
 * occurrence gives its value (in [1, its bound]) and later ones must agree, every other
 * dim must evaluate to the given one; then every constraint must hold. Every value's dims
 * are then replaced by their values and every shape tensor (sdata) becomes a constant.
 * The graph keeps its symbols and expressions, but nothing refers to them any more.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

static glc_status take_symbols(const glc_graph *g, const int *rank, const int64_t *const *dims,
                               int64_t *syms, bool *seen, glc_diag *d) {
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        if (rank[i] != v->rank)
            return glc_diag_set(d, GLC_E_SHAPE, NULL, "input '%s' has rank %d; the model's has "
                                "rank %d", v->name, rank[i], v->rank);
        for (int a = 0; a < v->rank; a++) {
            int k = glc_dim_symbol_index(g, v->dims[a]);
            if (k < 0 || seen[k]) continue;
            int64_t mx = g->syms[k].max > 0 ? g->syms[k].max : GLC_DIM_SYM_MAX;
            if (dims[i][a] < 1 || dims[i][a] > mx)
                return glc_diag_set(d, GLC_E_SHAPE, NULL, "input '%s' axis %d: %s = %lld is "
                                    "outside [1, %lld]", v->name, a, g->syms[k].name,
                                    (long long)dims[i][a], (long long)mx);
            syms[k] = dims[i][a];
            seen[k] = true;
        }
    }
    return GLC_OK;
}

static glc_status check_inputs(const glc_graph *g, const int64_t *const *dims,
                               const int64_t *syms, glc_diag *d) {
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        for (int a = 0; a < v->rank; a++) {
            int64_t want;
            char e[128];
            if (!glc_dim_eval(g, v->dims[a], syms, &want) || want != dims[i][a])
                return glc_diag_set(d, GLC_E_SHAPE, NULL, "input '%s' axis %d is %lld; the model "
                                    "needs %s here", v->name, a, (long long)dims[i][a],
                                    glc_dim_str(g, v->dims[a], e, sizeof e));
        }
    }
    uint32_t n;
    const glc_dim_constraint *c = glc_dim_constraints(g, &n);
    for (uint32_t k = 0; k < n; k++) {
        int64_t x, y;
        bool ok = glc_dim_eval(g, c[k].a, syms, &x) && glc_dim_eval(g, c[k].b, syms, &y) &&
                  glc_dim_rel_holds(c[k].rel, x, y);
        char sa[128], sb[128];
        if (!ok)
            return glc_diag_set(d, GLC_E_SHAPE, NULL, "node '%s': %s needs %s %s %s (%lld vs %lld)",
                                c[k].node, c[k].what, glc_dim_str(g, c[k].a, sa, sizeof sa),
                                glc_dim_rel_str(c[k].rel),
                                glc_dim_str(g, c[k].b, sb, sizeof sb), (long long)x, (long long)y);
    }
    return GLC_OK;
}

/* Every value static, those of Loop bodies too: dims evaluated, shape tensors made
 * constants. */
static glc_status make_static(glc_graph *g, const int64_t *syms, glc_diag *d) {
    for (uint32_t v = 1; v < g->n_values; v++) {
        glc_value *val = &g->values[v];
        for (int a = 0; a < val->rank; a++)
            if (!glc_dim_eval(g, val->dims[a], syms, &val->dims[a]) || val->dims[a] < 0)
                return glc_diag_set(d, GLC_E_SHAPE, NULL, "value '%s': axis %d comes out as %lld "
                                    "for these input dims", val->name, a, (long long)val->dims[a]);
        if (!val->sdata) continue;
        int64_t n = glc_value_numel(val);
        void *buf = glc_arena_alloc(&g->arena, (size_t)n * glc_dtype_size(val->dtype) + 1);
        if (!buf) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
        for (int64_t i = 0; i < n; i++) {
            int64_t x = 0;
            glc_dim_eval(g, val->sdata[i], syms, &x);
            if (val->dtype == GLC_DT_I64) ((int64_t *)buf)[i] = x;
            else ((int32_t *)buf)[i] = (int32_t)x;
        }
        val->data = buf;
        val->sdata = NULL;
    }
    for (uint32_t k = 0; k < g->n_nodes; k++) /* Loop bodies: dims of the same symbols */
        if (g->nodes[k].body) GLC_TRY(make_static(g->nodes[k].body, syms, d));
    return GLC_OK;
}

glc_status glc_graph_bind_inputs(glc_graph *g, const int *rank, const int64_t *const *dims,
                                 glc_diag *d) {
    int64_t *syms = calloc(g->n_syms + 1, sizeof *syms);
    bool *seen = calloc(g->n_syms + 1, sizeof *seen);
    glc_status s = syms && seen ? GLC_OK : glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    if (s == GLC_OK) s = take_symbols(g, rank, dims, syms, seen, d);
    if (s == GLC_OK) s = check_inputs(g, dims, syms, d);
    if (s == GLC_OK) s = make_static(g, syms, d);
    free(syms);
    free(seen);
    return s;
}
