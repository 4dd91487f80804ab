/*
 * kernel.c -- a kernel per ai.glc node: at creation it reads the node's name, which inputs
 * and outputs are present, every spec attribute the node sets (as whatever type it has, so
 * that glc's importer can name a wrong one) and the constant inputs (weights), copied. If
 * every other input has a static shape, it compiles the node right away, so that a bad
 * node fails session creation with glc's diagnostic.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glc_ort.h"

OrtStatus *glc_ort_status(const OrtApi *api, int code, const char *fmt, ...) {
    char msg[2304];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ort_slot(api, ORT_SLOT_CREATE_STATUS, OrtCreateStatusFn)(code, msg);
}

/* true if s is an error (which is released). */
static bool failed(const OrtApi *api, OrtStatus *s) {
    if (s)
        ort_slot(api, ORT_SLOT_RELEASE_STATUS, OrtReleaseFn)(s);
    return s != NULL;
}

static bool attr_scalar(const ort_kernel *k, const OrtKernelInfo *info, const char *name,
                        pb_buf *a) {
    int64_t i;
    float f;
    size_t size = 0;
    if (!failed(k->api, ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_INT64,
                                 OrtKernelInfoGetInt64Fn)(info, name, &i))) {
        pb_varint_field(a, 3, (uint64_t)i), pb_varint_field(a, 20, GLC_ORT_ATTR_INT);
        return true;
    }
    if (!failed(k->api, ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_FLOAT,
                                 OrtKernelInfoGetFloatFn)(info, name, &f))) {
        pb_float_field(a, 2, f), pb_varint_field(a, 20, GLC_ORT_ATTR_FLOAT);
        return true;
    }
    OrtKernelInfoGetStringFn get_s =
        ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_STRING, OrtKernelInfoGetStringFn);
    if (failed(k->api, get_s(info, name, NULL, &size)) || size == 0)
        return false;
    char *s = calloc(size, 1);
    if (s && !failed(k->api, get_s(info, name, s, &size)))
        pb_bytes_field(a, 4, s, strnlen(s, size)), pb_varint_field(a, 20, GLC_ORT_ATTR_STRING);
    free(s);
    return true;
}

/* The list getters: the values (as AttributeProto fields) and their count; -1 if the
 * node has no such attribute. */
static long attr_ints(const ort_kernel *k, const OrtKernelInfo *info, const char *name,
                      pb_buf *a) {
    size_t n = 0;
    OrtKernelInfoGetInt64sFn get = ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_ARRAY_INT64,
                                            OrtKernelInfoGetInt64sFn);
    if (failed(k->api, get(info, name, NULL, &n)))
        return -1;
    int64_t *v = calloc(n + 1, sizeof *v);
    if (v && !failed(k->api, get(info, name, v, &n)))
        for (size_t j = 0; j < n; j++)
            pb_varint_field(a, 8, (uint64_t)v[j]);
    free(v);
    return (long)n;
}

static long attr_floats(const ort_kernel *k, const OrtKernelInfo *info, const char *name,
                        pb_buf *a) {
    size_t n = 0;
    OrtKernelInfoGetFloatsFn get = ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_ARRAY_FLOAT,
                                            OrtKernelInfoGetFloatsFn);
    if (failed(k->api, get(info, name, NULL, &n)))
        return -1;
    float *v = calloc(n + 1, sizeof *v);
    if (v && !failed(k->api, get(info, name, v, &n)))
        for (size_t j = 0; j < n; j++)
            pb_float_field(a, 7, v[j]);
    free(v);
    return (long)n;
}

static long attr_strings(const ort_kernel *k, const OrtKernelInfo *info, const char *name,
                         pb_buf *a) {
    OrtAllocator *alloc = NULL;
    char **v = NULL;
    size_t n = 0;
    if (failed(k->api, ort_slot(k->api, ORT_SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS,
                                OrtGetAllocatorWithDefaultOptionsFn)(&alloc)) ||
        failed(k->api, ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_ARRAY_STRING,
                                OrtKernelInfoGetStringsFn)(info, name, alloc, &v, &n)))
        return -1;
    OrtAllocatorFreeFn release = ort_slot(k->api, ORT_SLOT_ALLOCATOR_FREE, OrtAllocatorFreeFn);
    for (size_t j = 0; j < n; j++) {
        pb_string_field(a, 9, v[j]);
        failed(k->api, release(alloc, v[j]));
    }
    if (v)
        failed(k->api, release(alloc, v));
    return (long)n;
}

/* A list attribute: the type whose list is non-empty, else the spec's (an empty list). */
static bool attr_list(const ort_kernel *k, const OrtKernelInfo *info, const glc_ort_attr *at,
                      pb_buf *a) {
    pb_buf li = {0}, lf = {0}, ls = {0};
    long ni = attr_ints(k, info, at->name, &li);
    long nf = ni < 0 ? -1 : attr_floats(k, info, at->name, &lf);
    long ns = ni < 0 ? -1 : attr_strings(k, info, at->name, &ls);
    int type = ni > 0 ? GLC_ORT_ATTR_INTS : nf > 0 ? GLC_ORT_ATTR_FLOATS
             : ns > 0 ? GLC_ORT_ATTR_STRINGS : at->list_type ? at->list_type : GLC_ORT_ATTR_INTS;
    const pb_buf *chosen = type == GLC_ORT_ATTR_INTS     ? &li
                           : type == GLC_ORT_ATTR_FLOATS ? &lf
                                                         : &ls;
    if (ni >= 0) {
        pb_append(a, chosen->data, chosen->len);
        pb_varint_field(a, 20, (uint64_t)type);
    }
    pb_free(&li), pb_free(&lf), pb_free(&ls);
    return ni >= 0;
}

/* Appends NodeProto.attribute for every spec attribute the node sets. */
static void read_attributes(ort_kernel *k, const OrtKernelInfo *info) {
    for (const glc_ort_attr *at = k->op->attrs; at->name; at++) {
        pb_buf a = {0};
        pb_string_field(&a, 1, at->name);
        if (attr_scalar(k, info, at->name, &a) || attr_list(k, info, at, &a))
            pb_message_field(&k->attrs, 5, &a);
        pb_free(&a);
    }
}

static size_t elem_size(int32_t dtype) { return dtype == 7 ? 8 : 4; /* int64; f32, i32 */ }

size_t glc_ort_tensor_bytes(const ort_tensor *t) {
    size_t n = elem_size(t->dtype);
    for (int d = 0; d < t->rank; d++)
        n *= (size_t)t->dims[d];
    return n;
}

/* dtype, rank and dims of a tensor value. */
OrtStatus *glc_ort_value_shape(const OrtApi *api, const OrtValue *v, ort_tensor *t) {
    OrtTensorTypeAndShapeInfo *info = NULL;
    size_t rank = 0;
    int dtype = 0;
    OrtStatus *s = ort_slot(api, ORT_SLOT_GET_TENSOR_TYPE_AND_SHAPE,
                            OrtGetTensorTypeAndShapeFn)(v, &info);
    if (!s)
        s = ort_slot(api, ORT_SLOT_GET_TENSOR_ELEMENT_TYPE, OrtGetTensorElementTypeFn)(info,
                                                                                     &dtype);
    if (!s)
        s = ort_slot(api, ORT_SLOT_GET_DIMENSIONS_COUNT, OrtGetDimensionsCountFn)(info, &rank);
    if (!s && rank > GLC_COMPILE_MAX_RANK)
        s = glc_ort_status(api, ORT_INVALID_ARGUMENT, "libglc_ort: a tensor of rank %zu (> %d)",
                           rank, GLC_COMPILE_MAX_RANK);
    if (!s)
        s = ort_slot(api, ORT_SLOT_GET_DIMENSIONS, OrtGetDimensionsFn)(info, t->dims, rank);
    ort_slot(api, ORT_SLOT_RELEASE_TENSOR_TYPE_AND_SHAPE_INFO, OrtReleaseFn)(info);
    t->dtype = dtype, t->rank = (int)rank;
    return s;
}

/* Present = a non-empty name in the node. */
static bool io_present(const ort_kernel *k, const OrtKernelInfo *info, size_t i, int slot) {
    size_t size = 0;
    OrtKernelInfoGetIoNameFn get = ort_slot(k->api, slot, OrtKernelInfoGetIoNameFn);
    return !failed(k->api, get(info, i, NULL, &size)) && size > 1;
}

/* A constant input (an initializer): its dims and a copy of its data. */
static OrtStatus *read_constant(ort_kernel *k, const OrtKernelInfo *info, size_t i) {
    int is_constant = 0;
    const OrtValue *v = NULL;
    ort_tensor *t = &k->in[i];
    if (failed(k->api, ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_CONSTANT_INPUT_TENSOR,
                                OrtKernelInfoGetConstantInputFn)(info, i, &is_constant, &v)) ||
        !is_constant || !v)
        return NULL;
    void *data = NULL;
    OrtStatus *s = glc_ort_value_shape(k->api, v, t);
    if (!s)
        s = ort_slot(k->api, ORT_SLOT_GET_TENSOR_MUTABLE_DATA, OrtGetTensorMutableDataFn)(
            (OrtValue *)v, &data);
    if (s)
        return s;
    size_t bytes = glc_ort_tensor_bytes(t);
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return glc_ort_status(k->api, ORT_FAIL, "libglc_ort: out of memory");
    memcpy(copy, data, bytes);
    t->data = copy, t->constant = true;
    return NULL;
}

/* The model's static dims of input i, if its type info has them all. */
static bool static_dims(const ort_kernel *k, const OrtKernelInfo *info, size_t i,
                        ort_tensor *t) {
    OrtTypeInfo *ti = NULL;
    const OrtTensorTypeAndShapeInfo *tt = NULL;
    size_t rank = 0;
    bool ok = !failed(k->api, ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_INPUT_TYPE_INFO,
                                       OrtKernelInfoGetInputTypeInfoFn)(info, i, &ti)) &&
              !failed(k->api, ort_slot(k->api, ORT_SLOT_CAST_TYPE_INFO_TO_TENSOR_INFO,
                                       OrtCastTypeInfoToTensorInfoFn)(ti, &tt)) &&
              tt &&
              !failed(k->api, ort_slot(k->api, ORT_SLOT_GET_DIMENSIONS_COUNT,
                                       OrtGetDimensionsCountFn)(tt, &rank)) &&
              rank <= GLC_COMPILE_MAX_RANK &&
              !failed(k->api, ort_slot(k->api, ORT_SLOT_GET_DIMENSIONS, OrtGetDimensionsFn)(
                                  tt, t->dims, rank));
    if (ti)
        ort_slot(k->api, ORT_SLOT_RELEASE_TYPE_INFO, OrtReleaseFn)(ti);
    t->rank = (int)rank;
    for (size_t d = 0; ok && d < rank; d++)
        ok = t->dims[d] >= 0;
    return ok;
}

/* Compiles now if every non-constant input's dims are known. */
static OrtStatus *compile_early(ort_kernel *k, const OrtKernelInfo *info) {
    ort_tensor in[GLC_ORT_MAX_IO];
    memcpy(in, k->in, sizeof in);
    for (uint32_t i = 0; i < k->n_inputs; i++)
        if (in[i].present && !in[i].constant && !static_dims(k, info, i, &in[i]))
            return NULL;
    ort_entry *e;
    return glc_ort_entry_for(k, in, &e);
}

static OrtStatus *read_node(ort_kernel *k, const OrtKernelInfo *info) {
    size_t n_in = 0, n_out = 0, size = sizeof k->node_name;
    if (failed(k->api, ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_NODE_NAME,
                                OrtKernelInfoGetNodeNameFn)(info, k->node_name, &size)))
        k->node_name[0] = '\0';
    OrtStatus *s = ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_INPUT_COUNT,
                            OrtKernelInfoGetCountFn)(info, &n_in);
    if (!s)
        s = ort_slot(k->api, ORT_SLOT_KERNEL_INFO_GET_OUTPUT_COUNT, OrtKernelInfoGetCountFn)(
            info, &n_out);
    if (s)
        return s;
    if (n_in > k->op->n_inputs || n_out > k->op->n_outputs)
        return glc_ort_status(k->api, ORT_INVALID_ARGUMENT,
                              "libglc_ort: node '%s' (%s) has %zu inputs and %zu outputs; the "
                              "operator takes at most %u and %u",
                              k->node_name, k->op->name, n_in, n_out, k->op->n_inputs,
                              k->op->n_outputs);
    k->n_inputs = (uint32_t)n_in, k->n_outputs = (uint32_t)n_out;
    for (size_t i = 0; i < n_in && !s; i++) {
        k->in[i].present = io_present(k, info, i, ORT_SLOT_KERNEL_INFO_GET_INPUT_NAME);
        k->in[i].dtype = k->op->input_types[i];
        if (k->in[i].present)
            s = read_constant(k, info, i);
    }
    for (size_t j = 0; j < n_out; j++)
        k->out_present[j] = io_present(k, info, j, ORT_SLOT_KERNEL_INFO_GET_OUTPUT_NAME);
    return s;
}

OrtStatus *glc_ort_kernel_create(const OrtCustomOp *op, const OrtApi *api,
                                 const OrtKernelInfo *info, void **out) {
    ort_kernel *k = calloc(1, sizeof *k);
    *out = NULL;
    if (!k)
        return glc_ort_status(api, ORT_FAIL, "libglc_ort: out of memory");
    k->api = api, k->op = (const glc_ort_op *)op;
    pthread_mutex_init(&k->lock, NULL);
    OrtStatus *s = read_node(k, info);
    if (!s) {
        read_attributes(k, info);
        if (k->attrs.oom)
            s = glc_ort_status(api, ORT_FAIL, "libglc_ort: out of memory");
    }
    if (!s)
        s = compile_early(k, info);
    if (s) {
        glc_ort_kernel_destroy(k);
        return s;
    }
    *out = k;
    return NULL;
}

void glc_ort_kernel_destroy(void *kernel) {
    ort_kernel *k = kernel;
    if (!k)
        return;
    glc_ort_entries_free(k);
    for (uint32_t i = 0; i < GLC_ORT_MAX_IO; i++)
        if (k->in[i].constant)
            free((void *)k->in[i].data);
    pb_free(&k->attrs);
    pthread_mutex_destroy(&k->lock);
    free(k);
}
