// First use of the lazily built tables from several threads at once (run under TSan too).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "voxline/tokenizer/chat_tokens.hpp"
#include "voxline/tokenizer/encoding.hpp"

using namespace voxline;

TEST_CASE("concurrent first use builds each table once and every thread gets the same ids") {
  constexpr int kThreads = 6;
  std::atomic<int> ready{0};
  std::vector<const tokenizer::Encoding *> seen(kThreads);
  std::vector<std::vector<uint32_t>> ids(kThreads);
  std::vector<size_t> counts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      auto enc = tokenizer::get_encoding(t % 2 ? "cl100k_base" : "o200k_base");
      seen[t] = enc.ok() ? *enc : nullptr;
      if (seen[t]) {
        ids[t] = seen[t]->encode_ordinary("tiktoken is great!");
        counts[t] = seen[t]->count_ordinary("hello world");
      }
    });
  }
  for (auto &th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(seen[t] != nullptr);
    CHECK(seen[t] == seen[t % 2]);
    CHECK(ids[t] == ids[t % 2]);
    CHECK(counts[t] == 2);
  }
  CHECK(ids[1] == std::vector<uint32_t>{83, 1609, 5963, 374, 2294, 0});
}

TEST_CASE("one chat counter shared by several threads gives consistent counts") {
  auto counter = tokenizer::ChatTokenCounter::for_model("gpt-4o");
  REQUIRE(counter.ok());
  std::vector<tokenizer::ChatMessage> convo;
  for (int i = 0; i < 10; ++i)
    convo.push_back({"user", "message " + std::to_string(i), std::nullopt, {}, std::nullopt});
  std::vector<int64_t> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 50; ++k) results[t] = (*counter)->count_messages(convo);
    });
  for (auto &th : threads) th.join();
  for (int t = 1; t < 4; ++t) CHECK(results[t] == results[0]);
  CHECK(results[0] == 3 + 10 * (3 + 1 + 3));  // "user" 1 token; "message", " ", "N" 3 tokens
}
