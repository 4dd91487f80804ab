/*
 * pipeline.c -- the order passes run in, as one visible array (QBE's func()).
 *
 * After each pass the graph is verified (when verify_each is set) and, when asked,
 * printed with glc_graph_print. A failing pass leaves its name in diag->pass.
 */
#include "passes.h"

#include <string.h>

const glc_pass_info glc_pipeline[] = {
    {"fold-constants", "Evaluate nodes whose inputs are all constants", glc_pass_fold_constants},
    {"eliminate-identity", "Forward the input of Identity nodes to their users",
     glc_pass_eliminate_identity},
    {"zero-states",
     "Drop initial states of recurrent nodes that are all zeros (absent means zero)",
     glc_pass_zero_states},
    {"fuse-gates",
     "Fuse products of one operand with different constant weights into one product and a Split",
     glc_pass_fuse_gates},
    {"dce", "Remove nodes and values that no graph output depends on", glc_pass_dce},
    {"hoist-projections",
     "Choose the steps per hoisted input projection of each recurrent node (glc_hoist_steps)",
     glc_pass_hoist_projections},
    {"fuse-cell",
     "Mark LSTM, GRU and RNN nodes whose cell update runs in the recurrent product's epilogue "
     "(glc_fuse_cell)",
     glc_pass_fuse_cell},
    {"wavefront", "Mark GridLSTM nodes run as anti-diagonal wavefronts (glc_wavefront)",
     glc_pass_wavefront},
};
const int glc_pipeline_len = (int)(sizeof glc_pipeline / sizeof glc_pipeline[0]);

const glc_pass_info *glc_pass_find(const char *cli_name) {
    for (int i = 0; i < glc_pipeline_len; i++)
        if (!strcmp(glc_pipeline[i].cli_name, cli_name)) return &glc_pipeline[i];
    return NULL;
}

static void dump(const glc_graph *g, const glc_pipeline_options *o, const char *pass) {
    FILE *f = o->dump ? o->dump : stdout;
    fprintf(f, "; after %s\n", pass);
    glc_graph_print(g, f);
}

glc_status glc_run_pipeline(glc_graph *g, const glc_pipeline_options *o, glc_diag *d) {
    glc_pipeline_options none = {0};
    if (!o) o = &none;
    glc_pass_ctx cx = {.opt = o, .diag = d};
    if (o->stream) { /* a change of meaning, not an optimisation: runs even at -O0 */
        d->pass = "stream";
        GLC_TRY(glc_pass_stream(g, &cx));
        if (o->verify_each) GLC_TRY(glc_graph_verify(g, d));
        if (o->print_after_all || (o->print_after && !strcmp(o->print_after, "stream")))
            dump(g, o, "stream");
    }
    for (int i = 0; i < glc_pipeline_len && !o->disable_all; i++) {
        const glc_pass_info *p = &glc_pipeline[i];
        d->pass = p->cli_name;
        GLC_TRY(p->run(g, &cx));
        if (o->verify_each) GLC_TRY(glc_graph_verify(g, d));
        if (o->print_after_all || (o->print_after && !strcmp(o->print_after, p->cli_name)))
            dump(g, o, p->cli_name);
    }
    d->pass = NULL;
    return GLC_OK;
}
