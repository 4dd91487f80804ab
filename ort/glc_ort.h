/*
 * glc_ort.h -- libglc_ort.so's insides: the ai.glc custom ops (ops.c), a kernel per node
 * (kernel.c: attributes and constant inputs read at creation) and its compiled models
 * (run.c: the one-node model, the cache directory, the call).
 */
#ifndef GLC_ORT_H
#define GLC_ORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "glc_compile.h"
#include "glc_runtime.h"
#include "ort_api.h"
#include "pb.h"

#define GLC_ORT_MAX_IO 8

/* AttributeProto.type values. */
enum { GLC_ORT_ATTR_FLOAT = 1, GLC_ORT_ATTR_INT = 2, GLC_ORT_ATTR_STRING = 3,
       GLC_ORT_ATTR_FLOATS = 6, GLC_ORT_ATTR_INTS = 7, GLC_ORT_ATTR_STRINGS = 8 };

/* A spec attribute: its name and, for a list, its type (0: a scalar). ORT's scalar getters
 * check the type, its list getters do not (any list reads as empty), hence the hint. */
typedef struct glc_ort_attr {
    const char *name;
    int list_type;
} glc_ort_attr;

/* One operator of domain ai.glc. ORT hands &op back to every callback. */
typedef struct glc_ort_op {
    OrtCustomOp op; /* first */
    const char *name;
    uint32_t n_inputs, n_outputs, n_required_inputs;
    const int32_t *input_types; /* ONNX dtypes; every output is float32 */
    const glc_ort_attr *attrs;  /* the spec's attributes, ended by a NULL name */
} glc_ort_op;

typedef struct ort_tensor {
    bool present, constant;
    int32_t dtype;
    int rank;
    int64_t dims[GLC_COMPILE_MAX_RANK];
    const void *data; /* constant: the kernel's copy; else this call's */
} ort_tensor;

/* A compiled model for one set of input dims. */
typedef struct ort_entry {
    struct ort_entry *next;
    int64_t dims[GLC_ORT_MAX_IO][GLC_COMPILE_MAX_RANK]; /* the non-constant inputs' */
    glc_rt_model *model;
    void *ws;
    uint64_t ws_size;
    pthread_mutex_t ws_lock; /* who uses ws; a call finding it taken allocates its own */
} ort_entry;

typedef struct ort_kernel {
    const OrtApi *api;
    const glc_ort_op *op;
    char node_name[256];
    pb_buf attrs; /* NodeProto.attribute fields, encoded */
    uint32_t n_inputs, n_outputs;
    ort_tensor in[GLC_ORT_MAX_IO]; /* constant ones hold their data */
    bool out_present[GLC_ORT_MAX_IO];
    pthread_mutex_t lock; /* entries */
    ort_entry *entries;
} ort_kernel;

/* kernel.c */
OrtStatus *glc_ort_kernel_create(const OrtCustomOp *op, const OrtApi *api,
                                 const OrtKernelInfo *info, void **out);
void glc_ort_kernel_destroy(void *kernel);
OrtStatus *glc_ort_status(const OrtApi *api, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
OrtStatus *glc_ort_value_shape(const OrtApi *api, const OrtValue *v, ort_tensor *t);
size_t glc_ort_tensor_bytes(const ort_tensor *t);

/* run.c */
OrtStatus *glc_ort_kernel_compute(void *kernel, OrtKernelContext *ctx);
/* The entry for the inputs `in` (dims of every present input), compiled or found. */
OrtStatus *glc_ort_entry_for(ort_kernel *k, const ort_tensor *in, ort_entry **out);
void glc_ort_entries_free(ort_kernel *k);

/* model.c: the one-node ONNX model for k at the dims of `in`. false if out of memory. */
bool glc_ort_build_model(const ort_kernel *k, const ort_tensor *in, pb_buf *out);

#endif
