#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "voxline/core/bounded_queue.hpp"

using voxline::BoundedQueue;
using voxline::Deadline;
using voxline::OverflowPolicy;
using voxline::StatusCode;

TEST_CASE("push returns QUEUE_FULL and keeps the item with the caller when a reject queue is full") {
  BoundedQueue<std::unique_ptr<int>> q(2, OverflowPolicy::kReject);
  REQUIRE(q.push(std::make_unique<int>(1)).ok());
  REQUIRE(q.push(std::make_unique<int>(2)).ok());
  auto third = std::make_unique<int>(3);
  const auto s = q.push(std::move(third));
  CHECK(s.code() == StatusCode::kQueueFull);
  REQUIRE(third != nullptr);  // not moved from: nothing lost
  CHECK(*third == 3);
  CHECK(q.stats().rejected == 1);
  CHECK(*q.try_pop().value() == 1);
}

TEST_CASE("drop-oldest queue evicts the oldest item, hands it back and counts the drop") {
  BoundedQueue<int> q(3, OverflowPolicy::kDropOldest);
  for (int i = 1; i <= 3; ++i) REQUIRE(q.push(int{i}).ok());
  std::optional<int> evicted;
  REQUIRE(q.push(4, &evicted).ok());
  REQUIRE(evicted.has_value());
  CHECK(*evicted == 1);
  CHECK(q.push(5).ok());
  const auto st = q.stats();
  CHECK(st.dropped == 2);
  CHECK(st.size == 3);
  CHECK(st.high_water == 3);
  std::vector<int> out;
  q.drain(out);
  CHECK(out == std::vector<int>{3, 4, 5});
}

TEST_CASE("pop times out at its deadline on an empty queue") {
  voxline::ManualClock clock;
  BoundedQueue<int> q(1, OverflowPolicy::kReject);
  std::thread advancer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    clock.advance(std::chrono::seconds(2));
  });
  auto r = q.pop(Deadline::after(std::chrono::seconds(1), clock));
  advancer.join();
  CHECK(r.status().code() == StatusCode::kTimeout);
}

TEST_CASE("close wakes a waiting consumer and later pushes are refused while queued items still drain") {
  BoundedQueue<int> q(4, OverflowPolicy::kReject);
  REQUIRE(q.push(7).ok());
  q.close();
  CHECK(q.push(8).code() == StatusCode::kFailedPrecondition);
  auto first = q.pop(Deadline::after(std::chrono::seconds(5)));
  REQUIRE(first.ok());
  CHECK(*first == 7);
  std::atomic<bool> woke{false};
  std::thread consumer([&] {
    auto r = q.pop(Deadline::infinite());
    woke = r.status().code() == StatusCode::kCancelled;
  });
  consumer.join();
  CHECK(woke.load());
}

TEST_CASE("capacity zero is raised to one") {
  BoundedQueue<int> q(0, OverflowPolicy::kReject);
  CHECK(q.capacity() == 1);
  CHECK(q.push(1).ok());
  CHECK(q.push(2).code() == StatusCode::kQueueFull);
}

// 4 producers push distinct numbers concurrently while 2 consumers pop: every number is either
// delivered exactly once or counted as dropped, and the counters add up.
static void run_producer_consumer(OverflowPolicy policy) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 20000;
  BoundedQueue<int> q(64, policy);
  std::atomic<int> rejected_by_caller{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        const int value = p * kPerProducer + i;
        if (!q.push(int{value}).ok()) rejected_by_caller.fetch_add(1);
      }
    });
  }
  std::mutex seen_mu;
  std::vector<int> seen;
  std::atomic<bool> producers_done{false};
  std::vector<std::thread> consumers;
  for (int c = 0; c < 2; ++c) {
    consumers.emplace_back([&] {
      std::vector<int> local;
      for (;;) {
        auto r = q.pop(Deadline::after(std::chrono::milliseconds(5)));
        if (r.ok()) {
          local.push_back(*r);
        } else if (producers_done.load() && q.size() == 0) {
          break;
        }
      }
      std::lock_guard<std::mutex> lock(seen_mu);
      seen.insert(seen.end(), local.begin(), local.end());
    });
  }
  for (auto &t : producers) t.join();
  producers_done = true;
  for (auto &t : consumers) t.join();

  const auto st = q.stats();
  const uint64_t total = kProducers * kPerProducer;
  std::set<int> unique(seen.begin(), seen.end());
  CHECK(unique.size() == seen.size());  // nothing delivered twice
  CHECK(st.popped == seen.size());
  CHECK(st.pushed + st.rejected == total);
  CHECK(static_cast<uint64_t>(rejected_by_caller.load()) == st.rejected);
  CHECK(seen.size() + st.dropped + st.rejected == total);  // lost only what the counters say
  CHECK(st.high_water <= 64);
  for (int v : seen) CHECK_UNARY(v >= 0 && v < static_cast<int>(total));
}

TEST_CASE("4 producers into a reject queue lose nothing beyond the counted rejections") {
  run_producer_consumer(OverflowPolicy::kReject);
}

TEST_CASE("4 producers into a drop-oldest queue lose nothing beyond the counted drops") {
  run_producer_consumer(OverflowPolicy::kDropOldest);
}

TEST_CASE("items from one producer keep their order") {
  BoundedQueue<int> q(1000, OverflowPolicy::kReject);
  for (int i = 0; i < 1000; ++i) REQUIRE(q.push(int{i}).ok());
  for (int i = 0; i < 1000; ++i) CHECK(*q.try_pop() == i);
  CHECK_FALSE(q.try_pop().has_value());
}
