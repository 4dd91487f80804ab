/*
 * tensor.h -- the resolved parameters of the tensor-family ops (Split, Slice, Pad,
 * the reductions, Shape), read once from a node's attributes (old opsets) or its static
 * operand inputs (new opsets) together with the input shape. Shape inference
 * (infer_tensor.c), the reference kernels (interp_tensor.c) and code generation
 * (codegen/lower_tensor.c) all go through these functions, so the three agree on
 * clamping, defaults and output sizes by construction.
 *
 * Dims in the geometries (start, out, sizes, count) may be symbolic (ir/dim.h) when the
 * input's are; their constraints are recorded as the geometry is read.
 *
 * Static operands (Slice's starts/ends/axes/steps, Split's split, Pad's pads, ...) must
 * be constants by the time the node is inferred (see glc_op_input_is_static in ir.h);
 * a non-constant one is GLC_E_UNSUPPORTED naming the input.
 *
 *   glc_slice_geom s;
 *   if (glc_slice_geom_get(g, n, &s, d)) return d->status;
 *   // output coordinate o along axis a reads input coordinate s.start[a] + o * s.step[a]
 */
#ifndef GLC_IR_TENSOR_H
#define GLC_IR_TENSOR_H

#include "ir.h"

/* Reads input i of n, a constant integer tensor (i32 or i64, scalar or 1-D), into
 * out[0..*count) (at most max entries). `what` names the operand in messages
 * ("starts"). Absent input: *count = -1 and GLC_OK. Non-constant: GLC_E_UNSUPPORTED. */
glc_status glc_static_ints(const glc_graph *g, const glc_node *n, int i, const char *what,
                           int64_t *out, int max, int *count, glc_diag *d);

/* The diagnostic for input i of n ('what') that must be a constant and is not, with a hint
 * on where its value comes from (--bind, --dim, the node computing it); GLC_E_UNSUPPORTED. */
glc_status glc_static_not_const(const glc_graph *g, const glc_node *n, int i, const char *what,
                                glc_diag *d);

/* Reads input i of n, a constant numeric scalar (one element), into *out as a double
 * (an integer exactly up to 2^53). Non-constant: GLC_E_UNSUPPORTED, as glc_static_ints. */
glc_status glc_static_scalar(const glc_graph *g, const glc_node *n, int i, const char *what,
                             double *out, glc_diag *d);

/* Slice: output coordinate o along axis a reads input coordinate start[a] + o * step[a]. */
typedef struct glc_slice_geom {
    int rank;
    int64_t start[GLC_MAX_RANK];
    int64_t step[GLC_MAX_RANK]; /* non-zero; negative walks backwards */
    int64_t out[GLC_MAX_RANK];  /* output dims */
} glc_slice_geom;
glc_status glc_slice_geom_get(const glc_graph *g, const glc_node *n, glc_slice_geom *s,
                              glc_diag *d);

/* Split: the axis and the size of each of the n->n_out parts along it. */
glc_status glc_split_get(const glc_graph *g, const glc_node *n, int *axis, int64_t *sizes,
                         glc_diag *d);

/* Pad. Along an axis of input size len padded by (begin, end), output coordinate o reads
 * input coordinate glc_pad_source(mode, o - begin, len), or the constant when that is -1.
 * begin and end are dims: pads computed from symbolic shapes (padding a signal to a minimum
 * length: Max(c - len, 0)) are symbolic, and then never negative (no symbolic crop). */
typedef enum glc_pad_mode {
    GLC_PAD_CONSTANT,
    GLC_PAD_EDGE,
    GLC_PAD_REFLECT,
    GLC_PAD_WRAP
} glc_pad_mode;
typedef struct glc_pad_geom {
    int rank;
    glc_pad_mode mode;
    glc_dim begin[GLC_MAX_RANK], end[GLC_MAX_RANK]; /* negative = crop */
    int64_t out[GLC_MAX_RANK];
    uint8_t value[8]; /* the constant, as one element of the input dtype (little-endian) */
} glc_pad_geom;
glc_status glc_pad_geom_get(const glc_graph *g, const glc_node *n, glc_pad_geom *p, glc_diag *d);
/* Input coordinate for the (possibly out-of-range) coordinate i along an axis of length
 * len > 0: -1 for CONSTANT outside [0, len), clamped for EDGE, mirrored without repeating
 * the edge for REFLECT (numpy 'reflect', periodic), modulo len for WRAP. */
int64_t glc_pad_source(glc_pad_mode m, int64_t i, int64_t len);

/* The reductions (ReduceSum, ReduceMean, ...: the RED rows of ops.def): which axes are
 * reduced, and the output shape. noop: empty axes with noop_with_empty_axes, so no axis
 * is reduced (the output has the input's shape; count is 1). */
typedef struct glc_reduce_geom {
    int rank;
    bool reduce[GLC_MAX_RANK];
    bool keepdims, noop;
    int out_rank;
    int64_t out[GLC_MAX_RANK];
    glc_dim count; /* elements reduced into one output */
} glc_reduce_geom;
glc_status glc_reduce_geom_get(const glc_graph *g, const glc_node *n, glc_reduce_geom *r,
                               glc_diag *d);

/* ArgMax, ArgMin: the input viewed as (outer, dim, inner) around `axis` (dim >= 1); the
 * output (outer, inner) shaped out[0..out_rank); last: select_last_index. */
typedef struct glc_argext_geom {
    int axis;
    bool keepdims, last;
    glc_dim outer, dim, inner;
    int out_rank;
    glc_dim out[GLC_MAX_RANK];
} glc_argext_geom;
glc_status glc_argext_geom_get(const glc_graph *g, const glc_node *n, glc_argext_geom *r,
                               glc_diag *d);

/* Shape (opset 15 start/end): the output is dims[*lo .. *hi) of an input of this rank. */
void glc_shape_range(const glc_node *n, int rank, int *lo, int *hi);

/* Einsum: the equation's labels (ellipsis dims included, as labels of their own), output
 * labels first (n_out of them: the output's axes, in order), then the summed ones. Each
 * operand k steps by st[k][l] along label l (its strides, summed where a label repeats in
 * it: a diagonal; 0 where it lacks the label). y[o] = sum over the summed labels of the
 * product of the operands, accumulated in the output's dtype in row-major label order. */
#define GLC_EINSUM_MAX_IN 8
typedef struct glc_einsum {
    int n_in, n_labels, n_out;
    glc_dim extent[2 * GLC_MAX_RANK];
    glc_dim st[GLC_EINSUM_MAX_IN][2 * GLC_MAX_RANK];
} glc_einsum;
glc_status glc_einsum_get(const glc_graph *g, const glc_node *n, glc_einsum *e, glc_diag *d);

/* MatMulInteger, QLinearMatMul: A (batch..., M, K) and B (batch..., K, N) of one rank >= 2
 * and equal batch dims, or B (K, N) for every matrix of A (b_shared); scales and zero points
 * one value each (absent: 0): acc = sum over k of (A - a_zp) (B - b_zp) in i32;
 * MatMulInteger's y = acc; QLinearMatMul's y = saturate(roundeven(acc * m) + y_zp) with
 * m = a_scale * b_scale / y_scale in f32 and the product in f64 (as ONNX's reference). */
typedef struct glc_qmatmul {
    glc_dim batch, M, K, N;
    bool b_shared; /* B is one matrix (rank 2) for every batch of A's matrices */
    int rank;
    glc_dim out[GLC_MAX_RANK];
} glc_qmatmul;
glc_status glc_qmatmul_get(const glc_graph *g, const glc_node *n, glc_qmatmul *q, glc_diag *d);

/* ---- the index family (infer_index.c) ------------------------------------------------ */

/* GatherElements, ScatterElements: data (input 0) and indices (input 1) of one rank; the
 * element at coordinates i of indices (and of updates, input 2, for a scatter) is gathered
 * from / scattered to data at i with i[axis] replaced by the index (plus dim if negative).
 * ScatterElements combines a scattered update u with the element e it lands on by its
 * reduction: none (u), add, mul, max, min; in indices' row-major order. */
typedef enum glc_scatter_reduction {
    GLC_SCATTER_NONE,
    GLC_SCATTER_ADD,
    GLC_SCATTER_MUL,
    GLC_SCATTER_MAX,
    GLC_SCATTER_MIN,
} glc_scatter_reduction;
typedef struct glc_elements_geom {
    int axis;
    glc_scatter_reduction reduction; /* ScatterElements */
} glc_elements_geom;
glc_status glc_elements_geom_get(const glc_graph *g, const glc_node *n, glc_elements_geom *e,
                                 glc_diag *d);

/* Trilu, EyeLike: the input as batch matrices of rows x cols; element (i, j) lies on or
 * above diagonal k when j - i >= k. Trilu keeps x where j - i >= k (upper) or j - i <= k
 * (lower) and zeros the rest, k from input 1 (read at run time) or 0; EyeLike (2-D) is 1
 * where j - i == k (attribute k), else 0, in dtype (its attribute, or the input's). */
typedef struct glc_diagonal {
    glc_dim batch, rows, cols;
    bool upper;
    int64_t k; /* EyeLike's */
    glc_dtype dtype;
} glc_diagonal;
glc_status glc_diagonal_get(const glc_graph *g, const glc_node *n, glc_diagonal *t,
                            glc_diag *d);

/* GatherND, ScatterND: data (r dims) and indices (q dims) whose last dim k (a constant) is
 * the length of an index tuple into data's axes [b, b + k) (b: GatherND's batch_dims).
 * For batch position t < batch (the first b axes, shared), tuple j < nidx, and element
 * e < slice of the trailing axes: GatherND's y[(t * nidx + j) * slice + e] =
 * data[t * batch_stride + sum_m idx[m] * st[m] + e], idx the tuple (each + dims[m] if
 * negative); ScatterND (b = 0) writes updates[j * slice + e] there, combined by its
 * reduction (glc_scatter_reduction), in tuple order. */
typedef struct glc_nd_geom {
    int k;
    glc_dim batch, nidx, slice, batch_stride;
    glc_dim dims[GLC_MAX_RANK], st[GLC_MAX_RANK];
    glc_scatter_reduction reduction;
    int out_rank;
    glc_dim out[GLC_MAX_RANK];
} glc_nd_geom;
glc_status glc_nd_geom_get(const glc_graph *g, const glc_node *n, glc_nd_geom *m, glc_diag *d);

/* OneHot: indices viewed as (outer, inner) around the new axis of size depth (a constant);
 * y[o, j, i] = values[1] where index[o, i] (+ depth if negative) == j, else values[0]. */
typedef struct glc_onehot_geom {
    glc_dim outer, inner;
    int64_t depth;
    int out_rank;
    glc_dim out[GLC_MAX_RANK];
} glc_onehot_geom;
glc_status glc_onehot_geom_get(const glc_graph *g, const glc_node *n, glc_onehot_geom *o,
                               glc_diag *d);

/* ReverseSequence: along time_axis, the first sequence_lens[b] elements of batch b (on
 * batch_axis) reversed, the rest copied. */
glc_status glc_revseq_axes(const glc_graph *g, const glc_node *n, int *time_axis,
                           int *batch_axis, glc_diag *d);

/* Tile, DepthToSpace, SpaceToDepth: pure data movement described as a strided walk. The
 * output is viewed as `rank` loops of extents dims[] (row-major over the output when
 * ost[] are its strides); the element at loop coordinates c is y[sum c * ost] =
 * x[sum c * ist]. out_rank/out are the output's shape. Tile's loops are (repeat, dim)
 * per axis (repeats of 1 dropped: at most GLC_MAX_RANK loops); DepthToSpace's
 * (N, C/b^2, H, b, W, b) with x's strides of its mode (DCR, CRD); SpaceToDepth's
 * (N, b, b, C, H/b, W/b). */
typedef struct glc_restride {
    int rank, out_rank;
    glc_dim dims[GLC_MAX_RANK], ost[GLC_MAX_RANK], ist[GLC_MAX_RANK];
    glc_dim out[GLC_MAX_RANK];
} glc_restride;
glc_status glc_restride_get(const glc_graph *g, const glc_node *n, glc_restride *r, glc_diag *d);

/* Expand: the output shape, x broadcast (numpy) with the shape operand. */
glc_status glc_expand_shape(const glc_graph *g, const glc_node *n, int *rank, glc_dim *dims,
                            glc_diag *d);

/* HannWindow, HammingWindow, BlackmanWindow: size (a constant) elements
 * a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size (periodic) or size - 1, in dtype
 * (output_datatype: f32 or f64). */
typedef struct glc_window {
    int64_t size;
    double a0, a1, a2, denom;
    glc_dtype dtype;
} glc_window;
glc_status glc_window_get(const glc_graph *g, const glc_node *n, glc_window *w, glc_diag *d);

/* Compress: x viewed as (outer, dim, inner) around axis (no axis: x flattened, outer =
 * inner = 1); the output keeps the positions j < dim where condition (a constant) is true,
 * count of them: y[o, k, e] = x[o, pos[k], e], pos[k] the k-th true one of cond[0..len). */
typedef struct glc_compress_geom {
    glc_dim outer, dim, inner;
    int64_t count, len;
    const uint8_t *cond; /* the constant's bytes */
    int out_rank;
    glc_dim out[GLC_MAX_RANK];
} glc_compress_geom;
glc_status glc_compress_geom_get(const glc_graph *g, const glc_node *n, glc_compress_geom *m,
                                 glc_diag *d);

/* NonZero: x (a constant: its values decide the output's shape) -> (rank, count) i64,
 * the coordinates of the non-zero elements in row-major order (a scalar: (0, count)).
 * glc_nonzero_coords fills out (rank * count) when not NULL and returns count. */
int64_t glc_nonzero_coords(const glc_value *x, int64_t *out);

/* Unique of a constant x (its values decide the output's shape): x viewed as (outer, D,
 * inner) around axis (none: flattened), its D slices compared element by element in
 * row-major order (numbers by value: -0 equals 0; NaNs after every number, equal to each
 * other). Y holds the distinct
 * slices (sorted ascending, or by first occurrence), indices their first positions,
 * inverse each slice's place in Y, counts their multiplicities. glc_unique_compute returns
 * the number of distinct slices (-1: out of memory) and, where not NULL, fills
 * y (its bytes), first, inverse (D) and counts. */
int64_t glc_unique_compute(const glc_graph *g, const glc_node *n, const void *x, void *y,
                           int64_t *first, int64_t *inverse, int64_t *counts);

/* Range: count = max(ceil((limit - start) / delta), 0) elements start + i * delta, from the
 * constant scalar inputs start, limit, delta (the count decides the output's shape; the
 * kernels read start and delta from their inputs). */
glc_status glc_range_count(const glc_graph *g, const glc_node *n, int64_t *count, glc_diag *d);

#endif
