/*
 * op_switch_probe.c -- must NOT compile. A switch over glc_op that handles one op and has
 * no `default:` is an error in every build (-Werror=switch, CMakeLists.txt), GLC_WERROR
 * or not: that is how a new row in ir/ops.def finds every switch still to extend. The
 * test op_switch_missing_an_op_is_an_error (tests.cmake) builds it and expects the error.
 */
#include "ir.h"

int op_switch_probe(glc_op op);

int op_switch_probe(glc_op op) {
    switch (op) {
    case GLC_OP_ADD:
        return 1;
    }
    return 0;
}
