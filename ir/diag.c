/* diag.c -- recording and formatting diagnostics. */
#include "ir.h"

#include <stdarg.h>
#include <string.h>

glc_status glc_diag_set(glc_diag *d, glc_status s, const glc_node *n, const char *fmt, ...) {
    if (!d) return s;
    d->status = s;
    d->node[0] = d->op[0] = '\0';
    if (n) {
        snprintf(d->node, sizeof d->node, "%s", n->name ? n->name : "");
        snprintf(d->op, sizeof d->op, "%s", glc_op_name(n->op));
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return s;
}

const char *glc_status_name(glc_status s) {
    switch (s) {
    case GLC_OK: return "ok";
    case GLC_E_IO: return "i/o error";
    case GLC_E_PARSE: return "parse error";
    case GLC_E_UNSUPPORTED: return "unsupported";
    case GLC_E_SHAPE: return "shape error";
    case GLC_E_INVALID_IR: return "invalid IR";
    case GLC_E_LLVM: return "LLVM error";
    case GLC_E_NOMEM: return "out of memory";
    case GLC_E_ARG: return "invalid argument";
    case GLC_E_LINK: return "link error";
    case GLC_E_RUNTIME: return "runtime error";
    case GLC_E_LIMIT: return "limit exceeded";
    }
    return "error";
}

/* Newlines in messages (from LLVM, say) become spaces: a diagnostic is one line. */
static void flatten_lines(char *s) {
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = ' ';
}

void glc_diag_format(const glc_diag *d, char *buf, size_t len) {
    if (!len) return;
    size_t k = 0;
    buf[0] = '\0';
#define PUT(...)                                                                                   \
    do {                                                                                           \
        if (k < len) {                                                                             \
            int w_ = snprintf(buf + k, len - k, __VA_ARGS__);                                      \
            if (w_ > 0) k += (size_t)w_;                                                           \
        }                                                                                          \
    } while (0)
    if (d->file) PUT("%s: ", d->file);
    if (d->node[0] || d->op[0]) {
        PUT("node '%s'", d->node);
        if (d->op[0]) PUT(" (%s)", d->op);
        PUT(" ");
    }
    if (d->pass) PUT("[%s] ", d->pass);
    if (k >= 1 && k < len && buf[k - 1] == ' ' && (d->node[0] || d->op[0] || d->pass)) {
        k--;
        PUT(": ");
    }
    PUT("%s: %s", glc_status_name(d->status), d->msg);
#undef PUT
    flatten_lines(buf);
}
