/*
 * files.h -- a file read whole in a test: a fixture, or what a tool wrote.
 * Header-only (static functions); include after <cmocka.h>.
 */
#ifndef GLC_TESTS_SUPPORT_FILES_H
#define GLC_TESTS_SUPPORT_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* The bytes of path with a NUL after them (so a text file is a string); their count in
 * *len unless len is NULL. A file that cannot be opened fails the test. The caller frees. */
static inline void *tf_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (size_t k; (k = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (n + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

#endif
