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
 */
#include "glc_runtime.h"

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
    void *ws;                 /* desc->workspace_size bytes, or NULL */
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
    for (uint32_t j = 0; j < s->n_state; j++) {
        uint64_t n = d->inputs[s->st_in[j]].size_bytes;
        if (!(s->cur[j] = alloc_aligned(n)) || !(s->next[j] = alloc_aligned(n)))
            return GLC_RT_E_NOMEM;
    }
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
    return s && i < s->n_fin ? &s->desc->inputs[s->fin[i]] : NULL;
}

const glc_tensor_info *glc_rt_stream_output(const glc_rt_stream *s, uint32_t i) {
    return s && i < s->n_fout ? &s->desc->outputs[s->fout[i]] : NULL;
}

void *glc_rt_stream_state(glc_rt_stream *s, uint32_t i, const glc_tensor_info **info) {
    if (info) *info = NULL;
    if (!s || i >= s->n_state) return NULL;
    if (info) *info = &s->desc->inputs[s->st_in[i]];
    return s->cur[i];
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
    uint64_t ws = s->desc->workspace_size;
    glc_rt_status st = s->m ? glc_rt_model_run(s->m, s->in, NULL, s->out, s->ws, ws)
                            : s->invoke(s->in, NULL, s->out, s->ws, ws);
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
        memset(s->cur[j], 0, (size_t)s->desc->inputs[s->st_in[j]].size_bytes);
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
    free(s);
}
