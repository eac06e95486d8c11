// Reads a protocols.md example copied into tests/unit/speech/fixtures/.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

inline std::string speech_fixture(const std::string &name) {
  std::ifstream in(std::string(VOXLINE_SPEECH_FIXTURES) + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
