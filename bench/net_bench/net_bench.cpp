// net_bench: the network runtime under load, each section with its baseline in the same run.
//   pingpong  round trips on loopback (pingpong.hpp), against a raw TCP socket pair
//   calls     paced call-like load on ONE slot against voxline-sim in a child process
//             (call_load.hpp), for each N and STT frame size
//   floor     the same paced traffic from a minimal raw libuv TCP client (raw_floor.hpp)
// Loop CPU is the slot (or floor loop) thread's own CPU time, not wall time, so the figures hold
// on a shared machine; README "Benchmarks" has the figures and the command that made them.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net_bench/bench_support.hpp"
#include "net_bench/call_load.hpp"
#include "net_bench/load_report.hpp"
#include "net_bench/pingpong.hpp"
#include "net_bench/raw_floor.hpp"
// nghttpx_proxy.hpp is test support: its doctest checks are unused here, and compiled out.
#define DOCTEST_CONFIG_DISABLE
#include "support/nghttpx_proxy.hpp"
#include "support/temp_dir.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using voxline::testing::NghttpxProxy;

namespace {

constexpr const char *kUsage =
    "usage: net_bench [--quick] [--sections pingpong,calls,floor,sse] [--calls 100,500,1000,2000]\n"
    "                 [--frame-ms 20,100] [--seconds S] [--warmup S] [--no-sse]\n"
    "                 [--coalesce-us 0,250] [--sse-h2]\n"
    "  --quick       --calls 100,500 --seconds 3 --warmup 1 (a smoke run)\n"
    "  --sections    which parts run (default: pingpong,calls,floor); sse = only the \"voxline SSE only\"\n"
    "                row of calls (one per N)\n"
    "  --calls       the call counts N of the paced load, comma-separated\n"
    "  --frame-ms    STT uplink frame periods, comma-separated: 20 = 640 B frames, 100 = the same\n"
    "                audio coalesced into 3200 B frames (default: 20,100)\n"
    "  --seconds     measured window per run (default 6)\n"
    "  --warmup      seconds after the ramp and the first barge-in before measuring (default 2)\n"
    "  --no-sse      no SSE stream per call\n"
    "  --coalesce-us RuntimeOptions::io_coalesce values for the voxline rows, and the same wake-up\n"
    "                policy for the floor rows, comma-separated; c<us> in\n"
    "                the client column (default: 0,250: the same load without and with the default window)\n"
    "  --sse-h2      SSE over TLS + HTTP/2 through nghttpx (Debian nghttp2-proxy) in front of the sim,\n"
    "                as an OpenAI endpoint is reached, instead of plain HTTP/1.1 to the sim\n";

int usage_error(const std::string &why) {
  std::fprintf(stderr, "net_bench: %s\n%s", why.c_str(), kUsage);
  return 2;
}

bool parse_seconds(const std::string &s, double &out) {
  char *end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && out >= 0 && out <= 3600;
}

bool valid_sections(const std::string &s) {
  size_t p = 0;
  while (p <= s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    const std::string part = s.substr(p, q - p);
    if (part != "pingpong" && part != "calls" && part != "floor" && part != "sse") return false;
    p = q + 1;
  }
  return true;
}

// The floor server child: net_bench --floor-server --port P.
int floor_server(int argc, char **argv) {
  if (argc != 4 || std::string(argv[2]) != "--port") return usage_error("--floor-server needs --port P");
  return bench::floor_server_main(std::atoi(argv[3]));
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "--floor-server") return floor_server(argc, argv);
  bool quick = false, sse = true, sse_h2 = false;
  std::string sections = "pingpong,calls,floor";
  std::vector<int> calls = {100, 500, 1000, 2000}, frames = {20, 100}, coalesce = {0, 250};
  double seconds = 6, warmup = 2;
  bool calls_set = false, seconds_set = false, warmup_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--sections" && has) {
      sections = argv[++i];
      if (!valid_sections(sections)) return usage_error("bad --sections '" + sections + "'");
    } else if (a == "--calls" && has) {
      if (!bench::parse_int_list(argv[++i], calls, 1, 100000))
        return usage_error("bad --calls '" + std::string(argv[i]) + "'");
      calls_set = true;
    } else if (a == "--frame-ms" && has) {
      if (!bench::parse_int_list(argv[++i], frames, 1, 100000))
        return usage_error("bad --frame-ms '" + std::string(argv[i]) + "'");
    } else if (a == "--seconds" && has) {
      if (!parse_seconds(argv[++i], seconds) || seconds <= 0)
        return usage_error("bad --seconds '" + std::string(argv[i]) + "'");
      seconds_set = true;
    } else if (a == "--warmup" && has) {
      if (!parse_seconds(argv[++i], warmup))
        return usage_error("bad --warmup '" + std::string(argv[i]) + "'");
      warmup_set = true;
    } else if (a == "--coalesce-us" && has) {
      if (!bench::parse_int_list(argv[++i], coalesce, 0, 100000))
        return usage_error("bad --coalesce-us '" + std::string(argv[i]) + "'");
    } else if (a == "--sse-h2") {
      sse_h2 = true;
    } else if (a == "--no-sse") {
      sse = false;
    } else {
      return usage_error("bad argument '" + a + "'");
    }
  }
  if (quick) {
    if (!calls_set) calls = {100, 500};
    if (!seconds_set) seconds = 3;
    if (!warmup_set) warmup = 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  const size_t fd_limit = bench::raise_open_file_limit();
  auto has_section = [&](const char *name) {
    return ("," + sections + ",").find("," + std::string(name) + ",") != std::string::npos;
  };

  if (has_section("pingpong") && bench::run_pingpong(quick) != 0) return 1;
  if (!has_section("calls") && !has_section("floor") && !has_section("sse")) return 0;

  testing::TempDir dir("net-bench");
  const std::string scenario = dir.file("calls.json");
  {
    std::ofstream f(scenario);
    f << bench::call_load_scenario();
  }
  std::printf(
      "\ncalls: per call an STT websocket sending 16 kHz linear16 every fr ms, a TTS websocket receiving "
      "real-time 640 B / 20 ms audio,\n  a barge-in (Speak+Flush, then Clear on the priority lane) every "
      "2.5-3 s, one SSE stream (50 events/s, 2 s) every 10 s;\n  one Runtime slot; voxline-sim (or the floor "
      "server) in a child process; %.0f s measured after %.0f s of warm-up; RLIMIT_NOFILE %zu\n",
      seconds, warmup, fd_limit);
  std::printf(
      "  loop%% = slot thread CPU time / wall time; us/msg = its CPU per websocket message sent + received, "
      "measured in the\n  'ws only' run (same load, no SSE) that precedes each full row; SSE us/chunk = SSE "
      "only rows: on an otherwise idle\n  loop; full rows: the loop CPU SSE added to the ws-only run, per "
      "chunk; c<us> = RuntimeOptions::io_coalesce;\n  KB/con = this process's RSS growth per connection; "
      "simMB, sim%% = the server child's RSS and CPU\n");
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  if (sse_h2) {
    if (NghttpxProxy::find_binary().empty())
      return usage_error("--sse-h2 needs nghttpx (Debian nghttp2-proxy)");
    Status written = sim::write_test_certificate(cert, key);
    if (!written.ok()) return usage_error("test certificate: " + written.to_string());
  }
  // The sim, and with --sse-h2 an nghttpx front for its SSE endpoint; nullopt after printing why.
  struct Servers {
    std::unique_ptr<bench::ServerChild> sim;
    std::unique_ptr<NghttpxProxy> h2;
  };
  auto start_servers = [&](bench::LoadOptions &o) -> std::optional<Servers> {
    auto child = bench::ServerChild::start("voxline-sim", {VOXLINE_SIM_EXE, "--scenario", scenario});
    if (!child.ok()) {
      std::fprintf(stderr, "net_bench: %s\n", child.status().to_string().c_str());
      return std::nullopt;
    }
    Servers s;
    s.sim = std::move(*child);
    if (sse_h2) {
      s.h2 = std::make_unique<NghttpxProxy>();
      Status started = s.h2->start(s.sim->port(), cert, key);
      if (!started.ok()) {
        std::fprintf(stderr, "net_bench: nghttpx: %s\n", started.to_string().c_str());
        return std::nullopt;
      }
      o.sse_base_url = s.h2->url("");
      o.ca_file = cert;
    }
    return s;
  };
  std::vector<bench::LoadRow> rows;
  bench::print_load_header();
  auto add = [&](const bench::LoadRow &r) {
    bench::print_load_row(r);
    rows.push_back(r);
  };
  for (int n : calls) {
    // Each call holds 2 websockets and at times an SSE stream; the rest of the process needs a few.
    const size_t fds_needed = static_cast<size_t>(n) * 3 + 64;
    if (fds_needed > fd_limit) {
      std::printf(
          "%d calls: SKIPPED - needs about %zu file descriptors, RLIMIT_NOFILE allows %zu (raise the hard "
          "limit: ulimit -Hn)\n",
          n, fds_needed, fd_limit);
      continue;
    }
    for (int frame_ms : frames) {
      bench::LoadOptions o;
      o.calls = n;
      o.frame_ms = frame_ms;
      o.seconds = seconds;
      o.warmup_s = warmup;
      o.sse = sse;
      for (int c : coalesce) {
        o.coalesce_us = c;
        if (has_section("sse") && !has_section("calls") && frame_ms == frames.front()) {
          auto servers = start_servers(o);
          if (!servers) return 1;
          add(bench::run_voxline_sse(o, *servers->sim));
        }
        if (has_section("calls")) {
          auto servers = start_servers(o);
          if (!servers) return 1;
          const bench::ServerChild &sim = *servers->sim;
          if (sse && frame_ms == frames.front()) {
            // SSE on an otherwise idle loop: one row per N and coalescing value.
            add(bench::run_voxline_sse(o, sim));
          }
          if (sse) {
            // The same load without SSE first: its CPU per message is the websocket figure, and
            // the difference to the full run is what SSE adds to a loop carrying the calls.
            bench::LoadOptions ws_only = o;
            ws_only.sse = false;
            const bench::LoadRow base = bench::run_voxline_calls(ws_only, sim, nullptr);
            add(base);
            add(bench::run_voxline_calls(o, sim, &base));
          } else {
            add(bench::run_voxline_calls(o, sim, nullptr));
          }
        }
      }
      // The floor client under each wake-up policy the voxline rows ran with: like for like.
      for (int c : coalesce) {
        if (!has_section("floor")) break;
        o.coalesce_us = c;
        auto server = bench::ServerChild::start("floor server", {bench::self_exe(), "--floor-server"});
        if (!server.ok()) {
          std::fprintf(stderr, "net_bench: %s\n", server.status().to_string().c_str());
          return 1;
        }
        add(bench::run_floor(o, **server));
      }
    }
  }
  std::printf("\nsummary");
  bench::print_load_header();
  for (const auto &r : rows) bench::print_load_row(r);
  return 0;
}
