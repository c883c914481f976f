// The two wire formats: requests of the shape each API accepts (the OpenAI one checked against the
// official schema), replies parsed, errors explained, keys kept out of everything written.
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "vlm/provider.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <sys/wait.h>

using namespace traverse;
using namespace traverse::vlm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

EncodedImage image(const std::string& name, std::string bytes) {
    return {name, "image/png", std::move(bytes), 4, 4};
}

Conversation stepConversation() {
    Conversation c;
    c.system = "You are a Mars rover driver.";
    Turn user;
    user.text = "Mode: coordinates\nGoal: 25.0 m east, 0.0 m north of the rover";
    user.images = {image("terrain", "\x89PNG-terrain"), image("hazard", "\x89PNG-hazard")};
    c.turns.push_back(user);
    return c;
}

ProviderConfig config(ProviderKind kind) {
    ProviderConfig c;
    c.kind = kind;
    c.endpoint = "http://127.0.0.1:9";
    c.model = kind == ProviderKind::Anthropic ? "claude-test" : "gpt-test";
    c.apiKey = "sk-planted-secret-123";
    return c;
}

struct Shell {
    int status = -1;
    std::string out;
};
Shell shell(const std::string& command) {
    Shell s;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) s.out.append(buf, n);
    const int rc = pclose(p);
    s.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return s;
}

fs::path checker() { return fs::path(TRAVERSE_SOURCE_DIR) / "tools" / "seqjson-check"; }

// The request against OpenAI's CreateChatCompletionRequest, unknown keys refused (the live API does).
Shell checkOpenAiRequest(const fs::path& file) {
    if (!fs::exists(checker() / "node_modules" / "ajv"))
        FAIL("the schema checker is not installed: run 'npm ci --prefix " + checker().string() +
             "' (scripts/traverse-setup does)");
    const fs::path schema = fs::path(TRAVERSE_SOURCE_DIR) / "tests" / "vlm" / "reference" /
                            "openai-chat-completions.schema.json";
    return shell("node '" + (checker() / "check-schema.mjs").string() + "' --closed '" + schema.string() +
                 "' CreateChatCompletionRequest '" + file.string() + "'");
}

}  // namespace

TEST_CASE("base64 and redaction") {
    CHECK(base64Encode("") == "");
    CHECK(base64Encode("f") == "Zg==");
    CHECK(base64Encode("fo") == "Zm8=");
    CHECK(base64Encode("foo") == "Zm9v");
    CHECK(base64Encode("foobar") == "Zm9vYmFy");
    CHECK(base64Encode(std::string("\xff\xfe\x00", 3)) == "//4A");
    CHECK(redact("key=abc and abc", "abc") == "key=[redacted] and [redacted]");
    CHECK(redact("nothing", "") == "nothing");
}

TEST_CASE("endpoints: a base URL with or without /v1, or the full call") {
    ProviderConfig a = config(ProviderKind::Anthropic);
    a.endpoint = "https://api.anthropic.com";
    CHECK(a.url() == "https://api.anthropic.com/v1/messages");
    a.endpoint = "https://api.anthropic.com/v1/";
    CHECK(a.url() == "https://api.anthropic.com/v1/messages");
    ProviderConfig o = config(ProviderKind::OpenAI);
    o.endpoint = "http://localhost:11434/v1";  // Ollama
    CHECK(o.url() == "http://localhost:11434/v1/chat/completions");
    o.endpoint = "http://localhost:8080";  // llama.cpp server
    CHECK(o.url() == "http://localhost:8080/v1/chat/completions");
    o.endpoint = "http://localhost:8000/v1/chat/completions";  // vLLM, given whole
    CHECK(o.url() == "http://localhost:8000/v1/chat/completions");
}

TEST_CASE("an Anthropic request: base64 image blocks, a tool with input_schema, forced tool_choice") {
    const json b = json::parse(buildRequestBody(config(ProviderKind::Anthropic), stepConversation(),
                                                AskMode::Coordinates, 3, true));
    CHECK(b["model"] == "claude-test");
    CHECK(b["max_tokens"].is_number_integer());
    CHECK(b["system"] == "You are a Mars rover driver.");
    REQUIRE(b["messages"].size() == 1);
    const json& user = b["messages"][0];
    CHECK(user["role"] == "user");
    int images = 0;
    for (const auto& block : user["content"]) {
        if (block["type"] == "image") {
            ++images;
            CHECK(block["source"]["type"] == "base64");
            CHECK(block["source"]["media_type"] == "image/png");
        }
    }
    CHECK(images == 2);
    CHECK(user["content"].back()["type"] == "text");
    CHECK(user["content"][1]["source"]["data"] == base64Encode("\x89PNG-terrain"));
    REQUIRE(b["tools"].size() == 1);
    CHECK(b["tools"][0]["name"] == "propose_waypoints");
    CHECK(b["tools"][0]["input_schema"]["properties"]["waypoints"]["maxItems"] == 3);
    CHECK(b["tool_choice"] == json({{"type", "tool"}, {"name", "propose_waypoints"}}));
    CHECK(b.dump().find("sk-planted") == std::string::npos);
    CHECK_FALSE(b.contains("response_format"));
}

TEST_CASE("an unusable answer goes back to Anthropic as an is_error tool_result for the tool call") {
    Conversation c = stepConversation();
    const std::string reply =
        R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"Going east."},{"type":"tool_use","id":"toolu_7","name":"propose_waypoints","input":{"waypoints":[{"east":30,"north":0}],"reasoning":"fast"}}],"stop_reason":"tool_use","usage":{"input_tokens":1200,"output_tokens":40}})";
    const ModelReply r = parseReply(config(ProviderKind::Anthropic), reply);
    CHECK(r.structured);
    CHECK(json::parse(r.answerText)["waypoints"][0]["east"] == 30);
    CHECK(r.toolUseId == "toolu_7");
    CHECK(r.inputTokens == 1200);
    CHECK(r.outputTokens == 40);
    Turn said;
    said.assistant = true;
    said.assistantJson = r.assistantJson;
    said.toolUseId = r.toolUseId;
    Turn fix;
    fix.correction = true;
    fix.text = "waypoint 1 is 30.00 m from the rover";
    c.turns.push_back(said);
    c.turns.push_back(fix);
    const json b = json::parse(buildRequestBody(config(ProviderKind::Anthropic), c, AskMode::Coordinates, 3, true));
    REQUIRE(b["messages"].size() == 3);
    CHECK(b["messages"][1]["role"] == "assistant");
    CHECK(b["messages"][1]["content"][1]["id"] == "toolu_7");
    const json& result = b["messages"][2]["content"][0];
    CHECK(b["messages"][2]["role"] == "user");
    CHECK(result["type"] == "tool_result");
    CHECK(result["tool_use_id"] == "toolu_7");
    CHECK(result["is_error"] == true);
    CHECK(result["content"] == "waypoint 1 is 30.00 m from the rover");
}

TEST_CASE("OpenAI-compatible requests match the official chat completions schema, with and without "
          "response_format") {
    test::TempDir dir;
    for (bool structured : {true, false}) {
        for (AskMode mode : {AskMode::Coordinates, AskMode::Candidates}) {
            Conversation c = stepConversation();
            if (!structured) {  // a correction round, as after an unusable answer
                Turn said;
                said.assistant = true;
                said.assistantJson = R"({"role":"assistant","content":"I think north."})";
                Turn fix;
                fix.correction = true;
                fix.text = "the answer holds no JSON object";
                c.turns.push_back(said);
                c.turns.push_back(fix);
            }
            const std::string body = buildRequestBody(config(ProviderKind::OpenAI), c, mode, 3, structured);
            const json b = json::parse(body);
            CHECK(b["messages"][0]["role"] == "system");
            const json& parts = b["messages"][1]["content"];
            CHECK(parts[1]["type"] == "image_url");
            CHECK(parts[1]["image_url"]["url"] == "data:image/png;base64," + base64Encode("\x89PNG-terrain"));
            CHECK(b.contains("response_format") == structured);
            if (structured) {
                CHECK(b["response_format"]["type"] == "json_schema");
                CHECK(b["response_format"]["json_schema"]["strict"] == true);
                CHECK(b["response_format"]["json_schema"]["name"] ==
                      (mode == AskMode::Coordinates ? "propose_waypoints" : "choose_candidate"));
            }
            const fs::path file = dir / ("request_" + std::to_string(structured) + std::to_string(int(mode)) + ".json");
            std::ofstream(file) << body;
            const Shell s = checkOpenAiRequest(file);
            INFO(s.out);
            CHECK(s.status == 0);
        }
    }
    // The check is not a formality: a request with a misspelt field fails it.
    const fs::path bad = dir / "bad.json";
    std::ofstream(bad) << R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokenz":3})";
    const Shell s = checkOpenAiRequest(bad);
    CHECK(s.status == 1);
    CHECK(s.out.find("max_tokenz") != std::string::npos);
}

TEST_CASE("replies: OpenAI content, refusals of the shape, API error messages") {
    const ModelReply r = parseReply(
        config(ProviderKind::OpenAI),
        R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant","content":"{\"candidate\": 2, \"reasoning\": \"x\"}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}})");
    CHECK(json::parse(r.answerText)["candidate"] == 2);
    CHECK(r.stopReason == "stop");
    CHECK(r.inputTokens == 10);
    for (const char* body : {"not json", "{\"choices\": []}", "{\"object\": \"list\"}"}) {
        try {
            parseReply(config(ProviderKind::OpenAI), body);
            FAIL("accepted " << body);
        } catch (const Error& e) {
            CHECK(e.kind() == Error::Kind::Format);
            CHECK(std::string(e.what()).find("chat completions") != std::string::npos);
        }
    }
    CHECK_THROWS_AS(parseReply(config(ProviderKind::Anthropic), R"({"type":"message"})"), Error);
    CHECK(apiErrorMessage(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})") ==
          "Overloaded");
    CHECK(apiErrorMessage(R"({"error":{"message":"Invalid model","type":"invalid_request_error"}})") == "Invalid model");
    CHECK(apiErrorMessage("<html>502</html>").empty());
}

TEST_CASE("provider settings: the file fills in, the environment's key wins, errors name the file") {
    test::TempDir dir;
    const fs::path settings = dir / "settings.json";
    std::ofstream(settings) << R"({"providers": {"openai": {"endpoint": "http://localhost:11434/v1", "model": "llava",
                                   "api_key": "from-file", "timeout_s": 30, "max_attempts": 2}}})";
    ::unsetenv("OPENAI_API_KEY");
    ::unsetenv("OPENAI_BASE_URL");
    ProviderConfig c = loadProviderConfig(ProviderKind::OpenAI, settings);
    CHECK(c.endpoint == "http://localhost:11434/v1");
    CHECK(c.model == "llava");
    CHECK(c.apiKey == "from-file");
    CHECK(c.retry.requestTimeoutS == 30.0);
    CHECK(c.retry.maxAttempts == 2);
    ::setenv("OPENAI_API_KEY", "from-env", 1);
    CHECK(loadProviderConfig(ProviderKind::OpenAI, settings).apiKey == "from-env");
    ::unsetenv("OPENAI_API_KEY");
    // Anthropic has no entry: its defaults.
    CHECK(loadProviderConfig(ProviderKind::Anthropic, settings).endpoint == "https://api.anthropic.com");
    std::ofstream(settings) << R"({"providers": {"openai": {"model": 7}}})";
    try {
        loadProviderConfig(ProviderKind::OpenAI, settings);
        FAIL("accepted a number for the model");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(settings.string()) != std::string::npos);
    }
    CHECK_THROWS_AS(loadProviderConfig(ProviderKind::OpenAI, dir / "missing.json"), Error);
}
