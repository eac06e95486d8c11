// audio_bench: what audio conversion costs per sample, on 20 ms frames as a call delivers them.
//   codecs     G.711 mu-law and A-law, each direction (audio/g711.hpp)
//   resample   Resampler (libspeexdsp) for every pair of 8, 16, 24 and 48 kHz
//   chains     AudioConverter on the two telephony paths: Twilio mulaw 8 kHz -> linear16 16 kHz
//              (caller to STT) and linear16 24 kHz -> mulaw 8 kHz (TTS to caller)
// Baseline: memcpy of the same 20 ms frames of PCM16, in the same run. Figures are the calling
// thread's CPU time (CLOCK_THREAD_CPUTIME_ID) per input sample, the median of --runs runs of
// --seconds each; "streams/core" is how many real-time streams of that input one core sustains.
//   usage: audio_bench [--seconds S] [--runs N] [--quality Q] [--quick]
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "voxline/audio/audio_converter.hpp"
#include "voxline/audio/g711.hpp"
#include "voxline/audio/resampler.hpp"

using namespace voxline;
using namespace voxline::audio;

namespace {

const char *kUsage =
    "usage: audio_bench [--seconds S] [--runs N] [--quality Q] [--quick]\n"
    "  --seconds  measured time per run of each row (default 0.3)\n"
    "  --runs     runs per row; the median is printed (default 5)\n"
    "  --quality  resampler quality 0..10 (default 4, libspeexdsp's default)\n"
    "  --quick    --seconds 0.05 --runs 3 (a smoke run)\n";

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Keeps the compiler from dropping work whose result is never read.
inline void clobber(const void *p) {
  asm volatile("" : : "g"(p) : "memory");
}

// One second of speech-band test signal at `rate`: three tones and a little noise.
std::vector<int16_t> signal(int rate) {
  std::vector<int16_t> s(static_cast<size_t>(rate));
  const double pi = std::acos(-1.0);
  uint32_t noise = 12345;
  for (size_t i = 0; i < s.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    noise = noise * 1664525u + 1013904223u;
    const double v = 6000 * std::sin(2 * pi * 220 * t) + 4000 * std::sin(2 * pi * 1230 * t) +
                     2000 * std::sin(2 * pi * 3100 * t) + static_cast<double>(noise >> 20) - 2048;
    s[i] = static_cast<int16_t>(std::lround(v));
  }
  return s;
}

struct Options {
  double seconds = 0.3;
  int runs = 5;
  int quality = kDefaultResampleQuality;
};

// Median over runs of CPU ns per input sample; `frame` converts one 20 ms frame (index k) and
// returns its input samples.
double measure(const Options &o, const std::function<size_t(size_t)> &frame) {
  for (size_t k = 0; k < 50; ++k) frame(k);  // warm up: 1 s of frames
  std::vector<double> per_sample;
  for (int run = 0; run < o.runs; ++run) {
    size_t samples = 0;
    size_t k = 0;
    const double start = thread_cpu_ns();
    double now = start;
    while (now - start < o.seconds * 1e9) {
      for (int i = 0; i < 50; ++i) samples += frame(k++);  // check the clock once per second of audio
      now = thread_cpu_ns();
    }
    per_sample.push_back((now - start) / static_cast<double>(samples));
  }
  std::sort(per_sample.begin(), per_sample.end());
  return per_sample[per_sample.size() / 2];
}

void row(const char *what, int in_rate, double ns, double baseline) {
  std::printf("| %s | %.2f | %.1fx | %.0f |\n", what, ns, ns / baseline, 1e9 / (ns * in_rate));
}

bool parse_int(const char *s, int lo, int hi, int &out) {
  char *end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help") {
      std::printf("%s", kUsage);
      return 0;
    } else if (a == "--quick") {
      o.seconds = 0.05;
      o.runs = 3;
    } else if (a == "--seconds" && i + 1 < argc && std::atof(argv[i + 1]) > 0) {
      o.seconds = std::atof(argv[++i]);
    } else if (a == "--runs" && i + 1 < argc && parse_int(argv[i + 1], 1, 101, o.runs)) {
      ++i;
    } else if (a == "--quality" && i + 1 < argc && parse_int(argv[i + 1], 0, 10, o.quality)) {
      ++i;
    } else {
      std::fprintf(stderr, "audio_bench: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  const int rates[] = {8000, 16000, 24000, 48000};
  std::vector<std::vector<int16_t>> pcm;
  for (int r : rates) pcm.push_back(signal(r));
  const auto frames_in = [](int rate) { return static_cast<size_t>(rate / 50); };  // 20 ms
  std::vector<int16_t> out(8192);
  std::vector<uint8_t> bytes(8192);
  std::vector<uint8_t> ulaw(8000);
  std::vector<uint8_t> alaw(8000);
  for (size_t i = 0; i < ulaw.size(); ++i) {
    ulaw[i] = mulaw_encode(pcm[0][i]);
    alaw[i] = alaw_encode(pcm[0][i]);
  }

  std::printf(
      "audio_bench: 20 ms frames, CPU ns per input sample (median of %d x %.2f s), resampler quality %d\n\n",
      o.runs, o.seconds, o.quality);
  std::printf("| conversion | ns/sample | vs memcpy | streams/core |\n|---|---|---|---|\n");
  // The baseline: copying each 20 ms frame of PCM16 (8 kHz: 320 bytes).
  const double base = measure(o, [&](size_t k) {
    const size_t n = frames_in(8000);
    std::memcpy(out.data(), pcm[0].data() + (k % 50) * n, n * 2);
    clobber(out.data());
    return n;
  });
  row("memcpy PCM16 8 kHz (baseline)", 8000, base, base);
  const double base48 = measure(o, [&](size_t k) {
    const size_t n = frames_in(48000);
    std::memcpy(out.data(), pcm[3].data() + (k % 50) * n, n * 2);
    clobber(out.data());
    return n;
  });
  row("memcpy PCM16 48 kHz", 48000, base48, base);

  const size_t tel = frames_in(8000);
  row("mu-law -> PCM16", 8000,
      measure(o,
              [&](size_t k) {
                (void)mulaw_to_linear16(ulaw.data() + (k % 50) * tel, tel, out.data(), out.size());
                clobber(out.data());
                return tel;
              }),
      base);
  row("PCM16 -> mu-law", 8000,
      measure(o,
              [&](size_t k) {
                (void)linear16_to_mulaw(pcm[0].data() + (k % 50) * tel, tel, bytes.data(), bytes.size());
                clobber(bytes.data());
                return tel;
              }),
      base);
  row("A-law -> PCM16", 8000,
      measure(o,
              [&](size_t k) {
                (void)alaw_to_linear16(alaw.data() + (k % 50) * tel, tel, out.data(), out.size());
                clobber(out.data());
                return tel;
              }),
      base);
  row("PCM16 -> A-law", 8000,
      measure(o,
              [&](size_t k) {
                (void)linear16_to_alaw(pcm[0].data() + (k % 50) * tel, tel, bytes.data(), bytes.size());
                clobber(bytes.data());
                return tel;
              }),
      base);

  for (size_t a = 0; a < 4; ++a) {
    for (size_t b = 0; b < 4; ++b) {
      if (a == b) continue;
      auto r = Resampler::create(rates[a], rates[b], o.quality);
      if (!r.ok()) {
        std::fprintf(stderr, "audio_bench: %s\n", r.status().to_string().c_str());
        return 1;
      }
      const size_t n = frames_in(rates[a]);
      const double ns = measure(o, [&](size_t k) {
        size_t written = 0;
        (void)r->process(pcm[a].data() + (k % 50) * n, n, out.data(), out.size(), &written);
        clobber(out.data());
        return n;
      });
      const std::string what = "resample " + std::to_string(rates[a] / 1000) + " -> " +
                               std::to_string(rates[b] / 1000) + " kHz (latency " +
                               std::to_string(r->latency()) + " samples)";
      row(what.c_str(), rates[a], ns, base);
    }
  }

  struct Chain {
    const char *what;
    AudioFormat from;
    AudioFormat to;
  };
  const Chain chains[] = {
      {"Twilio mulaw 8 kHz -> linear16 16 kHz (caller to STT)",
       kTwilioMulaw,
       {SampleEncoding::kLinear16, 16000}},
      {"linear16 24 kHz -> mulaw 8 kHz (TTS to caller)", {SampleEncoding::kLinear16, 24000}, kTwilioMulaw},
  };
  for (const Chain &c : chains) {
    auto conv = AudioConverter::create(c.from, c.to, o.quality);
    if (!conv.ok()) {
      std::fprintf(stderr, "audio_bench: %s\n", conv.status().to_string().c_str());
      return 1;
    }
    const size_t n = frames_in(c.from.sample_rate);
    const size_t in_bytes = n * bytes_per_sample(c.from.encoding);
    // The input as it arrives on the wire: mu-law bytes, or little-endian PCM16 bytes.
    std::vector<uint8_t> wire(in_bytes * 50);
    if (c.from.encoding == SampleEncoding::kMulaw) {
      wire = ulaw;
    } else {
      std::memcpy(wire.data(), pcm[2].data(), wire.size());
    }
    const double ns = measure(o, [&](size_t k) {
      size_t written = 0;
      (void)conv->convert(wire.data() + (k % 50) * in_bytes, in_bytes, bytes.data(), bytes.size(), &written);
      clobber(bytes.data());
      return n;
    });
    row(c.what, c.from.sample_rate, ns, base);
  }
  return 0;
}
