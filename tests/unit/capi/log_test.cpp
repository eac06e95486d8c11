// Logging through the C ABI and the default sink: where lines go by default, and that one call
// in C or in C++ silences the library. What a C host gets before it sets a sink (dropped and
// counted) needs a process that never set one: tests/capi/capi_log_policy_test.c.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "voxline.h"
#include "voxline/core/log.hpp"

namespace {

struct Received {
  std::mutex mu;
  std::vector<std::string> lines;  // "LEVEL component message"
  int frees = 0;
  int64_t last_time_ms = 0;
  unsigned last_version = 0;
};

void on_line(const voxline_log_record *r, void *user_data) {
  auto *rx = static_cast<Received *>(user_data);
  std::lock_guard<std::mutex> lock(rx->mu);
  rx->lines.push_back(std::to_string(static_cast<int>(r->level)) + " " + r->component + " " + r->message);
  rx->last_time_ms = r->unix_time_ms;
  rx->last_version = r->version;
}

void on_free(void *user_data) {
  static_cast<Received *>(user_data)->frees++;
}

// Runs `fn` with file descriptor 2 redirected into a file; returns what was written to it.
template <typename Fn>
std::string capture_stderr(Fn &&fn) {
  voxline::testing::TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir.file("stderr.txt");
  std::fflush(stderr);
  const int saved = dup(2);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(saved >= 0);
  REQUIRE(fd >= 0);
  dup2(fd, 2);
  close(fd);
  fn();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void log_both_levels() {
  VOXLINE_LOG_INFO(voxline::default_logger(), "net", "info line {}", 1);
  VOXLINE_LOG_WARN(voxline::default_logger(), "net", "warn line {}", 2);
}

}  // namespace

TEST_CASE("a C++ Logger still starts with the stderr sink: only the C ABI drops by default") {
  voxline::Logger logger;
  const std::string err = capture_stderr([&] {
    VOXLINE_LOG_INFO(logger, "net", "info line {}", 1);
    VOXLINE_LOG_WARN(logger, "net", "warn line {}", 2);
  });
  CHECK(err.find("WARN  [net] warn line 2\n") != std::string::npos);
  CHECK(err.find("info line") == std::string::npos);
}

TEST_CASE("one C call silences the library: voxline_log_set_sink(NULL, NULL, NULL)") {
  REQUIRE(voxline_log_set_sink(nullptr, nullptr, nullptr) == VOXLINE_OK);
  CHECK(capture_stderr(log_both_levels).empty());
}

TEST_CASE("one C++ call silences the library: default_logger().silence()") {
  voxline::default_logger().silence();
  CHECK(capture_stderr(log_both_levels).empty());
}

TEST_CASE("a C sink receives redacted lines at the level set through voxline_log_set_level") {
  Received rx;
  REQUIRE(voxline_log_set_sink(on_line, &rx, on_free) == VOXLINE_OK);
  REQUIRE(voxline_log_set_level(VOXLINE_LOG_INFO) == VOXLINE_OK);
  const std::string err = capture_stderr([] {
    VOXLINE_LOG_DEBUG(voxline::default_logger(), "core", "debug stays out");
    VOXLINE_LOG_INFO(voxline::default_logger(), "storage", "opened {}", "db.sqlite");
    VOXLINE_LOG_ERROR(voxline::default_logger(), "net", "refused: Authorization: Bearer abcdef0123456789xyz");
  });
  CHECK(err.empty());  // the host's sink replaced stderr
  REQUIRE(rx.lines.size() == 2);
  CHECK(rx.lines[0] == "2 storage opened db.sqlite");
  CHECK(rx.lines[1].rfind("4 net refused: ", 0) == 0);
  CHECK(rx.lines[1].find("abcdef0123456789xyz") == std::string::npos);
  CHECK(rx.last_version == VOXLINE_LOG_RECORD_VERSION);
  CHECK(rx.last_time_ms > 1700000000000LL);  // a real wall-clock time (after 2023)

  CHECK(voxline_log_set_level(VOXLINE_LOG_OFF) == VOXLINE_OK);
  VOXLINE_LOG_ERROR(voxline::default_logger(), "net", "dropped at OFF");
  CHECK(rx.lines.size() == 2);
  // rx lives on this stack: uninstall the sink before it goes (its free must run now, once).
  REQUIRE(voxline_log_set_sink(nullptr, nullptr, nullptr) == VOXLINE_OK);
  CHECK(rx.frees == 1);
  REQUIRE(voxline_log_set_level(VOXLINE_LOG_WARN) == VOXLINE_OK);  // the default, for later cases
}

TEST_CASE("user_data_free runs once, when the sink is replaced, and not before") {
  Received first, second;
  REQUIRE(voxline_log_set_level(VOXLINE_LOG_WARN) == VOXLINE_OK);  // level and sink are process-wide
  REQUIRE(voxline_log_set_sink(on_line, &first, on_free) == VOXLINE_OK);
  VOXLINE_LOG_WARN(voxline::default_logger(), "core", "to first");
  CHECK(first.frees == 0);
  REQUIRE(voxline_log_set_sink(on_line, &second, on_free) == VOXLINE_OK);
  CHECK(first.frees == 1);
  VOXLINE_LOG_WARN(voxline::default_logger(), "core", "to second");
  CHECK(first.lines.size() == 1);
  CHECK(second.lines.size() == 1);
  REQUIRE(voxline_log_set_sink(nullptr, nullptr, nullptr) == VOXLINE_OK);
  CHECK(second.frees == 1);
  CHECK(first.frees == 1);
}

TEST_CASE("user_data_free of a NULL sink runs right away") {
  Received rx;
  REQUIRE(voxline_log_set_sink(nullptr, &rx, on_free) == VOXLINE_OK);
  CHECK(rx.frees == 1);
}

TEST_CASE("a C sink may log and replace the sink from inside its callback") {
  struct Reentrant {
    int calls = 0;
  } state;
  auto cb = [](const voxline_log_record *, void *user_data) {
    auto *s = static_cast<Reentrant *>(user_data);
    if (++s->calls == 1) {
      VOXLINE_LOG_WARN(voxline::default_logger(), "core", "nested line");
      voxline_log_set_sink(nullptr, nullptr, nullptr);
    }
  };
  REQUIRE(voxline_log_set_level(VOXLINE_LOG_WARN) == VOXLINE_OK);
  REQUIRE(voxline_log_set_sink(cb, &state, nullptr) == VOXLINE_OK);
  VOXLINE_LOG_WARN(voxline::default_logger(), "core", "outer line");
  CHECK(state.calls == 2);  // the nested line reached the sink before it was replaced
  VOXLINE_LOG_WARN(voxline::default_logger(), "core", "after");
  CHECK(state.calls == 2);
}
