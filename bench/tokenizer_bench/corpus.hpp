// Deterministic benchmark corpora (same bytes on every machine and run).
#pragma once

#include <cstddef>
#include <string>

namespace voxline::bench {

// English prose mixed with source code (C++, Python, JSON, shell, SQL), about `bytes` long.
std::string english_code_corpus(size_t bytes);
// Many scripts (CJK, Arabic, Hebrew, Cyrillic, Devanagari, Thai, Greek, Korean, accented Latin,
// emoji), about `bytes` long.
std::string multilingual_corpus(size_t bytes);

}  // namespace voxline::bench
