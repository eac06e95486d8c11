#!/usr/bin/env bash
# Regenerates the audio test vectors in tests/unit/audio/vectors/ with SoX (Debian package sox,
# SoX v14.4.2). Every file is raw: mono, no header; *.s16 is signed 16-bit little-endian PCM,
# *.ul is G.711 mu-law and *.al is G.711 A-law, one byte per sample. The tests read them at run
# time (tests/unit/audio/vectors.hpp); SoX is not needed to run the tests, only to regenerate.
#   tools/gen_audio_vectors.sh [output dir]
# -D everywhere: no dither, so SoX's output is a pure function of its input (SoX would otherwise
# dither when it lowers the precision: 16-bit -> 14-bit mu-law, 13-bit A-law, or after `rate`).
# -R: SoX's default random seed, so the noise in the synthesised signals is the same on every run.
set -euo pipefail

out=${1:-"$(cd "$(dirname "$0")/.." && pwd)/tests/unit/audio/vectors"}
command -v sox >/dev/null || { echo "gen_audio_vectors: sox not found (apt-get install sox)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "gen_audio_vectors: python3 not found" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

raw16=(-t raw -e signed-integer -b 16 -L -c 1)
rawul=(-t raw -e u-law -b 8 -c 1)
rawal=(-t raw -e a-law -b 8 -c 1)

# --- G.711 -------------------------------------------------------------------------------------
# Every 16-bit sample in order (-32768 .. 32767) and every 8-bit code (0 .. 255): the inputs.
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<65536h", *range(-32768, 32768)))' >"$tmp/ramp.s16"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$tmp/codes.bin"
# Encoders over every sample (SoX warns that it clipped the 2 / 4 largest: its rounding to 14 / 13
# bits overflows there).
sox -D -V1 "${raw16[@]}" -r 8000 "$tmp/ramp.s16" "${rawul[@]}" "$out/g711_all_samples.ul"
sox -D -V1 "${raw16[@]}" -r 8000 "$tmp/ramp.s16" "${rawal[@]}" "$out/g711_all_samples.al"
# Decoders over every code.
sox -D "${rawul[@]}" -r 8000 "$tmp/codes.bin" "${raw16[@]}" "$out/g711_all_codes_ulaw.s16"
sox -D "${rawal[@]}" -r 8000 "$tmp/codes.bin" "${raw16[@]}" "$out/g711_all_codes_alaw.s16"
# A speech-like signal at 8 kHz, 1 s: a 200-3400 Hz sweep plus pink noise, amplitude-modulated at
# 4 Hz (syllables) so that it visits every segment, quiet ones included; then its codes and their
# decoding by SoX.
sox -D -R -n "${raw16[@]}" -r 8000 "$out/signal_8k.s16" \
  synth 1 sine 200-3400 synth 1 pinknoise mix synth 1 sine amod 4 gain -n -1
sox -D "${raw16[@]}" -r 8000 "$out/signal_8k.s16" "${rawul[@]}" "$out/signal_8k.ul"
sox -D "${raw16[@]}" -r 8000 "$out/signal_8k.s16" "${rawal[@]}" "$out/signal_8k.al"
sox -D "${rawul[@]}" -r 8000 "$out/signal_8k.ul" "${raw16[@]}" "$out/signal_8k_ulaw_decoded.s16"
sox -D "${rawal[@]}" -r 8000 "$out/signal_8k.al" "${raw16[@]}" "$out/signal_8k_alaw_decoded.s16"

# --- resampling --------------------------------------------------------------------------------
# One source per rate, 0.2 s: a 100-3000 Hz sweep plus a 700 Hz tone (content that every rate
# carries: 3000 Hz is 75% of 8 kHz's Nyquist), then 0.1 s of silence so that the filters drain;
# and SoX's very-high-quality resampler (`rate -v`, linear phase, its output aligned with its
# input) from each rate to every other.
rates=(8000 16000 24000 48000)
for r in "${rates[@]}"; do
  sox -D -R -n "${raw16[@]}" -r "$r" "$tmp/src_$r.s16" \
    synth 0.2 sine 100-3000 synth 0.2 sine mix 700 gain -n -3 pad 0 0.1
  cp "$tmp/src_$r.s16" "$out/resample_src_$r.s16"
done
for a in "${rates[@]}"; do
  for b in "${rates[@]}"; do
    [ "$a" = "$b" ] && continue
    sox -D "${raw16[@]}" -r "$a" "$tmp/src_$a.s16" "${raw16[@]}" -r "$b" "$out/resample_${a}_to_${b}.s16" rate -v "$b"
  done
done
echo "gen_audio_vectors: wrote $(ls "$out" | wc -l) files to $out"
