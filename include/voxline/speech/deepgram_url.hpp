// File: deepgram_url.hpp
// Building Deepgram endpoint URLs: RFC 3986 percent-encoding of query keys and values, an
// ordered query builder (repeatable keys such as `keyterm` are simply added again, the
// `urlencode(..., doseq=True)` style Deepgram documents), and the join of a checked base URL with
// an endpoint path. Used by SttOptions and TtsOptions; the streams never assemble URLs by hand.
//
//   QueryString q;
//   q.add("model", "nova-3").add_bool("interim_results", true).add_int("sample_rate", 8000);
//   q.add("keyterm", "oil change");                  // keyterm=oil%20change
//   VOXLINE_ASSIGN_OR_RETURN(std::string url,
//                            join_endpoint("wss://api.deepgram.com", "/v1/listen", q, UrlKind::kWebsocket));
//   // "wss://api.deepgram.com/v1/listen?model=nova-3&interim_results=true&sample_rate=8000&..."
//
// Thread-safety: pure functions; a QueryString is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"

namespace voxline::speech {

// `text` with every byte outside the unreserved set (A-Z a-z 0-9 - . _ ~) written as %XX in
// upper-case hex: a space is %20, '+' is %2B, '&' is %26, UTF-8 bytes are escaped one by one.
VOXLINE_API std::string percent_encode(std::string_view text);

// An ordered list of key=value pairs, each key and value percent-encoded as it is added.
class VOXLINE_API QueryString {
 public:
  QueryString &add(std::string_view key, std::string_view value);
  QueryString &add_bool(std::string_view key, bool value);  // the literal true / false
  QueryString &add_int(std::string_view key, int64_t value);
  // "k1=v1&k2=v2" (no leading '?'); empty when nothing was added.
  const std::string &str() const noexcept { return text_; }

 private:
  std::string text_;
};

enum class UrlKind {
  kWebsocket,  // ws:// or wss://
  kHttp,       // http:// or https://
};

// "<base><path>?<query>" (no '?' when the query is empty). `base_url` is a scheme and authority,
// optionally with a path prefix (a proxy: "ws://127.0.0.1:8080/deepgram"); a trailing '/' is
// dropped so the path is not doubled. INVALID_ARGUMENT naming the base URL when it does not parse
// (net/url: bad port, embedded credentials, ...), its scheme does not fit `kind`, or it carries a
// query or a fragment (the options own the query).
VOXLINE_API Result<std::string> join_endpoint(std::string_view base_url, std::string_view path,
                                              const QueryString &query, UrlKind kind);

// OK when `value` is a non-empty word of ASCII letters, digits and . _ - : (Deepgram model ids,
// voice ids, language tags); else INVALID_ARGUMENT naming `field` and the offending character.
VOXLINE_API Status check_identifier(std::string_view field, std::string_view value);

}  // namespace voxline::speech
