// SttAudioRing (the SPSC ring behind SttStream::push_audio) and SttReplayBuffer: order kept across
// wrap-around, both overflow policies counted, whole samples, and a producer thread racing the
// consumer (run under TSan in CI) that loses or reorders no byte.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "speech/stt_replay.hpp"
#include "speech/stt_ring.hpp"

using voxline::speech::SttAudioRing;
using voxline::speech::SttReplayBuffer;

namespace {

std::vector<uint8_t> seq(uint8_t first, size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(first + i);
  return v;
}

std::vector<uint8_t> read_all(SttAudioRing &r) {
  std::vector<uint8_t> out(r.available());
  out.resize(r.read(out.data(), out.size()));
  return out;
}

}  // namespace

TEST_CASE("the ring returns bytes in order across wrap-around") {
  SttAudioRing r(10, 1, false);
  uint8_t next = 0;
  std::vector<uint8_t> got, want;
  for (int round = 0; round < 20; ++round) {
    auto frame = seq(next, 7);
    next = static_cast<uint8_t>(next + 7);
    REQUIRE(r.push(frame.data(), frame.size()));
    want.insert(want.end(), frame.begin(), frame.end());
    auto part = read_all(r);
    got.insert(got.end(), part.begin(), part.end());
  }
  CHECK(got == want);
  CHECK(r.available() == 0);
  CHECK(r.dropped_bytes() == 0);
  CHECK(r.high_water() == 7);
}

TEST_CASE("drop-newest refuses the frame that does not fit and counts it, keeping what waits") {
  SttAudioRing r(8, 2, false);
  auto a = seq(0, 6), b = seq(100, 4);
  REQUIRE(r.push(a.data(), a.size()));
  CHECK_FALSE(r.push(b.data(), b.size()));
  CHECK(r.dropped_bytes() == 4);
  CHECK(r.trim() == 0);  // drop-newest never trims
  CHECK(read_all(r) == a);
  CHECK(r.push(b.data(), b.size()));
  CHECK(read_all(r) == b);
  CHECK(r.high_water() == 6);
}

TEST_CASE("drop-oldest keeps the newest capacity bytes once the slot trims, counting the rest") {
  SttAudioRing r(8, 2, true);
  auto a = seq(0, 6), b = seq(100, 6);
  REQUIRE(r.push(a.data(), a.size()));
  REQUIRE(r.push(b.data(), b.size()));  // 12 waiting: over capacity, within the spare half
  CHECK(r.high_water() == 12);
  CHECK(r.trim() == 4);
  CHECK(r.dropped_bytes() == 4);
  std::vector<uint8_t> want = {4, 5, 100, 101, 102, 103, 104, 105};
  CHECK(read_all(r) == want);
}

TEST_CASE("drop-oldest refuses a frame only when the slot left a whole extra capacity undrained") {
  SttAudioRing r(4, 1, true);
  auto f = seq(0, 4);
  REQUIRE(r.push(f.data(), f.size()));
  REQUIRE(r.push(f.data(), f.size()));
  CHECK_FALSE(r.push(f.data(), 1));
  CHECK(r.dropped_bytes() == 1);
}

TEST_CASE("frames larger than the ring are refused whole") {
  SttAudioRing r(4, 1, false);
  auto f = seq(0, 5);
  CHECK_FALSE(r.push(f.data(), f.size()));
  CHECK(r.available() == 0);
  CHECK(r.dropped_bytes() == 5);
}

TEST_CASE("reads stop at whole samples and clear() empties the ring") {
  SttAudioRing r(8, 2, false);
  auto f = seq(0, 6);
  REQUIRE(r.push(f.data(), f.size()));
  uint8_t out[8];
  CHECK(r.read(out, 3) == 2);
  CHECK(r.clear() == 4);
  CHECK(r.available() == 0);
}

TEST_CASE("a producer thread racing the consumer loses and reorders nothing") {
  constexpr size_t kTotal = 2'000'000;
  SttAudioRing r(640, 2, false);
  std::atomic<bool> done{false};
  std::thread producer([&] {
    uint16_t v = 0;
    size_t sent = 0;
    uint8_t frame[160];
    while (sent < kTotal) {
      for (size_t i = 0; i < sizeof(frame); i += 2) {
        frame[i] = static_cast<uint8_t>(v & 0xFF);
        frame[i + 1] = static_cast<uint8_t>(v >> 8);
        ++v;
      }
      while (!r.push(frame, sizeof(frame))) std::this_thread::yield();  // drop-newest: retry the same frame
      sent += sizeof(frame);
    }
    done.store(true);
  });
  size_t got = 0;
  uint16_t expect = 0;
  bool in_order = true;
  uint8_t buf[300];
  while (got < kTotal) {
    const size_t n = r.read(buf, sizeof(buf));
    for (size_t i = 0; i + 1 < n; i += 2) {
      const uint16_t v = static_cast<uint16_t>(buf[i] | (buf[i + 1] << 8));
      if (v != expect) in_order = false;
      ++expect;
    }
    got += n;
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  CHECK(in_order);
  CHECK(got == kTotal);
  CHECK(r.high_water() <= r.capacity());
}

TEST_CASE("the replay buffer keeps the newest bytes at their stream offsets") {
  SttReplayBuffer b(10);
  auto a = seq(0, 6), c = seq(6, 8);
  b.append(a.data(), a.size());
  CHECK(b.begin() == 0);
  CHECK(b.end() == 6);
  b.append(c.data(), c.size());
  CHECK(b.end() == 14);
  CHECK(b.begin() == 4);
  uint8_t out[10];
  REQUIRE(b.copy(4, 10, out));
  for (int i = 0; i < 10; ++i) CHECK(out[i] == 4 + i);
  CHECK_FALSE(b.copy(3, 2, out));   // forgotten
  CHECK_FALSE(b.copy(12, 3, out));  // not sent yet
  auto big = seq(50, 25);           // larger than the buffer: only its tail stays
  b.append(big.data(), big.size());
  CHECK(b.end() == 39);
  REQUIRE(b.copy(29, 10, out));
  CHECK(out[0] == 50 + 15);
  CHECK(out[9] == 50 + 24);
}
