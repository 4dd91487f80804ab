/*
 * passes.h -- graph rewrites and the pipeline that runs them.
 *
 * Every pass has the signature glc_status glc_pass_<id>(glc_graph *, glc_pass_ctx *),
 * lives in passes/<id>.c and is registered in passes.def. A pass with nothing to do
 * leaves the graph unchanged. The pipeline verifies the graph after each pass.
 *
 *   glc_pipeline_options o = {.print_after = "dce", .dump = stdout};
 *   if (glc_run_pipeline(g, &o, &diag) != GLC_OK) ...
 */
#ifndef GLC_PASSES_PASSES_H
#define GLC_PASSES_PASSES_H

#include "ir.h"

typedef struct glc_pipeline_options {
    const char *print_after; /* cli name of a pass, or NULL */
    bool print_after_all;
    bool verify_each; /* always on in tests; cheap enough to be on by default */
    bool disable_all; /* run no pass (-O0 keeps the graph as imported) */
    FILE *dump;       /* where --print-after goes; stdout if NULL */
    bool stream;      /* run the stream pass (first, even at -O0: glc --stream) */
    const char *disable_pass; /* cli name of one pass not to run (--disable-pass), or NULL */
    /* -v: passes that explain their decisions (raise-recurrence) send one line per call,
     * no newline; NULL = silent. glc_pass_log formats one. */
    void (*log)(void *user, const char *line);
    void *log_user;
} glc_pipeline_options;

typedef struct glc_pass_ctx {
    const glc_pipeline_options *opt;
    glc_diag *diag;
} glc_pass_ctx;

/* One per row of passes.def. stream.c (asked for by options.stream, first in the order)
 * cuts the inputs' time axis to 1 and gives each LSTM/GRU/RNN/ConvLSTM k state ports
 * stream_h<k>[/stream_c<k>] -> initial_h/c, Y_h/Y_c -> stream_h<k>_out[/stream_c<k>_out]. */
#define PASS(id, cli, when, doc) glc_status glc_pass_##id(glc_graph *g, glc_pass_ctx *cx);
#include "passes.def"
#undef PASS

typedef struct glc_pass_info {
    const char *cli_name, *summary;
    glc_status (*run)(glc_graph *g, glc_pass_ctx *cx);
    bool on_request; /* runs only when the bool option at `option` is set (even at -O0) */
    size_t option;   /* offsetof(glc_pipeline_options, that option) */
} glc_pass_info;

/* pipeline.c */
void glc_pass_log(const glc_pass_ctx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
extern const glc_pass_info glc_pipeline[];
extern const int glc_pipeline_len;
const glc_pass_info *glc_pass_find(const char *cli_name); /* NULL if unknown */
glc_status glc_run_pipeline(glc_graph *g, const glc_pipeline_options *o, glc_diag *d);

#endif
