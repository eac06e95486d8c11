#include "voxline/llm/llm_endpoint.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace voxline;

namespace {

Status refusal(const std::string &json) {
  auto ep = parse_llm_endpoint(json);
  REQUIRE_FALSE(ep.ok());
  CHECK(ep.status().code() == StatusCode::kInvalidArgument);
  return ep.status();
}

}  // namespace

TEST_CASE("parse_llm_endpoint reads an OpenAI endpoint with Bearer auth and extra headers") {
  auto ep = parse_llm_endpoint(R"({"base_url": "https://api.openai.com/v1/", "model": "gpt-4o",
      "api_key": "sk-test-0123456789", "headers": {"OpenAI-Project": "proj_42"}})");
  REQUIRE_MESSAGE(ep.ok(), ep.status().to_string());
  CHECK(ep->base_url == "https://api.openai.com/v1");
  CHECK(ep->chat_completions_url() == "https://api.openai.com/v1/chat/completions");
  const HttpHeaders h = ep->request_headers(true);
  CHECK(h == HttpHeaders{{"Content-Type", "application/json"},
                         {"Accept", "text/event-stream"},
                         {"Authorization", "Bearer sk-test-0123456789"},
                         {"OpenAI-Project", "proj_42"}});
  CHECK_FALSE(ep->render.legacy_max_tokens);
}

TEST_CASE("parse_llm_endpoint reads an Azure deployment with the api-key header and api-version") {
  auto ep = parse_llm_endpoint(R"({"base_url": "https://ridgeway.openai.azure.com/openai/deployments/gpt4o",
      "model": "gpt4o", "auth": "api-key", "api_key": "azkey-0123", "api_version": "2024-10-21"})");
  REQUIRE_MESSAGE(ep.ok(), ep.status().to_string());
  CHECK(ep->chat_completions_url() ==
        "https://ridgeway.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21");
  const HttpHeaders h = ep->request_headers(false);
  REQUIRE(h.size() == 3);
  CHECK(h[1] == HttpHeader{"Accept", "application/json"});
  CHECK(h[2] == HttpHeader{"api-key", "azkey-0123"});
}

TEST_CASE("parse_llm_endpoint reads a keyless local server and its body quirks") {
  auto ep =
      parse_llm_endpoint(R"({"base_url": "http://127.0.0.1:11434/v1", "model": "llama3.1", "auth": "none",
      "max_tokens_field": "max_tokens", "send_stream_options": false, "send_parallel_tool_calls": false})");
  REQUIRE_MESSAGE(ep.ok(), ep.status().to_string());
  CHECK(ep->auth == LlmAuthStyle::kNone);
  CHECK(ep->request_headers(true).size() == 2);
  CHECK(ep->render.legacy_max_tokens);
  CHECK_FALSE(ep->render.send_stream_options);
  CHECK_FALSE(ep->render.send_parallel_tool_calls);
}

TEST_CASE("parse_llm_endpoint names an unknown field") {
  const Status s =
      refusal(R"({"base_url": "https://api.openai.com/v1", "model": "gpt-4o", "temprature": 1})");
  CHECK(s.message() == "LLM endpoint: unknown LLM endpoint field 'temprature'");
}

TEST_CASE("parse_llm_endpoint refuses bad values, naming the field and never echoing the key") {
  CHECK(refusal(R"({"model": "m"})").message().find("'base_url'") != std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1"})").message().find("'model'") != std::string::npos);
  CHECK(refusal(R"({"base_url": "wss://x/v1", "model": "m"})").message().find("'base_url'") !=
        std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1?a=1", "model": "m"})").message().find("api_version") !=
        std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1", "model": "m", "auth": "basic"})").message().find("'auth'") !=
        std::string::npos);
  const Status key_without_auth =
      refusal(R"({"base_url": "https://x/v1", "model": "m", "auth": "none", "api_key": "sk-secret-77"})");
  CHECK(key_without_auth.message().find("'api_key'") != std::string::npos);
  CHECK(key_without_auth.message().find("sk-secret-77") == std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1", "model": "m", "api_key": 5})").message().find("'api_key'") !=
        std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1", "model": "m", "api_version": "1&x=2"})")
            .message()
            .find("'api_version'") != std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1", "model": "m", "headers": {"X-A": "1\r\nX-B: 2"}})")
            .message()
            .find("control character") != std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1", "model": "m", "headers": {"Authorization": "Bearer k"}})")
            .message()
            .find("headers.'Authorization'") != std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1", "model": "m", "headers": {"X-A": "1", "x-a": "2"}})")
            .message()
            .find("appears twice") != std::string::npos);
  CHECK(refusal(R"({"base_url": "https://x/v1", "model": "m", "max_tokens_field": "tokens"})")
            .message()
            .find("'max_tokens_field'") != std::string::npos);
  CHECK(refusal(R"([1])").message().find("must be a JSON object") != std::string::npos);
  CHECK(refusal(R"({"base_url": )").message().find("invalid JSON") != std::string::npos);
}
