/*
 * interp_shape.c -- reference kernels for the shape-only ops, for any dtype: bytes are
 * moved in units of the element size, never interpreted.
 *
 * Identity, Reshape and Flatten keep the row-major byte order, so they are one copy.
 * Transpose walks the output and reads input coordinate perm[i] = output coordinate i.
 * Concat copies, for each outer index (dims before the axis), each input's contiguous
 * block of dims[axis..] elements in turn.
 */
#include "interp_impl.h"

#include <string.h>

static size_t esize(const glc_value *v) { return glc_dtype_size(v->dtype); }

glc_status interp_copy(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    (void)d;
    memcpy(out[0], in[0], glc_value_nbytes(OUT_V(g, n)));
    return GLC_OK;
}

glc_status interp_transpose(const glc_graph *g, const glc_node *n, const void *const *in,
                            void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0), *o = OUT_V(g, n);
    uint32_t count = 0;
    const int64_t *perm = glc_attr_ints(n, "perm", &count);
    size_t es = esize(x);
    int64_t oidx[GLC_MAX_RANK], xidx[GLC_MAX_RANK], total = glc_value_numel(o);
    (void)d;
    for (int64_t i = 0; i < total; i++) {
        interp_unravel(i, o->rank, o->dims, oidx);
        for (int k = 0; k < o->rank; k++) xidx[perm ? perm[k] : o->rank - 1 - k] = oidx[k];
        int64_t off = interp_bcast_offset(x->rank, x->dims, x->rank, xidx);
        memcpy((char *)out[0] + (size_t)i * es, (const char *)in[0] + (size_t)off * es, es);
    }
    return GLC_OK;
}

glc_status interp_concat(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    const glc_value *o = OUT_V(g, n);
    int64_t axis = glc_attr_int(n, "axis", 0);
    int ax = (int)(axis < 0 ? axis + o->rank : axis);
    int64_t outer = 1;
    for (int i = 0; i < ax; i++) outer *= o->dims[i];
    size_t es = esize(o);
    char *dst = out[0];
    (void)d;
    for (int64_t r = 0; r < outer; r++)
        for (int i = 0; i < n->n_in; i++) {
            if (!n->in[i]) continue;
            const glc_value *x = IN_V(g, n, i);
            size_t block = (size_t)(glc_value_numel(x) / (outer ? outer : 1)) * es;
            memcpy(dst, (const char *)in[i] + (size_t)r * block, block);
            dst += block;
        }
    return GLC_OK;
}
