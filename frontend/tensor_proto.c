/*
 * tensor_proto.c -- decoding an onnx.TensorProto into dtype, shape and bytes.
 *
 * One function serves initializers, Constant nodes, tensor attributes and the
 * serialized .pb tensors of the ONNX backend tests, so every path applies the same
 * checks:
 *
 *   - the dtype must be one glc holds (strings and complex types are unsupported);
 *   - the rank is at most GLC_MAX_RANK, dims are non-negative, and the element count
 *     and byte size fit in int64 and size_t (checked before any multiplication wraps);
 *   - data_location EXTERNAL is unsupported (glc reads one self-contained file);
 *   - raw_data, when present, is little-endian and must be exactly numel * esize
 *     bytes; otherwise the typed field ONNX assigns to the dtype must hold exactly
 *     numel elements:
 *         float_data   FLOAT
 *         int32_data   INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16
 *                      (one element per entry; 16-bit floats as their bit pattern)
 *         int64_data   INT64
 *         double_data  DOUBLE
 *         uint64_data  UINT32, UINT64
 *     A wrong-sized payload is a parse error naming the tensor and both sizes.
 *
 * The host is assumed little-endian (as raw_data is); glc targets x86-64 and AArch64.
 */
#include "frontend_impl.h"

#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "glc's tensor decoding assumes a little-endian host"
#endif

bool fe_shape_nbytes(int rank, const int64_t *dims, size_t esize, size_t *nbytes) {
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return false;
        if (dims[i] && numel > INT64_MAX / dims[i]) return false;
        numel *= dims[i];
    }
    if ((uint64_t)numel > SIZE_MAX / (esize ? esize : 1)) return false;
    *nbytes = (size_t)numel * esize;
    return true;
}

glc_dtype fe_dtype_from_onnx(int32_t code) {
    switch (code) {
    case GLC_DT_F32:
    case GLC_DT_U8:
    case GLC_DT_I8:
    case GLC_DT_U16:
    case GLC_DT_I16:
    case GLC_DT_I32:
    case GLC_DT_I64:
    case GLC_DT_BOOL:
    case GLC_DT_F16:
    case GLC_DT_F64:
    case GLC_DT_U32:
    case GLC_DT_U64:
    case GLC_DT_BF16:
        return (glc_dtype)code;
    }
    return GLC_DT_UNDEF;
}

static glc_status check_header(const Onnx__TensorProto *tp, const char *what, fe_tensor *t,
                               glc_diag *d) {
    if (!tp->has_data_type || tp->data_type == 0)
        return glc_diag_set(d, GLC_E_PARSE, NULL, "%s has no data type", what);
    if (tp->data_type == GLC_DT_STRING)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, NULL, "%s: string tensors are not supported",
                            what);
    t->dtype = fe_dtype_from_onnx(tp->data_type);
    if (t->dtype == GLC_DT_UNDEF)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, NULL, "%s has unsupported data type %d", what,
                            (int)tp->data_type);
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, NULL,
                            "%s uses external data; glc needs weights inside the model", what);
    if (tp->n_dims > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_LIMIT, NULL, "%s has rank %zu; glc allows at most %d", what,
                            tp->n_dims, GLC_MAX_RANK);
    t->rank = (int)tp->n_dims;
    for (int i = 0; i < t->rank; i++) {
        if (tp->dims[i] < 0)
            return glc_diag_set(d, GLC_E_PARSE, NULL, "%s has negative dimension %lld", what,
                                (long long)tp->dims[i]);
        t->dims[i] = tp->dims[i];
    }
    if (!fe_shape_nbytes(t->rank, t->dims, glc_dtype_size(t->dtype), &t->nbytes))
        return glc_diag_set(d, GLC_E_LIMIT, NULL, "%s is too large (element count overflows)",
                            what);
    return GLC_OK;
}

/* The typed field ONNX uses for a dtype: base, entry size and entry count. An entry
 * wider than the element (int32_data for int8, uint64_data for uint32) holds the
 * value in its low bytes, which come first on a little-endian host. */
typedef struct typed_field {
    const void *base;
    size_t stride, count;
} typed_field;

static typed_field field_for(const Onnx__TensorProto *tp, glc_dtype dt) {
    switch (dt) {
    case GLC_DT_F32:
        return (typed_field){tp->float_data, 4, tp->n_float_data};
    case GLC_DT_I64:
        return (typed_field){tp->int64_data, 8, tp->n_int64_data};
    case GLC_DT_F64:
        return (typed_field){tp->double_data, 8, tp->n_double_data};
    case GLC_DT_U32:
    case GLC_DT_U64:
        return (typed_field){tp->uint64_data, 8, tp->n_uint64_data};
    case GLC_DT_I32:
    case GLC_DT_I16:
    case GLC_DT_I8:
    case GLC_DT_U16:
    case GLC_DT_U8:
    case GLC_DT_BOOL:
    case GLC_DT_F16:
    case GLC_DT_BF16:
        return (typed_field){tp->int32_data, 4, tp->n_int32_data};
    case GLC_DT_UNDEF:
    case GLC_DT_STRING:
        break;
    }
    return (typed_field){NULL, 0, 0};
}

/* Copies the field's entries into t->data, narrowing each to the element size. */
static void copy_typed(const fe_tensor *t, typed_field f) {
    size_t esize = glc_dtype_size(t->dtype);
    const unsigned char *src = f.base;
    unsigned char *dst = t->data;
    for (size_t i = 0; i < f.count; i++) {
        memcpy(dst + i * esize, src + i * f.stride, esize);
        if (t->dtype == GLC_DT_BOOL) {
            int32_t v;
            memcpy(&v, src + i * f.stride, sizeof v);
            dst[i] = v != 0;
        }
    }
}

static glc_status size_error(const char *what, const fe_tensor *t, size_t given, const char *unit,
                             glc_diag *d) {
    char shape[128];
    glc_shape_str(t->dtype, t->rank, t->dims, shape, sizeof shape);
    size_t esize = glc_dtype_size(t->dtype);
    size_t expected = !strcmp(unit, "bytes") ? t->nbytes : t->nbytes / esize;
    return glc_diag_set(d, GLC_E_PARSE, NULL, "%s: %s needs %zu %s, the tensor holds %zu", what,
                        shape, expected, unit, given);
}

glc_status fe_tensor_decode(const Onnx__TensorProto *tp, const char *what, fe_tensor *t,
                            glc_diag *d) {
    memset(t, 0, sizeof *t);
    GLC_TRY(check_header(tp, what, t, d));
    size_t esize = glc_dtype_size(t->dtype), numel = t->nbytes / esize;
    if (tp->has_raw_data && tp->raw_data.len != t->nbytes)
        return size_error(what, t, tp->raw_data.len, "bytes", d);
    typed_field f = field_for(tp, t->dtype);
    if (!tp->has_raw_data && f.count != numel) return size_error(what, t, f.count, "elements", d);
    t->data = malloc(t->nbytes ? t->nbytes : 1);
    if (!t->data) return glc_diag_set(d, GLC_E_NOMEM, NULL, "%s: out of memory", what);
    if (tp->has_raw_data && t->nbytes) memcpy(t->data, tp->raw_data.data, t->nbytes);
    if (!tp->has_raw_data) copy_typed(t, f);
    return GLC_OK;
}
