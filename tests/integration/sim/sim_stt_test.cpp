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
                     dg_auth()));
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
  for (int i = 0; i < 7; ++i) {
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
  // The first final is the empty one covering the 100 ms of silence before the speech.
  CHECK(types == std::vector<std::string>{"SpeechStarted", "final", "interim", "final", "interim", "final",
                                          "UtteranceEnd"});
  REQUIRE(finals.size() == 3);
  CHECK(finals[0].empty());
  CHECK(finals[1] + " " + finals[2] == "Book me in for Friday morning please");
  CHECK(speech_final_last);
  CHECK(final_end == doctest::Approx(1.4));  // end_ms + endpointing
}

TEST_CASE("stt Finalize flushes only the words heard so far and later results never repeat them") {
  // Seven words of 200 ms each, ending at 400, 600, ... 1600 ms of audio.
  auto sim = start_sim(R"({"stt":{"utterances":[
      {"start_ms":200,"end_ms":1600,"text":"My car is making a strange noise","interims":3}]}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(),
                     "/v1/listen?encoding=mulaw&sample_rate=8000&interim_results=true&endpointing=300",
                     dg_auth()));
  REQUIRE(ws.send_binary(silence(1000)));
  std::vector<json::Document> before;  // silence final [0, 0.2], interims "My" and "My car is"
  for (WsFrame f = ws.recv(300); f.type == WsFrame::Type::kText; f = ws.recv(300))
    before.push_back(parse_json(f.payload));
  REQUIRE(before.size() == 3);
  CHECK(str(before[2]["channel"]["alternatives"][0]["transcript"]) == "My car is");
  REQUIRE(ws.send_text(R"({"type":"Finalize"})"));
  json::Document f = parse_json(ws.recv().payload);
  CHECK(f["is_final"].GetBool());
  CHECK(f["from_finalize"].GetBool());
  CHECK_FALSE(f["speech_final"].GetBool());
  // Heard by 1000 ms: the words ending by then, not the whole scripted sentence.
  CHECK(str(f["channel"]["alternatives"][0]["transcript"]) == "My car is making");
  CHECK(f["start"].GetDouble() == doctest::Approx(0.2));
  CHECK(f["duration"].GetDouble() == doctest::Approx(0.8));
  const auto &fw = f["channel"]["alternatives"][0]["words"];
  REQUIRE(fw.Size() == 4);
  CHECK(fw[3]["end"].GetDouble() == doctest::Approx(1.0));
  REQUIRE(ws.send_binary(silence(1000)));
  std::vector<json::Document> after;
  for (WsFrame g = ws.recv(300); g.type == WsFrame::Type::kText; g = ws.recv(300))
    after.push_back(parse_json(g.payload));
  REQUIRE(after.size() == 2);
  CHECK_FALSE(after[0]["is_final"].GetBool());
  CHECK(str(after[0]["channel"]["alternatives"][0]["transcript"]) == "a");
  CHECK(after[1]["is_final"].GetBool());
  CHECK(after[1]["speech_final"].GetBool());
  CHECK(str(after[1]["channel"]["alternatives"][0]["transcript"]) == "a strange noise");
  for (const auto &d : after) {
    CHECK(d["start"].GetDouble() == doctest::Approx(1.0));  // the window after the flushed one
    for (const auto &w : d["channel"]["alternatives"][0]["words"].GetArray())
      CHECK(w["start"].GetDouble() >= 1.0);
  }
  // With the utterance final, nothing is in progress: Finalize answers nothing.
  REQUIRE(ws.send_text(R"({"type":"Finalize","channel":0})"));
  CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
}

TEST_CASE("stt words end where the speech ends and UtteranceEnd comes utterance_end_ms after the last word") {
  // Speech 100..1100 ms; the final waits for 300 ms of endpointing silence.
  auto sim = start_sim(R"({"stt":{"utterances":[
      {"start_ms":100,"end_ms":1100,"text":"I need an oil change.","interims":0}]}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(),
                     "/v1/listen?encoding=mulaw&sample_rate=8000&interim_results=true&endpointing=300"
                     "&utterance_end_ms=1000",
                     dg_auth()));
  REQUIRE(ws.send_binary(silence(2000)));
  std::vector<json::Document> got;
  for (WsFrame f = ws.recv(300); f.type == WsFrame::Type::kText; f = ws.recv(300))
    got.push_back(parse_json(f.payload));
  REQUIRE(got.size() == 2);  // the empty final of the leading silence, then the utterance
  const json::Document &fin = got[1];
  CHECK(fin["speech_final"].GetBool());
  CHECK(fin["start"].GetDouble() + fin["duration"].GetDouble() ==
        doctest::Approx(1.4));  // window: to the endpoint
  const auto &words = fin["channel"]["alternatives"][0]["words"];
  REQUIRE(words.Size() == 5);
  CHECK(words[0]["start"].GetDouble() == doctest::Approx(0.1));
  CHECK(words[4]["end"].GetDouble() == doctest::Approx(1.1));  // not stretched over the silence
  for (const auto &w : words.GetArray()) CHECK(w["end"].GetDouble() <= 1.1 + 1e-9);
  // UtteranceEnd is due 1000 ms after the last word: at 2100 ms of audio, not before.
  REQUIRE(ws.send_binary(silence(90)));
  CHECK(ws.recv(200).type == WsFrame::Type::kTimeout);
  REQUIRE(ws.send_binary(silence(10)));
  json::Document ue = parse_json(ws.recv().payload);
  CHECK(str(ue["type"]) == "UtteranceEnd");
  CHECK(ue["last_word_end"].GetDouble() == doctest::Approx(1.1));
}

TEST_CASE(
    "stt finals tile the audio with empty finals over silence, and interims start where their final starts") {
  auto sim = start_sim(R"({"stt":{"utterances":[
      {"start_ms":300,"end_ms":900,"text":"Hello there","interims":2},
      {"start_ms":2000,"end_ms":2600,"text":"How are you today","interims":2}]}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(),
                     "/v1/listen?encoding=mulaw&sample_rate=8000&interim_results=true&endpointing=200",
                     dg_auth()));
  for (int i = 0; i < 35; ++i) REQUIRE(ws.send_binary(silence(100)));
  REQUIRE(ws.send_text(R"({"type":"CloseStream"})"));
  std::vector<json::Document> results;
  for (const WsFrame &f : ws.recv_until_closed()) {
    if (f.type != WsFrame::Type::kText) continue;
    json::Document d = parse_json(f.payload);
    if (str(d["type"]) == "Results") results.push_back(std::move(d));
  }
  std::vector<std::string> finals;
  double cursor = 0;
  size_t interims = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const json::Document &r = results[i];
    const double start = r["start"].GetDouble();
    const double end = start + r["duration"].GetDouble();
    const std::string text = str(r["channel"]["alternatives"][0]["transcript"]);
    CAPTURE(i);
    CAPTURE(text);
    if (!r["is_final"].GetBool()) {
      ++interims;
      CHECK(start == doctest::Approx(cursor));  // the window continues from the last final
      for (size_t j = i + 1; j < results.size(); ++j) {
        if (!results[j]["is_final"].GetBool()) continue;
        CHECK(results[j]["start"].GetDouble() == doctest::Approx(start));  // and its final shares it
        break;
      }
      continue;
    }
    CHECK(start == doctest::Approx(cursor));  // no gap, no overlap
    cursor = end;
    finals.push_back(text);
  }
  CHECK(cursor == doctest::Approx(3.5));  // the trailing silence too, at CloseStream
  CHECK(interims == 3);                   // "Hello", "How", "How are"
  CHECK(finals == std::vector<std::string>{"", "Hello there", "", "How are you today", ""});
}

TEST_CASE("stt CloseStream flushes the pending final, sends Metadata and closes 1000") {
  // Spoken by 1200 ms; the endpoint would only come at 5000.
  auto sim =
      start_sim(R"({"stt":{"events":[{"at_ms":5000,"type":"final","text":"Thanks, bye.","end_ms":1200}]}})");
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

TEST_CASE("stt closes a socket that only ever gets KeepAlive with 1011 NET-0001 once the timeout passes") {
  auto sim = start_sim(R"({"stt":{"idle_timeout_ms":600}})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000", dg_auth()));
  WsFrame f;
  for (int i = 0; i < 8; ++i) {  // KeepAlive every 150 ms for 1.2 s, but never any audio
    REQUIRE(ws.send_text(R"({"type":"KeepAlive"})"));
    f = ws.recv(150);
    if (f.type != WsFrame::Type::kTimeout) break;
  }
  REQUIRE(f.type == WsFrame::Type::kClose);
  CHECK(f.close_code == 1011);
  CHECK(f.payload.find("net0001") != std::string::npos);
  CHECK(f.t_ms < 1000);  // at the 600 ms timeout, KeepAlives notwithstanding
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
