/*
 * fill.c -- ConstantOfShape: shape inference and the reference kernel.
 *
 * Input 0 is a 1-D int64 tensor of dims known at compile time: constant data, or a shape
 * tensor (glc_value.sdata) whose elements may be symbolic, as when an exporter builds a
 * zero initial state of the input's run-time batch (Shape -> Gather -> Concat ->
 * ConstantOfShape). The output has those dims and the dtype of the `value` attribute (a
 * one-element tensor; default f32 0), every element equal to it.
 */
#include "interp_impl.h"
#include "ir_impl.h"

#include <string.h>

/* The fill value: dtype and the element's bytes (f32 0 without the attribute). */
glc_status glc_fill_value(const glc_node *n, glc_dtype *dt, uint8_t *bytes, glc_diag *d) {
    const glc_attr *a = glc_node_attr(n, "value");
    memset(bytes, 0, 8);
    *dt = GLC_DT_F32;
    if (!a) return GLC_OK;
    int64_t count = 1;
    for (int k = 0; a->kind == GLC_ATTR_TENSOR && k < a->t->rank; k++) count *= a->t->dims[k];
    if (a->kind != GLC_ATTR_TENSOR || count != 1 || !glc_dtype_size(a->t->dtype) ||
        glc_dtype_size(a->t->dtype) > 8)
        return glc_diag_set(d, GLC_E_SHAPE, n, "ConstantOfShape: value must be a tensor of one "
                            "element");
    *dt = a->t->dtype;
    memcpy(bytes, a->t->data, glc_dtype_size(a->t->dtype));
    return GLC_OK;
}

glc_status infer_constantofshape(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *s = glc_node_input(g, n, 0);
    char ss[SHAPE_BUF];
    infer_shape_str(s, ss);
    if (s->dtype != GLC_DT_I64 || s->rank != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "ConstantOfShape: input 0 %s must be a 1-D i64 "
                            "tensor", ss);
    glc_dim dims[GLC_MAX_RANK];
    int64_t count;
    if (!s->data && !s->sdata)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "ConstantOfShape: input 0 (the shape) must "
                            "be known at compile time (a constant, or computed from shapes)");
    if (!infer_int_elems(s, dims, GLC_MAX_RANK, &count))
        return glc_diag_set(d, GLC_E_LIMIT, n, "ConstantOfShape: input 0 %s has more than %d "
                            "dims", ss, GLC_MAX_RANK);
    for (int k = 0; k < count; k++)
        if (glc_dim_is_const(dims[k]) && dims[k] < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n, "ConstantOfShape: dim %d is %lld", k,
                                (long long)dims[k]);
    glc_dtype dt;
    uint8_t v[8];
    GLC_TRY(glc_fill_value(n, &dt, v, d));
    GLC_TRY(infer_check_numel(n, (int)count, dims, d));
    infer_set_out_k(g, n, 0, dt, (int)count, dims);
    return GLC_OK;
}

glc_status interp_constantofshape(const glc_graph *g, const glc_node *n, const void *const *in,
                                  void *const *outs, glc_diag *d) {
    (void)in;
    void *out = outs[0];
    glc_dtype dt;
    uint8_t v[8];
    GLC_TRY(glc_fill_value(n, &dt, v, d));
    const glc_value *o = OUT_V(g, n);
    size_t es = glc_dtype_size(dt);
    for (int64_t i = 0; i < glc_value_numel(o); i++) memcpy((char *)out + i * es, v, es);
    return GLC_OK;
}
