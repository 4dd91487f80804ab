/*
 * ort_abi.h -- the part of ONNX Runtime's C ABI that ort_peer.c calls, written for glc.
 *
 * ONNX Runtime's C API is one exported function, OrtGetApiBase(), whose GetApi(version)
 * returns a table of function pointers (struct OrtApi). The table is append-only: a
 * library that supports version N returns a table whose first slots are those of every
 * version <= N, in the same order. ort_peer asks for version 1 (every 1.x library has it)
 * and calls only version-1 slots, named here by their index in the table; the enum values
 * are the C API's. The wheel's libonnxruntime.so is opened with dlopen, so nothing links
 * against it. bench/peers/check_ort_peer.py checks the whole path: the runner's outputs
 * against ONNX Runtime's Python binding on the same model.
 */
#ifndef GLC_BENCH_ORT_ABI_H
#define GLC_BENCH_ORT_ABI_H

#include <stddef.h>
#include <stdint.h>

typedef struct OrtStatus OrtStatus; /* NULL: success */
typedef struct OrtEnv OrtEnv;
typedef struct OrtSession OrtSession;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtValue OrtValue;

typedef void (*ort_fn)(void); /* a slot of the table, cast to its type to call it */

typedef struct OrtApiBase {
    const void *(*GetApi)(uint32_t version); /* the table, or NULL if unsupported */
    const char *(*GetVersionString)(void);
} OrtApiBase;

#define ORT_PEER_API_VERSION 1u

enum {
    ORT_LOGGING_LEVEL_ERROR = 3,
    ORT_SEQUENTIAL = 0,            /* ExecutionMode */
    ORT_ENABLE_ALL = 99,           /* GraphOptimizationLevel */
    ORT_ARENA_ALLOCATOR = 1,       /* OrtAllocatorType */
    ORT_MEM_TYPE_DEFAULT = 0,      /* OrtMemType */
    ORT_TENSOR_FLOAT = 1,          /* ONNXTensorElementDataType */
};

/* Slots of the version-1 table used by ort_peer.c. */
enum {
    ORT_SLOT_GET_ERROR_MESSAGE = 2,
    ORT_SLOT_CREATE_ENV = 3,
    ORT_SLOT_CREATE_SESSION = 7,
    ORT_SLOT_RUN = 9,
    ORT_SLOT_CREATE_SESSION_OPTIONS = 10,
    ORT_SLOT_SET_EXECUTION_MODE = 13,
    ORT_SLOT_SET_GRAPH_OPTIMIZATION_LEVEL = 23,
    ORT_SLOT_SET_INTRA_OP_THREADS = 24,
    ORT_SLOT_SET_INTER_OP_THREADS = 25,
    ORT_SLOT_CREATE_TENSOR_WITH_DATA = 49,
    ORT_SLOT_CREATE_CPU_MEMORY_INFO = 69,
    ORT_SLOT_RELEASE_ENV = 92,
    ORT_SLOT_RELEASE_STATUS = 93,
    ORT_SLOT_RELEASE_MEMORY_INFO = 94,
    ORT_SLOT_RELEASE_SESSION = 95,
    ORT_SLOT_RELEASE_VALUE = 96,
    ORT_SLOT_RELEASE_SESSION_OPTIONS = 100,
};

/* Their signatures. */
typedef const char *(*OrtGetErrorMessageFn)(const OrtStatus *);
typedef OrtStatus *(*OrtCreateEnvFn)(int logging_level, const char *log_id, OrtEnv **out);
typedef OrtStatus *(*OrtCreateSessionFn)(const OrtEnv *, const char *model_path,
                                         const OrtSessionOptions *, OrtSession **out);
typedef OrtStatus *(*OrtRunFn)(OrtSession *, const void *run_options,
                               const char *const *input_names, const OrtValue *const *inputs,
                               size_t n_inputs, const char *const *output_names,
                               size_t n_outputs, OrtValue **outputs);
typedef OrtStatus *(*OrtCreateSessionOptionsFn)(OrtSessionOptions **out);
typedef OrtStatus *(*OrtSetIntFn)(OrtSessionOptions *, int value); /* the four setters */
typedef OrtStatus *(*OrtCreateTensorWithDataFn)(const OrtMemoryInfo *, void *data,
                                                size_t data_bytes, const int64_t *shape,
                                                size_t rank, int element_type, OrtValue **out);
typedef OrtStatus *(*OrtCreateCpuMemoryInfoFn)(int allocator_type, int mem_type,
                                               OrtMemoryInfo **out);
typedef void (*OrtReleaseFn)(void *);

#endif
