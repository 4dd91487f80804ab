/* fuzz_npy.c -- libFuzzer target: bytes -> the .npy reader. */
#include "frontend.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    glc_diag d = {0};
    glc_host_tensor t;
    if (glc_npy_read_buffer(data, size, "fuzz.npy", &t, &d) == GLC_OK) glc_host_tensor_fini(&t);
    return 0;
}
