// C ABI: voxline_tokenizer over tokenizer::Encoding (one of the process-lived built-ins).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "buffers.hpp"
#include "capi_internal.hpp"
#include "handles.hpp"
#include "voxline/tokenizer/encoding.hpp"

struct voxline_tokenizer {
  const voxline::tokenizer::Encoding *encoding;  // a built-in: lives for the whole process
};

namespace {

using voxline::Status;
using voxline::capi::HandleKind;

Status check_text(const char *utf8, size_t len) {
  if (utf8 == nullptr && len != 0) return voxline::invalid_argument("NULL text with a non-zero length");
  return Status::Ok();
}

std::string_view text_view(const char *utf8, size_t len) {
  return len == 0 ? std::string_view() : std::string_view(utf8, len);
}

}  // namespace

extern "C" voxline_status voxline_tokenizer_open(voxline_tokenizer **out, const char *name) {
  return voxline::capi::guard([&]() -> Status {
    if (out == nullptr) return voxline::invalid_argument("NULL out pointer (voxline_tokenizer **)");
    *out = nullptr;
    if (name == nullptr) return voxline::invalid_argument("NULL tokenizer name");
    const std::string_view n(name);
    // An encoding name first, then a model name: "o200k_base" is not a model.
    auto enc = voxline::tokenizer::get_encoding(n);
    if (!enc.ok()) enc = voxline::tokenizer::encoding_for_model(n);
    if (!enc.ok()) return enc.status();
    auto tok = std::make_shared<voxline_tokenizer>(voxline_tokenizer{enc.value()});
    voxline::capi::add_handle(tok, HandleKind::kTokenizer);
    *out = tok.get();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_tokenizer_count(const voxline_tokenizer *tok, const char *utf8, size_t len,
                                                  size_t *count) {
  return voxline::capi::guard([&]() -> Status {
    if (count != nullptr) *count = 0;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(tok, HandleKind::kTokenizer));
    if (count == nullptr) return voxline::invalid_argument("NULL count pointer");
    VOXLINE_RETURN_IF_ERROR(check_text(utf8, len));
    *count = live->encoding->count_ordinary(text_view(utf8, len));
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_tokenizer_encode(const voxline_tokenizer *tok, const char *utf8, size_t len,
                                                   uint32_t **tokens, size_t *n) {
  return voxline::capi::guard([&]() -> Status {
    if (tokens != nullptr) *tokens = nullptr;
    if (n != nullptr) *n = 0;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(tok, HandleKind::kTokenizer));
    if (tokens == nullptr || n == nullptr) return voxline::invalid_argument("NULL tokens or n pointer");
    VOXLINE_RETURN_IF_ERROR(check_text(utf8, len));
    const std::vector<uint32_t> ids = live->encoding->encode_ordinary(text_view(utf8, len));
    *tokens = voxline::capi::copy_tokens(ids.data(), ids.size());
    *n = ids.size();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_tokenizer_decode(const voxline_tokenizer *tok, const uint32_t *tokens,
                                                   size_t n, char *buf, size_t cap, size_t *needed) {
  return voxline::capi::guard([&]() -> Status {
    if (needed != nullptr) *needed = 0;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(tok, HandleKind::kTokenizer));
    if (tokens == nullptr && n != 0) return voxline::invalid_argument("NULL tokens with a non-zero count");
    if (buf == nullptr && cap != 0) return voxline::invalid_argument("NULL buf with a non-zero capacity");
    VOXLINE_ASSIGN_OR_RETURN(std::string bytes, live->encoding->decode(tokens, n));
    if (needed != nullptr) *needed = bytes.size();
    if (cap < bytes.size() + 1) {
      return voxline::buffer_too_small("decoded text needs " + std::to_string(bytes.size() + 1) +
                                       " bytes with its NUL, the buffer has " + std::to_string(cap));
    }
    if (!bytes.empty()) std::memcpy(buf, bytes.data(), bytes.size());
    buf[bytes.size()] = '\0';
    return Status::Ok();
  });
}

extern "C" const char *voxline_tokenizer_encoding(const voxline_tokenizer *tok) {
  return voxline::capi::guard_value<const char *>("", [&]() -> const char * {
    auto live = voxline::capi::use_handle(tok, HandleKind::kTokenizer);
    if (!live.ok()) {
      voxline::capi::set_error(live.status());
      return "";
    }
    return live.value()->encoding->name().c_str();  // the encoding lives for the whole process
  });
}

extern "C" void voxline_tokenizer_free(voxline_tokenizer *tok) {
  voxline::capi::release_handle(tok, HandleKind::kTokenizer);
}
