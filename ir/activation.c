/*
 * activation.c -- activation names, parameter defaults and the scalar reference (see
 * activation.h for the attribute-reading rule).
 */
#include "activation.h"

#include <math.h>
#include <strings.h>

typedef struct act_desc {
    const char *name;
    bool takes_alpha, takes_beta;
    float alpha, beta; /* defaults */
} act_desc;

static const act_desc acts_table[] = {
    [GLC_ACT_SIGMOID] = {"Sigmoid", false, false, 0, 0},
    [GLC_ACT_TANH] = {"Tanh", false, false, 0, 0},
    [GLC_ACT_RELU] = {"Relu", false, false, 0, 0},
    [GLC_ACT_AFFINE] = {"Affine", true, true, 1.0f, 0.0f},
    [GLC_ACT_LEAKY_RELU] = {"LeakyRelu", true, false, 0.01f, 0},
    [GLC_ACT_THRESHOLDED_RELU] = {"ThresholdedRelu", true, false, 1.0f, 0},
    [GLC_ACT_SCALED_TANH] = {"ScaledTanh", true, true, 1.0f, 1.0f},
    [GLC_ACT_HARD_SIGMOID] = {"HardSigmoid", true, true, 0.2f, 0.5f},
    [GLC_ACT_ELU] = {"Elu", true, false, 1.0f, 0},
    [GLC_ACT_SOFTSIGN] = {"Softsign", false, false, 0, 0},
    [GLC_ACT_SOFTPLUS] = {"Softplus", false, false, 0, 0},
};
enum { N_ACTS = sizeof acts_table / sizeof acts_table[0] };

bool glc_act_lookup(const char *name, glc_act_kind *kind) {
    for (int k = 0; name && k < N_ACTS; k++)
        if (!strcasecmp(name, acts_table[k].name)) {
            *kind = (glc_act_kind)k;
            return true;
        }
    return false;
}

const char *glc_act_name(glc_act_kind kind) {
    return (int)kind >= 0 && (int)kind < (int)N_ACTS ? acts_table[kind].name : "?";
}

glc_status glc_acts_read(const glc_node *n, int n_acts, const glc_act_kind *defaults,
                         glc_act *acts, glc_diag *d) {
    const glc_attr *names = glc_node_attr(n, "activations");
    uint32_t n_alpha = 0, n_beta = 0, ia = 0, ib = 0;
    const float *alpha = glc_attr_floats(n, "activation_alpha", &n_alpha);
    const float *beta = glc_attr_floats(n, "activation_beta", &n_beta);
    if (names && (names->kind != GLC_ATTR_STRINGS || (int)names->n != n_acts))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: activations lists %u names; expected %d",
                            glc_op_name(n->op), names->n, n_acts);
    for (int i = 0; i < n_acts; i++) {
        glc_act_kind k = defaults[i];
        if (names && !glc_act_lookup(names->strings[i], &k))
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: unknown activation '%s'",
                                glc_op_name(n->op), names->strings[i]);
        const act_desc *ad = &acts_table[k];
        acts[i] = (glc_act){k, ad->alpha, ad->beta};
        if (ad->takes_alpha && ia < n_alpha) acts[i].alpha = alpha[ia++];
        if (ad->takes_beta && ib < n_beta) acts[i].beta = beta[ib++];
    }
    return GLC_OK;
}

float glc_act_apply(const glc_act *a, float xf) {
    double x = xf, al = a->alpha, be = a->beta;
    switch (a->kind) {
    case GLC_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-x)));
    case GLC_ACT_TANH: return (float)tanh(x);
    case GLC_ACT_RELU: return x > 0 ? xf : 0.0f;
    case GLC_ACT_AFFINE: return (float)(al * x + be);
    case GLC_ACT_LEAKY_RELU: return x >= 0 ? xf : (float)(al * x);
    case GLC_ACT_THRESHOLDED_RELU: return x > al ? xf : 0.0f;
    case GLC_ACT_SCALED_TANH: return (float)(al * tanh(be * x));
    case GLC_ACT_HARD_SIGMOID: return (float)fmin(1.0, fmax(0.0, al * x + be));
    case GLC_ACT_ELU: return x >= 0 ? xf : (float)(al * (exp(x) - 1.0));
    case GLC_ACT_SOFTSIGN: return (float)(x / (1.0 + fabs(x)));
    case GLC_ACT_SOFTPLUS: return (float)log1p(exp(x));
    }
    return xf;
}
