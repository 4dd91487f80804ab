/*
 * rnn_small.h -- the step of an LSTM, GRU or RNN at batches of at most
 * RNN_SMALL_MAX_BATCH rows (rnn_small.c), for lower_rnn.c: a matrix-vector product over R
 * packed for it, each block of units' cells run on the product's vector registers.
 */
#ifndef GLC_CODEGEN_RNN_SMALL_H
#define GLC_CODEGEN_RNN_SMALL_H

#include "cg_impl.h"
#include "rnn.h"

enum { RNN_SMALL_MAX_BATCH = 4 };

/* Offsets (floats) of batch row b's data in the step: its xw row (gate g of unit j at
 * xw[xr + g*H + j]), its state row (hr, hw, cs, rh and zs at hb + j), its Y row (yo + j;
 * NULL without Y). With sequence_lens, live is an i1: the step is within the row's
 * length; past it the row keeps its state (hw = hr) and writes zeros to Y at yz + j (NULL
 * without Y). live NULL: every row is always live. */
typedef struct rnn_small_row {
    LLVMValueRef xr, hb, yo;
    LLVMValueRef live, yz;
    LLVMValueRef xi; /* with wd: the row's input at this step is x[xi + k], k < I */
} rnn_small_row;

/* One step of direction d. The cells are those of lower_rnn.c (same operations, same
 * order), the hidden product's k sums split differently: outputs agree to rounding. A GRU
 * with linear_before_reset = 0 runs two passes, as lower_rnn.c: the z and r gates' product
 * (z to zs, r h to rh), then rh R_h^T and the h update. */
typedef struct rnn_small_step {
    const glc_rnn_desc *r;
    const glc_act *act; /* the direction's activations */
    int d;
    const float *rd; /* R_d (G*H, H), host data */
    const float *wd; /* W_d (G*H, I), host data: the step computes the input projection
                      * itself (x W_d^T in the same accumulators; xw unused), or NULL: it
                      * reads it from xw */
    int64_t in;      /* I (with wd) */
    LLVMValueRef x;  /* the X input (with wd; rows at `row`'s xi) */
    int64_t rows;    /* batch rows, 1 .. RNN_SMALL_MAX_BATCH */
    LLVMValueRef xw; /* the step's input projection (rows from `row`) */
    LLVMValueRef bs; /* Wb_d + Rb_d (G*H; GRU h gate: Wb_h), or NULL without B */
    LLVMValueRef bias, p; /* the B and P inputs, or NULL */
    LLVMValueRef cs;      /* LSTM cell state (N, H), updated in place */
    LLVMValueRef hr, hw;  /* h before the step (read), after it (written): distinct */
    LLVMValueRef rh, zs;  /* GRU linear_before_reset = 0: r h and z, (N, H) scratch each */
    LLVMValueRef y;       /* Y, or NULL */
    void (*row)(void *ctx, LLVMValueRef b, rnn_small_row *out);
    void *ctx;
    LLVMValueRef **caps; /* the caller's values `row` reads (captured when split) */
    int ncaps;
} rnn_small_step;

/* Whether the small step is faster than the GEMM one for r on c's target (measured;
 * rnn_small.c), and c's options leave R in f32 (no --bf16-weights, no --bf16). */
bool rnn_small_pays(const cg_ctx *c, const glc_rnn_desc *r);

/* Emits the step at the builder position. Only GLC_E_NOMEM can fail. */
glc_status rnn_small_emit(cg_ctx *c, const rnn_small_step *s);

#endif
