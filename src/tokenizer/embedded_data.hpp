// The compiled-in rank tables (src/tokenizer/data/*.vxtk, made by data/gen_rank_blobs.mjs from
// OpenAI's .tiktoken files; MIT, Copyright (c) 2022 OpenAI, Shantanu Jain).
#pragma once

#include <string_view>

namespace voxline::tokenizer::detail {

std::string_view embedded_o200k_base() noexcept;
std::string_view embedded_cl100k_base() noexcept;

}  // namespace voxline::tokenizer::detail
