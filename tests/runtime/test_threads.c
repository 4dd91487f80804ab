/*
 * test_threads.c -- one compiled model run by two threads at once, each with its own
 * workspace and buffers, gives exactly the single-threaded results. In the normal build
 * this test is compiled with ThreadSanitizer (tests/runtime/tests.cmake), which watches
 * the loader and the harness; the generated model code is not instrumented, so the
 * bitwise comparison is what checks it.
 *
 * The model is a bidirectional LSTM with every input fed (tests/fixtures/rnn), compiled
 * in-process to a temporary .so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "codegen.h"
#include "frontend.h"
#include "glc_runtime.h"
#include "passes.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNS 200
#define MODEL GLC_TEST_SRC "/fixtures/rnn/lstm_bidir_all_inputs_fed/model.onnx"

typedef struct job {
    const glc_rt_model *m;
    float *in[8];
    float *out[4];
    void *ws;
    const float *want[4];
    int mismatches, failures;
} job;

static char so_path[256];

static glc_rt_model *compile_and_open(void) {
    glc_diag d = {.file = MODEL};
    glc_graph *g = NULL;
    assert_int_equal(glc_import_onnx_file(MODEL, &g, &d), GLC_OK);
    glc_pipeline_options po = {.verify_each = true};
    assert_int_equal(glc_run_pipeline(g, &po, &d), GLC_OK);
    snprintf(so_path, sizeof so_path, "/tmp/glc-threads-%d.so", (int)getpid());
    assert_int_equal(glc_codegen_emit(g, NULL, so_path, &d), GLC_OK);
    glc_graph_destroy(g);
    glc_rt_model *m = NULL;
    char err[256];
    assert_int_equal(glc_rt_model_open(so_path, NULL, &m, err, sizeof err), GLC_RT_OK);
    return m;
}

static void job_init(job *j, const glc_rt_model *m, unsigned seed) {
    const glc_model_desc *md = glc_rt_model_desc(m);
    memset(j, 0, sizeof *j);
    j->m = m;
    assert_true(md->n_inputs <= 8 && md->n_outputs <= 4);
    for (uint32_t i = 0; i < md->n_inputs; i++) {
        j->in[i] = malloc(md->inputs[i].size_bytes + 4);
        for (uint64_t k = 0; k < md->inputs[i].size_bytes / 4; k++) {
            seed = seed * 1103515245u + 12345u;
            if (md->inputs[i].dtype == 6) /* int32 sequence_lens: keep them valid */
                ((int32_t *)j->in[i])[k] = 1 + (int32_t)(seed >> 16) % (int32_t)md->inputs[0].dims[0];
            else
                j->in[i][k] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
        }
    }
    for (uint32_t i = 0; i < md->n_outputs; i++) j->out[i] = calloc(1, md->outputs[i].size_bytes + 4);
    j->ws = calloc(1, md->workspace_size + 64);
}

static void job_fini(job *j) {
    for (int i = 0; i < 8; i++) free(j->in[i]);
    for (int i = 0; i < 4; i++) free(j->out[i]);
    free(j->ws);
}

static void *worker(void *arg) {
    job *j = arg;
    const glc_model_desc *md = glc_rt_model_desc(j->m);
    for (int r = 0; r < RUNS; r++) {
        if (glc_rt_model_run(j->m, (const void *const *)j->in, (void *const *)j->out, j->ws,
                             md->workspace_size) != GLC_RT_OK)
            j->failures++;
        for (uint32_t i = 0; i < md->n_outputs; i++)
            if (memcmp(j->out[i], j->want[i], md->outputs[i].size_bytes)) j->mismatches++;
    }
    return NULL;
}

static void test_threads__two_threads_one_model_match_single_threaded_runs(void **state) {
    glc_rt_model *m = compile_and_open();
    const glc_model_desc *md = glc_rt_model_desc(m);
    job ref[2], jobs[2];
    for (int t = 0; t < 2; t++) {
        job_init(&ref[t], m, 1234u + 77u * (unsigned)t); /* different inputs per thread */
        assert_int_equal(glc_rt_model_run(m, (const void *const *)ref[t].in,
                                          (void *const *)ref[t].out, ref[t].ws,
                                          md->workspace_size), GLC_RT_OK);
        job_init(&jobs[t], m, 1234u + 77u * (unsigned)t);
        for (uint32_t i = 0; i < md->n_outputs; i++) jobs[t].want[i] = ref[t].out[i];
    }
    pthread_t th[2];
    for (int t = 0; t < 2; t++) assert_int_equal(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
    for (int t = 0; t < 2; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < 2; t++) {
        assert_int_equal(jobs[t].failures, 0);
        assert_int_equal(jobs[t].mismatches, 0);
        job_fini(&jobs[t]);
        job_fini(&ref[t]);
    }
    glc_rt_model_close(m);
    remove(so_path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads__two_threads_one_model_match_single_threaded_runs),
    };
    return cmocka_run_group_tests_name("runtime threads", tests, NULL, NULL);
}
