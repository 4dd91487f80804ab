/*
 * glc_compile.h -- the glc compiler as a library: an ONNX model, from a file or from bytes,
 * to native code (a shared object by default), in the calling process.
 *
 *   #include <glc_compile.h>
 *
 *   glc_compile_options o = glc_compile_defaults();
 *   o.cpu = "x86-64-v3";                               // optional: default the host's
 *   glc_compile_shape x = {.input = "x", .rank = 2, .dims = {-1, 16}, .names = {"batch"}};
 *   o.shapes = &x, o.n_shapes = 1;                    // x is (batch, 16)
 *   glc_compile_diag d;
 *   if (glc_compile_file("model.onnx", "model.so", &o, &d) != GLC_COMPILE_OK)
 *       fprintf(stderr, "%s\n", d.message);            // one line, names file, node, op
 *
 * The steps are the driver's (`glc MODEL.onnx -o OUT`, which is a client of this header):
 * import -> pass pipeline (the graph verified after each pass; -O0 runs none) -> LLVM
 * codegen -> object -> `cc -shared`. The output is written whole or not at all, and the
 * loaded shared object speaks the ABI of glc_runtime.h.
 *
 * Errors are values: every function returns a status and fills a glc_compile_diag (status
 * and a one-line message). glc prints nothing, and never exits or aborts on bad input: its
 * only output besides out_path is options.log, when the caller sets it. Linking: the shared
 * library libglc_compiler.so (CMake target glc::compiler once installed), which needs
 * LLVM 19's and protobuf-c's shared libraries at run time and `cc` on PATH for .so output.
 *
 * Threads: any thread may call; calls are serialised by a process-wide lock, because LLVM's
 * target registration is not safe to race and, while LLVM checks the CPU and feature names,
 * the process's fd 2 points at a temporary file for a moment (that is how glc turns LLVM's
 * complaints into a diagnostic; other threads' stderr writes in that window land there too).
 * Words of LLVM's that are not about a bad name are passed on to stderr.
 */
#ifndef GLC_COMPILE_H
#define GLC_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GLC_COMPILE_API __attribute__((visibility("default")))
#else
#define GLC_COMPILE_API
#endif

/* Same values as the compiler's internal statuses. */
typedef enum glc_compile_status {
    GLC_COMPILE_OK = 0,
    GLC_COMPILE_E_IO,          /* cannot read the model or a .npy, or write out_path */
    GLC_COMPILE_E_PARSE,       /* malformed model bytes */
    GLC_COMPILE_E_UNSUPPORTED, /* a valid model glc does not handle (names the ops) */
    GLC_COMPILE_E_SHAPE,       /* shapes or dtypes that do not fit */
    GLC_COMPILE_E_INVALID_IR,  /* the verifier found a broken graph */
    GLC_COMPILE_E_LLVM,        /* LLVM rejected the target or the module */
    GLC_COMPILE_E_NOMEM,
    GLC_COMPILE_E_ARG,         /* a bad option: unknown CPU, emit kind, input or limit name */
    GLC_COMPILE_E_LINK,        /* the system linker (cc, ar) failed */
    GLC_COMPILE_E_RUNTIME,
    GLC_COMPILE_E_LIMIT,       /* the model exceeds an import limit (see limits) */
} glc_compile_status;

typedef struct glc_compile_diag {
    glc_compile_status status;
    /* "" on success; else one line, e.g.
     * "model.onnx: node 'lstm_1' (LSTM) [fuse-gates]: shape error: ..." */
    char message[2048];
} glc_compile_diag;

/* What out_path receives (`glc --emit=...`). */
typedef enum glc_compile_emit {
    GLC_COMPILE_EMIT_SO,     /* shared object (default) */
    GLC_COMPILE_EMIT_OBJ,    /* relocatable object */
    GLC_COMPILE_EMIT_ASM,    /* target assembly */
    GLC_COMPILE_EMIT_LLVM,   /* LLVM IR text after optimisation */
    GLC_COMPILE_EMIT_STATIC, /* archive (.a) holding the object */
    GLC_COMPILE_EMIT_HEADER, /* C header for linking obj/static (no code) */
    GLC_COMPILE_EMIT_COUNT
} glc_compile_emit;

#define GLC_COMPILE_MAX_RANK 8

/* `--shape INPUT=D0xD1x...`: dims[k] >= 0 fixes axis k, -1 keeps the model's, and a
 * non-NULL names[k] makes axis k that symbol (dims[k] ignored). */
typedef struct glc_compile_shape {
    const char *input;
    int rank;
    int64_t dims[GLC_COMPILE_MAX_RANK];
    const char *names[GLC_COMPILE_MAX_RANK];
} glc_compile_shape;
/* `--dim NAME=N` (every dim named NAME is N) and `--max-dim NAME=N` (symbol NAME <= N). */
typedef struct glc_compile_dim {
    const char *name;
    int64_t value;
} glc_compile_dim;
/* `--bind INPUT=FILE.npy`: graph input INPUT becomes a constant holding the array. */
typedef struct glc_compile_binding {
    const char *input, *npy_path;
} glc_compile_binding;
/* `--limit NAME=N`: one of the import's resource limits ("nodes", "file-bytes", ...). */
typedef struct glc_compile_limit {
    const char *name;
    uint64_t value;
} glc_compile_limit;

/* Start from glc_compile_defaults(); every pointer may be NULL (then its count is 0). The
 * strings and arrays are read during the call only. */
typedef struct glc_compile_options {
    int opt_level;         /* 0..3 (default 3); 0 also runs no graph pass */
    glc_compile_emit emit; /* default GLC_COMPILE_EMIT_SO */
    const char *cpu;       /* NULL: $GLC_DEFAULT_CPU, else the host's */
    const char *features;  /* LLVM features, "+avx512f,..."; NULL: the CPU's (host: host's) */
    const char *triple;    /* NULL: the host's */
    const char *prefix;    /* exported symbol prefix, a C identifier; NULL: "glc_model" */
    bool stream;           /* compile one time step with state ports (`--stream`) */
    bool winograd, bf16_dot, bf16_weights; /* `--winograd`, `--bf16`, `--bf16-weights` */
    const glc_compile_shape *shapes;
    uint32_t n_shapes;
    const glc_compile_dim *dims, *max_dims;
    uint32_t n_dims, n_max_dims;
    const glc_compile_binding *bindings;
    uint32_t n_bindings;
    const glc_compile_limit *limits;
    uint32_t n_limits;
    /* Progress lines (phases and timings, the driver's -v), one per call, no newline. */
    void (*log)(void *user, const char *line);
    void *log_user;
    const char *disable_pass; /* cli name of one graph pass not to run (`--disable-pass`) */
} glc_compile_options;

GLC_COMPILE_API glc_compile_options glc_compile_defaults(void);

/* Compiles the ONNX model at model_path into out_path. o NULL = defaults; diag may be NULL.
 * Returns diag->status. Nothing is written to out_path unless the result is OK. */
GLC_COMPILE_API glc_compile_status glc_compile_file(const char *model_path, const char *out_path,
                                                    const glc_compile_options *o,
                                                    glc_compile_diag *diag);
/* The same for a serialized ModelProto in memory; name (may be NULL) is what diagnostics
 * call it. The bytes are read during the call only. */
GLC_COMPILE_API glc_compile_status glc_compile_bytes(const void *bytes, size_t len,
                                                     const char *name, const char *out_path,
                                                     const glc_compile_options *o,
                                                     glc_compile_diag *diag);

/* glc's version, "0.1.0". */
GLC_COMPILE_API const char *glc_compile_version(void);

#ifdef __cplusplus
}
#endif

#endif
