// voxline-sim under load: memory stays bounded per connection when clients read slowly or not at
// all (TTS audio is rendered a few frames ahead, echo stops reading a client that does not read
// its echoes), and the program serves 2000 concurrent websockets from a 1024 soft fd limit.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "integration/sim/raw_ws_client.hpp"
#include "integration/sim/sim_test_util.hpp"
#include "support/temp_dir.hpp"

namespace voxline::simtest {
#if defined(__SANITIZE_THREAD__)
constexpr size_t kSanitizerMemoryFactor = 8;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr size_t kSanitizerMemoryFactor = 8;
#else
constexpr size_t kSanitizerMemoryFactor = 1;
#endif
#else
constexpr size_t kSanitizerMemoryFactor = 1;
#endif

namespace {

constexpr const char *kRealtimeTts = R"({"tts":{"ms_per_char":60,"chunk_ms":20,"realtime_factor":1}})";
// 2000 characters at 60 ms each: 120 s of speech, 5.76 MB of 24 kHz linear16 once synthesized.
const std::string kLongSpeak = R"({"type":"Speak","text":")" + std::string(2000, 'a') + R"("})";

WsConnectOptions dg_auth() {
  WsConnectOptions o;
  o.headers["Authorization"] = "Token test-key";
  return o;
}

// Opens a TTS session, flushes two minutes of speech and reads only the first audio frame, so the
// simulator has certainly processed the Flush; the client never reads again.
void start_stalled_tts(RawWsClient &ws, int port) {
  REQUIRE_MESSAGE(ws.connect(port, "/v1/speak?encoding=linear16&sample_rate=24000", dg_auth()), ws.error());
  REQUIRE(ws.recv().type == WsFrame::Type::kText);  // Metadata
  REQUIRE(ws.send_text(kLongSpeak));
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  REQUIRE(ws.recv().type == WsFrame::Type::kBinary);
}

size_t rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

// The voxline-sim program as a child process, started with the open-file soft limit at 1024 (a
// common default) so the program has to raise it itself.
class SimProcess {
 public:
  explicit SimProcess(const std::vector<std::string> &args) {
    int out_pipe[2];
    REQUIRE(pipe(out_pipe) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
    std::string exe = VOXLINE_SIM_EXE;
    std::vector<std::string> store = args;
    std::vector<char *> argv = {exe.data()};
    for (auto &a : store) argv.push_back(a.data());
    argv.push_back(nullptr);
    rlimit mine{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &mine) == 0);
    rlimit child = mine;
    child.rlim_cur = std::min<rlim_t>(1024, mine.rlim_cur);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &child) == 0);  // inherited by the child
    const int rc = posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), environ);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &mine) == 0);
    REQUIRE(rc == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    out_ = fdopen(out_pipe[0], "r");
    char line[128] = {0};
    REQUIRE(fgets(line, sizeof(line), out_) != nullptr);
    REQUIRE(std::sscanf(line, "listening on 127.0.0.1:%d", &port_) == 1);
  }
  ~SimProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  SimProcess(const SimProcess &) = delete;
  SimProcess &operator=(const SimProcess &) = delete;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
  FILE *out_ = nullptr;
};

}  // namespace

TEST_CASE("tts sessions that stop reading keep only a few rendered frames queued in the simulator") {
  auto sim = start_sim(kRealtimeTts);
  constexpr int kSessions = 40;
  std::vector<std::unique_ptr<RawWsClient>> clients;
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::make_unique<RawWsClient>());
    start_stalled_tts(*clients.back(), sim->port());
  }
  // 40 x 5.76 MB of speech is due; a few 960-byte frames per session may wait rendered.
  CHECK(sim->queued_bytes() <= kSessions * 16u * 960u);
  CHECK(sim->queued_bytes() > 0);
  clients.clear();
  CHECK(wait_for([&] { return sim->open_connections() == 0; }, 5000));
  CHECK(sim->queued_bytes() == 0);
}

TEST_CASE("an echo client that never reads its echoes is not read beyond the simulator's queue bound") {
  auto sim = start_sim();
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/test/echo"));
  std::atomic<int> sent{0};
  std::thread sender([&] {
    const std::string mib(1u << 20, 'e');
    for (int i = 0; i < 24; ++i) {  // 24 MiB: far more than the kernel buffers take
      if (!ws.send_binary(mib)) return;
      sent++;
    }
  });
  REQUIRE(wait_for([&] { return sim->queued_bytes() >= (1u << 20); }, 10000));
  // Without back-pressure the simulator would read on and queue every echo (~20 MiB) now.
  size_t peak = 0;
  for (int i = 0; i < 100; ++i) {
    peak = std::max(peak, sim->queued_bytes());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(peak <= 3u << 20);
  CHECK(sent.load() < 24);  // the kernel buffers filled up: the client is blocked
  sim.reset();              // the connection ends, the blocked send fails
  sender.join();
}

TEST_CASE("the voxline-sim program keeps its memory flat while 100 tts sessions never read") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  {
    std::ofstream f(dir.file("tts.json"));
    f << kRealtimeTts;
  }
  SimProcess sim({"--scenario", dir.file("tts.json")});
  constexpr int kSessions = 100;
  std::vector<std::unique_ptr<RawWsClient>> clients;
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::make_unique<RawWsClient>());
    REQUIRE(clients.back()->connect(sim.port(), "/v1/speak?encoding=linear16&sample_rate=24000", dg_auth()));
    REQUIRE(clients.back()->recv().type == WsFrame::Type::kText);
  }
  const size_t before = rss_kb(sim.pid());
  for (auto &ws : clients) {
    REQUIRE(ws->send_text(kLongSpeak));
    REQUIRE(ws->send_text(R"({"type":"Flush"})"));
  }
  for (auto &ws : clients) REQUIRE(ws->recv().type == WsFrame::Type::kBinary);
  const size_t after = rss_kb(sim.pid());
  CAPTURE(before);
  CAPTURE(after);
  REQUIRE(before > 0);
  // Synthesizing each answer up front would add 100 x 5.76 MB; rendering ahead adds a few KB each.
  CHECK(after < before + kSessions * 256);
}

TEST_CASE("the voxline-sim program serves 2000 concurrent websockets though started with 1024 open files") {
  rlimit rl{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
  REQUIRE_MESSAGE(rl.rlim_max >= 4200, "this test needs a hard RLIMIT_NOFILE of at least 4200");
  const rlimit saved = rl;
  rl.rlim_cur = rl.rlim_max;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);  // this process holds the 2000 client sockets
  {
    SimProcess sim({});
    constexpr int kClients = 2000;
    std::vector<std::unique_ptr<RawWsClient>> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(std::make_unique<RawWsClient>());
      REQUIRE_MESSAGE(clients.back()->connect(sim.port(), "/test/echo"), "client ", i, ": ",
                      clients.back()->error());
    }
    for (int i = 0; i < kClients; ++i)
      REQUIRE(clients[static_cast<size_t>(i)]->send_text("m" + std::to_string(i)));
    int echoed = 0;
    for (int i = 0; i < kClients; ++i)
      echoed += clients[static_cast<size_t>(i)]->recv().payload == "m" + std::to_string(i) ? 1 : 0;
    CHECK(echoed == kClients);
    const size_t rss = rss_kb(sim.pid());
    CAPTURE(rss);
    // About 2000 x 25 KB of lws, OpenSSL and session state at most; ThreadSanitizer's shadow and
    // metadata memory multiply every allocation of the (instrumented) simulator 5-10 times.
    CHECK(rss < 200u * 1024u * kSanitizerMemoryFactor);
  }
  setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace voxline::simtest
