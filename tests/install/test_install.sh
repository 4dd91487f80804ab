#!/usr/bin/env bash
# The installed tree works for a consumer: `cmake --install` into a scratch prefix, compile
# a model with the installed driver, then build tests/install/consumer against the prefix
# twice (CMake find_package(glc) and pkg-config glc-runtime); both runs must print the
# same outputs; then the installed compiler library (glc_compile.h, libglc_compiler.so)
# compiles the model in-process (built with CMake and with pkg-config glc-compiler) and
# those .so give the same outputs too; libglc_ort.so is installed and finds its libraries.
# Args: BUILD_DIR SOURCE_DIR "C_FLAGS" (the flags of this build, so that a sanitizer build
# links its sanitized runtime library).
set -euo pipefail
build="$1" src="$2" cflags="${3:-}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -x "$tmp/prefix/bin/glc"
test -f "$tmp/prefix/include/glc_runtime.h"
test -f "$tmp/prefix/include/glc_compile.h"
test -f "$tmp/prefix/lib/libglc_compiler.so"
test -f "$tmp/prefix/lib/libglc_ort.so" # ONNX Runtime custom-op library: finds its libraries
if ldd "$tmp/prefix/lib/libglc_ort.so" | grep "not found"; then exit 1; fi
"$tmp/prefix/bin/glc" "$src/examples/mlp/mlp.onnx" -o "$tmp/mlp.so"
cmake -S "$src/tests/install/consumer" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags" >/dev/null
cmake --build "$tmp/cb" >/dev/null
"$tmp/cb/consumer" "$tmp/mlp.so" > "$tmp/out_cmake.txt"
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$tmp/prefix/lib/pkgconfig" \
  cc $cflags "$src/tests/install/consumer/consumer.c" -o "$tmp/consumer_pc" \
  $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs glc-runtime)
"$tmp/consumer_pc" "$tmp/mlp.so" > "$tmp/out_pc.txt"
test -s "$tmp/out_cmake.txt"
cmp "$tmp/out_cmake.txt" "$tmp/out_pc.txt"
"$tmp/cb/compile_consumer" "$src/examples/mlp/mlp.onnx" "$tmp/mlp_lib.so"
"$tmp/cb/consumer" "$tmp/mlp_lib.so" > "$tmp/out_lib.txt"
cmp "$tmp/out_cmake.txt" "$tmp/out_lib.txt"
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$tmp/prefix/lib/pkgconfig" \
  cc $cflags "$src/tests/install/consumer/compile_consumer.c" -o "$tmp/compile_pc" \
  $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs glc-compiler) \
  -Wl,-rpath,"$tmp/prefix/lib"
"$tmp/compile_pc" "$src/examples/mlp/mlp.onnx" "$tmp/mlp_pc.so"
"$tmp/consumer_pc" "$tmp/mlp_pc.so" > "$tmp/out_lib_pc.txt"
cmp "$tmp/out_cmake.txt" "$tmp/out_lib_pc.txt"
if "$tmp/cb/compile_consumer" "$src/no/such.onnx" "$tmp/x.so" 2> "$tmp/err.txt"; then
  echo "install: compiling a missing model succeeded" >&2
  exit 1
fi
grep -q "no/such.onnx" "$tmp/err.txt"
echo "install: ok ($(wc -l < "$tmp/out_cmake.txt") output values)"
