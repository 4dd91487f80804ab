/*
 * interp_linalg.c -- reference kernels for Gemm and MatMul (f32), triple loops, and Det.
 *
 * Gemm: Y = alpha * op(A) @ op(B) + beta * C, op() transposing when transA/transB is set,
 * C (optional) broadcast to (M, N). MatMul follows numpy: a 1-D A is a row [1,K], a 1-D B
 * a column [K,1] (the promoted dim is dropped from the output), and the leading batch dims
 * broadcast; each batch's offsets into A and B come from interp_bcast_offset().
 * Einsum: per output element (row-major), the sum over the summed labels (row-major) of
 * the operands' product, in the output's dtype (f32 or f64), as compiled.
 * MatMulInteger, QLinearMatMul: i32 sums of the zero-point-shifted products (tensor.h).
 * Det: per matrix, Gaussian elimination with partial pivoting in f64 (the compiled kernel's
 * algorithm, step for step): the product of the pivots, negated per row swap; 0 once a
 * pivot is 0.
 */
#include "interp_impl.h"
#include "tensor.h"

#include <math.h>
#include <stdlib.h>

static glc_status need_f32(const glc_node *n, glc_dtype dt, glc_diag *d) {
    if (dt == GLC_DT_F32) return GLC_OK;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "interpreter: %s on %s", glc_op_name(n->op),
                        glc_dtype_name(dt));
}

glc_status interp_gemm(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    const glc_value *a = IN_V(g, n, 0), *o = OUT_V(g, n);
    const glc_value *c = n->n_in > 2 && n->in[2] ? IN_V(g, n, 2) : NULL;
    GLC_TRY(need_f32(n, o->dtype, d));
    bool ta = glc_attr_int(n, "transA", 0) != 0, tb = glc_attr_int(n, "transB", 0) != 0;
    float alpha = glc_attr_float(n, "alpha", 1.0f), beta = glc_attr_float(n, "beta", 1.0f);
    int64_t m = o->dims[0], nn = o->dims[1], k = a->dims[ta ? 0 : 1];
    const float *A = in[0], *B = in[1], *C = c ? in[2] : NULL;
    float *Y = out[0]; /* [m, nn] */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < nn; j++) {
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++) {
                float av = ta ? A[p * m + i] : A[i * k + p];
                float bv = tb ? B[j * k + p] : B[p * nn + j];
                acc += av * bv;
            }
            int64_t idx[2] = {i, j};
            float cv = C ? C[interp_bcast_offset(c->rank, c->dims, 2, idx)] : 0.0f;
            Y[i * nn + j] = alpha * acc + (C ? beta * cv : 0.0f);
        }
    return GLC_OK;
}

/* One [m,k] @ [k,nn] product. */
static void matmul_2d(const float *A, const float *B, float *Y, int64_t m, int64_t k, int64_t nn) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < nn; j++) {
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++) acc += A[i * k + p] * B[p * nn + j];
            Y[i * nn + j] = acc;
        }
}

glc_status interp_matmul(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    const glc_value *a = IN_V(g, n, 0), *b = IN_V(g, n, 1), *o = OUT_V(g, n);
    GLC_TRY(need_f32(n, o->dtype, d));
    int ra = a->rank, rb = b->rank;
    int64_t m = ra >= 2 ? a->dims[ra - 2] : 1, k = a->dims[ra - 1];
    int64_t nn = rb >= 2 ? b->dims[rb - 1] : 1;
    int bra = ra > 2 ? ra - 2 : 0, brb = rb > 2 ? rb - 2 : 0;
    int bro = o->rank - (ra >= 2) - (rb >= 2); /* batch rank of the output */
    int64_t nbatch = 1, idx[GLC_MAX_RANK];
    for (int i = 0; i < bro; i++) nbatch *= o->dims[i];
    for (int64_t bi = 0; bi < nbatch; bi++) {
        interp_unravel(bi, bro, o->dims, idx);
        int64_t oa = interp_bcast_offset(bra, a->dims, bro, idx);
        int64_t ob = interp_bcast_offset(brb, b->dims, bro, idx);
        matmul_2d((const float *)in[0] + oa * m * k, (const float *)in[1] + ob * k * nn,
                  (float *)out[0] + bi * m * nn, m, k, nn);
    }
    return GLC_OK;
}

glc_status interp_det(const glc_graph *g, const glc_node *n, const void *const *in,
                      void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    int64_t m = x->dims[x->rank - 1], count = glc_value_numel(OUT_V(g, n));
    double *a = malloc((size_t)(m > 0 ? m * m : 1) * sizeof *a);
    if (!a) return glc_diag_set(d, GLC_E_NOMEM, n, "out of memory");
    for (int64_t b = 0; b < count; b++) {
        for (int64_t e = 0; e < m * m; e++)
            a[e] = ((const float *)in[0])[b * m * m + e];
        double det = 1;
        bool zero = false;
        for (int64_t k = 0; k < m; k++) {
            int64_t p = k;
            for (int64_t i = k + 1; i < m; i++)
                if (fabs(a[i * m + k]) > fabs(a[p * m + k])) p = i;
            for (int64_t j = 0; j < m; j++) {
                double t = a[k * m + j];
                a[k * m + j] = a[p * m + j];
                a[p * m + j] = t;
            }
            double piv = a[k * m + k];
            zero |= piv == 0;
            det = (p != k ? -det : det) * piv;
            for (int64_t i = k + 1; i < m; i++) {
                double f = a[i * m + k] / piv;
                for (int64_t j = k + 1; j < m; j++)
                    a[i * m + j] -= f * a[k * m + j];
            }
        }
        ((float *)out[0])[b] = zero ? 0.0f : (float)det;
    }
    free(a);
    return GLC_OK;
}

glc_status interp_einsum(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    glc_einsum e;
    GLC_TRY(glc_einsum_get(g, n, &e, d));
    bool f64 = OUT_V(g, n)->dtype == GLC_DT_F64;
    int ns = e.n_labels - e.n_out;
    int64_t total = 1, sum = 1, co[2 * GLC_MAX_RANK];
    for (int i = 0; i < e.n_out; i++)
        total *= e.extent[i];
    for (int i = e.n_out; i < e.n_labels; i++)
        sum *= e.extent[i];
    for (int64_t o = 0; o < total; o++) {
        interp_unravel(o, e.n_out, e.extent, co);
        double acc = 0;
        float accf = 0;
        for (int64_t s = 0; s < sum; s++) {
            interp_unravel(s, ns, e.extent + e.n_out, co + e.n_out);
            double pd = 1;
            float pf = 1;
            for (int k = 0; k < e.n_in; k++) {
                int64_t off = 0;
                for (int i = 0; i < e.n_labels; i++)
                    off += co[i] * e.st[k][i];
                if (f64) pd *= ((const double *)in[k])[off];
                else pf *= ((const float *)in[k])[off];
            }
            if (f64) acc += pd;
            else accf += pf;
        }
        if (f64) ((double *)out[0])[o] = acc;
        else ((float *)out[0])[o] = accf;
    }
    return GLC_OK;
}

/* Element k of a u8 or i8 tensor (NULL: 0). */
static int32_t q8(glc_dtype dt, const void *p, int64_t k) {
    if (!p) return 0;
    return dt == GLC_DT_U8 ? ((const uint8_t *)p)[k] : ((const int8_t *)p)[k];
}

glc_status interp_qmatmul(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    glc_qmatmul q;
    GLC_TRY(glc_qmatmul_get(g, n, &q, d));
    bool ql = n->op == GLC_OP_QLINEARMATMUL;
    int ia = 0, ib = ql ? 3 : 1, iaz = 2, ibz = ql ? 5 : 3;
    glc_dtype ta = IN_V(g, n, ia)->dtype, tb = IN_V(g, n, ib)->dtype;
    int32_t az = n->n_in > iaz ? q8(ta, in[iaz], 0) : 0;
    int32_t bz = n->n_in > ibz ? q8(tb, in[ibz], 0) : 0;
    float m = 0;
    int32_t yz = 0;
    glc_dtype ty = OUT_V(g, n)->dtype;
    if (ql) {
        m = ((const float *)in[1])[0] * ((const float *)in[4])[0] / ((const float *)in[6])[0];
        yz = q8(ty, in[7], 0);
    }
    for (int64_t t = 0; t < q.batch; t++)
        for (int64_t i = 0; i < q.M; i++)
            for (int64_t j = 0; j < q.N; j++) {
                int32_t acc = 0;
                for (int64_t k = 0; k < q.K; k++)
                    acc += (q8(ta, in[ia], (t * q.M + i) * q.K + k) - az) *
                           (q8(tb, in[ib], ((q.b_shared ? 0 : t) * q.K + k) * q.N + j) - bz);
                int64_t at = (t * q.M + i) * q.N + j;
                if (!ql) {
                    ((int32_t *)out[0])[at] = acc;
                    continue;
                }
                double v = nearbyint((double)acc * (double)m) + yz;
                double lo = ty == GLC_DT_U8 ? 0 : -128, hi = ty == GLC_DT_U8 ? 255 : 127;
                v = v < lo ? lo : v > hi ? hi : v;
                if (ty == GLC_DT_U8) ((uint8_t *)out[0])[at] = (uint8_t)v;
                else ((int8_t *)out[0])[at] = (int8_t)v;
            }
    return GLC_OK;
}
