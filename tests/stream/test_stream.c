/* test_stream.c -- streaming inference (passes/stream.c + runtime/stream.c): a model
 * compiled with the stream pass, fed its T frames one by one through glc_rt_stream_step,
 * gives the whole-sequence model's per-step outputs and final state (within 1e-5), and
 * the same again after reset. Checked for LSTM (layout 0, 1), GRU (linear_before_reset
 * 0, 1, with a MatMul head), RNN, a two-layer LSTM stack with a Gemm head and ConvLSTM,
 * both compiled and in the interpreter; through the driver (`glc --stream`) on ONNX
 * fixtures, also with a symbolic batch (glc_rt_stream_plan, at two batches); and the
 * one-line diagnostics for graphs that cannot stream. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"
#include "passes.h"

#include <dlfcn.h>
#include <sys/wait.h>

/* ---- building models ------------------------------------------------------------ */

static unsigned wseed = 77;

static glc_value_id rand_const(glc_graph *g, const char *name, int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)((double)rand_r(&wseed) / RAND_MAX - 0.5);
    glc_value_id v = glc_graph_add_const(g, name, GLC_DT_F32, rank, dims, p);
    free(p);
    return v;
}

typedef struct rnn_spec {
    glc_op op;
    int layout;
    int64_t N, I, H;
    int lbr;   /* GRU linear_before_reset */
    bool peep; /* LSTM P (slot 7, so the pass must keep it when it widens the inputs) */
    float clip;
    int64_t dirs; /* D; 0 means 1 */
} rnn_spec;

/* Adds recurrent node k on x; its Y_h/Y_c ("h<k>", "c<k>") only if state_outs. */
static glc_node_id add_rnn(glc_graph *g, const rnn_spec *r, int k, glc_value_id x,
                           bool state_outs) {
    int64_t G = r->op == GLC_OP_LSTM ? 4 : r->op == GLC_OP_GRU ? 3 : 1, GH = G * r->H;
    int64_t D = r->dirs ? r->dirs : 1;
    char name[32];
    glc_value_id in[8] = {x};
    snprintf(name, sizeof name, "W%d", k);
    in[1] = rand_const(g, name, 3, (int64_t[]){D, GH, r->I});
    snprintf(name, sizeof name, "R%d", k);
    in[2] = rand_const(g, name, 3, (int64_t[]){D, GH, r->H});
    snprintf(name, sizeof name, "B%d", k);
    in[3] = rand_const(g, name, 2, (int64_t[]){D, 2 * GH});
    snprintf(name, sizeof name, "P%d", k);
    if (r->peep) in[7] = rand_const(g, name, 2, (int64_t[]){D, 3 * r->H});
    int n_in = r->peep ? 8 : 4, n_out = r->op == GLC_OP_LSTM ? 3 : 2;
    glc_value_id out[3] = {0};
    snprintf(name, sizeof name, "Y%d", k);
    out[0] = glc_graph_add_value(g, name, GLC_DT_UNDEF, 0, NULL);
    for (int s = 1; s < n_out && state_outs; s++) {
        snprintf(name, sizeof name, "%c%d", s == 1 ? 'h' : 'c', k);
        out[s] = glc_graph_add_value(g, name, GLC_DT_UNDEF, 0, NULL);
    }
    snprintf(name, sizeof name, "rnn%d", k);
    glc_node_id id = glc_graph_add_node(g, r->op, name, in, n_in, out, n_out);
    glc_node_set_int(g, id, "hidden_size", r->H);
    if (r->layout) glc_node_set_int(g, id, "layout", 1);
    if (r->lbr) glc_node_set_int(g, id, "linear_before_reset", 1);
    if (r->clip > 0) glc_node_set_float(g, id, "clip", r->clip);
    return id;
}

/* Appends node k's Y_h (and Y_c) to the graph outputs. */
static void output_state(glc_graph *g, glc_node_id id) {
    for (int s = 1; s < g->nodes[id].n_out; s++)
        if (g->nodes[id].out[s]) glc_graph_add_output(g, g->nodes[id].out[s]);
}

static glc_value_id x_input(glc_graph *g, const rnn_spec *r, int64_t T) {
    int64_t x[3] = {T, r->N, r->I};
    if (r->layout) x[0] = r->N, x[1] = T;
    return cg_in(g, "X", GLC_DT_F32, 3, x);
}

/* A model: builds g with its main outputs first, then (state_outs) every recurrent
 * node's Y_h/Y_c in node order, which is the stream's state order. */
typedef void (*build_fn)(glc_graph *g, const void *arg, int64_t T, bool state_outs);

static void build_single(glc_graph *g, const void *arg, int64_t T, bool state_outs) {
    const rnn_spec *r = arg;
    glc_node_id id = add_rnn(g, r, 0, x_input(g, r, T), state_outs);
    glc_graph_add_output(g, g->nodes[id].out[0]);
    output_state(g, id);
}

/* GRU, layout 1: Y (N,T,1,H) -> Reshape [0,0,-1] -> MatMul (H,K) -> Z (N,T,K). */
static void build_gru_head(glc_graph *g, const void *arg, int64_t T, bool state_outs) {
    const rnn_spec *r = arg;
    glc_node_id id = add_rnn(g, r, 0, x_input(g, r, T), state_outs);
    glc_value_id shape =
        glc_graph_add_const(g, "shape", GLC_DT_I64, 1, (int64_t[]){3}, (int64_t[]){0, 0, -1});
    glc_value_id y3 =
        cg_node(g, GLC_OP_RESHAPE, "y3", (glc_value_id[]){g->nodes[id].out[0], shape}, 2, NULL);
    glc_value_id w = rand_const(g, "head_w", 2, (int64_t[]){r->H, 3});
    glc_graph_add_output(g, cg_node(g, GLC_OP_MATMUL, "head", (glc_value_id[]){y3, w}, 2, NULL));
    output_state(g, id);
}

/* LSTM (I->5) -> Squeeze(1) -> LSTM (5->4) -> Reshape [-1, 4] -> Gemm (4->3), layout 0;
 * outputs the head (T*N, 3) and the first layer's Y. */
static void build_stack(glc_graph *g, const void *arg, int64_t T, bool state_outs) {
    const rnn_spec *r = arg;
    rnn_spec r2 = *r;
    r2.I = r->H, r2.H = 4, r2.peep = false;
    glc_node_id a = add_rnn(g, r, 0, x_input(g, r, T), state_outs);
    glc_value_id axes =
        glc_graph_add_const(g, "axes", GLC_DT_I64, 1, (int64_t[]){1}, (int64_t[]){1});
    glc_value_id x2 =
        cg_node(g, GLC_OP_SQUEEZE, "sq", (glc_value_id[]){g->nodes[a].out[0], axes}, 2, NULL);
    glc_node_id b = add_rnn(g, &r2, 1, x2, state_outs);
    glc_value_id shape =
        glc_graph_add_const(g, "shape", GLC_DT_I64, 1, (int64_t[]){2}, (int64_t[]){-1, 4});
    glc_value_id flat =
        cg_node(g, GLC_OP_RESHAPE, "flat", (glc_value_id[]){g->nodes[b].out[0], shape}, 2, NULL);
    glc_value_id w = rand_const(g, "head_w", 2, (int64_t[]){4, 3});
    glc_value_id c = rand_const(g, "head_b", 1, (int64_t[]){3});
    glc_graph_add_output(g, cg_node(g, GLC_OP_GEMM, "head", (glc_value_id[]){flat, w, c}, 3, NULL));
    glc_graph_add_output(g, g->nodes[a].out[0]);
    output_state(g, a);
    output_state(g, b);
}

/* ConvLSTM, layout 1: X (N=1, T, C=2, 5, 5), 3x3 kernels, pads 1, F = 3. */
static void build_convlstm(glc_graph *g, const void *arg, int64_t T, bool state_outs) {
    (void)arg;
    glc_value_id in[4];
    in[0] = cg_in(g, "X", GLC_DT_F32, 5, (int64_t[]){1, T, 2, 5, 5});
    in[1] = rand_const(g, "W", 5, (int64_t[]){1, 12, 2, 3, 3});
    in[2] = rand_const(g, "R", 5, (int64_t[]){1, 12, 3, 3, 3});
    in[3] = rand_const(g, "B", 2, (int64_t[]){1, 24});
    glc_value_id out[3] = {glc_graph_add_value(g, "Y", GLC_DT_UNDEF, 0, NULL), 0, 0};
    if (state_outs) {
        out[1] = glc_graph_add_value(g, "h0", GLC_DT_UNDEF, 0, NULL);
        out[2] = glc_graph_add_value(g, "c0", GLC_DT_UNDEF, 0, NULL);
    }
    glc_node_id id = glc_graph_add_node(g, GLC_OP_CONVLSTM, "convlstm", in, 4, out, 3);
    glc_node_set_int(g, id, "hidden_size", 3);
    glc_node_set_int(g, id, "layout", 1);
    glc_node_set_ints(g, id, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    glc_graph_add_output(g, out[0]);
    output_state(g, id);
}

/* Builds, infers and runs the pipeline (with the stream pass if stream). */
static glc_graph *make(build_fn build, const void *arg, int64_t T, bool state_outs, bool stream) {
    glc_graph *g = glc_graph_create();
    g->opset = 14, g->opset_glc = 1;
    wseed = 77; /* the same weights in every build */
    build(g, arg, T, state_outs);
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_infer_shapes(g, &d) || glc_graph_verify(g, &d)) fail_msg("graph: %s", d.msg);
    glc_pipeline_options po = {.verify_each = true, .stream = stream};
    if (glc_run_pipeline(g, &po, &d)) fail_msg("pipeline: %s: %s", d.node, d.msg);
    return g;
}

/* ---- comparing ------------------------------------------------------------------ */

static void expect_close(const char *what, int64_t t, const float *got, const float *want,
                         int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= 1e-5 * fmax(1.0, fabs((double)want[i]))))
            fail_msg("%s step %lld [%lld]: got %.9g want %.9g", what, (long long)t, (long long)i,
                     (double)got[i], (double)want[i]);
}

/* Where a frame tensor sits in the whole one: the one axis on which the whole extent is
 * T times the frame's, or -1 if the shapes are equal (an output with no time axis). */
static int frame_axis(const glc_tensor_info *whole, const glc_tensor_info *frame, int64_t T) {
    assert_int_equal(whole->rank, frame->rank);
    int axis = -1;
    for (int a = 0; a < whole->rank; a++) {
        if (whole->dims[a] == frame->dims[a]) continue;
        assert_int_equal(axis, -1);
        assert_int_equal(whole->dims[a], T * frame->dims[a]);
        axis = a;
    }
    return axis;
}

/* Copies step t of a whole tensor (info w, time axis `axis`) into a frame. */
static void copy_step(const float *whole, float *frame, const glc_tensor_info *w, int axis,
                      int64_t T, int64_t t) {
    int64_t outer = 1, inner = 1, f = w->dims[axis] / T;
    for (int a = 0; a < axis; a++)
        outer *= w->dims[a];
    for (int a = axis + 1; a < w->rank; a++)
        inner *= w->dims[a];
    for (int64_t o = 0; o < outer; o++)
        memcpy(frame + o * f * inner, whole + (o * T + t) * f * inner,
               (size_t)(f * inner) * sizeof *frame);
}

static void *xalloc(uint64_t n) {
    void *p = aligned_alloc(64, (size_t)((n + 63) / 64 * 64 + 64));
    assert_non_null(p);
    memset(p, 0, (size_t)((n + 63) / 64 * 64 + 64));
    return p;
}

static glc_rt_model *open_so(const char *path) {
    glc_rt_model *m = NULL;
    char err[512];
    if (glc_rt_model_open(path, NULL, &m, err, sizeof err)) fail_msg("open: %s", err);
    return m;
}

static glc_rt_model *compile(const glc_graph *g, const char *file) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", cg_tmpdir, file);
    glc_codegen_options o = glc_codegen_defaults();
    o.opt_level = 1;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit(g, &o, path, &d)) fail_msg("codegen: %s: %s", d.node, d.msg);
    return open_so(path);
}

/* Runs the whole model once on random X; returns its outputs (freed by the caller). */
static void run_whole(glc_rt_model *whole, void **x, void **want) {
    const glc_model_desc *wd = glc_rt_model_desc(whole);
    unsigned seed = 4242;
    for (uint32_t i = 0; i < wd->n_inputs; i++) {
        x[i] = xalloc(wd->inputs[i].size_bytes);
        for (uint64_t k = 0; k < wd->inputs[i].size_bytes / 4; k++)
            ((float *)x[i])[k] = (float)((double)rand_r(&seed) / RAND_MAX * 2 - 1);
    }
    for (uint32_t i = 0; i < wd->n_outputs; i++)
        want[i] = xalloc(wd->outputs[i].size_bytes);
    void *ws = wd->workspace_size ? xalloc(wd->workspace_size) : NULL;
    assert_int_equal(glc_rt_model_run(whole, (const void *const *)x, NULL, want, ws, wd->workspace_size),
                     GLC_RT_OK);
    free(ws);
}

/* Frame output i of step t against step t of whole output i (all of it at the last step,
 * for an output without a time axis). */
static void check_frame_outputs(const glc_rt_stream *s, const glc_model_desc *wd, void **want,
                                void **fout, int64_t T, int64_t t) {
    for (uint32_t i = 0; i < glc_rt_stream_n_outputs(s); i++) {
        const glc_tensor_info *fo = glc_rt_stream_output(s, i);
        assert_string_equal(fo->name, wd->outputs[i].name);
        int axis = frame_axis(&wd->outputs[i], fo, T);
        if (axis < 0 && t < T - 1) continue;
        float *expect = want[i], *slice = xalloc(fo->size_bytes);
        if (axis >= 0) {
            copy_step(want[i], slice, &wd->outputs[i], axis, T, t);
            expect = slice;
        }
        expect_close(fo->name, t, fout[i], expect, (int64_t)fo->size_bytes / 4);
        free(slice);
    }
}

/* The stream of `stream` against `whole`, twice (reset in between). Whole output i is
 * frame output i; state j is compared with whole output state_of[j] (-1: not there). */
static void compare_models(glc_rt_model *whole, glc_rt_model *stream, int64_t T,
                           const int *state_of, uint32_t n_states) {
    const glc_model_desc *wd = glc_rt_model_desc(whole);
    void *x[8], *want[16], *fin[8], *fout[16];
    run_whole(whole, x, want);
    glc_rt_stream *s = NULL;
    assert_int_equal(glc_rt_stream_open(stream, &s), GLC_RT_OK);
    assert_int_equal(glc_rt_stream_n_inputs(s), wd->n_inputs);
    assert_int_equal(glc_rt_stream_n_states(s), n_states);
    uint32_t nfo = glc_rt_stream_n_outputs(s);
    assert_true(nfo <= wd->n_outputs);
    for (uint32_t i = 0; i < wd->n_inputs; i++)
        fin[i] = xalloc(glc_rt_stream_input(s, i)->size_bytes);
    for (uint32_t i = 0; i < nfo; i++)
        fout[i] = xalloc(glc_rt_stream_output(s, i)->size_bytes);
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t t = 0; t < T; t++) {
            for (uint32_t i = 0; i < wd->n_inputs; i++) {
                const glc_tensor_info *fi = glc_rt_stream_input(s, i);
                assert_string_equal(fi->name, wd->inputs[i].name);
                copy_step(x[i], fin[i], &wd->inputs[i], frame_axis(&wd->inputs[i], fi, T), T, t);
            }
            assert_int_equal(glc_rt_stream_step(s, (const void *const *)fin, fout), GLC_RT_OK);
            check_frame_outputs(s, wd, want, fout, T, t);
        }
        for (uint32_t j = 0; j < n_states; j++) {
            const glc_tensor_info *si;
            float *st = glc_rt_stream_state(s, j, &si);
            assert_non_null(st);
            if (state_of[j] < 0) continue;
            assert_int_equal(si->size_bytes, wd->outputs[state_of[j]].size_bytes);
            expect_close(si->name, T, st, want[state_of[j]], (int64_t)si->size_bytes / 4);
        }
        assert_int_equal(glc_rt_stream_reset(s), GLC_RT_OK);
        for (uint32_t j = 0; j < n_states; j++) {
            const glc_tensor_info *si;
            float *st = glc_rt_stream_state(s, j, &si);
            for (uint64_t k = 0; k < si->size_bytes / 4; k++)
                assert_true(st[k] == 0.0f);
        }
    }
    glc_rt_stream_close(s);
    for (uint32_t i = 0; i < wd->n_inputs; i++) {
        free(x[i]);
        free(fin[i]);
    }
    for (uint32_t i = 0; i < wd->n_outputs; i++)
        free(want[i]);
    for (uint32_t i = 0; i < nfo; i++)
        free(fout[i]);
}

/* The streamed graph in the interpreter, step by step from zero state, against the
 * whole graph in the interpreter: checks the pass apart from codegen. */
static void interp_stream(const glc_graph *whole, const glc_graph *sg, int64_t T, uint32_t n_main) {
    assert_true(whole->n_inputs <= 4 && whole->n_outputs <= 12);
    void *x[4], *want[12], *in[12], *out[16];
    unsigned seed = 99;
    glc_diag d;
    memset(&d, 0, sizeof d);
    for (uint32_t i = 0; i < whole->n_inputs; i++) {
        x[i] = xalloc(glc_value_nbytes(&whole->values[whole->inputs[i]]));
        cg_fill(&whole->values[whole->inputs[i]], x[i], &seed);
    }
    for (uint32_t i = 0; i < whole->n_outputs; i++)
        want[i] = xalloc(glc_value_nbytes(&whole->values[whole->outputs[i]]));
    if (glc_interp_run(whole, (const void *const *)x, want, &d)) fail_msg("interp: %s", d.msg);
    for (uint32_t i = 0; i < sg->n_inputs; i++)
        in[i] = xalloc(glc_value_nbytes(&sg->values[sg->inputs[i]]));
    for (uint32_t i = 0; i < sg->n_outputs; i++)
        out[i] = xalloc(glc_value_nbytes(&sg->values[sg->outputs[i]]));
    uint32_t n_state = sg->n_inputs - whole->n_inputs;
    assert_int_equal(n_state, whole->n_outputs - n_main);
    for (int64_t t = 0; t < T; t++) {
        glc_tensor_info wi, fi;
        for (uint32_t i = 0; i < whole->n_inputs; i++) {
            const glc_value *wv = &whole->values[whole->inputs[i]],
                            *fv = &sg->values[sg->inputs[i]];
            wi = (glc_tensor_info){wv->name, wv->dtype, wv->rank, wv->dims, 0, NULL, NULL};
            fi = (glc_tensor_info){fv->name, fv->dtype, fv->rank, fv->dims, 0, NULL, NULL};
            copy_step(x[i], in[i], &wi, frame_axis(&wi, &fi, T), T, t);
        }
        if (glc_interp_run(sg, (const void *const *)in, out, &d)) fail_msg("interp: %s", d.msg);
        for (uint32_t j = 0; j < n_state; j++) { /* state out j -> state in j */
            const glc_value *sv = &sg->values[sg->outputs[sg->n_outputs - n_state + j]];
            memcpy(in[whole->n_inputs + j], out[sg->n_outputs - n_state + j], glc_value_nbytes(sv));
        }
        for (uint32_t i = 0; i < n_main; i++) {
            const glc_value *wv = &whole->values[whole->outputs[i]],
                            *fv = &sg->values[sg->outputs[i]];
            wi = (glc_tensor_info){wv->name, wv->dtype, wv->rank, wv->dims, 0, NULL, NULL};
            fi = (glc_tensor_info){fv->name, fv->dtype, fv->rank, fv->dims, 0, NULL, NULL};
            float *slice = xalloc(glc_value_nbytes(fv));
            copy_step(want[i], slice, &wi, frame_axis(&wi, &fi, T), T, t);
            expect_close(fv->name, t, out[i], slice, glc_value_numel(fv));
            free(slice);
        }
    }
    for (uint32_t j = 0; j < n_state; j++)
        expect_close("interp state", T, in[whole->n_inputs + j], want[n_main + j],
                     glc_value_numel(&whole->values[whole->outputs[n_main + j]]));
    for (uint32_t i = 0; i < whole->n_inputs; i++)
        free(x[i]);
    for (uint32_t i = 0; i < whole->n_outputs; i++)
        free(want[i]);
    for (uint32_t i = 0; i < sg->n_inputs; i++)
        free(in[i]);
    for (uint32_t i = 0; i < sg->n_outputs; i++)
        free(out[i]);
}

/* The whole model (every state as an output) and the stream model (state outputs kept
 * as frame outputs if keep), compiled and interpreted. */
static void check(build_fn build, const void *arg, int64_t T, bool keep, const char *tag,
                  bool compiled) {
    glc_graph *whole = make(build, arg, T, true, false);
    glc_graph *sg = make(build, arg, T, keep, true);
    glc_graph *whole_main = make(build, arg, T, false, false);
    uint32_t n_main = whole_main->n_outputs;
    glc_graph_destroy(whole_main);
    uint32_t n_states = whole->n_outputs - n_main;
    assert_int_equal(sg->n_inputs, whole->n_inputs + n_states);
    interp_stream(whole, sg, T, n_main);
    if (compiled) {
        char f1[128], f2[128];
        snprintf(f1, sizeof f1, "%s_whole.so", tag);
        snprintf(f2, sizeof f2, "%s_stream.so", tag);
        glc_rt_model *mw = compile(whole, f1), *ms = compile(sg, f2);
        int state_of[8];
        for (uint32_t j = 0; j < n_states; j++)
            state_of[j] = (int)(n_main + j);
        compare_models(mw, ms, T, state_of, n_states);
        glc_rt_model_close(mw);
        glc_rt_model_close(ms);
    }
    glc_graph_destroy(whole);
    glc_graph_destroy(sg);
}

/* ---- models that stream ----------------------------------------------------------- */

static void test_stream__lstm_layout0_steps_equal_whole_sequence(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_LSTM, .layout = 0, .N = 2, .I = 3, .H = 5, .peep = true};
    check(build_single, &r, 6, false, "lstm0", true);
}

static void test_stream__lstm_layout1_with_clip_keeps_its_own_state_outputs(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_LSTM, .layout = 1, .N = 3, .I = 2, .H = 4, .clip = 0.7f};
    check(build_single, &r, 5, true, "lstm1", true);
}

static void test_stream__gru_layout0_steps_equal_whole_sequence(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_GRU, .layout = 0, .N = 2, .I = 3, .H = 5};
    check(build_single, &r, 5, false, "gru0", true);
}

static void test_stream__gru_linear_before_reset_layout1_matmul_head(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_GRU, .layout = 1, .N = 2, .I = 3, .H = 4, .lbr = 1};
    check(build_gru_head, &r, 5, false, "gru1", true);
}

static void test_stream__rnn_steps_equal_whole_sequence(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_RNN, .layout = 0, .N = 2, .I = 3, .H = 4};
    check(build_single, &r, 7, true, "rnn", true);
}

static void test_stream__two_layer_lstm_with_gemm_head_carries_four_states(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_LSTM, .layout = 0, .N = 2, .I = 3, .H = 5};
    check(build_stack, &r, 4, false, "stack", true);
    glc_graph *sg = make(build_stack, &r, 4, false, true);
    static const char *names[4] = {"stream_h0", "stream_c0", "stream_h1", "stream_c1"};
    assert_int_equal(sg->n_inputs, 5);
    for (int j = 0; j < 4; j++) {
        assert_string_equal(sg->values[sg->inputs[1 + j]].name, names[j]);
        char o[32];
        snprintf(o, sizeof o, "%s_out", names[j]);
        assert_string_equal(sg->values[sg->outputs[2 + j]].name, o);
    }
    glc_graph_destroy(sg);
}

static void test_stream__convlstm_layout1_steps_equal_whole_sequence(void **state) {
    (void)state;
    check(build_convlstm, NULL, 4, false, "convlstm", true);
}

/* ---- the runtime's checks ------------------------------------------------------------ */

static void test_stream__runtime_rejects_null_arguments_and_plain_models(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_RNN, .layout = 0, .N = 1, .I = 2, .H = 3};
    glc_graph *plain = make(build_single, &r, 3, false, false);
    glc_graph *sg = make(build_single, &r, 3, false, true);
    glc_rt_model *mp = compile(plain, "plain.so"), *ms = compile(sg, "rnn_s.so");
    glc_rt_stream *s = (glc_rt_stream *)&r; /* must be overwritten with NULL */
    assert_int_equal(glc_rt_stream_open(mp, &s), GLC_RT_E_NOT_STREAM);
    assert_null(s);
    assert_int_equal(glc_rt_stream_open(NULL, &s), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_open(ms, NULL), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_open_static(NULL, NULL, &s), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_step(NULL, NULL, NULL), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_reset(NULL), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_n_inputs(NULL), 0);
    assert_null(glc_rt_stream_input(NULL, 0));
    assert_null(glc_rt_stream_state(NULL, 0, NULL));
    glc_rt_stream_close(NULL);
    assert_int_equal(glc_rt_stream_open(ms, &s), GLC_RT_OK);
    assert_int_equal(glc_rt_stream_n_inputs(s), 1);
    assert_int_equal(glc_rt_stream_n_outputs(s), 1);
    assert_int_equal(glc_rt_stream_n_states(s), 1);
    assert_null(glc_rt_stream_input(s, 1));
    assert_null(glc_rt_stream_output(s, 1));
    assert_null(glc_rt_stream_state(s, 1, NULL));
    float x[2] = {0.5f, -1.0f}, y[3];
    const void *in[1] = {x}, *bad_in[1] = {NULL};
    void *out[1] = {y};
    const glc_tensor_info *si;
    float *h = glc_rt_stream_state(s, 0, &si);
    assert_string_equal(si->name, "stream_h0");
    h[0] = 0.25f; /* a seeded state survives a failed step */
    assert_int_equal(glc_rt_stream_step(s, bad_in, out), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_step(s, in, NULL), GLC_RT_E_ARG);
    assert_true(glc_rt_stream_state(s, 0, NULL) == h && h[0] == 0.25f);
    assert_int_equal(glc_rt_stream_reset(s), GLC_RT_OK);
    assert_int_equal(glc_rt_stream_step(s, in, out), GLC_RT_OK);
    h = glc_rt_stream_state(s, 0, NULL);
    for (int k = 0; k < 3; k++)
        assert_true(h[k] == y[k]); /* RNN: Y of the step is the new state */
    glc_rt_stream_close(s);
    /* The same model through its entry points, as a statically linked model is used. */
    char path[700];
    snprintf(path, sizeof path, "%s/rnn_s.so", cg_tmpdir);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(dl);
    glc_model_describe_fn describe;
    glc_model_invoke_fn invoke;
    *(void **)&describe = dlsym(dl, "glc_model_describe");
    *(void **)&invoke = dlsym(dl, "glc_model_invoke");
    assert_true(describe && invoke);
    assert_int_equal(glc_rt_stream_open_static(describe(), NULL, &s), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_open_static(describe(), invoke, &s), GLC_RT_OK);
    float y2[3];
    out[0] = y2;
    assert_int_equal(glc_rt_stream_step(s, in, out), GLC_RT_OK);
    assert_memory_equal(y, y2, sizeof y);
    glc_rt_stream_close(s);
    dlclose(dl);
    glc_rt_model_close(mp);
    glc_rt_model_close(ms);
    glc_graph_destroy(plain);
    glc_graph_destroy(sg);
}

/* ---- graphs that cannot stream: one-line diagnostics ----------------------------------- */

static void expect_refused(glc_graph *g, glc_status want, const char *node, const char *needle) {
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_infer_shapes(g, &d)) fail_msg("infer: %s", d.msg);
    glc_pipeline_options po = {.verify_each = true, .stream = true};
    glc_status s = glc_run_pipeline(g, &po, &d);
    char line[2048];
    glc_diag_format(&d, line, sizeof line);
    if (s != want || !strstr(line, needle) || !strstr(line, "[stream]") ||
        (node && strcmp(d.node, node)) || strchr(line, '\n'))
        fail_msg("got status %d, line: %s", (int)s, line);
    glc_graph_destroy(g);
}

static glc_graph *lstm_graph(const char *direction, bool seq_lens, bool h0) {
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    rnn_spec r = {.op = GLC_OP_LSTM, .layout = 0, .N = 2, .I = 3, .H = 4};
    if (direction && !strcmp(direction, "bidirectional")) r.dirs = 2;
    glc_node_id id = add_rnn(g, &r, 0, x_input(g, &r, 5), false);
    glc_node *n = &g->nodes[id];
    glc_value_id in[8] = {0};
    memcpy(in, n->in, n->n_in * sizeof *in);
    if (seq_lens)
        in[4] = glc_graph_add_const(g, "lens", GLC_DT_I32, 1, (int64_t[]){2}, (int32_t[]){5, 4});
    if (h0) in[5] = cg_in(g, "h_init", GLC_DT_F32, 3, (int64_t[]){1, 2, 4});
    n = &g->nodes[id];
    n->in = glc_arena_memdup(&g->arena, in, sizeof in);
    n->n_in = 8;
    if (direction) glc_node_set_string(g, id, "direction", direction);
    glc_graph_add_output(g, g->nodes[id].out[0]);
    return g;
}

static void test_stream__reverse_and_bidirectional_are_refused(void **state) {
    (void)state;
    expect_refused(lstm_graph("reverse", false, false), GLC_E_UNSUPPORTED, "rnn0",
                   "cannot stream: direction 'reverse'");
    expect_refused(lstm_graph("bidirectional", false, false), GLC_E_UNSUPPORTED, "rnn0",
                   "cannot stream: direction 'bidirectional'");
}

static void test_stream__sequence_lens_and_initial_state_are_refused(void **state) {
    (void)state;
    expect_refused(lstm_graph(NULL, true, false), GLC_E_UNSUPPORTED, "rnn0",
                   "cannot stream: sequence_lens");
    expect_refused(lstm_graph(NULL, false, true), GLC_E_UNSUPPORTED, "rnn0",
                   "cannot stream: initial_h is given and not a constant zero");
}

/* A constant-zero initial_h means "no initial state" (tf2onnx writes one): the port
 * replaces it; streaming from zero then matches the whole run. */
static void build_zero_h0(glc_graph *g, const void *arg, int64_t T, bool state_outs) {
    const rnn_spec *r = arg;
    glc_node_id id = add_rnn(g, r, 0, x_input(g, r, T), state_outs);
    float zeros[2 * 5] = {0};
    glc_value_id h0 = glc_graph_add_const(g, "h_zero", GLC_DT_F32, 3, (int64_t[]){1, 2, 5}, zeros);
    glc_value_id in[6];
    memcpy(in, g->nodes[id].in, 4 * sizeof *in);
    in[4] = 0, in[5] = h0;
    g->nodes[id].in = glc_arena_memdup(&g->arena, in, sizeof in);
    g->nodes[id].n_in = 6;
    glc_graph_add_output(g, g->nodes[id].out[0]);
    output_state(g, id);
}

static void test_stream__constant_zero_initial_state_becomes_the_port(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_GRU, .layout = 0, .N = 2, .I = 3, .H = 5};
    check(build_zero_h0, &r, 4, false, "gru_zero_h0", false);
    glc_graph *sg = make(build_zero_h0, &r, 4, false, true);
    assert_string_equal(sg->values[sg->nodes[0].in[5]].name, "stream_h0");
    assert_null(glc_graph_find_value(sg, "h_zero")); /* no longer used */
    glc_graph_destroy(sg);
}

static void test_stream__reshape_holding_the_sequence_length_is_refused(void **state) {
    (void)state;
    glc_graph *g = lstm_graph(NULL, false, false);
    glc_value_id y = g->outputs[0];
    g->n_outputs = 0;
    g->values[y].is_output = false;
    glc_value_id shape =
        glc_graph_add_const(g, "shape", GLC_DT_I64, 1, (int64_t[]){2}, (int64_t[]){10, 4});
    glc_graph_add_output(g,
                         cg_node(g, GLC_OP_RESHAPE, "bake_t", (glc_value_id[]){y, shape}, 2, NULL));
    expect_refused(g, GLC_E_SHAPE, "bake_t", "cannot stream: Reshape");
}

static void test_stream__inputs_without_the_time_axis_and_plain_models_are_refused(void **state) {
    (void)state;
    glc_graph *g = lstm_graph(NULL, false, false);
    cg_in(g, "bias_vec", GLC_DT_F32, 1, (int64_t[]){4});
    expect_refused(g, GLC_E_UNSUPPORTED, "rnn0",
                   "graph input 'bias_vec' f32[4] has no time axis 0");
    g = glc_graph_create();
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 2, (int64_t[]){2, 2});
    glc_graph_add_output(g, cg_node(g, GLC_OP_RELU, "relu", &x, 1, NULL));
    expect_refused(g, GLC_E_UNSUPPORTED, NULL, "has no LSTM, GRU, RNN or ConvLSTM node");
    g = lstm_graph(NULL, false, false); /* a user value already has a port's name */
    glc_value_id v = cg_in(g, "stream_h0", GLC_DT_F32, 3, (int64_t[]){5, 2, 4});
    glc_graph_add_output(g, cg_node(g, GLC_OP_RELU, "relu", &v, 1, NULL));
    expect_refused(g, GLC_E_UNSUPPORTED, NULL, "already has a value named 'stream_h0'");
}

/* ---- the driver: glc MODEL.onnx --stream ------------------------------------------- */

/* Runs the driver; returns its exit status, stderr in err (first line). */
static int driver(const char *args, char *err, size_t len) {
    char cmd[2048], errf[700];
    snprintf(errf, sizeof errf, "%s/driver.err", cg_tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s'", GLC_DRIVER, args, errf);
    int rc = system(cmd);
    FILE *f = fopen(errf, "r");
    assert_non_null(f);
    size_t n = fread(err, 1, len - 1, f);
    err[n] = '\0';
    fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_stream__driver_stream_flag_compiles_a_step_model(void **state) {
    (void)state;
    char args[2048], err[2048], whole[700], stream[700];
    const char *onnx = GLC_TEST_SRC "/fixtures/stream/lstm_forward.onnx";
    snprintf(whole, sizeof whole, "%s/fx_whole.so", cg_tmpdir);
    snprintf(stream, sizeof stream, "%s/fx_stream.so", cg_tmpdir);
    snprintf(args, sizeof args, "'%s' -o '%s'", onnx, whole);
    assert_int_equal(driver(args, err, sizeof err), 0);
    snprintf(args, sizeof args, "'%s' --stream -O1 -o '%s'", onnx, stream);
    if (driver(args, err, sizeof err) != 0) fail_msg("glc --stream: %s", err);
    /* glc inspect --stream prints the streamed graph: ports after the model's own. */
    char txt[700], buf[8192];
    snprintf(txt, sizeof txt, "%s/inspect.txt", cg_tmpdir);
    snprintf(args, sizeof args, "inspect '%s' --stream >'%s'", onnx, txt);
    assert_int_equal(driver(args, err, sizeof err), 0);
    FILE *f = fopen(txt, "r");
    assert_non_null(f);
    buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
    fclose(f);
    const char *want[] = {"input  %X: f32[1,2,3]",
                          "input  %stream_h0: f32[1,2,5]",
                          "input  %stream_c0: f32[1,2,5]",
                          "output %Y\n",
                          "output %Y_h\n",
                          "output %stream_h0_out\n",
                          "output %stream_c0_out"};
    const char *at = buf;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const char *p = strstr(at, want[i]);
        if (!p) fail_msg("'%s' missing or out of order in:\n%s", want[i], buf);
        at = p;
    }
    glc_rt_model *mw = open_so(whole), *ms = open_so(stream);
    /* Outputs Y, Y_h: Y_h is also state 0 (stream_h0); Y_c was not an output. */
    int state_of[2] = {1, -1};
    compare_models(mw, ms, 4, state_of, 2);
    glc_rt_model_close(mw);
    glc_rt_model_close(ms);
}

/* A real export: Keras LSTM(8, return_sequences) -> LSTM(6) -> Dense by tf2onnx: input
 * (N=2, T=7, 4) through a Transpose to layout-0 LSTMs with constant-zero initial states,
 * the last step sliced out. The stream's output after 7 steps is the whole model's. */
static void test_stream__driver_streams_a_keras_tf2onnx_lstm_stack(void **state) {
    (void)state;
    char args[2048], err[2048], whole[700], stream[700];
    const char *onnx = GLC_TEST_SRC "/fixtures/keras_tf2onnx/lstm_lstm_dense/model.onnx";
    snprintf(whole, sizeof whole, "%s/keras_whole.so", cg_tmpdir);
    snprintf(stream, sizeof stream, "%s/keras_stream.so", cg_tmpdir);
    snprintf(args, sizeof args, "'%s' -O1 -o '%s'", onnx, whole);
    if (driver(args, err, sizeof err) != 0) fail_msg("glc: %s", err);
    snprintf(args, sizeof args, "'%s' --stream -O1 -o '%s'", onnx, stream);
    if (driver(args, err, sizeof err) != 0) fail_msg("glc --stream: %s", err);
    glc_rt_model *mw = open_so(whole), *ms = open_so(stream);
    const glc_model_desc *sd = glc_rt_model_desc(ms);
    assert_int_equal(sd->inputs[0].dims[1], 1); /* (N, T, I): T cut to 1 */
    int state_of[4] = {-1, -1, -1, -1};
    compare_models(mw, ms, 7, state_of, 4);
    glc_rt_model_close(mw);
    glc_rt_model_close(ms);
}

static void test_stream__driver_refusals_are_one_line_and_write_nothing(void **state) {
    (void)state;
    static const struct {
        const char *file, *needle;
    } cases[] = {
        {"lstm_reverse", "node 'lstm' (LSTM) [stream]: unsupported: cannot stream: direction"},
        {"lstm_seq_lens", "node 'lstm' (LSTM) [stream]: unsupported: cannot stream: sequence_lens"},
        {"lstm_reshape_t", "node 'flatten_time' (Reshape) [stream]: shape error: cannot stream"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char args[2048], err[2048], out[700];
        snprintf(out, sizeof out, "%s/refused.so", cg_tmpdir);
        snprintf(args, sizeof args, "'%s/fixtures/stream/%s.onnx' --stream -o '%s'", GLC_TEST_SRC,
                 cases[i].file, out);
        assert_int_equal(driver(args, err, sizeof err), 1);
        if (!strstr(err, cases[i].needle)) fail_msg("%s: %s", cases[i].file, err);
        char *nl = strchr(err, '\n');
        assert_true(nl && nl[1] == '\0'); /* exactly one line */
        assert_int_equal(access(out, F_OK), -1);
    }
}


/* ---- a symbolic batch: glc --stream --shape X=T,N,3 ------------------------------------- */

/* The whole model (X (T, N, 3) -> Y (T, 1, N, 5), Y_h (1, N, 5)) at T, N on x. */
static void run_whole_sym(glc_rt_model *m, int64_t T, int64_t N, const float *x, float *y,
                          float *yh) {
    const int64_t xd[3] = {T, N, 3}, *in_dims[1] = {xd};
    int64_t yd[4], yhd[3], *out_dims[2] = {yd, yhd};
    uint64_t wss;
    assert_int_equal(glc_rt_model_plan(m, in_dims, out_dims, &wss), GLC_RT_OK);
    assert_true(yd[0] == T && yd[2] == N && yhd[1] == N);
    void *ws = xalloc(wss);
    const void *in[1] = {x};
    void *out[2] = {y, yh};
    assert_int_equal(glc_rt_model_run(m, in, in_dims, out, ws, wss), GLC_RT_OK);
    free(ws);
}

/* Plans s for batch N (frame X (1, N, 3)); the frame output and state infos follow. */
static void plan_batch(glc_rt_stream *s, int64_t N) {
    const int64_t xd[3] = {1, N, 3}, *fd[1] = {xd};
    int64_t yd[4] = {0}, yhd[3] = {0}, *od[2] = {yd, yhd};
    assert_int_equal(glc_rt_stream_plan(s, fd, od), GLC_RT_OK);
    assert_true(yd[0] == 1 && yd[1] == 1 && yd[2] == N && yd[3] == 5);
    assert_true(yhd[0] == 1 && yhd[1] == N && yhd[2] == 5);
    assert_int_equal(glc_rt_stream_input(s, 0)->size_bytes, N * 3 * 4);
    assert_int_equal(glc_rt_stream_output(s, 0)->size_bytes, N * 5 * 4);
    for (uint32_t j = 0; j < glc_rt_stream_n_states(s); j++) {
        const glc_tensor_info *si;
        assert_non_null(glc_rt_stream_state(s, j, &si));
        assert_int_equal(si->size_bytes, N * 5 * 4);
        assert_int_equal(si->dims[1], N);
    }
}

static bool state_is_zero(glc_rt_stream *s) {
    for (uint32_t j = 0; j < glc_rt_stream_n_states(s); j++) {
        const glc_tensor_info *si;
        const float *st = glc_rt_stream_state(s, j, &si);
        for (uint64_t k = 0; k < si->size_bytes / 4; k++)
            if (st[k] != 0.0f) return false;
    }
    return true;
}

/* Bad frame dims are refused and change nothing: the state h0 of N rows survives. */
static void expect_bad_plans_refused(glc_rt_stream *s, int64_t N) {
    const glc_tensor_info *si;
    float *h = glc_rt_stream_state(s, 0, &si), before[64];
    memcpy(before, h, (size_t)si->size_bytes);
    static const int64_t bad[][3] = {{1, 0, 3}, {1, -2, 3}, {2, 2, 3}, {1, 2, 4}, {1, INT64_MAX, 3}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        const int64_t *fd[1] = {bad[k]};
        assert_int_equal(glc_rt_stream_plan(s, fd, NULL), GLC_RT_E_SHAPE);
    }
    const int64_t *none[1] = {NULL};
    assert_int_equal(glc_rt_stream_plan(s, NULL, NULL), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_plan(s, none, NULL), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_stream_plan(NULL, none, NULL), GLC_RT_E_ARG);
    assert_true(glc_rt_stream_state(s, 0, &si) == h && si->size_bytes == (uint64_t)N * 5 * 4);
    assert_memory_equal(h, before, (size_t)si->size_bytes);
}

/* T steps at batch N against the whole model; halfway, a re-plan with the same dims and
 * refused plans keep the state. */
static void stream_batch(glc_rt_model *whole, glc_rt_stream *s, int64_t T, int64_t N) {
    float *x = xalloc((uint64_t)(T * N * 3 * 4)), *y = xalloc((uint64_t)(T * N * 5 * 4));
    float *yh = xalloc((uint64_t)(N * 5 * 4)), *fy = xalloc((uint64_t)(N * 5 * 4));
    float *fyh = xalloc((uint64_t)(N * 5 * 4));
    unsigned seed = (unsigned)(7 * N);
    for (int64_t k = 0; k < T * N * 3; k++)
        x[k] = (float)((double)rand_r(&seed) / RAND_MAX * 2 - 1);
    run_whole_sym(whole, T, N, x, y, yh);
    plan_batch(s, N);
    assert_true(state_is_zero(s)); /* a new batch starts from zero */
    for (int64_t t = 0; t < T; t++) {
        if (t == T / 2) {
            plan_batch(s, N);
            expect_bad_plans_refused(s, N);
        }
        const void *in[1] = {x + t * N * 3};
        void *out[2] = {fy, fyh}; /* frame outputs Y, Y_h */
        assert_int_equal(glc_rt_stream_step(s, in, out), GLC_RT_OK);
        expect_close("Y", t, fy, y + t * N * 5, N * 5);
        expect_close("Y_h", t, fyh, y + t * N * 5, N * 5); /* h_t is Y's step t */
    }
    expect_close("state h", T, glc_rt_stream_state(s, 0, NULL), yh, N * 5);
    free(x), free(y), free(yh), free(fy), free(fyh);
}

static void test_stream__symbolic_batch_plans_state_per_batch(void **state) {
    (void)state;
    char args[2048], err[2048], whole[700], stream[700];
    const char *onnx = GLC_TEST_SRC "/fixtures/stream/lstm_forward.onnx";
    snprintf(whole, sizeof whole, "%s/sym_whole.so", cg_tmpdir);
    snprintf(args, sizeof args, "'%s' --shape X=T,N,3 -O1 -o '%s'", onnx, whole);
    if (driver(args, err, sizeof err) != 0) fail_msg("glc: %s", err);
    glc_rt_model *mw = open_so(whole);
    static const char *const shapes[] = {"X=T,N,3", "X=4,N,3"}; /* T symbolic, or static */
    for (size_t v = 0; v < 2; v++) {
        snprintf(stream, sizeof stream, "%s/sym_stream%zu.so", cg_tmpdir, v);
        snprintf(args, sizeof args, "'%s' --stream --shape %s -O1 -o '%s'", onnx, shapes[v], stream);
        if (driver(args, err, sizeof err) != 0) fail_msg("glc --stream --shape %s: %s", shapes[v], err);
        glc_rt_model *ms = open_so(stream);
        assert_true(glc_rt_model_desc(ms)->n_symbols > 0);
        glc_rt_stream *s = NULL;
        assert_int_equal(glc_rt_stream_open(ms, &s), GLC_RT_OK);
        assert_int_equal(glc_rt_stream_n_states(s), 2);
        assert_int_equal(glc_rt_stream_n_outputs(s), 2);
        float x[3] = {0}, y[5], yh[5];
        const void *in[1] = {x};
        void *out[2] = {y, yh};
        assert_int_equal(glc_rt_stream_step(s, in, out), GLC_RT_E_SHAPE); /* not planned */
        stream_batch(mw, s, 4, 2);
        stream_batch(mw, s, 4, 3); /* another batch: state resized, from zero */
        stream_batch(mw, s, 5, 2); /* and back */
        glc_rt_stream_close(s);
        glc_rt_model_close(ms);
    }
    glc_rt_model_close(mw);
}

/* A stream of a static model accepts a plan of its own dims only, and keeps its state. */
static void test_stream__static_model_plan_accepts_its_own_dims(void **state) {
    (void)state;
    rnn_spec r = {.op = GLC_OP_RNN, .layout = 0, .N = 1, .I = 2, .H = 3};
    glc_graph *sg = make(build_single, &r, 3, false, true);
    glc_rt_model *ms = compile(sg, "rnn_plan.so");
    glc_rt_stream *s = NULL;
    assert_int_equal(glc_rt_stream_open(ms, &s), GLC_RT_OK);
    float *h = glc_rt_stream_state(s, 0, NULL);
    h[0] = 0.5f;
    const int64_t good[3] = {1, 1, 2}, bad[3] = {1, 2, 2}, *fg[1] = {good}, *fb[1] = {bad};
    int64_t yd[4], *od[1] = {yd};
    assert_int_equal(glc_rt_stream_plan(s, fb, od), GLC_RT_E_SHAPE);
    assert_int_equal(glc_rt_stream_plan(s, fg, od), GLC_RT_OK);
    assert_true(yd[0] == 1 && yd[1] == 1 && yd[2] == 1 && yd[3] == 3);
    assert_true(glc_rt_stream_state(s, 0, NULL) == h && h[0] == 0.5f);
    glc_rt_stream_close(s);
    glc_rt_model_close(ms);
    glc_graph_destroy(sg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream__lstm_layout0_steps_equal_whole_sequence),
        cmocka_unit_test(test_stream__lstm_layout1_with_clip_keeps_its_own_state_outputs),
        cmocka_unit_test(test_stream__gru_layout0_steps_equal_whole_sequence),
        cmocka_unit_test(test_stream__gru_linear_before_reset_layout1_matmul_head),
        cmocka_unit_test(test_stream__rnn_steps_equal_whole_sequence),
        cmocka_unit_test(test_stream__two_layer_lstm_with_gemm_head_carries_four_states),
        cmocka_unit_test(test_stream__convlstm_layout1_steps_equal_whole_sequence),
        cmocka_unit_test(test_stream__runtime_rejects_null_arguments_and_plain_models),
        cmocka_unit_test(test_stream__reverse_and_bidirectional_are_refused),
        cmocka_unit_test(test_stream__sequence_lens_and_initial_state_are_refused),
        cmocka_unit_test(test_stream__constant_zero_initial_state_becomes_the_port),
        cmocka_unit_test(test_stream__reshape_holding_the_sequence_length_is_refused),
        cmocka_unit_test(test_stream__inputs_without_the_time_axis_and_plain_models_are_refused),
        cmocka_unit_test(test_stream__driver_stream_flag_compiles_a_step_model),
        cmocka_unit_test(test_stream__driver_streams_a_keras_tf2onnx_lstm_stack),
        cmocka_unit_test(test_stream__driver_refusals_are_one_line_and_write_nothing),
        cmocka_unit_test(test_stream__symbolic_batch_plans_state_per_batch),
        cmocka_unit_test(test_stream__static_model_plan_accepts_its_own_dims),
    };
    return cmocka_run_group_tests_name("stream", tests, cg_group_setup, cg_group_teardown);
}
