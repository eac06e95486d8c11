// voxline-sim basics: ports, TLS, /test/echo, /test/sse, scenario validation, recording, the program.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>

#include "integration/sim/http_test_client.hpp"
#include "integration/sim/raw_ws_client.hpp"
#include "integration/sim/sim_test_util.hpp"
#include "support/temp_dir.hpp"

extern char **environ;

namespace voxline::simtest {

TEST_CASE("sim start picks a free port and the echo endpoint returns text and binary with the same opcode") {
  auto sim = start_sim();
  CHECK(sim->port() > 0);
  CHECK(sim->ws_url("/v1/listen") == "ws://127.0.0.1:" + std::to_string(sim->port()) + "/v1/listen");
  CHECK(sim->http_url("/v1/chat/completions") ==
        "http://127.0.0.1:" + std::to_string(sim->port()) + "/v1/chat/completions");
  RawWsClient ws;
  REQUIRE_MESSAGE(ws.connect(sim->port(), "/test/echo"), ws.error());
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  std::string big(200000, 'x');
  REQUIRE(ws.send_text("hello"));
  REQUIRE(ws.send_binary(binary));
  REQUIRE(ws.send_text(big));
  WsFrame a = ws.recv(), b = ws.recv(), c = ws.recv();
  CHECK(a.type == WsFrame::Type::kText);
  CHECK(a.payload == "hello");
  CHECK(b.type == WsFrame::Type::kBinary);
  CHECK(b.payload == binary);
  CHECK(c.type == WsFrame::Type::kText);
  CHECK(c.payload.size() == big.size());
  CHECK(wait_for([&] { return sim->open_connections() == 1; }));
  REQUIRE(ws.send_close(1000, "bye"));
  WsFrame closed = ws.recv();
  CHECK(closed.type == WsFrame::Type::kClose);
  CHECK(wait_for([&] { return sim->open_connections() == 0; }));

  auto rec = sim->recorded("echo");
  REQUIRE(rec.size() >= 7);
  CHECK(rec[0].kind == "handshake");
  CHECK(rec[0].status == 101);
  CHECK(rec[1].direction == "in");
  CHECK(rec[1].kind == "text");
  CHECK(rec[1].payload == "hello");
  bool client_close = false;
  for (const auto &m : rec)
    if (m.kind == "close" && m.direction == "in" && m.status == 1000 && m.payload == "1000 bye")
      client_close = true;
  CHECK(client_close);
  for (size_t i = 1; i < rec.size(); ++i) CHECK(rec[i].t_ms >= rec[i - 1].t_ms);
  CHECK(sim->accepted("echo") == 1);
}

TEST_CASE("sim serves wss and https with a test certificate that a client verifies against its CA") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  REQUIRE(sim::write_test_certificate(dir.file("cert.pem"), dir.file("key.pem")).ok());
  sim::SimOptions opts;
  opts.tls_cert_file = dir.file("cert.pem");
  opts.tls_key_file = dir.file("key.pem");
  auto sim = start_sim("", opts);
  CHECK(sim->tls());
  CHECK(sim->ws_url("/test/echo").rfind("wss://127.0.0.1:", 0) == 0);
  CHECK(sim->http_url("/test/sse").rfind("https://127.0.0.1:", 0) == 0);

  WsConnectOptions wo;
  wo.tls = true;
  wo.ca_file = dir.file("cert.pem");
  for (const char *host : {"127.0.0.1", "localhost"}) {
    wo.host_name = host;
    RawWsClient ws;
    REQUIRE_MESSAGE(ws.connect(sim->port(), "/test/echo", wo), ws.error());
    REQUIRE(ws.send_text("over tls"));
    CHECK(ws.recv().payload == "over tls");
  }

  HttpOptions ho;
  ho.ca_file = dir.file("cert.pem");
  HttpResult r = http_post(sim->http_url("/test/sse"), "", ho);
  CHECK(r.curl_code == 0);
  CHECK(r.status == 200);
  CHECK(sse_data(r.body) == std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "[DONE]"});

  SUBCASE("a drop fault over TLS cuts the connection and the process survives the broken pipe") {
    REQUIRE(sim->load_scenario(R"({"faults":[{"endpoint":"echo","type":"drop","after_messages":1},
                                           {"endpoint":"sse","type":"drop","after_messages":1}]})")
                .ok());
    RawWsClient ws;
    REQUIRE(ws.connect(sim->port(), "/test/echo", wo));
    REQUIRE(ws.send_text("one"));
    CHECK(ws.recv().payload == "one");
    REQUIRE(ws.send_text("two"));
    CHECK(ws.recv().type == WsFrame::Type::kEof);
    HttpResult cut = http_post(sim->http_url("/test/sse"), "", ho);
    CHECK(cut.curl_code != 0);
    CHECK(sse_data(cut.body).size() == 1);
  }
  SUBCASE("a client without the CA is refused") {
    WsConnectOptions untrusted;
    untrusted.tls = true;
    RawWsClient ws;
    CHECK_FALSE(ws.connect(sim->port(), "/test/echo", untrusted));
    CHECK(ws.error().find("TLS handshake failed") != std::string::npos);
    HttpResult bad = http_post(sim->http_url("/test/sse"), "");
    CHECK(bad.curl_code != 0);
  }
}

TEST_CASE("sim start refuses a certificate without a key and an invalid initial scenario") {
  sim::SimOptions opts;
  opts.tls_cert_file = "/nonexistent/cert.pem";
  auto r = sim::Simulator::start(opts);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  sim::SimOptions bad;
  bad.scenario_json = R"({"llm":{"rulez":[]}})";
  auto r2 = sim::Simulator::start(bad);
  CHECK(r2.status().code() == StatusCode::kInvalidArgument);
  CHECK(r2.status().message().find("scenario.llm.rulez") != std::string::npos);
}

TEST_CASE("load_scenario rejects bad scenarios with INVALID_ARGUMENT naming the field") {
  auto sim = start_sim();
  struct Case {
    const char *json;
    const char *field;
  };
  const Case cases[] = {
      {"{", "scenario"},
      {R"({"sst":{}})", "scenario.sst"},
      {R"({"stt":{"events":[{"at_ms":-5,"type":"final","text":"x"}]}})", "scenario.stt.events[0].at_ms"},
      {R"({"stt":{"events":[{"at_ms":5,"type":"Final","text":"x"}]}})", "scenario.stt.events[0].type"},
      {R"({"stt":{"events":[{"at_ms":5,"type":"final"}]}})", "scenario.stt.events[0].text"},
      {R"({"stt":{"utterances":[{"start_ms":500,"end_ms":100,"text":"x"}]}})",
       "scenario.stt.utterances[0].end_ms"},
      {R"({"stt":{"events":[{"at_ms":500,"type":"final","text":"x","end_ms":600}]}})",
       "scenario.stt.events[0].end_ms: must be <= at_ms"},
      {R"({"stt":{"events":[{"at_ms":500,"type":"final","text":"x","start_ms":300,"end_ms":200}]}})",
       "scenario.stt.events[0].end_ms: must be >= start_ms"},
      {R"({"stt":{"events":[{"at_ms":500,"type":"UtteranceEnd","end_ms":200}]}})",
       "scenario.stt.events[0].end_ms: only interim and final"},
      {R"({"tts":{"waveform":"square"}})", "scenario.tts.waveform"},
      {R"({"tts":{"chunk_ms":0}})", "scenario.tts.chunk_ms"},
      {R"({"llm":{"rules":[{"when":{"last_role":"robot"},"reply":{"content":"x"}}]}})",
       "scenario.llm.rules[0].when.last_role"},
      {R"({"llm":{"rules":[{"reply":{}}]}})", "scenario.llm.rules[0].reply"},
      {R"({"llm":{"default_reply":{"tool_calls":[{"name":"bad name"}]}}})",
       "scenario.llm.default_reply.tool_calls[0].name"},
      {R"({"faults":[{"endpoint":"llm","type":"close","close_code":1011,"after_messages":1}]})",
       "scenario.faults[0].type"},
      {R"({"faults":[{"endpoint":"tts","type":"status"}]})", "scenario.faults[0].status"},
      {R"({"faults":[{"endpoint":"stt","type":"drop"}]})", "scenario.faults[0]"},
      {R"({"faults":[{"endpoint":"ftp","type":"drop","after_ms":1}]})", "scenario.faults[0].endpoint"},
      {R"({"sse":{"events":[{"data":"x","bogus":1}]}})", "scenario.sse.events[0].bogus"},
  };
  for (const Case &c : cases) {
    CAPTURE(c.json);
    Status s = sim->load_scenario(c.json);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_MESSAGE(s.message().find(c.field) != std::string::npos, s.message());
  }
  CHECK(sim->load_scenario("").ok());
  CHECK(
      sim->load_scenario(R"({"llm":{"default_reply":{"content":"hi"}},"echo":{"require_auth":true}})").ok());
}

TEST_CASE("echo honours require_auth and refuses unknown websocket paths with a real HTTP status") {
  auto sim = start_sim(R"({"echo":{"require_auth":true}})");
  RawWsClient noauth;
  CHECK_FALSE(noauth.connect(sim->port(), "/test/echo"));
  CHECK(noauth.status() == 401);
  RawWsClient ok;
  WsConnectOptions o;
  o.headers["Authorization"] = "Bearer test-key";
  CHECK(ok.connect(sim->port(), "/test/echo", o));
  RawWsClient unknown;
  CHECK_FALSE(unknown.connect(sim->port(), "/v1/nothing", o));
  CHECK(unknown.status() == 404);
}

TEST_CASE("test sse streams the scripted events with their delays in one chunked response") {
  auto sim = start_sim(R"({"sse":{"events":[
      {"data":"first"},
      {"comment":" keep-alive","delay_ms":120},
      {"event":"update","id":"7","data":"line1\nline2","delay_ms":0},
      {"raw":"data: spl","delay_ms":80},
      {"raw":"it\n\n","delay_ms":80},
      {"data":"[DONE]"}]}})");
  HttpResult r = http_post(sim->http_url("/test/sse"), "");
  REQUIRE(r.curl_code == 0);
  CHECK(r.status == 200);
  CHECK(r.headers["content-type"] == "text/event-stream");
  CHECK(r.headers["transfer-encoding"] == "chunked");
  CHECK(sse_data(r.body) == std::vector<std::string>{"first", "line1\nline2", "split", "[DONE]"});
  CHECK(r.body.find(": keep-alive\n\n") != std::string::npos);
  CHECK(r.body.find("event: update\nid: 7\n") != std::string::npos);
  // The events are spread over time, not delivered in one burst.
  REQUIRE(r.chunks.size() >= 3);
  CHECK(r.chunks.back().t_ms - r.chunks.front().t_ms >= 250);
  auto out = sim->recorded("sse");
  int events = 0;
  for (const auto &m : out)
    if (m.direction == "out" && m.kind == "text") ++events;
  CHECK(events == 6);
}

TEST_CASE("test sse body overrides the script, status and CRLF framing") {
  auto sim = start_sim();
  HttpResult r =
      http_post(sim->http_url("/test/sse"),
                R"({"status":201,"crlf":true,"events":[{"data":{"a":1}},{"retry":50},{"data":"end"}]})");
  REQUIRE(r.curl_code == 0);
  CHECK(r.status == 201);
  CHECK(r.body == "data: {\"a\":1}\r\n\r\nretry: 50\r\n\r\ndata: end\r\n\r\n");
  HttpResult bad = http_post(sim->http_url("/test/sse"), R"({"events":[{"nope":1}]})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("body.events[0].nope") != std::string::npos);
}

TEST_CASE("a HEAD request gets the GET status and content-length without a body on a reusable connection") {
  auto sim = start_sim(R"({"sse":{"events":[{"data":"x"}]}})");
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(sim->port()));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // A HEAD, then a POST on the same connection: the second response must start right after the
  // first head, so no body bytes may follow the HEAD's empty line.
  const std::string reqs =
      "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      "POST /test/sse HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";
  REQUIRE(::write(fd, reqs.data(), reqs.size()) == static_cast<ssize_t>(reqs.size()));
  std::string in;
  char buf[4096];
  while (in.find("0\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  INFO(in);
  REQUIRE(in.rfind("HTTP/1.1 404", 0) == 0);
  const size_t head_end = in.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  std::string lower = in.substr(0, head_end);
  for (auto &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  CHECK(lower.find("content-length: ") != std::string::npos);
  CHECK(lower.find("content-length: 0") == std::string::npos);  // the length GET would get
  CHECK(in.compare(head_end + 4, 12, "HTTP/1.1 200") == 0);
  CHECK(in.find("data: x") != std::string::npos);
  CHECK(sim->recorded("other").size() >= 1);
  CHECK(sim->recorded("other").front().path == "/");
}

TEST_CASE("destroying the simulator closes open websocket connections") {
  auto sim = start_sim();
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/test/echo"));
  REQUIRE(wait_for([&] { return sim->open_connections() == 1; }));
  sim.reset();
  WsFrame f = ws.recv(3000);
  CHECK((f.type == WsFrame::Type::kEof || f.type == WsFrame::Type::kClose));
}

TEST_CASE("the voxline-sim program prints its port, serves, and exits on SIGTERM") {
  int out_pipe[2];
  REQUIRE(pipe(out_pipe) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  std::string exe = VOXLINE_SIM_EXE;
  std::vector<char *> argv = {exe.data(), const_cast<char *>("--api-key"), const_cast<char *>("k2"), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  FILE *out = fdopen(out_pipe[0], "r");
  char line[128] = {0};
  REQUIRE(fgets(line, sizeof(line), out) != nullptr);
  int port = 0;
  REQUIRE(std::sscanf(line, "listening on 127.0.0.1:%d", &port) == 1);
  CHECK(port > 0);
  HttpOptions o = openai_headers("k2");
  HttpResult r = http_post("http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions",
                           R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", o);
  CHECK(r.status == 200);
  CHECK(http_post("http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions",
                  R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", openai_headers("test-key"))
            .status == 401);
  kill(pid, SIGTERM);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  fclose(out);
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("one simulator serves 200 concurrent echo connections") {
  auto sim = start_sim();
  std::vector<std::unique_ptr<RawWsClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<RawWsClient>());
    REQUIRE_MESSAGE(clients.back()->connect(sim->port(), "/test/echo"), clients.back()->error());
  }
  CHECK(wait_for([&] { return sim->open_connections() == 200; }, 10000));
  for (int i = 0; i < 200; ++i)
    REQUIRE(clients[static_cast<size_t>(i)]->send_text("msg " + std::to_string(i)));
  for (int i = 0; i < 200; ++i)
    CHECK(clients[static_cast<size_t>(i)]->recv().payload == "msg " + std::to_string(i));
  clients.clear();
  CHECK(wait_for([&] { return sim->open_connections() == 0; }, 5000));
}

TEST_CASE("recording is bounded by max_recorded and counts what it discarded") {
  sim::SimOptions opts;
  opts.max_recorded = 10;
  auto sim = start_sim("", opts);
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/test/echo"));
  for (int i = 0; i < 20; ++i) {
    REQUIRE(ws.send_text(std::to_string(i)));
    REQUIRE(ws.recv().payload == std::to_string(i));
  }
  auto rec = sim->recorded();
  CHECK(rec.size() == 10);
  CHECK(rec.back().payload == "19");
  CHECK(sim->recorded_dropped() == 31);  // handshake + 40 messages - 10 kept
  sim->clear_recorded();
  CHECK(sim->recorded().empty());
}

TEST_CASE("an empty api_key turns authentication off and TLS handshakes refuse with a real status") {
  testing::TempDir dir;
  REQUIRE(sim::write_test_certificate(dir.file("c.pem"), dir.file("k.pem")).ok());
  sim::SimOptions opts;
  opts.tls_cert_file = dir.file("c.pem");
  opts.tls_key_file = dir.file("k.pem");
  auto sim = start_sim("", opts);
  WsConnectOptions tls;
  tls.tls = true;
  tls.ca_file = dir.file("c.pem");
  RawWsClient refused;
  CHECK_FALSE(refused.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000", tls));
  CHECK(refused.status() == 401);
  CHECK(refused.response_header("dg-error") == "Invalid credentials.");

  sim::SimOptions open_opts;
  open_opts.api_key = "";
  auto open_sim = start_sim("", open_opts);
  RawWsClient ws;
  CHECK(ws.connect(open_sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000"));
  CHECK(http_post(open_sim->http_url("/v1/chat/completions"),
                  R"({"model":"m","messages":[{"role":"user","content":"x"}]})")
            .status == 200);
}

}  // namespace voxline::simtest

namespace voxline::simtest {
namespace {

// Runs voxline-sim with `args` until it exits (it must fail fast); returns {exit code, stderr}.
std::pair<int, std::string> run_failing_program(std::vector<std::string> args) {
  int err_pipe[2];
  REQUIRE(pipe(err_pipe) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
  std::string exe = VOXLINE_SIM_EXE;
  std::vector<char *> argv = {exe.data()};
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // libwebsockets 4.1.6 leaks 72 bytes inside lws_create_context when the bind fails; LeakSanitizer
  // would abort the child on that path, so only these failing runs go without leak detection.
  std::vector<std::string> env_store;
  for (char **e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "ASAN_OPTIONS=", 13) != 0) env_store.emplace_back(*e);
  }
  const char *asan = std::getenv("ASAN_OPTIONS");
  env_store.push_back(std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":detect_leaks=0");
  std::vector<char *> envp;
  for (auto &e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data()) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(err_pipe[1]);
  std::string err;
  char buf[512];
  ssize_t n;
  while ((n = read(err_pipe[0], buf, sizeof(buf))) > 0) err.append(buf, static_cast<size_t>(n));
  close(err_pipe[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

}  // namespace

TEST_CASE(
    "the voxline-sim program fails fast with a clear message on a taken port, a bad scenario or bad flags") {
  auto sim = start_sim();
  auto taken = run_failing_program({"--port", std::to_string(sim->port())});
  CHECK(taken.first == 1);
  CHECK(taken.second.find("cannot listen") != std::string::npos);

  testing::TempDir dir;
  REQUIRE(dir.ok());
  FILE *f = std::fopen(dir.file("bad.json").c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs(R"({"tts":{"waveform":"square"}})", f);
  std::fclose(f);
  auto bad = run_failing_program({"--scenario", dir.file("bad.json")});
  CHECK(bad.first == 1);
  CHECK(bad.second.find("scenario.tts.waveform") != std::string::npos);
  CHECK(run_failing_program({"--scenario", dir.file("missing.json")}).first == 1);
  CHECK(run_failing_program({"--tls-cert", dir.file("c.pem")}).first == 1);
  CHECK(run_failing_program({"--bogus"}).first == 2);
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("every example scenario under tests/sim/scenarios loads") {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto &entry : fs::directory_iterator(VOXLINE_SIM_SCENARIO_DIR)) {
    if (entry.path().extension() != ".json") continue;
    CAPTURE(entry.path().string());
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto sim = sim::Simulator::start([&] {
      sim::SimOptions o;
      o.scenario_json = ss.str();
      return o;
    }());
    CHECK_MESSAGE(sim.ok(), sim.status().to_string());
    ++files;
  }
  CHECK(files >= 1);
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("the voxline-sim program serves https with --tls-cert/--tls-key and a --scenario file") {
  testing::TempDir dir;
  REQUIRE(sim::write_test_certificate(dir.file("c.pem"), dir.file("k.pem")).ok());
  int out_pipe[2];
  REQUIRE(pipe(out_pipe) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  std::vector<std::string> args = {VOXLINE_SIM_EXE,
                                   "--tls-cert",
                                   dir.file("c.pem"),
                                   "--tls-key",
                                   dir.file("k.pem"),
                                   "--scenario",
                                   std::string(VOXLINE_SIM_SCENARIO_DIR) + "/oil_change_booking.json"};
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  FILE *out = fdopen(out_pipe[0], "r");
  char line[128] = {0};
  REQUIRE(fgets(line, sizeof(line), out) != nullptr);
  int port = 0;
  REQUIRE(std::sscanf(line, "listening on 127.0.0.1:%d", &port) == 1);
  HttpOptions o = openai_headers();
  o.ca_file = dir.file("c.pem");
  HttpResult r = http_post("https://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions",
                           R"({"model":"m","messages":[{"role":"user","content":"hmm"}]})", o);
  CHECK(r.curl_code == 0);
  CHECK(r.status == 200);
  CHECK(r.body.find("Sorry, could you say that again?") != std::string::npos);
  kill(pid, SIGINT);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  fclose(out);
}

}  // namespace voxline::simtest
