/*
 * pool.c -- the thread pool a compiled model runs its parallel loops on (glc_parallel).
 *
 * One pool is n threads: the caller of run() and n - 1 workers. run(n_tasks, fn, closure)
 * opens a job (a new generation), wakes sleeping workers and claims tasks itself from a
 * shared counter, as every worker that joins does; once all tasks have finished it closes
 * the job and waits only for the workers that joined it to leave. A worker joins by
 * counting itself active and then checking that the job it saw is still open, so a worker
 * that wakes late (descheduled: the machine is shared) never holds up a job it took no
 * task of, and never reads a job's fields after they were rewritten. Workers spin on the
 * generation for about GLC_POOL_SPIN_NS between jobs (a recurrence dispatches one every few
 * microseconds), then sleep on a condition variable. One job at a time: a caller that finds
 * the pool busy (another thread inside run()) runs its tasks alone, so any number of
 * threads may share a pool.
 *
 * glc_rt_parallel_default() is the process's pool that a model's <prefix>_invoke uses:
 * made at the first call with GLC_NUM_THREADS threads (default: the CPUs this process
 * may run on), stopped when its shared object is unloaded or the process exits; NULL when
 * that is one thread or the pool cannot start. The driver links a copy of this file into
 * every shared object it writes (loaded RTLD_LOCAL, each has its own default pool, and
 * exports glc_rt_pool_* to its users, e.g. the Python package) and into static archives;
 * libglc_runtime.a has it too.
 *
 * Depends on libc (pthreads, C11 atomics) only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity */
#endif
#include "glc_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define GLC_POOL_SPIN_NS 200000 /* 0.2 ms */
#define GLC_POOL_MAX_THREADS 1024

struct glc_rt_pool {
    glc_parallel par; /* first: a glc_rt_pool * is a glc_parallel * */
    uint32_t n_threads;
    pthread_t *workers;
    pthread_mutex_t busy; /* held by the caller inside run() */
    pthread_mutex_t sleep_mu;
    pthread_cond_t wake;
    atomic_uint_fast64_t generation;
    atomic_uint sleeping;
    atomic_uint_fast64_t open; /* generation of the job tasks may be claimed from; 0: none */
    atomic_uint active;        /* workers inside a job (joined, not yet left) */
    atomic_uint next_task;
    atomic_uint tasks_done;
    atomic_int stop;
    glc_task_fn fn; /* the current job: written before its generation is published */
    void *closure;
    uint32_t n_tasks;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void claim_tasks(struct glc_rt_pool *p) {
    for (;;) {
        unsigned t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
        if (t >= p->n_tasks) return;
        p->fn(p->closure, t);
        atomic_fetch_add_explicit(&p->tasks_done, 1, memory_order_release);
    }
}

/* Spins, then sleeps, until the generation differs from seen; returns it. */
static uint64_t await_job(struct glc_rt_pool *p, uint64_t seen) {
    uint64_t g, t0 = now_ns();
    for (unsigned i = 0;; i++) {
        if ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) != seen) return g;
        cpu_relax();
        if ((i & 255) == 255 && now_ns() - t0 > GLC_POOL_SPIN_NS) break;
    }
    pthread_mutex_lock(&p->sleep_mu);
    atomic_fetch_add(&p->sleeping, 1); /* seq_cst: pairs with run()'s generation store */
    while ((g = atomic_load(&p->generation)) == seen)
        pthread_cond_wait(&p->wake, &p->sleep_mu);
    atomic_fetch_sub(&p->sleeping, 1);
    pthread_mutex_unlock(&p->sleep_mu);
    return g;
}

static void *worker_main(void *arg) {
    struct glc_rt_pool *p = arg;
    uint64_t seen = 0;
    for (;;) {
        seen = await_job(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) return NULL;
        atomic_fetch_add(&p->active, 1); /* seq_cst: pairs with run()'s close */
        if (atomic_load(&p->open) == seen) claim_tasks(p);
        atomic_fetch_sub_explicit(&p->active, 1, memory_order_release);
    }
}

static void run_alone(uint32_t n_tasks, glc_task_fn fn, void *closure) {
    for (uint32_t t = 0; t < n_tasks; t++)
        fn(closure, t);
}

/* Publishes a new generation (a job, or stop) and wakes the sleepers. */
static void publish(struct glc_rt_pool *p) {
    atomic_fetch_add(&p->generation, 1); /* seq_cst: pairs with the sleepers' count */
    if (atomic_load(&p->sleeping)) {
        pthread_mutex_lock(&p->sleep_mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->sleep_mu);
    }
}

static void pool_run(void *self, uint32_t n_tasks, glc_task_fn fn, void *closure) {
    struct glc_rt_pool *p = self;
    if (n_tasks <= 1 || p->n_threads <= 1 || pthread_mutex_trylock(&p->busy) != 0) {
        run_alone(n_tasks, fn, closure);
        return;
    }
    p->fn = fn;
    p->closure = closure;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&p->tasks_done, 0, memory_order_relaxed);
    uint64_t g = atomic_load_explicit(&p->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->open, g, memory_order_release);
    publish(p);
    claim_tasks(p);
    for (unsigned i = 0; atomic_load_explicit(&p->tasks_done, memory_order_acquire) < n_tasks;
         i++) {
        cpu_relax();
        if ((i & 1023) == 1023) sched_yield(); /* a worker with a task was preempted */
    }
    atomic_store(&p->open, 0); /* seq_cst: a worker joining from now on sees it closed */
    for (unsigned i = 0; atomic_load_explicit(&p->active, memory_order_acquire); i++) {
        cpu_relax();
        if ((i & 1023) == 1023) sched_yield(); /* a worker inside was preempted */
    }
    pthread_mutex_unlock(&p->busy);
}

uint32_t glc_rt_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (uint32_t)CPU_COUNT(&set);
    return 1;
}

static void pool_stop(struct glc_rt_pool *p, uint32_t started) {
    atomic_store_explicit(&p->stop, 1, memory_order_release);
    publish(p);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->busy);
    pthread_mutex_destroy(&p->sleep_mu);
    pthread_cond_destroy(&p->wake);
    free(p->workers);
    free(p);
}

glc_rt_status glc_rt_pool_create(uint32_t n_threads, glc_rt_pool **out) {
    if (!out) return GLC_RT_E_ARG;
    *out = NULL;
    if (n_threads == 0) n_threads = glc_rt_cpu_count();
    if (n_threads > GLC_POOL_MAX_THREADS) n_threads = GLC_POOL_MAX_THREADS;
    struct glc_rt_pool *p = calloc(1, sizeof *p);
    if (!p) return GLC_RT_E_NOMEM;
    p->workers = calloc(n_threads, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return GLC_RT_E_NOMEM;
    }
    p->n_threads = n_threads;
    p->par = (glc_parallel){.self = p, .n_threads = n_threads, .run = pool_run};
    pthread_mutex_init(&p->busy, NULL);
    pthread_mutex_init(&p->sleep_mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    for (uint32_t i = 0; i + 1 < n_threads; i++)
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
            pool_stop(p, i);
            return GLC_RT_E_NOMEM;
        }
    *out = p;
    return GLC_RT_OK;
}

const glc_parallel *glc_rt_pool_parallel(const glc_rt_pool *p) {
    return p ? &p->par : NULL;
}

void glc_rt_pool_destroy(glc_rt_pool *p) {
    if (p) pool_stop(p, p->n_threads - 1);
}

/* GLC_NUM_THREADS: a positive count; unset, empty or invalid means every CPU. */
uint32_t glc_rt_default_threads(void) {
    const char *s = getenv("GLC_NUM_THREADS");
    if (s && *s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (!*end && v > 0) return v > GLC_POOL_MAX_THREADS ? GLC_POOL_MAX_THREADS : (uint32_t)v;
    }
    return glc_rt_cpu_count();
}

static glc_rt_pool *default_pool;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void make_default_pool(void) {
    uint32_t n = glc_rt_default_threads();
    if (n > 1 && glc_rt_pool_create(n, &default_pool) != GLC_RT_OK) default_pool = NULL;
}

/* When the shared object holding this copy is unloaded (dlclose), or at exit: the
 * workers must not outlive the code they run. */
__attribute__((destructor)) static void stop_default_pool(void) {
    glc_rt_pool_destroy(default_pool);
    default_pool = NULL;
}

const glc_parallel *glc_rt_parallel_default(void) {
    pthread_once(&default_once, make_default_pool);
    return default_pool ? &default_pool->par : NULL;
}
