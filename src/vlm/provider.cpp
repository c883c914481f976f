#include "vlm/provider.hpp"

#include "terrain/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace traverse::vlm {

namespace {

using nlohmann::json;

std::string envOr(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

bool endsWith(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

json anthropicUserContent(const Turn& t, const std::string& previousToolUseId) {
    json content = json::array();
    if (t.correction && !previousToolUseId.empty()) {
        // The refused tool call is answered by its tool_result, marked as an error.
        content.push_back({{"type", "tool_result"},
                           {"tool_use_id", previousToolUseId},
                           {"is_error", true},
                           {"content", t.text}});
        return content;
    }
    for (const auto& img : t.images) {
        content.push_back({{"type", "text"}, {"text", img.name == "hazard" ? "View 2: hazard map" : "View 1: orthoimage"}});
        content.push_back({{"type", "image"},
                           {"source", {{"type", "base64"}, {"media_type", img.mediaType}, {"data", base64Encode(img.bytes)}}}});
    }
    content.push_back({{"type", "text"}, {"text", t.text}});
    return content;
}

json openaiUserContent(const Turn& t) {
    if (t.images.empty()) return t.text;
    json content = json::array();
    for (const auto& img : t.images) {
        content.push_back({{"type", "text"}, {"text", img.name == "hazard" ? "View 2: hazard map" : "View 1: orthoimage"}});
        content.push_back({{"type", "image_url"},
                           {"image_url", {{"url", "data:" + img.mediaType + ";base64," + base64Encode(img.bytes)}}}});
    }
    content.push_back({{"type", "text"}, {"text", t.text}});
    return content;
}

}  // namespace

std::string_view providerName(ProviderKind kind) { return kind == ProviderKind::Anthropic ? "anthropic" : "openai"; }

ProviderConfig ProviderConfig::defaults(ProviderKind kind) {
    ProviderConfig c;
    c.kind = kind;
    if (kind == ProviderKind::Anthropic) {
        c.endpoint = "https://api.anthropic.com";
        c.model = "claude-sonnet-4-5";
        c.apiKey = envOr("ANTHROPIC_API_KEY", "");
    } else {
        c.endpoint = envOr("OPENAI_BASE_URL", "https://api.openai.com/v1");
        c.model = "gpt-4o";
        c.apiKey = envOr("OPENAI_API_KEY", "");
    }
    return c;
}

std::string ProviderConfig::url() const {
    std::string base = endpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string call = kind == ProviderKind::Anthropic ? "/messages" : "/chat/completions";
    if (endsWith(base, call)) return base;  // the full URL was given
    return base + (endsWith(base, "/v1") ? "" : "/v1") + call;
}

std::string buildRequestBody(const ProviderConfig& config, const Conversation& conv, AskMode mode, int maxWaypoints,
                             bool structured) {
    const json schema = json::parse(answerSchema(mode, maxWaypoints));
    const std::string tool(answerToolName(mode));
    json body = {{"model", config.model}, {"max_tokens", config.maxTokens}, {"temperature", config.temperature}};
    json messages = json::array();
    if (config.kind == ProviderKind::Anthropic) {
        if (!conv.system.empty()) body["system"] = conv.system;
        std::string lastToolUse;
        for (const auto& t : conv.turns) {
            if (t.assistant) {
                json m = json::parse(t.assistantJson);
                messages.push_back({{"role", "assistant"}, {"content", m.at("content")}});
                lastToolUse = t.toolUseId;
            } else if (!messages.empty() && messages.back()["role"] == "user") {
                // Two user turns in a row (a correction after an answer that was not an API message):
                // one message, as the API wants roles to alternate.
                for (auto& block : anthropicUserContent(t, lastToolUse)) messages.back()["content"].push_back(block);
            } else {
                messages.push_back({{"role", "user"}, {"content", anthropicUserContent(t, lastToolUse)}});
                lastToolUse.clear();
            }
        }
        body["messages"] = std::move(messages);
        body["tools"] = json::array(
            {{{"name", tool}, {"description", std::string(answerToolDescription(mode))}, {"input_schema", schema}}});
        body["tool_choice"] = {{"type", "tool"}, {"name", tool}};
    } else {
        if (!conv.system.empty()) messages.push_back({{"role", "system"}, {"content", conv.system}});
        for (const auto& t : conv.turns) {
            if (t.assistant) {
                json m = json::parse(t.assistantJson);
                messages.push_back({{"role", "assistant"}, {"content", m.value("content", json(""))}});
            } else {
                messages.push_back({{"role", "user"}, {"content", openaiUserContent(t)}});
            }
        }
        body["messages"] = std::move(messages);
        if (structured)
            body["response_format"] = {{"type", "json_schema"},
                                       {"json_schema", {{"name", tool}, {"strict", true}, {"schema", schema}}}};
    }
    return body.dump();
}

ModelReply parseReply(const ProviderConfig& config, const std::string& body) {
    const json j = json::parse(body, nullptr, false);
    const std::string api = config.kind == ProviderKind::Anthropic ? "Messages API" : "chat completions";
    if (j.is_discarded() || !j.is_object())
        throw Error(Error::Kind::Format, "the server's answer is not JSON (not a " + api + " response)");
    ModelReply r;
    try {
        if (config.kind == ProviderKind::Anthropic) {
            const json& content = j.at("content");
            r.stopReason = j.value("stop_reason", "");
            std::string text;
            for (const auto& block : content) {
                const std::string type = block.at("type");
                if (type == "tool_use" && !r.structured) {
                    r.answerText = block.at("input").dump();
                    r.toolUseId = block.at("id");
                    r.structured = true;
                } else if (type == "text") {
                    text += block.at("text").get<std::string>();
                }
            }
            if (!r.structured) r.answerText = text;
            r.assistantJson = json{{"role", "assistant"}, {"content", content}}.dump();
            if (auto u = j.find("usage"); u != j.end()) {
                r.inputTokens = u->value("input_tokens", 0);
                r.outputTokens = u->value("output_tokens", 0);
            }
        } else {
            const json& choice = j.at("choices").at(0);
            const json& msg = choice.at("message");
            r.stopReason = choice.value("finish_reason", "");
            const json& content = msg.at("content");
            if (content.is_string()) r.answerText = content.get<std::string>();
            else if (content.is_null() && msg.contains("refusal") && msg["refusal"].is_string())
                r.answerText = msg["refusal"].get<std::string>();
            r.assistantJson = json{{"role", "assistant"}, {"content", r.answerText}}.dump();
            if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
                r.inputTokens = u->value("prompt_tokens", 0);
                r.outputTokens = u->value("completion_tokens", 0);
            }
        }
    } catch (const json::exception& e) {
        throw Error(Error::Kind::Format, "the server's answer is not a " + api + " response (" + e.what() + ")");
    }
    return r;
}

std::string apiErrorMessage(const std::string& body) {
    const json j = json::parse(body, nullptr, false);
    std::string msg;
    if (!j.is_discarded() && j.is_object()) {
        if (auto e = j.find("error"); e != j.end()) {
            if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) msg = (*e)["message"];
            else if (e->is_string()) msg = e->get<std::string>();
        } else if (auto m = j.find("message"); m != j.end() && m->is_string()) {
            msg = m->get<std::string>();
        }
    }
    if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
    return msg;
}

std::filesystem::path settingsPath(const std::optional<std::filesystem::path>& explicitPath) {
    if (explicitPath) return *explicitPath;
    if (const char* s = std::getenv("TRAVERSE_SETTINGS"); s && *s) return s;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::filesystem::path(x) / "traverse" / "settings.json";
    if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".config" / "traverse" / "settings.json";
    return {};
}

ProviderConfig loadProviderConfig(ProviderKind kind, const std::optional<std::filesystem::path>& explicitSettings) {
    ProviderConfig c = ProviderConfig::defaults(kind);
    const auto path = settingsPath(explicitSettings);
    std::error_code ec;
    if (path.empty() || !std::filesystem::exists(path, ec)) {
        if (explicitSettings) throw Error(Error::Kind::NotFound, path.string() + ": settings file not found");
        return c;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) throw Error(Error::Kind::Io, path.string() + ": cannot read the settings file");
    const json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error(Error::Kind::Format, path.string() + ": not a JSON object");
    const auto providers = j.find("providers");
    if (providers == j.end()) return c;
    const auto p = providers->find(std::string(providerName(kind)));
    if (p == providers->end()) return c;
    const std::string where = path.string() + ": providers." + std::string(providerName(kind));
    try {
        if (p->contains("endpoint")) c.endpoint = p->at("endpoint").get<std::string>();
        if (p->contains("model")) c.model = p->at("model").get<std::string>();
        if (p->contains("api_key") && c.apiKey.empty()) c.apiKey = p->at("api_key").get<std::string>();
        if (p->contains("temperature")) c.temperature = p->at("temperature").get<double>();
        if (p->contains("max_tokens")) c.maxTokens = p->at("max_tokens").get<int>();
        if (p->contains("timeout_s")) c.retry.requestTimeoutS = p->at("timeout_s").get<double>();
        if (p->contains("deadline_s")) c.retry.deadlineS = p->at("deadline_s").get<double>();
        if (p->contains("max_attempts")) c.retry.maxAttempts = p->at("max_attempts").get<int>();
    } catch (const json::exception&) {
        throw Error(Error::Kind::Format, where + ": a field has the wrong type (strings for endpoint, model and "
                                                 "api_key; numbers for the rest)");
    }
    return c;
}

ModelClient::ModelClient(ProviderConfig config) : config_(std::move(config)) {}

std::string ModelClient::source() const { return std::string(providerName(config_.kind)) + ":" + config_.model; }

Exchange ModelClient::ask(const Conversation& conv, AskMode mode, int maxWaypoints, std::stop_token stop,
                          const RetryLog& log) {
    const bool anthropic = config_.kind == ProviderKind::Anthropic;
    const std::string host = config_.url();
    if (config_.apiKey.empty() && anthropic)
        throw Error(Error::Kind::InvalidArgument,
                    "no Anthropic API key: set ANTHROPIC_API_KEY (or the key in the settings file)");
    HttpRequest req;
    req.url = config_.url();
    req.headers = {{"content-type", "application/json"}, {"accept", "application/json"}};
    if (anthropic) {
        req.headers.emplace_back("x-api-key", config_.apiKey);
        req.headers.emplace_back("anthropic-version", config_.anthropicVersion);
    } else if (!config_.apiKey.empty()) {
        req.headers.emplace_back("authorization", "Bearer " + config_.apiKey);
    }
    const auto t0 = std::chrono::steady_clock::now();
    Exchange ex;
    bool structured = !anthropic && config_.structuredOutput && !responseFormatRefused_;
    for (;;) {
        req.body = buildRequestBody(config_, conv, mode, maxWaypoints, structured);
        RetryResult rr;
        try {
            rr = postWithRetry(req, config_.retry, stop, log);
        } catch (const Error& e) {
            throw Error(e.kind(), redact(e.what(), config_.apiKey));
        }
        ex.attempts.insert(ex.attempts.end(), rr.attempts.begin(), rr.attempts.end());
        ex.requestBody = req.body;
        ex.status = rr.response.status;
        ex.responseBody = redact(rr.response.body, config_.apiKey);
        const int st = rr.response.status;
        if (st >= 200 && st < 300) break;
        const std::string serverSays = redact(apiErrorMessage(rr.response.body), config_.apiKey);
        if (structured && st == 400 && serverSays.find("response_format") != std::string::npos) {
            responseFormatRefused_ = true;  // e.g. an older llama.cpp or vLLM: ask for JSON in the text
            structured = false;
            ex.usedFallback = true;
            if (log) log("the server does not support response_format; asking for JSON in the text");
            continue;
        }
        std::string what;
        const std::string keyVar = anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
        switch (st) {
            case 400: what = "the request was refused as invalid; check --model and the options"; break;
            case 401: what = "the API key was refused; check " + keyVar + " (or the key in the settings file)"; break;
            case 403: what = "the API key may not use this model or endpoint; check its permissions and --model"; break;
            case 404: what = "not found; check --endpoint (the base URL, e.g. " +
                             ProviderConfig::defaults(config_.kind).endpoint + ") and --model"; break;
            default: what = "the server refused the request"; break;
        }
        throw Error(Error::Kind::Network, host + ": HTTP " + std::to_string(st) + ": " + what +
                                              (serverSays.empty() ? std::string() : " (server: " + serverSays + ")"));
    }
    ex.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    try {
        ex.reply = parseReply(config_, ex.responseBody);
        if (!anthropic) ex.reply.structured = structured;
    } catch (const Error& e) {
        ex.replyError = e.what();
    }
    return ex;
}

std::string redact(std::string text, const std::string& secret) {
    if (secret.empty()) return text;
    for (std::size_t p = text.find(secret); p != std::string::npos; p = text.find(secret, p))
        text.replace(p, secret.size(), "[redacted]");
    return text;
}

std::string base64Encode(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i < in.size()) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < in.size()) v |= (unsigned char)in[i + 1] << 8;
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace traverse::vlm
