/* ir_impl.h -- declarations private to the ir/ module. */
#ifndef GLC_IR_IR_IMPL_H
#define GLC_IR_IR_IMPL_H

#include "ir.h"

/* infer.c: one infer function per shape rule, named in ops.def. */
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, inf)                                            \
    glc_status inf(glc_graph *g, glc_node *n, glc_diag *d);
#include "ops.def"
#undef OP

#endif
