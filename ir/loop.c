/*
 * loop.c -- ONNX Loop (and Scan, which the importer writes as a Loop): the shape rule and
 * the reference kernel.
 *
 * A Loop node owns its body, an ordinary glc_graph (glc_node.body) whose dims are its root
 * graph's. The importer lifts every value the body reads from an enclosing scope into an
 * extra trailing input of the node and of the body (frontend/import_loop.c), so the body is
 * self-contained:
 *
 *   node inputs   (M, cond, v_initial[0..N), captured[0..C))     M, cond may be absent
 *   body inputs   (iter_num, cond_in, v_in[0..N), captured[0..C))
 *   body outputs  (cond_out, v_out[0..N), scan_out[0..K))
 *   node outputs  (v_final[0..N), scan[0..K))
 *
 * N is the node's attribute GLC_ATTR_LOOP_CARRIED. Iteration i (from 0) runs while i < M
 * and the condition holds (cond before the first iteration, cond_out after each); v_in
 * takes v_initial, then the previous v_out; v_final is the last v_out (v_initial when no
 * iteration runs); scan[k] stacks scan_out[k] of every iteration along a new axis 0.
 *
 * A captured value known at compile time (a constant, or a shape tensor of dims: sdata) is
 * known in the body too (its body input carries the data), so the body's static operands
 * may come from the enclosing graph's shape arithmetic.
 *
 * Shapes: glc compiles a carried value of one shape: the body is inferred with the
 * initial values' shapes, and a v_out whose dtype or shape differs from its v_in is refused
 * naming it (symbolic dims that may be equal are required equal, checked at run time). A
 * scan output's leading dim is the trip count, so M must be known as a dim (a constant, or
 * a shape tensor's element: sdata) when there are scan outputs; a loop the
 * condition ends before M iterations then fails at run time (the interpreter's status, the
 * compiled model's GLC_RT_E_SHAPE), since its scan outputs were sized for M. A Loop without
 * M and with scan outputs is refused.
 *
 * The interpreter runs the body with glc_interp_run once per iteration, ping-ponging the
 * carried buffers and copying each scan_out into its output at offset i.
 */
#include "interp_impl.h"
#include "ir_impl.h"

#include <stdlib.h>
#include <string.h>

glc_status glc_loop_parts(const glc_graph *g, const glc_node *n, int *n_carried, int *n_scan,
                          glc_diag *d) {
    (void)g;
    const glc_graph *b = n->body;
    if (!b)
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "%s: the node has no body graph",
                            glc_op_name(n->op));
    int64_t nc = glc_attr_int(n, GLC_ATTR_LOOP_CARRIED, -1);
    if (n->n_in < 2 || nc < 0 || nc > n->n_in - 2 || nc > n->n_out ||
        b->n_inputs != n->n_in || b->n_outputs != (uint32_t)n->n_out + 1u)
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "Loop: %u inputs, %u outputs, %lld carried "
                            "values and a body of %u inputs and %u outputs do not fit", n->n_in,
                            n->n_out, (long long)nc, b->n_inputs, b->n_outputs);
    *n_carried = (int)nc;
    *n_scan = n->n_out - (int)nc;
    return GLC_OK;
}

/* A diagnostic from the body says where it is. */
static glc_status in_body(glc_diag *d, const glc_node *n, glc_status s) {
    if (s == GLC_OK || !d) return s;
    char msg[2 * sizeof d->msg];
    snprintf(msg, sizeof msg, "%s (in the body of Loop '%.200s')", d->msg,
             n->name ? n->name : "");
    memcpy(d->msg, msg, sizeof d->msg - 1);
    d->msg[sizeof d->msg - 1] = 0;
    return s;
}

static bool is_scalar(const glc_value *v, glc_dtype dt) {
    return v->dtype == dt && v->rank <= 1 && glc_value_numel(v) == 1;
}

static void copy_type(glc_value *dst, const glc_value *src) {
    dst->dtype = src->dtype;
    dst->rank = src->rank;
    memcpy(dst->dims, src->dims, sizeof dst->dims);
}

/* The trip count as a dim, or -1 when it is not known at compile time (absent, or
 * computed at run time). */
static glc_dim trip_dim(const glc_graph *g, const glc_node *n) {
    const glc_value *m = glc_node_input(g, n, 0);
    if (!m) return -1;
    if (m->data) {
        int64_t t = *(const int64_t *)m->data;
        return t < 0 ? 0 : t;
    }
    if (m->sdata) return m->sdata[0];
    return -1;
}

static glc_status check_control(const glc_graph *g, const glc_node *n, glc_diag *d) {
    const glc_value *m = glc_node_input(g, n, 0), *c = glc_node_input(g, n, 1);
    if (m && !is_scalar(m, GLC_DT_I64))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Loop: the trip count '%s' is not an int64 "
                            "scalar", m->name);
    if (c && !is_scalar(c, GLC_DT_BOOL))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Loop: the condition '%s' is not a bool scalar",
                            c->name);
    if (!m && !c)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Loop: neither a trip count nor a "
                            "condition: the loop would never end");
    return GLC_OK;
}

/* The body's outputs: a bool condition, carried values of their inputs' type and shape. */
static glc_status check_body_outputs(const glc_graph *g, const glc_node *n, int nc,
                                     glc_diag *d) {
    const glc_graph *b = n->body;
    if (!is_scalar(&b->values[b->outputs[0]], GLC_DT_BOOL))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Loop: the body's condition output '%s' is not "
                            "a bool scalar", b->values[b->outputs[0]].name);
    for (int k = 0; k < nc; k++) {
        const glc_value *vi = &b->values[b->inputs[2 + k]], *vo = &b->values[b->outputs[1 + k]];
        bool same = vi->dtype == vo->dtype && vi->rank == vo->rank;
        for (int a = 0; same && a < vi->rank; a++)
            same = vi->dims[a] == vo->dims[a] ||
                   glc_dim_require_eq(g, vi->dims[a], vo->dims[a], n, "a loop-carried value "
                                      "keeps its shape") == GLC_OK;
        if (same) continue;
        char si[160], so[160];
        glc_value_shape_str(g, vi, si, sizeof si);
        glc_value_shape_str(g, vo, so, sizeof so);
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Loop: loop-carried value '%s' is %s on "
                            "entry and '%s' is %s after an iteration: glc compiles carried "
                            "values whose shape stays the same", vi->name, si, vo->name, so);
    }
    return GLC_OK;
}

glc_status infer_loop(glc_graph *g, glc_node *n, glc_diag *d) {
    int nc, ns;
    GLC_TRY(glc_loop_parts(g, n, &nc, &ns, d));
    GLC_TRY(check_control(g, n, d));
    glc_graph *b = n->body;
    glc_value *iter = &b->values[b->inputs[0]], *cond = &b->values[b->inputs[1]];
    *iter = (glc_value){.name = iter->name, .dtype = GLC_DT_I64, .producer = GLC_NO_NODE,
                        .is_input = true, .is_output = iter->is_output};
    *cond = (glc_value){.name = cond->name, .dtype = GLC_DT_BOOL, .producer = GLC_NO_NODE,
                        .is_input = true, .is_output = cond->is_output};
    for (int i = 2; i < n->n_in; i++) {
        const glc_value *x = glc_node_input(g, n, i);
        if (!x)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Loop: input %d is absent; only the trip "
                                "count and the condition may be", i);
        glc_value *bv = &b->values[b->inputs[i]];
        copy_type(bv, x);
        if (i < 2 + nc) continue; /* a captured value known at compile time stays known */
        size_t cnt = (size_t)(glc_value_numel(x) > 0 ? glc_value_numel(x) : 0);
        bv->data = x->data ? glc_arena_memdup(&b->arena, x->data, glc_value_nbytes(x)) : NULL;
        bv->sdata = x->sdata ? glc_arena_memdup(&b->arena, x->sdata, cnt * sizeof *x->sdata)
                             : NULL;
        if ((x->data && !bv->data) || (x->sdata && cnt && !bv->sdata))
            return glc_diag_set(d, GLC_E_NOMEM, n, "out of memory");
    }
    GLC_TRY(in_body(d, n, glc_infer_shapes(b, d)));
    GLC_TRY(check_body_outputs(g, n, nc, d));
    for (int k = 0; k < nc; k++)
        if (n->out[k]) copy_type(&g->values[n->out[k]], glc_node_input(g, n, 2 + k));
    glc_dim trip = ns ? trip_dim(g, n) : 0;
    if (ns && trip == -1)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Loop: %d scan outputs, and the trip "
                            "count is %s: glc sizes scan outputs by a trip count known at "
                            "compile time (a constant, or computed from shapes)", ns,
                            glc_node_input(g, n, 0) ? "computed at run time" : "absent");
    for (int k = 0; k < ns; k++) {
        const glc_value *e = &b->values[b->outputs[1 + nc + k]];
        if (e->rank + 1 > GLC_MAX_RANK)
            return glc_diag_set(d, GLC_E_LIMIT, n, "Loop: scan output %d has rank %d", k,
                                e->rank + 1);
        int64_t dims[GLC_MAX_RANK];
        dims[0] = trip;
        memcpy(dims + 1, e->dims, e->rank * sizeof *dims);
        infer_set_out_k(g, n, nc + k, e->dtype, e->rank + 1, dims);
    }
    return GLC_OK;
}

/* ---- the reference kernel ---------------------------------------------------------- */

typedef struct loop_run {
    void **cur, **next; /* carried values: this iteration's inputs, its outputs */
    void **scan;        /* this iteration's scan outputs */
    uint8_t cond_out;
    const void **bin;   /* body inputs */
    void **bout;        /* body outputs */
} loop_run;

static void loop_run_fini(loop_run *r, int nc, int ns) {
    for (int k = 0; r->cur && k < nc; k++) {
        free(r->cur[k]);
        free(r->next[k]);
    }
    for (int k = 0; r->scan && k < ns; k++)
        free(r->scan[k]);
    free(r->cur);
    free(r->next);
    free(r->scan);
    free(r->bin);
    free(r->bout);
}

static void *alloc_value(const glc_value *v) {
    size_t nb = glc_value_nbytes(v);
    return calloc(nb ? nb : 1, 1);
}

static glc_status loop_run_init(loop_run *r, const glc_node *n, int nc, int ns,
                                const void *const *in, glc_diag *d) {
    const glc_graph *b = n->body;
    memset(r, 0, sizeof *r);
    r->cur = calloc((size_t)nc + 1, sizeof *r->cur);
    r->next = calloc((size_t)nc + 1, sizeof *r->next);
    r->scan = calloc((size_t)ns + 1, sizeof *r->scan);
    r->bin = calloc(n->n_in, sizeof *r->bin);
    r->bout = calloc(b->n_outputs, sizeof *r->bout);
    bool ok = r->cur && r->next && r->scan && r->bin && r->bout;
    for (int k = 0; ok && k < nc; k++) {
        const glc_value *v = &b->values[b->inputs[2 + k]];
        r->cur[k] = alloc_value(v);
        r->next[k] = alloc_value(v);
        ok = r->cur[k] && r->next[k];
        if (ok) memcpy(r->cur[k], in[2 + k], glc_value_nbytes(v));
    }
    for (int k = 0; ok && k < ns; k++)
        ok = (r->scan[k] = alloc_value(&b->values[b->outputs[1 + nc + k]])) != NULL;
    if (!ok) return glc_diag_set(d, GLC_E_NOMEM, n, "interpreter: out of memory");
    return GLC_OK;
}

/* One iteration: the body on (i, cond, cur, captured); scan outputs copied to slot i. */
static glc_status iterate(const glc_node *n, int nc, int ns, int64_t i, uint8_t cond,
                          const void *const *in, void *const *out, loop_run *r, glc_diag *d) {
    const glc_graph *b = n->body;
    r->bin[0] = &i;
    r->bin[1] = &cond;
    for (int k = 0; k < nc; k++)
        r->bin[2 + k] = r->cur[k];
    for (int k = 2 + nc; k < n->n_in; k++)
        r->bin[k] = in[k];
    r->bout[0] = &r->cond_out;
    for (int k = 0; k < nc; k++)
        r->bout[1 + k] = r->next[k];
    for (int k = 0; k < ns; k++)
        r->bout[1 + nc + k] = r->scan[k];
    GLC_TRY(in_body(d, n, glc_interp_run(b, r->bin, r->bout, d)));
    for (int k = 0; k < nc; k++) {
        void *t = r->cur[k];
        r->cur[k] = r->next[k];
        r->next[k] = t;
    }
    for (int k = 0; k < ns; k++) {
        size_t nb = glc_value_nbytes(&b->values[b->outputs[1 + nc + k]]);
        if (out[nc + k]) memcpy((char *)out[nc + k] + (size_t)i * nb, r->scan[k], nb);
    }
    return GLC_OK;
}

glc_status interp_loop(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    int nc, ns;
    GLC_TRY(glc_loop_parts(g, n, &nc, &ns, d));
    int64_t trip = in[0] ? *(const int64_t *)in[0] : INT64_MAX;
    uint8_t cond = in[1] ? *(const uint8_t *)in[1] != 0 : 1;
    loop_run r;
    glc_status s = loop_run_init(&r, n, nc, ns, in, d);
    int64_t i = 0;
    for (; s == GLC_OK && i < trip && cond; i++) {
        s = iterate(n, nc, ns, i, cond, in, out, &r, d);
        cond = r.cond_out != 0;
    }
    if (s == GLC_OK && ns && i < trip)
        s = glc_diag_set(d, GLC_E_RUNTIME, n, "Loop: the condition ended the loop after %lld "
                         "of %lld iterations; its scan outputs are sized for the trip count",
                         (long long)i, (long long)trip);
    for (int k = 0; s == GLC_OK && k < nc; k++)
        if (out[k])
            memcpy(out[k], r.cur[k], glc_value_nbytes(&n->body->values[n->body->inputs[2 + k]]));
    loop_run_fini(&r, nc, ns);
    return s;
}

/* Scan: the importer writes each as a Loop; a Scan node reaching these is a bug. */
glc_status infer_scan(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_INVALID_IR, n, "Scan: a Scan node reached shape inference "
                        "(the importer writes each as a Loop)");
}

glc_status interp_scan(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    (void)g;
    (void)in;
    (void)out;
    return glc_diag_set(d, GLC_E_INVALID_IR, n, "interpreter: a Scan node (the importer "
                        "writes each as a Loop)");
}
