/*
 * codegen.h -- lowering a verified, shape-inferred graph to native code via LLVM-C.
 *
 *   glc_codegen_options o = glc_codegen_defaults();
 *   o.opt_level = 3;
 *   if (glc_codegen_emit(g, &o, "model.so", &diag) != GLC_OK) ...
 *
 * The emitted code exports the ABI of runtime/include/glc_runtime.h with symbol
 * prefix o.prefix: <prefix>_describe() and <prefix>_invoke(). Weights are read-only data in
 * the object. Kernels are LLVM IR specialised to the graph's static shapes and the
 * target CPU. No LLVM type appears outside codegen/.
 */
#ifndef GLC_CODEGEN_CODEGEN_H
#define GLC_CODEGEN_CODEGEN_H

#include "ir.h"

typedef enum glc_emit_kind {
    GLC_EMIT_SO,   /* shared object, linked with the system C compiler */
    GLC_EMIT_OBJ,  /* relocatable object */
    GLC_EMIT_ASM,  /* target assembly */
    GLC_EMIT_LLVM, /* textual LLVM IR after optimisation */
    GLC_EMIT_STATIC, /* static archive (.a) holding the object, made with $AR or ar */
    GLC_EMIT_HEADER, /* C header for static linking (header.c); no code is emitted */
} glc_emit_kind;

typedef struct glc_codegen_options {
    int opt_level;      /* 0..3 */
    const char *cpu;    /* NULL = $GLC_DEFAULT_CPU, else the host CPU (none with triple) */
    const char *features; /* NULL = host features, or none when a cpu is named (by cpu or
                             GLC_DEFAULT_CPU) or triple is given */
    const char *triple; /* NULL = host triple */
    const char *prefix; /* symbol prefix, default "glc_model" */
    const char *cc;     /* linker driver, default $CC or "cc" */
    const char *ar;     /* archiver for GLC_EMIT_STATIC, default $AR or "ar" */
    glc_emit_kind emit;
    bool verbose;       /* report steps and timings: to log if set, else to stderr */
    void (*log)(void *user, const char *line); /* one line, no newline; NULL = stderr */
    void *log_user;
    bool bf16_weights;  /* constant B operands of products (RNN/GridLSTM weights, MatMul and
                           Gemm constants) packed as bf16 and widened to f32 in the
                           micro-kernel: half the weight bytes, f32 arithmetic */
    bool bf16_dot;      /* every matrix product (convolutions included) as bf16 dot products
                           (vdpbf16ps, avx512bf16): both operands rounded to bf16, pairs of
                           products summed in f32; twice the FMA peak, ~1e-2 relative */
    bool winograd;      /* 3x3 and 5x5 convolutions with constant weights as Winograd
                           F(4x4,3x3) / F(2x2,5x5) (codegen/winograd.c): faster, rounds
                           differently (about 1e-6 relative, see BENCHMARKS.md) */
} glc_codegen_options;

/* codegen.c */
glc_codegen_options glc_codegen_defaults(void);
/* Whether p can be the symbol prefix (it starts C identifiers): letters, digits and '_',
 * not empty, not a digit first. */
bool glc_codegen_valid_prefix(const char *p);
/* With o->verbose: formats one line and hands it to o->log (or stderr when NULL). */
void glc_codegen_log(const glc_codegen_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes out_path whole or not at all (temporary file + rename).
 * Errors: GLC_E_UNSUPPORTED (an op with no lowering), GLC_E_ARG (a CPU or feature name
 * LLVM does not know), GLC_E_LLVM (bad target, invalid module, emission failure),
 * GLC_E_LINK (cc failed), GLC_E_IO (cannot write out_path). Names given by options or
 * GLC_DEFAULT_CPU are checked as glc_codegen_target_check does (stderr redirected). */
glc_status glc_codegen_emit(const glc_graph *g, const glc_codegen_options *o,
                            const char *out_path, glc_diag *d);
/* The host CPU name as LLVM sees it ("znver5"); caller frees with free(). */
char *glc_codegen_host_cpu(void);

/* target.c: the target a compilation with given options is for.
 *
 *   glc_codegen_target t;
 *   if (glc_codegen_target_resolve(&o, &t, &diag) != GLC_OK) ...
 *   bool tiles512 = glc_codegen_target_has(&t, "avx512f");
 *   glc_codegen_target_fini(&t);
 *
 * The environment variable GLC_DEFAULT_CPU (e.g. x86-64-v3) replaces the host CPU and its
 * features wherever options name neither cpu nor triple: a named CPU brings its own
 * instructions, and glc assumes no feature beyond those listed in features. */
typedef struct glc_codegen_target {
    char *triple, *cpu, *features; /* owned (free); cpu "" = the triple's baseline */
    const char *cpu_source; /* where cpu came from: "--cpu", "GLC_DEFAULT_CPU", "host" or
                               "--target" (a triple without a cpu) */
} glc_codegen_target;
/* Fills *t as glc_codegen_emit would choose. Names are not checked (see below).
 * Errors: GLC_E_NOMEM. */
glc_status glc_codegen_target_resolve(const glc_codegen_options *o, glc_codegen_target *t,
                                      glc_diag *d);
void glc_codegen_target_fini(glc_codegen_target *t);
/* Whether t's feature list turns `feature` on ("avx512f", no sign): the list glc sizes its
 * kernels by, i.e. what glc will emit (AVX-512 tiles, --bf16's vdpbf16ps), not what the
 * host can run (ask the CPU, e.g. __builtin_cpu_supports, for that). */
bool glc_codegen_target_has(const glc_codegen_target *t, const char *feature);
/* Checks that LLVM knows o's triple, cpu and feature names (whoever named them: options or
 * GLC_DEFAULT_CPU), as glc_codegen_emit does first. Errors: GLC_E_ARG (an unknown CPU or
 * feature: the message names it, where it came from and how to list the valid ones),
 * GLC_E_LLVM (an unknown triple). Redirects the process's stderr while LLVM runs. */
glc_status glc_codegen_target_check(const glc_codegen_options *o, glc_diag *d);
/* The CPU names (or, with features, the feature names) LLVM knows for o's triple, one per
 * line, in *out (caller frees). LLVM gives its lists once per process: a second call
 * fails with GLC_E_LLVM. */
glc_status glc_codegen_target_names(const glc_codegen_options *o, bool features, char **out,
                                    glc_diag *d);

#endif
