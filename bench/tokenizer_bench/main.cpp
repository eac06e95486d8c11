// tokenizer_bench: throughput of encode and count (MB/s, tokens/s) for o200k_base and cl100k_base on
// two generated ~10 MB corpora, first-use table load time, and resident memory.
//   tokenizer_bench [--mb N] [--reps N] [--write-corpus DIR] [--json FILE]
// --write-corpus saves the exact corpora (english_code.txt, multilingual.txt) so compare_npm.sh can
// feed the same bytes to npm tiktoken and gpt-tokenizer. Figures are printed, never asserted.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tokenizer/embedded_data.hpp"
#include "tokenizer/encoding_data.hpp"
#include "tokenizer_bench/corpus.hpp"
#include "voxline/tokenizer/encoding.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace tk = voxline::tokenizer;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// CPU time of this thread: unlike wall time it does not grow when other processes share the cores.
double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// kB from /proc/self/status ("VmRSS", "VmHWM").
long proc_kb(const char *key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string k = std::string(key) + ":";
  while (std::getline(in, line))
    if (line.compare(0, k.size(), k) == 0) return std::atol(line.c_str() + k.size());
  return -1;
}

struct Row {
  std::string encoding, corpus, op;
  double mb_s, tok_s;  // wall clock
  double mb_s_cpu;     // thread CPU time: stable when other processes load the machine
  size_t tokens;
};

}  // namespace

int main(int argc, char **argv) {
  size_t mb = 10;
  int reps = 3;
  std::string corpus_dir, json_path;
  constexpr const char *kUsage =
      "usage: tokenizer_bench [--mb N] [--reps N] [--write-corpus DIR] [--json FILE]\n";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--mb" && i + 1 < argc)
      mb = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--write-corpus" && i + 1 < argc)
      corpus_dir = argv[++i];
    else if (a == "--json" && i + 1 < argc)
      json_path = argv[++i];
    else {
      std::fprintf(stderr, "tokenizer_bench: bad argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }

  // Table load: first use in this process (page-in of the compiled-in data + index build).
  const long rss0 = proc_kb("VmRSS");
  auto t0 = Clock::now();
  double c0 = cpu_ms();
  const tk::Encoding &o200k = tk::o200k_base();
  const double load_o200k = ms_since(t0), load_o200k_cpu = cpu_ms() - c0;
  t0 = Clock::now();
  c0 = cpu_ms();
  const tk::Encoding &cl100k = tk::cl100k_base();
  const double load_cl100k = ms_since(t0), load_cl100k_cpu = cpu_ms() - c0;
  const long rss1 = proc_kb("VmRSS");
  // Warm rebuild of the o200k index, median of 5 (what a second table would cost).
  std::vector<double> rebuild;
  for (int i = 0; i < 5; ++i) {
    t0 = Clock::now();
    auto t = tk::detail::load_compact_ranks(tk::detail::embedded_o200k_base());
    rebuild.push_back(ms_since(t0));
    if (!t.ok()) return 1;
  }
  std::sort(rebuild.begin(), rebuild.end());

  const std::vector<std::pair<std::string, std::string>> corpora = {
      {"english_code", voxline::bench::english_code_corpus(mb << 20)},
      {"multilingual", voxline::bench::multilingual_corpus(mb << 20)}};
  if (!corpus_dir.empty()) {
    for (const auto &[name, text] : corpora) {
      std::ofstream out(corpus_dir + "/" + name + ".txt", std::ios::binary);
      out << text;
      if (!out) {
        std::fprintf(stderr, "cannot write %s/%s.txt\n", corpus_dir.c_str(), name.c_str());
        return 1;
      }
    }
  }

  std::vector<Row> rows;
  for (const tk::Encoding *enc : {&o200k, &cl100k}) {
    for (const auto &[name, text] : corpora) {
      const double mbytes = static_cast<double>(text.size()) / 1e6;  // MB = 10^6 bytes
      double best_enc = 1e30, best_cnt = 1e30, cpu_enc = 1e30, cpu_cnt = 1e30;
      size_t n_enc = 0, n_cnt = 0;
      for (int r = 0; r < reps; ++r) {
        t0 = Clock::now();
        c0 = cpu_ms();
        const auto ids = enc->encode_ordinary(text);
        cpu_enc = std::min(cpu_enc, cpu_ms() - c0);
        best_enc = std::min(best_enc, ms_since(t0));
        n_enc = ids.size();
        t0 = Clock::now();
        c0 = cpu_ms();
        n_cnt = enc->count_ordinary(text);
        cpu_cnt = std::min(cpu_cnt, cpu_ms() - c0);
        best_cnt = std::min(best_cnt, ms_since(t0));
      }
      if (n_enc != n_cnt) {
        std::fprintf(stderr, "count %zu != encode size %zu\n", n_cnt, n_enc);
        return 1;
      }
      rows.push_back({enc->name(), name, "encode", mbytes / (best_enc / 1000), n_enc / (best_enc / 1000),
                      mbytes / (cpu_enc / 1000), n_enc});
      rows.push_back({enc->name(), name, "count", mbytes / (best_cnt / 1000), n_cnt / (best_cnt / 1000),
                      mbytes / (cpu_cnt / 1000), n_cnt});
    }
  }
  const long hwm = proc_kb("VmHWM");

  std::printf("voxline tokenizer_bench (%zu MiB per corpus, best of %d)\n", mb, reps);
  std::printf(
      "table load, first use (wall / thread CPU): o200k_base %.1f / %.1f ms, cl100k_base %.1f / %.1f ms; "
      "o200k index rebuild (warm, wall, median of 5) %.1f ms\n",
      load_o200k, load_o200k_cpu, load_cl100k, load_cl100k_cpu, rebuild[2]);
  std::printf(
      "resident memory: %.1f MiB before tables, %.1f MiB after both tables (+%.1f MiB), peak %.1f MiB "
      "(includes corpora and id vectors)\n",
      rss0 / 1024.0, rss1 / 1024.0, (rss1 - rss0) / 1024.0, hwm / 1024.0);
  std::printf("%-12s %-13s %-7s %10s %14s %12s %10s\n", "encoding", "corpus", "op", "MB/s", "tokens/s",
              "MB/s (CPU)", "tokens");
  for (const Row &r : rows)
    std::printf("%-12s %-13s %-7s %10.1f %14.0f %12.1f %10zu\n", r.encoding.c_str(), r.corpus.c_str(),
                r.op.c_str(), r.mb_s, r.tok_s, r.mb_s_cpu, r.tokens);

  if (!json_path.empty()) {
    std::ofstream js(json_path);
    js << "{\"load_ms\":{\"o200k_base\":" << load_o200k << ",\"cl100k_base\":" << load_cl100k
       << "},\"load_cpu_ms\":{\"o200k_base\":" << load_o200k_cpu << ",\"cl100k_base\":" << load_cl100k_cpu
       << "},\"rss_tables_kb\":" << (rss1 - rss0) << ",\"rows\":[";
    for (size_t i = 0; i < rows.size(); ++i)
      js << (i ? "," : "") << "{\"encoding\":\"" << rows[i].encoding << "\",\"corpus\":\"" << rows[i].corpus
         << "\",\"op\":\"" << rows[i].op << "\",\"mb_s\":" << rows[i].mb_s << ",\"tok_s\":" << rows[i].tok_s
         << ",\"mb_s_cpu\":" << rows[i].mb_s_cpu << ",\"tokens\":" << rows[i].tokens << "}";
    js << "]}\n";
  }
  return 0;
}
