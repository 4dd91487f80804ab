/*
 * interp_elemwise.c -- reference kernels for the elementwise ops and Softmax.
 *
 * Binary ops broadcast numpy-style: for each output element, its coordinates are mapped
 * to each input with interp_bcast_offset() (right-aligned, size-1 dims repeat). f32, i32
 * and i64 are supported; integer Div truncates toward zero like C and rejects a zero
 * divisor. Unary ops and Softmax are f32 only. Softmax subtracts the max before expf.
 */
#include "interp_impl.h"

#include <math.h>

int64_t interp_bcast_offset(int r, const int64_t *dims, int ro, const int64_t *idx) {
    int64_t off = 0, stride = 1;
    for (int i = r - 1; i >= 0; i--) {
        int64_t c = dims[i] == 1 ? 0 : idx[i + (ro - r)];
        off += c * stride;
        stride *= dims[i];
    }
    return off;
}

void interp_unravel(int64_t flat, int r, const int64_t *dims, int64_t *idx) {
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = dims[i] ? flat % dims[i] : 0;
        flat = dims[i] ? flat / dims[i] : 0;
    }
}

static float f32_op(glc_op op, float a, float b) {
    return op == GLC_OP_ADD ? a + b : op == GLC_OP_SUB ? a - b : op == GLC_OP_MUL ? a * b : a / b;
}

static int64_t int_op(glc_op op, int64_t a, int64_t b) {
    return op == GLC_OP_ADD ? a + b : op == GLC_OP_SUB ? a - b : op == GLC_OP_MUL ? a * b : a / b;
}

/* Reads element i of a tensor as int64 (i32 or i64). */
static int64_t get_int(glc_dtype dt, const void *p, int64_t i) {
    return dt == GLC_DT_I32 ? ((const int32_t *)p)[i] : ((const int64_t *)p)[i];
}

glc_status interp_binary(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *outs, glc_diag *d) {
    void *out = outs[0];
    const glc_value *a = IN_V(g, n, 0), *b = IN_V(g, n, 1), *o = OUT_V(g, n);
    glc_dtype dt = o->dtype;
    if (dt != GLC_DT_F32 && dt != GLC_DT_I32 && dt != GLC_DT_I64)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "interpreter: %s on %s",
                            glc_op_name(n->op), glc_dtype_name(dt));
    int64_t idx[GLC_MAX_RANK], total = glc_value_numel(o);
    for (int64_t i = 0; i < total; i++) {
        interp_unravel(i, o->rank, o->dims, idx);
        int64_t ia = interp_bcast_offset(a->rank, a->dims, o->rank, idx);
        int64_t ib = interp_bcast_offset(b->rank, b->dims, o->rank, idx);
        if (dt == GLC_DT_F32) {
            ((float *)out)[i] = f32_op(n->op, ((const float *)in[0])[ia], ((const float *)in[1])[ib]);
            continue;
        }
        int64_t x = get_int(dt, in[0], ia), y = get_int(dt, in[1], ib);
        if (n->op == GLC_OP_DIV && y == 0)
            return glc_diag_set(d, GLC_E_RUNTIME, n, "interpreter: integer division by zero");
        int64_t r = int_op(n->op, x, y);
        if (dt == GLC_DT_I32) ((int32_t *)out)[i] = (int32_t)r;
        else ((int64_t *)out)[i] = r;
    }
    return GLC_OK;
}

glc_status interp_unary(const glc_graph *g, const glc_node *n, const void *const *in,
                        void *const *out, glc_diag *d) {
    const glc_value *o = OUT_V(g, n);
    if (o->dtype != GLC_DT_F32)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "interpreter: %s on %s",
                            glc_op_name(n->op), glc_dtype_name(o->dtype));
    const float *x = in[0];
    float *y = out[0];
    int64_t total = glc_value_numel(o);
    for (int64_t i = 0; i < total; i++) {
        if (n->op == GLC_OP_RELU) y[i] = x[i] < 0.0f ? 0.0f : x[i]; /* NaN passes, as numpy */
        else if (n->op == GLC_OP_SIGMOID) y[i] = 1.0f / (1.0f + expf(-x[i]));
        else y[i] = tanhf(x[i]);
    }
    return GLC_OK;
}

/* Softmax over `len` elements spaced `inner` apart starting at x / y. */
static void softmax_row(const float *x, float *y, int64_t len, int64_t inner) {
    float mx = -INFINITY, sum = 0.0f;
    for (int64_t k = 0; k < len; k++) mx = x[k * inner] > mx ? x[k * inner] : mx;
    for (int64_t k = 0; k < len; k++) {
        y[k * inner] = expf(x[k * inner] - mx);
        sum += y[k * inner];
    }
    for (int64_t k = 0; k < len; k++) y[k * inner] /= sum;
}

glc_status interp_softmax(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    if (x->dtype != GLC_DT_F32)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "interpreter: Softmax on %s",
                            glc_dtype_name(x->dtype));
    bool legacy = g->opset < 13;
    int64_t axis = glc_attr_int(n, "axis", legacy ? 1 : -1);
    int ax = (int)(axis < 0 ? axis + x->rank : axis);
    /* (outer, len, inner): legacy coerces to 2-D [prod(d[:ax]), prod(d[ax:])]. */
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) outer *= x->dims[i];
        else if (i == ax || legacy) len *= x->dims[i];
        else inner *= x->dims[i];
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++)
            softmax_row((const float *)in[0] + o * len * inner + j,
                        (float *)out[0] + o * len * inner + j, len, inner);
    return GLC_OK;
}
