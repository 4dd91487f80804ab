#!/usr/bin/env bash
# Builds and runs examples/vad: compiles Silero VAD's sequence model (from the silero-vad
# wheel that tests/zoo fetches, pinned in tests/zoo/models.json) to a static archive and a
# header, links vad.c with the system C compiler, runs it on generated WAVs (10 s at 16 kHz;
# 25 s at 48 kHz, over 512 frames: two blocks with the LSTM state carried) and compares its probabilities and segments with the package's own pipeline.
# Args: GLC_DRIVER PYTHON [CFLAGS]; PYTHON has numpy and onnxruntime. Exit 77 (skip) when
# the model cannot be fetched (no network and no cache).
set -euo pipefail
glc="$1" py="$2" cflags="${3:-}"
here="$(cd "$(dirname "$0")" && pwd)"
cache="${GLC_ZOO_CACHE:-$HOME/.cache/glc-zoo}"
if ! "$py" "$here/../../tests/zoo/fetch_models.py" silero_vad_seq >/dev/null; then
  echo "vad: SKIP: cannot fetch the silero-vad wheel (tests/zoo/fetch_models.py)"; exit 77
fi
model="$cache/models/silero_vad_seq.onnx"
wheel="$(ls "$cache"/wheels/silero_vad-*.whl | head -n1)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
flags=(--name=silero --max-dim sequence_length=512)
"$glc" "$model" "${flags[@]}" --emit=static -o "$tmp/libsilero.a"
"$glc" "$model" "${flags[@]}" --emit=header -o "$tmp/silero.h"
cc -std=c11 -O2 -Wall -Wextra -Werror $cflags -I"$tmp" "$here/vad.c" "$tmp/libsilero.a" \
  -lm -lpthread -o "$tmp/vad"
for case in "1 16000 4" "2 48000 10"; do
  set -- $case
  "$py" "$here/check.py" gen "$tmp/a.wav" "$1" "$2" "$3"
  "$tmp/vad" --probs "$tmp/probs.f32" "$tmp/a.wav" | tee "$tmp/segments.txt"
  "$py" "$here/check.py" compare "$wheel" "$model" "$tmp/a.wav" "$tmp/probs.f32" "$tmp/segments.txt"
done
# Bad input is a one-line diagnostic and a failure status.
printf 'RIFF\0\0\0\0WAVEjunk' >"$tmp/bad.wav"
if "$tmp/vad" "$tmp/bad.wav" 2>"$tmp/err"; then echo "vad: accepted a bad WAV"; exit 1; fi
echo "vad: bad WAV refused: $(cat "$tmp/err")"
