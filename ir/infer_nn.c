/*
 * infer_nn.c -- shape inference of the nn family (Conv, BatchNormalization, LeakyRelu,
 * HardSigmoid, LogSoftmax) and the resolved Conv geometry shared with the kernels (conv.h).
 *
 * Conv: X (N, C, D1..Dk), k >= 1; W (M, C/group, k1..kk); optional B (M). kernel_shape is
 * optional and, when given, must equal W's trailing dims. Along spatial axis i, with
 * effective kernel ek = (k - 1) * dilation + 1,
 *   auto_pad NOTSET:  out = floor((in + pad_begin + pad_end - ek) / stride) + 1;
 *   SAME_UPPER/LOWER: out = ceil(in / stride); total pad = max(0, (out-1)*stride + ek - in)
 *                     split total/2 at the begin for SAME_UPPER (the odd one at the end)
 *                     and total - total/2 at the begin for SAME_LOWER;
 *   VALID:            no pads, out = floor((in - ek) / stride) + 1.
 * Unlike pooling, a pad may exceed the kernel (a window wholly in the padding reads zeros,
 * giving the bias). An empty output (out < 1) is a shape error. Y is (N, M, out...).
 *
 * BatchNormalization: X (N, C, D...) of rank >= 2; scale, B, mean, var of shape (C), or
 * (C, D1..Dn) with spatial = 0 (an attribute of opsets < 9). training_mode (opset >= 14)
 * = 1 normalises with the batch statistics and may output running_mean and running_var
 * (C); those outputs are a shape error with training_mode = 0 and unsupported before
 * opset 14 (the old Y, mean, var, saved_mean, saved_var training form). Y is X's shape.
 * Like ONNX Runtime, a Y-only node of opset < 14 is inference whatever is_test (opset <= 6)
 * says; consumed_inputs (opset < 6) is ignored.
 *
 * LeakyRelu, HardSigmoid: elementwise, Y is X's shape. LogSoftmax: Softmax's axis rule
 * (opset >= 13 one axis, default -1; before, d[axis:] flattened, default 1, axis == rank
 * allowed). All of them f32 only: other float types are GLC_E_UNSUPPORTED.
 */
#include "conv.h"
#include "ir.h"
#include "ir_impl.h"

#include <string.h>

/* f32 passes; another float dtype is valid but unsupported; anything else is wrong. */
static glc_status check_f32(const glc_node *n, int i, const glc_value *v, glc_diag *d) {
    if (v->dtype == GLC_DT_F32) return GLC_OK;
    char s[SHAPE_BUF];
    infer_shape_str(v, s);
    return glc_diag_set(d, glc_dtype_is_float(v->dtype) ? GLC_E_UNSUPPORTED : GLC_E_SHAPE, n,
                        "%s: input %d %s: only f32 is supported", glc_op_name(n->op), i, s);
}

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
    memcpy(v, a, (size_t)want * sizeof *v);
    return true;
}

glc_status glc_window_axis(const glc_graph *g, const glc_node *n, glc_dim in, glc_dim kernel,
                           int64_t stride, int64_t dilation, const char *ap, bool ceil_mode,
                           glc_dim *pad_begin, glc_dim *pad_end, glc_dim *out) {
    glc_dim ek = glc_dim_add(g, glc_dim_mul(g, glc_dim_sub(g, kernel, 1), dilation), 1);
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        glc_dim o = glc_dim_ceildiv(g, in, stride);
        glc_dim total = glc_dim_max(g, glc_dim_sub(g, glc_dim_add(g, glc_dim_mul(g, glc_dim_sub(g, o, 1), stride), ek), in), 0);
        glc_dim half = glc_dim_floordiv(g, total, 2);
        *pad_begin = !strcmp(ap, "SAME_UPPER") ? half : glc_dim_sub(g, total, half);
        *pad_end = glc_dim_sub(g, total, *pad_begin);
        *out = o;
        return GLC_OK;
    }
    if (!strcmp(ap, "VALID")) *pad_begin = *pad_end = 0;
    glc_dim span = glc_dim_sub(g, glc_dim_add(g, glc_dim_add(g, in, *pad_begin), *pad_end), ek);
    if (glc_dim_is_const(span) && span < 0) {
        *out = 0;
        return GLC_OK;
    }
    if (glc_dim_require_ge(g, span, 0, n, "the window fits the padded input") != GLC_OK) {
        *out = 0;
        return GLC_OK;
    }
    if (!ceil_mode) {
        *out = glc_dim_add(g, glc_dim_floordiv(g, span, stride), 1);
        return GLC_OK;
    }
    /* ceil_mode: the last window must start inside the input or its begin padding */
    glc_dim o = glc_dim_add(g, glc_dim_ceildiv(g, span, stride), 1);
    *out = glc_dim_min(g, o, glc_dim_ceildiv(g, glc_dim_add(g, in, *pad_begin), stride));
    return GLC_OK;
}

bool glc_conv_geom_resolve(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                           const char *ap) {
    bool ok = true;
    for (int i = 0; i < cg->nsp; i++) {
        glc_window_axis(g, n, cg->in[i], cg->kernel[i], cg->stride[i], cg->dilation[i], ap, false,
                        &cg->pad_begin[i], &cg->pad_end[i], &cg->out[i]);
        ok = ok && (glc_dim_is_sym(cg->out[i]) || cg->out[i] >= 1);
    }
    return ok;
}

/* strides, dilations, pads: lengths and values. */
static glc_status read_window(const glc_node *n, glc_conv_geom *cg, glc_diag *d) {
    const char *op = glc_op_name(n->op);
    int k = cg->nsp;
    int64_t pads[2 * GLC_MAX_RANK];
    if (!ints_or(n, "strides", k, 1, cg->stride) || !ints_or(n, "dilations", k, 1, cg->dilation))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: strides and dilations must list %d values", op,
                            k);
    if (!ints_or(n, "pads", 2 * k, 0, pads))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: pads must list %d values", op, 2 * k);
    for (int i = 0; i < k; i++) {
        cg->pad_begin[i] = pads[i];
        cg->pad_end[i] = pads[k + i];
        bool bad_k = glc_dim_is_const(cg->kernel[i]) && cg->kernel[i] < 1; /* symbols >= 1 */
        if (bad_k || cg->stride[i] < 1 || cg->dilation[i] < 1 || pads[i] < 0 || pads[k + i] < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "%s: axis %d: kernel %lld, stride %lld, dilation %lld must be "
                                ">= 1 and pads %lld, %lld >= 0",
                                op, i, (long long)cg->kernel[i], (long long)cg->stride[i],
                                (long long)cg->dilation[i], (long long)pads[i],
                                (long long)pads[k + i]);
    }
    return GLC_OK;
}

glc_status glc_conv_window_get(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                               const char *what, glc_diag *d) {
    const char *op = glc_op_name(n->op);
    int k = cg->nsp;
    uint32_t cnt = 0;
    const int64_t *ks = glc_attr_ints(n, "kernel_shape", &cnt);
    bool given = ks || glc_node_attr(n, "kernel_shape"), ok = !given || (int)cnt == k;
    for (int i = 0; given && ok && i < k; i++) /* a symbolic kernel size must be the given one */
        ok = glc_dim_require_eq(g, cg->kernel[i], ks[i], n, "kernel_shape: the weights' size") ==
             GLC_OK;
    if (!ok)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: kernel_shape (%u values) does not match the %d kernel sizes "
                            "of the weights",
                            op, cnt, k);
    if (given) memcpy(cg->kernel, ks, (size_t)k * sizeof *ks);
    GLC_TRY(read_window(n, cg, d));
    const char *ap = glc_attr_string(n, "auto_pad", "NOTSET");
    bool notset = !ap[0] || !strcmp(ap, "NOTSET");
    if (!notset && strcmp(ap, "SAME_UPPER") && strcmp(ap, "SAME_LOWER") && strcmp(ap, "VALID"))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: unknown auto_pad '%s'", op, ap);
    for (int i = 0; i < k && !notset; i++)
        if (cg->pad_begin[i] || cg->pad_end[i])
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "%s: explicit pads cannot be combined with auto_pad %s", op, ap);
    if (!glc_conv_geom_resolve(g, n, cg, notset ? "NOTSET" : ap)) {
        int i = 0;
        while (glc_dim_is_sym(cg->out[i]) || cg->out[i] >= 1)
            i++;
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: axis %d: window %lld (kernel %lld, dilation %lld) does not fit "
                            "%s with pads %lld, %lld",
                            op, i, (long long)((cg->kernel[i] - 1) * cg->dilation[i] + 1),
                            (long long)cg->kernel[i], (long long)cg->dilation[i], what,
                            (long long)cg->pad_begin[i], (long long)cg->pad_end[i]);
    }
    return GLC_OK;
}

/* X, W, B shapes against each other and group. */
static glc_status conv_operands(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                                glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *w = glc_node_input(g, n, 1);
    const glc_value *b = glc_node_input(g, n, 2);
    char sx[SHAPE_BUF], sw[SHAPE_BUF], sb[SHAPE_BUF];
    infer_shape_str(x, sx);
    infer_shape_str(w, sw);
    if (x->rank < 3)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Conv: input 0 %s must be (N, C, D1, ...) with at least one spatial "
                            "axis",
                            sx);
    cg->group = glc_attr_int(n, "group", 1);
    if (cg->group < 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Conv: group %lld must be >= 1",
                            (long long)cg->group);
    if (w->rank != x->rank ||
        glc_dim_require_eq(g, x->dims[1], glc_dim_mul(g, w->dims[1], cg->group), n,
                           "Conv: channels") != GLC_OK ||
        glc_dim_require_eq(g, glc_dim_mod(g, w->dims[0], cg->group), 0, n,
                           "Conv: output channels a multiple of group") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Conv: input 1 %s must be (M, C/group, k...) with M a multiple of "
                            "group %lld for input 0 %s",
                            sw, (long long)cg->group, sx);
    if (b && (b->rank != 1 ||
              glc_dim_require_eq(g, b->dims[0], w->dims[0], n, "Conv: bias") != GLC_OK)) {
        char m[SHAPE_BUF];
        infer_shape_str(b, sb);
        glc_dim_str(g, w->dims[0], m, sizeof m);
        return glc_diag_set(d, GLC_E_SHAPE, n, "Conv: input 2 %s must be (%s) for input 1 %s", sb,
                            m, sw);
    }
    cg->nsp = x->rank - 2;
    cg->batch = x->dims[0];
    cg->c_in = x->dims[1];
    cg->c_out = w->dims[0];
    memcpy(cg->in, x->dims + 2, (size_t)cg->nsp * sizeof *cg->in);
    memcpy(cg->kernel, w->dims + 2, (size_t)cg->nsp * sizeof *cg->kernel);
    return GLC_OK;
}

glc_status glc_conv_geom_get(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                             glc_diag *d) {
    memset(cg, 0, sizeof *cg);
    for (int i = 0; i < n->n_in && i < 3; i++) {
        const glc_value *v = glc_node_input(g, n, i);
        if (v) GLC_TRY(check_f32(n, i, v, d));
    }
    GLC_TRY(conv_operands(g, n, cg, d));
    char sx[SHAPE_BUF + 16] = "input 0 ";
    infer_shape_str(glc_node_input(g, n, 0), sx + strlen(sx));
    return glc_conv_window_get(g, n, cg, sx, d);
}

glc_status infer_conv(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_conv_geom cg;
    GLC_TRY(glc_conv_geom_get(g, n, &cg, d));
    int64_t dims[GLC_MAX_RANK] = {cg.batch, cg.c_out};
    memcpy(dims + 2, cg.out, (size_t)cg.nsp * sizeof *dims);
    GLC_TRY(infer_check_numel(n, cg.nsp + 2, dims, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, cg.nsp + 2, dims);
    return GLC_OK;
}

/* ---- ConvInteger, QLinearConv ----------------------------------------------------------- */

/* One value, or (per) one per output channel m. */
static bool one_or_per(const glc_graph *g, const glc_node *n, const glc_value *v, glc_dim m,
                       bool *per) {
    *per = false;
    if (!v || v->rank == 0) return true;
    if (v->rank != 1) return false;
    if (glc_dim_is_const(v->dims[0]) && v->dims[0] == 1) return true;
    *per = true;
    return glc_dim_require_eq(g, v->dims[0], m, n, "one value per output channel") == GLC_OK;
}

glc_status glc_qconv_geom_get(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                              int64_t *group, bool *w_per, glc_diag *d) {
    bool ql = n->op == GLC_OP_QLINEARCONV;
    const glc_value *x = glc_node_input(g, n, 0), *w = glc_node_input(g, n, ql ? 3 : 1);
    const char *op = glc_op_name(n->op);
    char sx[SHAPE_BUF + 16] = "input 0 ", sw[SHAPE_BUF];
    infer_shape_str(x, sx + strlen(sx));
    infer_shape_str(w, sw);
    memset(cg, 0, sizeof *cg);
    *group = glc_attr_int(n, "group", 1);
    if (x->rank < 3 || w->rank != x->rank || *group < 1 ||
        glc_dim_require_eq(g, glc_dim_mul(g, w->dims[1], *group), x->dims[1], n,
                           "channels") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %s and weights %s do not fit (group %lld)",
                            op, sx, sw, (long long)*group);
    cg->nsp = x->rank - 2;
    cg->batch = x->dims[0];
    cg->c_in = x->dims[1];
    cg->c_out = w->dims[0];
    cg->group = *group;
    memcpy(cg->in, x->dims + 2, (size_t)cg->nsp * sizeof *cg->in);
    memcpy(cg->kernel, w->dims + 2, (size_t)cg->nsp * sizeof *cg->kernel);
    bool per = false, ok = true;
    *w_per = false;
    static const int ql_in[6] = {1, 2, 4, 5, 6, 7}, mi_in[2] = {2, 3};
    for (int k = 0; k < (ql ? 6 : 2); k++) {
        int i = ql ? ql_in[k] : mi_in[k];
        bool w_side = ql ? (i == 4 || i == 5) : i == 3;
        ok = ok && one_or_per(g, n, glc_node_input(g, n, i), cg->c_out, &per);
        ok = ok && (!per || w_side);
        *w_per |= per;
    }
    if (!ok)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: scales and zero points must be one "
                            "value (or w's one per output channel)", op);
    if (ql) GLC_TRY(infer_check_in(g, n, 8, "B", GLC_DT_I32, 1, &cg->c_out, "(M)", d));
    return glc_conv_window_get(g, n, cg, sx, d);
}

glc_status infer_qconv(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_conv_geom cg;
    int64_t group;
    bool per;
    GLC_TRY(glc_qconv_geom_get(g, n, &cg, &group, &per, d));
    glc_dim dims[GLC_MAX_RANK] = {cg.batch, cg.c_out};
    memcpy(dims + 2, cg.out, (size_t)cg.nsp * sizeof *dims);
    glc_dtype dt = n->op == GLC_OP_QLINEARCONV ? glc_node_input(g, n, 7)->dtype : GLC_DT_I32;
    infer_set_out_k(g, n, 0, dt, cg.nsp + 2, dims);
    return GLC_OK;
}

/* ---- ConvTranspose ---------------------------------------------------------------------- */

/* A per-axis attribute list of nsp values into out (dflt where absent). */
static glc_status axis_ints(const glc_node *n, const char *name, int nsp, int64_t dflt,
                            int64_t *out, glc_diag *d) {
    uint32_t k = 0;
    const int64_t *v = glc_attr_ints(n, name, &k);
    if (v && k != (uint32_t)nsp)
        return glc_diag_set(d, GLC_E_SHAPE, n, "ConvTranspose: %s has %u values for %d spatial "
                            "axes", name, k, nsp);
    for (int i = 0; i < nsp; i++)
        out[i] = v ? v[i] : dflt;
    return GLC_OK;
}

glc_status glc_convt_geom_get(const glc_graph *g, const glc_node *n, glc_convt_geom *t,
                              glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *w = glc_node_input(g, n, 1);
    char sx[SHAPE_BUF], sw[SHAPE_BUF];
    infer_shape_str(x, sx);
    infer_shape_str(w, sw);
    memset(t, 0, sizeof *t);
    int64_t group = glc_attr_int(n, "group", 1);
    if (x->rank < 3 || w->rank != x->rank || group < 1 ||
        glc_dim_require_eq(g, x->dims[1], w->dims[0], n, "ConvTranspose: channels") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n, "ConvTranspose: input 0 %s and weights %s do "
                            "not fit (group %lld)", sx, sw, (long long)group);
    t->nsp = x->rank - 2;
    t->batch = x->dims[0];
    t->c_in = x->dims[1];
    t->group = group;
    t->c_out = glc_dim_mul(g, w->dims[1], group);
    GLC_TRY(infer_check_in(g, n, 2, "B", x->dtype, 1, &t->c_out, "(M)", d));
    int64_t opad[GLC_MAX_RANK], pads[2 * GLC_MAX_RANK], oshape[GLC_MAX_RANK], ks[GLC_MAX_RANK];
    GLC_TRY(axis_ints(n, "strides", t->nsp, 1, t->stride, d));
    GLC_TRY(axis_ints(n, "dilations", t->nsp, 1, t->dilation, d));
    GLC_TRY(axis_ints(n, "output_padding", t->nsp, 0, opad, d));
    GLC_TRY(axis_ints(n, "kernel_shape", t->nsp, -1, ks, d));
    uint32_t np = 0;
    const int64_t *pv = glc_attr_ints(n, "pads", &np);
    if (pv && np != (uint32_t)(2 * t->nsp))
        return glc_diag_set(d, GLC_E_SHAPE, n, "ConvTranspose: pads has %u values", np);
    for (int i = 0; i < 2 * t->nsp; i++)
        pads[i] = pv ? pv[i] : 0;
    bool has_os = glc_node_attr(n, "output_shape") != NULL;
    if (has_os) GLC_TRY(axis_ints(n, "output_shape", t->nsp, 0, oshape, d));
    const char *ap = glc_attr_string(n, "auto_pad", "NOTSET");
    bool same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");
    bool upper = !strcmp(ap, "SAME_UPPER");
    if (!same && strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && strcmp(ap, ""))
        return glc_diag_set(d, GLC_E_SHAPE, n, "ConvTranspose: auto_pad '%s'", ap);
    for (int i = 0; i < t->nsp; i++) {
        glc_dim in = x->dims[2 + i], k = w->dims[2 + i];
        if (ks[i] >= 0 && glc_dim_require_eq(g, k, ks[i], n, "kernel_shape") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n, "ConvTranspose: kernel_shape disagrees with "
                                "weights %s", sw);
        if (t->stride[i] < 1 || t->dilation[i] < 1 || opad[i] < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n, "ConvTranspose: bad stride, dilation or "
                                "output_padding on axis %d", i);
        t->in[i] = in;
        t->kernel[i] = k;
        /* the full extent: stride * (in - 1) + output_padding + (k - 1) * dilation + 1 */
        glc_dim full = glc_dim_add(g, glc_dim_mul(g, glc_dim_sub(g, in, 1), t->stride[i]),
                                   glc_dim_add(g, glc_dim_mul(g, glc_dim_sub(g, k, 1),
                                                              t->dilation[i]), opad[i] + 1));
        glc_dim want = has_os ? oshape[i] : same ? glc_dim_mul(g, in, t->stride[i]) : 0;
        if (has_os || same) {
            glc_dim total = glc_dim_sub(g, full, want);
            glc_dim half = glc_dim_floordiv(g, total, 2);
            t->pad_begin[i] = upper ? half : glc_dim_sub(g, total, half);
            t->out[i] = want;
        } else {
            t->pad_begin[i] = pads[i];
            t->out[i] = glc_dim_sub(g, full, pads[i] + pads[t->nsp + i]);
        }
        if (glc_dim_require_ge(g, t->out[i], 1, n, "ConvTranspose: output size") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n, "ConvTranspose: empty output on axis %d", i);
    }
    return GLC_OK;
}

glc_status infer_convtranspose(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_convt_geom t;
    GLC_TRY(glc_convt_geom_get(g, n, &t, d));
    glc_dim dims[GLC_MAX_RANK] = {t.batch, t.c_out};
    memcpy(dims + 2, t.out, (size_t)t.nsp * sizeof *dims);
    GLC_TRY(infer_check_numel(n, t.nsp + 2, dims, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, t.nsp + 2, dims);
    return GLC_OK;
}

/* training_mode (opset >= 14) and which outputs may be requested. */
static glc_status batchnorm_mode(const glc_graph *g, const glc_node *n, bool *training,
                                 glc_diag *d) {
    bool extra = false;
    for (int k = 1; k < n->n_out; k++)
        extra = extra || n->out[k] != 0;
    int64_t tm = g->opset >= 14 ? glc_attr_int(n, "training_mode", 0) : 0;
    if (tm != 0 && tm != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "BatchNormalization: training_mode %lld must be 0 or 1", (long long)tm);
    *training = tm == 1;
    if (extra && g->opset < 14)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "BatchNormalization: training outputs before opset 14 (opset %lld)",
                            (long long)g->opset);
    if (extra && !*training)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "BatchNormalization: running_mean and running_var are outputs only "
                            "with training_mode = 1");
    return GLC_OK;
}

glc_status infer_batchnorm(glc_graph *g, glc_node *n, glc_diag *d) {
    static const char *const names[5] = {"X", "scale", "B", "input_mean", "input_var"};
    const glc_value *x = glc_node_input(g, n, 0);
    char sx[SHAPE_BUF], sp[SHAPE_BUF];
    infer_shape_str(x, sx);
    for (int i = 0; i < 5; i++)
        GLC_TRY(check_f32(n, i, glc_node_input(g, n, i), d));
    if (x->rank < 2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "BatchNormalization: input 0 %s must be (N, C, ...)",
                            sx);
    bool training;
    GLC_TRY(batchnorm_mode(g, n, &training, d));
    bool spatial = g->opset >= 9 || glc_attr_int(n, "spatial", 1) != 0;
    int prank = spatial ? 1 : x->rank - 1; /* (C) or (C, D1..Dn) */
    for (int i = 1; i < 5; i++) {
        const glc_value *p = glc_node_input(g, n, i);
        bool ok = p->rank == prank;
        for (int k = 0; ok && k < prank; k++)
            ok = glc_dim_require_eq(g, p->dims[k], x->dims[1 + k], n,
                                    "BatchNormalization: parameters") == GLC_OK;
        if (ok) continue;
        infer_shape_str(p, sp);
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "BatchNormalization: input %d (%s) %s must be %s for input 0 %s", i,
                            names[i], sp, spatial ? "(C)" : "(C, D1, ...)", sx);
    }
    infer_set_out_k(g, n, 0, GLC_DT_F32, x->rank, x->dims);
    infer_set_out_k(g, n, 1, GLC_DT_F32, 1, x->dims + 1);
    infer_set_out_k(g, n, 2, GLC_DT_F32, 1, x->dims + 1);
    return GLC_OK;
}

glc_status infer_logsoftmax(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    GLC_TRY(check_f32(n, 0, x, d));
    int64_t axis = glc_attr_int(n, "axis", g->opset >= 13 ? -1 : 1);
    int ax;
    if (x->rank == 0 || !infer_norm_axis(axis, x->rank, g->opset < 13, &ax)) {
        char s[SHAPE_BUF];
        infer_shape_str(x, s);
        return glc_diag_set(d, GLC_E_SHAPE, n, "LogSoftmax: axis %lld out of range for input 0 %s",
                            (long long)axis, s);
    }
    infer_set_out_k(g, n, 0, GLC_DT_F32, x->rank, x->dims);
    return GLC_OK;
}
