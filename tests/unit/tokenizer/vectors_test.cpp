// Golden vectors from npm tiktoken 1.0.22 (ENCODINGS.md section 5): every line must agree exactly.
#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "voxline/core/json.hpp"
#include "voxline/tokenizer/encoding.hpp"

using namespace voxline;
using voxline::tokenizer::Encoding;

namespace {

struct Vector {
  std::string encoding;
  std::string text;
  std::vector<uint32_t> ids;
  bool has_special_fields = false;
  bool default_raises = false;
  std::vector<uint32_t> ids_allowed_all;
  std::string category;
};

std::vector<uint32_t> read_ids(const json::Value &arr) {
  std::vector<uint32_t> out;
  for (const auto &v : arr.GetArray()) out.push_back(v.GetUint());
  return out;
}

std::vector<Vector> load_vectors() {
  std::ifstream in(std::string(VOXLINE_TOKENIZER_TEST_DATA) + "/tokenizer_vectors.jsonl");
  REQUIRE(in.good());
  std::vector<Vector> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto doc = json::parse(line);
    REQUIRE(doc.ok());
    Vector v;
    v.encoding = std::string(*json::get_string(*doc, "encoding"));
    v.text = std::string(*json::get_string(*doc, "text"));
    v.category = std::string(*json::get_string(*doc, "category"));
    v.ids = read_ids(**json::get_array(*doc, "ids"));
    if (const json::Value *r = json::find(*doc, "encode_default_raises")) {
      v.has_special_fields = true;
      v.default_raises = r->GetBool();
      v.ids_allowed_all = read_ids(**json::get_array(*doc, "ids_allowed_all"));
    }
    out.push_back(std::move(v));
  }
  return out;
}

const Encoding &enc_for(const std::string &name) {
  auto e = tokenizer::get_encoding(name);
  REQUIRE(e.ok());
  return **e;
}

}  // namespace

TEST_CASE("encode_ordinary matches npm tiktoken on every golden vector of both encodings") {
  const auto vectors = load_vectors();
  REQUIRE(vectors.size() == 356);
  size_t mismatches = 0;
  for (const Vector &v : vectors) {
    const Encoding &enc = enc_for(v.encoding);
    const auto ids = enc.encode_ordinary(v.text);
    if (ids != v.ids) {
      ++mismatches;
      MESSAGE("mismatch: " << v.encoding << " [" << v.category << "] " << json::quote(v.text).substr(0, 200));
    }
    CHECK(enc.count_ordinary(v.text) == v.ids.size());
  }
  CHECK(mismatches == 0);
}

TEST_CASE("default encode raises exactly where tiktoken raises and allowed all gives tiktoken ids") {
  size_t checked = 0;
  for (const Vector &v : load_vectors()) {
    const Encoding &enc = enc_for(v.encoding);
    auto def = enc.encode(v.text);
    if (!v.has_special_fields) {
      REQUIRE(def.ok());
      CHECK(*def == v.ids);
      continue;
    }
    ++checked;
    CHECK(def.ok() == !v.default_raises);
    if (def.ok()) CHECK(*def == v.ids);
    if (!def.ok()) {
      CHECK(def.status().code() == StatusCode::kInvalidArgument);
      CHECK(def.status().message().find("The text contains a special token that is not allowed: <|") == 0);
    }
    auto all = enc.encode(v.text, tokenizer::SpecialTokenOptions::all_allowed());
    REQUIRE(all.ok());
    CHECK(*all == v.ids_allowed_all);
    auto n = enc.count(v.text, tokenizer::SpecialTokenOptions::all_allowed());
    REQUIRE(n.ok());
    CHECK(*n == v.ids_allowed_all.size());
  }
  CHECK(checked > 0);
}

TEST_CASE("decode of encode gives back every golden vector text byte for byte") {
  for (const Vector &v : load_vectors()) {
    const Encoding &enc = enc_for(v.encoding);
    auto back = enc.decode(v.ids);
    REQUIRE(back.ok());
    CHECK(*back == v.text);
    if (v.has_special_fields) {
      auto back_all = enc.decode(v.ids_allowed_all);
      REQUIRE(back_all.ok());
      CHECK(*back_all == v.text);
    }
  }
}

TEST_CASE("cookbook sanity values encode to the published ids") {
  CHECK(tokenizer::cl100k_base().encode_ordinary("tiktoken is great!") ==
        std::vector<uint32_t>{83, 1609, 5963, 374, 2294, 0});
  CHECK(tokenizer::o200k_base().encode_ordinary("お誕生日おめでとう") ==
        std::vector<uint32_t>{8930, 9697, 243, 128225, 8930, 17693, 4344, 48669});
  CHECK(tokenizer::cl100k_base().encode_ordinary("お誕生日おめでとう") ==
        std::vector<uint32_t>{33334, 45918, 243, 21990, 9080, 33334, 62004, 16556, 78699});
  CHECK(tokenizer::o200k_base().encode_ordinary("hello <|endoftext|> world") ==
        std::vector<uint32_t>{24912, 464, 91, 419, 1440, 919, 91, 29, 2375});
}

TEST_CASE("built-in tables have the documented sizes and special ids") {
  const Encoding &o = tokenizer::o200k_base();
  const Encoding &c = tokenizer::cl100k_base();
  CHECK(o.rank_count() == 199998);
  CHECK(o.n_vocab() == 200019);
  CHECK(c.rank_count() == 100256);
  CHECK(c.n_vocab() == 100277);
  CHECK(o.special_tokens().size() == 2);
  CHECK(c.special_tokens().size() == 5);
  CHECK(*o.token_bytes(200018) == "<|endofprompt|>");
  CHECK(*c.token_bytes(100260) == "<|fim_suffix|>");
  CHECK(o.token_bytes(199998).status().code() == StatusCode::kInvalidArgument);  // a hole in the id space
}
