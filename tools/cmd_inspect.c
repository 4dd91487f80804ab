/*
 * cmd_inspect.c -- `glc inspect MODEL.onnx [--print-after=PASS | --print-after-all]
 * [--stream] [--disable-pass=PASS] [-v] [--shape INPUT=D0xD1x...] [--dim NAME=N]
 * [--max-dim NAME=N]`.
 * Symbolic dims print as their names (f32[batch,T + 1]); the run-time constraints the
 * model assumes as `assume` lines.
 *
 * Without a flag: prints the graph as imported (shapes inferred, verified) with
 * glc_graph_print. With one: runs the pass pipeline, verifying after each pass, and
 * prints the graph after the named pass or after every pass (pipeline.c prints a
 * "; after <pass>" line before each). An unknown pass name is a usage error that
 * lists the pipeline's pass names. --stream runs the stream pass (passes/stream.c)
 * first, so the graph printed is the one `glc MODEL.onnx --stream` compiles.
 * --disable-pass=PASS skips one pass; -v lets passes say what they did and why not
 * (raise-recurrence: per Loop, what it raised or the first reason it did not).
 */
#include "driver.h"

#include <stdio.h>
#include <string.h>

static void log_stderr(void *user, const char *line) {
    (void)user;
    fprintf(stderr, "%s\n", line);
}

static int parse_one(int argc, char **argv, int *i, const char **model,
                     glc_pipeline_options *po, dim_flags *df) {
    const char *s = argv[*i];
    int m;
    if ((m = dim_flags_parse(argc, argv, i, df)) != 0) return m < 0 ? EXIT_USAGE : EXIT_OK;
    if (!strcmp(s, "--print-after-all")) {
        po->print_after_all = true;
        return EXIT_OK;
    }
    if (!strcmp(s, "--stream")) {
        po->stream = true;
        return EXIT_OK;
    }
    if (!strcmp(s, "-v")) {
        po->log = log_stderr;
        return EXIT_OK;
    }
    if ((m = flag_value(argc, argv, i, "--print-after", &po->print_after)) != 0)
        return m < 0 ? EXIT_USAGE : known_pass(po->print_after, "--print-after");
    if ((m = flag_value(argc, argv, i, "--disable-pass", &po->disable_pass)) != 0)
        return m < 0 ? EXIT_USAGE : known_pass(po->disable_pass, "--disable-pass");
    if (s[0] == '-' && s[1] != '\0') return usage_error("unknown flag '%s' for 'glc inspect'", s);
    if (*model) return usage_error("more than one model given ('%s' and '%s')", *model, s);
    *model = s;
    return EXIT_OK;
}

int cmd_inspect(int argc, char **argv) {
    const char *model = NULL;
    glc_pipeline_options po = {.verify_each = true, .dump = stdout};
    static dim_flags df; /* large: not on the stack */
    for (int i = 0; i < argc; i++) {
        int rc = parse_one(argc, argv, &i, &model, &po, &df);
        if (rc != EXIT_OK) return rc;
    }
    if (!model) return usage_error("'glc inspect' needs an .onnx model");
    if (po.print_after && po.print_after_all)
        return usage_error("--print-after and --print-after-all exclude each other");
    bool passes = po.print_after || po.print_after_all;
    po.disable_all = !passes;
    glc_diag d = {0};
    glc_graph *g = NULL;
    glc_import_options io = {0};
    dim_flags_apply(&df, &io);
    if (load_model_opts(model, &io, &po, false, &g, &d) != GLC_OK) return report_diag(&d);
    if (!passes) glc_graph_print(g, stdout);
    glc_graph_destroy(g);
    return EXIT_OK;
}
