/*
 * activation.h -- the activation functions of recurrent ops (ONNX LSTM/GRU/RNN and the
 * ai.glc ops): names, parameters, and a scalar reference implementation.
 *
 * A node's `activations` (strings), `activation_alpha` and `activation_beta` (floats) are
 * read ONNX Runtime's way (rnn_helpers.cc): each alpha value goes, in order, to the next
 * activation that takes an alpha (Affine, LeakyRelu, ThresholdedRelu, ScaledTanh,
 * HardSigmoid, Elu), each beta to the next that takes a beta (Affine, ScaledTanh,
 * HardSigmoid); when a list runs out, the defaults of docs/ai_glc_operators.md apply.
 * Names match case-insensitively, as in ONNX Runtime.
 */
#ifndef GLC_IR_ACTIVATION_H
#define GLC_IR_ACTIVATION_H

#include "ir.h"

typedef enum glc_act_kind {
    GLC_ACT_SIGMOID,
    GLC_ACT_TANH,
    GLC_ACT_RELU,
    GLC_ACT_AFFINE,           /* alpha*x + beta */
    GLC_ACT_LEAKY_RELU,       /* x >= 0 ? x : alpha*x */
    GLC_ACT_THRESHOLDED_RELU, /* x > alpha ? x : 0 */
    GLC_ACT_SCALED_TANH,      /* alpha*tanh(beta*x) */
    GLC_ACT_HARD_SIGMOID,     /* clamp(alpha*x + beta, 0, 1) */
    GLC_ACT_ELU,              /* x >= 0 ? x : alpha*(e^x - 1) */
    GLC_ACT_SOFTSIGN,         /* x / (1 + |x|) */
    GLC_ACT_SOFTPLUS,         /* log(1 + e^x) */
} glc_act_kind;

typedef struct glc_act {
    glc_act_kind kind;
    float alpha, beta;
} glc_act;

/* Reads n's activation attributes into acts[0..n_acts). When `activations` is absent,
 * acts[i] = defaults[i] (kinds; their alpha/beta are the kind's defaults). When present
 * it must list exactly n_acts names. GLC_E_SHAPE naming the node on an unknown name or a
 * wrong count. */
glc_status glc_acts_read(const glc_node *n, int n_acts, const glc_act_kind *defaults,
                         glc_act *acts, glc_diag *d);
/* The kind named `name` (case-insensitive); false if unknown. */
bool glc_act_lookup(const char *name, glc_act_kind *kind);
const char *glc_act_name(glc_act_kind kind);
/* Scalar reference, in double precision internally. */
float glc_act_apply(const glc_act *a, float x);

#endif
