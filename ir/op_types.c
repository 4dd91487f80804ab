/*
 * op_types.c -- the type constraints of ops.def (the TYPES column): checking a node's
 * input dtypes against them and reading its output dtypes from them.
 *
 * A signature is ONNX's type-constraint table in one string: "TT>T" is Add (two inputs
 * and the output of one type T), "bTT>T" Where, "TU>T" Pow (the exponent of another
 * type U), "TT>b" Equal, "T>@" Cast, "T*>T" Sum (the '*' repeats the letter before it),
 * "T_>1" CastLike (input 1 gives only its dtype, which the output takes).
 * glc_op_check_types() binds T and U to the dtypes of the first present inputs that use
 * them; every other input of the same variable must have the same dtype. A dtype outside
 * the variable's mask is a shape (type) error, one inside the mask that glc does not
 * implement (t_have) is unsupported. Absent optional inputs are skipped.
 */
#include "ir.h"
#include "ir_impl.h"

#include <string.h>

/* The letter of input slot i (out false) or output slot i (out true); '\0' past the end. */
static char slot_letter(const char *sig, int i, bool out) {
    const char *p = out ? strchr(sig, '>') : sig;
    if (!p) return '\0';
    if (out) p++;
    const char *end = out ? p + strlen(p) : strchr(p, '>');
    if (!end) end = p + strlen(p);
    int len = (int)(end - p);
    if (len > 1 && p[len - 1] == '*') return i < len - 2 ? p[i] : p[len - 2];
    return i < len ? p[i] : '\0';
}

static uint32_t letter_mask(const glc_op_types *ty, char l) {
    switch (l) {
    case 'T':
        return ty->t;
    case 'U':
        return ty->u;
    case 'b':
        return GLC_TC_BOOL;
    case 'i':
        return GLC_DT_BIT(GLC_DT_I32);
    case 'l':
        return GLC_DT_BIT(GLC_DT_I64);
    case 'k':
        return GLC_DT_BIT(GLC_DT_I32) | GLC_DT_BIT(GLC_DT_I64);
    case 'f':
        return GLC_TC_FLOAT;
    case '.':
    case '_':
        return GLC_TC_ANY;
    default:
        return 0;
    }
}

/* "f32, i32 or i64" (floats, signed, unsigned, bool, each by width) */
static void mask_str(uint32_t m, char *buf, size_t len) {
    static const glc_dtype order[] = {GLC_DT_F16, GLC_DT_BF16, GLC_DT_F32, GLC_DT_F64, GLC_DT_I8,
                                      GLC_DT_I16, GLC_DT_I32,  GLC_DT_I64, GLC_DT_U8,  GLC_DT_U16,
                                      GLC_DT_U32, GLC_DT_U64,  GLC_DT_BOOL};
    int n = 0, total = 0;
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        total += (m & GLC_DT_BIT(order[i])) != 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0] && k < len; i++) {
        if (!(m & GLC_DT_BIT(order[i]))) continue;
        const char *sep = n == 0 ? "" : n == total - 1 ? " or " : ", ";
        k += (size_t)snprintf(buf + k, len - k, "%s%s", sep, glc_dtype_name(order[i]));
        n++;
    }
}

static glc_status bad_dtype(const glc_node *n, int i, const glc_value *v, uint32_t allowed,
                            glc_status s, glc_diag *d) {
    char sv[SHAPE_BUF], sm[128];
    infer_shape_str(v, sv);
    mask_str(allowed, sm, sizeof sm);
    if (s == GLC_E_UNSUPPORTED)
        return glc_diag_set(d, s, n, "%s: input %d %s: only %s is supported", glc_op_name(n->op), i,
                            sv, sm);
    return glc_diag_set(d, s, n, "%s: input %d %s must be %s", glc_op_name(n->op), i, sv, sm);
}

/* The input that bound variable l, or -1. */
static int binder(const glc_graph *g, const glc_node *n, char l) {
    const char *sig = glc_op_table[n->op].types.sig;
    for (int i = 0; i < n->n_in; i++)
        if (slot_letter(sig, i, false) == l && glc_node_input(g, n, i)) return i;
    return -1;
}

static glc_status check_input(const glc_graph *g, const glc_node *n, int i, glc_diag *d) {
    const glc_op_types *ty = &glc_op_table[n->op].types;
    const glc_value *v = glc_node_input(g, n, i);
    char l = slot_letter(ty->sig, i, false);
    if (!v || l == '\0') return GLC_OK;
    if (!(letter_mask(ty, l) & GLC_DT_BIT(v->dtype)))
        return bad_dtype(n, i, v, letter_mask(ty, l), GLC_E_SHAPE, d);
    if (l != 'T' && l != 'U') return GLC_OK;
    int b = binder(g, n, l);
    const glc_value *bv = glc_node_input(g, n, b);
    if (b != i && bv->dtype != v->dtype) {
        char s0[SHAPE_BUF], s1[SHAPE_BUF];
        infer_shape_str(bv, s0);
        infer_shape_str(v, s1);
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: dtype mismatch: input %d %s, input %d %s",
                            glc_op_name(n->op), b, s0, i, s1);
    }
    if (l == 'T' && b == i && !(ty->t_have & GLC_DT_BIT(v->dtype)))
        return bad_dtype(n, i, v, ty->t_have, GLC_E_UNSUPPORTED, d);
    return GLC_OK;
}

glc_status glc_op_check_types(const glc_graph *g, const glc_node *n, glc_diag *d) {
    for (int i = 0; i < n->n_in; i++)
        GLC_TRY(check_input(g, n, i, d));
    return GLC_OK;
}

glc_dtype glc_attr_dtype(const glc_node *n, const char *name) {
    static const struct {
        const char *name;
        glc_dtype t;
    } names[] = {{"FLOAT", GLC_DT_F32},    {"DOUBLE", GLC_DT_F64}, {"BOOL", GLC_DT_BOOL},
                 {"INT8", GLC_DT_I8},      {"UINT8", GLC_DT_U8},   {"INT16", GLC_DT_I16},
                 {"UINT16", GLC_DT_U16},   {"INT32", GLC_DT_I32},  {"UINT32", GLC_DT_U32},
                 {"INT64", GLC_DT_I64},    {"UINT64", GLC_DT_U64}, {"FLOAT16", GLC_DT_F16},
                 {"BFLOAT16", GLC_DT_BF16}};
    const glc_attr *a = glc_node_attr(n, name);
    if (!a) return GLC_DT_UNDEF;
    if (a->kind == GLC_ATTR_INT)
        return a->i > 0 && a->i < 32 && glc_dtype_is_supported((glc_dtype)a->i) ? (glc_dtype)a->i
                                                                                : GLC_DT_UNDEF;
    for (size_t i = 0; a->kind == GLC_ATTR_STRING && i < sizeof names / sizeof names[0]; i++)
        if (a->s && !strcmp(a->s, names[i].name)) return names[i].t;
    return GLC_DT_UNDEF;
}

glc_dtype glc_op_out_dtype(const glc_graph *g, const glc_node *n, int k) {
    char l = slot_letter(glc_op_table[n->op].types.sig, k, true);
    switch (l) {
    case 'T':
    case 'U': {
        int b = binder(g, n, l);
        return b < 0 ? GLC_DT_UNDEF : glc_node_input(g, n, b)->dtype;
    }
    case 'b':
        return GLC_DT_BOOL;
    case 'i':
        return GLC_DT_I32;
    case 'l':
        return GLC_DT_I64;
    case '@':
        return glc_attr_dtype(n, "to");
    default:
        break;
    }
    const glc_value *v = l >= '0' && l <= '9' ? glc_node_input(g, n, l - '0') : NULL;
    return v ? v->dtype : GLC_DT_UNDEF;
}

bool glc_op_input_type_only(glc_op op, int i) {
    if ((int)op <= GLC_OP_NONE || op >= GLC_OP_COUNT) return false;
    return slot_letter(glc_op_table[op].types.sig, i, false) == '_';
}

/* ---- the table's own consistency (tests/ir/test_op_table.c) --------------------------- */

static const char *check_letters(const glc_op_types *ty, const char *p, const char *end, bool out) {
    for (const char *q = p; q < end; q++) {
        bool star = *q == '*';
        if (star && q + 1 != end) return "'*' not last";
        if (star && q == p) return "'*' repeats nothing";
        bool out_only = out && (*q == '@' || (*q >= '0' && *q <= '9'));
        if (!star && !out_only && !letter_mask(ty, *q)) return "bad letter or mask";
        if (out && *q == '_') return "'_' for an output";
    }
    return NULL;
}

const char *glc_op_sig_check(glc_op op) {
    const glc_op_info *oi = &glc_op_table[op];
    const glc_op_types *ty = &oi->types;
    const char *gt = ty->sig ? strchr(ty->sig, '>') : NULL;
    if (!gt) return "no '>'";
    const char *ins = ty->sig, *outs = gt + 1, *oend = outs + strlen(outs);
    const char *why = check_letters(ty, ins, gt, false);
    if (!why) why = check_letters(ty, outs, oend, true);
    if (why) return why;
    bool in_star = gt > ins && gt[-1] == '*', out_star = oend > outs && oend[-1] == '*';
    int n_in = (int)(gt - ins) - in_star, n_out = (int)(oend - outs) - out_star;
    if (in_star != (oi->in_max == 255) || (!in_star && n_in != oi->in_max))
        return "input letters do not match in_max";
    if (out_star != (oi->out_max == 255) || (!out_star && n_out != oi->out_max))
        return "output letters do not match out_max";
    if ((ty->t_have & ~ty->t) || (ty->t && !ty->t_have)) return "t_have is not a subset of t";
    return NULL;
}
