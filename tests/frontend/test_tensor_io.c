/*
 * test_tensor_io.c -- .npy read/write and serialized TensorProto reading.
 *
 * Round trips cover every dtype, scalars, 1-D and empty arrays; files written by
 * numpy (tests/fixtures/frontend/np_*.npy, from gen_fixtures.py) must read back and
 * must equal, byte for byte, what glc_npy_write produces for the same array. Broken
 * headers and truncated data are written at run time into GLC_TEST_BIN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "files.h"
#include "frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX GLC_TEST_SRC "/fixtures/frontend/"
#define BIN GLC_TEST_BIN "/frontend_"

static void assert_contains(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle)) fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void spit(const char *path, const void *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* A tensor of dtype dt and the given shape, filled with a byte pattern. */
static glc_host_tensor make(glc_dtype dt, int rank, const int64_t *dims) {
    glc_host_tensor t;
    glc_diag d = {0};
    assert_int_equal(glc_host_tensor_alloc(&t, dt, rank, dims, &d), GLC_OK);
    for (size_t i = 0; i < t.nbytes; i++)
        ((unsigned char *)t.data)[i] = (unsigned char)(i * 37 + 1);
    if (dt == GLC_DT_BOOL)
        for (size_t i = 0; i < t.nbytes; i++)
            ((unsigned char *)t.data)[i] &= 1;
    return t;
}

static void round_trip(glc_dtype dt, int rank, const int64_t *dims) {
    char path[512];
    snprintf(path, sizeof path, BIN "rt_%s_%d.npy", glc_dtype_name(dt), rank);
    glc_host_tensor t = make(dt, rank, dims), u;
    glc_diag d = {0};
    assert_int_equal(glc_npy_write(path, &t, &d), GLC_OK);
    assert_int_equal(glc_npy_read(path, &u, &d), GLC_OK);
    assert_int_equal(u.dtype, dt);
    assert_int_equal(u.rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(u.dims[i], dims[i]);
    assert_int_equal(u.nbytes, t.nbytes);
    if (t.nbytes) assert_memory_equal(u.data, t.data, t.nbytes);
    glc_host_tensor_fini(&t);
    glc_host_tensor_fini(&u);
    remove(path);
}

static void test_npy__round_trip_every_dtype(void **state) {
    static const glc_dtype dts[] = {GLC_DT_F32,  GLC_DT_F64, GLC_DT_I64, GLC_DT_I32,
                                    GLC_DT_BOOL, GLC_DT_U8,  GLC_DT_I8,  GLC_DT_I16,
                                    GLC_DT_U16,  GLC_DT_U32, GLC_DT_U64, GLC_DT_F16};
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++)
        round_trip(dts[i], 3, (int64_t[]){2, 3, 4});
}

static void test_npy__round_trip_scalar_1d_and_empty(void **state) {
    round_trip(GLC_DT_F32, 0, NULL);
    round_trip(GLC_DT_I64, 1, (int64_t[]){5});
    round_trip(GLC_DT_F64, 2, (int64_t[]){0, 3});
    round_trip(GLC_DT_U8, 8, (int64_t[]){1, 2, 1, 2, 1, 2, 1, 2});
}

/* glc_npy_write(t) must produce exactly the file numpy wrote (fixture `name`). */
static void assert_same_as_numpy(const char *name, const glc_host_tensor *t) {
    char fix[512], out[512];
    snprintf(fix, sizeof fix, FIX "%s", name);
    snprintf(out, sizeof out, BIN "%s", name);
    glc_diag d = {0};
    assert_int_equal(glc_npy_write(out, t, &d), GLC_OK);
    size_t la, lb;
    unsigned char *a = tf_read_file(fix, &la), *b = tf_read_file(out, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    remove(out);
}

static void test_npy__reads_numpy_files_and_writes_identical_bytes(void **state) {
    glc_host_tensor t;
    glc_diag d = {0};
    assert_int_equal(glc_npy_read(FIX "np_f32_2x3.npy", &t, &d), GLC_OK);
    assert_int_equal(t.dtype, GLC_DT_F32);
    assert_int_equal(t.rank, 2);
    assert_true(t.dims[0] == 2 && t.dims[1] == 3);
    assert_memory_equal(t.data, ((float[]){0, 0.25f, 0.5f, 0.75f, 1, 1.25f}), 24);
    assert_same_as_numpy("np_f32_2x3.npy", &t);
    glc_host_tensor_fini(&t);
    assert_int_equal(glc_npy_read(FIX "np_i64_3.npy", &t, &d), GLC_OK);
    assert_true(t.dtype == GLC_DT_I64 && t.rank == 1 && t.dims[0] == 3);
    assert_memory_equal(t.data, ((int64_t[]){-1, 0, INT64_C(1) << 40}), 24);
    assert_same_as_numpy("np_i64_3.npy", &t);
    glc_host_tensor_fini(&t);
    assert_int_equal(glc_npy_read(FIX "np_bool_scalar.npy", &t, &d), GLC_OK);
    assert_true(t.dtype == GLC_DT_BOOL && t.rank == 0 && t.nbytes == 1);
    assert_int_equal(*(unsigned char *)t.data, 1);
    assert_same_as_numpy("np_bool_scalar.npy", &t);
    glc_host_tensor_fini(&t);
    assert_int_equal(glc_npy_read(FIX "np_u8_2x2.npy", &t, &d), GLC_OK);
    assert_memory_equal(t.data, ((uint8_t[]){1, 2, 3, 250}), 4);
    assert_same_as_numpy("np_u8_2x2.npy", &t);
    glc_host_tensor_fini(&t);
}

static void test_npy__reads_format_versions_2_and_3(void **state) {
    glc_host_tensor t;
    glc_diag d = {0};
    assert_int_equal(glc_npy_read(FIX "np_f32_v2.npy", &t, &d), GLC_OK);
    assert_true(t.rank == 1 && t.dims[0] == 2);
    assert_memory_equal(t.data, ((float[]){1.5f, -2.0f}), 8);
    glc_host_tensor_fini(&t);
    assert_int_equal(glc_npy_read(FIX "np_f32_v3.npy", &t, &d), GLC_OK);
    assert_true(t.rank == 2 && t.dims[0] == 1 && t.dims[1] == 1);
    assert_true(*(float *)t.data == 3.0f);
    glc_host_tensor_fini(&t);
}

static void test_npy__fortran_order_and_big_endian_are_unsupported(void **state) {
    glc_host_tensor t;
    glc_diag d = {0};
    assert_int_equal(glc_npy_read(FIX "np_f64_fortran.npy", &t, &d), GLC_E_UNSUPPORTED);
    assert_contains(d.msg, "fortran_order");
    assert_null(t.data);
    assert_int_equal(glc_npy_read(FIX "np_big_endian.npy", &t, &d), GLC_E_UNSUPPORTED);
    assert_contains(d.msg, "'>f4'");
}

/* Writes a v1 file with header text h (padding added) and `data_len` data bytes. */
static glc_status read_with_header(const char *h, size_t data_len, glc_diag *d) {
    unsigned char buf[512] = "\x93NUMPY\x01\x00";
    size_t hl = strlen(h);
    buf[8] = (unsigned char)hl;
    buf[9] = 0;
    memcpy(buf + 10, h, hl);
    memset(buf + 10 + hl, 0x3f, data_len);
    spit(BIN "bad.npy", buf, 10 + hl + data_len);
    glc_host_tensor t;
    memset(d, 0, sizeof *d);
    glc_status s = glc_npy_read(BIN "bad.npy", &t, d);
    if (s == GLC_OK)
        glc_host_tensor_fini(&t);
    else
        assert_contains(d->msg, BIN "bad.npy");
    remove(BIN "bad.npy");
    return s;
}

static void test_npy__bad_headers_are_parse_errors_naming_the_file(void **state) {
    glc_diag d;
    static const char *bad[] = {
        "{'descr': '<f4', 'fortran_order': False}\n", /* no shape */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': 2}\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}\n", /* not a tuple */
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}\n",
        "{'descr': '<f4', 'fortran_order': Nope, 'shape': (2,)}\n",
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", /* no newline */
        "['descr', '<f4']\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x\n",
    };
    assert_int_equal(
        read_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8, &d),
        GLC_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        glc_status s = read_with_header(bad[i], 8, &d);
        if (s != GLC_E_PARSE) fail_msg("header %zu: status %d (%s)", i, s, d.msg);
    }
    assert_int_equal(
        read_with_header("{'descr': '<c8', 'fortran_order': False, 'shape': ()}\n", 8, &d),
        GLC_E_UNSUPPORTED);
}

static void test_npy__bad_magic_and_truncated_data_are_parse_errors(void **state) {
    glc_diag d;
    const char *h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
    assert_int_equal(read_with_header(h, 20, &d), GLC_E_PARSE);
    assert_contains(d.msg, "truncated");
    assert_contains(d.msg, "expected 24 bytes");
    assert_int_equal(read_with_header(h, 28, &d), GLC_E_PARSE);
    spit(BIN "magic.npy", "NUMPY\x01\x00\x10\x00{}", 12);
    glc_host_tensor t;
    assert_int_equal(glc_npy_read(BIN "magic.npy", &t, &d), GLC_E_PARSE);
    assert_contains(d.msg, "not a .npy file");
    remove(BIN "magic.npy");
    /* header length pointing past the end of the file */
    spit(BIN "short.npy", "\x93NUMPY\x01\x00\xff\x00{", 11);
    assert_int_equal(glc_npy_read(BIN "short.npy", &t, &d), GLC_E_PARSE);
    assert_contains(d.msg, BIN "short.npy");
    remove(BIN "short.npy");
}

static void test_npy__unwritable_path_is_an_io_error(void **state) {
    glc_host_tensor t = make(GLC_DT_F32, 1, (int64_t[]){2});
    glc_diag d = {0};
    assert_int_equal(glc_npy_write("/nonexistent/dir/x.npy", &t, &d), GLC_E_IO);
    assert_contains(d.msg, "/nonexistent/dir/x.npy");
    assert_contains(d.msg, "No such file or directory");
    /* rename onto a directory fails after the temporary was written: it is removed */
    mkdir(BIN "adir", 0755);
    assert_int_equal(glc_npy_write(BIN "adir", &t, &d), GLC_E_IO);
    char tmp[512];
    snprintf(tmp, sizeof tmp, BIN "adir.tmp.%ld", (long)getpid());
    assert_int_not_equal(access(tmp, F_OK), 0);
    rmdir(BIN "adir");
    glc_host_tensor_fini(&t);
}

static void test_npy__missing_file_is_an_io_error(void **state) {
    glc_host_tensor t;
    glc_diag d = {0};
    assert_int_equal(glc_npy_read("/nonexistent/x.npy", &t, &d), GLC_E_IO);
    assert_contains(d.msg, "No such file or directory");
}

/* ---- TensorProto -------------------------------------------------------------------------- */

#define NODE_DATA "/usr/share/libonnx-testdata/data/node/"

static void test_tensorproto__reads_onnx_backend_test_data(void **state) {
    glc_host_tensor t;
    char *name;
    glc_diag d = {0};
    assert_int_equal(
        glc_tensorproto_read(NODE_DATA "test_add/test_data_set_0/input_0.pb", &t, &name, &d),
        GLC_OK);
    assert_string_equal(name, "x");
    assert_int_equal(t.dtype, GLC_DT_F32);
    assert_int_equal(t.rank, 3);
    assert_true(t.dims[0] == 3 && t.dims[1] == 4 && t.dims[2] == 5);
    assert_int_equal(t.nbytes, 240);
    free(name);
    glc_host_tensor_fini(&t);
    assert_int_equal(
        glc_tensorproto_read(NODE_DATA "test_and2d/test_data_set_0/input_0.pb", &t, &name, &d),
        GLC_OK);
    assert_int_equal(t.dtype, GLC_DT_BOOL);
    assert_true(t.rank == 2 && t.nbytes == 12);
    free(name);
    glc_host_tensor_fini(&t);
}

static void test_tensorproto__garbage_is_a_parse_error(void **state) {
    spit(BIN "garbage.pb", "\xff\xff\xff\xff", 4);
    glc_host_tensor t;
    char *name;
    glc_diag d = {0};
    assert_int_equal(glc_tensorproto_read(BIN "garbage.pb", &t, &name, &d), GLC_E_PARSE);
    assert_contains(d.msg, BIN "garbage.pb");
    assert_null(name);
    assert_null(t.data);
    spit(BIN "garbage.pb", "", 0); /* parses as a TensorProto with no data type */
    assert_int_equal(glc_tensorproto_read(BIN "garbage.pb", &t, &name, &d), GLC_E_PARSE);
    assert_contains(d.msg, "no data type");
    remove(BIN "garbage.pb");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy__round_trip_every_dtype),
        cmocka_unit_test(test_npy__round_trip_scalar_1d_and_empty),
        cmocka_unit_test(test_npy__reads_numpy_files_and_writes_identical_bytes),
        cmocka_unit_test(test_npy__reads_format_versions_2_and_3),
        cmocka_unit_test(test_npy__fortran_order_and_big_endian_are_unsupported),
        cmocka_unit_test(test_npy__bad_headers_are_parse_errors_naming_the_file),
        cmocka_unit_test(test_npy__bad_magic_and_truncated_data_are_parse_errors),
        cmocka_unit_test(test_npy__unwritable_path_is_an_io_error),
        cmocka_unit_test(test_npy__missing_file_is_an_io_error),
        cmocka_unit_test(test_tensorproto__reads_onnx_backend_test_data),
        cmocka_unit_test(test_tensorproto__garbage_is_a_parse_error),
    };
    return cmocka_run_group_tests_name("frontend tensor files", tests, NULL, NULL);
}
