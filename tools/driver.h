/*
 * driver.h -- what the glc driver's commands share: exit codes, one-line error
 * reporting, argument helpers and "import + pipeline".
 *
 * The driver is the only place that prints a diagnostic or chooses an exit code.
 * Every error is one line on stderr:
 *   - a library error is glc_diag_format's line (`model.onnx: node 'n3' (Gemm): ...`);
 *   - a driver error about a file is `<file>: <message>`;
 *   - a usage error is `glc: error: <message> (run 'glc --help' for usage)`, exit 2.
 *
 * Commands (one file each): cmd_compile.c (glc MODEL.onnx -o OUT), cmd_run.c
 * (glc run), cmd_inspect.c (glc inspect), cmd_bench.c (glc bench); glc.c holds main,
 * dispatch and the help.
 */
#ifndef GLC_TOOLS_DRIVER_H
#define GLC_TOOLS_DRIVER_H

#include "codegen.h"
#include "frontend.h"
#include "ir.h"
#include "passes.h"

#include <stdbool.h>

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* glc.c: command entry points take the arguments after the command word. */
int cmd_compile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* driver.c */
/* Prints glc_diag_format(d) as one line; returns EXIT_ERROR. */
int report_diag(const glc_diag *d);
/* Prints "<file>: <message>" as one line; returns EXIT_ERROR. */
int report_file(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a usage error line with the --help hint; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* EXIT_OK if name is a pass of the pipeline, else a usage error for flag listing them. */
int known_pass(const char *name, const char *flag);

/* Checks o's target names before any work (glc_codegen_target_check): an unknown CPU or
 * feature, from a flag or GLC_DEFAULT_CPU, is a usage error (EXIT_USAGE, one line). Other
 * target problems are left to the compilation, which reports them. Returns EXIT_OK. */
int check_target(const glc_codegen_options *o);

/* Matches argv[*i] against `name=VALUE` or `name VALUE` (consuming the next argument).
 * Returns 1 and sets *val on a match, 0 if argv[*i] is another argument, -1 (after a
 * usage error line) if the value is missing or empty. */
int flag_value(int argc, char **argv, int *i, const char *name, const char **val);
bool has_suffix(const char *s, const char *suffix);
/* --limit NAME=N (frontend.h's glc_import_limit_table): sets it in *l, or prints a usage
 * error and returns EXIT_USAGE. */
int parse_limit(const char *spec, glc_import_limits *l);
/* The --limit lines of the help: every limit with its default and meaning. */
void print_limits_help(void);

/* --shape INPUT=D0xD1x... (a dim '?' keeps the model's), --dim PARAM=N, --max-dim
 * PARAM=N, repeatable: collected into import options (frontend.h). dim_flags_parse
 * returns 1 when argv[*i] was one of them (consumed), 0 for another argument, -1 after
 * printing a usage error line. */
#define MAX_DIM_FLAGS 64
typedef struct dim_flags {
    glc_import_shape shapes[MAX_DIM_FLAGS];
    glc_import_dim dims[MAX_DIM_FLAGS], max_dims[MAX_DIM_FLAGS];
    uint32_t n_shapes, n_dims, n_max_dims;
} dim_flags;
int dim_flags_parse(int argc, char **argv, int *i, dim_flags *f);
/* Points o's shapes/dims/max_dims at f's. */
void dim_flags_apply(const dim_flags *f, glc_import_options *o);

/* Monotonic milliseconds, for -v timings. */
double now_ms(void);

/* Imports path (diag.file = path) and runs the pass pipeline (verify after each pass)
 * with o; on success *out owns the graph. Verbose prints phase timings to stderr. */
glc_status load_model(const char *path, const glc_pipeline_options *o, bool verbose,
                      glc_graph **out, glc_diag *d);
/* The same with import options (--bind: graph inputs turned into constants). */
glc_status load_model_opts(const char *path, const glc_import_options *io,
                           const glc_pipeline_options *o, bool verbose, glc_graph **out,
                           glc_diag *d);

#endif
