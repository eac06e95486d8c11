#include <algorithm>
#include <cstring>
#include <string>

#include "tokenizer/encoding_data.hpp"

namespace voxline::tokenizer::detail {
namespace {

int8_t b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<int8_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<int8_t>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<int8_t>(c - '0' + 52);
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with '=' padding; false on any other character or a bad length.
bool b64_decode(std::string_view in, std::string &out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const unsigned char c = static_cast<unsigned char>(in[i + k]);
      int8_t d;
      if (c == '=' && i + 4 == in.size() && k >= 4 - pad)
        d = 0;
      else if ((d = b64_value(c)) < 0)
        return false;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (i + 4 < in.size() || pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (i + 4 < in.size() || pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return true;
}

}  // namespace

Result<RankTable> load_compact_ranks(std::string_view compact) {
  if (compact.size() < 16 || compact.substr(0, 8) != "VXTK0001")
    return internal_error("compiled-in tokenizer table has a bad header");
  uint32_t n, blob;
  std::memcpy(&n, compact.data() + 8, 4);
  std::memcpy(&blob, compact.data() + 12, 4);
  if (compact.size() < 16ull + n + blob) return internal_error("compiled-in tokenizer table is truncated");
  std::vector<uint32_t> lengths(n);
  const auto *len8 = reinterpret_cast<const unsigned char *>(compact.data() + 16);
  for (uint32_t i = 0; i < n; ++i) lengths[i] = len8[i];
  return RankTable::build(compact.substr(16 + n, blob), lengths);
}

Result<RankTable> load_tiktoken_ranks(std::string_view text) {
  struct Entry {
    uint32_t rank;
    uint32_t offset;
    uint32_t length;
  };
  std::vector<Entry> entries;
  std::string bytes;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 >= line.size())
      return invalid_argument(".tiktoken line " + std::to_string(line_no) + ": expected '<base64> <rank>'");
    const std::string_view rank_text = line.substr(sp + 1);
    uint64_t rank = 0;
    for (char c : rank_text) {
      if (c < '0' || c > '9' || rank > 0xFFFFFFF)
        return invalid_argument(".tiktoken line " + std::to_string(line_no) + ": bad rank '" +
                                std::string(rank_text.substr(0, 32)) + "'");
      rank = rank * 10 + static_cast<uint64_t>(c - '0');
    }
    const size_t before = bytes.size();
    if (!b64_decode(line.substr(0, sp), bytes) || bytes.size() == before)
      return invalid_argument(".tiktoken line " + std::to_string(line_no) + ": bad base64");
    if (bytes.size() - before > 255)
      return invalid_argument(".tiktoken line " + std::to_string(line_no) + ": token longer than 255 bytes");
    entries.push_back({static_cast<uint32_t>(rank), static_cast<uint32_t>(before),
                       static_cast<uint32_t>(bytes.size() - before)});
  }
  if (entries.empty()) return invalid_argument(".tiktoken file has no ranks");
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) { return a.rank < b.rank; });
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].rank != i)
      return invalid_argument(".tiktoken ranks must be 0..n-1 without gaps or duplicates; rank " +
                              std::to_string(i) + (entries[i].rank < i ? " repeats" : " is missing"));
  std::string blob;
  blob.reserve(bytes.size());
  std::vector<uint32_t> lengths(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    blob.append(bytes, entries[i].offset, entries[i].length);
    lengths[i] = entries[i].length;
  }
  std::string_view view(blob);
  return RankTable::build(view, lengths, std::move(blob));
}

}  // namespace voxline::tokenizer::detail
