/*
 * consumer.c -- a program built against an installed glc (find_package(glc) or
 * pkg-config glc-runtime): opens a compiled model, runs it on inputs of all 0.5 and
 * prints the first output's values, one per line.
 */
#include <glc_runtime.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: consumer MODEL.so\n");
        return 2;
    }
    char err[512];
    glc_rt_model *m = NULL;
    if (glc_rt_model_open(argv[1], NULL, &m, err, sizeof err) != GLC_RT_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const glc_model_desc *mi = glc_rt_model_desc(m);
    void *in[16] = {0}, *out[16] = {0};
    if (mi->n_inputs > 16 || mi->n_outputs > 16 || mi->outputs[0].dtype != 1) return 1;
    for (uint32_t i = 0; i < mi->n_inputs; i++) {
        float *x = malloc(mi->inputs[i].size_bytes);
        for (uint64_t k = 0; k < mi->inputs[i].size_bytes / 4; k++) x[k] = 0.5f;
        in[i] = x;
    }
    for (uint32_t i = 0; i < mi->n_outputs; i++) out[i] = malloc(mi->outputs[i].size_bytes);
    void *ws = malloc(mi->workspace_size ? mi->workspace_size : 1);
    glc_rt_status s = glc_rt_model_run(m, (const void *const *)in, NULL, out, ws, mi->workspace_size);
    for (uint64_t k = 0; s == GLC_RT_OK && k < mi->outputs[0].size_bytes / 4; k++)
        printf("%.6g\n", ((float *)out[0])[k]);
    for (uint32_t i = 0; i < mi->n_inputs; i++) free(in[i]);
    for (uint32_t i = 0; i < mi->n_outputs; i++) free(out[i]);
    free(ws);
    glc_rt_model_close(m);
    return s == GLC_RT_OK ? 0 : 1;
}
