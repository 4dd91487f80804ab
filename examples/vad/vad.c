/*
 * vad.c -- voice-activity detection with a published model compiled by glc: Silero VAD v6's
 * whole-sequence export (silero_vad_16k_sequence.onnx of the silero-vad wheel), compiled with
 * `glc --name=silero --max-dim sequence_length=512 --emit=static` and its header.
 *
 *   vad [--probs FILE] AUDIO.wav
 * reads a 16-bit PCM mono WAV at 16 kHz (or a multiple of it: every k-th sample is taken,
 * as the package does), runs the model on blocks of up to 512 frames of 512 samples (each
 * frame prefixed by the 64 samples before it; the LSTM state carried from block to block),
 * and prints one line per speech segment:
 *   speech START_S END_S START_SAMPLE END_SAMPLE
 * (samples at the file's rate). The segments come from the package's state machine
 * (get_speech_timestamps_from_probs) with its defaults: threshold 0.5, silence below 0.35
 * for 100 ms ends a segment, segments shorter than 250 ms are dropped, 30 ms of padding;
 * no maximum segment length. --probs writes the per-frame speech probabilities (float32).
 * One static workspace of the size the header gives at the bound; no allocation per block.
 */
#include "silero.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FRAME = 512, CONTEXT = 64, ROW = FRAME + CONTEXT, RATE = 16000 };
enum { MAX_FRAMES = SILERO_MAX_SEQUENCE_LENGTH, STATE = SILERO_H_NUMEL };

static _Alignas(64) unsigned char workspace[SILERO_WORKSPACE_SIZE];
static float block[MAX_FRAMES * ROW], probs_block[MAX_FRAMES];

typedef struct audio {
    float *x;  /* samples at 16 kHz, in [-1, 1) */
    long n;
    int step; /* the file's rate / 16000 */
} audio;

/* ---- WAV ------------------------------------------------------------------------------ */

static uint32_t le32(const unsigned char *p) {
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static unsigned le16(const unsigned char *p) { return p[0] | p[1] << 8; }

/* Checks a "fmt " chunk: PCM, mono, 16 bits, a multiple of 16 kHz. Sets the step. */
static int check_format(const unsigned char *f, uint32_t len, const char *path, int *step) {
    if (len < 16 || le16(f) != 1 || le16(f + 2) != 1 || le16(f + 14) != 16) {
        fprintf(stderr, "%s: not a 16-bit PCM mono WAV\n", path);
        return 1;
    }
    uint32_t rate = le32(f + 4);
    if (rate == 0 || rate % RATE) {
        fprintf(stderr, "%s: sample rate %u Hz; the model takes 16000 Hz or a multiple\n", path,
                rate);
        return 1;
    }
    *step = (int)(rate / RATE);
    return 0;
}

/* The "data" chunk's samples, every step-th one, scaled as the package does (/ 32768). */
static int take_samples(const unsigned char *d, uint32_t len, int step, audio *a) {
    long total = len / 2;
    a->n = (total + step - 1) / step;
    a->x = malloc((size_t)(a->n ? a->n : 1) * sizeof *a->x);
    if (!a->x) return 1;
    for (long i = 0; i < a->n; i++)
        a->x[i] = (float)(int16_t)le16(d + 2 * i * step) / 32768.0f;
    return 0;
}

static unsigned char *read_file(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)*size + 1);
    if (buf && fread(buf, 1, (size_t)*size, f) != (size_t)*size) free(buf), buf = NULL;
    if (f) fclose(f);
    return buf;
}

static int parse_wav(const unsigned char *b, long size, const char *path, audio *a) {
    if (size < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4)) {
        fprintf(stderr, "%s: not a RIFF/WAVE file\n", path);
        return 1;
    }
    int have_fmt = 0;
    for (long at = 12; at + 8 <= size;) {
        uint32_t len = le32(b + at + 4);
        const unsigned char *body = b + at + 8;
        if (len > (uint64_t)(size - at - 8)) break;
        if (!memcmp(b + at, "fmt ", 4)) {
            if (check_format(body, len, path, &a->step)) return 1;
            have_fmt = 1;
        } else if (!memcmp(b + at, "data", 4) && have_fmt) {
            return take_samples(body, len, a->step, a);
        }
        at += 8 + (long)len + (len & 1);
    }
    fprintf(stderr, "%s: no format and data chunks\n", path);
    return 1;
}

static int read_wav(const char *path, audio *a) {
    long size = 0;
    unsigned char *b = read_file(path, &size);
    if (!b) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    int rc = parse_wav(b, size, path, a);
    free(b);
    return rc;
}

/* ---- the model ------------------------------------------------------------------------ */

/* Fills block with frames first..first+n-1, each after the CONTEXT samples before it. */
static void fill_block(const audio *a, long first, long n) {
    memset(block, 0, (size_t)n * ROW * sizeof *block);
    for (long f = 0; f < n; f++) {
        long s0 = (first + f) * FRAME - CONTEXT;
        for (long k = 0; k < ROW; k++) {
            long s = s0 + k;
            if (s >= 0 && s < a->n) block[f * ROW + k] = a->x[s];
        }
    }
}

/* The speech probability of every frame (ceil(n / 512) of them). */
static int speech_probs(const audio *a, float *probs, long frames) {
    float h[2][STATE] = {{0}}, c[2][STATE] = {{0}};
    for (long first = 0, k = 0; first < frames; first += MAX_FRAMES, k ^= 1) {
        long n = frames - first < MAX_FRAMES ? frames - first : MAX_FRAMES;
        fill_block(a, first, n);
        const int64_t dims_in[2] = {n, ROW}, dims_h[3] = {1, 1, STATE};
        const int64_t *dims[3] = {dims_in, dims_h, dims_h};
        silero_inputs in = {.input = block, .h = h[k], .c = c[k]};
        silero_outputs out = {.speech_probs = probs_block, .hn = h[k ^ 1], .cn = c[k ^ 1]};
        int s = silero_run(&in, dims, &out, workspace, sizeof workspace);
        if (s != SILERO_OK) {
            fprintf(stderr, "the model failed with status %d\n", s);
            return 1;
        }
        memcpy(probs + first, probs_block, (size_t)n * sizeof *probs);
    }
    return 0;
}

/* ---- segments (silero-vad's get_speech_timestamps_from_probs, its defaults) ------------ */

typedef struct segment {
    long start, end;
} segment;

static const float THRESHOLD = 0.5f, NEG_THRESHOLD = 0.35f;
static const long MIN_SPEECH = RATE * 250 / 1000, MIN_SILENCE = RATE * 100 / 1000,
                  PAD = RATE * 30 / 1000;

/* Segments in samples before padding; returns how many. */
static long find_segments(const float *probs, long frames, long n_samples, segment *seg) {
    long n = 0, start = 0, temp_end = 0;
    int triggered = 0;
    for (long i = 0; i < frames; i++) {
        long cur = i * FRAME;
        if (probs[i] >= THRESHOLD && temp_end) temp_end = 0;
        if (probs[i] >= THRESHOLD && !triggered) {
            triggered = 1, start = cur;
            continue;
        }
        if (probs[i] < NEG_THRESHOLD && triggered) {
            if (!temp_end) temp_end = cur;
            if (cur - temp_end < MIN_SILENCE) continue;
            if (temp_end - start > MIN_SPEECH) seg[n++] = (segment){start, temp_end};
            triggered = 0, temp_end = 0;
        }
    }
    if (triggered && n_samples - start > MIN_SPEECH) seg[n++] = (segment){start, n_samples};
    return n;
}

/* Widens each segment by PAD, or by half the silence to its neighbour if that is shorter. */
static void pad_segments(segment *seg, long n, long n_samples) {
    for (long i = 0; i < n; i++) {
        if (i == 0) seg[i].start = seg[i].start > PAD ? seg[i].start - PAD : 0;
        if (i == n - 1) {
            seg[i].end = seg[i].end + PAD < n_samples ? seg[i].end + PAD : n_samples;
            continue;
        }
        long silence = seg[i + 1].start - seg[i].end;
        long widen = silence < 2 * PAD ? silence / 2 : PAD;
        seg[i].end = seg[i].end + widen < n_samples ? seg[i].end + widen : n_samples;
        seg[i + 1].start = seg[i + 1].start > widen ? seg[i + 1].start - widen : 0;
    }
}

static int write_probs(const char *path, const float *probs, long frames) {
    FILE *f = fopen(path, "wb");
    size_t n = f ? fwrite(probs, sizeof *probs, (size_t)frames, f) : 0;
    if (f && fclose(f) != 0) n = 0;
    if (n != (size_t)frames) fprintf(stderr, "%s: cannot write\n", path);
    return n == (size_t)frames ? 0 : 1;
}

static int report(const audio *a, const float *probs, long frames) {
    segment *seg = malloc((size_t)(frames / 2 + 1) * sizeof *seg);
    if (!seg) return 1;
    long n = find_segments(probs, frames, a->n, seg);
    pad_segments(seg, n, a->n);
    for (long i = 0; i < n; i++) {
        long s = seg[i].start * a->step, e = seg[i].end * a->step;
        printf("speech %.3f %.3f %ld %ld\n", (double)seg[i].start / RATE,
               (double)seg[i].end / RATE, s, e);
    }
    free(seg);
    return 0;
}

int main(int argc, char **argv) {
    const char *probs_path = argc == 4 && !strcmp(argv[1], "--probs") ? argv[2] : NULL;
    if (argc != 2 && !probs_path) {
        fprintf(stderr, "usage: vad [--probs FILE] AUDIO.wav\n");
        return 2;
    }
    audio a = {0};
    if (read_wav(argv[argc - 1], &a)) return 1;
    long frames = (a.n + FRAME - 1) / FRAME;
    float *probs = malloc((size_t)(frames ? frames : 1) * sizeof *probs);
    int rc = !probs || speech_probs(&a, probs, frames) ||
             (probs_path && write_probs(probs_path, probs, frames)) || report(&a, probs, frames);
    free(probs);
    free(a.x);
    return rc;
}
