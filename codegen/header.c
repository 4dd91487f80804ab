/*
 * header.c -- `--emit=header`: a C header for linking a compiled model statically.
 *
 * The header is self-contained (stddef.h and stdint.h only) and describes exactly the
 * object glc emits with the same --name=PREFIX:
 *   - PREFIX_ABI_VERSION, PREFIX_WORKSPACE_SIZE (bytes) and, per input and output,
 *     PREFIX_<NAME>_NUMEL / _BYTES macros with the dtype and shape in a comment;
 *   - PREFIX_inputs / PREFIX_outputs: one typed pointer per tensor, in ABI order;
 *   - the exported entry points (PREFIX_describe returns the glc_runtime.h struct,
 *     declared here as an incomplete type; PREFIX_plan, PREFIX_invoke), and the status
 *     codes they return;
 *   - static inline PREFIX_workspace_size() and PREFIX_run(inputs, outputs, workspace),
 *     which calls PREFIX_invoke with the workspace size (on the thread pool a host archive
 *     carries; a bare object or a cross-compiled archive runs on the calling thread unless
 *     runtime/pool.c is linked in).
 * With symbolic dims a port's shape comment names them, its size macro is MAX_BYTES (at
 * the symbols' bounds, when every one has a --max-dim), each bounded symbol gets
 * PREFIX_MAX_<SYMBOL>, and PREFIX_run takes the inputs' dims and the workspace size
 * (PREFIX_plan gives the outputs' dims and that size).
 * Tensor names become C identifiers: characters outside [A-Za-z0-9_] turn into '_', a
 * leading digit gets a '_' prefix, and a repeated identifier gets a numeric suffix.
 */
#include "cg_impl.h"
#include "glc_runtime.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDENT_LEN 96

static const char *c_type(glc_dtype t) {
    switch (t) {
    case GLC_DT_F32: return "float";
    case GLC_DT_F64: return "double";
    case GLC_DT_I8: return "int8_t";
    case GLC_DT_I16: return "int16_t";
    case GLC_DT_I32: return "int32_t";
    case GLC_DT_I64: return "int64_t";
    case GLC_DT_U8: return "uint8_t";
    case GLC_DT_BOOL: return "uint8_t"; /* one byte per element, 0 or 1 */
    default: return NULL;
    }
}

/* ident[k]: the C identifier of port k (inputs first, then outputs), unique. */
static void make_idents(const glc_graph *g, char (*ident)[IDENT_LEN]) {
    uint32_t n = g->n_inputs + g->n_outputs;
    for (uint32_t k = 0; k < n; k++) {
        glc_value_id v = k < g->n_inputs ? g->inputs[k] : g->outputs[k - g->n_inputs];
        const char *s = g->values[v].name ? g->values[v].name : "";
        char base[IDENT_LEN - 12]; /* room for "_<suffix>" */
        size_t j = 0;
        if (!*s || isdigit((unsigned char)*s)) base[j++] = '_';
        for (; *s && j + 1 < sizeof base; s++)
            base[j++] = isalnum((unsigned char)*s) || *s == '_' ? *s : '_';
        base[j] = 0;
        snprintf(ident[k], IDENT_LEN, "%s", base);
        for (int suffix = 2;; suffix++) {
            bool clash = false;
            for (uint32_t i = 0; i < k && !clash; i++) clash = !strcmp(ident[i], ident[k]);
            if (!clash) break;
            snprintf(ident[k], IDENT_LEN, "%s_%d", base, suffix);
        }
    }
}

static void upper(const char *s, char *out, size_t len) {
    size_t j = 0;
    for (; *s && j + 1 < len; s++) out[j++] = (char)toupper((unsigned char)*s);
    out[j] = 0;
}

/* NUMEL and BYTES for a static port; for a symbolic one the bytes at the symbols' bounds
 * (MAX_BYTES, when every symbol has one) and its shape in a comment. */
static void write_port_macros(FILE *f, const cg_ctx *c, const char *p, const char *P,
                              const glc_value *v, const char *id) {
    const glc_graph *g = c->g;
    char up[IDENT_LEN], shape[400];
    upper(id, up, sizeof up);
    glc_value_shape_str(g, v, shape, sizeof shape);
    if (!glc_dims_symbolic(v->rank, v->dims)) {
        fprintf(f, "#define %s_%s_NUMEL %lluu /* %s */\n", P, up,
                (unsigned long long)glc_value_numel(v), shape);
        fprintf(f, "#define %s_%s_BYTES %lluu\n", P, up, (unsigned long long)glc_value_nbytes(v));
        return;
    }
    int64_t mx;
    glc_dim nb = glc_dim_mul(g, glc_value_numel_dim(g, v), (glc_dim)glc_dtype_size(v->dtype));
    if (glc_dim_upper_bound(g, nb, &mx))
        fprintf(f, "#define %s_%s_MAX_BYTES %lluu /* %s, at the bounds */\n", P, up,
                (unsigned long long)mx, shape);
    else
        fprintf(f, "/* %s '%s': %s (symbolic: %s_plan gives its dims) */\n", id, v->name, shape, p);
}

static void write_struct(FILE *f, const char *p, const glc_graph *g, bool outputs,
                         char (*ident)[IDENT_LEN]) {
    uint32_t n = outputs ? g->n_outputs : g->n_inputs, base = outputs ? g->n_inputs : 0;
    fprintf(f, "typedef struct %s_%s {\n", p, outputs ? "outputs" : "inputs");
    for (uint32_t k = 0; k < n; k++) {
        const glc_value *v = &g->values[outputs ? g->outputs[k] : g->inputs[k]];
        char shape[400];
        glc_value_shape_str(g, v, shape, sizeof shape);
        fprintf(f, "    %s%s *%s; /* %s '%s' */\n", outputs ? "" : "const ", c_type(v->dtype),
                ident[base + k], shape, v->name ? v->name : "");
    }
    if (!n) fprintf(f, "    char unused_;\n");
    fprintf(f, "} %s_%s;\n\n", p, outputs ? "outputs" : "inputs");
}

static void write_run(FILE *f, const char *p, const char *P, const glc_graph *g,
                      char (*ident)[IDENT_LEN]) {
    fprintf(f, "static inline size_t %s_workspace_size(void) { return %s_WORKSPACE_SIZE; }\n\n",
            p, P);
    fprintf(f, "/* Runs the model; workspace: %s_WORKSPACE_SIZE bytes, 64-byte aligned for speed\n"
               " * (NULL is fine when the size is 0). Returns %s_OK or an error code. */\n",
            P, P);
    fprintf(f, "static inline int %s_run(const %s_inputs *in, %s_outputs *out, void *workspace) {\n",
            p, p, p);
    fprintf(f, "    const void *ins[%u] = {", g->n_inputs ? g->n_inputs : 1);
    for (uint32_t k = 0; k < g->n_inputs; k++) fprintf(f, "%sin->%s", k ? ", " : "", ident[k]);
    fprintf(f, "%s};\n    void *outs[%u] = {", g->n_inputs ? "" : "0",
            g->n_outputs ? g->n_outputs : 1);
    for (uint32_t k = 0; k < g->n_outputs; k++)
        fprintf(f, "%sout->%s", k ? ", " : "", ident[g->n_inputs + k]);
    fprintf(f, "%s};\n", g->n_outputs ? "" : "0");
    fprintf(f, "    (void)in, (void)out;\n    return %s_invoke(ins, NULL, outs, workspace, %s_WORKSPACE_SIZE);\n}\n\n",
            p, P);
}

/* With symbolic dims: run takes the inputs' dims and the workspace's size (see plan). */
static void write_run_dims(FILE *f, const char *p, const char *P, const glc_graph *g,
                           char (*ident)[IDENT_LEN]) {
    fprintf(f, "/* Runs the model on inputs of the dims given (input_dims[k]: input k's dims);\n"
               " * %s_plan(input_dims, output_dims, &size) gives the outputs' dims and the\n"
               " * workspace size. Returns %s_OK or an error code (%s_E_SHAPE: dims the model\n"
               " * does not accept). */\n", p, P, P);
    fprintf(f, "static inline int %s_run(const %s_inputs *in, const int64_t *const *input_dims,\n"
               "    %s_outputs *out, void *workspace, uint64_t workspace_size) {\n", p, p, p);
    fprintf(f, "    const void *ins[%u] = {", g->n_inputs ? g->n_inputs : 1);
    for (uint32_t k = 0; k < g->n_inputs; k++) fprintf(f, "%sin->%s", k ? ", " : "", ident[k]);
    fprintf(f, "%s};\n    void *outs[%u] = {", g->n_inputs ? "" : "0",
            g->n_outputs ? g->n_outputs : 1);
    for (uint32_t k = 0; k < g->n_outputs; k++)
        fprintf(f, "%sout->%s", k ? ", " : "", ident[g->n_inputs + k]);
    fprintf(f, "%s};\n", g->n_outputs ? "" : "0");
    fprintf(f, "    (void)in, (void)out;\n"
               "    return %s_invoke(ins, input_dims, outs, workspace, workspace_size);\n}\n\n", p);
}

/* The symbols: their bounds as macros (when given with --max-dim). */
static void write_symbols(FILE *f, const glc_graph *g, const char *P) {
    if (!g->n_syms) return;
    fprintf(f, "\n/* Symbolic dims (%u): each lies in [1, its bound] at run time. */\n", g->n_syms);
    for (uint32_t k = 0; k < g->n_syms; k++) {
        char id[IDENT_LEN], up[IDENT_LEN];
        size_t j = 0;
        for (const char *s = g->syms[k].name; *s && j + 1 < sizeof id; s++)
            id[j++] = isalnum((unsigned char)*s) ? *s : '_';
        id[j] = 0;
        upper(id, up, sizeof up);
        if (g->syms[k].max > 0)
            fprintf(f, "#define %s_MAX_%s %lld /* '%s' */\n", P, up, (long long)g->syms[k].max,
                    g->syms[k].name);
        else
            fprintf(f, "/* '%s': unbounded (--max-dim %s=N bounds it) */\n", g->syms[k].name,
                    g->syms[k].name);
    }
}

static void write_header(FILE *f, cg_ctx *c, char (*ident)[IDENT_LEN]) {
    const glc_graph *g = c->g;
    const char *p = c->o->prefix;
    char P[IDENT_LEN];
    upper(p, P, sizeof P);
    fprintf(f, "/* %s.h -- generated by glc for graph '%s'; do not edit.\n"
               " * Link the object or archive made with the same --name=%s (glc --emit=obj|static).\n"
               " * %s_run() does not print or keep state; its first call starts the thread pool\n"
               " * (GLC_NUM_THREADS threads, default every CPU) that a host archive carries; an\n"
               " * --emit=obj object or a --target build has none: link runtime/pool.c compiled for\n"
               " * the target, or it runs on the calling thread. Two threads may run it at once with\n"
               " * separate workspaces. Tensors are dense, row-major, of the shapes below. */\n",
            p, g->name ? g->name : "", p, p);
    fprintf(f, "#ifndef %s_H_\n#define %s_H_\n\n#include <stddef.h>\n#include <stdint.h>\n\n", P, P);
    fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    int64_t ws = 0;
    bool ws_known = glc_dim_upper_bound(g, c->ws_size, &ws);
    fprintf(f, "#define %s_ABI_VERSION %d\n#define %s_WORKSPACE_SIZE %lluu /* bytes%s */\n", P,
            GLC_ABI_VERSION, P, (unsigned long long)(ws_known ? ws : 0),
            !g->n_syms ? "" : ws_known ? ", at the bounds" : ": unbounded, ask plan");
    write_symbols(f, g, P);
    for (uint32_t k = 0; k < g->n_inputs; k++)
        write_port_macros(f, c, p, P, &g->values[g->inputs[k]], ident[k]);
    for (uint32_t k = 0; k < g->n_outputs; k++)
        write_port_macros(f, c, p, P, &g->values[g->outputs[k]], ident[g->n_inputs + k]);
    fprintf(f, "\n/* Status codes (glc_rt_status of glc_runtime.h). */\n"
               "enum { %s_OK = 0, %s_E_ARG = 1, %s_E_WORKSPACE = 2, %s_E_SHAPE = 7 };\n\n", P,
               P, P, P);
    write_struct(f, p, g, false, ident);
    write_struct(f, p, g, true, ident);
    fprintf(f, "/* The exported entry points (the glc_runtime.h ABI). */\n"
               "struct glc_model_desc;\nconst struct glc_model_desc *%s_describe(void);\n"
               "int %s_plan(const int64_t *const *input_dims, int64_t *const *output_dims,\n"
               "    uint64_t *workspace_size);\n"
               "int %s_invoke(const void *const *inputs, const int64_t *const *input_dims,\n"
               "    void *const *outputs, void *workspace, uint64_t workspace_size);\n\n", p, p, p);
    if (g->n_syms)
        write_run_dims(f, p, P, g, ident);
    else
        write_run(f, p, P, g, ident);
    fprintf(f, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

glc_status cg_write_header(cg_ctx *c, const char *path) {
    const glc_graph *g = c->g;
    for (uint32_t k = 0; k < g->n_inputs + g->n_outputs; k++) {
        glc_value_id v = k < g->n_inputs ? g->inputs[k] : g->outputs[k - g->n_inputs];
        if (!c_type(g->values[v].dtype))
            return glc_diag_set(c->d, GLC_E_UNSUPPORTED, NULL, "--emit=header: tensor '%s' has "
                                "dtype %s, which has no C type here", g->values[v].name,
                                glc_dtype_name(g->values[v].dtype));
    }
    char(*ident)[IDENT_LEN] = calloc(g->n_inputs + g->n_outputs + 1, sizeof *ident);
    FILE *f = ident ? fopen(path, "w") : NULL;
    if (!f) {
        free(ident);
        return glc_diag_set(c->d, GLC_E_IO, NULL, "cannot write %s: %s", path, strerror(errno));
    }
    make_idents(g, ident);
    write_header(f, c, ident);
    free(ident);
    if (fclose(f) != 0)
        return glc_diag_set(c->d, GLC_E_IO, NULL, "cannot write %s: %s", path, strerror(errno));
    return GLC_OK;
}
