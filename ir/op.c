/* op.c -- the op table, generated from ops.def, and lookups by ONNX domain and name. */
#include "ir.h"
#include "ir_impl.h"

#include <string.h>

const glc_op_info glc_op_table[GLC_OP_COUNT] = {
    [GLC_OP_NONE] = {"NONE", "", NULL, 0, 0, 0, 0, 0, 0, NULL},
/* input slots lo..hi as a bitmask */
#define SLOTS(lo, hi) ((uint32_t)((2u << (hi)) - (1u << (lo))))
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, st, inf)                                         \
    [GLC_OP_##id] = {#id, dom, name, ilo, ihi, olo, ohi, fl, st, inf},
#include "ops.def"
#undef OP
#undef SLOTS
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
