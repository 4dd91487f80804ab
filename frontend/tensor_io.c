/*
 * tensor_io.c -- tensor files: .npy (read and write) and serialized TensorProto (read).
 *
 * .npy layout (numpy.lib.format):
 *
 *   "\x93NUMPY" major minor   6 + 2 bytes; major 1, 2 or 3
 *   header_len                u16 LE (v1) or u32 LE (v2, v3)
 *   header                    a Python dict literal, ASCII (v3: UTF-8), e.g.
 *                             {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *                             padded with spaces and ended by '\n'
 *   data                      numel * itemsize bytes, C order
 *
 * Reading is strict: the dict must have exactly the keys descr, fortran_order and
 * shape, the data must be exactly as long as the shape says (a truncated or padded
 * file is a parse error naming the file), fortran_order True and big-endian
 * descrs are unsupported. The dict is parsed by a small recursive-descent reader
 * that knows quoted strings, True/False and tuples of non-negative ints.
 *
 * Writing produces the bytes numpy 1.24 writes for the same array: a v1.0 header
 * whose dict has 21 - len(str(shape[0])) spaces of growth room after '}' (rank > 0),
 * then spaces and '\n' so that the data starts at a multiple of 64. The file is
 * written to "<path>.tmp.<pid>" and renamed over path, so it appears whole or not
 * at all; the temporary is removed on failure.
 */
#include "frontend_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21

glc_status fe_read_file(const char *path, uint64_t max, unsigned char **buf, size_t *len,
                        glc_diag *d) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return glc_diag_set(d, GLC_E_IO, NULL, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    while (p) {
        n += fread(p + n, 1, cap - n, f);
        if (n > max) { /* one byte past the limit is enough to know */
            free(p);
            fclose(f);
            return glc_diag_set(d, GLC_E_LIMIT, NULL, "'%s' is more than %llu bytes; the limit "
                                "is file-bytes=%llu (raise it with --limit file-bytes=N)", path,
                                (unsigned long long)max, (unsigned long long)max);
        }
        if (n < cap) break;
        unsigned char *q = cap <= SIZE_MAX / 2 ? realloc(p, cap * 2) : NULL;
        if (!q) free(p);
        p = q;
        cap *= 2;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (!p) return glc_diag_set(d, GLC_E_NOMEM, NULL, "'%s' does not fit in memory", path);
    if (err) {
        free(p);
        return glc_diag_set(d, GLC_E_IO, NULL, "cannot read '%s': %s", path, strerror(err));
    }
    *buf = p;
    *len = n;
    return GLC_OK;
}

/* ---- dtype <-> descr ------------------------------------------------------------- */

static const struct {
    const char *descr;
    glc_dtype dt;
} npy_types[] = {
    {"<f4", GLC_DT_F32}, {"<f8", GLC_DT_F64}, {"<f2", GLC_DT_F16}, {"<i8", GLC_DT_I64},
    {"<i4", GLC_DT_I32}, {"<i2", GLC_DT_I16}, {"|i1", GLC_DT_I8},  {"<u8", GLC_DT_U64},
    {"<u4", GLC_DT_U32}, {"<u2", GLC_DT_U16}, {"|u1", GLC_DT_U8},  {"|b1", GLC_DT_BOOL},
};
#define N_NPY_TYPES (sizeof npy_types / sizeof npy_types[0])

static const char *dtype_descr(glc_dtype dt) {
    for (size_t i = 0; i < N_NPY_TYPES; i++)
        if (npy_types[i].dt == dt) return npy_types[i].descr;
    return NULL;
}

static glc_dtype descr_dtype(const char *descr) {
    for (size_t i = 0; i < N_NPY_TYPES; i++)
        if (!strcmp(npy_types[i].descr, descr)) return npy_types[i].dt;
    return GLC_DT_UNDEF;
}

/* ---- header dict parser ------------------------------------------------------------ */

typedef struct npy_hdr {
    const char *p, *end; /* cursor over the header text */
    const char *path;
    char descr[16];
    bool fortran;
    int rank;
    int64_t dims[GLC_MAX_RANK];
    unsigned seen; /* bit 0 descr, 1 fortran_order, 2 shape */
    glc_diag *d;
} npy_hdr;

static glc_status bad_header(npy_hdr *h, const char *why) {
    return glc_diag_set(h->d, GLC_E_PARSE, NULL, "'%s': bad .npy header: %s", h->path, why);
}

static void skip_ws(npy_hdr *h) {
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n'))
        h->p++;
}

static bool eat(npy_hdr *h, char c) {
    skip_ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return true;
    }
    return false;
}

/* A quoted string ('...' or "...") without escapes, copied into buf. */
static bool parse_str(npy_hdr *h, char *buf, size_t cap) {
    skip_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return false;
    char q = *h->p++;
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || n + 1 >= cap) return false;
        buf[n++] = *h->p++;
    }
    buf[n] = '\0';
    return h->p < h->end && *h->p++ == q;
}

static bool parse_int(npy_hdr *h, int64_t *v) {
    skip_ws(h);
    if (h->p >= h->end || *h->p < '0' || *h->p > '9') return false;
    int64_t x = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        int digit = *h->p++ - '0';
        if (x > (INT64_MAX - digit) / 10) return false;
        x = x * 10 + digit;
    }
    *v = x;
    return true;
}

/* (), (3,), (2, 3) and (2, 3,) */
static glc_status parse_shape(npy_hdr *h) {
    if (!eat(h, '(')) return bad_header(h, "shape is not a tuple");
    h->rank = 0;
    while (!eat(h, ')')) {
        if (h->rank == GLC_MAX_RANK)
            return glc_diag_set(h->d, GLC_E_LIMIT, NULL, "'%s': rank exceeds %d", h->path,
                                GLC_MAX_RANK);
        if (!parse_int(h, &h->dims[h->rank])) return bad_header(h, "bad dimension in shape");
        h->rank++;
        if (!eat(h, ',')) {
            if (!eat(h, ')')) return bad_header(h, "unterminated shape tuple");
            if (h->rank == 1) return bad_header(h, "a 1-tuple needs a trailing comma");
            break;
        }
    }
    return GLC_OK;
}

static glc_status parse_bool(npy_hdr *h, bool *v) {
    skip_ws(h);
    size_t left = (size_t)(h->end - h->p);
    size_t n = left >= 4 && !strncmp(h->p, "True", 4)    ? 4
               : left >= 5 && !strncmp(h->p, "False", 5) ? 5
                                                         : 0;
    if (!n) return bad_header(h, "fortran_order is not True or False");
    *v = n == 4;
    h->p += n;
    return GLC_OK;
}

static glc_status parse_entry(npy_hdr *h) {
    char key[32];
    if (!parse_str(h, key, sizeof key)) return bad_header(h, "expected a quoted key");
    if (!eat(h, ':')) return bad_header(h, "expected ':' after a key");
    unsigned bit = !strcmp(key, "descr")           ? 1u
                   : !strcmp(key, "fortran_order") ? 2u
                   : !strcmp(key, "shape")         ? 4u
                                                   : 0u;
    if (!bit) return bad_header(h, "unknown key");
    if (h->seen & bit) return bad_header(h, "duplicate key");
    h->seen |= bit;
    if (bit == 1 && !parse_str(h, h->descr, sizeof h->descr))
        return bad_header(h, "descr is not a short string");
    if (bit == 2) GLC_TRY(parse_bool(h, &h->fortran));
    if (bit == 4) GLC_TRY(parse_shape(h));
    return GLC_OK;
}

static glc_status parse_dict(npy_hdr *h) {
    if (!eat(h, '{')) return bad_header(h, "header is not a dict");
    while (!eat(h, '}')) {
        GLC_TRY(parse_entry(h));
        if (!eat(h, ',')) {
            if (!eat(h, '}')) return bad_header(h, "expected ',' or '}'");
            break;
        }
    }
    skip_ws(h);
    if (h->p != h->end) return bad_header(h, "text after the dict");
    if (h->seen != 7) return bad_header(h, "missing descr, fortran_order or shape");
    return GLC_OK;
}

/* ---- npy read ---------------------------------------------------------------------- */

/* Finds the header text and the data offset; checks magic and version. */
static glc_status npy_preamble(const unsigned char *buf, size_t len, npy_hdr *h, size_t *data_off) {
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return glc_diag_set(h->d, GLC_E_PARSE, NULL, "'%s' is not a .npy file (bad magic)",
                            h->path);
    int major = buf[6];
    if (major < 1 || major > 3)
        return glc_diag_set(h->d, GLC_E_UNSUPPORTED, NULL, "'%s': .npy format version %d.%d",
                            h->path, major, buf[7]);
    size_t pre = major == 1 ? 10 : 12, hlen;
    if (len < pre) return bad_header(h, "truncated");
    if (major == 1)
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
    else
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    if (hlen > len - pre) return bad_header(h, "truncated");
    h->p = (const char *)buf + pre;
    h->end = h->p + hlen;
    if (!hlen || h->end[-1] != '\n') return bad_header(h, "header does not end with a newline");
    *data_off = pre + hlen;
    return GLC_OK;
}

static glc_status npy_decode(const unsigned char *buf, size_t len, npy_hdr *h, glc_host_tensor *t) {
    size_t off = 0;
    GLC_TRY(npy_preamble(buf, len, h, &off));
    GLC_TRY(parse_dict(h));
    if (h->fortran)
        return glc_diag_set(h->d, GLC_E_UNSUPPORTED, NULL,
                            "'%s': fortran_order True is not supported", h->path);
    glc_dtype dt = descr_dtype(h->descr);
    if (dt == GLC_DT_UNDEF)
        return glc_diag_set(h->d, GLC_E_UNSUPPORTED, NULL, "'%s': .npy dtype '%s' is not supported",
                            h->path, h->descr);
    size_t nbytes;
    if (!fe_shape_nbytes(h->rank, h->dims, glc_dtype_size(dt), &nbytes))
        return glc_diag_set(h->d, GLC_E_LIMIT, NULL, "'%s': array too large", h->path);
    if (len - off != nbytes)
        return glc_diag_set(
            h->d, GLC_E_PARSE, NULL, "'%s': %s data: expected %zu bytes, file holds %zu (%s)",
            h->path, h->descr, nbytes, len - off, len - off < nbytes ? "truncated" : "extra bytes");
    GLC_TRY(glc_host_tensor_alloc(t, dt, h->rank, h->dims, h->d));
    if (nbytes) memcpy(t->data, buf + off, nbytes);
    return GLC_OK;
}

glc_status glc_npy_read_buffer(const void *buf, size_t len, const char *name, glc_host_tensor *t,
                               glc_diag *d) {
    memset(t, 0, sizeof *t);
    npy_hdr h = {.path = name, .d = d};
    glc_status s = npy_decode(buf, len, &h, t);
    if (s != GLC_OK) glc_host_tensor_fini(t);
    return s;
}

glc_status glc_npy_read(const char *path, glc_host_tensor *t, glc_diag *d) {
    memset(t, 0, sizeof *t);
    unsigned char *buf;
    size_t len;
    GLC_TRY(fe_read_file(path, UINT64_MAX, &buf, &len, d));
    glc_status s = glc_npy_read_buffer(buf, len, path, t, d);
    free(buf);
    return s;
}

/* ---- npy write --------------------------------------------------------------------- */

/* The 10-byte preamble plus the padded dict, as numpy 1.24 writes it; returns its length. */
static size_t npy_header(const glc_host_tensor *t, const char *descr, char *buf, size_t cap) {
    size_t k = 10;
    k += (size_t)snprintf(buf + k, cap - k, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                          descr);
    for (int i = 0; i < t->rank; i++)
        k += (size_t)snprintf(buf + k, cap - k, i ? ", %lld" : "%lld", (long long)t->dims[i]);
    k += (size_t)snprintf(buf + k, cap - k, "%s), }", t->rank == 1 ? "," : "");
    if (t->rank > 0) {
        char first[24];
        int w = snprintf(first, sizeof first, "%lld", (long long)t->dims[0]);
        for (int i = w; i < NPY_GROWTH_DIGITS; i++)
            buf[k++] = ' ';
    }
    size_t pad = NPY_ALIGN - (k + 1) % NPY_ALIGN;
    memset(buf + k, ' ', pad);
    k += pad;
    buf[k++] = '\n';
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)((k - 10) & 0xff);
    buf[9] = (char)((k - 10) >> 8);
    return k;
}

static glc_status write_all(const char *tmp, const char *path, const char *hdr, size_t hlen,
                            const glc_host_tensor *t, glc_diag *d) {
    FILE *f = fopen(tmp, "wb");
    if (!f) return glc_diag_set(d, GLC_E_IO, NULL, "cannot write '%s': %s", path, strerror(errno));
    bool ok = fwrite(hdr, 1, hlen, f) == hlen;
    ok = ok && (!t->nbytes || fwrite(t->data, 1, t->nbytes, f) == t->nbytes);
    int err = ok ? 0 : errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok) return glc_diag_set(d, GLC_E_IO, NULL, "cannot write '%s': %s", path, strerror(err));
    if (rename(tmp, path) != 0)
        return glc_diag_set(d, GLC_E_IO, NULL, "cannot write '%s': %s", path, strerror(errno));
    return GLC_OK;
}

glc_status glc_npy_write(const char *path, const glc_host_tensor *t, glc_diag *d) {
    const char *descr = dtype_descr(t->dtype);
    if (!descr)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, NULL, "'%s': dtype %s cannot be written as .npy",
                            path, glc_dtype_name(t->dtype));
    size_t nbytes;
    if (t->rank < 0 || t->rank > GLC_MAX_RANK ||
        !fe_shape_nbytes(t->rank, t->dims, glc_dtype_size(t->dtype), &nbytes) ||
        nbytes != t->nbytes)
        return glc_diag_set(d, GLC_E_ARG, NULL, "'%s': tensor shape does not match its %zu bytes",
                            path, t->nbytes);
    char hdr[512];
    size_t hlen = npy_header(t, descr, hdr, sizeof hdr);
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (!tmp) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
    glc_status s = write_all(tmp, path, hdr, hlen, t, d);
    if (s != GLC_OK) remove(tmp);
    free(tmp);
    return s;
}

/* ---- serialized TensorProto -------------------------------------------------------- */

static glc_status tensorproto_decode(const unsigned char *buf, size_t len, const char *path,
                                     glc_host_tensor *t, char **name, glc_diag *d) {
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
    if (!tp)
        return glc_diag_set(d, GLC_E_PARSE, NULL,
                            "'%s' is not a serialized TensorProto (protobuf parse failed)", path);
    char what[300];
    snprintf(what, sizeof what, "'%s': tensor '%s'", path, tp->name ? tp->name : "");
    fe_tensor ft;
    glc_status s = fe_tensor_decode(tp, what, &ft, d);
    if (s == GLC_OK) {
        *name = strdup(tp->name ? tp->name : "");
        if (!*name) s = glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    }
    if (s == GLC_OK) {
        t->dtype = ft.dtype;
        t->rank = ft.rank;
        memcpy(t->dims, ft.dims, sizeof t->dims);
        t->data = ft.data;
        t->nbytes = ft.nbytes;
    } else {
        free(ft.data);
    }
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return s;
}

glc_status glc_tensorproto_read_buffer(const void *buf, size_t len, const char *path,
                                       glc_host_tensor *t, char **name, glc_diag *d) {
    memset(t, 0, sizeof *t);
    *name = NULL;
    return tensorproto_decode(buf, len, path, t, name, d);
}

glc_status glc_tensorproto_read(const char *path, glc_host_tensor *t, char **name, glc_diag *d) {
    memset(t, 0, sizeof *t);
    *name = NULL;
    unsigned char *buf;
    size_t len;
    GLC_TRY(fe_read_file(path, UINT64_MAX, &buf, &len, d));
    glc_status s = tensorproto_decode(buf, len, path, t, name, d);
    free(buf);
    return s;
}
