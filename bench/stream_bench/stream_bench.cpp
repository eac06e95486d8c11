// stream_bench: what the Deepgram streams cost on one Runtime slot, with voxline-sim in a child
// process (its CPU is not ours).
//   stt  N SttStreams; one host thread pushes mulaw 8 kHz frames of F ms to each in real time.
//        Slot-thread CPU per stream-minute of audio uploaded (the issue-12 target: under 10 ms
//        at 1000 streams), the host thread's push_audio CPU, and the audio bytes per second per
//        connection that reached the socket.
//   tts  N TtsStreams speaking continuously (speak + flush again on every on_flushed) with the
//        simulator pacing audio in real time (mulaw 8 kHz, 20 ms frames).
//        Slot-thread CPU per stream-minute of audio downloaded, audio bytes per second per
//        connection, and barge-in: every stream is cleared about every 2 s from a host thread
//        (a task posted to the slot); "clear" is post -> clear() returned (after which no audio of
//        the cleared segments may arrive), p50/p99/max, and the count of audio chunks of a cleared
//        segment delivered after clear() returned (must be 0).
//   fast one TtsStream against a simulator that renders as fast as it can: the throughput one
//        connection carries (MB/s) and the slot CPU per MB (baseline for the paced rows).
// CPU is CLOCK_THREAD_CPUTIME_ID of the slot thread (and of the pushing thread).
//   usage: stream_bench [--streams 1,100,1000] [--frame-ms 20,100] [--seconds S] [--quick]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net_bench/bench_support.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/speech/stt_stream.hpp"
#include "voxline/speech/tts_stream.hpp"

using namespace voxline;
using namespace voxline::speech;
using Steady = std::chrono::steady_clock;

namespace {

const char *kUsage =
    "usage: stream_bench [--streams 1,100,1000] [--frame-ms 20,100] [--seconds S] [--quick]\n"
    "  --streams   concurrent streams on one slot, comma-separated (default 1,100,1000)\n"
    "  --frame-ms  STT frame sizes in ms, comma-separated (default 20,100)\n"
    "  --seconds   measured window per row (default 10)\n"
    "  --quick     --streams 1,20 --frame-ms 20 --seconds 2 (a smoke run)\n";

const char *kSentence = "Your appointment for the brake inspection is on Friday at half past ten.";

double now_ms() {
  return std::chrono::duration<double, std::milli>(Steady::now().time_since_epoch()).count();
}

// The slot thread's CPU clock, read from any thread afterwards.
clockid_t slot_clock(Slot &slot) {
  std::promise<clockid_t> p;
  auto f = p.get_future();
  if (!slot.post([&p] { p.set_value(bench::thread_cpu_clock()); }).ok()) return CLOCK_MONOTONIC;
  return f.get();
}

std::string write_scenario(const std::string &name, const std::string &json) {
  const std::string path = "/tmp/stream_bench_" + std::to_string(::getpid()) + "_" + name + ".json";
  std::ofstream(path) << json;
  return path;
}

// ---- STT ----------------------------------------------------------------------------------------

struct SttCounters {
  std::atomic<uint64_t> results{0}, errors{0}, closed{0};
};

class SttCount final : public SttStreamHandler {
 public:
  explicit SttCount(std::shared_ptr<SttCounters> c) : c_(std::move(c)) {}
  void on_transcript(const SttTranscript &) override { c_->results.fetch_add(1, std::memory_order_relaxed); }
  void on_error(const SttStreamError &) override { c_->errors.fetch_add(1, std::memory_order_relaxed); }
  void on_closed(const SttClosedInfo &) override { c_->closed.fetch_add(1); }

 private:
  std::shared_ptr<SttCounters> c_;
};

struct SttRow {
  int streams = 0, frame_ms = 0;
  double slot_ms_per_min = 0, host_ms_per_min = 0, core = 0, bytes_per_s = 0;
  uint64_t errors = 0, results = 0;
};

SttRow stt_row(const std::shared_ptr<Slot> &slot, MetricsRegistry &metrics, int port, int streams,
               int frame_ms, double seconds) {
  SttStreamOptions o;
  o.stt.base_url = "ws://127.0.0.1:" + std::to_string(port);
  o.auth = {DeepgramAuth::Scheme::kToken, "test-key"};
  auto counters = std::make_shared<SttCounters>();
  std::vector<std::unique_ptr<SttStream>> list;
  for (int i = 0; i < streams; ++i) {
    auto s = SttStream::open(slot, o, std::make_shared<SttCount>(counters), &metrics);
    if (!s.ok()) {
      std::fprintf(stderr, "stream_bench: stt open: %s\n", s.status().to_string().c_str());
      std::exit(1);
    }
    list.push_back(std::move(*s));
  }
  const clockid_t slot_cpu = slot_clock(*slot);
  std::vector<uint8_t> frame(static_cast<size_t>(8 * frame_ms), 0xFF);  // mulaw 8 kHz
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(0x80 + (i * 7) % 0x60);
  SttRow r;
  r.streams = streams;
  r.frame_ms = frame_ms;
  const double warm_s = 2.0;
  double host_cpu = 0, slot0 = 0, host0 = 0;
  uint64_t bytes0 = 0, bytes1 = 0;
  const clockid_t host_clock = bench::thread_cpu_clock();
  auto bytes_sent = [&] {
    uint64_t b = 0;
    for (auto &s : list) b += s->stats().audio_bytes_sent;
    return b;
  };
  // Real-time pacing: frame k of every stream is pushed at start + k * frame_ms.
  const auto start = Steady::now();
  const int frames = static_cast<int>((warm_s + seconds) * 1000 / frame_ms);
  bool measuring = false;
  for (int k = 0; k < frames; ++k) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(static_cast<int64_t>(k) * frame_ms));
    if (!measuring && k * frame_ms >= warm_s * 1000) {
      measuring = true;
      slot0 = bench::cpu_seconds(slot_cpu);
      host0 = bench::cpu_seconds(host_clock);
      bytes0 = bytes_sent();
    }
    for (auto &s : list) (void)s->push_audio(frame.data(), frame.size());
  }
  std::this_thread::sleep_until(start + std::chrono::milliseconds(static_cast<int64_t>(frames) * frame_ms));
  const double slot_cpu_s = bench::cpu_seconds(slot_cpu) - slot0;
  host_cpu = bench::cpu_seconds(host_clock) - host0;
  bytes1 = bytes_sent();
  const double stream_minutes = streams * seconds / 60.0;
  r.slot_ms_per_min = slot_cpu_s * 1000 / stream_minutes;
  r.host_ms_per_min = host_cpu * 1000 / stream_minutes;
  r.core = slot_cpu_s / seconds * 100;
  r.bytes_per_s = static_cast<double>(bytes1 - bytes0) / seconds / streams;
  r.errors = counters->errors.load();
  r.results = counters->results.load();
  for (auto &s : list) (void)s->close();
  const auto until = Steady::now() + std::chrono::seconds(15);
  while (counters->closed.load() < static_cast<uint64_t>(streams) && Steady::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  list.clear();
  return r;
}

// ---- TTS ----------------------------------------------------------------------------------------

struct TtsShared {
  std::atomic<uint64_t> audio_bytes{0}, late_chunks{0}, errors{0}, closed{0}, clears{0};
  std::mutex mu;
  std::vector<double> clear_ms;  // post -> clear() returned
};

// Speaks continuously; remembers up to which segment it cleared (ids grow) to catch audio of a
// cleared segment arriving later.
class TtsLoop final : public TtsStreamHandler {
 public:
  explicit TtsLoop(std::shared_ptr<TtsShared> s) : s_(std::move(s)) {}
  void say(TtsStream &t) {
    auto id = t.speak(kSentence);
    if (!id.ok()) return;
    last_segment_ = *id;
    (void)t.flush();
  }
  void on_audio(TtsStream &, TtsAudio &chunk) override {
    if (cleared_any_ && chunk.segment() <= cleared_upto_)
      s_->late_chunks.fetch_add(1, std::memory_order_relaxed);
    s_->audio_bytes.fetch_add(chunk.size(), std::memory_order_relaxed);
  }
  void on_flushed(TtsStream &t, const TtsSegmentFlushed &) override { say(t); }
  void on_cleared(TtsStream &t, const TtsSegmentsCleared &) override { say(t); }
  void on_error(TtsStream &, const TtsStreamError &) override { s_->errors.fetch_add(1); }
  void on_closed(TtsStream &, const TtsStreamClosed &) override { s_->closed.fetch_add(1); }
  // Slot thread, from a task posted at `posted_ms`.
  void barge_in(TtsStream &t, double posted_ms) {
    if (!t.clear().ok()) return;
    const double done = now_ms();
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      s_->clear_ms.push_back(done - posted_ms);
    }
    s_->clears.fetch_add(1);
    // Every segment started so far is complete or cleared now: any later chunk of one is late.
    cleared_any_ = true;
    cleared_upto_ = last_segment_;
  }

 private:
  std::shared_ptr<TtsShared> s_;
  uint64_t last_segment_ = 0, cleared_upto_ = 0;  // slot thread only
  bool cleared_any_ = false;
};

struct TtsRow {
  int streams = 0;
  double slot_ms_per_min = 0, bytes_per_s = 0, core = 0;
  bench::Latency clear;
  uint64_t late = 0, errors = 0, clears = 0;
};

TtsRow tts_row(const std::shared_ptr<Slot> &slot, MetricsRegistry &metrics, int port, int streams,
               double seconds, bool barge_in) {
  TtsStreamOptions o;
  o.tts.base_url = "ws://127.0.0.1:" + std::to_string(port);
  o.auth = {DeepgramAuth::Scheme::kToken, "test-key"};
  o.rest_fallback = false;
  o.metrics = &metrics;
  // Deepgram's per-minute character and flush budgets are off: the simulator here has none, and
  // the rows measure the stream's own cost, not the service's quota.
  o.limits.chars_per_minute = 0;
  o.limits.flushes_per_minute = 0;
  o.limits.max_text_wait = std::chrono::seconds(0);
  auto shared = std::make_shared<TtsShared>();
  std::vector<std::shared_ptr<TtsStream>> list;
  std::vector<std::shared_ptr<TtsLoop>> loops;
  for (int i = 0; i < streams; ++i) {
    auto loop = std::make_shared<TtsLoop>(shared);
    auto t = TtsStream::create(slot, o, loop);
    if (!t.ok()) {
      std::fprintf(stderr, "stream_bench: tts create: %s\n", t.status().to_string().c_str());
      std::exit(1);
    }
    std::shared_ptr<TtsStream> ts = *t;
    (void)slot->post([loop, ts] { loop->say(*ts); });
    list.push_back(ts);
    loops.push_back(loop);
  }
  const clockid_t slot_cpu = slot_clock(*slot);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // connected and speaking
  const double cpu0 = bench::cpu_seconds(slot_cpu);
  const uint64_t bytes0 = shared->audio_bytes.load();
  {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->clear_ms.clear();
  }
  const auto start = Steady::now();
  // Barge-in: streams cleared in turn, each about every 2 s.
  const double gap_ms = 2000.0 / std::max(1, streams);
  size_t next = 0;
  while (Steady::now() - start < std::chrono::duration<double>(seconds)) {
    if (barge_in) {
      auto loop = loops[next % loops.size()];
      auto ts = list[next % list.size()];
      const double posted = now_ms();
      (void)slot->post([loop, ts, posted] { loop->barge_in(*ts, posted); });
      ++next;
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(gap_ms));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const double wall = std::chrono::duration<double>(Steady::now() - start).count();
  const double cpu = bench::cpu_seconds(slot_cpu) - cpu0;
  const uint64_t bytes = shared->audio_bytes.load() - bytes0;
  TtsRow r;
  r.streams = streams;
  const double audio_minutes = static_cast<double>(bytes) / 8000.0 / 60.0;  // mulaw 8 kHz
  r.slot_ms_per_min = audio_minutes > 0 ? cpu * 1000 / audio_minutes : 0;
  r.bytes_per_s = static_cast<double>(bytes) / wall / streams;
  r.core = cpu / wall * 100;
  {
    std::lock_guard<std::mutex> lock(shared->mu);
    r.clear = bench::latency_of(shared->clear_ms);
  }
  r.late = shared->late_chunks.load();
  r.errors = shared->errors.load();
  r.clears = shared->clears.load();
  for (auto &t : list) {
    std::shared_ptr<TtsStream> ts = t;
    (void)slot->post([ts] {
      (void)ts->clear();
      (void)ts->close();
    });
  }
  const auto until = Steady::now() + std::chrono::seconds(15);
  while (shared->closed.load() < static_cast<uint64_t>(streams) && Steady::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return r;
}

std::unique_ptr<bench::ServerChild> sim_child(const std::string &name, const std::string &scenario) {
  const std::string file = write_scenario(name, scenario);
  auto child = bench::ServerChild::start("voxline-sim",
                                         {VOXLINE_SIM_EXE, "--api-key", "test-key", "--scenario", file});
  std::remove(file.c_str());  // read by the time the child listens (or it failed)
  if (!child.ok()) {
    std::fprintf(stderr, "stream_bench: %s\n", child.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(*child);
}

}  // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // rows appear as they are measured
  std::vector<int> streams = {1, 100, 1000}, frames = {20, 100};
  double seconds = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help") {
      std::printf("%s", kUsage);
      return 0;
    } else if (a == "--quick") {
      streams = {1, 20};
      frames = {20};
      seconds = 2;
    } else if (a == "--streams" && i + 1 < argc && bench::parse_int_list(argv[i + 1], streams, 1, 2000)) {
      ++i;
    } else if (a == "--frame-ms" && i + 1 < argc && bench::parse_int_list(argv[i + 1], frames, 10, 500)) {
      ++i;
    } else if (a == "--seconds" && i + 1 < argc && std::atof(argv[i + 1]) > 0) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "stream_bench: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  bench::raise_open_file_limit();
  // No idle closes, no flush limit; TTS paced in real time (mulaw 8 kHz, 20 ms frames).
  auto paced = sim_child("paced", R"({"stt":{"idle_timeout_ms":0},
      "tts":{"realtime_factor":1,"chunk_ms":20,"flush_limit_per_minute":0,"ms_per_char":60}})");
  auto fast = sim_child("fast", R"({"tts":{"realtime_factor":0,"chunk_ms":20,"flush_limit_per_minute":0}})");
  MetricsRegistry metrics;
  RuntimeOptions ro;
  ro.metrics = &metrics;
  ro.slots = 1;
  auto rt = Runtime::create(ro);
  if (!rt.ok()) {
    std::fprintf(stderr, "stream_bench: runtime: %s\n", rt.status().to_string().c_str());
    return 1;
  }
  auto slot = (*rt)->slot(0);
  std::printf("stream_bench: one slot, voxline-sim in a child process, %.0f s per row\n", seconds);
  std::printf("\nSTT upload (mulaw 8 kHz, real time)\n%8s %6s %16s %16s %7s %10s %8s %7s\n", "streams",
              "frame", "slot ms/str-min", "host ms/str-min", "core", "B/s/conn", "results", "errors");
  uint64_t failures = 0;
  for (int f : frames)
    for (int n : streams) {
      const SttRow r = stt_row(slot, metrics, paced->port(), n, f, seconds);
      std::printf("%8d %4dms %16.2f %16.2f %6.1f%% %10.0f %8llu %7llu\n", r.streams, r.frame_ms,
                  r.slot_ms_per_min, r.host_ms_per_min, r.core, r.bytes_per_s,
                  static_cast<unsigned long long>(r.results), static_cast<unsigned long long>(r.errors));
      failures += r.errors;
    }
  std::printf(
      "\nTTS download (mulaw 8 kHz, paced in real time; every stream cleared about every 2 s)\n"
      "%8s %16s %10s %7s %8s %24s %6s %7s\n",
      "streams", "slot ms/str-min", "B/s/conn", "core", "clears", "clear p50/p99/max ms", "late", "errors");
  for (int n : streams) {
    const TtsRow r = tts_row(slot, metrics, paced->port(), n, seconds, true);
    std::printf("%8d %16.2f %10.0f %6.1f%% %8llu %9.3f/%6.3f/%6.3f %6llu %7llu\n", r.streams,
                r.slot_ms_per_min, r.bytes_per_s, r.core, static_cast<unsigned long long>(r.clears),
                r.clear.p50, r.clear.p99, r.clear.max, static_cast<unsigned long long>(r.late),
                static_cast<unsigned long long>(r.errors));
    failures += r.late + r.errors;
  }
  const TtsRow f = tts_row(slot, metrics, fast->port(), 1, std::min(seconds, 3.0), false);
  std::printf(
      "\nTTS throughput of one connection (simulator as fast as it renders): %.3f MB/s, slot %.2f ms "
      "per MB, %llu errors\n",
      f.bytes_per_s / 1e6, f.bytes_per_s > 0 ? f.core * 10 / (f.bytes_per_s / 1e6) : 0,
      static_cast<unsigned long long>(f.errors));
  failures += f.errors;
  rt->reset();
  return failures > 0 ? 1 : 0;
}
