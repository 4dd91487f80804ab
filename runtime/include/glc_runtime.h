/*
 * glc_runtime.h -- the C ABI of a model compiled by glc, and a small loader.
 *
 * A compiled model (a .so, or an object linked into your program) exports four
 * functions, named <prefix>_describe, <prefix>_plan, <prefix>_invoke and
 * <prefix>_invoke_with (threads, below); the prefix is "glc_model" unless the model was
 * compiled with --name=PREFIX.
 *
 *   #include "glc_runtime.h"
 *   const glc_model_desc *mi = glc_model_describe();
 *   void *ws = aligned_alloc(64, mi->workspace_size);   // or any 64-byte-aligned buffer
 *   const void *in[] = {x};             // one pointer per input, in mi->inputs order
 *   void *out[] = {y};                  // one per output, mi->outputs[i].size_bytes each
 *   glc_rt_status s = glc_model_invoke(in, NULL, out, ws, mi->workspace_size);
 *
 * Tensors are dense, row-major (C order), with the dtypes and shapes that describe()
 * gives; dtype codes are ONNX TensorProto.DataType (1 = float32, 7 = int64).
 *
 * Symbolic dimensions. A model compiled without binding its symbolic dims (dim_params
 * such as `batch`, or unknown `?` dims; see `glc --dim`, `--shape`, `--max-dim`) takes
 * its input dims at run time. describe() gives such a dim as -1 in dims[] with its name
 * in dim_names[] (an output's dim may be an expression: "T + 1"), and n_symbols > 0.
 * Then, per call, the caller passes the inputs' dims, and asks plan() for the outputs'
 * dims and the workspace size:
 *
 *   const int64_t x_dims[3] = {T, batch, 64};
 *   const int64_t *in_dims[] = {x_dims};      // one array per input, its rank entries
 *   int64_t y_dims[2];
 *   int64_t *out_dims[] = {y_dims};           // or NULL entries for outputs not wanted
 *   uint64_t ws_size;
 *   if (glc_model_plan(in_dims, out_dims, &ws_size) != GLC_RT_OK) ...  // bad dims
 *   ... allocate outputs (product of y_dims * element size) and ws_size bytes ...
 *   glc_model_invoke(in, in_dims, out, ws, ws_size);
 *
 * plan() checks every dim and every constraint the model assumes (two inputs' `batch`
 * equal, a reshape's element count preserved, a window that fits) and that no size
 * overflows; a violation is GLC_RT_E_SHAPE and nothing else happens. invoke() makes the
 * same checks before it touches any buffer. Every symbolic dim must lie in [1, its bound]
 * (--max-dim, else 2^31 - 1). With bounds on all symbols, describe()'s workspace_size and
 * size_bytes are the worst cases, so an embedder can allocate once; without, they are 0.
 * For a model without symbolic dims, in_dims may be NULL (and plan() just reports the
 * static sizes).
 *
 * invoke() does not print, exit or keep state between calls, and allocates nothing but
 * the default thread pool at its first call: two threads may run one model at once with
 * separate workspaces. Buffers should be 64-byte aligned for speed; any alignment of the
 * element type is correct. Input and output buffers must not overlap each other or the
 * workspace.
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

#define GLC_ABI_VERSION 4

typedef enum glc_rt_status {
    GLC_RT_OK = 0,
    GLC_RT_E_ARG = 1,       /* a NULL array or tensor pointer */
    GLC_RT_E_WORKSPACE = 2, /* workspace NULL or smaller than workspace_size */
    GLC_RT_E_ABI = 3,       /* (loader) the model was built for another ABI version */
    GLC_RT_E_LOAD = 4,      /* (loader) cannot open the file or find its symbols */
    GLC_RT_E_NOMEM = 5,     /* (stream) out of memory */
    GLC_RT_E_NOT_STREAM = 6, /* (stream) no stream_* state ports: not compiled with --stream */
    GLC_RT_E_SHAPE = 7,     /* input dims that the model does not accept (see plan()) */
} glc_rt_status;

typedef struct glc_tensor_info {
    const char *name;    /* ONNX value name */
    int32_t dtype;       /* ONNX TensorProto.DataType */
    int32_t rank;
    const int64_t *dims; /* rank entries; -1 for a symbolic dim */
    uint64_t size_bytes; /* product of dims * element size; with symbolic dims, the size at
                            the symbols' bounds, or 0 if some symbol is unbounded */
    const char *const *dim_names; /* NULL if every dim is static; else rank entries, NULL
                                     for a static dim, the symbol or expression otherwise */
    const int64_t *max_dims;      /* NULL if static; else each dim at the bounds, -1 if
                                     unbounded */
} glc_tensor_info;

typedef struct glc_model_desc {
    uint32_t abi_version; /* GLC_ABI_VERSION the model was compiled for */
    uint32_t n_inputs;
    uint32_t n_outputs;
    uint32_t n_symbols; /* symbolic dims; 0: every shape is static */
    const glc_tensor_info *inputs;
    const glc_tensor_info *outputs;
    uint64_t workspace_size; /* bytes; 0 means invoke() accepts a NULL workspace, unless
                                n_symbols > 0 (then: the worst case at the bounds, or 0
                                when unbounded: ask plan()) */
    const char *model_name;  /* ONNX graph name */
} glc_model_desc;

typedef const glc_model_desc *(*glc_model_describe_fn)(void);
/* plan(input_dims, output_dims, workspace_size): input_dims[i] holds input i's rank dims
 * (NULL allowed for a model without symbols); fills output_dims[j] (rank entries; the
 * array or an entry may be NULL) and *workspace_size (may be NULL). GLC_RT_E_ARG for a
 * missing array, GLC_RT_E_SHAPE for dims the model does not accept. */
typedef glc_rt_status (*glc_model_plan_fn)(const int64_t *const *input_dims,
                                           int64_t *const *output_dims,
                                           uint64_t *workspace_size);
typedef glc_rt_status (*glc_model_invoke_fn)(const void *const *inputs,
                                             const int64_t *const *input_dims,
                                             void *const *outputs, void *workspace,
                                             uint64_t workspace_size);

/* ---- threads ------------------------------------------------------------------------
 * A compiled model splits its large matrix products into tasks and hands them to a
 * glc_parallel: run(self, n_tasks, fn, closure) calls fn(closure, t) once for every
 * t < n_tasks, on any threads, and returns when all have returned. n_threads is how many
 * may run at once (the model makes about that many tasks). Tasks write disjoint outputs,
 * so the results do not depend on the number of threads or the order of the tasks.
 *
 * <prefix>_invoke(...) runs on glc_rt_parallel_default(), the process's pool (GLC_NUM_THREADS
 * threads, default every CPU; made at the first call, one per shared object). To choose,
 * call <prefix>_invoke_with(inputs, input_dims, outputs, workspace, workspace_size, par): par NULL runs
 * on the calling thread alone, or pass glc_rt_pool_parallel() of your own pool, or your own
 * glc_parallel over your application's threads. A pool runs one model call at a time: a
 * second thread calling in meanwhile runs its tasks alone, correctly. */
typedef void (*glc_task_fn)(void *closure, uint32_t task);
typedef struct glc_parallel {
    void *self;
    uint32_t n_threads;
    uint32_t reserved;
    void (*run)(void *self, uint32_t n_tasks, glc_task_fn fn, void *closure);
} glc_parallel;
typedef glc_rt_status (*glc_model_invoke_with_fn)(const void *const *inputs,
                                                  const int64_t *const *input_dims,
                                                  void *const *outputs, void *workspace,
                                                  uint64_t workspace_size,
                                                  const glc_parallel *par);

typedef struct glc_rt_pool glc_rt_pool;
/* n_threads counts the caller: 0 means every CPU, 1 a pool that runs tasks in the caller.
 * GLC_RT_E_NOMEM if memory or threads run out. */
glc_rt_status glc_rt_pool_create(uint32_t n_threads, glc_rt_pool **out);
const glc_parallel *glc_rt_pool_parallel(const glc_rt_pool *p); /* NULL for NULL */
void glc_rt_pool_destroy(glc_rt_pool *p);                       /* NULL is fine; joins */
/* The default pool (see above); NULL when GLC_NUM_THREADS or the CPUs give one thread. */
const glc_parallel *glc_rt_parallel_default(void);
uint32_t glc_rt_default_threads(void); /* GLC_NUM_THREADS if a positive count, else CPUs */
uint32_t glc_rt_cpu_count(void);       /* CPUs this process may run on */

/* ---- loader (libglc_runtime): opens a compiled .so with dlopen ---------------------- */
typedef struct glc_rt_model glc_rt_model;

/* Opens path and binds <prefix>_describe/_plan/_invoke/_invoke_with (prefix NULL =
 * "glc_model"); checks
 * the ABI version. On failure returns GLC_RT_E_LOAD or GLC_RT_E_ABI, writes a
 * one-line reason to err (if errlen > 0) and sets *out to NULL. */
glc_rt_status glc_rt_model_open(const char *path, const char *prefix, glc_rt_model **out,
                                char *err, size_t errlen);
const glc_model_desc *glc_rt_model_desc(const glc_rt_model *m);
/* The model's plan(), invoke() and invoke_with() (see above). */
glc_rt_status glc_rt_model_plan(const glc_rt_model *m, const int64_t *const *input_dims,
                                int64_t *const *output_dims, uint64_t *workspace_size);
glc_rt_status glc_rt_model_run(const glc_rt_model *m, const void *const *inputs,
                               const int64_t *const *input_dims, void *const *outputs,
                               void *workspace, uint64_t workspace_size);
/* As run, on par's threads (NULL: the calling thread alone); see "threads" above. */
glc_rt_status glc_rt_model_run_with(const glc_rt_model *m, const void *const *inputs,
                                    const int64_t *const *input_dims, void *const *outputs,
                                    void *workspace, uint64_t workspace_size,
                                    const glc_parallel *par);
void glc_rt_model_close(glc_rt_model *m); /* NULL is fine */
const char *glc_rt_status_name(glc_rt_status s);

/* ---- streaming (libglc_runtime): one time step per call ---------------------------
 * For a model compiled with `glc MODEL.onnx --stream`: its inputs' time axis has length
 * 1 and each recurrent node k has state ports, input stream_h<k> (and stream_c<k> for
 * LSTM/ConvLSTM) with output stream_h<k>_out (stream_c<k>_out). A stream owns the state
 * and a workspace (allocated once, at open) and hides those ports: step() takes and
 * returns only the frame ports, in the model's order without the state ports, runs the
 * model once and makes each state output the next step's state input. The state starts
 * at zero, like an LSTM without initial_h; reset() zeroes it again. T steps from zero
 * give the whole-sequence model's per-step outputs and final state.
 *
 *   glc_rt_stream *st;
 *   if (glc_rt_stream_open(m, &st) != GLC_RT_OK) ...   // m from glc_rt_model_open
 *   for (each frame) {
 *       const void *in[] = {frame};  void *out[] = {y};
 *       glc_rt_stream_step(st, in, out);
 *   }
 *   glc_rt_stream_close(st);
 *
 * A statically linked model: glc_rt_stream_open_static(PREFIX_describe(), PREFIX_invoke,
 * &st). A stream is not thread-safe; use one stream per thread (they may share m).
 * NULL arguments give GLC_RT_E_ARG, never a crash.
 *
 * Symbolic dims (a model compiled with a symbolic batch, `--stream --shape X=T,N,64`):
 * the state is as big as the batch, so call glc_rt_stream_plan() with the frames' dims
 * before the first step; until then step() is GLC_RT_E_SHAPE. Steps then run at those
 * dims. Planning other dims (another batch) resizes the state and resets it to zero;
 * planning the same dims keeps it. The stream's infos (stream_input/_output/_state)
 * give the planned dims and size_bytes. Such a stream needs the loader's
 * glc_rt_stream_open (open_static has no plan(): glc_rt_stream_plan is GLC_RT_E_ARG). */
typedef struct glc_rt_stream glc_rt_stream;

/* GLC_RT_E_NOT_STREAM if m has no state ports or a state input without its _out output
 * (same dtype and size); GLC_RT_E_NOMEM. *out is NULL on failure. m must outlive the
 * stream. */
glc_rt_status glc_rt_stream_open(const glc_rt_model *m, glc_rt_stream **out);
glc_rt_status glc_rt_stream_open_static(const glc_model_desc *desc, glc_model_invoke_fn invoke,
                                        glc_rt_stream **out);
/* Frame ports: counts (0 for a NULL stream) and infos (NULL if out of range). */
uint32_t glc_rt_stream_n_inputs(const glc_rt_stream *s);
uint32_t glc_rt_stream_n_outputs(const glc_rt_stream *s);
const glc_tensor_info *glc_rt_stream_input(const glc_rt_stream *s, uint32_t i);
const glc_tensor_info *glc_rt_stream_output(const glc_rt_stream *s, uint32_t i);
/* State tensors, in the model's input order (stream_h0, stream_c0, stream_h1, ...). */
uint32_t glc_rt_stream_n_states(const glc_rt_stream *s);
/* The current state i (info->name is its input port's name); writable, to save or seed
 * a state. Valid until the next step, reset or close. NULL if out of range. */
void *glc_rt_stream_state(glc_rt_stream *s, uint32_t i, const glc_tensor_info **info);
/* One step: frame_inputs[i] has glc_rt_stream_input(s, i)->size_bytes bytes, each
 * frame_outputs[i] receives glc_rt_stream_output(s, i)->size_bytes (at the planned dims
 * for a symbolic model). On an error the state is unchanged. */
glc_rt_status glc_rt_stream_step(glc_rt_stream *s, const void *const *frame_inputs,
                                 void *const *frame_outputs);
/* Fixes the frame inputs' dims for the next steps (frame_input_dims[i]: the rank dims of
 * glc_rt_stream_input(s, i)) and writes frame output i's dims to frame_output_dims[i]
 * (the array or an entry may be NULL). The state takes the dims these give its symbols:
 * when they differ from the planned ones, it is reallocated and zeroed. Errors leave
 * the stream as it was: GLC_RT_E_SHAPE for dims the model refuses (or a state dim that
 * is no frame symbol), GLC_RT_E_ARG, GLC_RT_E_NOMEM. For a model without symbols, only
 * its own dims are accepted (and the state is kept). */
glc_rt_status glc_rt_stream_plan(glc_rt_stream *s, const int64_t *const *frame_input_dims,
                                 int64_t *const *frame_output_dims);
glc_rt_status glc_rt_stream_reset(glc_rt_stream *s); /* state back to zero */
void glc_rt_stream_close(glc_rt_stream *s);          /* NULL is fine */

#ifdef __cplusplus
}
#endif

#endif
