#!/usr/bin/env python3
"""The test side of examples/vad: writes speech-like WAVs and checks the C program's output
against the silero-vad package's own pipeline (SileroVADSequence on ONNX Runtime, then
get_speech_timestamps_sequence), run from the package's wheel.

    check.py gen OUT.wav SEED RATE BURSTS   a WAV: bursts of syllables (a hiss, then a
                                            voiced vowel) between noise floors
    check.py compare WHEEL MODEL WAV PROBS SEGMENTS
        PROBS: the C program's --probs file; SEGMENTS: its standard output.
Needs numpy and onnxruntime (no torch: utils_vad.py imports torch and packaging for functions
this path does not call, so stand-ins take their place when they are not installed).
"""
import sys
import types
import wave
import zipfile

import numpy as np


def resonate(src, sr, fc, bw):
    """A two-pole resonator (one formant) over src."""
    r, th = np.exp(-np.pi * bw / sr), 2 * np.pi * fc / sr
    a1, a2 = -2 * r * np.cos(th), r * r
    y, y1, y2 = np.zeros(len(src)), 0.0, 0.0
    for i, s in enumerate(src):
        y[i] = s - a1 * y1 - a2 * y2
        y2, y1 = y1, y[i]
    return y / np.abs(y).max()


VOWELS = [[(700, 80), (1200, 90), (2600, 120)], [(300, 60), (2300, 100), (3000, 120)],
          [(500, 70), (900, 80), (2500, 120)], [(400, 60), (1900, 90), (2600, 120)]]


def syllable(n, sr, rng):
    t = np.arange(n) / sr
    f0 = rng.uniform(100, 180) * (1 + 0.08 * np.sin(2 * np.pi * 3 * t))
    phase = np.cumsum(f0) / sr
    src = sum(np.sin(2 * np.pi * k * phase) / k for k in range(1, 40))
    v = sum(resonate(src, sr, fc, bw) for fc, bw in VOWELS[rng.integers(4)])
    return v * np.sin(np.pi * np.arange(n) / n) ** 0.6


def burst(seconds, sr, rng):
    n, syl = int(seconds * sr), int(rng.uniform(0.15, 0.3) * sr)
    pieces = []
    for i in range(0, n, syl):
        m = min(syl, n - i)
        fric = int(m * rng.uniform(0.1, 0.3))
        hiss = np.diff(rng.standard_normal(fric + 1)) * 0.15 * np.hanning(fric)
        pieces += [hiss, syllable(m - fric, sr, rng)]
    out = np.concatenate(pieces)
    return out / np.abs(out).max()


def gen(path, seed, rate, bursts):
    sr, rng = 16000, np.random.default_rng(seed)
    parts = []
    for _ in range(bursts):
        parts.append(0.003 * rng.standard_normal(int(rng.uniform(0.6, 1.5) * sr)))
        parts.append(0.5 * burst(rng.uniform(0.8, 2.0), sr, rng))
    parts.append(0.003 * rng.standard_normal(sr))
    pcm = np.clip(np.round(np.concatenate(parts) * 32767), -32768, 32767).astype("<i2")
    pcm = np.repeat(pcm, rate // sr)  # a multiple of 16 kHz: the package takes every k-th
    with wave.open(path, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate), w.writeframes(pcm.tobytes())


def import_sequence_vad(wheel, tmp):
    for name in ("torch", "packaging"):
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)  # any attribute: a decorator factory
            stub.__getattr__ = lambda attr: (lambda *args, **kwargs: (lambda f: f))
            sys.modules[name] = stub
    zipfile.ZipFile(wheel).extractall(tmp)
    sys.path.insert(0, tmp)
    import silero_vad.sequence_vad as sv
    return sv


def compare(wheel, model, wav, probs_path, segments_path):
    import tempfile
    sv = import_sequence_vad(wheel, tempfile.mkdtemp())
    with wave.open(wav) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    vad = sv.SileroVADSequence(model)
    want_probs = vad.audio_forward(x[::rate // 16000])
    got_probs = np.fromfile(probs_path, "<f4")
    np.testing.assert_allclose(got_probs, want_probs, rtol=1e-4, atol=1e-5)
    want = [(s["start"], s["end"]) for s in
            sv.get_speech_timestamps_sequence(x, vad, sampling_rate=rate)]
    got = [tuple(int(v) for v in line.split()[3:5]) for line in open(segments_path)]
    assert got == want, f"segments differ:\n glc {got}\n package {want}"
    assert len(want) >= 2, f"too few segments to be a test: {want}"
    print(f"vad: {wav}: {len(got_probs)} frame probabilities within 1e-4 of the package's "
          f"(max diff {np.abs(got_probs - want_probs).max():.2e}); the same {len(got)} segments")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], *(int(a) for a in sys.argv[3:6]))
    else:
        compare(*sys.argv[2:7])
