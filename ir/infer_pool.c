/*
 * infer_pool.c -- shape inference of the pool family (MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool) and the resolved window geometry shared with the kernels (pool.h).
 *
 * Input X is (N, C, D1, ..., Dk), k >= 1. Along spatial axis i, with effective kernel
 * ek = (kernel - 1) * dilation + 1 (AveragePool has dilations since opset 19; absent means
 * 1), the output size is
 *   auto_pad NOTSET:  L = in + pad_begin + pad_end;  out = floor((L - ek) / stride) + 1,
 *                     or with ceil_mode ceil((L - ek) / stride) + 1, and then, as in ONNX
 *                     >= 1.16, PyTorch and ONNX Runtime, one less if that last window would
 *                     start at or after in + pad_begin (in the end padding or beyond it);
 *   SAME_UPPER/LOWER: out = ceil(in / stride); total pad = max(0, (out-1)*stride + ek - in),
 *                     split total/2 at the begin for SAME_UPPER and total - total/2 at the
 *                     begin for SAME_LOWER (the odd one goes to the end for UPPER);
 *   VALID:            out = floor((in - ek) / stride) + 1, no pads.
 * ceil_mode is ignored with an auto_pad other than NOTSET (the ONNX reference asserts it
 * is 0 there). Pads must be smaller than the effective kernel (ONNX Runtime rejects pads
 * >= kernel), so every window of a NOTSET pool reaches the input.
 *
 * Output window o covers input coordinates o*stride - pad_begin + j*dilation, j < kernel;
 * the taps outside [0, in) are padding. With ceil_mode the last window may run past
 * in + pad_end; those taps are neither input nor padding. The AveragePool divisor is the
 * number of taps inside the input (count_include_pad = 0) or inside the padded extent
 * [-pad_begin, in + pad_end) (count_include_pad = 1), which is PyTorch's rule; ONNX 1.12's
 * node tests do not reach the difference.
 *
 * Only f32 is supported (MaxPool's int8/uint8 and float16/double are GLC_E_UNSUPPORTED).
 * MaxPool's optional second output, Indices, is int64 of Y's shape.
 */
#include "conv.h"
#include "ir.h"
#include "ir_impl.h"
#include "pool.h"

#include <string.h>

/* Reads an optional ints attribute of length want into v (default dflt); false if the
 * attribute is present with another length. */
static bool ints_or(const glc_node *n, const char *name, int want, int64_t dflt, int64_t *v) {
    uint32_t cnt = 0;
    const int64_t *a = glc_attr_ints(n, name, &cnt);
    if (!a) {
        for (int i = 0; i < want; i++)
            v[i] = dflt;
        return glc_node_attr(n, name) == NULL;
    }
    if ((int)cnt != want) return false;
    for (int i = 0; i < want; i++)
        v[i] = a[i];
    return true;
}

static glc_status read_attrs(const glc_node *n, const char *sx, glc_pool_geom *pg, glc_diag *d) {
    const char *op = glc_op_name(n->op);
    int k = pg->nsp;
    int64_t pads[2 * GLC_MAX_RANK];
    uint32_t cnt = 0;
    const int64_t *ks = glc_attr_ints(n, "kernel_shape", &cnt);
    if (!ks || (int)cnt != k)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: kernel_shape must list %d sizes for input 0 %s, got %u", op, k, sx,
                            ks ? cnt : 0);
    memcpy(pg->kernel, ks, (size_t)k * sizeof *ks);
    if (!ints_or(n, "strides", k, 1, pg->stride) || !ints_or(n, "dilations", k, 1, pg->dilation))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: strides and dilations must list %d values for input 0 %s", op, k,
                            sx);
    if (!ints_or(n, "pads", 2 * k, 0, pads))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: pads must list %d values for input 0 %s", op,
                            2 * k, sx);
    for (int i = 0; i < k; i++) {
        pg->pad_begin[i] = pads[i];
        pg->pad_end[i] = pads[k + i];
        if (pg->kernel[i] < 1 || pg->stride[i] < 1 || pg->dilation[i] < 1 || pads[i] < 0 ||
            pads[k + i] < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "%s: axis %d: kernel %lld, stride %lld, dilation %lld must be "
                                ">= 1 and pads %lld, %lld >= 0",
                                op, i, (long long)pg->kernel[i], (long long)pg->stride[i],
                                (long long)pg->dilation[i], (long long)pads[i],
                                (long long)pads[k + i]);
    }
    int64_t cip = glc_attr_int(n, "count_include_pad", 0);
    int64_t so = glc_attr_int(n, "storage_order", 0);
    if ((cip != 0 && cip != 1) || (so != 0 && so != 1))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: count_include_pad %lld and storage_order %lld must be 0 or 1", op,
                            (long long)cip, (long long)so);
    pg->count_include_pad = cip == 1;
    pg->col_major_indices = so == 1;
    return GLC_OK;
}

/* auto_pad is valid and, when not NOTSET, comes without non-zero explicit pads. */
static glc_status check_auto_pad(const glc_node *n, const char *ap, const glc_pool_geom *pg,
                                 glc_diag *d) {
    const char *op = glc_op_name(n->op);
    bool notset = !strcmp(ap, "NOTSET") || !ap[0];
    if (!notset && strcmp(ap, "SAME_UPPER") && strcmp(ap, "SAME_LOWER") && strcmp(ap, "VALID"))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: unknown auto_pad '%s'", op, ap);
    for (int i = 0; i < pg->nsp && !notset; i++)
        if (pg->pad_begin[i] || pg->pad_end[i])
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "%s: explicit pads cannot be combined with auto_pad %s", op, ap);
    return GLC_OK;
}

glc_status glc_pool_geom_get(const glc_graph *g, const glc_node *n, glc_pool_geom *pg,
                             glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    const char *op = glc_op_name(n->op);
    char sx[SHAPE_BUF];
    infer_shape_str(x, sx);
    memset(pg, 0, sizeof *pg);
    if (x->rank < 3)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input 0 %s must be (N, C, D1, ...) with at least one spatial "
                            "axis",
                            op, sx);
    pg->nsp = x->rank - 2;
    pg->batch = x->dims[0];
    pg->channels = x->dims[1];
    memcpy(pg->in, x->dims + 2, (size_t)pg->nsp * sizeof *pg->in);
    GLC_TRY(read_attrs(n, sx, pg, d));
    const char *ap = glc_attr_string(n, "auto_pad", "NOTSET");
    GLC_TRY(check_auto_pad(n, ap, pg, d));
    bool ceil_mode = glc_attr_int(n, "ceil_mode", 0) != 0;
    for (int i = 0; i < pg->nsp; i++) {
        int64_t ek = (pg->kernel[i] - 1) * pg->dilation[i] + 1;
        if (pg->pad_begin[i] >= ek || pg->pad_end[i] >= ek)
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "%s: axis %d: pads %lld, %lld must be smaller than the window "
                                "%lld",
                                op, i, (long long)pg->pad_begin[i], (long long)pg->pad_end[i],
                                (long long)ek);
        glc_window_axis(g, n, pg->in[i], pg->kernel[i], pg->stride[i], pg->dilation[i],
                        !strcmp(ap, "NOTSET") || !ap[0] ? "NOTSET" : ap, ceil_mode,
                        &pg->pad_begin[i], &pg->pad_end[i], &pg->out[i]);
        if (glc_dim_is_const(pg->out[i]) && pg->out[i] < 1)
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "%s: axis %d: window %lld does not fit input 0 %s with pads "
                                "%lld, %lld",
                                op, i, (long long)ek, sx, (long long)pg->pad_begin[i],
                                (long long)pg->pad_end[i]);
    }
    return GLC_OK;
}

/* Input 0 must be f32 (other float types and MaxPool's 8-bit ints: unsupported). */
static glc_status check_f32(const glc_graph *g, const glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    if (x->dtype == GLC_DT_F32) return GLC_OK;
    char sx[SHAPE_BUF];
    infer_shape_str(x, sx);
    bool valid = glc_dtype_is_float(x->dtype) ||
                 (n->op == GLC_OP_MAXPOOL && (x->dtype == GLC_DT_I8 || x->dtype == GLC_DT_U8));
    return glc_diag_set(d, valid ? GLC_E_UNSUPPORTED : GLC_E_SHAPE, n,
                        "%s: input 0 %s: only f32 is supported", glc_op_name(n->op), sx);
}

static glc_status infer_window_pool(glc_graph *g, glc_node *n, glc_diag *d) {
    GLC_TRY(check_f32(g, n, d));
    glc_pool_geom pg;
    GLC_TRY(glc_pool_geom_get(g, n, &pg, d));
    int64_t dims[GLC_MAX_RANK] = {pg.batch, pg.channels};
    memcpy(dims + 2, pg.out, (size_t)pg.nsp * sizeof *dims);
    GLC_TRY(infer_check_numel(n, pg.nsp + 2, dims, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, pg.nsp + 2, dims);
    infer_set_out_k(g, n, 1, GLC_DT_I64, pg.nsp + 2, dims);
    return GLC_OK;
}

glc_status infer_maxpool(glc_graph *g, glc_node *n, glc_diag *d) {
    return infer_window_pool(g, n, d);
}

glc_status infer_averagepool(glc_graph *g, glc_node *n, glc_diag *d) {
    return infer_window_pool(g, n, d);
}

/* (N, C, D1, ...) -> (N, C, 1, ...); rank 2 is allowed (nothing to average). */
glc_status infer_globalpool(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    GLC_TRY(check_f32(g, n, d));
    if (x->rank < 2) {
        char sx[SHAPE_BUF];
        infer_shape_str(x, sx);
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input 0 %s must be (N, C, D1, ...)", glc_op_name(n->op), sx);
    }
    int64_t dims[GLC_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        dims[i] = i < 2 ? x->dims[i] : 1;
    infer_set_out_k(g, n, 0, GLC_DT_F32, x->rank, dims);
    return GLC_OK;
}
