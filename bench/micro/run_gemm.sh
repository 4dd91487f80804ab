#!/bin/sh
# run_gemm.sh GLC OUTDIR -- compiles the gemm_models.py models with GLC (a glc binary) and
# prints compile time, median time and GFLOP/s of each (single thread, 20 runs).
set -e
GLC=$1 OUT=$2
python3 "$(dirname "$0")/gemm_models.py" "$OUT"
for m in sq512:512:512:512 sq512c:512:512:512 m1:1:2048:512 m8:8:2048:512; do
  IFS=: read -r name M N K <<EOT
$m
EOT
  t0=$(date +%s.%N); "$GLC" "$OUT/$name.onnx" -o "$OUT/$name.so"; t1=$(date +%s.%N)
  ins="--input a=$OUT/$name.in.a.npy"
  [ -f "$OUT/$name.in.b.npy" ] && ins="$ins --input b=$OUT/$name.in.b.npy"
  ms=$("$GLC" bench "$OUT/$name.so" --iters 20 --warmup 2 $ins | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
  echo "$name M=$M N=$N K=$K: compile $(echo "$t1 - $t0" | bc) s, median $ms ms," \
    "$(echo "scale=1; 2 * $M * $N * $K / ($ms * 1000000)" | bc) GFLOP/s"
done
