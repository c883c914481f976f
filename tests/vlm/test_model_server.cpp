// The project's test model server (tests/support/model_server.cpp), talked to through a tiny
// raw-socket HTTP client written here, so that these tests do not depend on the real client.
#include "support/model_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifndef TRAVERSE_SOURCE_DIR
#error "TRAVERSE_SOURCE_DIR must name the repository root (the build defines it)"
#endif

using traverse::testing::Fault;
using traverse::testing::ModelServer;
using traverse::testing::ModelServerOptions;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client over a raw socket: one request per connection, reads until the
// server closes (it always answers with Connection: close).

struct HttpReply {
    int status = 0;                              // 0: no response at all (closed or timed out before a status line)
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    long long declaredLength = -1;  // Content-Length, -1 when absent
    int interim = 0;                // 1xx responses seen before the final one

    bool complete() const { return declaredLength >= 0 && static_cast<long long>(body.size()) == declaredLength; }
    json parsed() const { return json::parse(body); }
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

std::string lowerCase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

int connectTo(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    return fd;
}

bool sendAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Reads until the peer closes, `stop(buffer)` says enough, or the deadline passes.
template <class Stop>
void receive(int fd, std::string& buf, Clock::time_point deadline, Stop stop) {
    char chunk[64 * 1024];
    while (!stop(buf)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return;
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return;
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        buf.append(chunk, static_cast<std::size_t>(n));
    }
}

HttpReply parseReply(const std::string& raw) {
    HttpReply reply;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t end = raw.find("\r\n\r\n", pos);
        if (end == std::string::npos) return reply;
        const std::string head = raw.substr(pos, end - pos);
        int status = 0;
        if (std::sscanf(head.c_str(), "HTTP/1.%*d %d", &status) != 1) return reply;
        pos = end + 4;
        if (status >= 100 && status < 200) {
            ++reply.interim;
            continue;
        }
        reply.status = status;
        std::size_t lineStart = head.find("\r\n");
        while (lineStart != std::string::npos) {
            lineStart += 2;
            const std::size_t lineEnd = head.find("\r\n", lineStart);
            const std::string line =
                head.substr(lineStart, lineEnd == std::string::npos ? std::string::npos : lineEnd - lineStart);
            const std::size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ') value.erase(0, 1);
                reply.headers[lowerCase(line.substr(0, colon))] = value;
            }
            lineStart = lineEnd;
        }
        if (auto it = reply.headers.find("content-length"); it != reply.headers.end())
            reply.declaredLength = std::stoll(it->second);
        reply.body = raw.substr(pos);
        return reply;
    }
}

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string buildRequest(const std::string& method, const std::string& path, const Headers& headers,
                         const std::string& body) {
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : headers) r += name + ": " + value + "\r\n";
    if (method != "GET" || !body.empty()) r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += "\r\n";
    return r + body;
}

HttpReply exchange(int port, const std::string& request, double timeoutS = 10.0) {
    const int fd = connectTo(port);
    std::string raw;
    if (sendAll(fd, request))
        receive(fd, raw,
                Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeoutS)),
                [](const std::string&) { return false; });
    ::close(fd);
    return parseReply(raw);
}

HttpReply post(int port, const std::string& path, const Headers& headers, const std::string& body,
               double timeoutS = 10.0) {
    return exchange(port, buildRequest("POST", path, headers, body), timeoutS);
}

const std::string kKey = ModelServerOptions{}.apiKey;

Headers anthropicHeaders(const std::string& key = kKey) {
    return {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}};
}

Headers openaiHeaders(const std::string& key = kKey) {
    return {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
}

HttpReply anthropic(const ModelServer& server, const json& body, const std::string& key = kKey) {
    return post(server.port(), "/v1/messages", anthropicHeaders(key), body.dump());
}

HttpReply openai(const ModelServer& server, const json& body, const std::string& key = kKey) {
    return post(server.port(), "/v1/chat/completions", openaiHeaders(key), body.dump());
}

// ---------------------------------------------------------------------------------------------
// Requests following the prompt contract of docs/vlm.md

// A 1x1 PNG.
const std::string kPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

std::string fmt1(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string refusedBlock(int refusals) {
    if (refusals <= 0) return {};
    std::string s = "Refused earlier for this step:\n";
    for (int i = 0; i < refusals; ++i)
        s += "- waypoint 1 refused: fail: step 0.62 m > 0.40 at E 2711.2 N 109351" + std::to_string(i) + ".4\n";
    return s;
}

std::string goalLine(double east, double north) {
    double bearing = std::atan2(east, north) * 180.0 / std::numbers::pi;
    if (bearing < 0) bearing += 360.0;
    return "Goal: " + fmt1(east) + " m east, " + fmt1(north) + " m north of the rover (distance " +
           fmt1(std::hypot(east, north)) + " m, bearing " + fmt1(bearing) + " deg)\n";
}

std::string coordinatesPrompt(double east, double north, int k = 3, double step = 10.0, int refusals = 0) {
    return "Mode: coordinates\nRover heading: 37.0 deg (clockwise from north)\n" + goalLine(east, north) +
           "Waypoints: up to " + std::to_string(k) + ", each at most " + fmt1(step) +
           " m from the one before (the first from the rover)\n" + refusedBlock(refusals);
}

std::string candidatesPrompt(double east, double north, const std::vector<std::pair<double, double>>& candidates,
                             int refusals = 0) {
    std::string s = "Mode: candidates\nRover heading: 37.0 deg (clockwise from north)\n" + goalLine(east, north);
    for (std::size_t i = 0; i < candidates.size(); ++i)
        s += "Candidate " + std::to_string(i + 1) + ": " + fmt1(candidates[i].first) + " m east, " +
             fmt1(candidates[i].second) + " m north\n";
    return s + refusedBlock(refusals);
}

json waypointsSchema() {
    return json::parse(R"({"type":"object","properties":{"waypoints":{"type":"array","items":{"type":"object",
        "properties":{"east":{"type":"number"},"north":{"type":"number"}},"required":["east","north"]}},
        "reasoning":{"type":"string"}},"required":["waypoints","reasoning"]})");
}

json candidateSchema() {
    return json::parse(R"({"type":"object","properties":{"candidate":{"type":"integer"},
        "reasoning":{"type":"string"}},"required":["candidate","reasoning"]})");
}

json anthropicUserTurn(const std::string& prompt) {
    return json{
        {"role", "user"},
        {"content",
         json::array(
             {json{{"type", "image"}, {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", kPng}}}},
              json{{"type", "image"}, {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", kPng}}}},
              json{{"type", "text"}, {"text", prompt}}})}};
}

json anthropicRequest(const std::string& prompt, bool tools = true) {
    const bool candidates = prompt.find("Mode: candidates") != std::string::npos;
    json body{{"model", "claude-test-model"},
              {"max_tokens", 1024},
              {"system", "You plan rover drives. Mode: lines in the prompt tell you what to answer."},
              {"messages", json::array({anthropicUserTurn(prompt)})}};
    if (tools) {
        body["tools"] = json::array(
            {json{{"name", "propose_waypoints"}, {"description", "Waypoints."}, {"input_schema", waypointsSchema()}},
             json{{"name", "choose_candidate"}, {"description", "A candidate."}, {"input_schema", candidateSchema()}}});
        body["tool_choice"] = json{{"type", "tool"}, {"name", candidates ? "choose_candidate" : "propose_waypoints"}};
    }
    return body;
}

json openaiUserTurn(const std::string& prompt) {
    return json{
        {"role", "user"},
        {"content", json::array({json{{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64," + kPng}}}},
                                 json{{"type", "image_url"},
                                      {"image_url", {{"url", "data:image/png;base64," + kPng}, {"detail", "high"}}}},
                                 json{{"type", "text"}, {"text", prompt}}})}};
}

json openaiRequest(const std::string& prompt, bool responseFormat = true) {
    const bool candidates = prompt.find("Mode: candidates") != std::string::npos;
    json body{{"model", "gpt-test-model"},
              {"max_tokens", 1024},
              {"messages",
               json::array({json{{"role", "system"}, {"content", "You plan rover drives."}}, openaiUserTurn(prompt)})}};
    if (responseFormat)
        body["response_format"] = json{{"type", "json_schema"},
                                       {"json_schema",
                                        {{"name", candidates ? "choose_candidate" : "propose_waypoints"},
                                         {"strict", true},
                                         {"schema", candidates ? candidateSchema() : waypointsSchema()}}}};
    return body;
}

// The tool input of an Anthropic answer (checks the message shape on the way).
json anthropicToolInput(const HttpReply& r, const std::string& tool = "propose_waypoints") {
    REQUIRE(r.status == 200);
    REQUIRE(r.complete());
    const json m = r.parsed();
    CHECK(m.at("type") == "message");
    CHECK(m.at("role") == "assistant");
    CHECK(m.at("stop_reason") == "tool_use");
    REQUIRE(m.at("content").size() == 1);
    const json& block = m["content"][0];
    CHECK(block.at("type") == "tool_use");
    CHECK(block.at("name") == tool);
    return block.at("input");
}

std::string openaiContent(const HttpReply& r) {
    REQUIRE(r.status == 200);
    REQUIRE(r.complete());
    const json m = r.parsed();
    REQUIRE(m.at("choices").size() == 1);
    return m["choices"][0].at("message").at("content").get<std::string>();
}

std::string anthropicText(const HttpReply& r) {
    REQUIRE(r.status == 200);
    const json m = r.parsed();
    CHECK(m.at("stop_reason") == "end_turn");
    REQUIRE(m.at("content").size() == 1);
    CHECK(m["content"][0].at("type") == "text");
    return m["content"][0].at("text").get<std::string>();
}

std::vector<std::pair<double, double>> waypointsOf(const json& answer) {
    std::vector<std::pair<double, double>> out;
    for (const json& w : answer.at("waypoints"))
        out.emplace_back(w.at("east").get<double>(), w.at("north").get<double>());
    return out;
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

// The JSON object inside prose (between the first '{' and the last '}').
json jsonInText(const std::string& text) {
    const std::size_t a = text.find('{'), b = text.rfind('}');
    REQUIRE(a != std::string::npos);
    REQUIRE(b != std::string::npos);
    return json::parse(text.substr(a, b - a + 1));
}

// ---------------------------------------------------------------------------------------------
// A small JSON Schema checker (type, enum, const, required, properties, items, anyOf, $ref) for
// the OpenAI reference schema.

class SchemaChecker {
public:
    explicit SchemaChecker(json root) : root_(std::move(root)) {}

    std::vector<std::string> check(const std::string& def, const json& value) const {
        std::vector<std::string> errors;
        checkNode(root_.at("$defs").at(def), value, def, errors);
        return errors;
    }

private:
    const json& resolve(const json& schema) const {
        if (auto ref = schema.find("$ref"); ref != schema.end()) {
            const std::string r = *ref;
            REQUIRE(r.rfind("#/$defs/", 0) == 0);
            return resolve(root_.at("$defs").at(r.substr(8)));
        }
        return schema;
    }

    static bool hasType(const json& v, const std::string& t) {
        if (t == "object") return v.is_object();
        if (t == "array") return v.is_array();
        if (t == "string") return v.is_string();
        if (t == "integer") return v.is_number_integer();
        if (t == "number") return v.is_number();
        if (t == "boolean") return v.is_boolean();
        if (t == "null") return v.is_null();
        return false;
    }

    void checkNode(const json& rawSchema, const json& v, const std::string& path,
                   std::vector<std::string>& errors) const {
        const json& s = resolve(rawSchema);
        if (!s.is_object()) return;
        if (auto any = s.find("anyOf"); any != s.end()) {
            bool ok = false;
            for (const json& alternative : *any) {
                std::vector<std::string> e;
                checkNode(alternative, v, path, e);
                if (e.empty()) ok = true;
            }
            if (!ok) errors.push_back(path + ": matches none of anyOf");
        }
        if (auto t = s.find("type"); t != s.end()) {
            bool ok = false;
            if (t->is_string())
                ok = hasType(v, *t);
            else
                for (const json& one : *t) ok = ok || hasType(v, one);
            if (!ok) {
                errors.push_back(path + ": expected type " + t->dump() + ", got " + v.dump());
                return;
            }
        }
        if (auto e = s.find("enum"); e != s.end() && std::find(e->begin(), e->end(), v) == e->end())
            errors.push_back(path + ": " + v.dump() + " not in enum " + e->dump());
        if (auto c = s.find("const"); c != s.end() && *c != v) errors.push_back(path + ": expected const " + c->dump());
        if (v.is_object()) {
            if (auto req = s.find("required"); req != s.end())
                for (const json& name : *req)
                    if (!v.contains(name.get<std::string>()))
                        errors.push_back(path + ": missing required '" + name.get<std::string>() + "'");
            if (auto props = s.find("properties"); props != s.end())
                for (const auto& [name, sub] : props->items())
                    if (v.contains(name)) checkNode(sub, v.at(name), path + "." + name, errors);
        }
        if (v.is_array())
            if (auto items = s.find("items"); items != s.end())
                for (std::size_t i = 0; i < v.size(); ++i)
                    checkNode(*items, v[i], path + "[" + std::to_string(i) + "]", errors);
    }

    json root_;
};

std::optional<SchemaChecker> openaiSchema() {
    const fs::path path =
        fs::path(TRAVERSE_SOURCE_DIR) / ".." / "shared" / "reference" / "openai-chat-completions.schema.json";
    std::ifstream in(path);
    if (!in) {
        WARN("OpenAI reference schema not found at " << path.string() << "; skipping the schema check");
        return std::nullopt;
    }
    return SchemaChecker(json::parse(in));
}

void checkOpenaiSchema(const std::string& def, const json& value) {
    if (auto schema = openaiSchema()) {
        const std::vector<std::string> errors = schema->check(def, value);
        for (const std::string& e : errors) UNSCOPED_INFO(e);
        CHECK(errors.empty());
    }
}

void checkAnthropicError(const HttpReply& r, int status, const std::string& type) {
    CHECK(r.status == status);
    const json e = r.parsed();
    CHECK(e.at("type") == "error");
    CHECK(e.at("error").at("type") == type);
    CHECK(e.at("error").at("message").is_string());
}

void checkOpenaiError(const HttpReply& r, int status) {
    CHECK(r.status == status);
    const json e = r.parsed();
    checkOpenaiSchema("ErrorResponse", e);
    CHECK(e.at("error").at("message").is_string());
}

}  // namespace

// =============================================================================================

TEST_CASE("Model server: Anthropic Messages answer with the forced tool", "[vlm][model_server]") {
    ModelServer server;
    CHECK(server.port() > 0);
    CHECK(server.baseUrl() == "http://127.0.0.1:" + std::to_string(server.port()));

    const HttpReply r = anthropic(server, anthropicRequest(coordinatesPrompt(25.0, 0.0, 3, 10.0)));
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    CHECK(lowerCase(r.header("connection")) == "close");
    CHECK(!r.header("request-id").empty());
    const json m = r.parsed();
    CHECK(m.at("id").get<std::string>().rfind("msg_", 0) == 0);
    CHECK(m.at("model") == "claude-test-model");
    CHECK(m.at("stop_sequence").is_null());
    CHECK(m.at("usage").at("input_tokens").is_number_integer());
    CHECK(m.at("usage").at("input_tokens").get<int>() > 0);
    CHECK(m.at("usage").at("output_tokens").get<int>() > 0);
    CHECK(m.at("content")[0].at("id").get<std::string>().rfind("toolu_", 0) == 0);

    // The brain: goal 25 m east, up to 3 waypoints of at most 10 m: 9.5, 19, 25 m east.
    const json input = anthropicToolInput(r);
    CHECK(input.at("reasoning").is_string());
    const auto w = waypointsOf(input);
    REQUIRE(w.size() == 3);
    CHECK(w[0].first == Approx(9.5));
    CHECK(w[1].first == Approx(19.0));
    CHECK(w[2].first == Approx(25.0));
    for (const auto& p : w) CHECK(p.second == Approx(0.0).margin(1e-9));

    // The request was recorded, header names lower-cased.
    REQUIRE(server.requestCount() == 1);
    const auto recorded = server.requests();
    CHECK(recorded[0].method == "POST");
    CHECK(recorded[0].path == "/v1/messages");
    CHECK(recorded[0].headers.at("x-api-key") == kKey);
    CHECK(recorded[0].headers.at("anthropic-version") == "2023-06-01");
    CHECK(recorded[0].headers.at("content-type") == "application/json");
    CHECK(json::parse(recorded[0].body).at("model") == "claude-test-model");
    CHECK(recorded[0].received <= Clock::now());
}

TEST_CASE("Model server: Anthropic without tools answers the JSON as text", "[vlm][model_server]") {
    ModelServer server;
    const HttpReply r = anthropic(server, anthropicRequest(coordinatesPrompt(25.0, 0.0), false));
    const json answer = json::parse(anthropicText(r));
    CHECK(waypointsOf(answer).size() == 3);
}

TEST_CASE("Model server: OpenAI chat completions, with and without response_format", "[vlm][model_server]") {
    ModelServer server;
    SECTION("json_schema response_format: the content is the JSON answer") {
        const HttpReply r = openai(server, openaiRequest(coordinatesPrompt(25.0, 0.0)));
        REQUIRE(r.status == 200);
        CHECK(!r.header("x-request-id").empty());
        const json m = r.parsed();
        checkOpenaiSchema("CreateChatCompletionResponse", m);
        CHECK(m.at("id").get<std::string>().rfind("chatcmpl-", 0) == 0);
        CHECK(m.at("object") == "chat.completion");
        CHECK(m.at("model") == "gpt-test-model");
        CHECK(m.at("created").get<long long>() > 1'600'000'000);
        CHECK(m["choices"][0].at("index") == 0);
        CHECK(m["choices"][0].at("finish_reason") == "stop");
        CHECK(m["choices"][0].at("message").at("role") == "assistant");
        const json& u = m.at("usage");
        CHECK(u.at("total_tokens").get<int>() ==
              u.at("prompt_tokens").get<int>() + u.at("completion_tokens").get<int>());
        const auto w = waypointsOf(json::parse(openaiContent(r)));
        REQUIRE(w.size() == 3);
        CHECK(w[2].first == Approx(25.0));
    }
    SECTION("no response_format: the JSON comes in prose") {
        const HttpReply r = openai(server, openaiRequest(coordinatesPrompt(25.0, 0.0), false));
        checkOpenaiSchema("CreateChatCompletionResponse", r.parsed());
        const std::string content = openaiContent(r);
        CHECK(content.rfind("Here is my proposal:\n{", 0) == 0);
        CHECK_THROWS(json::parse(content));
        CHECK(waypointsOf(jsonInText(content)).size() == 3);
    }
    SECTION("a server without response_format support refuses it") {
        ModelServer plain(ModelServerOptions{.openaiResponseFormat = false});
        const HttpReply r = openai(plain, openaiRequest(coordinatesPrompt(25.0, 0.0)));
        checkOpenaiError(r, 400);
        CHECK(r.parsed()["error"]["message"].get<std::string>().find("response_format") != std::string::npos);
        CHECK(r.parsed()["error"]["param"] == "response_format");
        const HttpReply ok = openai(plain, openaiRequest(coordinatesPrompt(25.0, 0.0), false));
        CHECK(waypointsOf(jsonInText(openaiContent(ok))).size() == 3);
    }
}

TEST_CASE("Model server: coordinates answers are cumulative, stepped and stop at the goal", "[vlm][model_server]") {
    ModelServer server;
    SECTION("more waypoints allowed than needed") {
        const auto w =
            waypointsOf(anthropicToolInput(anthropic(server, anthropicRequest(coordinatesPrompt(25.0, 0.0, 6)))));
        REQUIRE(w.size() == 3);
        CHECK(w.back().first == Approx(25.0));
    }
    SECTION("a short maximum step, a diagonal goal") {
        const auto w =
            waypointsOf(anthropicToolInput(anthropic(server, anthropicRequest(coordinatesPrompt(60.0, 80.0, 3, 5.0)))));
        REQUIRE(w.size() == 3);
        for (int i = 0; i < 3; ++i) {  // 4.75 m a step toward (0.6, 0.8)
            CHECK(w[i].first == Approx(round2((i + 1) * 4.75 * 0.6)));
            CHECK(w[i].second == Approx(round2((i + 1) * 4.75 * 0.8)));
        }
    }
    SECTION("a step limit above 10 m is capped at 10 m") {
        const auto w = waypointsOf(
            anthropicToolInput(anthropic(server, anthropicRequest(coordinatesPrompt(0.0, -100.0, 2, 25.0)))));
        REQUIRE(w.size() == 2);
        CHECK(w[0].second == Approx(-9.5));
        CHECK(w[1].second == Approx(-19.0));
        CHECK(w[1].first == Approx(0.0).margin(1e-9));
    }
}

TEST_CASE("Model server: refusals rotate the direction 0, +35, -35, +70, -70 degrees", "[vlm][model_server]") {
    ModelServer server;
    const double rotations[] = {0.0, 35.0, -35.0, 70.0, -70.0};
    for (int r = 0; r < 5; ++r) {
        INFO("refusals: " << r);
        const auto w = waypointsOf(
            json::parse(openaiContent(openai(server, openaiRequest(coordinatesPrompt(25.0, 0.0, 3, 10.0, r))))));
        REQUIRE(!w.empty());
        const double bearing = (90.0 + rotations[r]) * std::numbers::pi / 180.0;  // clockwise from north
        CHECK(w[0].first == Approx(round2(9.5 * std::sin(bearing))));
        CHECK(w[0].second == Approx(round2(9.5 * std::cos(bearing))).margin(1e-9));
    }
}

TEST_CASE("Model server: the last prompt in the conversation counts", "[vlm][model_server]") {
    ModelServer server;
    SECTION("Anthropic: the refusal comes back in a tool_result (string or block content)") {
        for (bool arrayContent : {false, true}) {
            json body = anthropicRequest(coordinatesPrompt(25.0, 0.0));
            body["messages"].push_back(
                json{{"role", "assistant"},
                     {"content", json::array({json{{"type", "tool_use"},
                                                   {"id", "toolu_1"},
                                                   {"name", "propose_waypoints"},
                                                   {"input", {{"waypoints", json::array()}, {"reasoning", ""}}}}})}});
            const std::string again = coordinatesPrompt(25.0, 0.0, 3, 10.0, 1);
            const json resultContent =
                arrayContent ? json::array({json{{"type", "text"}, {"text", again}}}) : json(again);
            body["messages"].push_back(json{{"role", "user"},
                                            {"content", json::array({json{{"type", "tool_result"},
                                                                          {"tool_use_id", "toolu_1"},
                                                                          {"is_error", true},
                                                                          {"content", resultContent}}})}});
            const auto w = waypointsOf(anthropicToolInput(anthropic(server, body)));
            CHECK(w[0].first == Approx(round2(9.5 * std::sin(125.0 * std::numbers::pi / 180.0))));
        }
    }
    SECTION("OpenAI: the refusal comes back as a user message after the assistant's") {
        json body = openaiRequest(candidatesPrompt(20.0, 0.0, {{9.5, 0.0}, {6.7, 6.7}, {6.7, -6.7}}));
        body["messages"].push_back(json{{"role", "assistant"}, {"content", "{\"candidate\": 1}"}});
        body["messages"].push_back(json{
            {"role", "user"},
            {"content",
             "Candidate 1 was refused.\n" + candidatesPrompt(20.0, 0.0, {{9.5, 0.0}, {6.7, 6.7}, {6.7, -6.7}}, 1)}});
        const json answer = json::parse(openaiContent(openai(server, body)));
        CHECK(answer.at("candidate") == 2);  // the second closest (ties keep the listed order)
    }
}

TEST_CASE("Model server: candidates mode picks by distance to the goal, then the next after refusals",
          "[vlm][model_server]") {
    ModelServer server;
    // Goal 20 m north. Candidate 3 is closest, then 1, then 2.
    const std::vector<std::pair<double, double>> c{{6.7, 6.7}, {-9.5, 0.0}, {0.0, 9.5}};
    const int expected[] = {3, 1, 2, 2, 2};
    for (int r = 0; r < 5; ++r) {
        INFO("refusals: " << r);
        const json a = anthropicToolInput(anthropic(server, anthropicRequest(candidatesPrompt(0.0, 20.0, c, r))),
                                          "choose_candidate");
        CHECK(a.at("candidate") == expected[r]);
        CHECK(a.at("reasoning").is_string());
        const json o = json::parse(openaiContent(openai(server, openaiRequest(candidatesPrompt(0.0, 20.0, c, r)))));
        CHECK(o.at("candidate") == expected[r]);
    }
}

TEST_CASE("Model server: authentication", "[vlm][model_server]") {
    ModelServer server;
    server.enqueue(Fault{.kind = Fault::Kind::Prose});
    SECTION("Anthropic: a wrong or missing x-api-key is a 401") {
        const HttpReply r = anthropic(server, anthropicRequest(coordinatesPrompt(25.0, 0.0)), "wrong-key");
        checkAnthropicError(r, 401, "authentication_error");
        CHECK(r.parsed()["error"]["message"] == "invalid x-api-key");
        Headers h = anthropicHeaders();
        h.erase(h.begin());
        checkAnthropicError(
            post(server.port(), "/v1/messages", h, anthropicRequest(coordinatesPrompt(25.0, 0.0)).dump()), 401,
            "authentication_error");
    }
    SECTION("OpenAI: a wrong or missing bearer token is a 401") {
        const HttpReply r = openai(server, openaiRequest(coordinatesPrompt(25.0, 0.0)), "wrong-key");
        checkOpenaiError(r, 401);
        CHECK(r.parsed()["error"]["type"] == "invalid_request_error");
        CHECK(r.parsed()["error"]["code"] == "invalid_api_key");
        checkOpenaiError(post(server.port(), "/v1/chat/completions", {{"Content-Type", "application/json"}},
                              openaiRequest(coordinatesPrompt(25.0, 0.0)).dump()),
                         401);
    }
    SECTION("the Anthropic key is not accepted as x-api-key on the OpenAI endpoint") {
        checkOpenaiError(post(server.port(), "/v1/chat/completions", anthropicHeaders(),
                              openaiRequest(coordinatesPrompt(25.0, 0.0)).dump()),
                         401);
    }
    CHECK(server.pendingFaults() == 1);  // refused requests leave the fault queue alone
}

TEST_CASE("Model server: malformed Anthropic requests get 400 invalid_request_error", "[vlm][model_server]") {
    ModelServer server;
    server.enqueue(Fault{.kind = Fault::Kind::Status, .status = 500});
    const json good = anthropicRequest(coordinatesPrompt(25.0, 0.0));
    const auto bad = [&](const json& body, const std::string& says) {
        INFO(body.dump().substr(0, 300));
        const HttpReply r = anthropic(server, body);
        checkAnthropicError(r, 400, "invalid_request_error");
        const std::string message = r.parsed()["error"]["message"];
        INFO(message);
        CHECK(message.find(says) != std::string::npos);
    };
    {
        Headers h = anthropicHeaders();
        h.erase(h.begin() + 1);
        const HttpReply r = post(server.port(), "/v1/messages", h, good.dump());
        checkAnthropicError(r, 400, "invalid_request_error");
        CHECK(r.parsed()["error"]["message"].get<std::string>().find("anthropic-version") != std::string::npos);
    }
    checkAnthropicError(post(server.port(), "/v1/messages", anthropicHeaders(), "{\"model\": "), 400,
                        "invalid_request_error");
    json b = good;
    b.erase("model");
    bad(b, "model");
    b = good;
    b.erase("max_tokens");
    bad(b, "max_tokens");
    b = good;
    b["max_tokens"] = "many";
    bad(b, "max_tokens");
    b = good;
    b.erase("messages");
    bad(b, "messages");
    b = good;
    b["messages"] = json::array();
    bad(b, "messages");
    b = good;
    b.erase("tool_choice");
    bad(b, "tool_choice");
    b = good;
    b["tool_choice"] = {{"type", "tool"}, {"name", "no_such_tool"}};
    bad(b, "no_such_tool");
    b = good;
    b["tool_choice"] = {{"type", "auto"}};
    bad(b, "tool_choice");
    b = good;
    b["tools"][0].erase("input_schema");
    bad(b, "input_schema");
    b = good;
    b["messages"][0]["content"][0]["source"]["data"] = "not base64!";
    bad(b, "base64");
    b = good;
    b["messages"][0]["content"][0]["source"]["media_type"] = "image/bmp";
    bad(b, "media_type");
    b = good;
    b["messages"].push_back(
        json{{"role", "user"},
             {"content", json::array({json{{"type", "tool_result"}, {"tool_use_id", "toolu_9"}, {"content", "x"}}})}});
    bad(b, "tool_use_id");
    b = good;
    b["messages"].push_back(json{
        {"role", "assistant"},
        {"content",
         json::array({json{
             {"type", "tool_use"}, {"id", "toolu_1"}, {"name", "propose_waypoints"}, {"input", json::object()}}})}});
    b["messages"].push_back(json{{"role", "user"}, {"content", "Try again.\n" + coordinatesPrompt(25.0, 0.0)}});
    bad(b, "tool_result");
    b = good;
    b["messages"][0]["content"] = json::array({json{{"type", "text"}, {"text", "Hello there."}}});
    bad(b, "no prompt found");
    b = good;
    b["messages"][0]["role"] = "system";
    bad(b, "role");
    CHECK(server.pendingFaults() == 1);
    CHECK(anthropic(server, good).status == 500);  // the first valid request takes the fault
    CHECK(server.pendingFaults() == 0);
}

TEST_CASE("Model server: malformed OpenAI requests get 400", "[vlm][model_server]") {
    ModelServer server;
    const json good = openaiRequest(coordinatesPrompt(25.0, 0.0));
    const auto bad = [&](const json& body, const std::string& says) {
        INFO(body.dump().substr(0, 300));
        const HttpReply r = openai(server, body);
        checkOpenaiError(r, 400);
        CHECK(r.parsed()["error"]["type"] == "invalid_request_error");
        const std::string message = r.parsed()["error"]["message"];
        INFO(message);
        CHECK(message.find(says) != std::string::npos);
    };
    checkOpenaiError(post(server.port(), "/v1/chat/completions", openaiHeaders(), "not json"), 400);
    json b = good;
    b.erase("model");
    bad(b, "model");
    b = good;
    b["messages"] = json::array();
    bad(b, "messages");
    b = good;
    b["messages"][1]["content"][0]["image_url"]["url"] = "https://example.com/terrain.png";
    bad(b, "data URL");
    b = good;
    b["messages"][1]["content"][0]["image_url"]["url"] = "data:image/png;base64,@@@@";
    bad(b, "base64");
    b = good;
    b["messages"][1]["content"][0]["image_url"]["url"] = "data:image/png," + kPng;
    bad(b, "base64");
    b = good;
    b["messages"][1]["content"][1]["image_url"]["detail"] = "ultra";
    bad(b, "detail");
    b = good;
    b["messages"][1]["content"][0]["type"] = "image";
    bad(b, "image");
    b = good;
    b["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"schema", waypointsSchema()}}}};
    bad(b, "name");
    b = good;
    b["messages"][1]["content"] = "What now?";
    bad(b, "no prompt found");
}

TEST_CASE("Model server: Status faults answer with the API's error body and retry-after", "[vlm][model_server]") {
    ModelServer server;
    SECTION("Anthropic") {
        server.enqueue(Fault{.kind = Fault::Kind::Status, .status = 429, .retryAfterS = 1.0});
        server.enqueue(Fault{.kind = Fault::Kind::Status, .status = 529, .retryAfterS = 0.25});
        server.enqueue(Fault{.kind = Fault::Kind::Status, .status = 500});
        server.enqueue(Fault{.kind = Fault::Kind::Status, .status = 403});
        const json body = anthropicRequest(coordinatesPrompt(25.0, 0.0));
        HttpReply r = anthropic(server, body);
        checkAnthropicError(r, 429, "rate_limit_error");
        CHECK(r.header("retry-after") == "1");
        r = anthropic(server, body);
        checkAnthropicError(r, 529, "overloaded_error");
        CHECK(r.header("retry-after") == "0.25");
        r = anthropic(server, body);
        checkAnthropicError(r, 500, "api_error");
        CHECK(r.headers.count("retry-after") == 0);
        checkAnthropicError(anthropic(server, body), 403, "permission_error");
        CHECK(anthropicToolInput(anthropic(server, body)).contains("waypoints"));  // the queue is empty again
    }
    SECTION("OpenAI") {
        server.enqueue(Fault{.kind = Fault::Kind::Status, .status = 429, .retryAfterS = 2.0});
        server.enqueue(Fault{.kind = Fault::Kind::Status, .status = 503, .retryAfterS = 0.5});
        const json body = openaiRequest(coordinatesPrompt(25.0, 0.0));
        HttpReply r = openai(server, body);
        checkOpenaiError(r, 429);
        CHECK(r.parsed()["error"]["code"] == "rate_limit_exceeded");
        CHECK(r.header("retry-after") == "2");
        r = openai(server, body);
        checkOpenaiError(r, 503);
        CHECK(r.parsed()["error"]["type"] == "server_error");
        CHECK(r.header("retry-after") == "0.5");
        CHECK(openai(server, body).status == 200);
    }
}

TEST_CASE("Model server: Slow and TruncatedBody faults", "[vlm][model_server]") {
    ModelServer server;
    const json body = anthropicRequest(coordinatesPrompt(25.0, 0.0));
    SECTION("Slow answers normally, late") {
        server.enqueue(Fault{.kind = Fault::Kind::Slow, .delayS = 0.3});
        const auto t0 = Clock::now();
        const HttpReply r = anthropic(server, body);
        CHECK(secondsSince(t0) >= 0.3);
        CHECK(waypointsOf(anthropicToolInput(r)).size() == 3);
    }
    SECTION("a client that gives up on a Slow answer does not hurt the server") {
        server.enqueue(Fault{.kind = Fault::Kind::Slow, .delayS = 0.3});
        const HttpReply gaveUp = post(server.port(), "/v1/messages", anthropicHeaders(), body.dump(), 0.05);
        CHECK(gaveUp.status == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the server writes to a closed socket
        CHECK(anthropic(server, body).status == 200);
    }
    SECTION("TruncatedBody declares the whole answer and sends half of it") {
        server.enqueue(Fault{.kind = Fault::Kind::TruncatedBody});
        server.enqueue(Fault{.kind = Fault::Kind::TruncatedBody});
        const HttpReply r = anthropic(server, body);
        CHECK(r.status == 200);
        CHECK(!r.complete());
        CHECK(r.declaredLength > 0);
        CHECK(static_cast<long long>(r.body.size()) == r.declaredLength / 2);
        CHECK_THROWS(r.parsed());
        const HttpReply o = openai(server, openaiRequest(coordinatesPrompt(25.0, 0.0)));
        CHECK(o.status == 200);
        CHECK(static_cast<long long>(o.body.size()) == o.declaredLength / 2);
    }
}

TEST_CASE("Model server: text faults (Prose, JsonInProse, JsonInFence)", "[vlm][model_server]") {
    ModelServer server;
    const json aBody = anthropicRequest(coordinatesPrompt(25.0, 0.0));
    const json oBody = openaiRequest(coordinatesPrompt(25.0, 0.0));
    SECTION("Prose") {
        server.enqueue(Fault{.kind = Fault::Kind::Prose});
        server.enqueue(Fault{.kind = Fault::Kind::Prose});
        const std::string a = anthropicText(anthropic(server, aBody));
        CHECK(a == "I think the rover should go north-east around the crater.");
        const HttpReply o = openai(server, oBody);
        checkOpenaiSchema("CreateChatCompletionResponse", o.parsed());
        CHECK(openaiContent(o) == "I think the rover should go north-east around the crater.");
    }
    SECTION("JsonInProse") {
        server.enqueue(Fault{.kind = Fault::Kind::JsonInProse});
        server.enqueue(Fault{.kind = Fault::Kind::JsonInProse});
        const std::string a = anthropicText(anthropic(server, aBody));
        CHECK(a.rfind("Sure! Here is the plan:\n{", 0) == 0);
        CHECK(a.size() > 20);
        CHECK(a.substr(a.size() - 18) == "}\nHope that helps.");
        CHECK(waypointsOf(jsonInText(a)).size() == 3);
        const std::string o = openaiContent(openai(server, oBody));
        CHECK(o.rfind("Sure! Here is the plan:\n{", 0) == 0);
        CHECK(waypointsOf(jsonInText(o)).size() == 3);
    }
    SECTION("JsonInFence") {
        server.enqueue(Fault{.kind = Fault::Kind::JsonInFence});
        server.enqueue(Fault{.kind = Fault::Kind::JsonInFence});
        const std::string a = anthropicText(anthropic(server, aBody));
        CHECK(a.rfind("```json\n{", 0) == 0);
        CHECK(a.substr(a.size() - 5) == "}\n```");
        CHECK(waypointsOf(jsonInText(a)).size() == 3);
        const std::string o = openaiContent(openai(server, oBody));
        CHECK(o.rfind("```json\n{", 0) == 0);
        CHECK(waypointsOf(jsonInText(o)).size() == 3);
    }
}

TEST_CASE("Model server: answer faults (NaN, out of range, far, exact waypoints, candidate)", "[vlm][model_server]") {
    ModelServer server;
    const json aBody = anthropicRequest(coordinatesPrompt(25.0, 0.0));
    const json oBody = openaiRequest(coordinatesPrompt(25.0, 0.0));
    SECTION("NaNCoordinate: Anthropic's body is not JSON; OpenAI's content is not") {
        server.enqueue(Fault{.kind = Fault::Kind::NaNCoordinate});
        server.enqueue(Fault{.kind = Fault::Kind::NaNCoordinate});
        const HttpReply a = anthropic(server, aBody);
        CHECK(a.status == 200);
        CHECK(a.complete());
        CHECK(a.body.find("{\"waypoints\":[{\"east\":NaN,\"north\":") != std::string::npos);
        CHECK_THROWS(a.parsed());
        const std::string o = openaiContent(openai(server, oBody));
        CHECK(o.rfind("{\"waypoints\":[{\"east\":NaN,", 0) == 0);
        CHECK_THROWS(json::parse(o));
    }
    SECTION("OutOfRange") {
        server.enqueue(Fault{.kind = Fault::Kind::OutOfRange});
        server.enqueue(Fault{.kind = Fault::Kind::OutOfRange});
        CHECK(waypointsOf(anthropicToolInput(anthropic(server, aBody)))[0].first == 5000.0);
        CHECK(waypointsOf(json::parse(openaiContent(openai(server, oBody))))[0].first == 5000.0);
    }
    SECTION("FarWaypoint: one waypoint 30 m toward the goal") {
        server.enqueue(Fault{.kind = Fault::Kind::FarWaypoint});
        const auto w =
            waypointsOf(anthropicToolInput(anthropic(server, anthropicRequest(coordinatesPrompt(60.0, 80.0)))));
        REQUIRE(w.size() == 1);
        CHECK(w[0].first == Approx(18.0));
        CHECK(w[0].second == Approx(24.0));
    }
    SECTION("Waypoint: exactly the given points") {
        const std::vector<std::pair<double, double>> points{{3.25, -1.5}, {7.125, 2.0}};
        server.enqueue(Fault{.kind = Fault::Kind::Waypoint, .points = points});
        server.enqueue(Fault{.kind = Fault::Kind::Waypoint, .points = points});
        CHECK(waypointsOf(anthropicToolInput(anthropic(server, aBody))) == points);
        CHECK(waypointsOf(json::parse(openaiContent(openai(server, oBody)))) == points);
    }
    SECTION("Candidate: the given number, even one that does not exist") {
        const json cBody = anthropicRequest(candidatesPrompt(20.0, 0.0, {{9.5, 0.0}, {6.7, 6.7}}));
        server.enqueue(Fault{.kind = Fault::Kind::Candidate, .candidate = 2});
        server.enqueue(Fault{.kind = Fault::Kind::Candidate, .candidate = 7});
        CHECK(anthropicToolInput(anthropic(server, cBody), "choose_candidate").at("candidate") == 2);
        CHECK(json::parse(
                  openaiContent(openai(server, openaiRequest(candidatesPrompt(20.0, 0.0, {{9.5, 0.0}, {6.7, 6.7}})))))
                  .at("candidate") == 7);
        CHECK(anthropicToolInput(anthropic(server, cBody), "choose_candidate").at("candidate") == 1);
    }
    CHECK(server.pendingFaults() == 0);
}

TEST_CASE("Model server: unknown paths are 404 in the API's error format", "[vlm][model_server]") {
    ModelServer server;
    const HttpReply a = post(server.port(), "/v1/messagez", anthropicHeaders(), "{}");
    checkAnthropicError(a, 404, "not_found_error");
    const HttpReply o = post(server.port(), "/v1/completions", openaiHeaders(), "{}");
    checkOpenaiError(o, 404);
    const HttpReply g = exchange(server.port(), buildRequest("GET", "/v1/models", openaiHeaders(), ""));
    checkOpenaiError(g, 404);
    const HttpReply getMessages = exchange(server.port(), buildRequest("GET", "/v1/messages", anthropicHeaders(), ""));
    checkAnthropicError(getMessages, 404, "not_found_error");
    CHECK(server.requestCount() == 4);
}

TEST_CASE("Model server: HTTP details (100-continue, large bodies, chunked bodies)", "[vlm][model_server]") {
    ModelServer server;
    SECTION("Expect: 100-continue with a several-megabyte image") {
        json body = openaiRequest(coordinatesPrompt(25.0, 0.0));
        const std::string big(4'000'000, 'A');  // valid base64, 3 MB decoded
        body["messages"][1]["content"][0]["image_url"]["url"] = "data:image/png;base64," + big;
        const std::string payload = body.dump();
        const int fd = connectTo(server.port());
        std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kKey +
                           "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
                           std::to_string(payload.size()) + "\r\n\r\n";
        REQUIRE(sendAll(fd, head));
        std::string raw;
        receive(fd, raw, Clock::now() + std::chrono::seconds(5),
                [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; });
        CHECK(raw.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
        REQUIRE(sendAll(fd, payload));
        receive(fd, raw, Clock::now() + std::chrono::seconds(10), [](const std::string&) { return false; });
        ::close(fd);
        const HttpReply r = parseReply(raw);
        CHECK(r.interim == 1);
        CHECK(waypointsOf(json::parse(openaiContent(r))).size() == 3);
        REQUIRE(server.requestCount() == 1);
        CHECK(server.requests()[0].body.size() == payload.size());
        CHECK(server.requests()[0].headers.at("expect") == "100-continue");
    }
    SECTION("a chunked request body") {
        const std::string payload = anthropicRequest(coordinatesPrompt(25.0, 0.0)).dump();
        std::string request = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: " + kKey +
                              "\r\nanthropic-version: 2023-06-01\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (std::size_t i = 0; i < payload.size(); i += 100) {
            const std::string piece = payload.substr(i, 100);
            char size[16];
            std::snprintf(size, sizeof size, "%zx", piece.size());
            request += std::string(size) + "\r\n" + piece + "\r\n";
        }
        request += "0\r\n\r\n";
        CHECK(waypointsOf(anthropicToolInput(exchange(server.port(), request))).size() == 3);
    }
    SECTION("garbage instead of HTTP") {
        const HttpReply r = exchange(server.port(), "HELLO\r\n\r\n");
        CHECK(r.status == 400);
        CHECK(anthropic(server, anthropicRequest(coordinatesPrompt(25.0, 0.0))).status == 200);
    }
}

TEST_CASE("Model server: concurrent requests are served concurrently", "[vlm][model_server]") {
    ModelServer server(ModelServerOptions{.latencyS = 0.5});
    const json body = anthropicRequest(coordinatesPrompt(25.0, 0.0));
    std::vector<int> statuses(3, 0);
    const auto t0 = Clock::now();
    std::vector<std::thread> clients;
    for (std::size_t i = 0; i < statuses.size(); ++i)
        clients.emplace_back(
            [&, i] { statuses[i] = post(server.port(), "/v1/messages", anthropicHeaders(), body.dump()).status; });
    for (std::thread& t : clients) t.join();
    const double wall = secondsSince(t0);
    for (int s : statuses) CHECK(s == 200);
    CHECK(wall >= 0.5);
    CHECK(wall < 0.9);

    // setLatency changes it for the next answers.
    server.setLatency(0.0);
    const auto t1 = Clock::now();
    CHECK(anthropic(server, body).status == 200);
    CHECK(secondsSince(t1) < 0.4);
}

TEST_CASE("Model server: the destructor returns promptly while a Slow answer sleeps", "[vlm][model_server]") {
    auto server = std::make_unique<ModelServer>();
    server->enqueue(Fault{.kind = Fault::Kind::Slow, .delayS = 30.0});
    const int port = server->port();
    std::atomic<int> status{-1};
    std::thread client([&] {
        status =
            post(port, "/v1/messages", anthropicHeaders(), anthropicRequest(coordinatesPrompt(25.0, 0.0)).dump(), 20.0)
                .status;
    });
    // An idle connection that never sends a byte must not hold the destructor up either.
    const int idle = connectTo(port);
    const auto wait0 = Clock::now();
    while (server->pendingFaults() != 0 && secondsSince(wait0) < 5.0)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(server->pendingFaults() == 0);  // the request is in, sleeping
    const auto t0 = Clock::now();
    server.reset();
    const double took = secondsSince(t0);
    CHECK(took < 1.0);
    client.join();
    CHECK(status == 0);  // closed without an answer
    ::close(idle);
}

TEST_CASE("Model server: nothing is left behind (descriptors, threads)", "[vlm][model_server]") {
    const auto count = [](const char* dir) {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++n;
        return n;
    };
    const std::size_t fds0 = count("/proc/self/fd"), threads0 = count("/proc/self/task");
    {
        ModelServer server;
        const json body = anthropicRequest(coordinatesPrompt(25.0, 0.0));
        for (int i = 0; i < 5; ++i) CHECK(anthropic(server, body).status == 200);
        server.enqueue(Fault{.kind = Fault::Kind::Slow, .delayS = 30.0});
        CHECK(post(server.port(), "/v1/messages", anthropicHeaders(), body.dump(), 0.1).status == 0);  // gave up
        const int idle = connectTo(server.port());
        ::close(idle);
    }
    CHECK(count("/proc/self/fd") == fds0);
    CHECK(count("/proc/self/task") == threads0);
}
