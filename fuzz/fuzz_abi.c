/*
 * fuzz_abi.c -- libFuzzer target: a compiled model's C ABI under hostile arguments.
 *
 * The model (a .so made by glc) comes from $GLC_FUZZ_MODEL; scripts/fuzz.sh compiles the
 * bidirectional LSTM fixture with every input fed (int32 sequence_lens included). Each
 * input's bytes decide: byte 0 which pointers are NULL (the input array, the output array,
 * one input, one output, the workspace), bytes 1-2 a signed change to the workspace size,
 * and the rest fill the input tensors (any float bits: NaN, inf, huge; any lengths).
 * The contract checked: NULL arrays or tensors give GLC_RT_E_ARG, a short or NULL
 * workspace gives GLC_RT_E_WORKSPACE, anything else GLC_RT_OK, and never a crash.
 */
#include "glc_runtime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static glc_rt_model *model;
static void *in_buf[16], *out_buf[16], *ws;

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
    if (md->n_inputs > 16 || md->n_outputs > 16) exit(1);
    for (uint32_t i = 0; i < md->n_inputs; i++) in_buf[i] = calloc(1, md->inputs[i].size_bytes + 1);
    for (uint32_t i = 0; i < md->n_outputs; i++) out_buf[i] = calloc(1, md->outputs[i].size_bytes + 1);
    ws = calloc(1, md->workspace_size + 64);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const glc_model_desc *md = glc_rt_model_desc(model);
    uint8_t flags = size > 0 ? data[0] : 0;
    int16_t delta = size > 2 ? (int16_t)(data[1] | data[2] << 8) : 0;
    uint8_t which = size > 3 ? data[3] : 0;
    size_t off = size > 4 ? 4 : size;
    for (uint32_t i = 0; i < md->n_inputs; i++) {
        size_t n = md->inputs[i].size_bytes, k = size - off < n ? size - off : n;
        memset(in_buf[i], 0, n);
        memcpy(in_buf[i], data + off, k);
        off += k;
    }
    const void *ins[16];
    void *outs[16];
    memcpy(ins, in_buf, sizeof ins);
    memcpy(outs, out_buf, sizeof outs);
    bool null_in_arr = flags & 1, null_out_arr = flags & 2, null_in = flags & 4,
         null_out = flags & 8, null_ws = flags & 16;
    if (null_in && md->n_inputs) ins[which % md->n_inputs] = NULL;
    if (null_out && md->n_outputs) outs[which % md->n_outputs] = NULL;
    int64_t ws_size = (int64_t)md->workspace_size + (flags & 32 ? delta : 0);
    if (ws_size < 0) ws_size = 0;
    glc_rt_status s = glc_rt_model_run(model, null_in_arr ? NULL : ins, NULL, null_out_arr ? NULL : outs,
                                       null_ws ? NULL : ws, (uint64_t)ws_size);
    bool bad_arg = null_in_arr || null_out_arr || (null_in && md->n_inputs) ||
                   (null_out && md->n_outputs);
    bool bad_ws = (uint64_t)ws_size < md->workspace_size || (null_ws && md->workspace_size);
    if (bad_arg && s != GLC_RT_E_ARG && !(bad_ws && s == GLC_RT_E_WORKSPACE)) __builtin_trap();
    if (!bad_arg && bad_ws && s != GLC_RT_E_WORKSPACE) __builtin_trap();
    if (!bad_arg && !bad_ws && s != GLC_RT_OK) __builtin_trap();
    return 0;
}
