// Simulated Deepgram live STT: transcripts at audio offsets, query-parameter gating, utterances,
// Finalize, CloseStream + Metadata, KeepAlive and idle close, handshake validation.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "integration/sim/raw_ws_client.hpp"
#include "integration/sim/sim_test_util.hpp"

namespace voxline::simtest {
namespace {

WsConnectOptions dg_auth(const std::string &scheme = "Token") {
  WsConnectOptions o;
  o.headers["Authorization"] = scheme + " test-key";
  return o;
}

// `ms` of silence: mulaw 0xFF, linear16 zeros.
std::string silence(int ms, const std::string &encoding = "mulaw", int rate = 8000, int channels = 1) {
  const int bps = encoding == "linear16" ? 2 : 1;
  return std::string(static_cast<size_t>(rate / 1000 * ms * bps * channels),
                     encoding == "mulaw" ? '\xFF' : '\0');
}

const char *kScript = R"({"stt":{"events":[
    {"at_ms":200,"type":"SpeechStarted"},
    {"at_ms":400,"type":"interim","text":"i need"},
    {"at_ms":800,"type":"final","text":"I need an oil change.","speech_final":true},
    {"at_ms":1900,"type":"UtteranceEnd"}]}})";

const char *kAllOn =
    "/v1/listen?model=nova-3&encoding=mulaw&sample_rate=8000&channels=1&interim_results=true"
    "&utterance_end_ms=1000&vad_events=true&endpointing=300&keyterm=VIN&keyterm=oil%20change";

}  // namespace

TEST_CASE("stt emits the scripted transcripts when the received audio reaches their offsets") {
  auto sim = start_sim(kScript);
  RawWsClient ws;
  REQUIRE_MESSAGE(ws.connect(sim->port(), kAllOn, dg_auth()), ws.error());
  CHECK(ws.response_header("dg-request-id").size() == 36);
  // 100 ms frames; nothing may arrive before the audio reaches 200 ms.
  REQUIRE(ws.send_binary(silence(100)));
  CHECK(ws.recv(150).type == WsFrame::Type::kTimeout);
  REQUIRE(ws.send_binary(silence(100)));
  WsFrame started = ws.recv();
  REQUIRE(started.type == WsFrame::Type::kText);
  json::Document s = parse_json(started.payload);
  CHECK(str(s["type"]) == "SpeechStarted");
  CHECK(s["timestamp"].GetDouble() == doctest::Approx(0.2));
  CHECK(ws.recv(100).type == WsFrame::Type::kTimeout);
  REQUIRE(ws.send_binary(silence(250)));  // 450 ms
  json::Document interim = parse_json(ws.recv().payload);
  CHECK(str(interim["type"]) == "Results");
  CHECK_FALSE(interim["is_final"].GetBool());
  CHECK(str(interim["channel"]["alternatives"][0]["transcript"]) == "i need");
  CHECK(interim["start"].GetDouble() == doctest::Approx(0.0));
  CHECK(interim["duration"].GetDouble() == doctest::Approx(0.4));
  CHECK(ws.recv(100).type == WsFrame::Type::kTimeout);
  REQUIRE(ws.send_binary(silence(400)));  // 850 ms
  json::Document fin = parse_json(ws.recv().payload);
  CHECK(fin["is_final"].GetBool());
  CHECK(fin["speech_final"].GetBool());
  CHECK_FALSE(fin["from_finalize"].GetBool());
  CHECK(fin["channel_index"][0].GetInt() == 0);
  CHECK(fin["channel_index"][1].GetInt() == 1);
  const auto &alt = fin["channel"]["alternatives"][0];
  CHECK(str(alt["transcript"]) == "I need an oil change.");
  REQUIRE(alt["words"].Size() == 5);
  CHECK(str(alt["words"][4]["word"]) == "change");
  CHECK(str(alt["words"][4]["punctuated_word"]) == "change.");
  CHECK(alt["words"][4]["end"].GetDouble() == doctest::Approx(0.8));
  CHECK(str(fin["metadata"]["request_id"]) == ws.response_header("dg-request-id"));
  REQUIRE(ws.send_binary(silence(1100)));  // 1950 ms
  json::Document ue = parse_json(ws.recv().payload);
  CHECK(str(ue["type"]) == "UtteranceEnd");
  CHECK(ue["last_word_end"].GetDouble() == doctest::Approx(0.8));

  auto rec = sim->recorded("stt");
  REQUIRE(!rec.empty());
  CHECK(rec[0].kind == "handshake");
  CHECK(rec[0].path.find("keyterm=oil change") != std::string::npos);
  int audio_frames = 0;
  for (const auto &m : rec)
    if (m.direction == "in" && m.kind == "binary") ++audio_frames;
  CHECK(audio_frames == 5);
}

TEST_CASE("stt sends interims, SpeechStarted and UtteranceEnd only when the query enables them") {
  auto sim = start_sim(kScript);
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&channels=2",
                     dg_auth("Bearer")));
  REQUIRE(ws.send_binary(silence(2000, "linear16", 16000, 2)));
  WsFrame only = ws.recv();
  json::Document d = parse_json(only.payload);
  CHECK(str(d["type"]) == "Results");
  CHECK(d["is_final"].GetBool());
  CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
}

TEST_CASE(
    "stt utterances expand into interims, final pieces, speech_final after endpointing and UtteranceEnd") {
  auto sim = start_sim(R"({"stt":{"utterances":[
      {"start_ms":100,"end_ms":1100,"text":"Book me in for Friday morning please","interims":2,"pieces":2}]}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(),
                     "/v1/listen?model=nova-3&encoding=mulaw&sample_rate=8000&interim_results=true"
                     "&utterance_end_ms=1000&vad_events=true&endpointing=300",
                     dg_auth()));
  REQUIRE(ws.send_binary(silence(2500)));
  std::vector<std::string> types;
  std::vector<std::string> finals;
  bool speech_final_last = false;
  double final_end = 0;
  for (int i = 0; i < 6; ++i) {
    WsFrame f = ws.recv();
    REQUIRE(f.type == WsFrame::Type::kText);
    json::Document d = parse_json(f.payload);
    std::string t = str(d["type"]);
    if (t == "Results") t = d["is_final"].GetBool() ? "final" : "interim";
    types.push_back(t);
    if (t == "final") {
      finals.push_back(str(d["channel"]["alternatives"][0]["transcript"]));
      speech_final_last = d["speech_final"].GetBool();
      final_end = d["start"].GetDouble() + d["duration"].GetDouble();
    }
  }
  CHECK(types ==
        std::vector<std::string>{"SpeechStarted", "interim", "final", "interim", "final", "UtteranceEnd"});
  REQUIRE(finals.size() == 2);
  CHECK(finals[0] + " " + finals[1] == "Book me in for Friday morning please");
  CHECK(speech_final_last);
  CHECK(final_end == doctest::Approx(1.4));  // end_ms + endpointing
}

TEST_CASE("stt Finalize returns the in-progress final with from_finalize and it is not repeated") {
  auto sim = start_sim(R"({"stt":{"events":[
      {"at_ms":300,"type":"interim","text":"my car"},
      {"at_ms":2000,"type":"final","text":"My car is making a noise.","speech_final":true,"start_ms":100}]}})");
  RawWsClient ws;
  REQUIRE(
      ws.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000&interim_results=true", dg_auth()));
  REQUIRE(ws.send_binary(silence(500)));
  CHECK_FALSE(parse_json(ws.recv().payload)["is_final"].GetBool());
  REQUIRE(ws.send_text(R"({"type":"Finalize"})"));
  json::Document f = parse_json(ws.recv().payload);
  CHECK(f["is_final"].GetBool());
  CHECK(f["from_finalize"].GetBool());
  CHECK_FALSE(f["speech_final"].GetBool());
  CHECK(str(f["channel"]["alternatives"][0]["transcript"]) == "My car is making a noise.");
  REQUIRE(ws.send_binary(silence(2000)));
  CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
  // With nothing in progress, Finalize answers nothing (Deepgram does not guarantee a reply).
  REQUIRE(ws.send_text(R"({"type":"Finalize","channel":0})"));
  CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
}

TEST_CASE("stt CloseStream flushes the pending final, sends Metadata and closes 1000") {
  auto sim = start_sim(R"({"stt":{"events":[{"at_ms":5000,"type":"final","text":"Thanks, bye."}]}})");
  for (const bool empty_frame : {false, true}) {
    CAPTURE(empty_frame);
    RawWsClient ws;
    REQUIRE(ws.connect(sim->port(), "/v1/listen?encoding=linear16&sample_rate=16000", dg_auth()));
    REQUIRE(ws.send_binary(silence(1500, "linear16", 16000)));
    if (empty_frame) {
      REQUIRE(ws.send_binary(""));
    } else {
      REQUIRE(ws.send_text(R"({"type":"CloseStream"})"));
    }
    auto frames = ws.recv_until_closed();
    REQUIRE(frames.size() == 3);
    json::Document fin = parse_json(frames[0].payload);
    CHECK(str(fin["channel"]["alternatives"][0]["transcript"]) == "Thanks, bye.");
    json::Document meta = parse_json(frames[1].payload);
    CHECK(str(meta["type"]) == "Metadata");
    CHECK(str(meta["transaction_key"]) == "deprecated");
    CHECK(meta["duration"].GetDouble() == doctest::Approx(1.5));
    CHECK(meta["channels"].GetInt() == 1);
    CHECK(str(meta["sha256"]).size() == 64);
    CHECK(frames[2].type == WsFrame::Type::kClose);
    CHECK(frames[2].close_code == 1000);
  }
}

TEST_CASE("stt KeepAlive keeps the socket open and silence closes it with 1011 NET-0001") {
  auto sim = start_sim(R"({"stt":{"idle_timeout_ms":600}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000", dg_auth()));
  REQUIRE(ws.send_binary(silence(100)));
  for (int i = 0; i < 3; ++i) {
    CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
    REQUIRE(ws.send_text(R"({"type":"KeepAlive"})"));
  }
  WsFrame closed = ws.recv(2000);
  REQUIRE(closed.type == WsFrame::Type::kClose);
  CHECK(closed.close_code == 1011);
  CHECK(closed.payload.find("net0001") != std::string::npos);
  CHECK(closed.t_ms >= 1000);  // three KeepAlives 200 ms apart pushed the 600 ms idle close out
}

TEST_CASE("stt refuses bad credentials and bad query parameters with real HTTP statuses at the handshake") {
  auto sim = start_sim();
  struct Case {
    std::string path;
    WsConnectOptions opts;
    int status;
    const char *error_part;
  };
  WsConnectOptions none;
  WsConnectOptions wrong;
  wrong.headers["Authorization"] = "Token nope";
  const Case cases[] = {
      {"/v1/listen?encoding=mulaw&sample_rate=8000", none, 401, "Invalid credentials"},
      {"/v1/listen?encoding=mulaw&sample_rate=8000", wrong, 401, "Invalid credentials"},
      {"/v1/listen?encoding=opus&sample_rate=48000", dg_auth(), 400, "linear16"},
      {"/v1/listen?encoding=mp3&sample_rate=8000", dg_auth(), 400, "encoding"},
      {"/v1/listen?encoding=mulaw", dg_auth(), 400, "sample_rate"},
      {"/v1/listen?encoding=mulaw&sample_rate=8000&interim_result=true", dg_auth(), 400, "interim_result"},
      {"/v1/listen?encoding=mulaw&sample_rate=8000&punctuate=yes", dg_auth(), 400, "punctuate"},
      {"/v1/listen?model=nova-2&encoding=mulaw&sample_rate=8000&keyterm=VIN", dg_auth(), 400, "Nova-3"},
      {"/v1/listen?sample_rate=8000", dg_auth(), 400, "encoding"},
  };
  for (const Case &c : cases) {
    CAPTURE(c.path);
    RawWsClient ws;
    CHECK_FALSE(ws.connect(sim->port(), c.path, c.opts));
    CHECK(ws.status() == c.status);
    CHECK(ws.response_header("dg-request-id").size() == 36);
    CHECK(ws.response_header("dg-error").find(c.error_part) != std::string::npos);
    CHECK(ws.response_body().find("err_msg") != std::string::npos);
  }
  CHECK(sim->open_connections() == 0);
}

TEST_CASE("stt closes with 1008 on an unknown control message and on containerized audio") {
  auto sim = start_sim();
  RawWsClient a;
  REQUIRE(a.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000", dg_auth()));
  REQUIRE(a.send_text(R"({"type":"Flush"})"));
  WsFrame c1 = a.recv();
  CHECK(c1.type == WsFrame::Type::kClose);
  CHECK(c1.close_code == 1008);
  CHECK(c1.payload.find("Flush") != std::string::npos);
  RawWsClient b;
  REQUIRE(b.connect(sim->port(), "/v1/listen?encoding=linear16&sample_rate=16000", dg_auth()));
  REQUIRE(b.send_binary(std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16) + std::string(100, '\0')));
  WsFrame c2 = b.recv();
  CHECK(c2.type == WsFrame::Type::kClose);
  CHECK(c2.close_code == 1008);
  CHECK(c2.payload.find("DATA-0000") != std::string::npos);
  RawWsClient c;
  REQUIRE(c.connect(sim->port(), "/v1/listen?encoding=linear16&sample_rate=16000", dg_auth()));
  REQUIRE(c.send_text("KeepAlive"));
  CHECK(c.recv().close_code == 1008);
}

}  // namespace voxline::simtest
