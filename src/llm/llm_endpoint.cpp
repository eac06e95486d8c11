#include "voxline/llm/llm_endpoint.hpp"

#include <fmt/format.h>

#include "voxline/core/json.hpp"
#include "voxline/core/strings.hpp"
#include "voxline/net/url.hpp"

namespace voxline {

namespace {

constexpr std::string_view kFields[] = {"base_url",
                                        "model",
                                        "auth",
                                        "api_key",
                                        "api_version",
                                        "headers",
                                        "max_tokens_field",
                                        "send_stream_options",
                                        "send_parallel_tool_calls"};

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Status check_header(std::string_view name, std::string_view value, LlmAuthStyle auth) {
  const std::string at = fmt::format("headers.'{}'", name);
  if (name.empty()) return invalid_argument("headers: empty header name");
  for (char c : name)
    if (!is_token_char(c)) return invalid_argument(at + ": invalid character in header name");
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      return invalid_argument(at + ": control character in header value");
  if (iequals(name, "content-type") || iequals(name, "accept") || iequals(name, "content-length"))
    return invalid_argument(at + ": set by the client itself");
  if ((auth == LlmAuthStyle::kBearer && iequals(name, "authorization")) ||
      (auth == LlmAuthStyle::kApiKey && iequals(name, "api-key")))
    return invalid_argument(at + ": the auth style sets this header; put the credential in api_key");
  return Status::Ok();
}

Result<std::string> get_text(const json::Value &doc, std::string_view field) {
  VOXLINE_ASSIGN_OR_RETURN(std::string_view v, json::get_string(doc, field));
  return std::string(v);
}

Status parse_headers(const json::Value &obj, LlmEndpoint &ep) {
  if (!obj.IsObject())
    return invalid_argument(fmt::format("field 'headers' must be an object, got {}", json::type_name(obj)));
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    const std::string_view name = json::view(it->name);
    if (!it->value.IsString())
      return invalid_argument(
          fmt::format("headers.'{}' must be a string, got {}", name, json::type_name(it->value)));
    const std::string_view value = json::view(it->value);
    VOXLINE_RETURN_IF_ERROR(check_header(name, value, ep.auth));
    for (const auto &h : ep.extra_headers)
      if (iequals(h.first, name)) return invalid_argument(fmt::format("headers.'{}' appears twice", name));
    ep.extra_headers.emplace_back(std::string(name), std::string(value));
  }
  return Status::Ok();
}

Status parse_base_url(std::string_view text, LlmEndpoint &ep) {
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  auto url = parse_url(text);
  if (!url.ok()) return url.status().with_context("field 'base_url'");
  if (url->is_websocket) return invalid_argument("field 'base_url' must be http:// or https://");
  if (url->path_and_query.find_first_of("?#") != std::string::npos)
    return invalid_argument("field 'base_url' must not carry a query or fragment (use api_version)");
  ep.base_url = std::string(text);
  return Status::Ok();
}

Status parse_fields(const json::Value &doc, LlmEndpoint &ep) {
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string_view name = json::view(it->name);
    bool known = false;
    for (std::string_view f : kFields) known = known || f == name;
    if (!known) return invalid_argument(fmt::format("unknown LLM endpoint field '{}'", name));
  }
  VOXLINE_ASSIGN_OR_RETURN(std::string_view base, json::get_string(doc, "base_url"));
  VOXLINE_RETURN_IF_ERROR(parse_base_url(base, ep));
  VOXLINE_ASSIGN_OR_RETURN(ep.model, get_text(doc, "model"));
  if (ep.model.empty()) return invalid_argument("field 'model' is empty");
  VOXLINE_ASSIGN_OR_RETURN(auto auth, json::get_optional_string(doc, "auth"));
  if (auth) {
    if (*auth == "bearer")
      ep.auth = LlmAuthStyle::kBearer;
    else if (*auth == "api-key")
      ep.auth = LlmAuthStyle::kApiKey;
    else if (*auth == "none")
      ep.auth = LlmAuthStyle::kNone;
    else
      return invalid_argument(
          fmt::format("field 'auth' must be \"bearer\", \"api-key\" or \"none\", got \"{}\"", *auth));
  }
  VOXLINE_ASSIGN_OR_RETURN(auto key, json::get_optional_string(doc, "api_key"));
  if (key) ep.api_key = std::string(*key);
  if (!ep.api_key.empty() && ep.auth == LlmAuthStyle::kNone)
    return invalid_argument("field 'api_key' is set but auth is \"none\"");
  for (char c : ep.api_key)
    if (c == '\r' || c == '\n' || c == '\0')
      return invalid_argument("field 'api_key' holds a control character");
  VOXLINE_ASSIGN_OR_RETURN(auto version, json::get_optional_string(doc, "api_version"));
  if (version) {
    for (char c : *version)
      if (!(is_token_char(c) && c != '&' && c != '#' && c != '%' && c != '+'))
        return invalid_argument(
            fmt::format("field 'api_version' has an invalid character in \"{}\"", *version));
    ep.api_version = std::string(*version);
  }
  if (const json::Value *h = json::find(doc, "headers"); h != nullptr && !h->IsNull())
    VOXLINE_RETURN_IF_ERROR(parse_headers(*h, ep));
  VOXLINE_ASSIGN_OR_RETURN(auto field, json::get_optional_string(doc, "max_tokens_field"));
  if (field) {
    if (*field != "max_completion_tokens" && *field != "max_tokens")
      return invalid_argument(fmt::format(
          "field 'max_tokens_field' must be \"max_completion_tokens\" or \"max_tokens\", got \"{}\"",
          *field));
    ep.render.legacy_max_tokens = *field == "max_tokens";
  }
  VOXLINE_ASSIGN_OR_RETURN(auto so, json::get_optional_bool(doc, "send_stream_options"));
  if (so) ep.render.send_stream_options = *so;
  VOXLINE_ASSIGN_OR_RETURN(auto ptc, json::get_optional_bool(doc, "send_parallel_tool_calls"));
  if (ptc) ep.render.send_parallel_tool_calls = *ptc;
  return Status::Ok();
}

}  // namespace

std::string LlmEndpoint::chat_completions_url() const {
  std::string url = base_url + "/chat/completions";
  if (!api_version.empty()) url += "?api-version=" + api_version;
  return url;
}

HttpHeaders LlmEndpoint::request_headers(bool stream) const {
  HttpHeaders h;
  h.reserve(3 + extra_headers.size());
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("Accept", stream ? "text/event-stream" : "application/json");
  if (!api_key.empty()) {
    if (auth == LlmAuthStyle::kBearer) h.emplace_back("Authorization", "Bearer " + api_key);
    if (auth == LlmAuthStyle::kApiKey) h.emplace_back("api-key", api_key);
  }
  h.insert(h.end(), extra_headers.begin(), extra_headers.end());
  return h;
}

Result<LlmEndpoint> parse_llm_endpoint(std::string_view json_text) {
  auto doc = json::parse(json_text, json::ParseLimits{1u << 20, 16});
  if (!doc.ok()) return doc.status().with_context("LLM endpoint");
  if (!doc->IsObject()) return invalid_argument("LLM endpoint must be a JSON object");
  LlmEndpoint ep;
  Status s = parse_fields(*doc, ep);
  if (!s.ok()) return s.with_context("LLM endpoint");
  return ep;
}

}  // namespace voxline
