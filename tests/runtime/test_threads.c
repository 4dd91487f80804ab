/*
 * test_threads.c -- one compiled model run by two threads at once, each with its own
 * workspace and buffers, gives exactly the single-threaded results. In the normal build
 * this test is compiled with ThreadSanitizer (tests/runtime/tests.cmake), which watches
 * the loader and the harness; the generated model code is not instrumented, so the
 * bitwise comparison is what checks it.
 *
 * The model is a bidirectional LSTM with every input fed (tests/fixtures/rnn), compiled
 * in-process to a temporary .so.
 *
 * The thread pool (runtime/pool.c, compiled into this test with ThreadSanitizer too) runs
 * every task of every job exactly once, with the caller seeing all the tasks' writes, for
 * any thread count, with callers sharing a pool and with a task calling back into it.
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
        if (glc_rt_model_run(j->m, (const void *const *)j->in, NULL, (void *const *)j->out, j->ws,
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
        assert_int_equal(glc_rt_model_run(m, (const void *const *)ref[t].in, NULL,
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

/* ---- the pool */

#define MAX_TASKS 40

typedef struct count_job {
    int hits[MAX_TASKS]; /* plain ints: ThreadSanitizer checks the pool orders them */
    const glc_parallel *par;
    int nested;
} count_job;

static void count_task(void *closure, uint32_t t) {
    count_job *j = closure;
    j->hits[t]++;
}

/* Runs jobs of 1..MAX_TASKS tasks on par; every task once per job. Returns mismatches. */
static int run_counted_jobs(const glc_parallel *par, int rounds) {
    int bad = 0;
    count_job j;
    for (int r = 0; r < rounds; r++) {
        uint32_t n = 1 + (uint32_t)r % MAX_TASKS;
        memset(&j, 0, sizeof j);
        par->run(par->self, n, count_task, &j);
        for (uint32_t t = 0; t < MAX_TASKS; t++)
            bad += j.hits[t] != (t < n);
    }
    return bad;
}

static void test_threads__pool_runs_every_task_once_for_any_thread_count(void **state) {
    for (uint32_t n = 1; n <= 4; n++) {
        glc_rt_pool *p = NULL;
        assert_int_equal(glc_rt_pool_create(n, &p), GLC_RT_OK);
        const glc_parallel *par = glc_rt_pool_parallel(p);
        assert_int_equal(par->n_threads, n);
        assert_int_equal(run_counted_jobs(par, 2000), 0);
        glc_rt_pool_destroy(p);
    }
    assert_int_equal(glc_rt_pool_create(1, NULL), GLC_RT_E_ARG);
    assert_null(glc_rt_pool_parallel(NULL));
    glc_rt_pool_destroy(NULL);
    assert_true(glc_rt_cpu_count() >= 1);
}

typedef struct caller {
    const glc_parallel *par;
    int bad;
} caller;

static void *caller_main(void *arg) {
    caller *c = arg;
    c->bad = run_counted_jobs(c->par, 3000);
    return NULL;
}

static void test_threads__callers_sharing_a_pool_each_get_their_tasks_run(void **state) {
    glc_rt_pool *p = NULL;
    assert_int_equal(glc_rt_pool_create(3, &p), GLC_RT_OK);
    caller c[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        c[i] = (caller){.par = glc_rt_pool_parallel(p)};
        assert_int_equal(pthread_create(&th[i], NULL, caller_main, &c[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(c[i].bad, 0);
    }
    glc_rt_pool_destroy(p);
}

static void nesting_task(void *closure, uint32_t t) {
    count_job *outer = closure;
    count_job inner;
    memset(&inner, 0, sizeof inner);
    outer->par->run(outer->par->self, 5, count_task, &inner);
    outer->hits[t] = 1;
    for (int k = 0; k < 5; k++)
        if (inner.hits[k] != 1) outer->hits[t] = 100;
}

static void test_threads__a_task_may_run_a_job_on_its_own_pool(void **state) {
    glc_rt_pool *p = NULL;
    assert_int_equal(glc_rt_pool_create(2, &p), GLC_RT_OK);
    count_job j;
    memset(&j, 0, sizeof j);
    j.par = glc_rt_pool_parallel(p);
    j.par->run(j.par->self, 7, nesting_task, &j);
    for (int t = 0; t < 7; t++)
        assert_int_equal(j.hits[t], 1);
    glc_rt_pool_destroy(p);
}

typedef struct where_job {
    pthread_t caller;
    atomic_int off_caller; /* tasks of this job that ran on a worker */
} where_job;

static void spin_ns(long ns) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ns);
}

/* 20 us on the caller; 2 ms on a worker, as if the worker had been preempted with the
 * task (the machine's cores busy with other work). */
static void where_task(void *closure, uint32_t t) {
    where_job *j = closure;
    if (pthread_equal(pthread_self(), j->caller)) {
        spin_ns(20000);
        return;
    }
    atomic_fetch_add(&j->off_caller, 1);
    spin_ns(2000000);
}

/* Splitting this region costs far more than running it on the caller (a worker's task
 * takes 2 ms: a preempted worker), so the pool measures that and runs it on the caller
 * alone: only its tries of splitting (a few, ever rarer) may hand a task to the worker.
 * A pool that always splits gives the spinning worker a task in most of the jobs. */
static void test_threads__a_region_that_splitting_slows_runs_on_the_caller(void **state) {
    glc_rt_pool *p = NULL;
    assert_int_equal(glc_rt_pool_create(2, &p), GLC_RT_OK);
    const glc_parallel *par = glc_rt_pool_parallel(p);
    int jobs_on_workers = 0;
    for (int k = 0; k < 2000; k++) {
        where_job j = {.caller = pthread_self()};
        atomic_init(&j.off_caller, 0);
        par->run(par->self, 8, where_task, &j);
        jobs_on_workers += atomic_load(&j.off_caller) > 0;
    }
    glc_rt_pool_destroy(p);
    print_message("jobs with a task on the worker: %d of 2000\n", jobs_on_workers);
    assert_true(jobs_on_workers <= 100);
}

static void test_threads__default_threads_follow_glc_num_threads(void **state) {
    setenv("GLC_NUM_THREADS", "3", 1);
    assert_int_equal(glc_rt_default_threads(), 3);
    setenv("GLC_NUM_THREADS", "zero", 1);
    assert_int_equal(glc_rt_default_threads(), glc_rt_cpu_count());
    unsetenv("GLC_NUM_THREADS");
    assert_int_equal(glc_rt_default_threads(), glc_rt_cpu_count());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads__pool_runs_every_task_once_for_any_thread_count),
        cmocka_unit_test(test_threads__callers_sharing_a_pool_each_get_their_tasks_run),
        cmocka_unit_test(test_threads__a_task_may_run_a_job_on_its_own_pool),
        cmocka_unit_test(test_threads__a_region_that_splitting_slows_runs_on_the_caller),
        cmocka_unit_test(test_threads__default_threads_follow_glc_num_threads),
        cmocka_unit_test(test_threads__two_threads_one_model_match_single_threaded_runs),
    };
    return cmocka_run_group_tests_name("runtime threads", tests, NULL, NULL);
}
