/*
 * ort_api.h -- the part of ONNX Runtime's C ABI that libglc_ort.so uses, written for glc.
 *
 * Written from include/onnxruntime/core/session/onnxruntime_c_api.h of ONNX Runtime (API
 * version 30, i.e. ONNX Runtime 1.30; tested with the 1.32 PyPI wheel), which is
 * Copyright (c) Microsoft Corporation and licensed under the MIT License:
 *
 *   Permission is hereby granted, free of charge, to any person obtaining a copy of this
 *   software and associated documentation files (the "Software"), to deal in the Software
 *   without restriction, including without limitation the rights to use, copy, modify,
 *   merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
 *   permit persons to whom the Software is furnished to do so, subject to the following
 *   conditions: The above copyright notice and this permission notice shall be included in
 *   all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
 *   WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
 *
 * As bench/peers/ort_abi.h does, the table of function pointers (struct OrtApi) is not
 * declared: its slots are named by their index, which never changes (the table is
 * append-only), and cast to their type where called. OrtCustomOp, which ORT reads from us,
 * is declared field for field up to the fields of its version 16 (the version we set).
 */
#ifndef GLC_ORT_API_H
#define GLC_ORT_API_H

#include <stddef.h>
#include <stdint.h>

typedef struct OrtStatus OrtStatus; /* NULL: success */
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtCustomOpDomain OrtCustomOpDomain;
typedef struct OrtKernelInfo OrtKernelInfo;
typedef struct OrtKernelContext OrtKernelContext;
typedef struct OrtValue OrtValue;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtAllocator OrtAllocator;
typedef void OrtApi; /* the table; read through ort_slot() */
typedef void (*ort_fn)(void); /* a slot, cast to its type to call it */

typedef struct OrtApiBase {
    const OrtApi *(*GetApi)(uint32_t version); /* NULL if this ORT is older */
    const char *(*GetVersionString)(void);
} OrtApiBase;

/* The API version we ask for: the first with KernelInfoGetAttributeArray_string. */
#define GLC_ORT_API_VERSION 30u

enum { ORT_FAIL = 1, ORT_INVALID_ARGUMENT = 2 };                  /* OrtErrorCode */
enum { ORT_INPUT_OUTPUT_REQUIRED = 0, ORT_INPUT_OUTPUT_OPTIONAL = 1 }; /* characteristic */

/* Slots of the table (index = position in struct OrtApi). */
enum {
    ORT_SLOT_CREATE_STATUS = 0,
    ORT_SLOT_GET_ERROR_MESSAGE = 2,
    ORT_SLOT_CREATE_CUSTOM_OP_DOMAIN = 26,
    ORT_SLOT_CUSTOM_OP_DOMAIN_ADD = 27,
    ORT_SLOT_ADD_CUSTOM_OP_DOMAIN = 28,
    ORT_SLOT_GET_TENSOR_MUTABLE_DATA = 51,
    ORT_SLOT_CAST_TYPE_INFO_TO_TENSOR_INFO = 55,
    ORT_SLOT_GET_TENSOR_ELEMENT_TYPE = 60,
    ORT_SLOT_GET_DIMENSIONS_COUNT = 61,
    ORT_SLOT_GET_DIMENSIONS = 62,
    ORT_SLOT_GET_TENSOR_TYPE_AND_SHAPE = 65,
    ORT_SLOT_ALLOCATOR_FREE = 76,
    ORT_SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS = 78,
    ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_FLOAT = 85,
    ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_INT64 = 86,
    ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_STRING = 87,
    ORT_SLOT_KERNEL_CONTEXT_GET_INPUT = 90,
    ORT_SLOT_KERNEL_CONTEXT_GET_OUTPUT = 91,
    ORT_SLOT_RELEASE_STATUS = 93,
    ORT_SLOT_RELEASE_TYPE_INFO = 98,
    ORT_SLOT_RELEASE_TENSOR_TYPE_AND_SHAPE_INFO = 99,
    ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_ARRAY_FLOAT = 162,
    ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_ARRAY_INT64 = 163,
    ORT_SLOT_KERNEL_INFO_GET_INPUT_COUNT = 230,
    ORT_SLOT_KERNEL_INFO_GET_OUTPUT_COUNT = 231,
    ORT_SLOT_KERNEL_INFO_GET_INPUT_NAME = 232,
    ORT_SLOT_KERNEL_INFO_GET_OUTPUT_NAME = 233,
    ORT_SLOT_KERNEL_INFO_GET_INPUT_TYPE_INFO = 234,
    ORT_SLOT_KERNEL_INFO_GET_NODE_NAME = 244,
    ORT_SLOT_KERNEL_INFO_GET_CONSTANT_INPUT_TENSOR = 249,
    ORT_SLOT_KERNEL_CONTEXT_PARALLEL_FOR = 274,
    ORT_SLOT_KERNEL_INFO_GET_ATTRIBUTE_ARRAY_STRING = 417,
};

typedef OrtStatus *(*OrtCreateStatusFn)(int code, const char *msg);
typedef const char *(*OrtGetErrorMessageFn)(const OrtStatus *);
typedef void (*OrtReleaseFn)(void *);
typedef OrtStatus *(*OrtCreateCustomOpDomainFn)(const char *domain, OrtCustomOpDomain **out);
typedef OrtStatus *(*OrtCustomOpDomainAddFn)(OrtCustomOpDomain *, const void *op);
typedef OrtStatus *(*OrtAddCustomOpDomainFn)(OrtSessionOptions *, OrtCustomOpDomain *);
typedef OrtStatus *(*OrtGetTensorMutableDataFn)(OrtValue *, void **out);
typedef OrtStatus *(*OrtCastTypeInfoToTensorInfoFn)(const OrtTypeInfo *,
                                                    const OrtTensorTypeAndShapeInfo **out);
typedef OrtStatus *(*OrtGetTensorElementTypeFn)(const OrtTensorTypeAndShapeInfo *, int *out);
typedef OrtStatus *(*OrtGetDimensionsCountFn)(const OrtTensorTypeAndShapeInfo *, size_t *out);
typedef OrtStatus *(*OrtGetDimensionsFn)(const OrtTensorTypeAndShapeInfo *, int64_t *dims,
                                         size_t n);
typedef OrtStatus *(*OrtGetTensorTypeAndShapeFn)(const OrtValue *,
                                                 OrtTensorTypeAndShapeInfo **out);
typedef OrtStatus *(*OrtAllocatorFreeFn)(OrtAllocator *, void *p);
typedef OrtStatus *(*OrtGetAllocatorWithDefaultOptionsFn)(OrtAllocator **out);
typedef OrtStatus *(*OrtKernelInfoGetFloatFn)(const OrtKernelInfo *, const char *, float *);
typedef OrtStatus *(*OrtKernelInfoGetInt64Fn)(const OrtKernelInfo *, const char *, int64_t *);
/* _string, _GetInputName, _GetOutputName, _GetNodeName: out NULL asks for the size. */
typedef OrtStatus *(*OrtKernelInfoGetStringFn)(const OrtKernelInfo *, const char *, char *out,
                                               size_t *size);
typedef OrtStatus *(*OrtKernelInfoGetFloatsFn)(const OrtKernelInfo *, const char *, float *out,
                                               size_t *size);
typedef OrtStatus *(*OrtKernelInfoGetInt64sFn)(const OrtKernelInfo *, const char *,
                                               int64_t *out, size_t *size);
typedef OrtStatus *(*OrtKernelInfoGetStringsFn)(const OrtKernelInfo *, const char *,
                                                OrtAllocator *, char ***out, size_t *size);
typedef OrtStatus *(*OrtKernelInfoGetCountFn)(const OrtKernelInfo *, size_t *out);
typedef OrtStatus *(*OrtKernelInfoGetIoNameFn)(const OrtKernelInfo *, size_t index, char *out,
                                               size_t *size);
typedef OrtStatus *(*OrtKernelInfoGetNodeNameFn)(const OrtKernelInfo *, char *out,
                                                 size_t *size);
typedef OrtStatus *(*OrtKernelInfoGetInputTypeInfoFn)(const OrtKernelInfo *, size_t index,
                                                      OrtTypeInfo **out);
typedef OrtStatus *(*OrtKernelInfoGetConstantInputFn)(const OrtKernelInfo *, size_t index,
                                                      int *is_constant, const OrtValue **out);
typedef OrtStatus *(*OrtKernelContextGetInputFn)(const OrtKernelContext *, size_t index,
                                                 const OrtValue **out);
typedef OrtStatus *(*OrtKernelContextGetOutputFn)(OrtKernelContext *, size_t index,
                                                  const int64_t *dims, size_t rank,
                                                  OrtValue **out);
typedef OrtStatus *(*OrtKernelContextParallelForFn)(const OrtKernelContext *,
                                                    void (*fn)(void *, size_t), size_t total,
                                                    size_t num_batch, void *user);

/* struct OrtCustomOp, the fields of its versions 1..16. */
typedef struct OrtCustomOp OrtCustomOp;
struct OrtCustomOp {
    uint32_t version;
    void *(*CreateKernel)(const OrtCustomOp *, const OrtApi *, const OrtKernelInfo *);
    const char *(*GetName)(const OrtCustomOp *);
    const char *(*GetExecutionProviderType)(const OrtCustomOp *);
    int (*GetInputType)(const OrtCustomOp *, size_t index);
    size_t (*GetInputTypeCount)(const OrtCustomOp *);
    int (*GetOutputType)(const OrtCustomOp *, size_t index);
    size_t (*GetOutputTypeCount)(const OrtCustomOp *);
    void (*KernelCompute)(void *kernel, OrtKernelContext *);
    void (*KernelDestroy)(void *kernel);
    int (*GetInputCharacteristic)(const OrtCustomOp *, size_t index);
    int (*GetOutputCharacteristic)(const OrtCustomOp *, size_t index);
    int (*GetInputMemoryType)(const OrtCustomOp *, size_t index); /* OrtMemType */
    int (*GetVariadicInputMinArity)(const OrtCustomOp *);
    int (*GetVariadicInputHomogeneity)(const OrtCustomOp *);
    int (*GetVariadicOutputMinArity)(const OrtCustomOp *);
    int (*GetVariadicOutputHomogeneity)(const OrtCustomOp *);
    OrtStatus *(*CreateKernelV2)(const OrtCustomOp *, const OrtApi *, const OrtKernelInfo *,
                                 void **kernel);
    OrtStatus *(*KernelComputeV2)(void *kernel, OrtKernelContext *);
};
#define GLC_ORT_CUSTOM_OP_VERSION 16u

/* The function in slot `slot` of table `api`, as type T. */
#define ort_slot(api, slot, T) ((T)(((const ort_fn *)(api))[slot]))

#endif
