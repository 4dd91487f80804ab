/*
 * main.c -- two compiled models linked statically into one program through their
 * generated headers (glc --emit=static and --emit=header with different --name): an MLP
 * (prefix mlp) and a Keras ConvLSTM2D layer as one glc.ConvLSTM node (prefix clstm).
 *
 *   embed IN_DIR OUT_DIR
 * reads IN_DIR/<model>_<input>.f32 (raw little-endian float32, the sizes the headers
 * give), runs each model with one caller-owned workspace, and writes
 * OUT_DIR/<model>_<output>.f32. No glc runtime library is linked: the headers and the
 * archives are all it takes.
 */
#include "mlp.h"
#include "clstm.h"

#include <stdio.h>
#include <stdlib.h>

static int read_f32(const char *dir, const char *name, float *buf, size_t bytes) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, bytes, f) : 0;
    if (f) fclose(f);
    if (n != bytes) fprintf(stderr, "%s: expected %zu bytes\n", path, bytes);
    return n == bytes ? 0 : 1;
}

static int write_f32(const char *dir, const char *name, const float *buf, size_t bytes) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    FILE *f = fopen(path, "wb");
    size_t n = f ? fwrite(buf, 1, bytes, f) : 0;
    if (f && fclose(f) != 0) n = 0;
    return n == bytes ? 0 : 1;
}

/* One workspace big enough for either model (they run one after the other). */
#define WS_SIZE                                                                            \
    (MLP_WORKSPACE_SIZE > CLSTM_WORKSPACE_SIZE ? MLP_WORKSPACE_SIZE : CLSTM_WORKSPACE_SIZE)
static _Alignas(64) unsigned char workspace[WS_SIZE + 1];
static float mlp_x[MLP_X_NUMEL], mlp_y[MLP_Y_NUMEL];
static float clstm_x[CLSTM_X_NUMEL], clstm_y[CLSTM_Y_NUMEL], clstm_yh[CLSTM_Y_H_NUMEL],
    clstm_yc[CLSTM_Y_C_NUMEL];

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: embed IN_DIR OUT_DIR\n");
        return 2;
    }
    if (read_f32(argv[1], "mlp_x", mlp_x, sizeof mlp_x) ||
        read_f32(argv[1], "clstm_x", clstm_x, sizeof clstm_x))
        return 1;
    mlp_inputs mi = {.x = mlp_x};
    mlp_outputs mo = {.y = mlp_y};
    clstm_inputs ci = {.X = clstm_x};
    clstm_outputs co = {.Y = clstm_y, .Y_h = clstm_yh, .Y_c = clstm_yc};
    int s1 = mlp_run(&mi, &mo, workspace), s2 = clstm_run(&ci, &co, workspace);
    if (s1 != MLP_OK || s2 != CLSTM_OK) {
        fprintf(stderr, "run failed: %d %d\n", s1, s2);
        return 1;
    }
    /* A too-small workspace is an error code, not a crash. */
    if (MLP_WORKSPACE_SIZE && mlp_invoke((const void *const[]){mlp_x}, NULL, (void *const[]){mlp_y},
                                         workspace, MLP_WORKSPACE_SIZE - 1) != MLP_E_WORKSPACE)
        return 1;
    return write_f32(argv[2], "mlp_y", mlp_y, sizeof mlp_y) ||
           write_f32(argv[2], "clstm_y", clstm_y, sizeof clstm_y) ||
           write_f32(argv[2], "clstm_yh", clstm_yh, sizeof clstm_yh) ||
           write_f32(argv[2], "clstm_yc", clstm_yc, sizeof clstm_yc);
}
