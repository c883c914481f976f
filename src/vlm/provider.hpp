#pragma once
// The two wire formats a model is reached through: Anthropic's Messages API (POST /v1/messages,
// x-api-key and anthropic-version headers, base64 image blocks, a forced tool for structured output)
// and OpenAI-compatible chat completions (POST /v1/chat/completions, image_url data URLs, a
// json_schema response_format, and JSON taken from the text for servers that lack it — Ollama,
// llama.cpp's server and vLLM all speak this one). The API key goes in a header and nowhere else.
#include "vlm/answer.hpp"
#include "vlm/http_client.hpp"
#include "vlm/view_renderer.hpp"

#include <atomic>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace traverse::vlm {

enum class ProviderKind { Anthropic, OpenAI };
std::string_view providerName(ProviderKind kind);  // "anthropic", "openai"

struct ProviderConfig {
    ProviderKind kind = ProviderKind::Anthropic;
    std::string endpoint;           // base URL: "https://api.anthropic.com", "http://localhost:11434/v1", ...
    std::string model;
    std::string apiKey;             // never logged, never written
    std::string anthropicVersion = "2023-06-01";
    double temperature = 0.0;
    int maxTokens = 1024;
    bool structuredOutput = true;   // OpenAI-compatible: send response_format (falls back without it)
    RetryPolicy retry;

    // The defaults of a provider: endpoint, model, and the key from ANTHROPIC_API_KEY /
    // OPENAI_API_KEY when set.
    static ProviderConfig defaults(ProviderKind kind);
    // The full URL of the API call under `endpoint` (a base with or without "/v1").
    std::string url() const;
};

// The user's settings file: `explicitPath` when given (it must exist), else $TRAVERSE_SETTINGS, else
// $XDG_CONFIG_HOME/traverse/settings.json or ~/.config/traverse/settings.json (absent is fine).
std::filesystem::path settingsPath(const std::optional<std::filesystem::path>& explicitPath = std::nullopt);

// The provider's defaults, then what the settings file says under "providers": {"anthropic": {...},
// "openai": {...}} ("endpoint", "model", "api_key", "temperature", "max_tokens", "timeout_s",
// "deadline_s", "max_attempts"). The key from the environment wins over the file's. Throws Error
// (NotFound, Format) naming the file and the field.
ProviderConfig loadProviderConfig(ProviderKind kind, const std::optional<std::filesystem::path>& explicitSettings);

// One message of a conversation. A user turn carries text and images (and, after an unusable answer,
// the reason); an assistant turn carries the message as the API returned it, to be sent back.
struct Turn {
    bool assistant = false;
    std::string text;
    std::vector<EncodedImage> images;
    std::string assistantJson;  // assistant: the API's message object (JSON), verbatim
    std::string toolUseId;      // assistant (Anthropic): the id a following correction answers
    bool correction = false;    // user: `text` is why the previous answer was refused
};

struct Conversation {
    std::string system;
    std::vector<Turn> turns;
};

struct ModelReply {
    std::string answerText;     // the tool's input (JSON) or the text the answer is to be found in
    bool structured = false;    // true when answerText came from a tool call or a json_schema answer
    std::string assistantJson;  // the assistant message to append to the conversation
    std::string toolUseId;
    std::string stopReason;
    int inputTokens = 0;
    int outputTokens = 0;
};

struct Exchange {
    std::string requestBody;    // as sent (no secret: the key is only in a header)
    int status = 0;
    std::string responseBody;   // as received
    std::vector<Attempt> attempts;
    double seconds = 0.0;
    bool usedFallback = false;  // OpenAI-compatible: resent without response_format
    ModelReply reply;
    std::string replyError;     // why the 2xx body is not the API's shape (then `reply` is empty)
};

// The request body for `conversation`, asking for `mode`'s answer (a forced tool for Anthropic, a
// json_schema response_format for OpenAI when `structured`).
std::string buildRequestBody(const ProviderConfig& config, const Conversation& conversation, AskMode mode,
                             int maxWaypoints, bool structured);
// The reply in a 2xx response body. Throws Error (Format) when the body is not the API's shape.
ModelReply parseReply(const ProviderConfig& config, const std::string& body);
// The error message in an error response body, if the API's error shape is there (cut to 300
// characters).
std::string apiErrorMessage(const std::string& body);

class ModelClient {
public:
    explicit ModelClient(ProviderConfig config);
    const ProviderConfig& config() const { return config_; }
    std::string source() const;  // "anthropic:<model>", "openai:<model>"

    // Sends the conversation (with retries) and returns the exchange (a 2xx body that is not the
    // API's shape is reported in replyError). Throws Error (Network) for a server that cannot be
    // reached or refuses the request (the message says what to fix: the key, the model, the
    // endpoint), Error (InvalidArgument) for a missing key, Error (Cancelled). No message ever holds
    // the API key.
    Exchange ask(const Conversation& conversation, AskMode mode, int maxWaypoints, std::stop_token stop,
                 const RetryLog& log = {});

private:
    ProviderConfig config_;
    std::atomic<bool> responseFormatRefused_{false};  // learnt once: the server lacks json_schema output
};

// Replaces every occurrence of `secret` in `text` (a no-op for an empty secret).
std::string redact(std::string text, const std::string& secret);
std::string base64Encode(std::string_view bytes);

}  // namespace traverse::vlm
