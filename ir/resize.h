/*
 * resize.h -- the geometry of Resize (opsets 10 to 19) and of the deprecated Upsample
 * (opsets 7 and 9, read as a Resize), resolved once from a node's attributes and its
 * static operands (roi, scales, sizes). Shape inference (infer_resize.c), the reference
 * kernel (interp_resize.c) and code generation (codegen/lower_resize.c) read it through
 * glc_resize_geom_get, and the interpreter takes each output coordinate's taps from
 * glc_resize_taps, the coordinate maths of ONNX's reference implementation
 * (onnx/reference/ops/op_resize.py), which the code generator repeats in IR.
 *
 * Resize is separable: along a resized axis a, output coordinate o reads the taps
 * idx[0..taps) of input axis a with weights w[0..taps), and an output element is the sum,
 * over every combination of one tap per axis, of the product of the taps' weights times
 * the input element they address; with tf_crop_and_resize an output whose coordinate on
 * any axis falls outside the input is extrapolation_value instead.
 *
 *   glc_resize_geom rg;
 *   if (glc_resize_geom_get(g, n, &rg, d)) return d->status;
 *   int64_t idx[GLC_RESIZE_MAX_TAPS]; double w[GLC_RESIZE_MAX_TAPS];
 *   bool extrapolated = glc_resize_taps(&rg, a, in, out, o, idx, w);
 */
#ifndef GLC_IR_RESIZE_H
#define GLC_IR_RESIZE_H

#include "ir.h"

/* Taps of one axis: nearest 1, linear 2, cubic 4; with antialias a downscale by s widens
 * linear to 2 * floor(1 / s) and cubic to 2 * floor(2 / s) (+2 each). Scales so small
 * that the footprint would exceed this are refused. */
#define GLC_RESIZE_MAX_TAPS 64

typedef enum glc_resize_mode {
    GLC_RESIZE_NEAREST,
    GLC_RESIZE_LINEAR,
    GLC_RESIZE_CUBIC
} glc_resize_mode;

/* coordinate_transformation_mode, in the order of the attribute's enumeration */
typedef enum glc_resize_ctm {
    GLC_CTM_HALF_PIXEL,
    GLC_CTM_PYTORCH_HALF_PIXEL,
    GLC_CTM_ALIGN_CORNERS,
    GLC_CTM_ASYMMETRIC,
    GLC_CTM_TF_CROP_AND_RESIZE,
    GLC_CTM_HALF_PIXEL_SYMMETRIC,
    GLC_CTM_TF_HALF_PIXEL_FOR_NN, /* opset 11 only */
} glc_resize_ctm;

/* nearest_mode; SIMPLE is Resize-10's and Upsample's (ONNX Runtime's rule: floor when
 * upscaling, ceil when downscaling) */
typedef enum glc_resize_nearest {
    GLC_NEAREST_ROUND_PREFER_FLOOR,
    GLC_NEAREST_ROUND_PREFER_CEIL,
    GLC_NEAREST_FLOOR,
    GLC_NEAREST_CEIL,
    GLC_NEAREST_SIMPLE,
} glc_resize_nearest;

typedef struct glc_resize_geom {
    int rank;
    glc_resize_mode mode;
    glc_resize_ctm ctm;
    glc_resize_nearest nearest;
    double cubic_a, extrapolation;
    bool exclude_outside, antialias;
    bool resized[GLC_MAX_RANK];   /* axis a is interpolated (else copied) */
    bool from_sizes;              /* scale = out / in, computed where in is known */
    double scale[GLC_MAX_RANK];   /* the axis's scale; from sizes: out / in (0 if in symbolic) */
    double roi_lo[GLC_MAX_RANK], roi_hi[GLC_MAX_RANK]; /* tf_crop_and_resize; else 0, 1 */
    glc_dim in[GLC_MAX_RANK], out[GLC_MAX_RANK];
    int taps[GLC_MAX_RANK]; /* taps per output coordinate of a resized axis (1 if not) */
} glc_resize_geom;

/* infer_resize.c: fills *rg for a RESIZE or UPSAMPLE node whose input shape is known.
 * Fails with a one-line GLC_E_SHAPE on bad attributes or operands, GLC_E_UNSUPPORTED for
 * what glc does not do (a non-constant operand, a scale on a symbolic axis that keeps
 * the output size no expression, keep_aspect_ratio_policy with symbolic sizes). */
glc_status glc_resize_geom_get(const glc_graph *g, const glc_node *n, glc_resize_geom *rg,
                               glc_diag *d);

/* The scale of resized axis a of input size in and output size out. */
double glc_resize_scale(const glc_resize_geom *rg, int a, int64_t in, int64_t out);

/* The taps of output coordinate o of resized axis a (input size in, output size out):
 * rg->taps[a] indices, clamped into [0, in), and their weights. Returns true when the
 * coordinate falls outside the input under tf_crop_and_resize (the output is then
 * extrapolation_value). */
bool glc_resize_taps(const glc_resize_geom *rg, int a, int64_t in, int64_t out, int64_t o,
                     int64_t *idx, double *w);

#endif
