/*
 * isa.c -- the per-ISA table of the matrix-product kernels: vector length, register tile
 * shapes, cache blocks. cg_target_init() picks one row for the compilation (c->isa) by the
 * target's triple and features; gemm.c sizes every product from that row alone, and the
 * lowerings that depend on the tiles (the fused-cell panels of lower_rnn.c) ask gemm.c.
 *
 * A tile is MR rows x NV vectors of VL floats: MR*NV accumulators, NV vectors of B and a
 * broadcast of A live in registers through the k loop, so MR*NV + NV + 1 <= the register
 * file (the gemm tests check that, and each row's shapes numerically). Each row has three
 * tile shapes, by panel kind (cg_gemm.panel_gates): the default panels, and panels whose
 * width is a multiple of 3 or 4 (the gates of a GRU's or an LSTM's units side by side, for
 * the fused cells: fewer rows, since the panel is wider); and optionally a narrow tile,
 * which products of default panels take when they have few panels and it pads less
 * (gemm.c's pick_tile).
 *
 * Rows:
 *   avx512  x86 with +avx512f: 32 zmm, VL 16. Default 12 x 2 (32 columns, 24
 *           accumulators), 3 gates 8 x 3 (48), 4 gates 6 x 4 (64). KC 256, A blocks of
 *           512 KB (half of a Zen 4/5 L2 of 1 MB).
 *   avx2    other x86 (AVX2/FMA; named CPUs without +avx512f): 16 ymm, VL 8. Default
 *           and 3 gates 4 x 3 (24 columns, 12 accumulators, 3 B vectors, 16 registers),
 *           4 gates 2 x 4 (32 columns: 4 gates x 8 units, 13 registers). KC 256 (a 24 KB
 *           B chunk in a 32 KB L1), A blocks of 256 KB (half of Zen 3's 512 KB L2).
 *           Narrow tile 6 x 2 (6 x 16) for products of few panels: N = 256 (W1's and
 *           W6's) in 16 panels instead of 11, which 2 or 4 threads split evenly; alone
 *           on one thread it is 0-3 % slower than 4 x 24 on those shapes.
 *           Measured on Zen 5 with AVX2 code, one thread, CPU time: 4 x 24 against the
 *           former 6 x 16 (MLAS's AVX2 SGEMM shape) loads 7 instead of 8 vectors per 12
 *           FMAs and is as fast or faster on every product shape of the workloads (W5's
 *           recurrence M 64 x 2048 x 512: 78 -> 87 % of the AVX2 peak, W4's 89 -> 94 %,
 *           the convolutions' 90-95 % either way); the former 4-gate tile, 3 x 4, needed
 *           17 registers and spilled (43 % of the peak): 2 x 4 takes an LSTM at batch 8
 *           (W5's shapes, fused cells) from 57 to 80 %; 4 x 2 and 1 x 4 gave 68 and 65 %.
 *           y_late: accumulating tiles prefetch Y and add it after the k loop (gemm.c).
 *   neon    AArch64: 32 q registers, VL 4 (one fmla .4s each). Default 6 x 4 (16
 *           columns, 24 accumulators), 3 gates 8 x 3 (12 columns: 4 units), 4 gates 6 x 4
 *           (16: 4 gates x 4 units). Before this row AArch64 took VL 8 (pairs of q
 *           registers) and the LSTM's fused-cell tile (3 x 4 of them, 33 q) spilled.
 *   generic anything else: the avx2 row's shapes (LLVM legalises the vectors).
 * chains: independent FMA chains a tile needs to keep the FMA pipes busy (latency x pipes,
 * 4 x 2 on these cores); tiles with fewer accumulators split k over several sets.
 */
#include "cg_impl.h"
#include "cg_testing.h"

#include <string.h>

/* The avx2 row's numbers, which the generic row shares (LLVM legalises its vectors). */
#define AVX2_SHAPES                                                                             \
    .vl = 8, .vregs = 16, .chains = 8, .tile = {{4, 3}, {4, 3}, {2, 4}}, .narrow = {6, 2},      \
    .kc = 256, .ablock = 65536, .y_late = true

static const cg_isa ROWS[] = {
    {.name = "avx512",
     .vl = 16,
     .vregs = 32,
     .chains = 8,
     .tile = {{12, 2}, {8, 3}, {6, 4}},
     .kc = 256,
     .ablock = 131072,
     .vector_bits = 512},
    {.name = "avx2", AVX2_SHAPES},
    {.name = "neon",
     .vl = 4,
     .vregs = 32,
     .chains = 8,
     .tile = {{6, 4}, {8, 3}, {6, 4}},
     .kc = 256,
     .ablock = 131072},
    {.name = "generic", AVX2_SHAPES},
};
enum { N_ROWS = sizeof ROWS / sizeof ROWS[0] };

static const cg_isa *row_named(const char *name) {
    for (int k = 0; k < N_ROWS; k++)
        if (!strcmp(ROWS[k].name, name)) return &ROWS[k];
    return &ROWS[N_ROWS - 1];
}

static bool starts_with(const char *s, const char *prefix) {
    return s && !strncmp(s, prefix, strlen(prefix));
}

const cg_isa *cg_isa_select(const char *triple, bool avx512f) {
    if (starts_with(triple, "x86_64") || starts_with(triple, "i386") || starts_with(triple, "i686"))
        return row_named(avx512f ? "avx512" : "avx2");
    if (starts_with(triple, "aarch64") || starts_with(triple, "arm64")) return row_named("neon");
    return row_named("generic");
}

int cg_isa_panel_kind(int panel_gates) {
    return panel_gates == 3 ? 1 : panel_gates == 4 ? 2 : 0;
}

/* ---- test hook (cg_testing.h) */

/* A target that selects each row (the test compiles for it; x86 rows run where the host
 * has host_feature). */
static const glc_isa_row EXAMPLES[] = {
    {.name = "avx512",
     .triple = "x86_64-pc-linux-gnu",
     .cpu = "x86-64-v4",
     .features = "+avx512f",
     .host_feature = "avx512f"},
    {.name = "avx2", .triple = "x86_64-pc-linux-gnu", .cpu = "x86-64-v3", .host_feature = "avx2"},
    {.name = "neon", .triple = "aarch64-linux-gnu", .cpu = ""},
    {.name = "generic", .triple = "riscv64-linux-gnu", .cpu = ""},
};
_Static_assert(sizeof EXAMPLES / sizeof EXAMPLES[0] == N_ROWS, "one example target per row");

int glc_codegen_isa_rows(glc_isa_row *out, int max) {
    for (int k = 0; k < N_ROWS && k < max; k++) {
        out[k] = EXAMPLES[k];
        const cg_isa *r = row_named(out[k].name);
        out[k].vl = r->vl;
        out[k].vregs = r->vregs;
        for (int p = 0; p < 3; p++)
            out[k].mr[p] = r->tile[p].mr, out[k].nv[p] = r->tile[p].nv;
        out[k].mr[3] = r->narrow.mr, out[k].nv[3] = r->narrow.nv;
    }
    return N_ROWS;
}
