/*
 * stream.c -- running a model compiled with --stream one time step at a time.
 *
 * The compiled model is an ordinary glc model (same ABI): passes/stream.c gave it,
 * for each recurrent node k, a state input stream_h<k> (stream_c<k>) and a state
 * output stream_h<k>_out (stream_c<k>_out). This wrapper pairs those ports by name,
 * owns two buffers per state (the current state, fed to the input port, and the
 * next, written by the output port) and swaps them after a successful run, so a
 * step copies nothing and a failed step leaves the state as it was. The other ports
 * are the frame ports, passed through in the model's order.
 *
 * Everything is allocated at open: the port maps, the full pointer arrays handed to
 * invoke, the state buffers (64-byte aligned, zeroed) and the workspace. step() does
 * not allocate.
 *
 * Symbolic dims (a batch N, say): the state's size depends on the frame dims, so a
 * stream of such a model must be planned (glc_rt_stream_plan) before it steps. plan()
 * takes the frame inputs' dims, gives each state input the dims its symbols have there
 * (a state dim must be static or a symbol of the frame inputs, as stream_h's (1, N, H)
 * is), runs the model's plan() on the lot and keeps the dims for every step. When the
 * state dims change, the state buffers are made anew, zeroed (a state of another batch
 * means nothing for this one), and the workspace grows if it must; the same dims keep
 * the state. The stream's tensor infos (inputs, outputs, states) are copies of the
 * model's, with the planned dims and sizes.
 */
#include "glc_runtime.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct glc_rt_stream {
    const glc_model_desc *desc;
    const glc_rt_model *m;      /* loader model, or NULL ... */
    glc_model_invoke_fn invoke; /* ... and a statically linked entry point */
    uint32_t n_fin, n_fout, n_state;
    uint32_t *fin, *fout;     /* frame port i -> model port index */
    uint32_t *st_in, *st_out; /* state j -> model input / output port index */
    void **cur, **next;       /* state j: current value, next value (size of port) */
    const void **in;          /* desc->n_inputs pointers handed to invoke */
    void **out;               /* desc->n_outputs */
    void *ws;                 /* ws_cap bytes, or NULL */
    uint64_t ws_size, ws_cap; /* the planned workspace, the allocated one */
    bool sym, planned;        /* the model has symbols; its dims are planned */
    glc_tensor_info *in_info, *out_info; /* the model's ports at the planned dims */
    int64_t *dim_store;                  /* every port's dims, inputs then outputs */
    const int64_t **in_dims;             /* desc->n_inputs pointers into dim_store */
    int64_t **out_dims;                  /* desc->n_outputs */
};

static void *alloc_aligned(uint64_t n) {
    size_t size = (size_t)((n + 63) / 64 * 64);
    void *p = aligned_alloc(64, size ? size : 64);
    if (p) memset(p, 0, size ? size : 64);
    return p;
}

/* "stream_h<digits>" or "stream_c<digits>". */
static int is_state_name(const char *s) {
    if (!s || strncmp(s, "stream_", 7) || (s[7] != 'h' && s[7] != 'c') || !s[8]) return 0;
    for (s += 8; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* The output named "<name>_out" with the input's dtype and size, or UINT32_MAX. */
static uint32_t find_out(const glc_model_desc *d, const glc_tensor_info *in) {
    size_t len = strlen(in->name);
    for (uint32_t o = 0; o < d->n_outputs; o++) {
        const glc_tensor_info *t = &d->outputs[o];
        if (t->name && !strncmp(t->name, in->name, len) && !strcmp(t->name + len, "_out") &&
            t->dtype == in->dtype && t->size_bytes == in->size_bytes)
            return o;
    }
    return UINT32_MAX;
}

static int is_state_out(const glc_model_desc *d, uint32_t o) {
    const char *name = d->outputs[o].name;
    size_t len = name ? strlen(name) : 0;
    if (len < 5 || strcmp(name + len - 4, "_out")) return 0;
    for (uint32_t i = 0; i < d->n_inputs; i++)
        if (is_state_name(d->inputs[i].name) && find_out(d, &d->inputs[i]) == o) return 1;
    return 0;
}

/* Fills the port maps; GLC_RT_E_NOT_STREAM if a state input has no output. */
static glc_rt_status map_ports(glc_rt_stream *s) {
    const glc_model_desc *d = s->desc;
    for (uint32_t i = 0; i < d->n_inputs; i++) {
        if (!is_state_name(d->inputs[i].name)) {
            s->fin[s->n_fin++] = i;
            continue;
        }
        uint32_t o = find_out(d, &d->inputs[i]);
        if (o == UINT32_MAX) return GLC_RT_E_NOT_STREAM;
        s->st_in[s->n_state] = i;
        s->st_out[s->n_state++] = o;
    }
    for (uint32_t o = 0; o < d->n_outputs; o++)
        if (!is_state_out(d, o)) s->fout[s->n_fout++] = o;
    return s->n_state ? GLC_RT_OK : GLC_RT_E_NOT_STREAM;
}

/* The port infos, copied with their own dims (as the model gives them until a plan). */
static glc_rt_status copy_infos(glc_rt_stream *s) {
    const glc_model_desc *d = s->desc;
    uint64_t n = 0;
    for (uint32_t i = 0; i < d->n_inputs; i++)
        n += (uint64_t)d->inputs[i].rank;
    for (uint32_t o = 0; o < d->n_outputs; o++)
        n += (uint64_t)d->outputs[o].rank;
    s->in_info = calloc(d->n_inputs + 1, sizeof *s->in_info);
    s->out_info = calloc(d->n_outputs + 1, sizeof *s->out_info);
    s->in_dims = calloc(d->n_inputs + 1, sizeof *s->in_dims);
    s->out_dims = calloc(d->n_outputs + 1, sizeof *s->out_dims);
    s->dim_store = calloc(n + 1, sizeof *s->dim_store);
    if (!s->in_info || !s->out_info || !s->in_dims || !s->out_dims || !s->dim_store)
        return GLC_RT_E_NOMEM;
    int64_t *at = s->dim_store;
    for (uint32_t i = 0; i < d->n_inputs; i++) {
        s->in_info[i] = d->inputs[i];
        memcpy(at, d->inputs[i].dims, (size_t)d->inputs[i].rank * sizeof *at);
        s->in_info[i].dims = s->in_dims[i] = at;
        at += d->inputs[i].rank;
    }
    for (uint32_t o = 0; o < d->n_outputs; o++) {
        s->out_info[o] = d->outputs[o];
        memcpy(at, d->outputs[o].dims, (size_t)d->outputs[o].rank * sizeof *at);
        s->out_info[o].dims = s->out_dims[o] = at;
        at += d->outputs[o].rank;
    }
    s->sym = d->n_symbols > 0;
    s->planned = !s->sym; /* static dims: planned from the start */
    return GLC_RT_OK;
}

static glc_rt_status alloc_all(glc_rt_stream *s) {
    const glc_model_desc *d = s->desc;
    uint32_t ni = d->n_inputs ? d->n_inputs : 1, no = d->n_outputs ? d->n_outputs : 1;
    s->fin = calloc(ni, sizeof *s->fin);
    s->st_in = calloc(ni, sizeof *s->st_in);
    s->st_out = calloc(ni, sizeof *s->st_out);
    s->cur = calloc(ni, sizeof *s->cur);
    s->next = calloc(ni, sizeof *s->next);
    s->in = calloc(ni, sizeof *s->in);
    s->fout = calloc(no, sizeof *s->fout);
    s->out = calloc(no, sizeof *s->out);
    if (!s->fin || !s->st_in || !s->st_out || !s->cur || !s->next || !s->in || !s->fout || !s->out)
        return GLC_RT_E_NOMEM;
    glc_rt_status st = map_ports(s);
    if (st != GLC_RT_OK) return st;
    if (copy_infos(s) != GLC_RT_OK) return GLC_RT_E_NOMEM;
    for (uint32_t j = 0; j < s->n_state; j++) {
        uint64_t n = d->inputs[s->st_in[j]].size_bytes;
        if (!(s->cur[j] = alloc_aligned(n)) || !(s->next[j] = alloc_aligned(n)))
            return GLC_RT_E_NOMEM;
    }
    s->ws_size = s->ws_cap = d->workspace_size;
    if (d->workspace_size && !(s->ws = alloc_aligned(d->workspace_size))) return GLC_RT_E_NOMEM;
    return GLC_RT_OK;
}

static glc_rt_status open_common(const glc_model_desc *desc, const glc_rt_model *m,
                                 glc_model_invoke_fn invoke, glc_rt_stream **out) {
    if (!out) return GLC_RT_E_ARG;
    *out = NULL;
    if (!desc || (!m && !invoke) || (desc->n_inputs && !desc->inputs) ||
        (desc->n_outputs && !desc->outputs))
        return GLC_RT_E_ARG;
    glc_rt_stream *s = calloc(1, sizeof *s);
    if (!s) return GLC_RT_E_NOMEM;
    s->desc = desc;
    s->m = m;
    s->invoke = invoke;
    glc_rt_status st = alloc_all(s);
    if (st != GLC_RT_OK) {
        glc_rt_stream_close(s);
        return st;
    }
    *out = s;
    return GLC_RT_OK;
}

glc_rt_status glc_rt_stream_open(const glc_rt_model *m, glc_rt_stream **out) {
    if (!m) {
        if (out) *out = NULL;
        return GLC_RT_E_ARG;
    }
    return open_common(glc_rt_model_desc(m), m, NULL, out);
}

glc_rt_status glc_rt_stream_open_static(const glc_model_desc *desc, glc_model_invoke_fn invoke,
                                        glc_rt_stream **out) {
    if (!invoke) {
        if (out) *out = NULL;
        return GLC_RT_E_ARG;
    }
    return open_common(desc, NULL, invoke, out);
}

uint32_t glc_rt_stream_n_inputs(const glc_rt_stream *s) {
    return s ? s->n_fin : 0;
}

uint32_t glc_rt_stream_n_outputs(const glc_rt_stream *s) {
    return s ? s->n_fout : 0;
}

uint32_t glc_rt_stream_n_states(const glc_rt_stream *s) {
    return s ? s->n_state : 0;
}

const glc_tensor_info *glc_rt_stream_input(const glc_rt_stream *s, uint32_t i) {
    return s && i < s->n_fin ? &s->in_info[s->fin[i]] : NULL;
}

const glc_tensor_info *glc_rt_stream_output(const glc_rt_stream *s, uint32_t i) {
    return s && i < s->n_fout ? &s->out_info[s->fout[i]] : NULL;
}

void *glc_rt_stream_state(glc_rt_stream *s, uint32_t i, const glc_tensor_info **info) {
    if (info) *info = NULL;
    if (!s || i >= s->n_state) return NULL;
    if (info) *info = &s->in_info[s->st_in[i]];
    return s->cur[i];
}

/* ---- plan: the frame dims, and the state and workspace they need ---------------------- */

static uint64_t elem_size(int32_t dtype) {
    switch (dtype) {
    case 7: case 11: case 13: return 8; /* int64, double, uint64 */
    case 5: case 4: case 10: case 16: return 2;
    case 2: case 3: case 9: return 1;
    default: return 4;
    }
}

/* Bytes of t at dims (valid: the model's plan() accepted them). */
static uint64_t size_at(const glc_tensor_info *t, const int64_t *dims) {
    uint64_t n = elem_size(t->dtype);
    for (int a = 0; a < t->rank; a++)
        n *= (uint64_t)dims[a];
    return n;
}

/* The value of symbol `name` in the frame inputs' dims, or -1. */
static int64_t frame_symbol(const glc_rt_stream *s, const int64_t *const *fd, const char *name) {
    for (uint32_t i = 0; i < s->n_fin; i++) {
        const glc_tensor_info *t = &s->desc->inputs[s->fin[i]];
        for (int a = 0; t->dim_names && a < t->rank; a++)
            if (t->dim_names[a] && !strcmp(t->dim_names[a], name)) return fd[i][a];
    }
    return -1;
}

/* Every input's dims into dims[] (rank each, in model order, in store) from the frame
 * dims; GLC_RT_E_SHAPE if a state dim is neither static nor a frame symbol. */
static glc_rt_status all_input_dims(const glc_rt_stream *s, const int64_t *const *fd,
                                    int64_t *store, const int64_t **dims) {
    const glc_model_desc *d = s->desc;
    for (uint32_t i = 0; i < d->n_inputs; i++) {
        dims[i] = store;
        store += d->inputs[i].rank;
    }
    for (uint32_t i = 0; i < s->n_fin; i++) {
        if (!fd[i]) return GLC_RT_E_ARG;
        memcpy((int64_t *)dims[s->fin[i]], fd[i], (size_t)d->inputs[s->fin[i]].rank * sizeof **dims);
    }
    for (uint32_t j = 0; j < s->n_state; j++) {
        const glc_tensor_info *t = &d->inputs[s->st_in[j]];
        int64_t *x = (int64_t *)dims[s->st_in[j]];
        for (int a = 0; a < t->rank; a++) {
            x[a] = t->dims[a];
            if (x[a] < 0 && (!t->dim_names || !t->dim_names[a] ||
                             (x[a] = frame_symbol(s, fd, t->dim_names[a])) < 0))
                return GLC_RT_E_SHAPE;
        }
    }
    return GLC_RT_OK;
}

/* plan() of a model without symbols opened by open_static: its own dims, or E_SHAPE. */
static glc_rt_status plan_static(const glc_rt_stream *s, const int64_t *const *in,
                                 int64_t *const *out, uint64_t *ws) {
    const glc_model_desc *d = s->desc;
    for (uint32_t i = 0; i < d->n_inputs; i++)
        if (memcmp(in[i], d->inputs[i].dims, (size_t)d->inputs[i].rank * sizeof *in[i]))
            return GLC_RT_E_SHAPE;
    for (uint32_t o = 0; o < d->n_outputs; o++)
        memcpy(out[o], d->outputs[o].dims, (size_t)d->outputs[o].rank * sizeof *out[o]);
    *ws = d->workspace_size;
    return GLC_RT_OK;
}

/* New zeroed state buffers of the sizes the dims give (if new_state), and a workspace of
 * ws bytes if the current one is smaller; all or nothing. */
static glc_rt_status realloc_state(glc_rt_stream *s, const int64_t *const *dims, uint64_t ws,
                                   bool new_state) {
    uint32_t n = new_state ? s->n_state : 0;
    void **cur = calloc(n + 1, sizeof *cur), **next = calloc(n + 1, sizeof *next);
    void *nws = ws > s->ws_cap ? alloc_aligned(ws) : NULL;
    bool ok = cur && next && (ws <= s->ws_cap || nws);
    for (uint32_t j = 0; ok && j < n; j++) {
        uint64_t b = size_at(&s->desc->inputs[s->st_in[j]], dims[s->st_in[j]]);
        ok = (cur[j] = alloc_aligned(b)) && (next[j] = alloc_aligned(b));
    }
    if (!ok) {
        for (uint32_t j = 0; cur && next && j < n; j++)
            free(cur[j]), free(next[j]);
        free(cur), free(next), free(nws);
        return GLC_RT_E_NOMEM;
    }
    for (uint32_t j = 0; j < n; j++) {
        free(s->cur[j]), free(s->next[j]);
        s->cur[j] = cur[j], s->next[j] = next[j];
    }
    free(cur), free(next);
    if (nws) free(s->ws), s->ws = nws, s->ws_cap = ws;
    return GLC_RT_OK;
}

/* Whether the state dims in dims differ from the planned ones (or none were planned). */
static bool state_dims_change(const glc_rt_stream *s, const int64_t *const *dims) {
    for (uint32_t j = 0; j < s->n_state; j++) {
        uint32_t i = s->st_in[j];
        if (!s->planned ||
            memcmp(dims[i], s->in_dims[i], (size_t)s->desc->inputs[i].rank * sizeof(int64_t)))
            return true;
    }
    return false;
}

/* Keeps the planned dims and sizes in the stream's infos. */
static void commit_dims(glc_rt_stream *s, const int64_t *const *in, int64_t *const *out) {
    const glc_model_desc *d = s->desc;
    for (uint32_t i = 0; i < d->n_inputs; i++) {
        memcpy((int64_t *)s->in_dims[i], in[i], (size_t)d->inputs[i].rank * sizeof *in[i]);
        s->in_info[i].size_bytes = size_at(&d->inputs[i], in[i]);
    }
    for (uint32_t o = 0; o < d->n_outputs; o++) {
        memcpy(s->out_dims[o], out[o], (size_t)d->outputs[o].rank * sizeof *out[o]);
        s->out_info[o].size_bytes = size_at(&d->outputs[o], out[o]);
    }
}

glc_rt_status glc_rt_stream_plan(glc_rt_stream *s, const int64_t *const *frame_input_dims,
                                 int64_t *const *frame_output_dims) {
    if (!s || !frame_input_dims) return GLC_RT_E_ARG;
    if (!s->m && s->sym) return GLC_RT_E_ARG; /* open_static: no plan() to ask */
    const glc_model_desc *d = s->desc;
    uint64_t n = 0, ws = 0;
    for (uint32_t i = 0; i < d->n_inputs; i++)
        n += (uint64_t)d->inputs[i].rank;
    for (uint32_t o = 0; o < d->n_outputs; o++)
        n += (uint64_t)d->outputs[o].rank;
    int64_t *store = calloc(n + 1, sizeof *store);
    const int64_t **in = calloc(d->n_inputs + 1, sizeof *in);
    int64_t **out = calloc(d->n_outputs + 1, sizeof *out);
    glc_rt_status st = store && in && out ? GLC_RT_OK : GLC_RT_E_NOMEM;
    if (st == GLC_RT_OK) st = all_input_dims(s, frame_input_dims, store, in);
    int64_t *at = store + n; /* outputs at the end */
    for (uint32_t o = d->n_outputs; st == GLC_RT_OK && o-- > 0;)
        out[o] = at -= d->outputs[o].rank;
    if (st == GLC_RT_OK)
        st = s->m ? glc_rt_model_plan(s->m, in, out, &ws) : plan_static(s, in, out, &ws);
    for (uint32_t j = 0; st == GLC_RT_OK && j < s->n_state; j++) /* state out = state in */
        if (memcmp(out[s->st_out[j]], in[s->st_in[j]],
                   (size_t)d->inputs[s->st_in[j]].rank * sizeof(int64_t)))
            st = GLC_RT_E_SHAPE;
    bool change = st == GLC_RT_OK && state_dims_change(s, in);
    if (st == GLC_RT_OK) st = realloc_state(s, in, ws, change);
    if (st == GLC_RT_OK) {
        commit_dims(s, in, out);
        s->ws_size = ws;
        s->planned = true;
        for (uint32_t i = 0; frame_output_dims && i < s->n_fout; i++)
            if (frame_output_dims[i])
                memcpy(frame_output_dims[i], out[s->fout[i]],
                       (size_t)d->outputs[s->fout[i]].rank * sizeof *out[0]);
    }
    free(store);
    free(in);
    free(out);
    return st;
}

glc_rt_status glc_rt_stream_step(glc_rt_stream *s, const void *const *frame_inputs,
                                 void *const *frame_outputs) {
    if (!s || (s->n_fin && !frame_inputs) || (s->n_fout && !frame_outputs)) return GLC_RT_E_ARG;
    for (uint32_t i = 0; i < s->n_fin; i++) {
        if (!frame_inputs[i]) return GLC_RT_E_ARG;
        s->in[s->fin[i]] = frame_inputs[i];
    }
    for (uint32_t i = 0; i < s->n_fout; i++) {
        if (!frame_outputs[i]) return GLC_RT_E_ARG;
        s->out[s->fout[i]] = frame_outputs[i];
    }
    for (uint32_t j = 0; j < s->n_state; j++) {
        s->in[s->st_in[j]] = s->cur[j];
        s->out[s->st_out[j]] = s->next[j];
    }
    if (!s->planned) return GLC_RT_E_SHAPE;
    const int64_t *const *dims = s->sym ? s->in_dims : NULL;
    glc_rt_status st = s->m ? glc_rt_model_run(s->m, s->in, dims, s->out, s->ws, s->ws_size)
                            : s->invoke(s->in, dims, s->out, s->ws, s->ws_size);
    if (st != GLC_RT_OK) return st;
    for (uint32_t j = 0; j < s->n_state; j++) {
        void *t = s->cur[j];
        s->cur[j] = s->next[j];
        s->next[j] = t;
    }
    return GLC_RT_OK;
}

glc_rt_status glc_rt_stream_reset(glc_rt_stream *s) {
    if (!s) return GLC_RT_E_ARG;
    for (uint32_t j = 0; j < s->n_state; j++)
        memset(s->cur[j], 0, (size_t)s->in_info[s->st_in[j]].size_bytes);
    return GLC_RT_OK;
}

void glc_rt_stream_close(glc_rt_stream *s) {
    if (!s) return;
    for (uint32_t j = 0; s->cur && j < s->n_state; j++)
        free(s->cur[j]);
    for (uint32_t j = 0; s->next && j < s->n_state; j++)
        free(s->next[j]);
    free(s->fin);
    free(s->fout);
    free(s->st_in);
    free(s->st_out);
    free(s->cur);
    free(s->next);
    free(s->in);
    free(s->out);
    free(s->ws);
    free(s->in_info);
    free(s->out_info);
    free(s->in_dims);
    free(s->out_dims);
    free(s->dim_store);
    free(s);
}
