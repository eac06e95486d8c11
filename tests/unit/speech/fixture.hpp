// Helpers of the speech message tests: Deepgram's documented examples copied into
// tests/unit/speech/fixtures/, and typed access to a decoded event.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <variant>

inline std::string speech_fixture(const std::string &name) {
  std::ifstream in(std::string(VOXLINE_SPEECH_FIXTURES) + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The alternative T of a decoded event; fails the test when the event is another type.
template <typename T, typename Event>
T expect_event(const Event &ev) {
  REQUIRE_MESSAGE(std::holds_alternative<T>(ev), "event index " << ev.index());
  return std::get<T>(ev);
}
