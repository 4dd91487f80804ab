/*
 * fixture.h -- an ONNX fixture of tests/fixtures imported in a test.
 * Header-only (static functions); include after <cmocka.h>. Link glc_frontend.
 */
#ifndef GLC_TESTS_SUPPORT_FIXTURE_H
#define GLC_TESTS_SUPPORT_FIXTURE_H

#include "frontend.h"

#include <stdio.h>
#include <string.h>

/* tests/fixtures/<rel> imported with default options; a failed import fails the test
 * with the path and the diagnostic. The caller destroys the graph. */
static inline glc_graph *tf_import_fixture(const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/%s", GLC_TEST_SRC, rel);
    glc_graph *g = NULL;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_import_onnx_file_opts(path, NULL, &g, &d)) fail_msg("%s: %s", path, d.msg);
    return g;
}

#endif
