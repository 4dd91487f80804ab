/*
 * fuzz_abi.c -- libFuzzer target: a compiled model's C ABI under hostile arguments.
 *
 * The model (a .so made by glc) comes from $GLC_FUZZ_MODEL. scripts/fuzz.sh runs this
 * source as two targets: fuzz_abi on the bidirectional LSTM fixture with every input fed
 * (static dims), fuzz_abi_sym on an LSTM with symbolic T and N, both bounded by
 * --max-dim (sequence_lens, of dims (N), an int32 input). Each input's bytes decide:
 * byte 0 which pointers are NULL (the input array, the output array, one input, one
 * output, the workspace; for a symbolic model also the dims array or one dims entry),
 * bytes 1-2 a signed change to the workspace size, byte 3 which input/output; for a
 * symbolic model one byte per input axis (decode_dim: mostly in or just past the
 * bounds, a shared symbol mostly equal to its first occurrence, or a special value:
 * negative, 0, INT64_MIN/MAX, 2^31, 2^32 + 1, a static dim + 1); the rest fill the input
 * tensors (any float bits, any int32 lengths).
 *
 * The contract checked (a failed check is __builtin_trap):
 *  - plan() accepts exactly the dims where each static dim matches, each symbolic dim is
 *    in [1, its bound] and each symbol's occurrences agree (this oracle assumes the model
 *    has no constraint besides those, true of both models), and then reports outputs and
 *    a workspace no bigger than describe()'s worst case;
 *  - invoke() returns OK when nothing is wrong, else one of the wrongs present
 *    (GLC_RT_E_ARG for NULLs, GLC_RT_E_SHAPE for dims, GLC_RT_E_WORKSPACE for a short or
 *    NULL workspace), and never a crash;
 *  - a failed invoke() writes no output byte; a successful one writes nothing past the
 *    planned size of each output (the buffers have the worst-case size plus GUARD bytes,
 *    filled with FILL before each call: the generated code is not instrumented by ASan).
 */
#include "glc_runtime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IO 16
#define MAX_RANK 8
#define GUARD 64
#define FILL 0xA5

static glc_rt_model *model;
static void *in_buf[MAX_IO], *out_buf[MAX_IO], *ws;
static int64_t dims[MAX_IO][MAX_RANK];

static size_t dtype_size(int32_t dt) {
    switch (dt) {
    case 7: case 11: case 13: return 8; /* int64, double, uint64 */
    case 6: case 12: return 4;          /* int32, uint32 */
    case 5: case 4: case 10: case 16: return 2;
    case 2: case 3: case 9: return 1;
    default: return 4;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *path = getenv("GLC_FUZZ_MODEL");
    char err[512];
    if (!path || glc_rt_model_open(path, NULL, &model, err, sizeof err) != GLC_RT_OK) {
        fprintf(stderr, "fuzz_abi: set GLC_FUZZ_MODEL to a compiled model (%s)\n",
                path ? err : "unset");
        exit(1);
    }
    const glc_model_desc *md = glc_rt_model_desc(model);
    if (md->n_inputs > MAX_IO || md->n_outputs > MAX_IO) exit(1);
    for (uint32_t i = 0; i < md->n_inputs; i++) {
        if (md->inputs[i].rank > MAX_RANK || (md->n_symbols && !md->inputs[i].size_bytes)) {
            fprintf(stderr, "fuzz_abi: input %u: rank over %d or an unbounded symbol "
                            "(compile with --max-dim)\n", i, MAX_RANK);
            exit(1);
        }
        in_buf[i] = calloc(1, md->inputs[i].size_bytes + 1);
    }
    for (uint32_t i = 0; i < md->n_outputs; i++)
        out_buf[i] = calloc(1, md->outputs[i].size_bytes + GUARD);
    ws = calloc(1, md->workspace_size + 64);
    return 0;
}

/* Axis a of input t from byte b (see the header); seen/val: the symbol's first value. */
static int64_t decode_dim(const glc_tensor_info *t, int a, uint8_t b, bool seen, int64_t val) {
    int64_t s = t->dims[a], max = t->max_dims ? t->max_dims[a] : s;
    switch (b) {
    case 0xF8: return -1;
    case 0xF9: return 0;
    case 0xFA: return INT64_MIN;
    case 0xFB: return INT64_MAX;
    case 0xFC: return ((int64_t)1 << 31) - 1;
    case 0xFD: return (int64_t)1 << 31;
    case 0xFE: return (s >= 0 ? s : max) + 1;
    case 0xFF: return ((int64_t)1 << 32) + 1;
    }
    if (s >= 0) return s;
    if (seen && b < 0xC0) return val;
    return 1 + b % (max + 1); /* 1 .. max + 1 */
}

/* Reads the inputs' dims from data (one byte per axis, 0 past the end); returns whether
 * they are valid (see the header) and advances *off. */
static bool read_dims(const glc_model_desc *md, const uint8_t *data, size_t size, size_t *off) {
    const char *names[MAX_IO * MAX_RANK];
    int64_t vals[MAX_IO * MAX_RANK];
    int n_names = 0;
    bool ok = true;
    for (uint32_t i = 0; i < md->n_inputs; i++) {
        const glc_tensor_info *t = &md->inputs[i];
        for (int a = 0; a < t->rank; a++) {
            uint8_t b = *off < size ? data[(*off)++] : 0;
            const char *name = t->dim_names ? t->dim_names[a] : NULL;
            int k = 0;
            while (name && k < n_names && strcmp(names[k], name))
                k++;
            bool seen = name && k < n_names;
            int64_t x = decode_dim(t, a, b, seen, seen ? vals[k] : 0);
            dims[i][a] = x;
            if (!name) {
                ok &= x == t->dims[a];
            } else {
                ok &= x >= 1 && x <= t->max_dims[a];
                if (seen) ok &= x == vals[k];
                else names[n_names] = name, vals[n_names++] = x;
            }
        }
    }
    return ok;
}

/* Bytes of output j at its planned dims od. */
static uint64_t planned_bytes(const glc_tensor_info *t, const int64_t *od) {
    uint64_t n = dtype_size(t->dtype);
    for (int a = 0; a < t->rank; a++)
        n *= (uint64_t)od[a];
    return n;
}

static bool all_fill(const void *p, uint64_t n) {
    const unsigned char *c = p;
    for (uint64_t i = 0; i < n; i++)
        if (c[i] != FILL) return false;
    return true;
}

/* plan() at the fuzzed dims: OK exactly when they are valid, and then within the
 * worst case; fills limit[j] (bytes output j may get) and *ws_need. */
static void check_plan(const glc_model_desc *md, const int64_t *const *dp, bool valid,
                       uint64_t *limit, uint64_t *ws_need) {
    int64_t od[MAX_IO][MAX_RANK], *odp[MAX_IO];
    for (int j = 0; j < MAX_IO; j++)
        odp[j] = od[j];
    glc_rt_status s = glc_rt_model_plan(model, dp, odp, ws_need);
    if (s != (valid ? GLC_RT_OK : GLC_RT_E_SHAPE)) __builtin_trap();
    if (!valid) return;
    if (*ws_need > md->workspace_size) __builtin_trap();
    for (uint32_t j = 0; j < md->n_outputs; j++) {
        limit[j] = planned_bytes(&md->outputs[j], od[j]);
        if (limit[j] > md->outputs[j].size_bytes) __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const glc_model_desc *md = glc_rt_model_desc(model);
    uint8_t flags = size > 0 ? data[0] : 0;
    int16_t delta = size > 2 ? (int16_t)(data[1] | data[2] << 8) : 0;
    uint8_t which = size > 3 ? data[3] : 0;
    size_t off = size > 4 ? 4 : size;
    bool sym = md->n_symbols > 0, valid = true;
    const int64_t *dp[MAX_IO];
    uint64_t limit[MAX_IO], ws_need = md->workspace_size;
    for (uint32_t j = 0; j < md->n_outputs; j++)
        limit[j] = md->outputs[j].size_bytes;
    if (sym) {
        valid = read_dims(md, data, size, &off);
        for (uint32_t i = 0; i < MAX_IO; i++)
            dp[i] = dims[i];
        check_plan(md, dp, valid, limit, &ws_need);
    }
    for (uint32_t i = 0; i < md->n_inputs; i++) {
        size_t n = md->inputs[i].size_bytes, k = size - off < n ? size - off : n;
        memset(in_buf[i], 0, n);
        memcpy(in_buf[i], data + off, k);
        off += k;
    }
    for (uint32_t j = 0; j < md->n_outputs; j++)
        memset(out_buf[j], FILL, md->outputs[j].size_bytes + GUARD);
    const void *ins[MAX_IO];
    void *outs[MAX_IO];
    memcpy(ins, in_buf, sizeof ins);
    memcpy(outs, out_buf, sizeof outs);
    bool null_in_arr = flags & 1, null_out_arr = flags & 2, null_in = flags & 4,
         null_out = flags & 8, null_ws = flags & 16, null_dims = sym && (flags & 64),
         null_dim = sym && (flags & 128) && md->n_inputs;
    if (null_in && md->n_inputs) ins[which % md->n_inputs] = NULL;
    if (null_out && md->n_outputs) outs[which % md->n_outputs] = NULL;
    if (null_dim) dp[which % md->n_inputs] = NULL;
    int64_t ws_size = (int64_t)ws_need + (flags & 32 ? delta : 0);
    if (ws_size < 0) ws_size = 0;
    glc_rt_status s = glc_rt_model_run(model, null_in_arr ? NULL : ins,
                                       sym && !null_dims ? dp : NULL,
                                       null_out_arr ? NULL : outs, null_ws ? NULL : ws,
                                       (uint64_t)ws_size);
    bool bad_arg = null_in_arr || null_out_arr || (null_in && md->n_inputs) ||
                   (null_out && md->n_outputs) || null_dims || null_dim;
    bool bad_ws = valid && ((uint64_t)ws_size < ws_need || (null_ws && ws_need));
    bool ok = s == GLC_RT_OK, arg = s == GLC_RT_E_ARG && bad_arg,
         shape = s == GLC_RT_E_SHAPE && !valid, wsf = s == GLC_RT_E_WORKSPACE && bad_ws;
    if ((bad_arg || !valid || bad_ws) ? !(arg || shape || wsf) : !ok) __builtin_trap();
    for (uint32_t j = 0; j < md->n_outputs; j++) {
        uint64_t from = ok ? limit[j] : 0;
        if (!all_fill((char *)out_buf[j] + from, md->outputs[j].size_bytes + GUARD - from))
            __builtin_trap();
    }
    return 0;
}
