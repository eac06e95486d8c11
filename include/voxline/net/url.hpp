// File: url.hpp
// Url: the parts of a ws://, wss://, http:// or https:// URL that the runtime needs to connect.
// Parsing is strict: unknown schemes, empty hosts, bad ports and embedded credentials are errors.
//
//   VOXLINE_ASSIGN_OR_RETURN(Url u, parse_url("wss://api.deepgram.com/v1/listen?encoding=mulaw"));
//   u.host == "api.deepgram.com"; u.port == 443; u.tls == true; u.path_and_query == "/v1/listen?..."
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

struct Url {
  std::string scheme;          // "ws", "wss", "http" or "https" (lower case)
  std::string host;            // without IPv6 brackets
  int port = 0;                // explicit or the scheme's default
  std::string path_and_query;  // starts with '/'
  bool tls = false;
  bool is_websocket = false;

  // "host" or "host:port" (brackets around IPv6) as the Host header carries it.
  std::string host_header() const;
};

VOXLINE_API Result<Url> parse_url(std::string_view text);

}  // namespace voxline
