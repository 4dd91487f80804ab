/*
 * glc_runtime.h -- the C ABI of a model compiled by glc, and a small loader.
 *
 * A compiled model (a .so, or an object linked into your program) exports two
 * functions, named <prefix>_describe and <prefix>_invoke; the prefix is "glc_model" unless
 * the model was compiled with --name=PREFIX.
 *
 *   #include "glc_runtime.h"
 *   const glc_model_desc *mi = glc_model_describe();
 *   void *ws = aligned_alloc(64, mi->workspace_size);   // or any 64-byte-aligned buffer
 *   const void *in[] = {x};             // one pointer per input, in mi->inputs order
 *   void *out[] = {y};                  // one per output, mi->outputs[i].size_bytes each
 *   glc_rt_status s = glc_model_invoke(in, out, ws, mi->workspace_size);
 *
 * Tensors are dense, row-major (C order), with the static shapes and dtypes that
 * info() describes; dtype codes are ONNX TensorProto.DataType (1 = float32, 7 = int64).
 * run() does not allocate, print, exit or keep state between calls: two threads may run
 * one model at once with separate workspaces. Buffers should be 64-byte aligned for
 * speed; any alignment of the element type is correct. Input and output buffers must
 * not overlap each other or the workspace.
 *
 * Bump GLC_ABI_VERSION on any change to these structs or signatures.
 */
#ifndef GLC_RUNTIME_H
#define GLC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GLC_ABI_VERSION 2

typedef enum glc_rt_status {
    GLC_RT_OK = 0,
    GLC_RT_E_ARG = 1,       /* a NULL array or tensor pointer */
    GLC_RT_E_WORKSPACE = 2, /* workspace NULL or smaller than workspace_size */
    GLC_RT_E_ABI = 3,       /* (loader) the model was built for another ABI version */
    GLC_RT_E_LOAD = 4,      /* (loader) cannot open the file or find its symbols */
} glc_rt_status;

typedef struct glc_tensor_info {
    const char *name;    /* ONNX value name */
    int32_t dtype;       /* ONNX TensorProto.DataType */
    int32_t rank;
    const int64_t *dims; /* rank entries */
    uint64_t size_bytes; /* product of dims * element size */
} glc_tensor_info;

typedef struct glc_model_desc {
    uint32_t abi_version; /* GLC_ABI_VERSION the model was compiled for */
    uint32_t n_inputs;
    uint32_t n_outputs;
    uint32_t reserved;
    const glc_tensor_info *inputs;
    const glc_tensor_info *outputs;
    uint64_t workspace_size; /* bytes; 0 means run() accepts a NULL workspace */
    const char *model_name;  /* ONNX graph name */
} glc_model_desc;

typedef const glc_model_desc *(*glc_model_describe_fn)(void);
typedef glc_rt_status (*glc_model_invoke_fn)(const void *const *inputs, void *const *outputs,
                                          void *workspace, uint64_t workspace_size);

/* ---- loader (libglc_runtime): opens a compiled .so with dlopen ---------------------- */
typedef struct glc_rt_model glc_rt_model;

/* Opens path and binds <prefix>_describe/<prefix>_invoke (prefix NULL = "glc_model"); checks
 * the ABI version. On failure returns GLC_RT_E_LOAD or GLC_RT_E_ABI, writes a
 * one-line reason to err (if errlen > 0) and sets *out to NULL. */
glc_rt_status glc_rt_model_open(const char *path, const char *prefix, glc_rt_model **out,
                                char *err, size_t errlen);
const glc_model_desc *glc_rt_model_desc(const glc_rt_model *m);
glc_rt_status glc_rt_model_run(const glc_rt_model *m, const void *const *inputs,
                               void *const *outputs, void *workspace, uint64_t workspace_size);
void glc_rt_model_close(glc_rt_model *m); /* NULL is fine */
const char *glc_rt_status_name(glc_rt_status s);

#ifdef __cplusplus
}
#endif

#endif
