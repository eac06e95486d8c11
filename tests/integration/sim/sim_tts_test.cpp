// Simulated Deepgram streaming TTS: Metadata, Speak/Flush -> audio + Flushed, pacing, Clear ->
// Cleared, Close, unknown types, flush limit, handshake validation, deterministic audio.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "integration/sim/raw_ws_client.hpp"
#include "integration/sim/sim_test_util.hpp"

namespace voxline::simtest {
namespace {

WsConnectOptions dg_auth() {
  WsConnectOptions o;
  o.headers["Authorization"] = "Token test-key";
  return o;
}

struct Turn {
  std::vector<WsFrame> audio;
  size_t bytes = 0;
  WsFrame end;  // the first text/close frame after the audio (or a timeout)
};

Turn read_turn(RawWsClient &ws, int timeout_ms = 2000) {
  Turn t;
  while (true) {
    WsFrame f = ws.recv(timeout_ms);
    if (f.type == WsFrame::Type::kBinary) {
      t.bytes += f.payload.size();
      t.audio.push_back(std::move(f));
      continue;
    }
    t.end = std::move(f);
    return t;
  }
}

}  // namespace

TEST_CASE("tts sends Metadata, then audio of the flushed text in chunks, then Flushed with increasing ids") {
  auto sim = start_sim(R"({"tts":{"ms_per_char":10,"chunk_ms":20}})");
  RawWsClient ws;
  REQUIRE_MESSAGE(
      ws.connect(sim->port(), "/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000", dg_auth()),
      ws.error());
  CHECK(ws.response_header("dg-request-id").size() == 36);
  json::Document meta = parse_json(ws.recv().payload);
  CHECK(str(meta["type"]) == "Metadata");
  CHECK(str(meta["model_name"]) == "aura-2-thalia-en");
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"Your car is "})"));
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"ready."})"));  // 18 characters in total
  CHECK(ws.recv(150).type == WsFrame::Type::kTimeout);           // nothing before Flush
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  Turn t = read_turn(ws);
  CHECK(t.bytes == 18 * 10 * 8);  // 180 ms of 8 kHz mu-law
  REQUIRE(t.audio.size() == 9);   // 20 ms = 160-byte frames
  for (const auto &f : t.audio) CHECK(f.payload.size() == 160);
  json::Document flushed = parse_json(t.end.payload);
  CHECK(str(flushed["type"]) == "Flushed");
  CHECK(flushed["sequence_id"].GetInt() == 0);
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"Bye."})"));
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  Turn t2 = read_turn(ws);
  CHECK(t2.bytes == 4 * 10 * 8);
  CHECK(parse_json(t2.end.payload)["sequence_id"].GetInt() == 1);
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));  // empty buffer: just Flushed
  Turn t3 = read_turn(ws);
  CHECK(t3.bytes == 0);
  CHECK(str(parse_json(t3.end.payload)["type"]) == "Flushed");
}

TEST_CASE("tts paces audio frames at the scripted realtime factor") {
  auto sim = start_sim(R"({"tts":{"ms_per_char":25,"chunk_ms":50,"realtime_factor":2}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/speak?encoding=linear16&sample_rate=16000", dg_auth()));
  ws.recv();
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"twenty characters!!!"})"));  // 500 ms of audio
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  Turn t = read_turn(ws);
  CHECK(t.bytes == 500 * 32);  // 16 kHz linear16 = 32 bytes per ms
  REQUIRE(t.audio.size() == 10);
  CHECK(t.audio.front().payload.size() == 1600);
  // 500 ms at twice real time: ~225 ms between the first and the last frame.
  const int64_t spread = t.audio.back().t_ms - t.audio.front().t_ms;
  CHECK(spread >= 180);
  CHECK(spread < 5000);
}

TEST_CASE("tts Clear drops queued audio and the pending Flushed and answers Cleared at once") {
  auto sim = start_sim(R"({"tts":{"ms_per_char":50,"chunk_ms":20,"realtime_factor":1}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/speak?encoding=mulaw&sample_rate=8000", dg_auth()));
  ws.recv();
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"This answer takes two seconds to say."})"));
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  WsFrame first = ws.recv();
  REQUIRE(first.type == WsFrame::Type::kBinary);
  REQUIRE(ws.send_text(R"({"type":"Clear"})"));
  size_t audio_after_clear = 0;
  WsFrame f;
  while ((f = ws.recv()).type == WsFrame::Type::kBinary) audio_after_clear++;
  REQUIRE(f.type == WsFrame::Type::kText);
  json::Document cleared = parse_json(f.payload);
  CHECK(str(cleared["type"]) == "Cleared");
  CHECK(cleared["sequence_id"].GetInt() == 0);
  CHECK(audio_after_clear < 40);      // only frames already in flight, not the 92 frames of the answer
  CHECK(f.t_ms - first.t_ms < 1500);  // not after the whole 1.85 s answer
  CHECK(ws.recv(300).type == WsFrame::Type::kTimeout);  // no audio, no Flushed after Cleared
  // The socket is reusable after Cleared.
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"Ok."})"));
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  Turn t = read_turn(ws);
  CHECK(t.bytes == 3 * 50 * 8);
  CHECK(parse_json(t.end.payload)["sequence_id"].GetInt() == 1);
}

TEST_CASE("tts Close closes with 1000 at once, without the queued audio or a Flushed") {
  // 100 characters = 2 s of audio paced in real time: Close lands while most of it is queued.
  auto sim = start_sim(R"({"tts":{"ms_per_char":20,"realtime_factor":1}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/speak?encoding=mulaw&sample_rate=8000", dg_auth()));
  ws.recv();
  REQUIRE(ws.send_text(std::string(R"({"type":"Speak","text":")") + std::string(100, 'a') + "\"}"));
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  WsFrame first = ws.recv();
  REQUIRE(first.type == WsFrame::Type::kBinary);
  REQUIRE(ws.send_text(R"({"type":"Close"})"));
  auto frames = ws.recv_until_closed();
  REQUIRE(!frames.empty());
  size_t bytes = first.payload.size();
  for (const auto &f : frames) {
    if (f.type == WsFrame::Type::kBinary) bytes += f.payload.size();
    CHECK(f.type != WsFrame::Type::kText);  // no Flushed: Deepgram sends nothing more
  }
  CHECK(bytes < 100 * 20 * 8 / 2);  // frames already in flight at most, not the 2 s answer
  CHECK(frames.back().type == WsFrame::Type::kClose);
  CHECK(frames.back().close_code == 1000);
  CHECK(frames.back().t_ms - first.t_ms < 500);
}

TEST_CASE("tts closes 1008 on an unknown type such as Reset and 1003 on unparseable or binary input") {
  auto sim = start_sim();
  struct Case {
    bool binary;
    const char *msg;
    int code;
  };
  for (const Case &c : {Case{false, R"({"type":"Reset"})", 1008}, Case{false, "not json", 1003},
                        Case{true, "\x01\x02", 1003}, Case{false, R"({"type":"Speak"})", 1008}}) {
    CAPTURE(c.msg);
    RawWsClient ws;
    REQUIRE(ws.connect(sim->port(), "/v1/speak?encoding=mulaw&sample_rate=8000", dg_auth()));
    ws.recv();
    REQUIRE((c.binary ? ws.send_binary(c.msg) : ws.send_text(c.msg)));
    WsFrame f = ws.recv();
    CHECK(f.type == WsFrame::Type::kClose);
    CHECK(f.close_code == c.code);
  }
}

TEST_CASE("tts warns and ignores Flush beyond the per-minute limit") {
  auto sim = start_sim(R"({"tts":{"flush_limit_per_minute":2,"ms_per_char":1}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/speak?encoding=mulaw&sample_rate=8000", dg_auth()));
  ws.recv();
  for (int i = 0; i < 2; ++i) {
    REQUIRE(ws.send_text(R"({"type":"Flush"})"));
    CHECK(str(parse_json(ws.recv().payload)["type"]) == "Flushed");
  }
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  json::Document w = parse_json(ws.recv().payload);
  CHECK(str(w["type"]) == "Warning");
  CHECK(str(w["code"]) == "FLUSH_LIMIT");
  CHECK(str(w["warn_msg"]).size() > 0);
  CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
}

TEST_CASE("tts validates encoding, sample rate and container at the handshake") {
  auto sim = start_sim();
  for (const char *path : {"/v1/speak?encoding=mp3", "/v1/speak?encoding=linear16&sample_rate=44100",
                           "/v1/speak?encoding=mulaw&sample_rate=8k", "/v1/speak?container=wav"}) {
    CAPTURE(path);
    RawWsClient ws;
    CHECK_FALSE(ws.connect(sim->port(), path, dg_auth()));
    CHECK(ws.status() == 400);
    CHECK(!ws.response_header("dg-error").empty());
  }
  RawWsClient noauth;
  CHECK_FALSE(noauth.connect(sim->port(), "/v1/speak"));
  CHECK(noauth.status() == 401);
  RawWsClient lenient;
  CHECK(lenient.connect(
      sim->port(), "/v1/speak?model=aura-2-helena-en&encoding=alaw&container=none&speed=1.1", dg_auth()));
}

TEST_CASE("tts audio is deterministic and matches the requested encoding") {
  auto sim = start_sim(R"({"tts":{"ms_per_char":10,"waveform":"silence"}})");
  auto speak = [&](const std::string &path) {
    RawWsClient ws;
    REQUIRE(ws.connect(sim->port(), path, dg_auth()));
    ws.recv();
    REQUIRE(ws.send_text(R"({"type":"Speak","text":"Hello"})"));
    REQUIRE(ws.send_text(R"({"type":"Flush"})"));
    std::string audio;
    for (const auto &f : read_turn(ws).audio) audio += f.payload;
    return audio;
  };
  CHECK(speak("/v1/speak?encoding=mulaw&sample_rate=8000") == std::string(400, '\xFF'));  // mu-law silence
  CHECK(speak("/v1/speak?encoding=linear16&sample_rate=8000") == std::string(800, '\0'));
  REQUIRE(sim->load_scenario(R"({"tts":{"ms_per_char":10,"waveform":"tone"}})").ok());
  std::string a = speak("/v1/speak?encoding=linear16&sample_rate=24000");
  std::string b = speak("/v1/speak");  // defaults: linear16 at 24 kHz
  CHECK(a.size() == 50 * 48);
  CHECK(a == b);
  CHECK(a != std::string(a.size(), '\0'));
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("tts cuts the connection when Speak text exceeds char_limit_per_minute") {
  auto sim = start_sim(R"({"tts":{"char_limit_per_minute":30}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/speak?encoding=mulaw&sample_rate=8000", dg_auth()));
  ws.recv();
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"Twenty characters!! "})"));
  CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"and twenty more....."})"));
  CHECK(ws.recv().type == WsFrame::Type::kEof);
}

}  // namespace voxline::simtest
