// Paced call-like load through one voxline Runtime slot (see call_load.hpp).
#include "net_bench/call_load.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/net/sse_parser.hpp"

namespace voxline::bench {
namespace {

constexpr int kTtsFrameMs = 20;
constexpr double kSseEveryMs = 10000;
constexpr int kSseWords = 100;          // 50 tokens/s in the scenario: a 2 s stream
constexpr size_t kMaxConnecting = 256;  // handshakes in flight while the calls ramp up
// 150 characters at the scenario's 50 ms per character: 7.5 s of speech, longer than the gap
// between barge-ins, so audio flows without a pause.
constexpr const char *kSpeak =
    R"({"type":"Speak","text":"Your car is ready for pickup at the front desk, thanks for waiting with us. )"
    R"(The invoice is in your email and the keys are with the cashier today."})";
constexpr const char *kFlush = R"({"type":"Flush"})";
constexpr const char *kClear = R"({"type":"Clear"})";

struct Shared {
  LoadOptions opt;
  std::shared_ptr<Slot> slot;
  std::atomic<bool> measuring{false}, stopping{false};
  std::atomic<uint64_t> sent{0}, received{0}, sse_chunks{0}, sse_events{0};
  std::atomic<size_t> opened{0}, failed{0}, errors{0};
  // Slot thread only while the Runtime lives; read after it is gone.
  std::vector<double> written_ms, answered_ms;
  clockid_t loop_clock{};
  long loop_tid = 0;
  HttpRequest sse_request;
};

void count_error(Shared &s, const char *what, const Status &st) {
  if (s.stopping.load()) return;
  if (s.errors.fetch_add(1) < 3) std::fprintf(stderr, "%s: %s\n", what, st.to_string().c_str());
}

class SttHandler final : public WsHandler {
 public:
  explicit SttHandler(Shared &s) : s_(s) {}
  void on_open(WsConnection &, const WsOpenInfo &) override {
    open = true;
    s_.opened++;
  }
  void on_message(WsConnection &, WsMessage &) override {
    s_.received.fetch_add(1, std::memory_order_relaxed);
  }
  void on_close(WsConnection &, const WsCloseInfo &i) override { ended("stt closed", i.status); }
  void on_error(WsConnection &, const WsErrorInfo &e) override { ended("stt", e.status); }
  bool open = false;

 private:
  void ended(const char *what, const Status &st) {
    if (!open) s_.failed++;
    open = false;
    count_error(s_, what, st.ok() ? unavailable("closed by the server") : st);
  }
  Shared &s_;
};

class TtsHandler final : public WsHandler {
 public:
  explicit TtsHandler(Shared &s) : s_(s) {}
  void on_open(WsConnection &c, const WsOpenInfo &) override {
    open = true;
    s_.opened++;
    speak(c);
  }
  void on_message(WsConnection &c, WsMessage &m) override {
    s_.received.fetch_add(1, std::memory_order_relaxed);
    if (!clear_pending || !m.is_text() || m.data().find("\"Cleared\"") == std::string_view::npos) return;
    clear_pending = false;
    if (!s_.measuring.load(std::memory_order_relaxed)) return;
    const SteadyTime now = std::chrono::steady_clock::now();
    s_.answered_ms.push_back(elapsed_ms(clear_queued_at, now));
    s_.written_ms.push_back(elapsed_ms(clear_queued_at, c.stats().last_control_written));
  }
  void on_close(WsConnection &, const WsCloseInfo &i) override { ended("tts closed", i.status); }
  void on_error(WsConnection &, const WsErrorInfo &e) override { ended("tts", e.status); }

  // Barge-in: the next utterance on the data lane, then the Clear on the priority lane, in one
  // slot callback: the Clear is written first and the sim drops the audio still playing.
  void barge_in(WsConnection &c) {
    speak(c);
    clear_queued_at = std::chrono::steady_clock::now();
    clear_pending = true;
    if (!c.send_control_text(kClear).ok()) s_.errors++;
    s_.sent.fetch_add(1, std::memory_order_relaxed);
  }

  bool open = false;
  bool clear_pending = false;
  double next_clear_at = 0;

 private:
  void speak(WsConnection &c) {
    if (!c.send_text(kSpeak).ok() || !c.send_text(kFlush).ok()) s_.errors++;
    s_.sent.fetch_add(2, std::memory_order_relaxed);
  }
  void ended(const char *what, const Status &st) {
    if (!open) s_.failed++;
    open = false;
    count_error(s_, what, st.ok() ? unavailable("closed by the server") : st);
  }
  Shared &s_;
  SteadyTime clear_queued_at{};
};

// One SSE stream: every chunk goes through SseParser, as an LLM client would do.
class SseHandler final : public HttpStreamHandler {
 public:
  SseHandler(Shared &s, bool &active, bool restart) : s_(s), active_(active), restart_(restart) {}
  void on_data(HttpStream &, std::string_view chunk) override {
    s_.sse_chunks.fetch_add(1, std::memory_order_relaxed);
    events_.clear();
    if (!parser_.feed(chunk, events_).ok()) s_.errors++;
    s_.sse_events.fetch_add(events_.size(), std::memory_order_relaxed);
  }
  void on_complete(HttpStream &, const HttpCompletion &c) override {
    if (!c.status.ok()) count_error(s_, "sse", c.status);
    active_ = false;
    if (restart_ && !s_.stopping.load()) start(s_, active_, true);
  }
  // Slot thread (or before the load starts).
  static void start(Shared &s, bool &active, bool restart) {
    active = true;
    auto r = s.slot->start_http(s.sse_request, std::make_shared<SseHandler>(s, active, restart));
    if (!r.ok()) {
      active = false;
      count_error(s, "sse start", r.status());
    }
  }

 private:
  Shared &s_;
  bool &active_;
  bool restart_;
  SseParser parser_;
  std::vector<SseEvent> events_;
};

struct Call {
  std::shared_ptr<SttHandler> stt_handler;
  std::shared_ptr<TtsHandler> tts_handler;
  std::shared_ptr<WsConnection> stt, tts;
  bool sse_active = false;
  double next_sse_at = 0;
};

// A 1 ms tick on an absolute schedule (due += 1 ms, re-armed with ceil(due - now), missed ticks
// caught up, so there is no drift); tick k serves the calls of bucket k % frame_ms.
class Pacer {
 public:
  Pacer(Shared &s, std::vector<std::unique_ptr<Call>> &calls) : s_(s), calls_(calls) {
    frame_.assign(static_cast<size_t>(32 * s.opt.frame_ms), 'u');
  }
  void start() {
    next_due_ms_ = now_ms() + 1;
    arm();
  }

 private:
  void arm() {
    const double wait = next_due_ms_ - now_ms();
    const auto ms = std::chrono::milliseconds(wait > 0 ? static_cast<int64_t>(wait + 0.999) : 0);
    auto t = s_.slot->schedule(ms, [this] { fire(); });
    if (!t.ok()) count_error(s_, "pacer", t.status());
  }
  void fire() {
    if (s_.stopping.load()) return;
    const double now = now_ms();
    while (next_due_ms_ <= now) {
      tick(now);
      next_due_ms_ += 1;
      ++tick_;
    }
    arm();
  }
  void tick(double now) {
    const auto period = static_cast<size_t>(s_.opt.frame_ms);
    for (size_t i = tick_ % period; i < calls_.size(); i += period) {
      Call &call = *calls_[i];
      if (call.stt_handler->open) {
        WsBuffer b(frame_.size());  // an owned frame, as a real uplink would fill it
        std::memcpy(b.data(), frame_.data(), frame_.size());
        if (!call.stt->send(std::move(b)).ok()) s_.errors++;
        s_.sent.fetch_add(1, std::memory_order_relaxed);
      }
      TtsHandler &tts = *call.tts_handler;
      if (tts.open && !tts.clear_pending && now >= tts.next_clear_at) {
        tts.barge_in(*call.tts);
        tts.next_clear_at = now + s_.opt.clear_every_ms + static_cast<double>((i * 37) % 500);
      }
      if (s_.opt.sse && !call.sse_active && now >= call.next_sse_at) {
        call.next_sse_at += kSseEveryMs;
        SseHandler::start(s_, call.sse_active, false);
      }
    }
  }
  Shared &s_;
  std::vector<std::unique_ptr<Call>> &calls_;
  std::string frame_;
  double next_due_ms_ = 0;
  uint64_t tick_ = 0;
};

std::unique_ptr<Runtime> make_runtime(MetricsRegistry &metrics, size_t max_connections,
                                      const LoadOptions &o) {
  RuntimeOptions ro;
  ro.io_coalesce = std::chrono::microseconds(o.coalesce_us);
  ro.tls.ca_file = o.ca_file;
  ro.metrics = &metrics;
  ro.slots = 1;
  ro.max_connections = max_connections;
  auto rt = Runtime::create(ro);
  if (!rt.ok()) {
    std::fprintf(stderr, "runtime: %s\n", rt.status().to_string().c_str());
    return nullptr;
  }
  return std::move(rt).value();
}

void prepare(Shared &s, const ServerChild &sim) {
  const std::string base =
      s.opt.sse_base_url.empty() ? "http://127.0.0.1:" + std::to_string(sim.port()) : s.opt.sse_base_url;
  s.sse_request.url = base + "/v1/chat/completions";
  s.sse_request.headers = {{"Authorization", "Bearer test-key"}, {"Content-Type", "application/json"}};
  s.sse_request.body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
}

// The slot thread's CPU clock, read on that thread.
void find_loop_clock(Shared &s) {
  std::atomic<bool> have{false};
  (void)s.slot->post([&s, &have] {
    s.loop_clock = thread_cpu_clock();
    s.loop_tid = this_thread_tid();
    have.store(true, std::memory_order_release);
  });
  while (!have.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// "voxline", "voxline c250" (wake-ups coalesced over 250 us), "voxline ws only c250" (no SSE),
// "voxline SSE h2 c250" (SSE only, over TLS + HTTP/2).
std::string client_name(const char *base, const LoadOptions &o) {
  std::string name = base;
  const bool sse_row = name.find("SSE") != std::string::npos;
  if (!o.sse_base_url.empty() && o.sse) name += sse_row ? " h2" : " +h2";
  if (!o.sse && !sse_row) name += " ws only";
  if (o.coalesce_us > 0) name += " c" + std::to_string(o.coalesce_us);
  return name;
}

void sleep_s(double s) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(s * 1000)));
}

}  // namespace

std::string call_load_scenario() {
  std::string words;
  for (int i = 0; i < kSseWords; ++i) words += i ? " word" : "word";
  return R"({"tts":{"ms_per_char":50,"chunk_ms":20,"realtime_factor":1,"flush_limit_per_minute":0,)"
         R"("waveform":"silence"},"stt":{"idle_timeout_ms":0},)"
         R"("llm":{"tokens_per_second":50,"default_reply":{"content":")" +
         words + R"("}}})";
}

LoadRow run_voxline_calls(const LoadOptions &options, const ServerChild &sim, const LoadRow *without_sse) {
  LoadRow r;
  r.client = client_name("voxline", options);
  r.calls = options.calls;
  r.frame_ms = options.frame_ms;
  Shared s;
  s.opt = options;
  prepare(s, sim);
  std::vector<std::unique_ptr<Call>> calls;
  MetricsRegistry metrics;
  trim_heap();
  auto rt = make_runtime(metrics, static_cast<size_t>(options.calls) * 3 + 64, options);
  if (!rt) {
    r.errors = 1;
    r.note = "Runtime::create failed";
    return r;
  }
  s.slot = rt->slot(0);
  find_loop_clock(s);
  const size_t rss_before = rss_kb();
  WsConnectOptions stt_o, tts_o;
  const std::string base = "ws://127.0.0.1:" + std::to_string(sim.port());
  stt_o.url = base + "/v1/listen?encoding=linear16&sample_rate=16000";
  tts_o.url = base + "/v1/speak?encoding=linear16&sample_rate=16000";
  stt_o.headers = tts_o.headers = {{"Authorization", "Token test-key"}};
  const double start = now_ms();
  const double first_due = start + 1000;  // Clears and SSE streams start once the ramp is done
  for (int i = 0; i < options.calls; ++i) {
    auto call = std::make_unique<Call>();
    call->stt_handler = std::make_shared<SttHandler>(s);
    call->tts_handler = std::make_shared<TtsHandler>(s);
    call->tts_handler->next_clear_at = first_due + static_cast<double>((i * 97) % options.clear_every_ms);
    call->next_sse_at = first_due + kSseEveryMs * i / options.calls;
    auto stt = s.slot->connect_websocket(stt_o, call->stt_handler);
    auto tts = s.slot->connect_websocket(tts_o, call->tts_handler);
    if (!stt.ok() || !tts.ok()) {
      count_error(s, "connect", !stt.ok() ? stt.status() : tts.status());
      continue;
    }
    call->stt = *stt;
    call->tts = *tts;
    calls.push_back(std::move(call));
    while (2 * calls.size() > s.opened.load() + s.failed.load() + kMaxConnecting && now_ms() - start < 60000)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const size_t want = 2 * calls.size();
  while (s.opened.load() + s.failed.load() < want && now_ms() - start < 60000)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const double connect_s = (now_ms() - start) / 1000.0;
  // Every due time is in the future of the pacer's start (the ramp may have taken longer).
  const double shift = std::max(0.0, now_ms() + 200 - first_due);
  for (auto &c : calls) {
    c->tts_handler->next_clear_at += shift;
    c->next_sse_at += shift;
  }
  Pacer pacer(s, calls);
  (void)s.slot->post([&pacer] { pacer.start(); });
  // Past the first Clear of every call and into the SSE rhythm before measuring.
  sleep_s(0.2 + options.clear_every_ms / 1000.0 + 0.5 + options.warmup_s);
  const double cpu0 = cpu_seconds(s.loop_clock), sim0 = process_cpu_seconds(sim.pid()), t0 = now_ms();
  const uint64_t sent0 = s.sent.load(), recv0 = s.received.load(), chunks0 = s.sse_chunks.load();
  s.measuring = true;
  sleep_s(options.seconds);
  s.measuring = false;
  const double cpu1 = cpu_seconds(s.loop_clock), sim1 = process_cpu_seconds(sim.pid()), t1 = now_ms();
  const uint64_t msgs = s.sent.load() - sent0 + s.received.load() - recv0;
  const uint64_t chunks = s.sse_chunks.load() - chunks0;
  const size_t rss = rss_kb(), sim_rss = rss_kb(sim.pid());
  r.connections = static_cast<size_t>(s.opened.load());
  s.stopping = true;
  rt.reset();  // ends every connection and stream; joins the slot thread
  calls.clear();
  r.seconds = (t1 - t0) / 1000.0;
  r.loop_cpu = (cpu1 - cpu0) / r.seconds;
  r.msgs_per_s = static_cast<double>(msgs) / r.seconds;
  r.expected_msgs = options.calls * (1000.0 / options.frame_ms + 1000.0 / kTtsFrameMs);
  r.sse_chunks_per_s = static_cast<double>(chunks) / r.seconds;
  r.us_per_msg = msgs > 0 ? (cpu1 - cpu0) * 1e6 / static_cast<double>(msgs) : 0;
  const bool paired = without_sse != nullptr && chunks > 0;
  if (paired) {
    r.us_per_msg = without_sse->us_per_msg;
    r.sse_us_per_chunk = std::max(0.0, (r.loop_cpu - without_sse->loop_cpu) * 1e6 / r.sse_chunks_per_s);
  }
  r.clear_written = latency_of(s.written_ms);
  r.clear_answered = latency_of(s.answered_ms);
  r.server_cpu = (sim1 - sim0) / r.seconds;
  r.server_rss_mb = static_cast<double>(sim_rss) / 1024.0;
  r.rss_kb_per_conn = (static_cast<double>(rss) - static_cast<double>(rss_before)) /
                      std::max<double>(1, static_cast<double>(r.connections));
  r.errors = s.errors.load() + s.failed.load();
  char note[160];
  if (chunks == 0)
    std::snprintf(note, sizeof note, "ramp %.1fs, no SSE", connect_s);
  else
    std::snprintf(note, sizeof note, "ramp %.1fs, %.0f SSE chunks/s%s", connect_s, r.sse_chunks_per_s,
                  paired ? "; us/msg from the no-SSE run, SSE = added loop CPU per chunk" : "");
  r.note = note;
  return r;
}

LoadRow run_voxline_sse(const LoadOptions &options, const ServerChild &sim) {
  LoadRow r;
  r.client = client_name("voxline SSE", options);
  r.calls = options.calls;
  r.frame_ms = 0;
  Shared s;
  s.opt = options;
  prepare(s, sim);
  MetricsRegistry metrics;
  auto rt = make_runtime(metrics, static_cast<size_t>(options.calls) + 64, options);
  if (!rt) {
    r.errors = 1;
    return r;
  }
  s.slot = rt->slot(0);
  find_loop_clock(s);
  // Each call has a 2 s stream every 10 s: calls / 5 streams run at any time.
  const int streams = std::max(1, options.calls / 5);
  std::vector<std::unique_ptr<bool>> active;
  for (int i = 0; i < streams; ++i) active.push_back(std::make_unique<bool>(false));
  (void)s.slot->post([&] {
    for (auto &a : active) SseHandler::start(s, *a, true);
  });
  sleep_s(options.warmup_s);
  const double cpu0 = cpu_seconds(s.loop_clock), t0 = now_ms();
  const uint64_t chunks0 = s.sse_chunks.load(), events0 = s.sse_events.load();
  sleep_s(std::max(2.0, options.seconds / 2));
  const double cpu1 = cpu_seconds(s.loop_clock), t1 = now_ms();
  const uint64_t chunks = s.sse_chunks.load() - chunks0, events = s.sse_events.load() - events0;
  s.stopping = true;
  rt.reset();
  r.seconds = (t1 - t0) / 1000.0;
  r.loop_cpu = (cpu1 - cpu0) / r.seconds;
  r.sse_chunks_per_s = static_cast<double>(chunks) / r.seconds;
  r.msgs_per_s = static_cast<double>(events) / r.seconds;
  r.expected_msgs = streams * 50.0;
  r.sse_us_per_chunk = chunks > 0 ? (cpu1 - cpu0) * 1e6 / static_cast<double>(chunks) : 0;
  r.us_per_msg = events > 0 ? (cpu1 - cpu0) * 1e6 / static_cast<double>(events) : 0;
  r.connections = static_cast<size_t>(streams);
  r.errors = s.errors.load();
  char note[128];
  std::snprintf(note, sizeof note, "%d streams back to back; msg/s = SSE events", streams);
  r.note = note;
  return r;
}

}  // namespace voxline::bench
