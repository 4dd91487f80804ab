/*
 * avx2_cpuid.c -- an LD_PRELOAD library under which the process's CPUID reports no AVX-512,
 * so that the peers (ONNX Runtime's MLAS, TensorFlow's oneDNN and XLA, PyTorch) pick their
 * AVX2 kernels on an AVX-512 machine: `bench/run.py --peer-isa avx2` runs them so against
 * glc's AVX2 code (--cpu=x86-64-v3). MLAS has no switch for it (it reads CPUID itself);
 * oneDNN and PyTorch have ONEDNN_MAX_CPU_ISA / ATEN_CPU_CAPABILITY, which run.py sets too.
 *
 * How: the constructor turns on Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID 0, x86
 * CPUs that have it; threads created later inherit it, execve resets it) and installs a
 * SIGSEGV handler. A faulting CPUID (0f a2 at the fault address) is executed with
 * faulting briefly off, the AVX-512 bits of leaf 7 (subleaves 0 and 1) cleared, the
 * results written to the interrupted context and RIP moved past it. Any other SIGSEGV
 * gets the default action. Without CPUID faulting nothing changes, and the library says
 * so on stderr. Code that uses AVX-512 without asking CPUID still can: this is a way to
 * steer dispatchers, not a sandbox.
 *
 *   cc -O2 -shared -fPIC avx2_cpuid.c -o avx2_cpuid.so
 *   LD_PRELOAD=$PWD/avx2_cpuid.so python ...
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* Leaf 7's AVX-512 bits. Subleaf 0, EBX: F, DQ, IFMA, PF, ER, CD, BW, VL; ECX: VBMI, VBMI2,
 * VNNI, BITALG, VPOPCNTDQ; EDX: 4VNNIW, 4FMAPS, VP2INTERSECT, FP16. Subleaf 1, EAX: BF16. */
static void mask_avx512(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    if (leaf != 7) return;
    if (sub == 0) {
        r[1] &= ~(1u << 16 | 1u << 17 | 1u << 21 | 1u << 26 | 1u << 27 | 1u << 28 | 1u << 30 |
                  1u << 31);
        r[2] &= ~(1u << 1 | 1u << 6 | 1u << 11 | 1u << 12 | 1u << 14);
        r[3] &= ~(1u << 2 | 1u << 3 | 1u << 8 | 1u << 23);
    } else if (sub == 1) {
        r[0] &= ~(1u << 5);
    }
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    (void)si;
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)g[REG_RIP];
    if (ip[0] != 0x0f || ip[1] != 0xa2) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    uint32_t leaf = (uint32_t)g[REG_RAX], sub = (uint32_t)g[REG_RCX], r[4];
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    cpuid(leaf, sub, r);
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
    mask_avx512(leaf, sub, r);
    g[REG_RAX] = r[0], g[REG_RBX] = r[1], g[REG_RCX] = r[2], g[REG_RDX] = r[3];
    g[REG_RIP] += 2;
}

__attribute__((constructor)) static void avx2_cpuid_init(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    if (sigaction(SIGSEGV, &sa, NULL) != 0 || syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0)
        fprintf(stderr, "avx2_cpuid: no CPUID faulting here: CPUID still reports AVX-512\n");
}
