/*
 * convlstm.h -- the parsed form of a glc.ConvLSTM node (/work/shared/spec/ops.md), shared
 * by shape inference (ir/infer_convlstm.c), the reference kernel (ir/interp_convlstm.c)
 * and codegen (codegen/lower_convlstm.c), so all three read attributes, pads and output
 * grids the same way.
 *
 * Inputs:  X 0, W 1, R 2, B 3, sequence_lens 4, initial_h 5, initial_c 6, P 7.
 * Outputs: Y 0, Y_h 1, Y_c 2.
 * Layout 0: X (T,N,C,S...), Y (T,D,N,F,S'...), states (D,N,F,S'...).
 * Layout 1: X (N,T,C,S...), Y (N,T,D,F,S'...), states (N,D,F,S'...).
 *
 * Geometry is normalised to three spatial axes: a rank-R node keeps its axes in the last
 * R slots and the first 3-R slots are size-1 axes with kernel 1, stride 1, dilation 1 and
 * no pads. Row-major element offsets are unchanged by this, so every loop nest is written
 * once, for three axes.
 */
#ifndef GLC_IR_CONVLSTM_H
#define GLC_IR_CONVLSTM_H

#include "activation.h"
#include "ir.h"

enum {
    GLC_CL_X,
    GLC_CL_W,
    GLC_CL_R,
    GLC_CL_B,
    GLC_CL_SEQ_LENS,
    GLC_CL_INIT_H,
    GLC_CL_INIT_C,
    GLC_CL_P
};

typedef enum glc_cl_dir { GLC_CL_FORWARD, GLC_CL_REVERSE, GLC_CL_BIDIR } glc_cl_dir;

typedef struct glc_convlstm_desc {
    int rank;             /* spatial rank R, 1..3 */
    glc_cl_dir direction;
    int dirs;             /* D: 2 if bidirectional, else 1 */
    int layout;           /* 0 or 1 */
    int64_t seq, batch, channels, hidden; /* T, N, C, F */
    /* three-axis geometry (see above) */
    int64_t in[3];        /* S: input grid */
    int64_t out[3];       /* S': output grid of the input convolution = state grid */
    int64_t k[3];         /* input kernel */
    int64_t stride[3], dilation[3];
    int64_t pad_begin[3], pad_end[3]; /* input convolution, after auto_pad */
    int64_t rk[3];        /* recurrent kernel */
    int64_t rpad_begin[3], rpad_end[3]; /* recurrent SAME_UPPER: (r-1)/2, r-1-(r-1)/2 */
    int64_t in_size, out_size;          /* prod(in), prod(out) */
    int64_t k_size, rk_size;            /* prod(k), prod(rk) */
    bool has_clip;
    float clip;
    glc_act acts[6]; /* acts[d * 3 + {f, g, h}] */
} glc_convlstm_desc;

/* infer_convlstm.c: reads and validates n (input shapes must be known). GLC_E_SHAPE with a
 * one-line message naming the op, the input and the expected and given shapes (or the
 * attribute) on a mismatch; GLC_E_UNSUPPORTED for a non-f32 X. */
glc_status glc_convlstm_desc_read(const glc_graph *g, const glc_node *n, glc_convlstm_desc *r,
                                  glc_diag *d);

static inline bool glc_convlstm_is_reverse(const glc_convlstm_desc *r, int dir) {
    return r->direction == GLC_CL_REVERSE || (r->direction == GLC_CL_BIDIR && dir == 1);
}
/* Element offsets of X(t, b, 0...), Y(t, dir, b, 0...) and state(dir, b, 0...). */
static inline int64_t glc_convlstm_x_off(const glc_convlstm_desc *r, int64_t t, int64_t b) {
    return (r->layout ? b * r->seq + t : t * r->batch + b) * r->channels * r->in_size;
}
static inline int64_t glc_convlstm_y_off(const glc_convlstm_desc *r, int64_t t, int dir,
                                         int64_t b) {
    return (r->layout ? (b * r->seq + t) * r->dirs + dir : (t * r->dirs + dir) * r->batch + b) *
           r->hidden * r->out_size;
}
static inline int64_t glc_convlstm_state_off(const glc_convlstm_desc *r, int dir, int64_t b) {
    return (r->layout ? b * r->dirs + dir : dir * r->batch + b) * r->hidden * r->out_size;
}

#endif
