#pragma once
// The project's own model server for tests and benchmarks: an HTTP/1.1 server on 127.0.0.1 (an
// ephemeral port) that speaks Anthropic's Messages API (POST /v1/messages) and the OpenAI chat
// completions API (POST /v1/chat/completions) with their real wire formats, answers like a simple
// model that reads the prompt (see docs/vlm.md, "Prompt contract"), and injects faults on request.
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace traverse::testing {

struct ModelServerOptions {
    std::string apiKey = "test-key-not-secret";  // expected x-api-key / Bearer token; 401 otherwise
    bool openaiResponseFormat = true;            // false: a server that rejects response_format (400)
    double latencyS = 0.0;                       // added before every answer
};

// One injected behaviour, consumed by the next request (in order of enqueue). A request consumes a
// fault once it has passed routing, authentication and validation (a request that gets a 404, a
// 401 or a 400 of its own leaves the queue alone), so a fault never hides a client bug.
struct Fault {
    enum class Kind {
        Status,         // answer HTTP `status` with the API's error body (400/401/403/404/429/500/529...)
        Slow,           // sleep `delayS` before answering normally
        TruncatedBody,  // Content-Length larger than the body sent, then close
        Prose,          // a normal-looking answer whose text holds no JSON at all
        JsonInProse,    // the JSON answer wrapped in prose ("Sure! Here is ... {json} Hope that helps")
        JsonInFence,    // the JSON answer inside a ```json code fence
        NaNCoordinate,  // the first waypoint's east is the bare token NaN
        OutOfRange,     // the first waypoint 5000 m east
        FarWaypoint,    // the first waypoint 30 m from the rover, toward the goal
        Waypoint,       // exactly the waypoints in `points` (local frame), e.g. into a crater
        Candidate,      // candidates mode: the candidate number `candidate` (may not exist)
    };
    Kind kind = Kind::Status;
    int status = 500;
    double retryAfterS = -1.0;      // with Status: a retry-after header when >= 0
    double delayS = 0.0;            // with Slow
    std::vector<std::pair<double, double>> points{};  // with Waypoint: (east, north)
    int candidate = 0;              // with Candidate
};

struct RecordedRequest {
    std::string method;
    std::string path;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::chrono::steady_clock::time_point received;
};

class ModelServer {
public:
    explicit ModelServer(ModelServerOptions options = {});
    ~ModelServer();  // stops accepting, closes connections, joins threads
    ModelServer(const ModelServer&) = delete;
    ModelServer& operator=(const ModelServer&) = delete;

    int port() const;
    std::string baseUrl() const;  // "http://127.0.0.1:<port>"
    void enqueue(Fault fault);
    void setLatency(double seconds);
    std::vector<RecordedRequest> requests() const;
    std::size_t requestCount() const;
    std::size_t pendingFaults() const;  // enqueued faults not yet consumed by a request

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace traverse::testing
