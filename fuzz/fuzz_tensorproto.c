/* fuzz_tensorproto.c -- libFuzzer target: bytes -> the serialized TensorProto reader. */
#include "frontend.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    glc_diag d = {0};
    glc_host_tensor t;
    char *name = NULL;
    if (glc_tensorproto_read_buffer(data, size, "fuzz.pb", &t, &name, &d) == GLC_OK) {
        glc_host_tensor_fini(&t);
        free(name);
    }
    return 0;
}
