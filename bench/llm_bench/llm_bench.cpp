// llm_bench: what the LLM client costs per streamed chunk on a slot thread, and what the exact
// token budget costs per request.
//   streams  N concurrent streaming chat completions (voxline-sim in-process on loopback, 20
//            tokens/s each, restarted as they end) through LlmClient on one Runtime slot, on the
//            runtime's own HTTP/1.1 client and on libcurl (RuntimeOptions::http_client): slot-
//            thread CPU per SSE chunk (HTTP engine + SSE parse + JSON decode + delivery), beside
//            the same bytes through the bare SseParser and SseParser + ChatStreamDecoder offline
//            (the baselines: no sockets, no curl).
//   budget   a 40-turn call with tool calls: Conversation::build_request per new turn (counts
//            taken once per message) against counting the whole prompt from scratch each time.
// CPU is the thread's own (CLOCK_THREAD_CPUTIME_ID read on that thread), so the simulator's thread does not
// count. Compare rows within one run; the machine is shared.
//   usage: llm_bench [--streams 1,100,1000] [--clients http1,curl] [--seconds S] [--quick]
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/metrics.hpp"
#include "voxline/llm/conversation.hpp"
#include "voxline/llm/llm_client.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/net/sse_parser.hpp"
#include "voxline/tokenizer/chat_tokens.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;

namespace {

const char *kUsage =
    "usage: llm_bench [--streams 1,100,1000] [--clients http1,curl] [--seconds S] [--quick]\n"
    "  --streams  concurrent streams on one slot, comma-separated (default 1,100,1000)\n"
    "  --clients  HTTP clients to run the streams on: http1 (the runtime's own), curl (default both)\n"
    "  --seconds  measured window per row (default 5)\n"
    "  --quick    --streams 1,100 --seconds 2 (a smoke run)\n";

constexpr int kWords = 40;  // per answer: 2 s at 20 tokens/s

// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID: ns resolution, unlike getrusage's ticks).
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double on_slot(Slot &slot, double (*fn)()) {
  std::promise<double> p;
  auto f = p.get_future();
  if (!slot.post([&p, fn] { p.set_value(fn()); }).ok()) return -1;
  return f.get();
}

ChatRequest question() {
  ChatRequest r;
  r.messages = {ChatMessage::system("You are the service desk of Riverside Auto."),
                ChatMessage::user("When can I bring my car in for brakes?")};
  return r;
}

// Shared by every stream of a row; streams may end after the row returns, so it is reference
// counted.
struct Counters {
  std::atomic<uint64_t> chunks{0}, failures{0};
  std::atomic<bool> stop{false};
};

// Restarts its stream when it ends, until stopped; counts chunks (one on_delta per SSE event).
class Looper final : public LlmStreamHandler, public std::enable_shared_from_this<Looper> {
 public:
  Looper(LlmClient &llm, std::shared_ptr<Slot> slot, std::shared_ptr<Counters> counters)
      : llm_(llm), slot_(std::move(slot)), counters_(std::move(counters)) {}
  void start() {
    if (counters_->stop.load()) return;
    if (!llm_.stream(slot_, question(), shared_from_this()).ok()) counters_->failures.fetch_add(1);
  }
  void on_delta(LlmStream &, const ChatStreamDelta &, const ChatCompletion &) override {
    counters_->chunks.fetch_add(1, std::memory_order_relaxed);
  }
  void on_complete(LlmStream &, LlmResult &r) override {
    if (counters_->stop.load()) return;  // the row is over (or the runtime is stopping)
    if (!r.status.ok()) counters_->failures.fetch_add(1);
    start();
  }

 private:
  LlmClient &llm_;
  std::shared_ptr<Slot> slot_;
  std::shared_ptr<Counters> counters_;
};

// The raw bytes of one streamed answer, as the slot's HTTP engine delivered them.
class Capture final : public HttpStreamHandler {
 public:
  void on_data(HttpStream &, std::string_view chunk) override { chunks.emplace_back(chunk); }
  void on_complete(HttpStream &, const HttpCompletion &c) override { done.set_value(c.status); }
  std::vector<std::string> chunks;
  std::promise<Status> done;
};

struct Row {
  std::string name;
  int streams = 0;
  uint64_t chunks = 0, failures = 0;
  double cpu_us = 0, wall_s = 0;
};

void print(const Row &r, double baseline) {
  const double per = r.chunks > 0 ? r.cpu_us / static_cast<double>(r.chunks) : 0;
  const std::string streams = r.streams > 0 ? std::to_string(r.streams) : "-";
  std::printf("%-40s %7s %9llu %10.2f %8.2fx %7.1f%% %s\n", r.name.c_str(), streams.c_str(),
              static_cast<unsigned long long>(r.chunks), per, baseline > 0 ? per / baseline : 0,
              r.wall_s > 0 ? r.cpu_us / 1e4 / r.wall_s : 0, r.failures ? "FAILURES" : "");
}

Row client_row(LlmClient &llm, const std::shared_ptr<Slot> &slot, const char *client, int streams,
               double seconds) {
  auto counters = std::make_shared<Counters>();
  for (int i = 0; i < streams; ++i) std::make_shared<Looper>(llm, slot, counters)->start();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // every stream past its first answer
  Row r;
  r.name = std::string("LlmClient on one slot, ") + client;
  r.streams = streams;
  const uint64_t c0 = counters->chunks.load();
  const double cpu0 = on_slot(*slot, &thread_cpu_us);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(seconds * 1000)));
  r.cpu_us = on_slot(*slot, &thread_cpu_us) - cpu0;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.chunks = counters->chunks.load() - c0;
  r.failures = counters->failures.load();
  counters->stop = true;
  // Let the streams finish their answers before the next row.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  return r;
}

// The same bytes through the parser (and the decoder) alone, on this thread.
Row offline_row(const std::vector<std::string> &body, bool decode, int repeat) {
  Row r;
  r.name = decode ? "SseParser + ChatStreamDecoder (offline)" : "bare SseParser (offline, baseline)";
  SseParser parser;
  ChatStreamDecoder decoder;
  std::vector<SseEvent> events;
  ChatStreamDelta delta;
  const double c0 = thread_cpu_us();
  for (int i = 0; i < repeat; ++i) {
    parser.reset();
    decoder.reset();
    for (const std::string &chunk : body) {
      events.clear();
      if (!parser.feed(chunk, events).ok()) ++r.failures;
      for (const SseEvent &e : events) {
        ++r.chunks;
        if (decode && !decoder.feed(e.data, delta).ok()) ++r.failures;
      }
    }
  }
  r.cpu_us = thread_cpu_us() - c0;
  return r;
}

// A 40-turn call: user, a tool call with its result, an answer; predicted tokens per request.
void budget_rows() {
  auto conv = Conversation::create(ConversationOptions{});
  auto scratch = tokenizer::ChatTokenCounter::for_model("gpt-4o");
  if (!conv.ok() || !scratch.ok()) {
    std::fprintf(stderr, "llm_bench: %s\n",
                 conv.ok() ? scratch.status().to_string().c_str() : conv.status().to_string().c_str());
    std::exit(1);
  }
  Conversation &c = **conv;
  c.set_system_prompt("You are the service desk of Riverside Auto. Keep answers short and friendly.");
  c.set_fact("caller", "Dana Whitfield, +15551234567");
  double incremental_us = 0, scratch_us = 0;
  int64_t last = 0;
  ChatRequest req;
  for (int turn = 0; turn < 40; ++turn) {
    const std::string id = "call_" + std::to_string(turn);
    (void)c.add_user("Turn " + std::to_string(turn) +
                     ": can you check the brakes and the oil on Friday morning?");
    (void)c.add_assistant_tool_calls({{id, "check_availability", R"({"day":"friday","service":"brakes"})"}});
    (void)c.add_tool_result(id, R"({"slots":["09:00","10:30","14:00"],"bay":3})");
    (void)c.add_assistant("I have nine, half past ten or two on Friday. Which suits you?");
    (void)c.add_user("Half past ten, please.");
    const double t0 = thread_cpu_us();
    auto b = c.build_request(req);
    incremental_us += thread_cpu_us() - t0;
    if (b.ok()) last = b->prompt_tokens;
    std::vector<tokenizer::ChatMessage> msgs;
    for (const ChatMessage &m : req.messages) msgs.push_back(chat_message_for_counting(m));
    (*scratch)->clear_cache();
    const double t1 = thread_cpu_us();
    const int64_t full = (*scratch)->count_prompt(msgs, {});
    scratch_us += thread_cpu_us() - t1;
    if (full != last)
      std::fprintf(stderr, "llm_bench: turn %d predicted %lld, recount %lld\n", turn,
                   static_cast<long long>(last), static_cast<long long>(full));
  }
  std::printf("\nbudget: 40-turn call with a tool call per turn (%lld prompt tokens at the end)\n",
              static_cast<long long>(last));
  std::printf("%-52s %12s %8s\n", "per request", "us/request", "ratio");
  std::printf("%-52s %12.1f %8s\n", "full recount from scratch (baseline)", scratch_us / 40, "1.00x");
  std::printf("%-52s %12.1f %7.2fx\n", "Conversation::build_request (counts taken once)", incremental_us / 40,
              scratch_us > 0 ? incremental_us / scratch_us : 0);
}

bool parse_clients(const char *s, std::vector<std::string> &out) {
  out.clear();
  std::string v(s);
  size_t pos = 0;
  while (true) {
    const size_t comma = v.find(',', pos);
    std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item != "http1" && item != "curl") return false;
    out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

std::unique_ptr<Runtime> runtime_on(HttpClient client, MetricsRegistry &metrics) {
  RuntimeOptions ro;
  ro.metrics = &metrics;
  ro.slots = 1;
  ro.http_client = client;
  auto rt = Runtime::create(ro);
  if (!rt.ok()) {
    std::fprintf(stderr, "llm_bench: runtime: %s\n", rt.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(*rt);
}

bool parse_list(const char *s, std::vector<int> &out) {
  out.clear();
  std::string v(s);
  size_t pos = 0;
  while (pos <= v.size()) {
    const size_t comma = v.find(',', pos);
    const std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char *end = nullptr;
    const long n = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || n < 1 || n > 5000) return false;
    out.push_back(static_cast<int>(n));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return !out.empty();
}

}  // namespace

int main(int argc, char **argv) {
  std::vector<int> streams = {1, 100, 1000};
  std::vector<std::string> clients = {"http1", "curl"};
  double seconds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help") {
      std::printf("%s", kUsage);
      return 0;
    } else if (a == "--quick") {
      streams = {1, 100};
      seconds = 2;
    } else if (a == "--streams" && i + 1 < argc && parse_list(argv[i + 1], streams)) {
      ++i;
    } else if (a == "--clients" && i + 1 < argc && parse_clients(argv[i + 1], clients)) {
      ++i;
    } else if (a == "--seconds" && i + 1 < argc && std::atof(argv[i + 1]) > 0) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "llm_bench: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  std::string words;
  for (int i = 0; i < kWords; ++i) words += i ? " word" : "Word";
  sim::SimOptions so;
  so.max_recorded = 1000;  // the simulator would otherwise keep every event it sent
  so.scenario_json = R"({"llm":{"tokens_per_second":20,"default_reply":{"content":")" + words + R"("}}})";
  auto sim = sim::Simulator::start(so);
  if (!sim.ok()) {
    std::fprintf(stderr, "llm_bench: simulator: %s\n", sim.status().to_string().c_str());
    return 1;
  }
  MetricsRegistry metrics;
  std::unique_ptr<Runtime> rt = runtime_on(HttpClient::kHttp1, metrics);
  auto slot = rt->slot(0);
  LlmClientOptions lo;
  lo.endpoint.base_url = (*sim)->http_url("/v1");
  lo.endpoint.model = "gpt-4o";
  lo.endpoint.api_key = "test-key";  // voxline-sim's
  auto llm = make_openai_client(lo, &metrics);
  if (!llm.ok()) {
    std::fprintf(stderr, "llm_bench: client: %s\n", llm.status().to_string().c_str());
    return 1;
  }
  // One answer's bytes as the engine delivers them, for the offline baselines.
  auto cap = std::make_shared<Capture>();
  HttpRequest hr;
  hr.url = lo.endpoint.chat_completions_url();
  hr.headers = lo.endpoint.request_headers(true);
  ChatRequest q = question();
  q.model = "gpt-4o";
  q.stream = true;
  q.include_usage = true;
  if (!render_chat_request(q, hr.body).ok() || !slot->start_http(hr, cap).ok() ||
      !cap->done.get_future().get().ok()) {
    std::fprintf(stderr, "llm_bench: could not capture a streamed answer\n");
    return 1;
  }
  std::printf(
      "llm_bench: streaming chat completions, %d-word answers at 20 tokens/s, voxline-sim in-process\n",
      kWords);
  std::printf("%-40s %7s %9s %10s %9s %8s\n", "configuration", "streams", "chunks", "us/chunk", "ratio",
              "core");
  const Row bare = offline_row(cap->chunks, false, 20000);
  const double base = bare.cpu_us / static_cast<double>(std::max<uint64_t>(1, bare.chunks));
  print(bare, base);
  print(offline_row(cap->chunks, true, 20000), base);
  rt.reset();
  uint64_t failures = 0;
  for (const std::string &client : clients) {
    rt = runtime_on(client == "curl" ? HttpClient::kCurl : HttpClient::kHttp1, metrics);
    slot = rt->slot(0);
    for (int n : streams) {
      const Row r = client_row(**llm, slot, client.c_str(), n, seconds);
      failures += r.failures;
      print(r, base);
    }
    rt.reset();  // ends the streams still running (the loopers hold the client by reference)
  }
  budget_rows();
  llm->reset();
  return failures > 0 ? 1 : 0;
}
