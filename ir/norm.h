/*
 * norm.h -- the normalisations (LayerNormalization, InstanceNormalization,
 * MeanVarianceNormalization), read once by their shape rule (infer_norm.c), reference
 * kernels (interp_norm.c) and lowerings (codegen/lower_norm.c), so the three agree.
 *
 * Each normalises x over a set of reduced axes, separately for every position of the kept
 * axes (a "row"): mean and variance over the row (the population variance, about the
 * mean), then y = (x - mean) * inv * scale + bias with
 *   inv = 1 / sqrt(var + epsilon)      (LayerNormalization, InstanceNormalization)
 *   inv = 1 / (sqrt(var) + epsilon)    (MeanVarianceNormalization, epsilon 1e-9)
 * scale and bias are read at the element's coordinates times their strides (0 along the
 * axes they broadcast over; absent: 1 and 0). LayerNormalization's optional outputs Mean
 * and InvStdDev hold each row's mean and inv, one element per row, row-major over the
 * kept axes. Dims may be symbolic (ir/dim.h).
 */
/* Hardmax, CumSum: x viewed as (outer, dim, inner) around one axis (Hardmax before opset
 * 13: the axes from `axis` on flattened into dim, inner 1). Hardmax: 1 at the first
 * largest element of each (outer, inner) line, 0 elsewhere. CumSum: the running sum along
 * the line (reverse: from its end; exclusive: without the element itself); the axis is
 * input 1, a constant. TopK (k from input 1, a constant <= dim): per line the k largest
 * (smallest) elements in order, an equal one with the lower index first, and their
 * indices; sorted = 0 gives the same order. */
typedef struct glc_axis_view {
    glc_dim outer, dim, inner;
    bool reverse, exclusive; /* CumSum's */
    int axis;
    int64_t k;    /* TopK's */
    bool largest; /* TopK's */
} glc_axis_view;
glc_status glc_axis_view_get(const glc_graph *g, const glc_node *n, glc_axis_view *v,
                             glc_diag *d);

/* NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss: scores x (N, C, d...) viewed as
 * (N, C, inner), targets t (N, d...) as (N, inner). SoftmaxCrossEntropyLoss first takes
 * log_prob = LogSoftmax(x) along C (its optional output 1, x's shape); NLL reads x itself
 * as log_prob. Per (n, i) with target t: w = weight[t] (1 without weights), 0 when t is
 * ignore_index; loss = -log_prob[n, t, i] * w. reduction none: the losses, shaped
 * (N, d...); sum: their sum; mean: their sum / the sum of w. A target outside [0, C) that
 * is not ignored is GLC_E_ARG in the interpreter, weighs 0 compiled. */
typedef enum glc_loss_reduction { GLC_LOSS_NONE, GLC_LOSS_SUM, GLC_LOSS_MEAN } glc_loss_reduction;
typedef struct glc_loss_geom {
    glc_dim N, C, inner;
    glc_loss_reduction reduction;
    bool has_ignore, softmax, has_weight;
    int64_t ignore_index;
} glc_loss_geom;
glc_status glc_loss_geom_get(const glc_graph *g, const glc_node *n, glc_loss_geom *l,
                             glc_diag *d);

/* LRN on x (N, C, ...): y = x / (bias + alpha / size * sum of x^2 over the channels
 * [c - (size - 1) / 2, c + size / 2] within [0, C))^beta, per position. */
typedef struct glc_lrn_geom {
    glc_dim N, C, inner;
    int64_t size;
    double alpha, beta, bias;
} glc_lrn_geom;
glc_status glc_lrn_geom_get(const glc_graph *g, const glc_node *n, glc_lrn_geom *l, glc_diag *d);

#ifndef GLC_IR_NORM_H
#define GLC_IR_NORM_H

#include "ir.h"

typedef struct glc_norm_geom {
    int rank;
    bool reduce[GLC_MAX_RANK];
    glc_dim dims[GLC_MAX_RANK];                    /* x's */
    glc_dim scale_st[GLC_MAX_RANK], bias_st[GLC_MAX_RANK]; /* per axis of x */
    bool has_scale, has_bias;
    bool mvn;        /* inv = 1 / (sqrt(var) + epsilon) */
    double epsilon;
    glc_dim rows, count; /* kept positions; elements per row (may be 0) */
} glc_norm_geom;
glc_status glc_norm_geom_get(const glc_graph *g, const glc_node *n, glc_norm_geom *m,
                             glc_diag *d);

#endif
