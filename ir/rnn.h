/*
 * rnn.h -- the parsed form of an ONNX LSTM / GRU / RNN node, shared by shape inference
 * (ir/infer_rnn.c), the reference kernel (ir/interp_rnn.c) and codegen
 * (codegen/lower_rnn.c), so all three read attributes and shapes the same way.
 *
 * Inputs:  X 0, W 1, R 2, B 3, sequence_lens 4, initial_h 5, (LSTM) initial_c 6, P 7.
 * Outputs: Y 0, Y_h 1, (LSTM) Y_c 2.
 * Gate order in W/R/B: LSTM i,o,f,c; GRU z,r,h; RNN one gate. LSTM P is i,o,f.
 * Layout 0: X (S,N,I), Y (S,D,N,H), initial_h/c and Y_h/c (D,N,H).
 * Layout 1: X (N,S,I), Y (N,S,D,H), initial_h/c and Y_h/c (N,D,H).
 */
#ifndef GLC_IR_RNN_H
#define GLC_IR_RNN_H

#include "activation.h"
#include "ir.h"

enum {
    GLC_RNN_X,
    GLC_RNN_W,
    GLC_RNN_R,
    GLC_RNN_B,
    GLC_RNN_SEQ_LENS,
    GLC_RNN_INIT_H,
    GLC_RNN_INIT_C,
    GLC_RNN_P
};

typedef enum glc_rnn_dir { GLC_RNN_FORWARD, GLC_RNN_REVERSE, GLC_RNN_BIDIR } glc_rnn_dir;

typedef struct glc_rnn_desc {
    glc_op op; /* GLC_OP_LSTM, _GRU or _RNN */
    int gates; /* G: 4, 3 or 1 */
    glc_rnn_dir direction;
    int dirs;                          /* D: 2 if bidirectional, else 1 */
    int layout;                        /* 0 or 1 */
    glc_dim seq, batch, input; /* S, N, I: may be symbolic (ir/dim.h; I only if W is too) */
    int64_t hidden;            /* H */
    bool has_clip;
    float clip;
    bool input_forget;        /* LSTM */
    bool linear_before_reset; /* GRU */
    int acts_per_dir;         /* 3, 2, 1 */
    glc_act acts[6];          /* acts[d * acts_per_dir + k] */
} glc_rnn_desc;

/* infer_rnn.c: reads and validates n (input shapes must be known). GLC_E_SHAPE with a
 * one-line message naming the input and the expected and given shapes on a mismatch,
 * GLC_E_UNSUPPORTED for a non-f32 X. */
glc_status glc_rnn_desc_read(const glc_graph *g, const glc_node *n, glc_rnn_desc *r, glc_diag *d);
/* Is direction-index dir (0 or 1) run backwards in time? */
static inline bool glc_rnn_is_reverse(const glc_rnn_desc *r, int dir) {
    return r->direction == GLC_RNN_REVERSE || (r->direction == GLC_RNN_BIDIR && dir == 1);
}
/* Element offsets of X(t, b, 0), Y(t, dir, b, 0) and state(dir, b, 0) for the layout. */
static inline int64_t glc_rnn_x_off(const glc_rnn_desc *r, int64_t t, int64_t b) {
    return (r->layout ? b * r->seq + t : t * r->batch + b) * r->input;
}
static inline int64_t glc_rnn_y_off(const glc_rnn_desc *r, int64_t t, int dir, int64_t b) {
    return (r->layout ? (b * r->seq + t) * r->dirs + dir : (t * r->dirs + dir) * r->batch + b) *
           r->hidden;
}
static inline int64_t glc_rnn_state_off(const glc_rnn_desc *r, int dir, int64_t b) {
    return (r->layout ? b * r->dirs + dir : dir * r->batch + b) * r->hidden;
}

#endif
