/*
 * conv.h -- the geometry of an ONNX Conv, resolved once from a node's attributes and its
 * input shapes (auto_pad applied, kernel sizes from W, defaults filled in). Shape inference
 * (infer_nn.c), the reference kernel (interp_nn.c) and code generation (codegen/lower_nn.c,
 * cg_conv_emit) all read it, so the three agree on pads and output sizes by construction.
 * Ops that contain convolutions (ai.glc ConvLSTM) resolve their windows with the same
 * functions.
 *
 *   glc_conv_geom cg;
 *   if (glc_conv_geom_get(g, n, &cg, d)) return d->status;
 *   // y[b, m, o...] = bias[m] + sum over c < cg.c_in / cg.group and taps j of
 *   //   w[m, c, j...] * x[b, (m / (cg.c_out / cg.group)) * (cg.c_in / cg.group) + c,
 *   //                     o_i * cg.stride[i] - cg.pad_begin[i] + j_i * cg.dilation[i]]
 *   // where taps outside [0, cg.in[i]) read zero padding.
 */
#ifndef GLC_IR_CONV_H
#define GLC_IR_CONV_H

#include "ir.h"

/* batch, c_in, c_out, in, out, kernel and the pads are dims (ir/dim.h): symbolic when the
 * inputs' dims are (the kernel when W's are and no kernel_shape gives it; the pads with
 * SAME auto_pad when the kernel, or the input size with a stride > 1, is symbolic);
 * stride, dilation and group never. */
typedef struct glc_conv_geom {
    int nsp;                      /* spatial axes: input rank - 2 */
    int64_t batch, c_in, c_out;   /* N, C, M */
    int64_t group;                /* C and M are multiples of it */
    int64_t in[GLC_MAX_RANK];     /* spatial input sizes */
    int64_t out[GLC_MAX_RANK];    /* spatial output sizes */
    int64_t kernel[GLC_MAX_RANK]; /* taps per axis (W's trailing dims) */
    int64_t stride[GLC_MAX_RANK];
    int64_t dilation[GLC_MAX_RANK];
    int64_t pad_begin[GLC_MAX_RANK]; /* after auto_pad */
    int64_t pad_end[GLC_MAX_RANK];   /* after auto_pad */
} glc_conv_geom;

/* infer_nn.c */
/* Fills *cg for a CONV node whose input shapes are known: checks X (N, C, D1..Dk), W
 * (M, C/group, k1..kk), the optional B (M), group, kernel_shape against W, and the window
 * attributes (see glc_conv_window_get). Fails with GLC_E_SHAPE naming the op and inputs. */
glc_status glc_conv_geom_get(const glc_graph *g, const glc_node *n, glc_conv_geom *cg, glc_diag *d);
/* The window part alone, for any node carrying Conv's window attributes (kernel_shape,
 * strides, dilations, pads, auto_pad): cg->nsp, cg->in and cg->kernel must be set (the
 * kernel sizes taken from the weights; kernel_shape, when present, must agree). Fills
 * stride, dilation, pads and out; GLC_E_SHAPE on bad lengths or values or an empty output,
 * whose message names the input as `what` ("input 0 f32[1,3,8,8]", say). */
glc_status glc_conv_window_get(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                               const char *what, glc_diag *d);
/* Output sizes and pads of every axis from in, kernel, stride, dilation (and, for
 * "NOTSET"/"" or "VALID", the explicit pads already in pad_begin/pad_end) for auto_pad ap
 * (NOTSET, SAME_UPPER, SAME_LOWER or VALID). Returns false if some axis has out < 1.
 * A symbolic input size gives symbolic sizes (and, for SAME with a stride > 1, symbolic
 * pads); that the window fits is then a run-time constraint of node n. */
bool glc_conv_geom_resolve(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                           const char *ap);
/* One axis of a window (Conv and the pools): pads after auto_pad ap (the explicit ones
 * in *pad_begin and *pad_end for NOTSET) and the output size, 0 when the window cannot fit;
 * ceil_mode as the pools define it. in and kernel may be symbolic. */
glc_status glc_window_axis(const glc_graph *g, const glc_node *n, glc_dim in, glc_dim kernel,
                           int64_t stride, int64_t dilation, const char *ap, bool ceil_mode,
                           glc_dim *pad_begin, glc_dim *pad_end, glc_dim *out);

/* ConvInteger, QLinearConv: Conv's geometry (group from the attribute, and the window of
 * glc_conv_window_get) on u8/i8 x and w: acc = sum of (x - x_zp) (w - w_zp) in i32 (zero
 * points and scales: one value each, or w's per output channel), plus QLinearConv's i32
 * bias; ConvInteger's y = acc, QLinearConv's y = saturate(roundeven(acc * x_scale *
 * w_scale[m] / y_scale) + y_zp) with the multiplier in f32 and the product in f64. w_per:
 * w's zero point and scale have one value per output channel. */
glc_status glc_qconv_geom_get(const glc_graph *g, const glc_node *n, glc_conv_geom *cg,
                              int64_t *group, bool *w_per, glc_diag *d);

/* ConvTranspose: x (N, C, in...), w (C, M/group, k...), optional bias (M). For every output
 * position o and tap j along each axis, the input position is
 *   i = (o + pad_begin - j * dilation) / stride   when that divides and 0 <= i < in,
 * and y[b, m, o...] = bias[m] + sum over those and c < C/group of
 *   x[b, gi * C/group + c, i...] * w[gi * C/group + c, m - gi * M/group, j...], gi = m / (M/group).
 * out = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - pads, or output_shape
 * (the pads then split as auto_pad says: SAME_UPPER puts the smaller half first). Dims
 * may be symbolic (ir/dim.h). */
typedef struct glc_convt_geom {
    int nsp;
    glc_dim batch, c_in, c_out, group;
    glc_dim in[GLC_MAX_RANK], out[GLC_MAX_RANK], kernel[GLC_MAX_RANK];
    int64_t stride[GLC_MAX_RANK], dilation[GLC_MAX_RANK];
    glc_dim pad_begin[GLC_MAX_RANK];
} glc_convt_geom;
glc_status glc_convt_geom_get(const glc_graph *g, const glc_node *n, glc_convt_geom *t,
                              glc_diag *d);

#endif
