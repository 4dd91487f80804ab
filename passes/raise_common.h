/*
 * raise_common.h -- what the raise-recurrence matchers share (passes/raise_common.c): reading
 * a Loop body's dataflow (producers, constants), the frame every raised Loop has, and the
 * nodes a raise adds around the fused node. raise_recurrence.c matches RNN, GRU and LSTM
 * steps and runs the pass; raise_convlstm.c matches ConvLSTM steps.
 */
#ifndef GLC_PASSES_RAISE_COMMON_H
#define GLC_PASSES_RAISE_COMMON_H

#include "ir.h"

#define RR_WHY 200 /* bytes of a refusal reason */

/* ---- reading dataflow ------------------------------------------------------------ */
bool rr_refuse(char *why, const char *msg);                      /* writes msg to why; false */
const glc_node *rr_producer(const glc_graph *b, glc_value_id v); /* live producer or NULL */
const glc_node *rr_prod_op(const glc_graph *b, glc_value_id v, glc_op op); /* of op, unguarded */
glc_value_id rr_through_identity(const glc_graph *b, glc_value_id v);
const glc_value *rr_const_f32(const glc_graph *b, glc_value_id v);
bool rr_scalar_is(const glc_graph *b, glc_value_id v, double want);
bool rr_const_ints(const glc_graph *b, glc_value_id v, int64_t *out, int max, int *n);
bool rr_int_scalar(const glc_graph *g, glc_value_id v, int64_t *out);
bool rr_mul_with(const glc_graph *b, glc_value_id v, glc_value_id want, glc_value_id *other);
/* Whether a live node of g reads v or v is a graph output. */
bool rr_value_read(const glc_graph *g, glc_value_id v);

/* ---- the Loop frame --------------------------------------------------------------- */
/* A Loop n that runs exactly T times: constant trip count T >= 1, an absent or constant true
 * initial condition, one scan output, among its nc carried values a counter (from 0 by 1,
 * i32 or i64; carried index `counter`), and a body condition And(Less(Cast?(iter or
 * counter + 1), K >= T)) that cannot end it earlier. */
typedef struct rr_frame {
    int nc, counter;
    int64_t T;
} rr_frame;
bool rr_match_frame(glc_graph *g, const glc_node *n, rr_frame *f, char *why);
/* x_t = Gather(X, counter) (axis 0) of a captured f32 X of rank `rank`: X's body input
 * index (x_t in *xt); -1 if there is none, -2 if several. */
int rr_find_xt(const glc_graph *b, int nc, glc_value_id counter, int rank, glc_value_id *xt);

/* ---- building the replacement ----------------------------------------------------- */
/* out = Squeeze/Unsqueeze(in, axis) (opset 13: axes as an input). */
glc_status rr_add_axis_node(glc_graph *g, glc_op op, const char *name, glc_value_id in,
                            int64_t axis, glc_value_id out);
/* A new value of v's dtype with v's dims, axis `at` inserted (size 1) or removed. */
glc_value_id rr_reshaped(glc_graph *g, const char *name, glc_value_id v, int at, bool insert);
/* out = Transpose(in, perm) (rank <= GLC_MAX_RANK); out 0: a new value named name. */
glc_value_id rr_add_transpose(glc_graph *g, const char *name, glc_value_id in, const int64_t *perm,
                              glc_value_id out);
glc_status rr_move_tail_to(glc_graph *g, uint32_t at, uint32_t first);
glc_status rr_final_counter(glc_graph *g, const char *name, glc_value_id out, int64_t T);
bool rr_last_step_slice(const glc_graph *g, const glc_node *n, int64_t T);
/* Whether scan is read (and not a graph output) only by Slices of its last step. */
bool rr_only_last_step_read(const glc_graph *g, glc_value_id scan, int64_t T);
/* Those Slices read `last` instead. */
void rr_redirect_last_step(glc_graph *g, glc_value_id scan, glc_value_id last);

/* ---- the matchers ------------------------------------------------------------------ */
/* raise_convlstm.c: if Loop lid (frame f, three carried values) is one ConvLSTM step, it is
 * replaced (dead, the new nodes in front of it) and *raised set, msg saying what it became;
 * else msg says why not. Fails only when out of memory. */
glc_status rr_raise_convlstm(glc_graph *g, glc_node_id lid, const rr_frame *f, bool *raised,
                             char *msg);

#endif
