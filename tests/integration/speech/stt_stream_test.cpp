// SttStream against voxline-sim's Deepgram live STT: a normal utterance, interim versus final
// assembly, KeepAlive after silence, a reconnect after a mid-utterance drop that loses no buffered
// audio (checked against the audio the simulator received), malformed messages, close codes, ring
// overflow under both policies, Finalize after the queued audio, and a clean shutdown that
// delivers the last transcript. Tests wait on events with generous deadlines, never on timing.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/speech/stt_stream.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::speech;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 20s;  // generous: sanitizer builds are slow

// Records every callback under one lock, with the thread each ran on.
class SttRecorder final : public SttStreamHandler {
 public:
  void on_open(const SttOpenInfo &info) override {
    note([&] { open_ = info; });
  }
  void on_transcript(const SttTranscript &t) override {
    note([&] { transcripts_.push_back(t); });
  }
  void on_speech_started(const SttSpeechStarted &e) override {
    note([&] { speech_started_.push_back(e); });
  }
  void on_utterance_end(const SttUtteranceEnd &e) override {
    note([&] { utterance_ends_.push_back(e); });
  }
  void on_metadata(const SttMetadata &m) override {
    note([&] { metadata_.push_back(m); });
  }
  void on_error(const SttStreamError &e) override {
    note([&] { errors_.push_back(e); });
  }
  void on_reconnecting(const SttReconnectInfo &info) override {
    std::function<void(const SttReconnectInfo &)> hook;
    note([&] {
      reconnecting_.push_back(info);
      hook = reconnecting_hook_;
    });
    if (hook) hook(info);  // e.g. the scenario of the next connection, loaded before it connects
  }
  void on_reconnected(const SttReconnectInfo &info) override {
    note([&] { reconnected_.push_back(info); });
  }
  void on_closed(const SttClosedInfo &info) override {
    note([&] {
      closed_ = info;
      ++closed_count_;
    });
  }

  void set_reconnecting_hook(std::function<void(const SttReconnectInfo &)> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    reconnecting_hook_ = std::move(hook);
  }
  // Polls as well as waking on events, so predicates over stats() work too. The predicate runs
  // without the lock (it takes snapshots).
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds d = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, 10ms);
    }
    return true;
  }
  bool wait_open() {
    return wait([&] { return open_info().has_value() || closed_count() > 0; }) && open_info().has_value();
  }
  bool wait_closed() {
    return wait([&] { return closed_count() > 0; });
  }
  bool wait_final(const std::string &text) {
    return wait([&] {
      for (const auto &t : transcripts())
        if (t.is_final && t.text == text) return true;
      return closed_count() > 0;
    });
  }

  // Snapshots.
  std::vector<SttTranscript> transcripts() { return get(transcripts_); }
  // Final results with words (Deepgram also finalizes silence with empty ones).
  std::vector<SttTranscript> finals() {
    std::vector<SttTranscript> out;
    for (const auto &t : transcripts())
      if (t.is_final && !t.text.empty()) out.push_back(t);
    return out;
  }
  std::vector<SttTranscript> all_finals() {
    std::vector<SttTranscript> out;
    for (const auto &t : transcripts())
      if (t.is_final) out.push_back(t);
    return out;
  }
  std::vector<SttSpeechStarted> speech_started() { return get(speech_started_); }
  std::vector<SttUtteranceEnd> utterance_ends() { return get(utterance_ends_); }
  std::vector<SttMetadata> metadata() { return get(metadata_); }
  std::vector<SttStreamError> errors() { return get(errors_); }
  std::vector<SttReconnectInfo> reconnecting() { return get(reconnecting_); }
  std::vector<SttReconnectInfo> reconnected() { return get(reconnected_); }
  std::optional<SttOpenInfo> open_info() { return get(open_); }
  std::optional<SttClosedInfo> closed() { return get(closed_); }
  int closed_count() { return get(closed_count_); }
  int after_closed() { return get(after_closed_); }
  std::set<std::thread::id> threads() { return get(threads_); }

 private:
  template <typename F>
  void note(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.insert(std::this_thread::get_id());
    if (closed_count_ > 0) ++after_closed_;
    f();
    cv_.notify_all();
  }
  template <typename T>
  T get(const T &v) {
    std::lock_guard<std::mutex> lock(mu_);
    return v;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<SttOpenInfo> open_;
  std::vector<SttTranscript> transcripts_;
  std::vector<SttSpeechStarted> speech_started_;
  std::vector<SttUtteranceEnd> utterance_ends_;
  std::vector<SttMetadata> metadata_;
  std::vector<SttStreamError> errors_;
  std::vector<SttReconnectInfo> reconnecting_, reconnected_;
  std::function<void(const SttReconnectInfo &)> reconnecting_hook_;
  std::optional<SttClosedInfo> closed_;
  int closed_count_ = 0;
  int after_closed_ = 0;
  std::set<std::thread::id> threads_;
};

struct SttFixture {
  explicit SttFixture(const std::string &scenario) {
    sim::SimOptions so;
    so.scenario_json = scenario;
    auto s = sim::Simulator::start(so);
    REQUIRE(s.ok());
    sim = std::move(*s);
    RuntimeOptions ro;
    ro.metrics = &metrics;
    auto r = Runtime::create(ro);
    REQUIRE(r.ok());
    runtime = std::move(*r);
    slot = runtime->pick_slot();
  }

  SttStreamOptions options() const {
    SttStreamOptions o;
    o.stt.base_url = "ws://127.0.0.1:" + std::to_string(sim->port());
    o.auth = {DeepgramAuth::Scheme::kToken, "test-key"};  // an API key goes as Token, as Deepgram wants
    o.reconnect_backoff.base_delay = 50ms;
    o.reconnect_backoff.max_delay = 200ms;
    return o;
  }

  uint64_t counter(const char *name, const MetricLabels &labels = {}) {
    return metrics.counter(name, "", labels).value();
  }

  // The audio the simulator received, per accepted connection, in connection order.
  std::vector<std::string> received_audio() const {
    std::vector<uint64_t> ids;
    std::vector<std::string> audio;
    for (const auto &m : sim->recorded("stt")) {
      if (m.direction != "in") continue;
      if (m.kind == "handshake" && m.status == 101) {
        ids.push_back(m.connection_id);
        audio.emplace_back();
      } else if (m.kind == "binary") {
        for (size_t i = 0; i < ids.size(); ++i)
          if (ids[i] == m.connection_id) audio[i] += m.payload;
      }
    }
    return audio;
  }

  // Text frames the client sent (KeepAlive, Finalize, CloseStream) with the audio bytes the same
  // connection received before each.
  struct Control {
    std::string text;
    uint64_t connection_id = 0;
    size_t audio_before = 0;
    int64_t t_ms = 0;
    int64_t last_audio_ms = -1;
  };
  std::vector<Control> controls() const {
    std::vector<Control> out;
    std::map<uint64_t, size_t> audio;
    std::map<uint64_t, int64_t> last_audio;
    for (const auto &m : sim->recorded("stt")) {
      if (m.direction != "in") continue;
      if (m.kind == "binary") {
        audio[m.connection_id] += m.payload.size();
        last_audio[m.connection_id] = m.t_ms;
      } else if (m.kind == "text") {
        auto la = last_audio.find(m.connection_id);
        out.push_back({m.payload, m.connection_id, audio[m.connection_id], m.t_ms,
                       la == last_audio.end() ? -1 : la->second});
      }
    }
    return out;
  }

  MetricsRegistry metrics;
  std::unique_ptr<sim::Simulator> sim;
  std::unique_ptr<Runtime> runtime;
  std::shared_ptr<Slot> slot;
};
using FixtureControl = SttFixture::Control;

// Deterministic mu-law "speech": no two neighbouring 20 ms frames alike.
std::string make_audio(size_t bytes, unsigned seed = 1) {
  std::string a(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) a[i] = static_cast<char>((i * 7 + i / 160 * 13 + seed) % 255);
  return a;
}

// Pushes `audio` in 20 ms mu-law frames at `speed` x real time; every push must succeed.
void push_paced(SttStream &stream, const std::string &audio, double speed = 4.0) {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(20ms / speed);
  auto due = std::chrono::steady_clock::now();
  for (size_t at = 0; at < audio.size(); at += 160) {
    const size_t n = std::min<size_t>(160, audio.size() - at);
    Status s = stream.push_audio(audio.data() + at, n);
    REQUIRE_MESSAGE(s.ok(), s.to_string());
    due += period;
    std::this_thread::sleep_until(due);
  }
}

std::string silence(size_t bytes) {
  return std::string(bytes, static_cast<char>(0xFF));
}

std::string join_finals(const std::vector<SttTranscript> &finals) {
  std::string out;
  for (const auto &f : finals) {
    if (f.text.empty()) continue;
    out += (out.empty() ? "" : " ") + f.text;
  }
  return out;
}

bool near(double a, double b, double eps = 0.011) {
  return std::fabs(a - b) <= eps;
}

std::unique_ptr<SttStream> open_stream(SttFixture &f, const SttStreamOptions &o,
                                       const std::shared_ptr<SttRecorder> &rec) {
  auto s = SttStream::open(f.slot, o, rec, &f.metrics);
  REQUIRE_MESSAGE(s.ok(), s.status().to_string());
  REQUIRE(rec->wait_open());
  return std::move(*s);
}

}  // namespace

TEST_CASE(
    "a normal utterance: SpeechStarted, interims, one speech_final final on the stream clock, "
    "UtteranceEnd, then Metadata and a clean close") {
  SttFixture f(R"({"stt":{"utterances":[{"start_ms":300,"end_ms":1200,"text":"I need an oil change.",
      "interims":2,"pieces":1,"speech_final":true,"utterance_end":true,"confidence":0.95}]}})");
  auto rec = std::make_shared<SttRecorder>();
  auto stream = open_stream(f, f.options(), rec);
  CHECK_FALSE(rec->open_info()->request_id.empty());
  const std::string audio = make_audio(8000 * 26 / 10);  // 2.6 s: past the UtteranceEnd at 2.2 s
  push_paced(*stream, audio);
  REQUIRE(rec->wait([&] { return !rec->utterance_ends().empty() || rec->closed_count() > 0; }));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());

  auto closed = rec->closed();
  CHECK_MESSAGE(closed->status.ok(), closed->status.to_string());
  CHECK(closed->metadata_received);
  CHECK(closed->connections == 1);
  CHECK(rec->metadata().size() == 1);
  CHECK(rec->errors().empty());
  CHECK(rec->after_closed() == 0);
  CHECK(rec->threads().size() == 1);
  CHECK(rec->threads().count(std::this_thread::get_id()) == 0);

  auto started = rec->speech_started();
  REQUIRE(started.size() == 1);
  CHECK(near(started[0].timestamp, 0.3));
  auto finals = rec->finals();
  REQUIRE(finals.size() == 1);
  CHECK(finals[0].text == "I need an oil change.");
  CHECK(finals[0].speech_final);
  CHECK_FALSE(finals[0].from_finalize);
  CHECK(finals[0].confidence == doctest::Approx(0.95));
  REQUIRE(finals[0].words.size() == 5);
  CHECK(finals[0].words[0].punctuated_word == "I");
  CHECK(finals[0].words[4].word == "change");
  CHECK(finals[0].words[0].start >= 0.3 - 0.011);
  for (size_t i = 1; i < finals[0].words.size(); ++i)
    CHECK(finals[0].words[i].start >= finals[0].words[i - 1].end - 0.001);
  size_t interims = 0;
  for (const auto &t : rec->transcripts()) {
    if (t.is_final || t.text.empty()) continue;
    ++interims;
    CHECK(std::string("I need an oil change.").rfind(t.text, 0) == 0);  // a growing prefix
  }
  CHECK(interims == 2);
  auto ends = rec->utterance_ends();
  REQUIRE(ends.size() == 1);
  CHECK(near(ends[0].last_word_end, finals[0].words.back().end));

  // Everything pushed reached Deepgram, once, after the initial silence.
  const SttStreamStats st = stream->stats();
  auto received = f.received_audio();
  REQUIRE(received.size() == 1);
  CHECK(received[0] == silence(st.silence_bytes_sent) + audio);
  CHECK(st.audio_bytes_pushed == audio.size());
  CHECK(st.audio_bytes_sent == st.silence_bytes_sent + audio.size());
  CHECK(st.ring_dropped_bytes == 0);
  CHECK(f.counter("voxline_stt_audio_bytes_sent_total", {{"kind", "audio"}}) == audio.size());
  CHECK(f.metrics.histogram("voxline_stt_time_to_first_result_ms", "").snapshot().count == 1);
  CHECK(f.metrics.gauge("voxline_stt_streams_open", "").value() == 0);
  CHECK(f.counter("voxline_stt_reconnects_total") == 0);
}

TEST_CASE(
    "interim versus final: finals concatenate to the utterance, interims never repeat final words, "
    "windows are contiguous and only the last final is speech_final") {
  const std::string text = "please book an oil change for tuesday morning at nine";
  SttFixture f(R"({"stt":{"utterances":[{"start_ms":200,"end_ms":2400,"text":")" + text +
               R"(","interims":4,"pieces":3,"speech_final":true,"utterance_end":false}]}})");
  auto rec = std::make_shared<SttRecorder>();
  auto o = f.options();
  o.stt.utterance_end_ms = 0;
  auto stream = open_stream(f, o, rec);
  push_paced(*stream, make_audio(8000 * 3));
  REQUIRE(rec->wait([&] {
    for (const auto &t : rec->transcripts())
      if (t.speech_final) return true;
    return rec->closed_count() > 0;
  }));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.ok());

  auto finals = rec->finals();
  REQUIRE(finals.size() == 3);
  CHECK(join_finals(finals) == text);
  CHECK_FALSE(finals[0].speech_final);
  CHECK_FALSE(finals[1].speech_final);
  CHECK(finals[2].speech_final);
  auto all = rec->all_finals();
  for (size_t i = 1; i < all.size(); ++i) CHECK(near(all[i].start, all[i - 1].start + all[i - 1].duration));
  // Assembly as a turn detector does it: the finals so far plus the latest interim is always a
  // prefix of the utterance (an interim shows only words after the last final).
  std::vector<SttTranscript> so_far;
  size_t interims = 0;
  for (const auto &t : rec->transcripts()) {
    if (t.is_final) {
      so_far.push_back(t);
      continue;
    }
    if (!t.text.empty()) ++interims;
    std::vector<SttTranscript> live = so_far;
    live.push_back(t);
    const std::string assembled = join_finals(live);
    CHECK_MESSAGE(text.rfind(assembled, 0) == 0, assembled);
    CHECK(t.start >= (so_far.empty() ? 0.0 : so_far.back().start + so_far.back().duration) - 0.011);
  }
  CHECK(interims >= 2);
}

TEST_CASE("KeepAlive goes out while no audio flows and keeps an otherwise idle socket open") {
  // The simulator closes with 1011 NET-0001 after 2.5 s without any frame.
  SttFixture f(R"({"stt":{"idle_timeout_ms":2500}})");
  auto rec = std::make_shared<SttRecorder>();
  auto o = f.options();
  o.keepalive_interval = 1s;
  auto stream = open_stream(f, o, rec);
  push_paced(*stream, make_audio(8000 * 3 / 10), 1.0);  // 300 ms of audio, then silence from the host
  REQUIRE(rec->wait([&] { return stream->stats().keepalives_sent >= 4 || rec->closed_count() > 0; }));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());

  CHECK_MESSAGE(rec->closed()->status.ok(), rec->closed()->status.to_string());
  CHECK(rec->errors().empty());
  CHECK(stream->stats().connections == 1);
  CHECK(stream->stats().reconnects == 0);
  size_t keepalives = 0;
  for (const auto &c : f.controls()) {
    if (c.text != R"({"type":"KeepAlive"})") continue;
    if (keepalives++ == 0) CHECK(c.t_ms - c.last_audio_ms >= 900);  // only once the audio stopped
  }
  CHECK(keepalives >= 4);
  CHECK(f.counter("voxline_stt_keepalives_total") == stream->stats().keepalives_sent);
  for (const auto &m : f.sim->recorded("stt"))
    if (m.kind == "close" && m.direction == "out") CHECK(m.status == 1000);
}

TEST_CASE(
    "a drop mid-utterance reconnects, re-sends the audio since the last final, loses nothing, and "
    "re-bases later word timings onto the stream clock") {
  // Connection 1: a final for 0.2-1.0 s, then the caller starts a second phrase at 1.3 s; the host
  // has pushed 1.5 s when the link drops (mid-utterance). The simulator scripts by the audio each
  // connection received, so connection 2 gets the second phrase moved by where its audio starts.
  SttFixture f(R"({"stt":{"utterances":[
      {"start_ms":200,"end_ms":700,"text":"first words here","interims":0,"pieces":1,"utterance_end":false},
      {"start_ms":1300,"end_ms":2000,"text":"second part","interims":1,"pieces":1,"utterance_end":false}]},
    "faults":[{"endpoint":"stt","type":"drop","after_ms":2000,"first_n":1}]})");
  auto rec = std::make_shared<SttRecorder>();
  rec->set_reconnecting_hook([&f](const SttReconnectInfo &info) {
    const long long base = std::llround(info.clock_offset_s * 1000);
    CHECK(f.sim
              ->load_scenario(R"({"stt":{"utterances":[{"start_ms":)" + std::to_string(1300 - base) +
                              R"(,"end_ms":)" + std::to_string(2000 - base) +
                              R"(,"text":"second part","interims":1,"pieces":1,"utterance_end":false}]}})")
              .ok());
  });
  auto o = f.options();
  o.stt.utterance_end_ms = 0;
  auto stream = open_stream(f, o, rec);
  const std::string audio = make_audio(8000 * 28 / 10);
  push_paced(*stream, audio.substr(0, 12000));  // 1.5 s, then the host pauses over the drop
  REQUIRE(rec->wait([&] { return !rec->reconnected().empty() || rec->closed_count() > 0; }));
  push_paced(*stream, audio.substr(12000));
  REQUIRE(rec->wait_final("second part"));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());

  auto closed = rec->closed();
  CHECK_MESSAGE(closed->status.ok(), closed->status.to_string());
  CHECK(closed->metadata_received);
  CHECK(closed->connections == 2);
  auto reconnecting = rec->reconnecting();
  REQUIRE(reconnecting.size() == 1);
  CHECK(reconnecting[0].attempt == 1);
  CHECK(reconnecting[0].cause.code() == StatusCode::kUnavailable);
  auto reconnected = rec->reconnected();
  REQUIRE(reconnected.size() == 1);
  CHECK(reconnected[0].connection == 1);
  // The new connection starts where Deepgram's final text ended (1.0 s; later if it finalized
  // the silence after it too), as on_reconnecting announced.
  const double offset = reconnected[0].clock_offset_s;
  CHECK(offset >= 1.0 - 1e-9);
  CHECK(offset <= 1.3);
  CHECK(reconnecting[0].clock_offset_s == doctest::Approx(offset));
  CHECK(reconnected[0].replayed_bytes > 0);
  CHECK(reconnected[0].lost_bytes == 0);
  CHECK_FALSE(reconnected[0].request_id.empty());
  auto errors = rec->errors();
  REQUIRE(errors.size() == 1);
  CHECK_FALSE(errors[0].fatal);

  auto finals = rec->finals();
  REQUIRE(finals.size() == 2);
  CHECK(finals[0].text == "first words here");
  CHECK(finals[1].text == "second part");
  REQUIRE(finals[1].words.size() == 2);
  CHECK(near(finals[1].words[0].start, 1.3));  // 0.3 s into connection 2 = 1.3 s of the stream
  CHECK(finals[1].start >= offset - 1e-9);
  auto started = rec->speech_started();
  REQUIRE(started.size() == 3);
  CHECK(near(started[2].timestamp, 1.3));

  // Connection 1 got a prefix of the stream's audio; connection 2 got everything from the end of
  // the last final on: no byte lost, none sent twice beyond the replay.
  const SttStreamStats st = stream->stats();
  const std::string expected = silence(st.silence_bytes_sent) + audio;
  auto received = f.received_audio();
  REQUIRE(received.size() == 2);
  const size_t offset_bytes = static_cast<size_t>(std::llround(offset * 8000));
  REQUIRE(received[0].size() >= offset_bytes);
  CHECK(received[0] == expected.substr(0, received[0].size()));
  CHECK(received[1] == expected.substr(offset_bytes));
  CHECK(st.replayed_bytes == reconnected[0].replayed_bytes);
  CHECK(f.counter("voxline_stt_reconnects_total") == 1);
  CHECK(f.counter("voxline_stt_audio_bytes_sent_total", {{"kind", "replay"}}) == st.replayed_bytes);
}

TEST_CASE("a malformed server message is an error event, and the stream goes on") {
  SttFixture f(R"({"stt":{"utterances":[{"start_ms":200,"end_ms":800,"text":"hello there","interims":0,
      "pieces":1,"utterance_end":false}]},"faults":[{"endpoint":"stt","type":"malformed_json","after_messages":1}]})");
  auto rec = std::make_shared<SttRecorder>();
  auto stream = open_stream(f, f.options(), rec);
  push_paced(*stream, make_audio(8000 * 14 / 10));
  REQUIRE(rec->wait_final("hello there"));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.ok());
  auto errors = rec->errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].status.code() == StatusCode::kProtocolError);
  CHECK_FALSE(errors[0].fatal);
  CHECK(stream->stats().malformed == 1);
  CHECK(stream->stats().connections == 1);
  CHECK(f.counter("voxline_stt_errors_total", {{"code", "PROTOCOL_ERROR"}}) == 1);
}

TEST_CASE("close 1008 DATA ends the stream with INVALID_ARGUMENT and no reconnect") {
  SttFixture f(R"({"faults":[{"endpoint":"stt","type":"close","close_code":1008,"after_ms":200}]})");
  auto rec = std::make_shared<SttRecorder>();
  auto stream = open_stream(f, f.options(), rec);
  REQUIRE(rec->wait_closed());
  auto closed = rec->closed();
  CHECK(closed->status.code() == StatusCode::kInvalidArgument);
  CHECK_MESSAGE(closed->status.message().find("DATA-0000") != std::string::npos, closed->status.message());
  auto errors = rec->errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].fatal);
  CHECK(rec->reconnecting().empty());
  CHECK(f.sim->accepted("stt") == 1);
  const std::string frame = make_audio(160);
  CHECK(stream->push_audio(frame.data(), frame.size()).code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("close 1011 NET-0001 is a Deepgram timeout: counted, reported, and the stream reconnects") {
  SttFixture f(R"({"faults":[{"endpoint":"stt","type":"close","close_code":1011,"after_ms":200,"first_n":1,
      "close_reason":"Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"}]})");
  auto rec = std::make_shared<SttRecorder>();
  auto stream = open_stream(f, f.options(), rec);
  REQUIRE(rec->wait([&] { return !rec->reconnected().empty() || rec->closed_count() > 0; }));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.ok());
  auto errors = rec->errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].status.code() == StatusCode::kUnavailable);
  CHECK(errors[0].status.message().find("NET-0001") != std::string::npos);
  CHECK_FALSE(errors[0].fatal);
  CHECK(f.counter("voxline_stt_timeouts_total", {{"phase", "deepgram"}}) == 1);
  CHECK(f.counter("voxline_stt_reconnects_total") == 1);
}

TEST_CASE("an API key refused at the handshake ends the stream with UNAUTHENTICATED, without retrying") {
  SttFixture f("");
  auto rec = std::make_shared<SttRecorder>();
  auto o = f.options();
  o.auth.credential = "wrong-key";
  auto s = SttStream::open(f.slot, o, rec, &f.metrics);
  REQUIRE(s.ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.code() == StatusCode::kUnauthenticated);
  CHECK(rec->reconnecting().empty());
  CHECK_FALSE(rec->open_info().has_value());
  o.auth = {DeepgramAuth::Scheme::kBearer, "test-key"};  // an API key is no JWT: refused up front
  CHECK(SttStream::open(f.slot, o, rec, &f.metrics).status().code() == StatusCode::kInvalidArgument);
}

namespace {
// Holds the slot thread (test only) while the host pushes, so the ring fills.
void overflow_case(SttOverflowPolicy policy) {
  SttFixture f("");
  auto rec = std::make_shared<SttRecorder>();
  auto o = f.options();
  o.ring_capacity = 100ms;  // 800 bytes of 8 kHz mu-law
  o.max_message = 100ms;
  o.overflow = policy;
  auto stream = open_stream(f, o, rec);
  REQUIRE(rec->wait([&] { return stream->stats().silence_bytes_sent > 0; }));
  std::promise<void> entered, release;
  auto release_f = release.get_future().share();
  REQUIRE(f.slot
              ->post([&entered, release_f] {
                entered.set_value();
                release_f.wait_for(10s);
              })
              .ok());
  entered.get_future().wait();
  const std::string burst = make_audio(4000);  // 500 ms in 25 frames, pushed at once
  int ok = 0, full = 0;
  for (size_t at = 0; at < burst.size(); at += 160) {
    Status s = stream->push_audio(burst.data() + at, 160);
    if (s.ok()) ++ok;
    if (s.code() == StatusCode::kQueueFull) ++full;
  }
  release.set_value();
  REQUIRE(rec->wait([&] { return stream->stats().ring_dropped_bytes == 3200; }));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.ok());

  const SttStreamStats st = stream->stats();
  auto received = f.received_audio();
  REQUIRE(received.size() == 1);
  if (policy == SttOverflowPolicy::kDropNewest) {
    CHECK(ok == 5);  // 800 bytes fit; the rest is refused
    CHECK(full == 20);
    CHECK(st.ring_high_water_bytes == 800);
    CHECK(received[0] == silence(st.silence_bytes_sent) + burst.substr(0, 800));
  } else {
    CHECK(ok == 10);  // the spare half takes 800 more until the slot trims to the newest 800
    CHECK(full == 15);
    CHECK(st.ring_high_water_bytes == 1600);
    CHECK(received[0] == silence(st.silence_bytes_sent) + burst.substr(800, 800));
  }
  CHECK(st.ring_dropped_bytes == 3200);
  CHECK(f.counter("voxline_stt_ring_dropped_bytes_total") == 3200);
  CHECK(f.metrics.gauge("voxline_stt_ring_high_water_bytes", "").value() ==
        static_cast<int64_t>(st.ring_high_water_bytes));
}
}  // namespace

TEST_CASE("ring overflow under drop-newest refuses new frames, counted") {
  overflow_case(SttOverflowPolicy::kDropNewest);
}

TEST_CASE("ring overflow under drop-oldest keeps the newest audio, counted") {
  overflow_case(SttOverflowPolicy::kDropOldest);
}

TEST_CASE("finalize() is sent after the audio pushed before it and answered with a from_finalize final") {
  SttFixture f(R"({"stt":{"utterances":[{"start_ms":200,"end_ms":2500,"text":"we will see you tomorrow",
      "interims":0,"pieces":1,"utterance_end":false}]}})");
  auto rec = std::make_shared<SttRecorder>();
  auto stream = open_stream(f, f.options(), rec);
  const std::string audio = make_audio(8000 * 12 / 10);
  push_paced(*stream, audio);
  REQUIRE(stream->finalize().ok());
  REQUIRE(rec->wait([&] {
    for (const auto &t : rec->transcripts())
      if (t.from_finalize) return true;
    return rec->closed_count() > 0;
  }));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.ok());
  bool found = false;
  for (const auto &c : f.controls()) {
    if (c.text.find("Finalize") == std::string::npos) continue;
    found = true;
    CHECK(c.audio_before == stream->stats().silence_bytes_sent + audio.size());
  }
  CHECK(found);
  CHECK(stream->stats().finalizes_sent == 1);
}

TEST_CASE(
    "close() sends the ring's tail, then CloseStream, and delivers the last transcript before on_closed") {
  // The final would come at 1.8 s; the stream holds only 1.7 s, so only CloseStream flushes it.
  SttFixture f(R"({"stt":{"utterances":[{"start_ms":200,"end_ms":1500,"text":"thanks that is all",
      "interims":0,"pieces":1,"utterance_end":false}]}})");
  auto rec = std::make_shared<SttRecorder>();
  auto stream = open_stream(f, f.options(), rec);
  const std::string audio = make_audio(8000 * 16 / 10);
  push_paced(*stream, audio);
  REQUIRE(stream->close().ok());
  CHECK(stream->close().ok());  // idempotent
  CHECK(stream->push_audio(audio.data(), 160).code() == StatusCode::kFailedPrecondition);
  REQUIRE(rec->wait_closed());
  auto closed = rec->closed();
  CHECK_MESSAGE(closed->status.ok(), closed->status.to_string());
  CHECK(closed->metadata_received);
  auto finals = rec->finals();
  REQUIRE(finals.size() == 1);
  CHECK(finals[0].text == "thanks that is all");
  const SttStreamStats st = stream->stats();
  auto controls = f.controls();
  REQUIRE_FALSE(controls.empty());
  CHECK(controls.back().text == R"({"type":"CloseStream"})");
  CHECK(controls.back().audio_before == st.silence_bytes_sent + audio.size());
  CHECK(f.received_audio().at(0) == silence(st.silence_bytes_sent) + audio);
}

TEST_CASE("destroying the stream aborts it: on_closed(CANCELLED) arrives on the slot thread") {
  SttFixture f("");
  auto rec = std::make_shared<SttRecorder>();
  auto stream = open_stream(f, f.options(), rec);
  stream.reset();
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.code() == StatusCode::kCancelled);
  CHECK(rec->closed_count() == 1);
  CHECK(rec->threads().count(std::this_thread::get_id()) == 0);
}

TEST_CASE("a handshake that never completes times out per attempt, is retried, then ends the stream") {
  SttFixture f("");
  nettest::SilentListener silent;
  auto rec = std::make_shared<SttRecorder>();
  auto o = f.options();
  o.stt.base_url = "ws://127.0.0.1:" + std::to_string(silent.port());
  o.handshake_timeout = 200ms;
  o.reconnect_backoff.max_attempts = 2;
  auto s = SttStream::open(f.slot, o, rec, &f.metrics);
  REQUIRE(s.ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.code() == StatusCode::kTimeout);
  CHECK(rec->closed()->connections == 0);
  CHECK(rec->reconnecting().size() == 1);
  CHECK_FALSE(rec->open_info().has_value());
  CHECK(f.counter("voxline_stt_timeouts_total", {{"phase", "connect"}}) == 2);
}

TEST_CASE(
    "audio that Deepgram leaves unanswered past result_timeout is taken for a half-open link and "
    "the stream reconnects") {
  // A server that says nothing for a minute.
  SttFixture f(R"({"faults":[{"endpoint":"stt","type":"stall","after_messages":0,"stall_ms":60000}]})");
  auto rec = std::make_shared<SttRecorder>();
  auto o = f.options();
  o.result_timeout = 500ms;
  auto stream = open_stream(f, o, rec);
  std::atomic<bool> stop{false};
  std::thread host([&] {
    const std::string frame = make_audio(160);
    auto due = std::chrono::steady_clock::now();
    while (!stop.load()) {
      (void)stream->push_audio(frame.data(), frame.size());
      due += 20ms;
      std::this_thread::sleep_until(due);
    }
  });
  const bool reconnected = rec->wait([&] { return !rec->reconnected().empty() || rec->closed_count() > 0; });
  stop.store(true);
  host.join();
  REQUIRE(reconnected);
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  auto reconnecting = rec->reconnecting();
  REQUIRE_FALSE(reconnecting.empty());
  CHECK(reconnecting[0].cause.code() == StatusCode::kTimeout);
  CHECK(f.counter("voxline_stt_timeouts_total", {{"phase", "result"}}) >= 1);
}

TEST_CASE("close() gives up after close_timeout when Deepgram never ends the stream") {
  // Every server message stalls for 10 s, the CloseStream answer included.
  SttFixture f(R"({"faults":[{"endpoint":"stt","type":"stall","after_messages":0,"stall_ms":10000}]})");
  auto rec = std::make_shared<SttRecorder>();
  auto o = f.options();
  o.close_timeout = 500ms;
  auto stream = open_stream(f, o, rec);
  push_paced(*stream, make_audio(1600));
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.code() == StatusCode::kTimeout);
  CHECK_FALSE(rec->closed()->metadata_received);
  CHECK(f.counter("voxline_stt_timeouts_total", {{"phase", "close"}}) == 1);
  bool close_stream_sent = false;
  for (const auto &c : f.controls())
    if (c.text == R"({"type":"CloseStream"})") close_stream_sent = true;
  CHECK(close_stream_sent);
}

TEST_CASE("a Finalize left unanswered by a dropped connection is sent again after the replay") {
  // Connection 1 answers everything 6 s late and drops after 2.5 s, so the Finalize gets no reply.
  SttFixture f(R"({"stt":{"latency_ms":6000,"utterances":[{"start_ms":200,"end_ms":3000,
      "text":"hold on a second please","interims":0,"pieces":1,"utterance_end":false}]},
    "faults":[{"endpoint":"stt","type":"drop","after_ms":2500,"first_n":1}]})");
  auto rec = std::make_shared<SttRecorder>();
  rec->set_reconnecting_hook([&f](const SttReconnectInfo &) {
    CHECK(f.sim
              ->load_scenario(R"({"stt":{"utterances":[{"start_ms":200,"end_ms":3000,
                  "text":"hold on a second please","interims":0,"pieces":1,"utterance_end":false}]}})")
              .ok());
  });
  auto o = f.options();
  o.stt.utterance_end_ms = 0;
  auto stream = open_stream(f, o, rec);
  push_paced(*stream, make_audio(8000));
  REQUIRE(stream->finalize().ok());
  REQUIRE(rec->wait([&] {
    for (const auto &t : rec->transcripts())
      if (t.from_finalize) return true;
    return rec->closed_count() > 0;
  }));
  auto reconnected = rec->reconnected();
  REQUIRE(reconnected.size() == 1);
  CHECK(reconnected[0].clock_offset_s == doctest::Approx(0.0));  // nothing was final: all of it replayed
  REQUIRE(stream->close().ok());
  REQUIRE(rec->wait_closed());
  CHECK(rec->closed()->status.ok());
  std::vector<FixtureControl> finalizes;
  for (const auto &c : f.controls())
    if (c.text.find("Finalize") != std::string::npos) finalizes.push_back(c);
  REQUIRE(finalizes.size() == 2);
  CHECK(finalizes[0].connection_id != finalizes[1].connection_id);
  CHECK(finalizes[1].audio_before == reconnected[0].replayed_bytes);  // after the whole replay
  CHECK(stream->stats().finalizes_sent == 2);
}
