/*
 * infer.c -- static shape and dtype inference, one function per ONNX shape rule.
 *
 * glc_infer_shapes() walks the live nodes in their (topological) order. For each node it
 * first checks the arity against glc_op_table and that every present input already has a
 * known dtype, then calls the op's infer function (named in ops.def), which validates the
 * inputs and attributes and writes dtype, rank and dims of the node's outputs, then checks
 * the input dtypes against the op's type constraints (op_types.c; after the infer
 * function, so that its messages, which name the inputs, come first). Because the
 * walk is in order, every input's shape is known by the time its consumer is reached.
 *
 * The rules follow the ONNX operator specs at the graph's opset (g->opset): numpy
 * multidirectional broadcasting for the elementwise ops (infer_broadcast_inputs, used by
 * elemwise.c's infer_elemwise), Softmax's axis meaning changed at
 * opset 13, Gemm's optional C is unidirectionally broadcast to (M, N), MatMul is numpy
 * matmul (1-D promotion, batch broadcasting), Reshape needs a constant int64 shape.
 * A node computing a value that a static operand needs (Shape -> Gather -> Concat ->
 * Reshape's shape, say) is folded into constants right after it is inferred
 * (static_operands.c), so the consumer finds the constant when its turn comes.
 *
 * Errors are GLC_E_SHAPE with a message naming the input(s) and their shapes, or
 * GLC_E_LIMIT when an element count would overflow int64. Invariant on success: every
 * requested output of every live node has a known dtype and non-negative dims.
 */
#include "ir.h"
#include "ir_impl.h"
#include "tensor.h"

#include <stdlib.h>
#include <string.h>


static const glc_value *in_val(const glc_graph *g, const glc_node *n, int i) {
    return glc_node_input(g, n, i);
}

/* The graph glc_infer_shapes is inferring on this thread, so that infer_shape_str can name
 * symbolic dims without every message site passing the graph along. */
static _Thread_local const glc_graph *inferring;

void infer_shape_str(const glc_value *v, char *buf) {
    if (inferring)
        glc_value_shape_str(inferring, v, buf, SHAPE_BUF);
    else
        glc_shape_str(v->dtype, v->rank, v->dims, buf, SHAPE_BUF);
}

void infer_set_out_k(glc_graph *g, glc_node *n, int k, glc_dtype dt, int rank,
                     const int64_t *dims) {
    if (n->n_out <= k || !n->out[k]) return;
    glc_value *o = &g->values[n->out[k]];
    o->dtype = dt;
    o->rank = (uint8_t)rank;
    for (int i = 0; i < rank; i++) o->dims[i] = dims[i];
}

static void shape_of(const glc_value *v, char *buf) {
    infer_shape_str(v, buf);
}

/* Writes the shape of output 0 (skipped if the output is not requested). */
static void set_out(glc_graph *g, glc_node *n, glc_dtype dt, int rank, const int64_t *dims) {
    infer_set_out_k(g, n, 0, dt, rank, dims);
}

/* Product of dims[lo, hi); false on int64 overflow. */
bool infer_dims_prod(const int64_t *dims, int lo, int hi, int64_t *out) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) {
        if (dims[i] != 0 && p > INT64_MAX / dims[i]) return false;
        p *= dims[i];
    }
    *out = p;
    return true;
}

glc_status infer_check_numel(const glc_node *n, int rank, const int64_t *dims, glc_diag *d) {
    int64_t p, known[GLC_MAX_RANK]; /* the constant dims: symbolic ones are checked at run time */
    int k = 0;
    for (int i = 0; i < rank; i++)
        if (glc_dim_is_const(dims[i])) known[k++] = dims[i];
    if (!infer_dims_prod(known, 0, k, &p))
        return glc_diag_set(d, GLC_E_LIMIT, n, "%s: output element count overflows int64",
                            glc_op_name(n->op));
    return GLC_OK;
}

/* Normalises axis into [0, rank) (or [0, rank] when inclusive); false if out of range. */
bool infer_norm_axis(int64_t axis, int rank, bool inclusive, int *out) {
    int64_t hi = inclusive ? rank + 1 : rank;
    if (axis < -(int64_t)rank || axis >= hi) return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

bool glc_broadcast_shape(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                         int64_t *out) {
    int r = ra > rb ? ra : rb;
    if (r > GLC_MAX_RANK) return false;
    int64_t tmp[GLC_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da == db || db == 1) tmp[i] = da;
        else if (da == 1) tmp[i] = db;
        else return false;
    }
    for (int i = 0; i < r; i++) out[i] = tmp[i];
    *rout = r;
    return true;
}

glc_status infer_broadcast(const glc_graph *g, const glc_node *n, int ra, const glc_dim *a, int rb,
                           const glc_dim *b, int *rout, glc_dim *out) {
    int r = ra > rb ? ra : rb;
    if (r > GLC_MAX_RANK) return GLC_E_SHAPE;
    glc_dim tmp[GLC_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        glc_dim da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        char what[64];
        snprintf(what, sizeof what, "broadcast axis %d", i);
        /* different dims, one or both symbolic: they broadcast at run time (a symbol may
         * be 1 there: the kernels step through it with a run-time stride) */
        GLC_TRY(glc_dim_require_bcast(g, da, db, n, what));
        tmp[i] = glc_dim_bcast(g, da, db);
    }
    for (int i = 0; i < r; i++) out[i] = tmp[i];
    *rout = r;
    return GLC_OK;
}

glc_status infer_check_in(const glc_graph *g, const glc_node *n, int i, const char *name,
                          glc_dtype dt, int rank, const glc_dim *dims, const char *why,
                          glc_diag *d) {
    const glc_value *v = glc_node_input(g, n, i);
    if (!v) return GLC_OK;
    bool ok = v->dtype == dt && v->rank == rank;
    char what[96];
    snprintf(what, sizeof what, "%s: input %s", glc_op_name(n->op), name);
    for (int k = 0; ok && k < rank; k++)
        ok = glc_dim_require_eq(g, v->dims[k], dims[k], n, what) == GLC_OK;
    if (ok) return GLC_OK;
    char got[SHAPE_BUF], want[SHAPE_BUF];
    infer_shape_str(v, got);
    glc_value tmp = {.dtype = dt, .rank = (uint8_t)rank};
    memcpy(tmp.dims, dims, (size_t)rank * sizeof *dims);
    glc_value_shape_str(g, &tmp, want, sizeof want);
    return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %s has shape %s; expected %s%s%s%s",
                        glc_op_name(n->op), name, got, want, why ? " (" : "", why ? why : "",
                        why ? ")" : "");
}

glc_status infer_static_dims(const glc_graph *g, const glc_node *n, const glc_value *v, int lo,
                             int hi, const char *what, glc_diag *d) {
    if (!glc_dims_symbolic(hi - lo, v->dims + lo)) return GLC_OK;
    char s[SHAPE_BUF];
    infer_shape_str(v, s);
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: symbolic %s (input %s) are not supported "
                        "yet; bind them with --dim NAME=N or --shape", glc_op_name(n->op), what, s);
}

glc_status infer_identity(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    (void)d;
    set_out(g, n, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

glc_status infer_broadcast_inputs(const glc_graph *g, const glc_node *n, int *rank,
                                  int64_t *dims, glc_diag *d) {
    *rank = 0;
    for (int k = 0; k < n->n_in; k++) {
        const glc_value *v = glc_op_input_type_only(n->op, k) ? NULL : in_val(g, n, k);
        if (!v || infer_broadcast(g, n, *rank, dims, v->rank, v->dims, rank, dims) == GLC_OK)
            continue;
        int j = 0; /* an earlier input that v does not broadcast with */
        for (int i = 0, r; i < k && !j; i++) {
            int64_t tmp[GLC_MAX_RANK];
            const glc_value *u = glc_op_input_type_only(n->op, i) ? NULL : in_val(g, n, i);
            if (u && infer_broadcast(g, n, u->rank, u->dims, v->rank, v->dims, &r, tmp) != GLC_OK)
                j = i;
        }
        char sj[SHAPE_BUF], sk[SHAPE_BUF];
        shape_of(in_val(g, n, j), sj);
        shape_of(v, sk);
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: cannot broadcast input %d %s with input %d %s",
                            glc_op_name(n->op), j, sj, k, sk);
    }
    return GLC_OK;
}

glc_status infer_softmax(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    char s[SHAPE_BUF];
    shape_of(x, s);
    if (!glc_dtype_is_float(x->dtype))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Softmax: input 0 %s must be a float tensor", s);
    int64_t axis = glc_attr_int(n, "axis", g->opset >= 13 ? -1 : 1);
    int ax;
    /* Before opset 13, axis == rank is allowed (the 2-D coercion has an empty tail). */
    if (x->rank == 0 || !infer_norm_axis(axis, x->rank, g->opset < 13, &ax))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Softmax: axis %lld out of range for input 0 %s",
                            (long long)axis, s);
    set_out(g, n, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

/* Gemm's C must broadcast unidirectionally to (M, N). */
static bool gemm_c_fits(glc_graph *g, const glc_node *n, const glc_value *c, glc_dim m,
                        glc_dim nn) {
    if (c->rank > 2) return false;
    glc_dim want[2] = {m, nn};
    for (int i = 0; i < c->rank; i++) {
        glc_dim dc = c->dims[c->rank - 1 - i], dw = want[1 - i];
        if (glc_dim_require_bcast(g, dc, dw, n, "Gemm: C broadcast") != GLC_OK) return false;
    }
    return true;
}

glc_status infer_gemm(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *a = in_val(g, n, 0), *b = in_val(g, n, 1), *c = in_val(g, n, 2);
    char sa[SHAPE_BUF], sb[SHAPE_BUF], sc[SHAPE_BUF];
    shape_of(a, sa);
    shape_of(b, sb);
    if (a->rank != 2 || b->rank != 2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Gemm: inputs must be 2-D: input 0 %s, input 1 %s",
                            sa, sb);
    if (a->dtype != b->dtype || (c && c->dtype != a->dtype))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Gemm: dtype mismatch: input 0 %s, input 1 %s", sa,
                            sb);
    bool ta = glc_attr_int(n, "transA", 0) != 0, tb = glc_attr_int(n, "transB", 0) != 0;
    glc_dim m = a->dims[ta ? 1 : 0], ka = a->dims[ta ? 0 : 1];
    glc_dim kb = b->dims[tb ? 1 : 0], nn = b->dims[tb ? 0 : 1];
    if (glc_dim_require_eq(g, ka, kb, n, "Gemm: inner dimension") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Gemm: inner dimensions differ: input 0 %s (transA=%d), input 1 %s "
                            "(transB=%d)",
                            sa, ta, sb, tb);
    if (c && !gemm_c_fits(g, n, c, m, nn)) {
        shape_of(c, sc);
        char ms[96], ns[96];
        return glc_diag_set(d, GLC_E_SHAPE, n, "Gemm: input 2 %s does not broadcast to [%s,%s]", sc,
                            glc_dim_str(g, m, ms, sizeof ms), glc_dim_str(g, nn, ns, sizeof ns));
    }
    int64_t dims[2] = {m, nn};
    set_out(g, n, a->dtype, 2, dims);
    return GLC_OK;
}

/* Output shape of numpy matmul; false if the operands do not fit. */
static bool matmul_shape(glc_graph *g, const glc_node *n, const glc_value *a, const glc_value *b,
                         int *r, int64_t *dims) {
    int ra = a->rank, rb = b->rank;
    if (ra == 0 || rb == 0) return false;
    glc_dim k1 = a->dims[ra - 1], k2 = rb == 1 ? b->dims[0] : b->dims[rb - 2];
    if (glc_dim_require_eq(g, k1, k2, n, "MatMul: inner dimension") != GLC_OK) return false;
    int br;
    int64_t batch[GLC_MAX_RANK];
    int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
    if (infer_broadcast(g, n, ba, a->dims, bb, b->dims, &br, batch) != GLC_OK) return false;
    int k = 0;
    for (int i = 0; i < br; i++) dims[k++] = batch[i];
    if (ra >= 2) dims[k++] = a->dims[ra - 2];
    if (rb >= 2) dims[k++] = b->dims[rb - 1];
    if (k > GLC_MAX_RANK) return false;
    *r = k;
    return true;
}

/* ---- MatMulInteger, QLinearMatMul ------------------------------------------------------- */

glc_status glc_qmatmul_get(const glc_graph *g, const glc_node *n, glc_qmatmul *q, glc_diag *d) {
    bool ql = n->op == GLC_OP_QLINEARMATMUL;
    const glc_value *a = in_val(g, n, 0), *b = in_val(g, n, ql ? 3 : 1);
    char sa[SHAPE_BUF], sb[SHAPE_BUF];
    shape_of(a, sa);
    shape_of(b, sb);
    int r = a->rank, rb = b->rank;
    bool ok = r >= 2 && (rb == r || rb == 2);
    for (int i = 0; ok && rb == r && i < r - 2; i++)
        ok = glc_dim_require_eq(g, a->dims[i], b->dims[i], n, "batch dims") == GLC_OK;
    ok = ok && glc_dim_require_eq(g, a->dims[r - 1], b->dims[rb - 2], n, "inner dim") == GLC_OK;
    if (!ok)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: A %s and B %s must be matrices of one "
                            "rank with equal batch dims, or B one matrix", glc_op_name(n->op),
                            sa, sb);
    static const int one_ql[6] = {1, 2, 4, 5, 6, 7}, one_mi[2] = {2, 3}; /* scales, zps */
    for (int k = 0; k < (ql ? 6 : 2); k++) {
        const glc_value *z = in_val(g, n, ql ? one_ql[k] : one_mi[k]);
        if (z && (z->rank > 1 || (z->rank == 1 && glc_dim_require_eq(g, z->dims[0], 1, n,
                                                                     "one value") != GLC_OK)))
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: scales and zero points other "
                                "than one value", glc_op_name(n->op));
    }
    q->rank = r;
    q->b_shared = rb == 2 && r > 2;
    q->batch = glc_dim_prod(g, a->dims, 0, r - 2);
    q->M = a->dims[r - 2];
    q->K = a->dims[r - 1];
    q->N = b->dims[rb - 1];
    memcpy(q->out, a->dims, sizeof q->out);
    q->out[r - 1] = q->N;
    return GLC_OK;
}

glc_status infer_qmatmul(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_qmatmul q;
    GLC_TRY(glc_qmatmul_get(g, n, &q, d));
    glc_dtype dt = n->op == GLC_OP_QLINEARMATMUL ? in_val(g, n, 7)->dtype : GLC_DT_I32;
    set_out(g, n, dt, q.rank, q.out);
    return GLC_OK;
}

/* ---- Einsum ---------------------------------------------------------------------------- */

/* Label ids: 'a'..'z' 0..25, 'A'..'Z' 26..51, ellipsis dim k (from the right) 52 + k. */
static int einsum_label(char ch) {
    return ch >= 'a' && ch <= 'z' ? ch - 'a' : ch >= 'A' && ch <= 'Z' ? ch - 'A' + 26 : -1;
}

/* The labels of one term (spaces skipped) for an operand of rank r (-1: the output, whose
 * ellipsis takes n_ell dims); false on a bad character or count. */
static bool einsum_term(const char *t, size_t len, int r, int n_ell, int *lab, int *n_lab,
                        int *ell) {
    int k = 0, letters = 0;
    bool has_ell = false;
    for (size_t i = 0; i < len; i++) {
        bool dots = t[i] == '.' && i + 2 < len && t[i + 1] == '.' && t[i + 2] == '.';
        if (einsum_label(t[i]) >= 0)
            letters++;
        else if (dots)
            has_ell = true, i += 2;
        else if (t[i] != ' ')
            return false;
    }
    int ne = r < 0 ? (has_ell ? n_ell : 0) : r - letters;
    if (ne < 0 || (!has_ell && ne != 0) || letters + ne > GLC_MAX_RANK) return false;
    *ell = has_ell ? ne : 0;
    for (size_t i = 0; i < len; i++) {
        if (einsum_label(t[i]) >= 0) lab[k++] = einsum_label(t[i]);
        else if (t[i] == '.') {
            for (int q = ne - 1; q >= 0; q--)
                lab[k++] = 52 + q;
            i += 2;
        }
    }
    *n_lab = k;
    return true;
}

glc_status glc_einsum_get(const glc_graph *g, const glc_node *n, glc_einsum *e, glc_diag *d) {
    const char *eq = glc_attr_string(n, "equation", NULL);
    if (!eq) return glc_diag_set(d, GLC_E_SHAPE, n, "Einsum: no equation");
    if (n->n_in > GLC_EINSUM_MAX_IN)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Einsum: more than %d inputs",
                            GLC_EINSUM_MAX_IN);
    memset(e, 0, sizeof *e);
    e->n_in = n->n_in;
    const char *arrow = strstr(eq, "->"), *p = eq;
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
    int lab[GLC_EINSUM_MAX_IN][GLC_MAX_RANK], nl[GLC_EINSUM_MAX_IN], n_ell = 0, count[64] = {0};
    glc_dim ext[64];
    bool seen[64] = {false};
    for (int k = 0; k < n->n_in; k++) {
        const char *end = memchr(p, ',', lhs_len - (size_t)(p - eq));
        size_t len = end ? (size_t)(end - p) : lhs_len - (size_t)(p - eq);
        const glc_value *v = glc_node_input(g, n, k);
        int ell;
        if ((k < n->n_in - 1) != (end != NULL) ||
            !einsum_term(p, len, v->rank, 0, lab[k], &nl[k], &ell))
            return glc_diag_set(d, GLC_E_SHAPE, n, "Einsum: equation '%s' does not fit input %d",
                                eq, k);
        n_ell = ell > n_ell ? ell : n_ell;
        for (int j = 0; j < nl[k]; j++) {
            int l = lab[k][j];
            if (seen[l] &&
                glc_dim_require_eq(g, ext[l], v->dims[j], n, "Einsum: a label") != GLC_OK)
                return glc_diag_set(d, GLC_E_SHAPE, n, "Einsum: label sizes differ in '%s'", eq);
            if (!seen[l]) ext[l] = v->dims[j];
            seen[l] = true;
            count[l]++;
        }
        p += len + (end ? 1 : 0);
    }
    int out[GLC_MAX_RANK], no = 0;
    if (arrow) {
        int ell;
        if (!einsum_term(arrow + 2, strlen(arrow + 2), -1, n_ell, out, &no, &ell))
            return glc_diag_set(d, GLC_E_SHAPE, n, "Einsum: bad output in '%s'", eq);
    } else { /* implicit: the ellipsis, then the labels seen once, alphabetically */
        for (int q = n_ell - 1; q >= 0; q--)
            out[no++] = 52 + q;
        for (int l = 0; l < 52 && no < GLC_MAX_RANK; l++)
            if (count[l] == 1) out[no++] = l;
    }
    int order[64], nlab = 0;
    bool placed[64] = {false};
    for (int j = 0; j < no; j++) {
        if (!seen[out[j]] || placed[out[j]])
            return glc_diag_set(d, GLC_E_SHAPE, n, "Einsum: output label unknown or repeated in "
                                "'%s'", eq);
        placed[out[j]] = true;
        order[nlab++] = out[j];
    }
    for (int l = 0; l < 64; l++)
        if (seen[l] && !placed[l]) order[nlab++] = l;
    if (nlab - no > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Einsum: more than %d summed labels",
                            GLC_MAX_RANK);
    e->n_labels = nlab;
    e->n_out = no;
    for (int i = 0; i < nlab; i++) {
        e->extent[i] = ext[order[i]];
        for (int k = 0; k < n->n_in; k++) {
            const glc_value *v = glc_node_input(g, n, k);
            glc_dim s = 1;
            for (int j = nl[k] - 1; j >= 0; j--) {
                if (lab[k][j] == order[i]) e->st[k][i] = glc_dim_add(g, e->st[k][i], s);
                s = glc_dim_mul(g, s, v->dims[j]);
            }
        }
    }
    return GLC_OK;
}

glc_status infer_einsum(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_einsum e;
    GLC_TRY(glc_einsum_get(g, n, &e, d));
    set_out(g, n, in_val(g, n, 0)->dtype, e.n_out, e.extent);
    return GLC_OK;
}

/* Det: (..., M, M) -> (...). */
glc_status infer_det(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    char s[SHAPE_BUF];
    shape_of(x, s);
    if (x->rank < 2 || glc_dim_require_eq(g, x->dims[x->rank - 2], x->dims[x->rank - 1], n,
                                          "Det: square matrices") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Det: input 0 %s must be square matrices", s);
    set_out(g, n, x->dtype, x->rank - 2, x->dims);
    return GLC_OK;
}

glc_status infer_matmul(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *a = in_val(g, n, 0), *b = in_val(g, n, 1);
    char sa[SHAPE_BUF], sb[SHAPE_BUF];
    shape_of(a, sa);
    shape_of(b, sb);
    if (a->dtype != b->dtype)
        return glc_diag_set(d, GLC_E_SHAPE, n, "MatMul: dtype mismatch: input 0 %s, input 1 %s",
                            sa, sb);
    int r;
    int64_t dims[GLC_MAX_RANK];
    if (!matmul_shape(g, n, a, b, &r, dims))
        return glc_diag_set(d, GLC_E_SHAPE, n, "MatMul: cannot multiply input 0 %s by input 1 %s",
                            sa, sb);
    GLC_TRY(infer_check_numel(n, r, dims, d));
    set_out(g, n, a->dtype, r, dims);
    return GLC_OK;
}

/* Resolves Reshape's 0 and -1 entries in spec (count entries) against x into dims. The
 * element counts may be symbolic: -1 is the quotient (exact, or required at run time),
 * and the counts are required equal. */
static glc_status reshape_resolve(glc_graph *g, const glc_node *n, const glc_value *x,
                                  const glc_dim *spec, int count, glc_dim *dims, glc_diag *d) {
    bool allowzero = glc_attr_int(n, "allowzero", 0) != 0;
    int infer_at = -1;
    glc_dim known = 1, total = glc_value_numel_dim(g, x);
    for (int i = 0; i < count; i++) {
        glc_dim v = spec[i];
        if (v == 0 && !allowzero) {
            if (i >= x->rank)
                return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: shape[%d] = 0 but input has rank %d",
                                    i, x->rank);
            v = x->dims[i];
        }
        if (v == -1) {
            if (infer_at >= 0)
                return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: more than one -1 in shape");
            infer_at = i;
            continue;
        }
        if (glc_dim_is_const(v) && v < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: shape[%d] = %lld is negative", i,
                                (long long)v);
        dims[i] = v;
        known = glc_dim_mul(g, known, v);
    }
    if (total == GLC_DIM_ERR || known == GLC_DIM_ERR)
        return glc_diag_set(d, GLC_E_LIMIT, n, "Reshape: element count overflows int64");
    char tb[96], kb[96];
    if (infer_at >= 0) {
        glc_dim q = known == 0 ? GLC_DIM_ERR : glc_dim_floordiv(g, total, known);
        glc_dim_clear_error(g);
        if (q == GLC_DIM_ERR || glc_dim_require_eq(g, glc_dim_mul(g, q, known), total, n,
                                                   "Reshape: element count") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: cannot infer -1 for %s elements",
                                glc_dim_str(g, total, tb, sizeof tb));
        dims[infer_at] = q;
        return GLC_OK;
    }
    if (glc_dim_require_eq(g, known, total, n, "Reshape: element count") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: %s elements cannot become %s",
                            glc_dim_str(g, total, tb, sizeof tb), glc_dim_str(g, known, kb, sizeof kb));
    return GLC_OK;
}

glc_status infer_reshape(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0), *s = in_val(g, n, 1);
    if (!s->data && !s->sdata)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "Reshape: input 1 'shape' must be a constant%s%s%s",
                            s->is_input ? "; bind graph input '" : " (computed at run time)",
                            s->is_input && s->name ? s->name : "",
                            s->is_input ? "' with --bind" : "");
    char ss[SHAPE_BUF];
    shape_of(s, ss);
    if (s->dtype != GLC_DT_I64 || s->rank != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: input 1 %s must be a 1-D i64 tensor", ss);
    if (s->dims[0] > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_LIMIT, n, "Reshape: rank %lld exceeds %d",
                            (long long)s->dims[0], GLC_MAX_RANK);
    int64_t count;
    glc_dim spec[GLC_MAX_RANK], dims[GLC_MAX_RANK];
    if (!infer_int_elems(s, spec, GLC_MAX_RANK, &count))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: input 1 %s is not a known shape", ss);
    GLC_TRY(reshape_resolve(g, n, x, spec, (int)count, dims, d));
    set_out(g, n, x->dtype, (int)count, dims);
    return GLC_OK;
}

glc_status infer_flatten(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    int64_t axis = glc_attr_int(n, "axis", 1);
    int ax;
    char s[SHAPE_BUF];
    shape_of(x, s);
    if (!infer_norm_axis(axis, x->rank, true, &ax))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Flatten: axis %lld out of range for input 0 %s",
                            (long long)axis, s);
    glc_dim dims[2] = {glc_dim_prod(g, x->dims, 0, ax), glc_dim_prod(g, x->dims, ax, x->rank)};
    if (dims[0] == GLC_DIM_ERR || dims[1] == GLC_DIM_ERR)
        return glc_diag_set(d, GLC_E_LIMIT, n, "Flatten: element count overflows int64");
    set_out(g, n, x->dtype, 2, dims);
    return GLC_OK;
}

glc_status infer_transpose(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    uint32_t count = 0;
    const int64_t *perm = glc_attr_ints(n, "perm", &count);
    char s[SHAPE_BUF];
    shape_of(x, s);
    if (perm && count != x->rank)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Transpose: perm has %u entries for input 0 %s",
                            count, s);
    bool seen[GLC_MAX_RANK] = {false};
    int64_t dims[GLC_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        int64_t p = perm ? perm[i] : x->rank - 1 - i;
        if (p < 0 || p >= x->rank || seen[p])
            return glc_diag_set(d, GLC_E_SHAPE, n, "Transpose: perm is not a permutation of %d axes",
                                x->rank);
        seen[p] = true;
        dims[i] = x->dims[p];
    }
    set_out(g, n, x->dtype, x->rank, dims);
    return GLC_OK;
}

glc_status infer_concat(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x0 = in_val(g, n, 0);
    int64_t axis = glc_attr_int(n, "axis", 0);
    int ax;
    char s0[SHAPE_BUF], si[SHAPE_BUF];
    shape_of(x0, s0);
    if (!glc_node_attr(n, "axis") || !infer_norm_axis(axis, x0->rank, false, &ax))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Concat: axis missing or out of range for input 0 %s",
                            s0);
    int64_t dims[GLC_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    for (int i = 1; i < n->n_in; i++) {
        const glc_value *xi = in_val(g, n, i);
        if (!xi) continue;
        shape_of(xi, si);
        bool ok = xi->dtype == x0->dtype && xi->rank == x0->rank;
        for (int k = 0; ok && k < x0->rank; k++)
            ok = k == ax ||
                 glc_dim_require_eq(g, xi->dims[k], x0->dims[k], n, "Concat: other axes") == GLC_OK;
        if (!ok)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Concat: input 0 %s and input %d %s differ "
                                "outside axis %d", s0, i, si, ax);
        dims[ax] = glc_dim_add(g, dims[ax], xi->dims[ax]);
        if (dims[ax] == GLC_DIM_ERR)
            return glc_diag_set(d, GLC_E_LIMIT, n, "Concat: axis length overflows int64");
    }
    GLC_TRY(infer_check_numel(n, x0->rank, dims, d));
    set_out(g, n, x0->dtype, x0->rank, dims);
    return GLC_OK;
}

/* Arity against the op table, and every present input typed. */
static glc_status check_node_inputs(const glc_graph *g, const glc_node *n, glc_diag *d) {
    const glc_op_info *oi = &glc_op_table[n->op];
    if (n->n_in < oi->in_min || (oi->in_max != 255 && n->n_in > oi->in_max) ||
        n->n_out < oi->out_min || n->n_out > oi->out_max)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %u inputs and %u outputs; expected %u..%u and "
                            "%u..%u", glc_op_name(n->op), n->n_in, n->n_out, oi->in_min,
                            oi->in_max, oi->out_min, oi->out_max);
    for (int i = 0; i < n->n_in; i++) {
        const glc_value *v = in_val(g, n, i);
        if (!v && i < oi->in_min)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: required input %d is absent",
                                glc_op_name(n->op), i);
        if (v && v->dtype == GLC_DT_UNDEF)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %d '%s' has no known type",
                                glc_op_name(n->op), i, v->name ? v->name : "");
        for (int k = 0; v && k < v->rank; k++)
            if (glc_dim_is_const(v->dims[k]) && v->dims[k] < 0)
                return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %d '%s' has a negative dim",
                                    glc_op_name(n->op), i, v->name ? v->name : "");
    }
    return GLC_OK;
}

/* A symbolic dim (or a shape tensor with symbolic elements) in an input of an op whose
 * shape rule does not handle them yet (no OPF_SYMBOLIC in its ops.def row) is unsupported,
 * with the way out. */
static glc_status check_symbolic_inputs(const glc_graph *g, const glc_node *n, glc_diag *d) {
    if (glc_op_table[n->op].flags & OPF_SYMBOLIC) return GLC_OK;
    for (int i = 0; i < n->n_in; i++) {
        const glc_value *v = in_val(g, n, i);
        bool sym = v && glc_dims_symbolic(v->rank, v->dims);
        if (!v || (!sym && !v->sdata) || (!sym && infer_sym_fold_handles(n->op))) continue;
        char s[SHAPE_BUF];
        infer_shape_str(v, s);
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "%s: input %d '%s' %s %s; this op needs static shapes: bind the "
                            "symbols with --dim NAME=N or --shape INPUT=D0xD1x...",
                            glc_op_name(n->op), i, v->name ? v->name : "",
                            v->sdata ? "holds symbolic dims" : "has symbolic dims", s);
    }
    return GLC_OK;
}

/* need: the values that must become constants (static_operands.c). */
static glc_status infer_nodes(glc_graph *g, const bool *need, glc_diag *d) {
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        glc_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (n->op <= GLC_OP_NONE || n->op >= GLC_OP_COUNT)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "node has invalid op %d", (int)n->op);
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= g->n_values)
                return glc_diag_set(d, GLC_E_INVALID_IR, n, "input %d id out of range", k);
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= g->n_values)
                return glc_diag_set(d, GLC_E_INVALID_IR, n, "output %d id out of range", k);
        GLC_TRY(check_node_inputs(g, n, d));
        GLC_TRY(check_symbolic_inputs(g, n, d));
        GLC_TRY(glc_op_table[n->op].infer(g, n, d));
        GLC_TRY(glc_op_check_types(g, n, d));
        if (glc_dim_failed(g))
            return glc_diag_set(d, GLC_E_LIMIT, n, "%s: a symbolic dimension overflows int64 (or "
                                "memory ran out)", glc_op_name(n->op));
        bool folded = false;
        GLC_TRY(infer_fold_symbolic(g, i, &folded, d));
        if (!folded) GLC_TRY(infer_fold_static(g, i, need, d));
    }
    return GLC_OK;
}

glc_status glc_infer_shapes(glc_graph *g, glc_diag *d) {
    return glc_infer_shapes_folding(g, 0, d);
}

glc_status glc_infer_shapes_folding(glc_graph *g, glc_value_id want, glc_diag *d) {
    bool *need = calloc(g->n_values ? g->n_values : 1, sizeof *need);
    if (!need) return glc_diag_set(d, GLC_E_NOMEM, NULL, "shape inference: out of memory");
    if (want && want < g->n_values) need[want] = true;
    static_values_from(g, need);
    const glc_graph *outer = inferring;
    inferring = g;
    glc_status s = infer_nodes(g, need, d);
    inferring = outer;
    free(need);
    return s;
}
