// File: audio.hpp
// Synthetic, deterministic audio for the simulated TTS (tone / noise / silence in linear16,
// mu-law or A-law) and the byte-rate math the simulated STT uses to turn received bytes into
// milliseconds of audio. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace voxline::sim::detail {

// 2 for linear16, 1 for mulaw/alaw, 0 for anything else.
int bytes_per_sample(std::string_view encoding);

uint8_t linear_to_mulaw(int16_t sample);
uint8_t linear_to_alaw(int16_t sample);

// `samples` samples of mono audio in `encoding`, continuing from sample index `*cursor`
// (advanced), so consecutive calls produce one continuous signal.
std::string synth_audio(std::string_view encoding, int sample_rate, int64_t samples,
                        std::string_view waveform, double tone_hz, uint64_t *cursor);

}  // namespace voxline::sim::detail
