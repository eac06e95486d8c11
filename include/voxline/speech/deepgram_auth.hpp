// File: deepgram_auth.hpp
// DeepgramAuth: the credential for Deepgram's websockets and REST endpoints, and the
// Authorization header it becomes (Deepgram auth). An API key goes as `Token <key>`; a
// short-lived access token (a JWT from POST /v1/auth/grant) as `Bearer <jwt>`. Deepgram refuses
// an API key sent as Bearer (HTTP 401), so the two kinds are checked against their shapes here,
// where the mistake has a clear message, instead of at the handshake.
//
//   DeepgramAuth auth{DeepgramAuth::Scheme::kToken, api_key};
//   VOXLINE_ASSIGN_OR_RETURN(HttpHeader h, authorization_header(auth));
//   // h == {"Authorization", "Token <api_key>"}
//
// The credential is a secret: register it with the logger's redactor; error messages here never
// contain it. Thread-safety: a plain value and a pure function.
#pragma once

#include <string>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline::speech {

struct DeepgramAuth {
  enum class Scheme {
    kToken,   // a Deepgram API key
    kBearer,  // a temporary access token (JWT)
  };
  Scheme scheme = Scheme::kToken;
  std::string credential;  // the key or the token alone, without "Token " / "Bearer "
};

// {"Authorization", "Token <key>"} or {"Authorization", "Bearer <jwt>"}. INVALID_ARGUMENT when the
// credential is empty, starts with "Token " or "Bearer ", contains a byte outside visible ASCII
// (a space, CR/LF: header injection), is a JWT given as kToken, or is not a JWT (three non-empty
// base64url parts joined by '.') given as kBearer.
VOXLINE_API Result<HttpHeader> authorization_header(const DeepgramAuth &auth);

}  // namespace voxline::speech
