/* op.c -- the op table, generated from ops.def, and lookups by ONNX domain and name. */
#include "ir.h"
#include "ir_impl.h"

#include <string.h>

/* Names used in ops.def's columns. */
#define SLOTS(lo, hi) ((uint32_t)((2u << (hi)) - (1u << (lo)))) /* input slots lo..hi */
#define TYPES(t, have, u, sig) {t, have, u, sig}
#define T_FLOAT GLC_TC_FLOAT
#define T_SINT GLC_TC_SINT
#define T_UINT GLC_TC_UINT
#define T_INT GLC_TC_INT
#define T_NUM GLC_TC_NUM
#define T_BOOL GLC_TC_BOOL
#define T_ANY GLC_TC_ANY
#define T_F32 GLC_DT_BIT(GLC_DT_F32)
#define T_I8 GLC_DT_BIT(GLC_DT_I8)
#define T_U8 GLC_DT_BIT(GLC_DT_U8)
#define T_I32 GLC_DT_BIT(GLC_DT_I32)
#define T_U32 GLC_DT_BIT(GLC_DT_U32)
#define T_I64 GLC_DT_BIT(GLC_DT_I64)
#define T_U64 GLC_DT_BIT(GLC_DT_U64)
#define T_F64 GLC_DT_BIT(GLC_DT_F64)
#define T_IDX (T_I32 | T_I64)
#define T_FP (T_F32 | T_F64) /* the floats glc reduces in their own type */
#define T_FI (T_FP | T_INT)

const glc_op_info glc_op_table[GLC_OP_COUNT] = {
    [GLC_OP_NONE] = {"NONE", "", NULL, 0, 0, 0, 0, 0, 0, {0, 0, 0, ">"}, NULL},
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, st, ty, kern, inf)                               \
    [GLC_OP_##id] = {#id, dom, name, ilo, ihi, olo, ohi, fl, st, ty, inf},
#include "ops.def"
#undef OP
};

/* "" and "ai.onnx" both name the default domain. */
static bool same_domain(const char *a, const char *b) {
    if (!a || !strcmp(a, "ai.onnx")) a = "";
    if (!b || !strcmp(b, "ai.onnx")) b = "";
    return !strcmp(a, b);
}

glc_op glc_op_lookup(const char *domain, const char *name) {
    if (!name) return GLC_OP_NONE;
    for (int op = 1; op < GLC_OP_COUNT; op++) {
        const glc_op_info *info = &glc_op_table[op];
        if (info->name && !strcmp(info->name, name) && same_domain(info->domain, domain))
            return (glc_op)op;
    }
    return GLC_OP_NONE;
}

const char *glc_op_name(glc_op op) {
    if ((int)op < 0 || op >= GLC_OP_COUNT) return "?";
    const glc_op_info *info = &glc_op_table[op];
    return info->name ? info->name : info->id;
}
