/*
 * cg_impl.h -- module-private state of the codegen layer.
 *
 * One cg_ctx holds every LLVM object of one compilation: context, module, builder,
 * target machine, the common types, the graph and options, and the per-value pointer
 * table used while emitting <prefix>_invoke. cg_ctx_init() creates it in one place and
 * cg_ctx_fini() disposes it in reverse order; nothing else owns LLVM state.
 *
 * Kernels: every node becomes one internal function `void k(ptr noalias out..., ptr
 * noalias in...)` specialised to the static shapes. Outputs never alias inputs because
 * every value has its own storage (workspace slot, caller buffer or constant global).
 */
#ifndef GLC_CODEGEN_CG_IMPL_H
#define GLC_CODEGEN_CG_IMPL_H

#include "codegen.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

typedef struct cg_ctx {
    const glc_graph *g;
    const glc_codegen_options *o;
    glc_diag *d;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTargetMachineRef tm;
    glc_codegen_target tgt; /* triple, cpu and features (target.c) */
    bool avx512;
    bool avx512bf16; /* the target has vdpbf16ps (+avx512bf16) */
    const struct cg_isa *isa; /* the kernels' tiling row (isa.c), set by cg_target_init */
    LLVMTypeRef i8, i32, i64, f32, ptr, void_t;
    LLVMValueRef *vptr; /* per value id: pointer inside <prefix>_invoke, or NULL */
    glc_dim *ws_off;    /* per value id: workspace offset (bytes), -1 if none */
    uint32_t *root;     /* per value id: the value whose storage it uses (itself, or the
                           input of the view nodes that produce it: model.c) */
    glc_dim ws_size;
    glc_dim scratch_off; /* workspace offset of the node scratch region (see lower.c) */
    LLVMValueRef syms;   /* i64 * of the symbols' values in the function being emitted (a
                            kernel's last parameter, a task's capture), or NULL: dims.c */
    LLVMValueRef par_tls; /* thread-local glc_parallel * of the running call (cg_par_tls) */
    struct cg_dim_scopes *dscopes; /* dims.c: the memos of the functions being emitted */
} cg_ctx;

/* isa.c: the per-ISA tiling table. A tile is mr rows x nv vectors of vl floats; tile[]
 * by panel kind (cg_isa_panel_kind): the default panels, panels of 3 gates, of 4 gates. */
typedef struct cg_tile {
    int mr, nv;
} cg_tile;
typedef struct cg_isa {
    const char *name; /* "avx512", "avx2", "neon", "generic" */
    int vl;           /* f32 lanes of the kernels' vectors */
    int vregs;        /* vector registers */
    int chains;       /* independent FMA chains that keep the FMA pipes busy */
    cg_tile tile[3];  /* by panel kind */
    cg_tile narrow;   /* default panels' alternative for products of few panels (gemm.c's
                         pick_tile), {0, 0}: none */
    int64_t kc;       /* max K block: a KC x NR block of B stays in L1 */
    int64_t ablock;   /* max floats of an M x K block of A kept in L2 */
    bool y_late;      /* a tile that accumulates onto Y prefetches its rows and adds them
                         after the k loop, not as the accumulators' start (gemm.c) */
    int vector_bits;  /* "prefer-vector-width" of every function; 0: the target's default */
} cg_isa;
/* The row for a target triple (x86: by +avx512f; AArch64: neon; else generic). */
const cg_isa *cg_isa_select(const char *triple, bool avx512f);
/* Index into cg_isa.tile of cg_gemm.panel_gates (0, 3 or 4). */
int cg_isa_panel_kind(int panel_gates);

/* target.c */
glc_status cg_target_init(cg_ctx *c);
void cg_target_fini(cg_ctx *c);
void cg_fn_attrs(cg_ctx *c, LLVMValueRef fn); /* target-cpu/features, nounwind, ... */

/* model.c: the thread-local `const glc_parallel *` that <prefix>_invoke_with sets for the
 * duration of a call (NULL: run on the calling thread); kernels read it to split work. */
LLVMValueRef cg_par_tls(cg_ctx *c);
LLVMTypeRef cg_parallel_type(cg_ctx *c); /* glc_parallel as an LLVM struct */
/* par.c: loops split into tasks for the thread pool (see par.c). Between cg_par_begin and
 * cg_par_end the builder is in the task function and the body loops over [p->lo, p->hi)
 * (i64) of `items`; the values *caps[k] are the task's copies. Without split (or one
 * item) nothing is outlined and [lo, hi) = [0, items). tasks_per_thread (4 by default) may
 * be raised between begin and end: finer tasks, a shorter wait for the last one. */
#define CG_PAR_MAX_CAPS 32
typedef struct cg_par {
    bool split;
    int64_t items;         /* -1: known at run time only (items_v) */
    LLVMValueRef items_v;  /* the items as an i64 value */
    LLVMValueRef lo, hi;
    LLVMValueRef fn;
    LLVMBasicBlockRef here;
    LLVMTypeRef clt;
    LLVMValueRef *slot[CG_PAR_MAX_CAPS + 2], orig[CG_PAR_MAX_CAPS + 2]; /* + syms, items */
    int n;
    int tasks_per_thread;
    int64_t min_items; /* run-time items: fewer than this run on the calling thread (may be
                          raised between begin and end; at least 2) */
} cg_par;
void cg_par_begin(cg_ctx *c, cg_par *p, int64_t items, bool split, LLVMValueRef **caps,
                  int n_caps, const char *name); /* name: of the body, e.g. "par" */
/* The same for items known only at run time (an i64 value; one item or none then runs on
 * the calling thread). */
void cg_par_begin_v(cg_ctx *c, cg_par *p, LLVMValueRef items, bool split, LLVMValueRef **caps,
                    int n_caps, const char *name);
void cg_par_end(cg_ctx *c, cg_par *p);

/* emit.c: whether the output gets the embedded pool (runtime/pool.c): host .so and .a. */
bool cg_links_pool(const cg_ctx *c);

/* loops.c: top-tested counted loops over i64 induction variables. */
typedef struct cg_loop {
    LLVMBasicBlockRef header, latch, exit;
    LLVMValueRef iv;
} cg_loop;
LLVMValueRef cg_loop_begin(cg_ctx *c, cg_loop *l, int64_t n); /* returns iv; at body */
LLVMValueRef cg_loop_begin_v(cg_ctx *c, cg_loop *l, LLVMValueRef n); /* n: an i64 value */
/* Marks the loop whose latch branch is latch_br (cg_loop's latch terminator, after
 * cg_loop_end) llvm.loop.unroll.disable, and vectorize.enable false if no_vectorize. */
void cg_loop_no_unroll(cg_ctx *c, LLVMValueRef latch_br, bool no_vectorize);
/* Asks the loop vectorizer to interleave the loop ending in latch_br count times: as many
 * independent vector chains per iteration (for loops of long dependent chains). */
void cg_loop_interleave(cg_ctx *c, LLVMValueRef latch_br, int count);
/* cg_loop_end for the elementwise loop of a recurrent cell of about n iterations:
 * interleaved twice when n >= 64, since its activations are long chains of dependent
 * operations and two independent chains keep more of the core busy (W6 batch 16: 3.5 %
 * faster; four: no better); shorter loops would leave the interleaved body unused. */
void cg_cell_loop_end(cg_ctx *c, cg_loop *l, int64_t n);
/* for i in [lo, hi) (i64 values): returns i, not the 0-based iv. */
LLVMValueRef cg_loop_range(cg_ctx *c, cg_loop *l, LLVMValueRef lo, LLVMValueRef hi);
void cg_loop_end(cg_ctx *c, cg_loop *l);                      /* builder at exit */
LLVMValueRef cg_i64(cg_ctx *c, int64_t v);
LLVMValueRef cg_f32(cg_ctx *c, double v);
/* &base[idx] for an element type. */
LLVMValueRef cg_gep(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef base, LLVMValueRef idx);
/* idx*k + add, folding k == 0/1. */
LLVMValueRef cg_madd(cg_ctx *c, LLVMValueRef idx, int64_t k, LLVMValueRef add);
/* The same for an i64 value k (as cg_madd when k is a constant). */
LLVMValueRef cg_madd_v(cg_ctx *c, LLVMValueRef idx, LLVMValueRef k, LLVMValueRef add);
/* The stride an operand of dim vdim takes along an output axis of dim odim (numpy
 * broadcasting; st: its stride when it does not broadcast): 0 when vdim is 1, st when it
 * is odim, else chosen at run time (a symbol that may be 1). */
LLVMValueRef cg_bcast_stride(cg_ctx *c, glc_dim vdim, glc_dim odim, LLVMValueRef st);
/* Row-major strides (elements) of dims, symbolic ones included, as i64 values. */
void cg_strides_dim(cg_ctx *c, int rank, const glc_dim *dims, LLVMValueRef *strides);
/* A kernel function with n_ptr noalias pointer params (and, when the graph has symbols, a
 * last one, the symbols' values, as c->syms); builder at its entry. */
LLVMValueRef cg_kernel_begin(cg_ctx *c, const char *name, int n_ptr);
void cg_kernel_end(cg_ctx *c);
LLVMTypeRef cg_elem_type(cg_ctx *c, glc_dtype t); /* f32/i32/i64; NULL otherwise */
LLVMTypeRef cg_int_type_of_size(cg_ctx *c, size_t bytes);
LLVMValueRef cg_alloca_entry(cg_ctx *c, LLVMTypeRef ty);
/* A private, 64-byte aligned constant global holding a copy of data[0..n) bytes. */
LLVMValueRef cg_const_bytes(cg_ctx *c, const void *data, size_t n, const char *name);
/* f32 p[i] load/store; float add/mul; i64 nsw add (cg_addk folds k == 0). */
LLVMValueRef cg_ldf(cg_ctx *c, LLVMValueRef p, LLVMValueRef i);
void cg_stf(cg_ctx *c, LLVMValueRef v, LLVMValueRef p, LLVMValueRef i);
LLVMValueRef cg_fadd(cg_ctx *c, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_fmul(cg_ctx *c, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_iadd(cg_ctx *c, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_addk(cg_ctx *c, LLVMValueRef i, int64_t k);
/* if (cond) { then } else { else }: cg_if_begin leaves the builder in then, cg_if_else
 * moves it to else, cg_if_end to the join block. */
typedef struct cg_if {
    LLVMBasicBlockRef els, join;
} cg_if;
void cg_if_begin(cg_ctx *c, cg_if *f, LLVMValueRef cond);
void cg_if_else(cg_ctx *c, cg_if *f);
void cg_if_end(cg_ctx *c, cg_if *f);

/* dims.c: a dim (ir/dim.h) as an i64 value at the builder position; symbols are read
 * from c->syms. cg_dim_checked ORs overflow and non-positive divisors into *bad (i1). */
LLVMValueRef cg_dim(cg_ctx *c, glc_dim d);
LLVMValueRef cg_dim_checked(cg_ctx *c, glc_dim d, LLVMValueRef *bad);
bool cg_symbolic(const cg_ctx *c); /* the graph has symbols: kernels take c->syms */
/* Per-function memos of dims (see dims.c), for graphs with symbols (else no-ops).
 * cg_dims_hoist_begin, where c->syms has its values and the rest of the function follows:
 * branches to a new block that will hold each dim the function uses, computed once, then
 * to a block where the builder continues. cg_dims_memo_begin: memoises checked dims at the
 * builder (straight-line code only). cg_dims_end closes the scope of the function at the
 * builder. cg_dims_init (cg_ctx_init; shared by the contexts copied from c) and
 * cg_dims_fini (cg_ctx_fini) make and free the scopes' stack. */
glc_status cg_dims_init(cg_ctx *c);
void cg_dims_hoist_begin(cg_ctx *c);
void cg_dims_memo_begin(cg_ctx *c);
void cg_dims_end(cg_ctx *c);
void cg_dims_fini(cg_ctx *c);

/* bcast.c: the loop nest of an elementwise kernel over output o, its operands v[0..n)
 * (NULL: absent) broadcast to o numpy-style; see bcast.c. cg_bcast_emit calls body at the
 * innermost point with idx[0] the output's element index and idx[1 + k] operand k's
 * (NULL if absent), in the output's row-major order. */
#define CG_BCAST_MAX GLC_EW_MAX_IN
typedef struct cg_bcast {
    int rank, n; /* loops, operands */
    glc_dim dims[GLC_MAX_RANK];                 /* possibly symbolic (ir/dim.h) */
    glc_dim st[CG_BCAST_MAX + 1][GLC_MAX_RANK]; /* [0]: the output, [1 + k]: operand k */
    glc_dim rb[CG_BCAST_MAX + 1][GLC_MAX_RANK]; /* a symbolic operand dim that may be 1 at
                                                   run time (stride 0 then), or 0 */
    bool present[CG_BCAST_MAX + 1];
} cg_bcast;
typedef void (*cg_bcast_body)(cg_ctx *c, void *ctx, LLVMValueRef *idx);
void cg_bcast_plan(const cg_ctx *c, cg_bcast *p, const glc_value *o, const glc_value *const *v,
                   int n);
void cg_bcast_emit(cg_ctx *c, const cg_bcast *p, cg_bcast_body body, void *ctx);

/* math.c */
LLVMValueRef cg_math_exp(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_tanh(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_sigmoid(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_log(cg_ctx *c, LLVMValueRef x); /* natural log, f32 (nn helper) */
/* more f32 functions (the elementwise ops'); see math.c for their methods and accuracy */
LLVMValueRef cg_math_sin(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_cos(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_tan(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_asin(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_acos(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_atan(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_sinh(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_cosh(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_asinh(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_acosh(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_atanh(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_expm1(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_log1p(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_erf(cg_ctx *c, LLVMValueRef x);
LLVMValueRef cg_math_erfc(cg_ctx *c, LLVMValueRef x);

/* lower.c + lower_*.c: emit node n's kernel; returns its function in *fn. */
glc_status cg_lower_node(cg_ctx *c, const glc_node *n, LLVMValueRef *fn);
/* Bytes of scratch node n's kernel wants (0: none). A kernel that wants scratch takes one
 * more pointer parameter after its inputs: a 64-byte-aligned region of that many bytes in
 * the workspace, valid only during the call (all nodes share it). Each family answers
 * through its lower_<family>_scratch(); see lower.c. */
glc_dim cg_node_scratch_bytes(const cg_ctx *c, const glc_node *n);
/* The lowerings, one per kernel column of ops.def (lower_<kernel> in lower_<family>.c). */
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, st, ty, kern, inf)                              \
    glc_status lower_##kern(cg_ctx *c, const glc_node *n, LLVMValueRef *fn);
#include "ops.def"
#undef OP
/* lower_activation.c: a(x) for x an f32 or <N x float>; see ir/activation.h. */
#include "activation.h"
LLVMValueRef cg_act_emit(cg_ctx *c, const glc_act *a, LLVMValueRef x);
/* Exported test kernels glc_test_act<k>/glc_test_actv<k> (cg_testing.h). */
void cg_act_test_kernels(cg_ctx *c, const glc_act *acts, int n_acts);

/* lower_nn.c: a convolution (geometry ir/conv.h, sizes possibly symbolic), emitted at the builder
 * position inside the caller's kernel: for b < N, m < M and every output position,
 *   y[b, m, o...] (=, or += when accumulate) bias[m] + sum over c < C/group and taps j of
 *     w[m, c, j...] * x[b, (m / (M/group)) * (C/group) + c, o*stride - pad_begin + j*dilation]
 * (taps in the padding read zero). Pointers are f32; y is (N, M, out...), x (N, C, in...),
 * w (M, C/group, k...), bias (M) or NULL. Samples are x_nstride / y_nstride elements apart
 * (0: dense, C*prod(in) and M*prod(out)); channels and positions are dense. y must not
 * overlap x or w. w_const: w's values as host data when they are constant (else NULL), so
 * the products can pack them at compile time. scratch points at cg_conv_scratch_bytes()
 * bytes of 64-aligned workspace (NULL when that is 0; the LLVM values of cv are not read
 * by it). Only GLC_E_NOMEM can fail. Used by Conv (lower_nn.c) and ConvLSTM. */
#include "conv.h"
typedef struct cg_conv {
    const glc_conv_geom *geom;
    LLVMValueRef y, x, w, bias, scratch;
    const float *w_const;
    int64_t x_nstride, y_nstride;
    bool accumulate;
} cg_conv;
uint64_t cg_conv_scratch_bytes(const cg_ctx *c, const cg_conv *cv);
glc_status cg_conv_emit(cg_ctx *c, const cg_conv *cv);
uint64_t lower_nn_scratch(const cg_ctx *c, const glc_node *n); /* Conv's */
/* Whether a geometry is static but for its batch: lower_nn.c's paths (and Winograd) take
 * it, the batch a run-time trip count; any other symbolic size takes conv_rt.c's. */
bool cg_conv_static(const glc_conv_geom *g);
/* conv_rt.c: cg_conv_emit and its scratch for a geometry with symbolic sizes. */
uint64_t cg_conv_rt_scratch_bytes(const cg_ctx *c, const cg_conv *cv);
glc_status cg_conv_rt_emit(cg_ctx *c, const cg_conv *cv);
/* winograd.c: the Winograd path cg_conv_emit takes when cg_wino_applies (see winograd.c). */
bool cg_wino_applies(const cg_ctx *c, const cg_conv *cv);
uint64_t cg_wino_scratch_bytes(const cg_conv *cv);
glc_status cg_wino_emit(cg_ctx *c, const cg_conv *cv);

/* gemm.c: the one matrix-product emitter every heavy kernel goes through (MatMul, Gemm,
 * convolutions as im2col products, recurrent gate products). At the builder position in
 * the caller's kernel, for i < M, j < N:
 *   Y(i, j) (=, or += when accumulate) sum over k < K of A(i, k) * B(k, j)
 * with A(i, k) = a[i*a_rs + k*a_cs], B(k, j) = b[k*b_rs + j*b_cs], Y(i, j) = y[i*y_rs + j]
 * (f32 element strides; Y's rows are contiguous). a, b, y are f32 pointers that may be
 * computed inside the caller's loops. An operand whose values are known at compile time (a
 * weight) may also be given as host data through a_const/b_const, addressed by the same
 * strides from element 0; the emitter may then pack it into a constant global in its own
 * layout and ignore a/b. scratch points at cg_gemm_scratch_bytes() bytes of 64-aligned
 * workspace (NULL when that is 0) for packing runtime operands. Y must not overlap A or B.
 * K == 0 stores zeros (or leaves Y when accumulating).
 *
 * Epilogue: when `epilogue` is set (and K > 0) it is called, at emission, once for every tile
 * right after the tile's final values are stored (the last K block): Y rows [i0, i0 +
 * rows), columns [j0, j0 + w), y as seen where it runs (in a task, the task's copy). The
 * tiles partition Y, so an epilogue may update state owned by its tile's rows and columns
 * without synchronisation; tiles of one column panel (cg_gemm_panel_cols() columns, the
 * last possibly narrower) always share j0 and w. When the product runs as tasks, the
 * caller values the epilogue uses must be listed in ep_caps (as for cg_par_begin). */
typedef void (*cg_gemm_epilogue)(cg_ctx *c, void *ctx, LLVMValueRef y, LLVMValueRef i0,
                                 int64_t rows, LLVMValueRef j0, int64_t w);
typedef struct cg_gemm {
    int64_t M, N, K;
    LLVMValueRef Mv; /* NULL, or M as an i64 value known only at run time (symbolic dims);
                        then M is a hint of its size (-1: none). Callers sizing scratch
                        before emitting pass M = -1 for such a product. */
    LLVMValueRef a, b, y, scratch;
    int64_t a_rs, a_cs, b_rs, b_cs, y_rs;
    const float *a_const, *b_const;
    bool accumulate;
    bool serial; /* never split into tasks (the caller is a task already) */
    int panel_gates; /* 0: the default panels; 3 or 4: panels whose width is a multiple of
                        3 or 4 (the gates of whole units side by side, for a fused cell's
                        epilogue); shapes from the target's row (c->isa) */
    cg_gemm_epilogue epilogue;
    void *ep_ctx;
    LLVMValueRef **ep_caps;
    int ep_ncaps;
} cg_gemm;
uint64_t cg_gemm_scratch_bytes(const cg_ctx *c, const cg_gemm *g);
/* Columns of one panel of B (the tiles' width) for cg_gemm.panel_gates, from the target's
 * row (AVX-512: 32; with 3 or 4 gates, 48 or 64). */
int64_t cg_gemm_panel_cols(const cg_ctx *c, int panel_gates);
/* The rows and columns of the tiles product g runs with (its panel kind's, or the row's
 * narrow tile: see gemm.c). */
void cg_gemm_tile(const cg_ctx *c, const cg_gemm *g, int *mr, int *nr);
/* x rounded to bf16 (nearest even), as its 16 bits: the upper half of a float. */
uint16_t cg_bf16(float x);
glc_status cg_gemm_emit(cg_ctx *c, const cg_gemm *g);
/* A product whose N or K is known only at run time (symbolic dims; every field an i64
 * value but the pointers): a plain loop nest, Y(i, j) (=, or += when accumulate) sum over
 * k of A(i, k) B(k, j) with the strides as in cg_gemm. */
typedef struct cg_gemm_rt {
    LLVMValueRef M, N, K, a, b, y, a_rs, a_cs, b_rs, b_cs, y_rs;
    bool accumulate;
} cg_gemm_rt;
void cg_gemm_emit_rt(cg_ctx *c, const cg_gemm_rt *g);
/* gemm_testing.c: the exported kernels of glc_codegen_emit_gemms() (cg_testing.h). */
struct glc_gemm_test;
glc_status cg_gemm_test_kernels(cg_ctx *c, struct glc_gemm_test *t, int n);

/* the families' scratch sizes (see lower.c) */
glc_dim lower_rnn_scratch(const cg_ctx *c, const glc_node *n);       /* lower_rnn.c */
glc_dim lower_mdlstm_scratch(const cg_ctx *c, const glc_node *n);    /* lower_mdlstm.c */
glc_dim lower_pool_scratch(const cg_ctx *c, const glc_node *n);      /* lower_pool.c */
glc_dim lower_convlstm_scratch(const cg_ctx *c, const glc_node *n);  /* lower_convlstm.c */
glc_dim lower_gridlstm_scratch(const cg_ctx *c, const glc_node *n);  /* lower_gridlstm.c */
glc_dim lower_linalg_scratch(const cg_ctx *c, const glc_node *n);    /* lower_linalg.c: Det */
glc_dim lower_resize_scratch(const cg_ctx *c, const glc_node *n);    /* lower_resize.c */

/* lower.c: the index idx[k] (dt i32 or i64) made non-negative against dim (an i64 value),
 * *ok whether it was in [-dim, dim); an out-of-range one becomes 0, so a load it
 * addresses stays in bounds (Gather, GatherElements, ScatterElements, the ND ops). */
LLVMValueRef cg_load_index(cg_ctx *c, glc_dtype dt, LLVMValueRef idx, LLVMValueRef k,
                           LLVMValueRef dim, LLVMValueRef *ok);
/* lower.c: the chunks of a hoisted input projection (the recurrent families). The most
 * items (steps, positions) per chunk that node n's glc_hoist_steps allows
 * (passes/hoist_projections.c): the attribute when >= 1; when negative (-1: left to run
 * time, for symbolic sizes) as many as fit the cache budget, GLC_HOIST_BUDGET_FLOATS /
 * per_item floats, at least 1; 0 or absent (as at -O0): 1. */
glc_dim cg_hoist_chunk_max(const glc_graph *g, const glc_node *n, glc_dim per_item);
/* total items in *n_chunks balanced chunks of at most max: n_chunks - 1 of *len items,
 * the last of *last (<= *len); all 0 when total is 0 (total >= 1 when symbolic). */
void cg_chunks_plan(const glc_graph *g, glc_dim total, glc_dim max, glc_dim *n_chunks,
                    glc_dim *len, glc_dim *last);

/* model.c */
glc_status cg_model_build(cg_ctx *c);
/* model.c: body b (a Loop's) as an internal function i32 (in[], NULL, out[], ws, 0, syms)
 * compiled as the top graph is; the bytes of workspace it needs (an expression of the
 * root graph's symbols). */
glc_status cg_body_build(cg_ctx *c, const glc_graph *b, const char *name, LLVMValueRef *fn);
glc_dim cg_body_ws_bytes(const cg_ctx *c, const glc_graph *b);
/* lower_control.c: a Loop inline in the function being built (scratch: its node scratch,
 * lower_loop_scratch bytes); returns from that function with the body's failure. */
glc_status cg_emit_loop(cg_ctx *c, const glc_node *n, LLVMValueRef scratch);
glc_dim lower_loop_scratch(const cg_ctx *c, const glc_node *n);
/* bind.c (after the workspace layout): glc.bind, the check of a call's input dims (see
 * bind.c), <prefix>_plan, an alloca for the symbols' values, and `return status if it
 * is not 0` at the builder position. */
LLVMValueRef cg_build_bind(cg_ctx *c);
void cg_build_plan(cg_ctx *c, LLVMValueRef bind);
LLVMValueRef cg_syms_alloca(cg_ctx *c);
void cg_return_if_error(cg_ctx *c, LLVMValueRef status);

/* header.c: the --emit=header C header (after cg_model_build: needs ws_size). */
glc_status cg_write_header(cg_ctx *c, const char *path);

/* emit.c */
glc_status cg_emit_module(cg_ctx *c, const char *out_path);

/* Row-major strides of dims (elements). */
void cg_strides(int rank, const int64_t *dims, int64_t *strides);

#endif
