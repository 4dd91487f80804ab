/*
 * print.c -- a deterministic text form of a graph, for dumps, tests and diffs.
 *
 * Grammar (one item per line, in this order):
 *
 *   graph <name> (opset <n>)
 *     input  %x: f32[1,4]
 *     const  %w: f32[4,3] = {0.1, 0.2, 0.3, 0.4, ...}
 *     %y: f32[1,3] = Gemm(%x, %w, _) {alpha=1, transB=1}     # node 'gemm0'
 *     output %y
 *
 * Symbolic dims print as expressions of their symbols (f32[batch,T + 1]); the int64 tensors
 * of shape arithmetic that hold symbolic elements print as "shape %s: i64[2] = {B, 64}",
 * and the run-time constraints shape inference assumed as "assume B == B2  # node ..".
 * Constants show their first four elements, then "..." if there are more. Absent inputs
 * print as "_", unrequested outputs too. Attributes print in stored order: ints and floats
 * bare (floats %g), strings quoted, lists as [a,b], tensors as their shape. Dead nodes are
 * printed as comments ("# dead ...") so a dump shows what DCE will drop. A Loop's body
 * follows its node, as a graph of this grammar indented by four more spaces (its dims are
 * the root graph's, whose constraints are printed once, at the top).
 */
#include "ir.h"
#include "ir_impl.h"

#include <inttypes.h>

static const char *vname(const glc_value *v) { return v->name ? v->name : "?"; }

static _Thread_local int depth; /* bodies being printed around this line */

static void pad(FILE *f) {
    for (int i = 0; i < depth; i++) fputs("    ", f);
}

static void print_type(const glc_graph *g, const glc_value *v, FILE *f) {
    char buf[400];
    glc_value_shape_str(g, v, buf, sizeof buf);
    fputs(buf, f);
}

static void print_sdata(const glc_graph *g, const glc_value *v, FILE *f) {
    int64_t n = glc_value_numel(v);
    fputs(" = {", f);
    for (int64_t i = 0; i < n; i++) {
        char e[200];
        fprintf(f, i ? ", %s" : "%s", glc_dim_str(g, v->sdata[i], e, sizeof e));
    }
    fputs("}", f);
}

static void print_constraints(const glc_graph *g, FILE *f) {
    uint32_t n;
    const glc_dim_constraint *cons = glc_dim_constraints(g, &n);
    for (uint32_t i = 0; i < n; i++) {
        const glc_dim_constraint *c = &cons[i];
        char a[200], b[200];
        pad(f);
        fprintf(f, "  assume %s %s %s     # node '%s': %s\n", glc_dim_str(g, c->a, a, sizeof a),
                glc_dim_rel_str(c->rel), glc_dim_str(g, c->b, b, sizeof b), c->node,
                c->what);
    }
}

static void print_elem(glc_dtype dt, const void *data, int64_t i, FILE *f) {
    switch (dt) {
    case GLC_DT_F32: fprintf(f, "%g", (double)((const float *)data)[i]); return;
    case GLC_DT_F64: fprintf(f, "%g", ((const double *)data)[i]); return;
    case GLC_DT_I32: fprintf(f, "%" PRId32, ((const int32_t *)data)[i]); return;
    case GLC_DT_I64: fprintf(f, "%" PRId64, ((const int64_t *)data)[i]); return;
    case GLC_DT_I8: fprintf(f, "%d", ((const int8_t *)data)[i]); return;
    case GLC_DT_U8: fprintf(f, "%u", ((const uint8_t *)data)[i]); return;
    case GLC_DT_BOOL: fprintf(f, "%s", ((const uint8_t *)data)[i] ? "true" : "false"); return;
    default: fputs("?", f); return;
    }
}

static void print_const_data(const glc_value *v, FILE *f) {
    int64_t n = glc_value_numel(v);
    fputs(" = {", f);
    for (int64_t i = 0; i < n && i < 4; i++) {
        if (i) fputs(", ", f);
        print_elem(v->dtype, v->data, i, f);
    }
    if (n > 4) fputs(", ...", f);
    fputs("}", f);
}

static void print_attr(const glc_attr *a, FILE *f) {
    fprintf(f, "%s=", a->name);
    switch (a->kind) {
    case GLC_ATTR_INT: fprintf(f, "%" PRId64, a->i); return;
    case GLC_ATTR_FLOAT: fprintf(f, "%g", (double)a->f); return;
    case GLC_ATTR_STRING: fprintf(f, "\"%s\"", a->s ? a->s : ""); return;
    case GLC_ATTR_INTS:
        fputs("[", f);
        for (uint32_t i = 0; i < a->n; i++) fprintf(f, i ? ",%" PRId64 : "%" PRId64, a->ints[i]);
        fputs("]", f);
        return;
    case GLC_ATTR_FLOATS:
        fputs("[", f);
        for (uint32_t i = 0; i < a->n; i++) fprintf(f, i ? ",%g" : "%g", (double)a->floats[i]);
        fputs("]", f);
        return;
    case GLC_ATTR_STRINGS:
        fputs("[", f);
        for (uint32_t i = 0; i < a->n; i++) fprintf(f, i ? ",\"%s\"" : "\"%s\"", a->strings[i]);
        fputs("]", f);
        return;
    case GLC_ATTR_TENSOR: {
        char buf[200];
        glc_shape_str(a->t->dtype, a->t->rank, a->t->dims, buf, sizeof buf);
        fprintf(f, "tensor %s", buf);
        return;
    }
    default: fprintf(f, "<kind %d>", (int)a->kind); return;
    }
}

static void print_ids(const glc_graph *g, const glc_value_id *ids, int n, FILE *f) {
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        if (ids[i] && ids[i] < g->n_values) fprintf(f, "%%%s", vname(&g->values[ids[i]]));
        else fputs("_", f);
    }
}

static void print_node(const glc_graph *g, const glc_node *n, FILE *f) {
    pad(f);
    fputs(n->dead ? "  # dead " : "  ", f);
    for (int i = 0; i < n->n_out; i++) {
        if (i) fputs(", ", f);
        glc_value_id o = n->out[i];
        if (!o || o >= g->n_values) {
            fputs("_", f);
            continue;
        }
        fprintf(f, "%%%s: ", vname(&g->values[o]));
        print_type(g, &g->values[o], f);
    }
    fprintf(f, " = %s(", glc_op_name(n->op));
    print_ids(g, n->in, n->n_in, f);
    fputs(")", f);
    if (n->n_attrs) {
        fputs(" {", f);
        for (int i = 0; i < n->n_attrs; i++) {
            if (i) fputs(", ", f);
            print_attr(&n->attrs[i], f);
        }
        fputs("}", f);
    }
    for (int k = 0; k < n->n_guards; k++)
        fprintf(f, "%s%s%%%s", k ? " && " : " if ", n->guard_false >> k & 1 ? "!" : "",
                vname(&g->values[n->guard[k]]));
    fprintf(f, "     # node '%s'\n", n->name ? n->name : "");
    if (n->body) {
        depth++;
        glc_graph_print(n->body, f);
        depth--;
    }
}

void glc_graph_print(const glc_graph *g, FILE *f) {
    pad(f);
    fprintf(f, "graph %s (opset %" PRId64 ")\n", g->name ? g->name : "main", g->opset);
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        pad(f);
        fprintf(f, "  input  %%%s: ", vname(v));
        print_type(g, v, f);
        fputs("\n", f);
    }
    for (uint32_t id = 1; id < g->n_values; id++) {
        const glc_value *v = &g->values[id];
        if (!v->data && !v->sdata) continue;
        pad(f);
        fprintf(f, v->data ? "  const  %%%s: " : "  shape  %%%s: ", vname(v));
        print_type(g, v, f);
        if (v->data) print_const_data(v, f);
        else print_sdata(g, v, f);
        fputs("\n", f);
    }
    if (!g->parent) print_constraints(g, f);
    for (uint32_t i = 0; i < g->n_nodes; i++) print_node(g, &g->nodes[i], f);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        pad(f);
        fprintf(f, "  output %%%s\n", vname(&g->values[g->outputs[i]]));
    }
}
