/* host_tensor.c -- malloc'ed tensors for the interpreter, file I/O and the driver. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

glc_status glc_host_tensor_alloc(glc_host_tensor *t, glc_dtype dt, int rank, const int64_t *dims,
                                 glc_diag *d) {
    memset(t, 0, sizeof *t);
    if (rank < 0 || rank > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_LIMIT, NULL, "tensor rank %d exceeds %d", rank, GLC_MAX_RANK);
    size_t esize = glc_dtype_size(dt);
    if (!esize)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, NULL, "tensor dtype %s", glc_dtype_name(dt));
    size_t n = esize;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return glc_diag_set(d, GLC_E_SHAPE, NULL, "negative dimension %lld",
                                (long long)dims[i]);
        if (dims[i] && n > SIZE_MAX / (size_t)dims[i])
            return glc_diag_set(d, GLC_E_LIMIT, NULL, "tensor size overflows");
        n *= (size_t)dims[i];
        t->dims[i] = dims[i];
    }
    t->data = calloc(1, n ? n : 1);
    if (!t->data) return glc_diag_set(d, GLC_E_NOMEM, NULL, "cannot allocate %zu bytes", n);
    t->dtype = dt;
    t->rank = rank;
    t->nbytes = n;
    return GLC_OK;
}

void glc_host_tensor_fini(glc_host_tensor *t) {
    free(t->data);
    memset(t, 0, sizeof *t);
}
