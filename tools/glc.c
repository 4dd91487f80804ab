/*
 * glc.c -- the glc driver's main: dispatch to a command, --help and --version.
 *
 *   glc MODEL.onnx -o OUT ...     compile (cmd_compile.c)
 *   glc run MODEL ...             run a compiled or interpreted model (cmd_run.c)
 *   glc inspect MODEL.onnx ...    print the graph (cmd_inspect.c)
 *   glc bench MODEL.so ...        time a compiled model's run (cmd_bench.c)
 *   glc help | --help | -h        the usage text below, exit 0
 *   glc --version                 version, LLVM version, host CPU (and GLC_DEFAULT_CPU), exit 0
 *   glc --list-cpus | --list-features [--target=TRIPLE]   the names LLVM knows, exit 0
 *
 * Exit status: 0 success, 1 a model, input or runtime error, 2 a usage error. Only
 * this directory prints diagnostics or chooses exit codes; the libraries return
 * glc_status and fill a glc_diag.
 */
#include "codegen.h"
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GLC_VERSION
#define GLC_VERSION "0.0.0"
#endif
#ifndef GLC_LLVM_VERSION
#define GLC_LLVM_VERSION "?"
#endif

static const char help_text[] =
    "usage:\n"
    "  glc MODEL.onnx [-o OUT] [-O0|-O1|-O2|-O3] [--emit=so|obj|static|header|asm|llvm]\n"
    "      [--cpu=NAME] [--features=LIST] [--target=TRIPLE] [--name=PREFIX] [--stream]\n"
    "      [--winograd] [--bf16] [--bf16-weights] [--disable-pass=PASS] [-v]\n"
    "      [--bind NAME=FILE.npy ...] [--limit NAME=N ...] [--shape INPUT=D0xD1x... ...]\n"
    "      [--dim NAME=N ...] [--max-dim NAME=N ...]\n"
    "  glc run MODEL.so|MODEL.onnx --input NAME=FILE.npy ... [--output-dir DIR]\n"
    "      [--interp] [--name=PREFIX] [--shape|--dim|--max-dim ... (for MODEL.onnx)]\n"
    "  glc inspect MODEL.onnx [--print-after=PASS | --print-after-all] [--stream]\n"
    "      [--disable-pass=PASS] [-v]\n"
    "      [--shape INPUT=D0xD1x... ...] [--dim NAME=N ...] [--max-dim NAME=N ...]\n"
    "  glc bench MODEL.so [--iters N] [--warmup N] [--threads T] [--json]\n"
    "      [--input NAME=FILE.npy ...] [--shape INPUT=D0xD1x... ...] [--name=PREFIX]\n"
    "  glc --help | help\n"
    "  glc --version\n"
    "  glc --list-cpus | --list-features [--target=TRIPLE]\n"
    "\n"
    "compile (the default command): import MODEL.onnx, run the pass pipeline (the graph\n"
    "is verified after each pass) and generate native code with LLVM.\n"
    "  -o OUT            output file; default: the model's base name without .onnx plus\n"
    "                    .so, .o, .a, .h, .s or .ll (per --emit), in the current directory.\n"
    "                    Written whole or not at all.\n"
    "  -O0 .. -O3        optimisation level (default -O3); -O0 also runs no graph pass\n"
    "  --emit=KIND       so: shared object (default); obj: relocatable object;\n"
    "                    static: archive (.a) holding that object; header: a C header\n"
    "                    (PREFIX_inputs/_outputs structs, size macros, PREFIX_run) for\n"
    "                    linking obj/static; asm: target assembly; llvm: LLVM IR text\n"
    "                    after optimisation\n"
    "  --cpu=NAME        target CPU (default: $GLC_DEFAULT_CPU if set, else this\n"
    "                    host's; see --version). glc --list-cpus lists the names; an\n"
    "                    unknown one is a usage error\n"
    "  --features=LIST   LLVM target features, e.g. +avx512f,+avx512bf16 (default: this\n"
    "                    host's; with --cpu, GLC_DEFAULT_CPU or --target none beyond the\n"
    "                    CPU's, and glc sizes its kernels for that: give them here);\n"
    "                    glc --list-features lists the names\n"
    "  --target=TRIPLE   target triple (default: this host's), e.g. aarch64-linux-gnu\n"
    "                    with --emit=obj|static|asm|llvm to cross-compile\n"
    "  --name=PREFIX     exported symbols are PREFIX_describe, PREFIX_plan,\n"
    "                    PREFIX_invoke and PREFIX_invoke_with (default glc_model);\n"
    "                    PREFIX must be a C identifier\n"
    "  --winograd        3x3 and 5x5 convolutions (stride 1, constant weights, at least 8\n"
    "                    input and 16 output channels) as Winograd F(4x4,3x3) and\n"
    "                    F(2x2,5x5): 2.25x and 2.8x fewer multiplications; results differ\n"
    "                    from the default path by rounding (about 1e-6 relative)\n"
    "  --bf16            every matrix product and convolution as bf16 dot products\n"
    "                    (vdpbf16ps; needs avx512bf16): both operands rounded to bf16,\n"
    "                    sums in f32; up to twice the f32 speed where the products bind,\n"
    "                    outputs move ~1e-2 relative (BENCHMARKS.md gives each workload's)\n"
    "  --bf16-weights    keep the constant weights of matrix products (LSTM/GRU/RNN and\n"
    "                    GridLSTM weights, MatMul/Gemm constants) as bf16, widened to f32\n"
    "                    in the product: half the weight bytes, f32 arithmetic; weights\n"
    "                    lose 16 mantissa bits (2^-9 relative), outputs move ~1e-3\n";

/* Split in parts: ISO C caps a string literal at 4095 characters. */
static const char help_text_compile[] =
    "  --stream          compile one time step, for online inference: the inputs' time\n"
    "                    axis (the first recurrent node's, traced back through\n"
    "                    Transpose and elementwise ops) becomes 1, and each LSTM, GRU,\n"
    "                    RNN or ConvLSTM k gets state ports stream_h<k> (and\n"
    "                    stream_c<k>) -> stream_h<k>_out (stream_c<k>_out). Run it with\n"
    "                    glc_rt_stream_open/_step/_reset (glc_runtime.h), which keep\n"
    "                    the state between steps; a symbolic batch is fixed by\n"
    "                    glc_rt_stream_plan (a new batch starts a zero state).\n"
    "                    Recurrent nodes must be forward,\n"
    "                    without sequence_lens or non-zero initial states. Shapes are\n"
    "                    checked, not meaning: ops that mix time steps outside the\n"
    "                    recurrent nodes would make the steps differ from the whole run\n"
    "  --bind NAME=FILE.npy  graph input NAME becomes a constant holding the array\n"
    "                    (repeatable; dtype and shape must match the input). For\n"
    "                    operands glc needs at compile time: Reshape's shape, Slice's\n"
    "                    starts/ends/axes/steps, Split's split, Squeeze/Unsqueeze\n"
    "                    axes, Pad's pads/value/axes, ReduceMean's axes, Dropout's\n"
    "                    ratio/training_mode\n"
    "  --limit NAME=N    raise or lower one of the import's resource limits\n"
    "                    (repeatable; the list is below). A model over a limit is\n"
    "                    refused with a one-line error naming the value and the limit\n"
    "  --disable-pass=PASS  run the pipeline without graph pass PASS (glc inspect\n"
    "                    --print-after-all lists them), e.g. raise-recurrence\n"
    "  -v                print phases and timings to stderr, and what passes such\n"
    "                    as raise-recurrence did or why not\n";

static const char help_text_dims[] =
    "Symbolic dims: an input dim that the model names (a dim_param, e.g. batch) or leaves\n"
    "unknown ('?', -1; named <input>.<axis>) stays symbolic: the compiled model takes\n"
    "inputs of any size there and checks them at each call (glc_runtime.h: plan/invoke).\n"
    "  --shape INPUT=D0xD1x...  input INPUT's dims (repeatable): a size fixes one, '?'\n"
    "                    keeps the model's, a name makes it that symbol (also where the\n"
    "                    model has a size), e.g. --shape x=1x?x64, --shape x=T,batch,64\n"
    "                    (commas separate when a name contains an 'x')\n"
    "  --dim NAME=N      fix every dim named NAME to N (repeatable)\n"
    "  --max-dim NAME=N  bound symbol NAME by N (repeatable): calls with a larger value\n"
    "                    are refused, and with every symbol bounded describe() gives the\n"
    "                    worst-case workspace and tensor sizes\n";

static const char help_text_commands[] =
    "\n"
    "run: run a model on .npy inputs and write each output to DIR/<output name>.npy\n"
    "(characters outside [A-Za-z0-9._-] in the name become '_'; files are written\n"
    "atomically). Each input's dtype and shape must match the model's (any size for a\n"
    "symbolic dim, that the model then checks).\n"
    "  MODEL.so          a model compiled by glc, loaded with dlopen\n"
    "  MODEL.onnx        compiled first to a temporary .so (in $TMPDIR or /tmp,\n"
    "                    removed afterwards), then run\n"
    "  --input NAME=FILE.npy   the value of input NAME; once per model input\n"
    "  --output-dir DIR  where outputs go (default: the current directory); DIR must\n"
    "                    exist\n"
    "  --interp          with MODEL.onnx: run glc's reference interpreter after the\n"
    "                    same pass pipeline instead of compiling\n"
    "  --name=PREFIX     the symbol prefix the model was compiled with\n"
    "\n"
    "inspect: print the graph as imported (after shape inference and verification);\n"
    "symbolic dims print as names and expressions, the constraints the model checks at\n"
    "run time as 'assume' lines. --shape, --dim and --max-dim as for compile.\n"
    "  --print-after=PASS  run the pass pipeline and print the graph after PASS\n"
    "  --print-after-all   run the pass pipeline and print the graph after every pass\n"
    "  --stream            first rewrite the graph for streaming, as compile --stream\n"
    "  --disable-pass=PASS run the pipeline without PASS\n"
    "  -v                  passes say what they did and why not (raise-recurrence)\n"
    "\n"
    "bench: time the compiled model's run on fixed inputs: N timed runs (default 20)\n"
    "after N untimed warm-up runs (default 3); prints the median, minimum and maximum\n"
    "latency and the process's peak resident memory (one JSON object with --json).\n"
    "Inputs not given with --input are floats uniform in [-1, 1) from a fixed seed,\n"
    "and zeros for integer and bool inputs, of the model's shape (--shape INPUT=D0xD1x...\n"
    "gives the dims of an input with symbolic ones). --threads T runs on T threads\n"
    "(default: GLC_NUM_THREADS, else every CPU).\n"
    "\n"
    "Threads: a compiled model splits its large products and cell loops over a thread\n"
    "pool linked into it: GLC_NUM_THREADS threads (the caller included), default every\n"
    "CPU; GLC_NUM_THREADS=1 runs on the calling thread alone. Results do not depend on\n"
    "the thread count.\n"
    "\n"
    "Environment: GLC_DEFAULT_CPU=NAME (e.g. x86-64-v3) is the target CPU of every\n"
    "compilation that gives no --cpu or --target (glc, glc run, the Python package),\n"
    "with no features beyond that CPU's own, as --cpu=NAME would be: on an AVX-512\n"
    "machine, GLC_DEFAULT_CPU=x86-64-v3 makes AVX2 code. GLC_NUM_THREADS: see Threads.\n"
    "\n"
    "Flags taking a value accept both --flag=VALUE and --flag VALUE.\n"
    "Exit status: 0 success; 1 an error in the model, its inputs, a file or the run\n"
    "(one line on stderr naming the file, node and problem); 2 a usage error.\n";

static int print_help(void) {
    fputs(help_text, stdout);
    fputs(help_text_compile, stdout);
    fputs(help_text_dims, stdout);
    fputs(help_text_commands, stdout);
    fputs("\nlimits (--limit NAME=N), with their defaults:\n", stdout);
    print_limits_help();
    fputs("\npasses, in pipeline order:\n", stdout);
    for (int i = 0; i < glc_pipeline_len; i++)
        printf("  %-20s %s\n", glc_pipeline[i].cli_name, glc_pipeline[i].summary);
    return EXIT_OK;
}

static int print_version(void) {
    char *cpu = glc_codegen_host_cpu();
    const char *def = getenv("GLC_DEFAULT_CPU");
    printf("glc %s (LLVM %s, host cpu %s", GLC_VERSION, GLC_LLVM_VERSION, cpu ? cpu : "?");
    if (def && *def) printf(", default cpu %s from GLC_DEFAULT_CPU", def);
    printf(")\n");
    free(cpu);
    return EXIT_OK;
}

/* glc --list-cpus | --list-features [--target=TRIPLE]: LLVM's names, one per line. */
static int list_names(int argc, char **argv, const char *cmd) {
    glc_codegen_options o = glc_codegen_defaults();
    for (int i = 0; i < argc; i++) {
        int m = flag_value(argc, argv, &i, "--target", &o.triple);
        if (m < 0) return EXIT_USAGE;
        if (m == 0) return usage_error("%s takes only --target=TRIPLE", cmd);
    }
    glc_diag d = {0};
    char *names = NULL;
    bool features = !strcmp(cmd, "--list-features");
    if (glc_codegen_target_names(&o, features, &names, &d) != GLC_OK) return report_diag(&d);
    fputs(names, stdout);
    free(names);
    return EXIT_OK;
}

static bool wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return true;
    return false;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage_error("no model or command given");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || wants_help(argc, argv)) return print_help();
    if (!strcmp(cmd, "--version")) {
        if (argc > 2) return usage_error("--version takes no arguments");
        return print_version();
    }
    if (!strcmp(cmd, "--list-cpus") || !strcmp(cmd, "--list-features"))
        return list_names(argc - 2, argv + 2, cmd);
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 2, argv + 2);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 2, argv + 2);
    return cmd_compile(argc - 1, argv + 1);
}
