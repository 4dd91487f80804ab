/*
 * fuzz_import.c -- libFuzzer target: bytes -> ONNX import (parse, op check, sort, tensor
 * decoding, shape inference, verification) -> the pass pipeline with verification after
 * each pass. Stops before LLVM. Any outcome but a crash, a hang, a leak or a huge
 * allocation is fine: errors must come back as a glc_status with a diagnostic.
 */
#include "frontend.h"
#include "passes.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    glc_diag d = {.file = "fuzz.onnx"};
    glc_graph *g = NULL;
    if (glc_import_onnx_buffer(data, size, &g, &d) != GLC_OK) return 0;
    glc_pipeline_options o = {.verify_each = true};
    glc_diag pd = {.file = "fuzz.onnx"};
    (void)glc_run_pipeline(g, &o, &pd);
    glc_graph_destroy(g);
    return 0;
}
