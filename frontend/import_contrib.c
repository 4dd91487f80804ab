/*
 * import_contrib.c -- ONNX Runtime's contrib ops (domain com.microsoft), imported as ONNX ops.
 *
 * ORT's quantizer and its graph optimizer write these into models people save and publish.
 * Their ops.def rows only name them (their kernels refuse one left, as If's do); emit_node
 * hands each here, and it adds the ONNX nodes that compute it:
 *
 *   DynamicQuantizeLSTM(X, W, R, B, seq_lens, h0, c0, P, W_scale, W_zp, R_scale, R_zp)
 *       -> LSTM(X, W', R', B, seq_lens, h0, c0, P), same attributes and outputs.
 *     W is int8 or uint8 [dirs, input, 4*hidden] (transposed from LSTM's W), its scale and
 *     zero point per direction ([dirs]) or per output column ([dirs, 4*hidden]); likewise R.
 *     W' = transpose((W - W_zp) * W_scale), a constant made here, so W, R, their scales and
 *     zero points must be constants (they are initializers in what ORT's quantizer writes).
 *     ORT itself quantizes X (once per call) and h (each step) to uint8 with a scale of
 *     their own range and multiplies in integers; glc runs the float LSTM on the dequantized
 *     weights, which differs from ORT by ORT's activation rounding (docs/models.md).
 *   FusedConv(X, W, B, Z) -> act(Conv(X, W, B) + Z): what ORT's optimizer fuses. The
 *     attribute `activation` is Relu, Tanh, Sigmoid, LeakyRelu, HardSigmoid or Clip (or
 *     absent: none), `activation_params` their alpha (and beta), or Clip's min and max;
 *     the other attributes are Conv's.
 */
#include "frontend_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- DynamicQuantizeLSTM ------------------------------------------------------------ */

/* A constant input of np (slot k), else a one-line refusal. */
static glc_status const_input(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                              const glc_value_id *in, int k, const glc_value **out) {
    static const char *const names[] = {"X", "W", "R", "B", "sequence_lens", "initial_h",
                                        "initial_c", "P", "W_scale", "W_zero_point", "R_scale",
                                        "R_zero_point"};
    const glc_value *v = in[k] ? &im->g->values[in[k]] : NULL;
    if (!v || !v->data || glc_dims_symbolic(v->rank, v->dims))
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx,
                           "DynamicQuantizeLSTM: input %d '%s' must be a constant (glc "
                           "dequantizes the weights at compile time)", k, names[k]);
    *out = v;
    return GLC_OK;
}

/* The quantized weight at slot k and its scale and zero point (slots zk, zk + 1), checked
 * against [dirs, rows, 4*hidden]: a weight of int8/uint8, scale f32 and zero point of the
 * weight's dtype, each of shape [dirs] or [dirs, 4*hidden]. */
typedef struct qweight {
    const glc_value *w, *scale, *zp;
    int64_t dirs, rows, cols; /* cols = 4*hidden */
    bool per_column;
} qweight;

static glc_status read_qweight(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                               const glc_value_id *in, int k, int zk, qweight *q) {
    GLC_TRY(const_input(im, np, idx, in, k, &q->w));
    GLC_TRY(const_input(im, np, idx, in, zk, &q->scale));
    GLC_TRY(const_input(im, np, idx, in, zk + 1, &q->zp));
    const glc_value *w = q->w, *s = q->scale, *z = q->zp;
    const char *name = k == 1 ? "W" : "R";
    if ((w->dtype != GLC_DT_I8 && w->dtype != GLC_DT_U8) || w->rank != 3)
        return fe_node_err(im->d, GLC_E_SHAPE, np, idx, "DynamicQuantizeLSTM: %s must be an "
                           "int8 or uint8 tensor [dirs, rows, 4*hidden]", name);
    q->dirs = w->dims[0];
    q->rows = w->dims[1];
    q->cols = w->dims[2];
    q->per_column = s->rank == 2;
    bool shape_ok = s->rank == z->rank && (s->rank == 1 || s->rank == 2) &&
                    s->dims[0] == q->dirs && z->dims[0] == q->dirs &&
                    (s->rank == 1 || (s->dims[1] == q->cols && z->dims[1] == q->cols));
    if (!shape_ok || s->dtype != GLC_DT_F32 || z->dtype != w->dtype)
        return fe_node_err(im->d, GLC_E_SHAPE, np, idx, "DynamicQuantizeLSTM: %s_scale (f32) "
                           "and %s_zero_point (%s's dtype) must have shape [%lld] or [%lld, %lld]",
                           name, name, name, (long long)q->dirs, (long long)q->dirs,
                           (long long)q->cols);
    return GLC_OK;
}

static double quantized_at(const glc_value *v, size_t i) {
    return v->dtype == GLC_DT_I8 ? ((const int8_t *)v->data)[i] : ((const uint8_t *)v->data)[i];
}

/* LSTM's f32 weight [dirs, 4*hidden, rows] from q: dequantized and transposed. */
static glc_value_id dequantized_weight(fe_import *im, const qweight *q) {
    size_t n = (size_t)(q->dirs * q->rows * q->cols);
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (!f) return 0;
    const float *scale = q->scale->data;
    for (int64_t d = 0; d < q->dirs; d++)
        for (int64_t r = 0; r < q->rows; r++)
            for (int64_t c = 0; c < q->cols; c++) {
                size_t qi = (size_t)(q->per_column ? d * q->cols + c : d);
                size_t wi = (size_t)((d * q->rows + r) * q->cols + c);
                double x = (quantized_at(q->w, wi) - quantized_at(q->zp, qi)) * scale[qi];
                f[(d * q->cols + c) * q->rows + r] = (float)x;
            }
    int64_t dims[3] = {q->dirs, q->cols, q->rows};
    glc_value_id v = glc_graph_add_const(im->g, NULL, GLC_DT_F32, 3, dims, f);
    free(f);
    return v;
}

static glc_status emit_dq_lstm(fe_import *im, size_t idx, const glc_value_id *in,
                               const glc_value_id *out) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    if (np->n_input != 12)
        return fe_node_err(im->d, GLC_E_SHAPE, np, idx, "DynamicQuantizeLSTM takes 12 inputs, "
                           "not %zu", np->n_input);
    qweight w, r;
    GLC_TRY(read_qweight(im, np, idx, in, 1, 8, &w));
    GLC_TRY(read_qweight(im, np, idx, in, 2, 10, &r));
    if (r.dirs != w.dirs || r.cols != w.cols || r.cols != 4 * r.rows)
        return fe_node_err(im->d, GLC_E_SHAPE, np, idx, "DynamicQuantizeLSTM: R must have "
                           "shape [%lld, hidden, 4*hidden] with W's [%lld, input, %lld]",
                           (long long)w.dirs, (long long)w.dirs, (long long)w.cols);
    glc_value_id lstm_in[8];
    memcpy(lstm_in, in, sizeof lstm_in);
    lstm_in[1] = dequantized_weight(im, &w);
    lstm_in[2] = dequantized_weight(im, &r);
    if (!lstm_in[1] || !lstm_in[2]) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_node_id id = fe_add_node(im, GLC_OP_LSTM, np->name, lstm_in, 8, out, (int)np->n_output);
    if (id == GLC_NO_NODE) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < np->n_attribute; k++)
        GLC_TRY(fe_attr_read(im->g, id, np->attribute[k], im->d));
    return GLC_OK;
}

/* ---- FusedConv ---------------------------------------------------------------------- */

/* ORT's fused activations: the op, and what activation_params holds, in order. */
static const struct {
    const char *name;
    glc_op op;
    const char *params[2];
} fused_acts[] = {
    {"Relu", GLC_OP_RELU, {NULL, NULL}},
    {"Tanh", GLC_OP_TANH, {NULL, NULL}},
    {"Sigmoid", GLC_OP_SIGMOID, {NULL, NULL}},
    {"LeakyRelu", GLC_OP_LEAKYRELU, {"alpha", NULL}},
    {"HardSigmoid", GLC_OP_HARDSIGMOID, {"alpha", "beta"}},
    {"Clip", GLC_OP_CLIP, {"min", "max"}},
};

static bool is_activation_attr(const Onnx__AttributeProto *a) {
    return a->name && (!strcmp(a->name, "activation") || !strcmp(a->name, "activation_params"));
}

static const Onnx__AttributeProto *attr_named(const Onnx__NodeProto *np, const char *name) {
    for (size_t k = 0; k < np->n_attribute; k++)
        if (np->attribute[k]->name && !strcmp(np->attribute[k]->name, name))
            return np->attribute[k];
    return NULL;
}

/* *act = the index into fused_acts of np's activation, -1 for none. */
static glc_status fused_activation(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                                   int *act) {
    const Onnx__AttributeProto *a = attr_named(np, "activation");
    *act = -1;
    if (!a) return GLC_OK;
    const char *name = a->s.data ? (const char *)a->s.data : "";
    int len = (int)a->s.len;
    for (size_t i = 0; i < sizeof fused_acts / sizeof fused_acts[0]; i++)
        if ((size_t)len == strlen(fused_acts[i].name) && !memcmp(name, fused_acts[i].name, len)) {
            *act = (int)i;
            return GLC_OK;
        }
    return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "FusedConv: activation '%.*s' is not "
                       "supported (Relu, Tanh, Sigmoid, LeakyRelu, HardSigmoid, Clip)", len, name);
}

/* The activation node act(x) -> y with np's activation_params as its attributes. */
static glc_status emit_fused_act(fe_import *im, size_t idx, int act, glc_value_id x,
                                 glc_value_id y) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    const Onnx__AttributeProto *p = attr_named(np, "activation_params");
    size_t want = !!fused_acts[act].params[0] + !!fused_acts[act].params[1];
    size_t have = p ? p->n_floats : 0;
    if (have != want && !(have == 0 && fused_acts[act].op != GLC_OP_CLIP))
        return fe_node_err(im->d, GLC_E_SHAPE, np, idx, "FusedConv: activation %s takes %zu "
                           "activation_params, not %zu", fused_acts[act].name, want, have);
    glc_node_id id = fe_add_node(im, fused_acts[act].op, np->name, &x, 1, &y, 1);
    if (id == GLC_NO_NODE) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < have; k++)
        GLC_TRY(glc_node_set_float(im->g, id, fused_acts[act].params[k], p->floats[k]));
    return GLC_OK;
}

static glc_status emit_fused_conv(fe_import *im, size_t idx, const glc_value_id *in,
                                  const glc_value_id *out) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    int act;
    GLC_TRY(fused_activation(im, np, idx, &act));
    if (np->n_output != 1)
        return fe_node_err(im->d, GLC_E_SHAPE, np, idx, "FusedConv has one output");
    if (!out[0]) return GLC_OK; /* nothing reads it */
    bool has_z = np->n_input > 3 && in[3];
    glc_value_id conv_out = out[0], sum_out = out[0];
    if (act >= 0 || has_z) conv_out = glc_graph_add_value(im->g, NULL, GLC_DT_UNDEF, 0, NULL);
    if (act >= 0 && has_z) sum_out = glc_graph_add_value(im->g, NULL, GLC_DT_UNDEF, 0, NULL);
    else if (has_z) sum_out = out[0];
    if (!conv_out || !sum_out) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    int n_conv_in = np->n_input > 3 ? 3 : (int)np->n_input;
    glc_node_id id = fe_add_node(im, GLC_OP_CONV, np->name, in, n_conv_in, &conv_out, 1);
    if (id == GLC_NO_NODE) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < np->n_attribute; k++)
        if (!is_activation_attr(np->attribute[k]))
            GLC_TRY(fe_attr_read(im->g, id, np->attribute[k], im->d));
    if (has_z) {
        glc_value_id add_in[2] = {conv_out, in[3]};
        if (fe_add_node(im, GLC_OP_ADD, np->name, add_in, 2, &sum_out, 1) == GLC_NO_NODE)
            return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    return act >= 0 ? emit_fused_act(im, idx, act, has_z ? sum_out : conv_out, out[0]) : GLC_OK;
}

/* ---- dispatch ------------------------------------------------------------------------ */

bool fe_is_contrib(glc_op op) {
    return op == GLC_OP_DYNAMICQUANTIZELSTM || op == GLC_OP_FUSEDCONV;
}

glc_status fe_emit_contrib(fe_import *im, size_t idx, const glc_value_id *in,
                           const glc_value_id *out) {
    glc_op op = glc_op_lookup("com.microsoft", im->gp->node[idx]->op_type);
    return op == GLC_OP_DYNAMICQUANTIZELSTM ? emit_dq_lstm(im, idx, in, out)
                                            : emit_fused_conv(im, idx, in, out);
}
