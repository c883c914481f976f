// The HTTP layer and the provider client against the project's model server on 127.0.0.1: retries
// with backoff on 429/500/529 honouring retry-after, no retry on 400/401/403/404, a total deadline,
// cut-off bodies, cancellation, the response_format fallback, and keys kept out of every message.
#include "support/model_server.hpp"
#include "terrain/error.hpp"
#include "vlm/http_client.hpp"
#include "vlm/provider.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

using namespace traverse;
using namespace traverse::vlm;
using traverse::testing::Fault;
using traverse::testing::ModelServer;
using traverse::testing::ModelServerOptions;
using nlohmann::json;

namespace {

constexpr const char* kKey = "test-key-not-secret";

ProviderConfig configFor(const ModelServer& server, ProviderKind kind) {
    ProviderConfig c;
    c.kind = kind;
    c.endpoint = server.baseUrl();
    c.model = "test-model";
    c.apiKey = kKey;
    c.retry.initialBackoffS = 0.05;
    c.retry.maxBackoffS = 0.2;
    c.retry.requestTimeoutS = 5.0;
    c.retry.deadlineS = 20.0;
    c.retry.seed = 7;
    return c;
}

Conversation prompt() {
    Conversation c;
    c.system = "system";
    Turn t;
    t.text = "Mode: coordinates\nRover heading: 90.0 deg (clockwise from north)\n"
             "Goal: 25.0 m east, 0.0 m north of the rover (distance 25.0 m, bearing 90.0 deg)\n"
             "Waypoints: up to 3, each at most 10.0 m from the one before (the first from the rover)\n";
    t.images = {{"terrain", "image/png", "\x89PNG\r\n\x1a\nfake", 1, 1}};
    c.turns.push_back(t);
    return c;
}

Fault status(int code, double retryAfter = -1) {
    Fault f;
    f.kind = Fault::Kind::Status;
    f.status = code;
    f.retryAfterS = retryAfter;
    return f;
}

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("retry-after values: seconds, decimals, HTTP dates") {
    CHECK(parseRetryAfter("3", 0) == 3.0);
    CHECK(parseRetryAfter("0.5", 0) == 0.5);
    CHECK(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) == 10.0);
    CHECK(parseRetryAfter("soon", 0) < 0);
    CHECK(parseRetryAfter("", 0) < 0);
    CHECK(parseRetryAfter("-4", 0) < 0);
    for (int s : {429, 500, 502, 503, 529}) CHECK(isRetryableStatus(s));
    for (int s : {200, 400, 401, 403, 404, 413}) CHECK_FALSE(isRetryableStatus(s));
}

TEST_CASE("both providers get a usable answer from the model server") {
    ModelServer server;
    for (ProviderKind kind : {ProviderKind::Anthropic, ProviderKind::OpenAI}) {
        ModelClient client(configFor(server, kind));
        const Exchange ex = client.ask(prompt(), AskMode::Coordinates, 3, {});
        CHECK(ex.status == 200);
        CHECK(ex.replyError.empty());
        CHECK(ex.reply.structured);
        const json a = json::parse(ex.reply.answerText);
        REQUIRE(a["waypoints"].size() == 3);
        CHECK(a["waypoints"][2]["east"].get<double>() == Approx(25.0));
        CHECK(ex.requestBody.find(kKey) == std::string::npos);
    }
    const auto reqs = server.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].path == "/v1/messages");
    CHECK(reqs[0].headers.at("x-api-key") == kKey);
    CHECK(reqs[0].headers.at("anthropic-version") == "2023-06-01");
    CHECK(reqs[1].path == "/v1/chat/completions");
    CHECK(reqs[1].headers.at("authorization") == std::string("Bearer ") + kKey);
}

TEST_CASE("429 with retry-after, 500 and 529 are retried, waiting as asked") {
    ModelServer server;
    server.enqueue(status(429, 1.0));
    server.enqueue(status(500));
    server.enqueue(status(529));
    ModelClient client(configFor(server, ProviderKind::Anthropic));
    const auto t0 = std::chrono::steady_clock::now();
    const Exchange ex = client.ask(prompt(), AskMode::Coordinates, 3, {});
    const double took = seconds(t0);
    CHECK(ex.status == 200);
    REQUIRE(ex.attempts.size() == 4);
    CHECK(ex.attempts[0].status == 429);
    CHECK(ex.attempts[0].waitAfterS == 1.0);  // the server's retry-after, not the 0.05 s backoff
    CHECK(ex.attempts[1].status == 500);
    CHECK(ex.attempts[2].status == 529);
    // Backoff doubles with each attempt (0.05, 0.1, 0.2 s, capped at 0.2 s), +/-25 % jitter.
    CHECK(ex.attempts[1].waitAfterS == Approx(0.10).epsilon(0.26));
    CHECK(ex.attempts[2].waitAfterS == Approx(0.20).epsilon(0.26));
    CHECK(took >= 1.1);
    auto reqs = server.requests();
    REQUIRE(reqs.size() == 4);
    const double gap = std::chrono::duration<double>(reqs[1].received - reqs[0].received).count();
    CHECK(gap >= 0.95);
}

TEST_CASE("400, 401, 403 and 404 are not retried, and the message says what to fix without the key") {
    struct Case {
        int status;
        const char* hint;
    };
    for (const Case c : {Case{400, "check --model"}, Case{401, "ANTHROPIC_API_KEY"}, Case{403, "permissions"},
                         Case{404, "check --endpoint"}}) {
        ModelServer server;
        server.enqueue(status(c.status));
        ModelClient client(configFor(server, ProviderKind::Anthropic));
        try {
            client.ask(prompt(), AskMode::Coordinates, 3, {});
            FAIL("no error for HTTP " << c.status);
        } catch (const Error& e) {
            const std::string what = e.what();
            INFO(what);
            CHECK(e.kind() == Error::Kind::Network);
            CHECK(what.find("HTTP " + std::to_string(c.status)) != std::string::npos);
            CHECK(what.find(c.hint) != std::string::npos);
            CHECK(what.find(kKey) == std::string::npos);
        }
        CHECK(server.requestCount() == 1);
    }
    // A wrong key, as the server sees it: 401 from the server itself.
    ModelServer server;
    ProviderConfig cfg = configFor(server, ProviderKind::OpenAI);
    cfg.apiKey = "wrong-key-planted";
    ModelClient client(cfg);
    try {
        client.ask(prompt(), AskMode::Coordinates, 3, {});
        FAIL("accepted a wrong key");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("OPENAI_API_KEY") != std::string::npos);
        CHECK(std::string(e.what()).find("wrong-key-planted") == std::string::npos);
    }
}

TEST_CASE("attempts run out with a message naming the last status") {
    ModelServer server;
    for (int i = 0; i < 3; ++i) server.enqueue(status(503));
    ProviderConfig cfg = configFor(server, ProviderKind::OpenAI);
    cfg.retry.maxAttempts = 3;
    ModelClient client(cfg);
    try {
        client.ask(prompt(), AskMode::Coordinates, 3, {});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("HTTP 503 after 3 attempts") != std::string::npos);
    }
    CHECK(server.requestCount() == 3);
}

TEST_CASE("a slow answer past the deadline ends in a clear error on time") {
    ModelServer server;
    Fault slow;
    slow.kind = Fault::Kind::Slow;
    slow.delayS = 5.0;
    for (int i = 0; i < 4; ++i) server.enqueue(slow);
    ProviderConfig cfg = configFor(server, ProviderKind::Anthropic);
    cfg.retry.requestTimeoutS = 0.4;
    cfg.retry.deadlineS = 1.0;
    ModelClient client(cfg);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        client.ask(prompt(), AskMode::Coordinates, 3, {});
        FAIL("no error");
    } catch (const Error& e) {
        const std::string what = e.what();
        INFO(what);
        CHECK(e.kind() == Error::Kind::Network);
        CHECK((what.find("deadline") != std::string::npos || what.find("no answer within") != std::string::npos));
    }
    CHECK(seconds(t0) < 2.0);
}

TEST_CASE("a body cut off before its end is retried") {
    ModelServer server;
    Fault cut;
    cut.kind = Fault::Kind::TruncatedBody;
    server.enqueue(cut);
    ModelClient client(configFor(server, ProviderKind::OpenAI));
    const Exchange ex = client.ask(prompt(), AskMode::Coordinates, 3, {});
    CHECK(ex.status == 200);
    REQUIRE(ex.attempts.size() == 2);
    CHECK(ex.attempts[0].error.find("cut off") != std::string::npos);
}

TEST_CASE("cancellation stops a request in flight and a wait between attempts") {
    ModelServer server;
    Fault slow;
    slow.kind = Fault::Kind::Slow;
    slow.delayS = 10.0;
    server.enqueue(slow);
    server.enqueue(status(429, 5.0));
    ModelClient client(configFor(server, ProviderKind::Anthropic));
    for (int round = 0; round < 2; ++round) {
        std::stop_source stop;
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            stop.request_stop();
        });
        const auto t0 = std::chrono::steady_clock::now();
        try {
            client.ask(prompt(), AskMode::Coordinates, 3, stop.get_token());
            FAIL("not cancelled");
        } catch (const Error& e) {
            CHECK(e.kind() == Error::Kind::Cancelled);
        }
        canceller.join();
        CHECK(seconds(t0) < 2.0);
    }
}

TEST_CASE("a server without response_format support gets the request again, and JSON is read from its text") {
    ModelServerOptions o;
    o.openaiResponseFormat = false;
    ModelServer server(o);
    std::vector<std::string> log;
    ModelClient client(configFor(server, ProviderKind::OpenAI));
    const Exchange ex = client.ask(prompt(), AskMode::Coordinates, 3, {}, [&](const std::string& l) { log.push_back(l); });
    CHECK(ex.status == 200);
    CHECK(ex.usedFallback);
    CHECK_FALSE(ex.reply.structured);
    CHECK(ex.reply.answerText.find("{") != std::string::npos);
    CHECK(json::parse(ex.requestBody).contains("response_format") == false);
    REQUIRE(log.size() == 1);
    CHECK(log[0].find("response_format") != std::string::npos);
    // Learnt once: the next request goes without it straight away.
    client.ask(prompt(), AskMode::Coordinates, 3, {});
    CHECK(server.requestCount() == 3);
}

TEST_CASE("an unreachable server is retried, then reported by host") {
    ProviderConfig cfg;
    {
        ModelServer closed;  // bound, then gone: nothing listens on its port any more
        cfg = configFor(closed, ProviderKind::OpenAI);
    }
    cfg.retry.maxAttempts = 2;
    ModelClient client(cfg);
    try {
        client.ask(prompt(), AskMode::Coordinates, 3, {});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Network);
        CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
    }
}
