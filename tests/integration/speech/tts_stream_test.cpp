// TtsStream against voxline-sim: segment tags on the audio across several segments, Clear during
// playback (no audio of a cleared segment after clear()), stalls past the speak, flush and clear
// deadlines (a TIMEOUT error, then a new connection for the next segment), the REST fallback when
// the websocket is refused, the character and flush budgets, back-pressure (reading pauses while
// the host has not acknowledged its audio) and a clean close.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/speech/tts_stream.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::speech;
using namespace std::chrono_literals;

namespace {

// Records every event. `on_chunk` runs inside on_audio (slot thread) with the chunk's index.
class TtsRecorder final : public TtsStreamHandler {
 public:
  std::function<void(TtsStream &, const TtsAudio &, size_t)> on_chunk;
  bool auto_ack = true;

  void on_audio(TtsStream &s, TtsAudio &chunk) override {
    std::string bytes = chunk.take();
    size_t index;
    {
      std::lock_guard<std::recursive_mutex> lock(mu_);
      note_thread();
      if (forbidden_.count(chunk.segment()) != 0) ++after_clear_;
      chunks_.push_back({chunk.segment(), bytes.size(), chunk.rest()});
      bytes_[chunk.segment()] += bytes.size();
      index = chunks_.size();
      cv_.notify_all();
    }
    if (on_chunk) on_chunk(s, chunk, index);
    if (auto_ack) s.ack_audio(bytes.size());
  }
  void on_flushed(TtsStream &, const TtsSegmentFlushed &e) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    note_thread();
    flushed_.push_back(e);
    cv_.notify_all();
  }
  void on_cleared(TtsStream &, const TtsSegmentsCleared &e) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    note_thread();
    cleared_.push_back(e);
    cv_.notify_all();
  }
  void on_warning(TtsStream &, const TtsStreamWarning &w) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    warnings_.push_back(w.code);
  }
  void on_error(TtsStream &, const TtsStreamError &e) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    note_thread();
    errors_.push_back(e);
    cv_.notify_all();
  }
  void on_closed(TtsStream &, const TtsStreamClosed &e) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    note_thread();
    ++closed_count_;
    closed_status_ = e.status;
    cv_.notify_all();
  }

  // Audio of `segment` arriving from now on is counted as a violation. Call on the slot thread,
  // right after clear().
  void forbid(uint64_t segment) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    forbidden_.insert(segment);
  }

  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds d = 20s) {
    std::unique_lock<std::recursive_mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return pred(); });
  }
  bool wait_flushed(size_t n) {
    return wait([&] { return flushed_.size() >= n; });
  }
  bool wait_errors(size_t n) {
    return wait([&] { return errors_.size() >= n; });
  }
  bool wait_chunks(size_t n) {
    return wait([&] { return chunks_.size() >= n; });
  }
  bool wait_closed() {
    return wait([&] { return closed_count_ > 0; });
  }

  struct Chunk {
    uint64_t segment;
    size_t bytes;
    bool rest;
  };
  std::vector<Chunk> chunks() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return chunks_;
  }
  size_t bytes_of(uint64_t segment) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return bytes_[segment];
  }
  std::vector<TtsSegmentFlushed> flushed() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return flushed_;
  }
  std::vector<TtsSegmentsCleared> cleared() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return cleared_;
  }
  std::vector<TtsStreamError> errors() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return errors_;
  }
  std::vector<std::string> warnings() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return warnings_;
  }
  int closed_count() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return closed_count_;
  }
  Status closed_status() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return closed_status_;
  }
  int after_clear() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return after_clear_;
  }
  bool one_thread() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return threads_.size() <= 1;
  }

 private:
  void note_thread() { threads_.insert(std::this_thread::get_id()); }
  // Recursive: wait() predicates may use the accessors below.
  std::recursive_mutex mu_;
  std::condition_variable_any cv_;
  std::vector<Chunk> chunks_;
  std::map<uint64_t, size_t> bytes_;
  std::vector<TtsSegmentFlushed> flushed_;
  std::vector<TtsSegmentsCleared> cleared_;
  std::vector<std::string> warnings_;
  std::vector<TtsStreamError> errors_;
  std::set<uint64_t> forbidden_;
  std::set<std::thread::id> threads_;
  int after_clear_ = 0;
  int closed_count_ = 0;
  Status closed_status_;
};

// Runs `f` on the slot's thread and returns its result (the stream's operations must run there).
template <typename F>
auto on_slot(Slot &slot, F f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  auto shared = std::make_shared<decltype(task)>(std::move(task));
  REQUIRE(slot.post([shared] { (*shared)(); }).ok());
  REQUIRE(result.wait_for(20s) == std::future_status::ready);
  return result.get();
}

uint64_t counter(MetricsRegistry &m, const char *name, const MetricLabels &labels = {}) {
  return m.counter(name, "", labels).value();
}

// mulaw at 8 kHz is 8 bytes per ms; the sim speaks ms_per_char per character.
size_t expected_bytes(const std::string &text, double ms_per_char) {
  return static_cast<size_t>(static_cast<double>(text.size()) * ms_per_char * 8.0 + 0.5);
}

struct Fixture {
  explicit Fixture(const std::string &scenario) {
    sim::SimOptions so;
    so.scenario_json = scenario;
    auto s = sim::Simulator::start(so);
    REQUIRE_MESSAGE(s.ok(), s.status().to_string());
    simulator = std::move(*s);
    RuntimeOptions ro;
    ro.metrics = &metrics;
    auto r = Runtime::create(ro);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    runtime = std::move(*r);
    slot = runtime->pick_slot();
    options.tts.base_url = "ws://127.0.0.1:" + std::to_string(simulator->port());
    options.auth = {DeepgramAuth::Scheme::kToken, "test-key"};
    options.metrics = &metrics;
    // Generous: a stall test shortens only the deadline it provokes.
    options.deadlines.open = 10s;
    options.deadlines.speak = 10s;
    options.deadlines.flush = 10s;
    options.deadlines.clear = 10s;
    options.deadlines.close = 10s;
  }
  ~Fixture() {
    if (stream && slot) on_slot(*slot, [&] { return stream->close().ok(); });
    if (recorder) recorder->wait_closed();
    stream.reset();
    runtime.reset();
  }

  void start() {
    recorder = std::make_shared<TtsRecorder>();
    auto s = TtsStream::create(slot, options, recorder);
    REQUIRE_MESSAGE(s.ok(), s.status().to_string());
    stream = std::move(*s);
  }
  uint64_t say(const std::string &text) {
    return on_slot(*slot, [&] {
      Result<uint64_t> a = stream->speak(text);
      REQUIRE_MESSAGE(a.ok(), a.status().to_string());
      Result<uint64_t> f = stream->flush();
      REQUIRE_MESSAGE(f.ok(), f.status().to_string());
      CHECK(*a == *f);
      return *f;
    });
  }
  size_t recorded(const std::string &endpoint, const std::string &kind, const std::string &contains = "") {
    size_t n = 0;
    for (const auto &m : simulator->recorded(endpoint))
      if (m.direction == "in" && m.kind == kind && m.payload.find(contains) != std::string::npos) ++n;
    return n;
  }

  MetricsRegistry metrics;
  std::unique_ptr<sim::Simulator> simulator;
  std::unique_ptr<Runtime> runtime;
  std::shared_ptr<Slot> slot;
  TtsStreamOptions options;
  std::shared_ptr<TtsRecorder> recorder;
  std::shared_ptr<TtsStream> stream;
};

constexpr const char *kFast = R"({"tts":{"ms_per_char":10,"chunk_ms":20}})";

}  // namespace

TEST_CASE("audio of several segments arrives tagged with its segment, in order, each segment whole") {
  Fixture fx(kFast);
  fx.start();
  const std::vector<std::string> texts = {"Hello there. ", "How can I help you today? ", "Bye."};
  std::vector<uint64_t> ids;
  for (const auto &t : texts) ids.push_back(fx.say(t));
  CHECK(ids[0] < ids[1]);
  CHECK(ids[1] < ids[2]);
  REQUIRE(fx.recorder->wait_flushed(3));
  auto flushed = fx.recorder->flushed();
  for (size_t i = 0; i < 3; ++i) {
    CHECK(flushed[i].segment == ids[i]);
    CHECK_FALSE(flushed[i].rest);
    CHECK(flushed[i].audio_bytes == expected_bytes(texts[i], 10));
    CHECK(fx.recorder->bytes_of(ids[i]) == expected_bytes(texts[i], 10));
  }
  // Tags never go backwards: segment k's audio all comes before segment k+1's.
  uint64_t last = 0;
  for (const auto &c : fx.recorder->chunks()) {
    CHECK(c.segment >= last);
    last = c.segment;
  }
  CHECK(fx.recorder->errors().empty());
  CHECK(fx.recorder->warnings().empty());  // every Flushed carried the sequence_id expected
  CHECK(fx.recorder->one_thread());
  CHECK(fx.recorded("tts", "text", R"("type":"Flush")") == 3);
  CHECK(counter(fx.metrics, "voxline_tts_segments_total", {{"outcome", "flushed"}}) == 3);
  CHECK(counter(fx.metrics, "voxline_tts_audio_bytes_total", {{"transport", "ws"}}) ==
        expected_bytes(texts[0], 10) + expected_bytes(texts[1], 10) + expected_bytes(texts[2], 10));
  CHECK(fx.metrics.histogram("voxline_tts_time_to_first_audio_ms", "").snapshot().count == 3);
}

TEST_CASE(
    "clear() during playback: no audio of the cleared segment after it, Cleared confirms, the next "
    "segment plays") {
  // Real-time pacing: 6 s of audio, so the clear lands mid-playback.
  Fixture fx(R"({"tts":{"ms_per_char":60,"chunk_ms":20,"realtime_factor":1}})");
  std::promise<uint64_t> cleared_at;
  fx.start();
  auto rec = fx.recorder;
  rec->on_chunk = [rec, &cleared_at](TtsStream &s, const TtsAudio &chunk, size_t index) {
    if (index != 3) return;
    REQUIRE(s.clear().ok());
    rec->forbid(chunk.segment());
    cleared_at.set_value(chunk.segment());
  };
  const std::string text(100, 'a');
  const uint64_t first = fx.say(text);
  auto f = cleared_at.get_future();
  REQUIRE(f.wait_for(20s) == std::future_status::ready);
  CHECK(f.get() == first);
  REQUIRE(rec->wait([&] { return !rec->cleared().empty(); }));
  auto cleared = rec->cleared();
  CHECK(cleared[0].by_server);
  REQUIRE(cleared[0].segments.size() == 1);
  CHECK(cleared[0].segments[0] == first);
  CHECK(rec->bytes_of(first) < expected_bytes(text, 60));

  rec->on_chunk = nullptr;
  const uint64_t second = fx.say("After.");
  REQUIRE(rec->wait_flushed(1));
  CHECK(rec->flushed()[0].segment == second);
  CHECK(rec->bytes_of(second) == expected_bytes("After.", 60));
  CHECK(rec->after_clear() == 0);
  CHECK(rec->errors().empty());
  CHECK(fx.recorded("tts", "text", R"("type":"Clear")") == 1);
  CHECK(counter(fx.metrics, "voxline_tts_clears_total") == 1);
}

TEST_CASE(
    "a stall past the speak deadline (no first audio) is a TIMEOUT error; the next segment reconnects") {
  // The first connection stalls right after Metadata: the flushed segment never starts.
  Fixture fx(std::string(R"({"tts":{"ms_per_char":10},"faults":[{"endpoint":"tts","type":"stall",)") +
             R"("after_messages":1,"stall_ms":30000,"first_n":1}]})");
  fx.options.deadlines.speak = 1s;
  fx.start();
  const uint64_t first = fx.say("Nobody hears this.");
  REQUIRE(fx.recorder->wait_errors(1));
  auto e = fx.recorder->errors()[0];
  CHECK(e.status.code() == StatusCode::kTimeout);
  CHECK(e.op == TtsOp::kSpeak);
  CHECK_FALSE(e.fatal);
  REQUIRE(e.failed_segments.size() == 1);
  CHECK(e.failed_segments[0] == first);
  CHECK(fx.recorder->bytes_of(first) == 0);
  CHECK(counter(fx.metrics, "voxline_tts_timeouts_total", {{"op", "speak"}}) == 1);

  const uint64_t second = fx.say("Now it works.");
  REQUIRE(fx.recorder->wait_flushed(1));
  CHECK(fx.recorder->flushed()[0].segment == second);
  CHECK(fx.recorder->bytes_of(second) == expected_bytes("Now it works.", 10));
  CHECK(fx.simulator->accepted("tts") == 2);
  CHECK(counter(fx.metrics, "voxline_tts_reconnects_total") == 1);
}

TEST_CASE(
    "a stall past the flush deadline (audio stops mid-segment) is a TIMEOUT error; the next segment "
    "reconnects") {
  // Metadata and 4 audio frames, then nothing: the segment's Flushed never comes in time.
  Fixture fx(std::string(R"({"tts":{"ms_per_char":10,"chunk_ms":20},"faults":[{"endpoint":"tts",)") +
             R"("type":"stall","after_messages":5,"stall_ms":30000,"first_n":1}]})");
  fx.options.deadlines.flush = 1s;
  fx.start();
  const std::string text(50, 'b');  // 500 ms of audio: 25 frames
  const uint64_t first = fx.say(text);
  REQUIRE(fx.recorder->wait_errors(1));
  auto e = fx.recorder->errors()[0];
  CHECK(e.status.code() == StatusCode::kTimeout);
  CHECK(e.op == TtsOp::kFlush);
  REQUIRE(e.failed_segments.size() == 1);
  CHECK(e.failed_segments[0] == first);
  CHECK(fx.recorder->bytes_of(first) == 4 * 160);
  CHECK(fx.recorder->flushed().empty());
  CHECK(counter(fx.metrics, "voxline_tts_timeouts_total", {{"op", "flush"}}) == 1);

  const uint64_t second = fx.say("Again.");
  REQUIRE(fx.recorder->wait_flushed(1));
  CHECK(fx.recorder->flushed()[0].segment == second);
}

TEST_CASE(
    "a stall past the clear deadline (no Cleared) is a TIMEOUT error; the cleared audio never "
    "arrives and the next segment reconnects") {
  // Real-time audio; after Metadata and 2 frames the first connection stalls, so the Cleared the
  // clear() asks for is stuck behind it.
  Fixture fx(std::string(R"({"tts":{"ms_per_char":60,"chunk_ms":20,"realtime_factor":1},"faults":[{)") +
             R"("endpoint":"tts","type":"stall","after_messages":3,"stall_ms":30000,"first_n":1}]})");
  fx.options.deadlines.clear = 1s;
  fx.options.deadlines.flush = 30s;  // only the clear deadline may fire
  fx.start();
  auto rec = fx.recorder;
  rec->on_chunk = [rec](TtsStream &s, const TtsAudio &chunk, size_t index) {
    if (index != 2) return;
    REQUIRE(s.clear().ok());
    rec->forbid(chunk.segment());
  };
  const uint64_t first = fx.say(std::string(100, 'c'));
  REQUIRE(rec->wait_errors(1));
  auto e = rec->errors()[0];
  CHECK(e.status.code() == StatusCode::kTimeout);
  CHECK(e.op == TtsOp::kClear);
  CHECK_FALSE(e.fatal);
  REQUIRE(rec->cleared().size() == 1);
  CHECK_FALSE(rec->cleared()[0].by_server);  // the connection was dropped instead
  REQUIRE(rec->cleared()[0].segments.size() == 1);
  CHECK(rec->cleared()[0].segments[0] == first);
  CHECK(counter(fx.metrics, "voxline_tts_timeouts_total", {{"op", "clear"}}) == 1);

  rec->on_chunk = nullptr;
  const uint64_t second = fx.say("Fresh.");
  REQUIRE(rec->wait_flushed(1));
  CHECK(rec->flushed()[0].segment == second);
  CHECK(rec->after_clear() == 0);
}

TEST_CASE("a websocket that cannot be opened falls back to REST /v1/speak; long text is split per request") {
  Fixture fx(
      R"({"tts":{"ms_per_char":1,"chunk_ms":20},"faults":[{"endpoint":"tts","type":"status","status":503}]})");
  fx.options.limits.chars_per_minute = 0;  // 2500 characters in one go
  fx.start();
  const std::string text(2500, 'd');
  const uint64_t id = fx.say(text);
  REQUIRE(fx.recorder->wait_flushed(1));
  auto f = fx.recorder->flushed()[0];
  CHECK(f.segment == id);
  CHECK(f.rest);
  CHECK(f.audio_bytes == expected_bytes(text, 1));
  for (const auto &c : fx.recorder->chunks()) CHECK(c.rest);
  REQUIRE(!fx.recorder->errors().empty());
  CHECK(fx.recorder->errors()[0].op == TtsOp::kOpen);
  CHECK_FALSE(fx.recorder->errors()[0].fatal);
  CHECK(on_slot(*fx.slot, [&] { return fx.stream->state(); }) == TtsStreamState::kRest);
  // Two requests (2000 + 500 characters), raw audio (container=none), JSON bodies.
  size_t posts = 0;
  for (const auto &m : fx.simulator->recorded("tts_rest")) {
    if (m.kind != "http_request") continue;
    ++posts;
    CHECK(m.path.find("container=none") != std::string::npos);
    CHECK(m.payload.rfind(R"({"text":")", 0) == 0);
  }
  CHECK(posts == 2);
  CHECK(counter(fx.metrics, "voxline_tts_rest_fallbacks_total") == 1);
  CHECK(counter(fx.metrics, "voxline_tts_audio_bytes_total", {{"transport", "rest"}}) ==
        expected_bytes(text, 1));

  // The next segment goes over REST too, and clear() on REST cancels at once.
  const uint64_t next = fx.say("More text over REST.");
  CHECK(next > id);
  REQUIRE(fx.recorder->wait_flushed(2));
  CHECK(fx.recorder->flushed()[1].rest);
}

TEST_CASE("a refused credential is fatal at once: no REST retry, on_error(fatal) then on_closed") {
  Fixture fx(kFast);
  fx.options.auth = {DeepgramAuth::Scheme::kToken, "wrong-key"};
  fx.start();
  (void)on_slot(*fx.slot, [&] { return fx.stream->speak("hi").ok(); });
  REQUIRE(fx.recorder->wait_closed());
  REQUIRE(!fx.recorder->errors().empty());
  CHECK(fx.recorder->errors().back().fatal);
  CHECK(fx.recorder->closed_status().code() == StatusCode::kUnauthenticated);
  CHECK(fx.recorder->closed_count() == 1);
  CHECK(fx.simulator->accepted("tts_rest") == 0);
}

TEST_CASE(
    "the flush budget refuses a flush with RATE_LIMITED and keeps the segment open; the char budget "
    "refuses text it cannot send within max_text_wait") {
  Fixture fx(kFast);
  fx.options.limits.flushes_per_minute = 2;
  fx.options.limits.chars_per_minute = 40;
  fx.options.limits.max_text_wait = 500ms;
  fx.start();
  fx.say("One. ");
  fx.say("Two. ");
  on_slot(*fx.slot, [&] {
    Result<uint64_t> a = fx.stream->speak("Three. ");
    REQUIRE(a.ok());
    Result<uint64_t> f = fx.stream->flush();
    CHECK(f.status().code() == StatusCode::kRateLimited);
    // Still open: more text joins the same segment.
    Result<uint64_t> b = fx.stream->speak("Still three. ");
    REQUIRE(b.ok());
    CHECK(*b == *a);
    // 5 + 5 + 7 + 13 = 30 characters went out in this minute; 11 more do not fit.
    Result<uint64_t> c = fx.stream->speak("Over budget");
    CHECK(c.status().code() == StatusCode::kRateLimited);
    return 0;
  });
  REQUIRE(fx.recorder->wait_flushed(2));
  CHECK(counter(fx.metrics, "voxline_tts_rate_limited_total", {{"limit", "flushes"}}) == 1);
  CHECK(counter(fx.metrics, "voxline_tts_rate_limited_total", {{"limit", "chars"}}) == 1);
  CHECK(fx.recorded("tts", "text", R"("type":"Flush")") == 2);
}

TEST_CASE(
    "back-pressure: reading pauses while the host has not acknowledged its audio, no deadline fires, "
    "and acks resume it") {
  Fixture fx(kFast);
  fx.options.back_pressure.max_unacked_bytes = 1000;
  fx.options.deadlines.speak = 1s;
  fx.options.deadlines.flush = 1s;
  fx.start();
  fx.recorder->auto_ack = false;
  const std::string text(50, 'e');  // 4000 bytes in 160-byte frames
  const uint64_t id = fx.say(text);
  REQUIRE(fx.recorder->wait([&] { return fx.recorder->bytes_of(id) > 1000; }));
  REQUIRE(on_slot(*fx.slot, [&] { return fx.stream->stats().reading_paused; }));
  const size_t held = fx.recorder->bytes_of(id);
  CHECK(held <= 1000 + 160);
  // Longer than both deadlines: paused reading is the host's doing, not Deepgram's.
  std::this_thread::sleep_for(1500ms);
  CHECK(fx.recorder->bytes_of(id) == held);
  CHECK(fx.recorder->errors().empty());
  CHECK(fx.recorder->flushed().empty());
  // The host catches up: acks (from its own thread) let the rest in.
  fx.recorder->auto_ack = true;
  fx.stream->ack_audio(held);
  REQUIRE(fx.recorder->wait_flushed(1));
  CHECK(fx.recorder->bytes_of(id) == expected_bytes(text, 10));
  CHECK(counter(fx.metrics, "voxline_tts_read_pauses_total") >= 1);
  CHECK(fx.recorder->errors().empty());
}

TEST_CASE("close(): flushed segments play out, then on_closed(OK) once; nothing is accepted afterwards") {
  Fixture fx(kFast);
  fx.start();
  const uint64_t id = fx.say("The last words. ");
  on_slot(*fx.slot, [&] {
    CHECK(fx.stream->speak("never flushed").ok());
    CHECK(fx.stream->close().ok());
    CHECK(fx.stream->close().ok());  // idempotent
    CHECK(fx.stream->speak("late").status().code() == StatusCode::kFailedPrecondition);
    CHECK(fx.stream->flush().status().code() == StatusCode::kFailedPrecondition);
    return 0;
  });
  REQUIRE(fx.recorder->wait_closed());
  CHECK(fx.recorder->closed_status().ok());
  REQUIRE(fx.recorder->flushed().size() == 1);
  CHECK(fx.recorder->flushed()[0].segment == id);
  CHECK(fx.recorder->bytes_of(id) == expected_bytes("The last words. ", 10));
  CHECK(fx.recorder->errors().empty());
  CHECK(fx.recorded("tts", "text", R"("type":"Close")") == 1);
  CHECK(on_slot(*fx.slot, [&] { return fx.stream->state(); }) == TtsStreamState::kClosed);
  fx.stream.reset();
  CHECK(fx.recorder->wait([&] { return fx.runtime->active_websockets() == 0; }));
  CHECK(fx.recorder->closed_count() == 1);
}

TEST_CASE("calls off the slot thread and bad input are refused with a clear status") {
  Fixture fx(kFast);
  fx.start();
  CHECK(fx.stream->speak("hi").status().code() == StatusCode::kFailedPrecondition);
  on_slot(*fx.slot, [&] {
    CHECK(fx.stream->speak("").status().code() == StatusCode::kInvalidArgument);
    CHECK(fx.stream->speak("\xff\xfe").status().code() == StatusCode::kInvalidArgument);
    CHECK(fx.stream->flush().status().code() == StatusCode::kFailedPrecondition);
    return 0;
  });
  TtsStreamOptions bad = fx.options;
  bad.tts.sample_rate = 16000;  // mulaw is 8 kHz only
  CHECK(TtsStream::create(fx.slot, bad, std::make_shared<TtsRecorder>()).status().code() ==
        StatusCode::kInvalidArgument);
  bad = fx.options;
  bad.deadlines.clear = Duration::zero();
  CHECK(TtsStream::create(fx.slot, bad, std::make_shared<TtsRecorder>()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(TtsStream::create(nullptr, fx.options, std::make_shared<TtsRecorder>()).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE(
    "clear() in REST mode cancels the request at once: no more audio of the segment, on_cleared follows") {
  Fixture fx(std::string(R"({"tts":{"ms_per_char":60,"chunk_ms":20,"realtime_factor":1},)") +
             R"("faults":[{"endpoint":"tts","type":"status","status":503}]})");
  fx.start();
  auto rec = fx.recorder;
  rec->on_chunk = [rec](TtsStream &s, const TtsAudio &chunk, size_t index) {
    if (index != 2) return;
    REQUIRE(s.clear().ok());
    rec->forbid(chunk.segment());
  };
  const std::string text(100, 'f');  // 6 s of real-time audio
  const uint64_t id = fx.say(text);
  REQUIRE(rec->wait([&] { return !rec->cleared().empty(); }));
  CHECK_FALSE(rec->cleared()[0].by_server);
  REQUIRE(rec->cleared()[0].segments.size() == 1);
  CHECK(rec->cleared()[0].segments[0] == id);
  rec->on_chunk = nullptr;
  const uint64_t next = fx.say("Next.");
  REQUIRE(rec->wait_flushed(1));
  CHECK(rec->flushed()[0].segment == next);
  CHECK(rec->flushed()[0].rest);
  CHECK(rec->after_clear() == 0);
  CHECK(rec->bytes_of(id) < expected_bytes(text, 60));
}

TEST_CASE("linear16 audio in odd-sized frames is delivered in whole samples, none lost") {
  Fixture fx(R"({"tts":{"ms_per_char":10,"chunk_bytes":33}})");
  fx.options.tts.encoding = AudioEncoding::kLinear16;
  fx.options.tts.sample_rate = 16000;
  fx.start();
  const std::string text = "Whole samples only.";
  const uint64_t id = fx.say(text);
  REQUIRE(fx.recorder->wait_flushed(1));
  for (const auto &c : fx.recorder->chunks()) CHECK(c.bytes % 2 == 0);
  CHECK(fx.recorder->bytes_of(id) == text.size() * 10 * 32);  // 32 bytes per ms at 16 kHz
}

TEST_CASE("a stream created and spoken to within one slot task opens one websocket and plays the segment") {
  Fixture fx(kFast);
  fx.recorder = std::make_shared<TtsRecorder>();
  const uint64_t id = on_slot(*fx.slot, [&] {
    auto s = TtsStream::create(fx.slot, fx.options, fx.recorder);
    REQUIRE(s.ok());
    fx.stream = *s;
    REQUIRE(fx.stream->speak("Straight away.").ok());
    Result<uint64_t> f = fx.stream->flush();
    REQUIRE(f.ok());
    return *f;
  });
  REQUIRE(fx.recorder->wait_flushed(1));
  CHECK(fx.recorder->flushed()[0].segment == id);
  CHECK(fx.simulator->accepted("tts") == 1);
  CHECK(on_slot(*fx.slot, [&] { return fx.stream->stats().connections; }) == 1);
}
