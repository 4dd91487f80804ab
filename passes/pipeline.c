/*
 * pipeline.c -- the passes in the order they run (QBE's func()): the array is generated
 * from passes.def, the one registry of passes.
 *
 * A pass runs when it is an optimisation and -O0 has not disabled all of them, or when
 * it runs on request and its option is set. After each pass the graph is verified (when
 * verify_each is set) and, when asked, printed with glc_graph_print. A failing pass
 * leaves its name in diag->pass.
 *
 * An optimisation also runs on the body of every Loop (and on theirs), after the graph
 * that owns it: a body is an ordinary graph whose inputs and outputs the passes keep.
 * Passes that change what the model computes (ON) run on the top graph only.
 */
#include "passes.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define ALWAYS false, 0
#define ON(option) true, offsetof(glc_pipeline_options, option)
const glc_pass_info glc_pipeline[] = {
#define PASS(id, cli, when, doc) {cli, doc, glc_pass_##id, when},
#include "passes.def"
#undef PASS
};
#undef ON
#undef ALWAYS
const int glc_pipeline_len = (int)(sizeof glc_pipeline / sizeof glc_pipeline[0]);

const glc_pass_info *glc_pass_find(const char *cli_name) {
    for (int i = 0; i < glc_pipeline_len; i++)
        if (!strcmp(glc_pipeline[i].cli_name, cli_name)) return &glc_pipeline[i];
    return NULL;
}

void glc_pass_log(const glc_pass_ctx *cx, const char *fmt, ...) {
    if (!cx->opt->log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cx->opt->log(cx->opt->log_user, line);
}

static void dump(const glc_graph *g, const glc_pipeline_options *o, const char *pass) {
    FILE *f = o->dump ? o->dump : stdout;
    fprintf(f, "; after %s\n", pass);
    glc_graph_print(g, f);
}

/* Whether pass p runs under options o. */
static bool runs(const glc_pass_info *p, const glc_pipeline_options *o) {
    if (o->disable_pass && !strcmp(o->disable_pass, p->cli_name)) return false;
    if (p->on_request) return *(const bool *)((const char *)o + p->option);
    return !o->disable_all;
}

/* p on g, then on the bodies of g's live nodes. */
static glc_status run_nested(const glc_pass_info *p, glc_graph *g, glc_pass_ctx *cx) {
    GLC_TRY(p->run(g, cx));
    if (p->on_request) return GLC_OK;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].body) GLC_TRY(run_nested(p, g->nodes[i].body, cx));
    return GLC_OK;
}

glc_status glc_run_pipeline(glc_graph *g, const glc_pipeline_options *o, glc_diag *d) {
    glc_pipeline_options none = {0};
    if (!o) o = &none;
    glc_pass_ctx cx = {.opt = o, .diag = d};
    for (int i = 0; i < glc_pipeline_len; i++) {
        const glc_pass_info *p = &glc_pipeline[i];
        if (!runs(p, o)) continue;
        d->pass = p->cli_name;
        GLC_TRY(run_nested(p, g, &cx));
        if (o->verify_each) GLC_TRY(glc_graph_verify(g, d));
        if (o->print_after_all || (o->print_after && !strcmp(o->print_after, p->cli_name)))
            dump(g, o, p->cli_name);
    }
    d->pass = NULL;
    return GLC_OK;
}
