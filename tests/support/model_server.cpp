#include "support/model_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <list>
#include <numbers>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

namespace traverse::testing {

namespace {

using json = nlohmann::ordered_json;  // answers keep the order a model writes them in

enum class Api { Anthropic, OpenAI };

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;
constexpr int kIdleTimeoutMs = 60'000;  // a connection that sends nothing for this long is dropped
constexpr int kDrainTimeoutMs = 1'000;  // after a response: wait this long for the client's close

// ---------------------------------------------------------------------------------------------
// Small text helpers

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
    std::size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
}

// Seconds as the retry-after header writes them: an integer when whole, else up to 3 decimals.
std::string formatSeconds(double s) {
    if (s == std::floor(s) && s < 1e15) return std::to_string(static_cast<long long>(s));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    std::string out = buf;
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

double round2(double v) {
    double r = std::round(v * 100.0) / 100.0;
    return r == 0.0 ? 0.0 : r;  // no "-0.0" in answers
}

std::string fixed1(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

const char* reasonPhrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Overloaded";
    default: return status < 500 ? "Client Error" : "Server Error";
    }
}

bool isBase64(std::string_view s) {
    if (s.empty() || s.size() % 4 != 0) return false;
    std::size_t pad = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad > 0) return false;  // '=' only at the end
        const bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) return false;
    }
    return pad <= 2;
}

bool isImageMediaType(std::string_view t) {
    return t == "image/png" || t == "image/jpeg" || t == "image/gif" || t == "image/webp";
}

// Why a data URL is not an acceptable image ("" when it is).
std::string dataUrlProblem(std::string_view url) {
    if (!startsWith(url, "data:")) return "not a data URL (this server accepts only data:image/...;base64,...)";
    const std::size_t comma = url.find(',');
    if (comma == std::string_view::npos) return "data URL without a ',' before the payload";
    const std::string_view meta = url.substr(5, comma - 5);
    const std::size_t semi = meta.find(';');
    if (semi == std::string_view::npos || meta.substr(semi + 1) != "base64")
        return "data URL is not base64-encoded (expected ';base64,')";
    if (!isImageMediaType(meta.substr(0, semi)))
        return "unsupported image media type '" + std::string(meta.substr(0, semi)) + "' (png, jpeg, gif or webp)";
    if (!isBase64(url.substr(comma + 1))) return "the payload of the data URL is not valid base64";
    return {};
}

// ---------------------------------------------------------------------------------------------
// The model's "brain": reads the prompt contract of docs/vlm.md and answers deterministically.

struct Candidate {
    int number = 0;
    double east = 0.0, north = 0.0;
};

struct Prompt {
    std::string mode;  // "coordinates" | "candidates"
    bool hasGoal = false;
    double goalEast = 0.0, goalNorth = 0.0;
    int maxWaypoints = 3;
    double maxStep = 10.0;
    double viewHalf = 1e9;  // half the view's side, from a "View:" line
    std::vector<Candidate> candidates;
    int refusals = 0;
};

bool hasModeLine(std::string_view text) {
    for (std::string_view line : splitLines(text))
        if (startsWith(trim(line), "Mode:")) return true;
    return false;
}

// The texts of a messages array (either API), in order: string contents, `text` fields of parts,
// and `content` of Anthropic tool_result blocks (string or array), recursively.
void collectContent(const json& content, std::vector<std::string>& out) {
    if (content.is_string()) {
        out.push_back(content.get<std::string>());
        return;
    }
    if (!content.is_array()) return;
    for (const json& part : content) {
        if (!part.is_object()) continue;
        if (auto t = part.find("text"); t != part.end() && t->is_string()) out.push_back(t->get<std::string>());
        if (auto c = part.find("content"); c != part.end()) collectContent(*c, out);
    }
}

std::vector<std::string> collectTexts(const json& messages) {
    std::vector<std::string> out;
    if (!messages.is_array()) return out;
    for (const json& m : messages)
        if (m.is_object())
            if (auto c = m.find("content"); c != m.end()) collectContent(*c, out);
    return out;
}

// Parses the last text holding a `Mode:` line; an error message when the prompt is unusable.
std::optional<Prompt> parsePrompt(const json& messages, std::string& error) {
    const std::vector<std::string> texts = collectTexts(messages);
    const std::string* text = nullptr;
    for (auto it = texts.rbegin(); it != texts.rend(); ++it)
        if (hasModeLine(*it)) {
            text = &*it;
            break;
        }
    if (!text) {
        error = "no prompt found (no text with a 'Mode:' line in messages)";
        return std::nullopt;
    }
    Prompt p;
    bool refusedBlock = false;
    for (std::string_view raw : splitLines(*text)) {
        const std::string line(trim(raw));
        if (refusedBlock && startsWith(line, "- ")) {
            ++p.refusals;
            continue;
        }
        if (startsWith(line, "Mode:")) {
            p.mode = std::string(trim(std::string_view(line).substr(5)));
        } else if (startsWith(line, "Goal:")) {
            double e = 0, n = 0;
            if (std::sscanf(line.c_str(), "Goal: %lf m east, %lf m north", &e, &n) == 2) {
                p.hasGoal = true;
                p.goalEast = e;
                p.goalNorth = n;
            }
        } else if (startsWith(line, "View:")) {
            double extent = 0;
            if (std::sscanf(line.c_str(), "View: %lf m square", &extent) == 1 && extent > 0) p.viewHalf = 0.5 * extent;
        } else if (startsWith(line, "Waypoints:")) {
            int k = 0;
            double s = 0;
            const int got = std::sscanf(line.c_str(), "Waypoints: up to %d, each at most %lf m", &k, &s);
            if (got >= 1 && k > 0) p.maxWaypoints = k;
            if (got == 2 && s > 0) p.maxStep = s;
        } else if (startsWith(line, "Candidate ")) {
            Candidate c;
            if (std::sscanf(line.c_str(), "Candidate %d: %lf m east, %lf m north", &c.number, &c.east, &c.north) == 3)
                p.candidates.push_back(c);
        } else if (line == "Refused earlier for this step:") {
            refusedBlock = true;
        }
    }
    if (p.mode != "coordinates" && p.mode != "candidates") {
        error = "prompt has 'Mode: " + p.mode + "', expected 'coordinates' or 'candidates'";
        return std::nullopt;
    }
    if (!p.hasGoal) {
        error = "prompt has no 'Goal: <E> m east, <N> m north' line";
        return std::nullopt;
    }
    if (p.mode == "candidates" && p.candidates.empty()) {
        error = "candidates mode but the prompt lists no 'Candidate <i>: <E> m east, <N> m north' lines";
        return std::nullopt;
    }
    return p;
}

// Rotation (degrees, clockwise like the bearing) after r refusals: 0, +35, -35, +70, -70, ...
double refusalRotationDeg(int r) {
    if (r <= 0) return 0.0;
    const double magnitude = 35.0 * ((r + 1) / 2);
    return (r % 2 == 1) ? magnitude : -magnitude;
}

double goalBearingDeg(const Prompt& p) {
    if (p.goalEast == 0.0 && p.goalNorth == 0.0) return 90.0;
    double b = std::atan2(p.goalEast, p.goalNorth) * 180.0 / std::numbers::pi;
    if (b < 0) b += 360.0;
    return b;
}

json point(double east, double north) { return json{{"east", round2(east)}, {"north", round2(north)}}; }

json coordinatesAnswer(const Prompt& p) {
    const double goalDistance = std::hypot(p.goalEast, p.goalNorth);
    const double rotation = refusalRotationDeg(p.refusals);
    const double bearing = goalBearingDeg(p) + rotation;
    const double rad = bearing * std::numbers::pi / 180.0;
    const double step = std::min(p.maxStep, 10.0) * 0.95;
    json waypoints = json::array();
    for (int i = 1; i <= p.maxWaypoints; ++i) {
        const double d = std::min(i * step, goalDistance);
        // A model that looks at the picture keeps its points inside it.
        if (i > 1 && std::max(std::abs(d * std::sin(rad)), std::abs(d * std::cos(rad))) > p.viewHalf) break;
        waypoints.push_back(point(d * std::sin(rad), d * std::cos(rad)));
        if (d >= goalDistance) break;
    }
    std::string reasoning = "Heading " + fixed1(std::fmod(bearing + 360.0, 360.0)) + " deg";
    if (p.refusals > 0)
        reasoning += " (goal bearing turned " + std::string(rotation >= 0 ? "+" : "") + fixed1(rotation) +
                     " deg after " + std::to_string(p.refusals) + " refused answer" + (p.refusals > 1 ? "s" : "") + ")";
    else
        reasoning += ", straight toward the goal";
    reasoning += " in steps of " + fixed1(step) + " m.";
    return json{{"waypoints", std::move(waypoints)}, {"reasoning", reasoning}};
}

json candidatesAnswer(const Prompt& p) {
    std::vector<Candidate> sorted = p.candidates;
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Candidate& a, const Candidate& b) {
        return std::hypot(a.east - p.goalEast, a.north - p.goalNorth) <
               std::hypot(b.east - p.goalEast, b.north - p.goalNorth);
    });
    const std::size_t pick = std::min<std::size_t>(static_cast<std::size_t>(p.refusals), sorted.size() - 1);
    const Candidate& c = sorted[pick];
    std::string reasoning = "Candidate " + std::to_string(c.number) + " is the ";
    reasoning += pick == 0 ? "closest to the goal" : "number " + std::to_string(pick + 1) + " by distance to the goal";
    if (p.refusals > 0) reasoning += " (after " + std::to_string(p.refusals) + " refused)";
    reasoning += ".";
    return json{{"candidate", c.number}, {"reasoning", reasoning}};
}

const std::string kNaNSentinel = "__traverse_model_server_NaN__";

// The answer object for a prompt, with the fault's change applied. NaN is a sentinel string that
// is replaced by the bare token NaN after serialisation.
json answerFor(const Prompt& p, const std::optional<Fault>& fault) {
    using K = Fault::Kind;
    if (!fault) return p.mode == "coordinates" ? coordinatesAnswer(p) : candidatesAnswer(p);
    switch (fault->kind) {
    case K::NaNCoordinate: {
        json a = coordinatesAnswer(p);
        a["waypoints"][0]["east"] = kNaNSentinel;
        return a;
    }
    case K::OutOfRange: {
        json a = coordinatesAnswer(p);
        a["waypoints"][0]["east"] = 5000.0;
        return a;
    }
    case K::FarWaypoint: {
        const double rad = goalBearingDeg(p) * std::numbers::pi / 180.0;
        return json{{"waypoints", json::array({point(30.0 * std::sin(rad), 30.0 * std::cos(rad))})},
                    {"reasoning", "One long stride of 30 m straight toward the goal."}};
    }
    case K::Waypoint: {
        json waypoints = json::array();
        for (const auto& [e, n] : fault->points) waypoints.push_back(json{{"east", e}, {"north", n}});
        return json{{"waypoints", std::move(waypoints)}, {"reasoning", "These waypoints look good to me."}};
    }
    case K::Candidate:
        return json{{"candidate", fault->candidate},
                    {"reasoning", "Candidate " + std::to_string(fault->candidate) + " looks best."}};
    default: return p.mode == "coordinates" ? coordinatesAnswer(p) : candidatesAnswer(p);
    }
}

std::string dumpWithNaN(const json& v) {
    std::string s = v.dump();
    replaceAll(s, "\"" + kNaNSentinel + "\"", "NaN");
    return s;
}

const char* const kProseText = "I think the rover should go north-east around the crater.";

// The text a text-producing fault puts in place of the answer ("" when the fault is not one).
std::optional<std::string> faultText(const std::optional<Fault>& fault, const std::string& answerText) {
    if (!fault) return std::nullopt;
    switch (fault->kind) {
    case Fault::Kind::Prose: return std::string(kProseText);
    case Fault::Kind::JsonInProse: return "Sure! Here is the plan:\n" + answerText + "\nHope that helps.";
    case Fault::Kind::JsonInFence: return "```json\n" + answerText + "\n```";
    default: return std::nullopt;
    }
}

int approxTokens(std::size_t chars) { return static_cast<int>(std::max<std::size_t>(1, (chars + 3) / 4)); }

// ---------------------------------------------------------------------------------------------
// Responses

struct Reply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool truncate = false;  // send only the first half of the body (Content-Length of all of it)
    bool drop = false;      // send nothing (the server is shutting down)
};

Reply dropReply() {
    Reply r;
    r.drop = true;
    return r;
}

Reply jsonReply(int status, std::string body) {
    Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

const char* anthropicErrorType(int status) {
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 500: return "api_error";
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

// OpenAI's error: type and code for a status.
std::pair<const char*, const char*> openaiErrorTypeCode(int status) {
    switch (status) {
    case 401: return {"invalid_request_error", "invalid_api_key"};
    case 403: return {"invalid_request_error", "unsupported_country_region_territory"};
    case 404: return {"invalid_request_error", nullptr};
    case 429: return {"requests", "rate_limit_exceeded"};
    default: return {status >= 500 ? "server_error" : "invalid_request_error", nullptr};
    }
}

json nullOr(const char* s) { return s ? json(s) : json(nullptr); }

}  // namespace

// ---------------------------------------------------------------------------------------------

struct ModelServer::Impl {
    struct Connection {
        int fd = -1;
        bool done = false;
        std::thread thread;
    };

    ModelServerOptions options;
    int listenFd = -1;
    int wakeRead = -1, wakeWrite = -1;
    int port = 0;

    mutable std::mutex mutex;
    std::condition_variable cv;
    bool stopping = false;
    double latencyS = 0.0;
    std::deque<Fault> faults;
    std::vector<RecordedRequest> recorded;
    std::uint64_t counter = 0;
    std::list<Connection> connections;
    std::thread acceptThread;

    explicit Impl(ModelServerOptions o) : options(std::move(o)), latencyS(options.latencyS) {}

    std::uint64_t nextId() {
        std::lock_guard lock(mutex);
        return ++counter;
    }

    // Sleeps, waking early when the server stops; false when it stopped.
    bool sleepFor(double seconds) {
        std::unique_lock lock(mutex);
        if (seconds <= 0) return !stopping;
        const auto until =
            std::chrono::steady_clock::now() +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
        return !cv.wait_until(lock, until, [&] { return stopping; });
    }

    // ---- sockets

    // Waits until fd is readable; false on timeout, on stop or on error.
    bool waitReadable(int fd, int timeoutMs) const {
        pollfd fds[2] = {{fd, POLLIN, 0}, {wakeRead, POLLIN, 0}};
        for (;;) {
            const int n = ::poll(fds, 2, timeoutMs);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            if (fds[1].revents) return false;
            return fds[0].revents != 0;
        }
    }

    static bool sendAll(int fd, const char* data, std::size_t size) {
        while (size > 0) {
            const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    }

    // Appends what arrives to buf; false on EOF, error, timeout or stop.
    bool readMore(int fd, std::string& buf) const {
        if (!waitReadable(fd, kIdleTimeoutMs)) return false;
        char chunk[64 * 1024];
        for (;;) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            buf.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
    }

    void acceptLoop() {
        for (;;) {
            pollfd fds[2] = {{listenFd, POLLIN, 0}, {wakeRead, POLLIN, 0}};
            const int n = ::poll(fds, 2, -1);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 || fds[1].revents) return;
            const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
            reapFinished();
            if (fd < 0) continue;  // e.g. ECONNABORTED: the client gave up before we accepted
            std::lock_guard lock(mutex);
            if (stopping) {
                ::close(fd);
                return;
            }
            Connection& c = connections.emplace_back();
            c.fd = fd;
            c.thread = std::thread([this, &c] { serveConnection(c); });
        }
    }

    void reapFinished() {
        std::list<Connection> finished;
        {
            std::lock_guard lock(mutex);
            for (auto it = connections.begin(); it != connections.end();) {
                auto next = std::next(it);
                if (it->done) finished.splice(finished.end(), connections, it);
                it = next;
            }
        }
        for (Connection& c : finished) c.thread.join();
    }

    void serveConnection(Connection& c) {
        const int fd = c.fd;  // stays open until this thread closes it below
        bool sentSomething = handleConnection(fd);
        if (sentSomething) {
            // Graceful close: FIN first, then wait briefly for the client's close so that unread
            // data on our side never turns into a reset that eats the response.
            ::shutdown(fd, SHUT_WR);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDrainTimeoutMs);
            char sink[4096];
            for (;;) {
                const auto left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                        .count();
                if (left <= 0 || !waitReadable(fd, static_cast<int>(left))) break;
                const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
            }
        }
        std::lock_guard lock(mutex);
        ::close(fd);
        c.fd = -1;
        c.done = true;
    }

    // Reads one request, answers it; true when something was sent.
    bool handleConnection(int fd) {
        std::string buf;
        std::size_t headerEnd;
        while ((headerEnd = buf.find("\r\n\r\n")) == std::string::npos) {
            if (buf.size() > kMaxHeaderBytes) return sendReply(fd, plainError(431, "request headers too large"));
            if (!readMore(fd, buf)) return false;
        }
        RecordedRequest req;
        {
            const std::vector<std::string_view> lines = splitLines(std::string_view(buf).substr(0, headerEnd));
            if (lines.empty()) return sendReply(fd, plainError(400, "empty request"));
            std::istringstream requestLine{std::string(lines[0])};
            std::string version;
            if (!(requestLine >> req.method >> req.path >> version) || !startsWith(version, "HTTP/1."))
                return sendReply(fd, plainError(400, "malformed request line"));
            for (std::size_t i = 1; i < lines.size(); ++i) {
                const std::size_t colon = lines[i].find(':');
                if (colon == std::string_view::npos || colon == 0)
                    return sendReply(fd, plainError(400, "malformed header line"));
                std::string name = lower(std::string(trim(lines[i].substr(0, colon))));
                std::string value(trim(lines[i].substr(colon + 1)));
                auto [it, inserted] = req.headers.emplace(name, value);
                if (!inserted) it->second += ", " + value;
            }
        }
        std::size_t bodyStart = headerEnd + 4;
        const auto header = [&](const std::string& name) -> const std::string* {
            auto it = req.headers.find(name);
            return it == req.headers.end() ? nullptr : &it->second;
        };
        const std::string* te = header("transfer-encoding");
        const bool chunked = te && lower(*te).find("chunked") != std::string::npos;
        std::size_t contentLength = 0;
        if (!chunked) {
            if (const std::string* cl = header("content-length")) {
                char* end = nullptr;
                errno = 0;
                const unsigned long long v = std::strtoull(cl->c_str(), &end, 10);
                if (cl->empty() || *end != '\0' || errno != 0)
                    return sendReply(fd, plainError(400, "bad Content-Length"));
                if (v > kMaxBodyBytes) return sendReply(fd, plainError(413, "request body too large"));
                contentLength = static_cast<std::size_t>(v);
            }
        }
        if (const std::string* expect = header("expect"); expect && lower(*expect) == "100-continue") {
            const bool haveBody = chunked ? false : buf.size() - bodyStart >= contentLength;
            if (!haveBody) {
                static const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
                if (!sendAll(fd, cont.data(), cont.size())) return false;
            }
        }
        if (chunked) {
            for (;;) {
                const int state = decodeChunked(buf, bodyStart, req.body);
                if (state < 0) return sendReply(fd, plainError(400, "malformed chunked body"));
                if (state > 0) break;
                if (buf.size() - bodyStart > kMaxBodyBytes + kMaxHeaderBytes)
                    return sendReply(fd, plainError(413, "request body too large"));
                if (!readMore(fd, buf)) return false;
            }
        } else {
            while (buf.size() - bodyStart < contentLength)
                if (!readMore(fd, buf)) return false;
            req.body = buf.substr(bodyStart, contentLength);
        }
        buf.clear();
        buf.shrink_to_fit();
        req.received = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex);
            recorded.push_back(req);
        }
        Reply reply = route(req);
        if (reply.drop) return false;
        return sendReply(fd, reply);
    }

    // Decodes a chunked body from buf[start..]: 1 complete, 0 needs more bytes, -1 malformed.
    static int decodeChunked(const std::string& buf, std::size_t start, std::string& out) {
        out.clear();
        std::size_t pos = start;
        for (;;) {
            const std::size_t eol = buf.find("\r\n", pos);
            if (eol == std::string::npos) return buf.size() - pos > 1024 ? -1 : 0;
            std::string sizeText = buf.substr(pos, eol - pos);
            if (auto semi = sizeText.find(';'); semi != std::string::npos) sizeText.resize(semi);
            char* end = nullptr;
            const unsigned long long size = std::strtoull(sizeText.c_str(), &end, 16);
            if (sizeText.empty() || (*end != '\0' && *end != ' ')) return -1;
            if (size > kMaxBodyBytes) return -1;
            pos = eol + 2;
            if (size == 0) {
                // Trailers (ignored) end with an empty line.
                for (;;) {
                    const std::size_t e = buf.find("\r\n", pos);
                    if (e == std::string::npos) return 0;
                    if (e == pos) return 1;
                    pos = e + 2;
                }
            }
            if (buf.size() < pos + size + 2) return 0;
            out.append(buf, pos, size);
            pos += size;
            if (buf.compare(pos, 2, "\r\n") != 0) return -1;
            pos += 2;
        }
    }

    bool sendReply(int fd, const Reply& r) {
        std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reasonPhrase(r.status) + "\r\n";
        head += "Content-Type: application/json\r\n";
        head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
        head += "Connection: close\r\n";
        for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
        head += "\r\n";
        if (!sendAll(fd, head.data(), head.size())) return true;
        const std::size_t bodyBytes = r.truncate ? r.body.size() / 2 : r.body.size();
        sendAll(fd, r.body.data(), bodyBytes);
        return true;
    }

    static Reply plainError(int status, const std::string& message) {
        return jsonReply(
            status,
            json{{"error",
                  {{"message", message}, {"type", "invalid_request_error"}, {"param", nullptr}, {"code", nullptr}}}}
                .dump());
    }

    // ---- API level

    Reply anthropicError(int status, const std::string& message, const char* type = nullptr) {
        Reply r = jsonReply(status,
                            json{{"type", "error"},
                                 {"error", {{"type", type ? type : anthropicErrorType(status)}, {"message", message}}},
                                 {"request_id", "req_test" + std::to_string(nextId())}}
                                .dump());
        return r;
    }

    Reply openaiError(int status, const std::string& message, const char* param = nullptr, const char* code = nullptr) {
        auto [type, defaultCode] = openaiErrorTypeCode(status);
        return jsonReply(status, json{{"error",
                                       {{"message", message},
                                        {"type", type},
                                        {"param", nullOr(param)},
                                        {"code", nullOr(code ? code : defaultCode)}}}}
                                     .dump());
    }

    Reply apiError(Api api, int status, const std::string& message) {
        return api == Api::Anthropic ? anthropicError(status, message) : openaiError(status, message);
    }

    Reply route(const RecordedRequest& req) {
        std::string path = req.path;
        if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
        if (req.method == "POST" && path == "/v1/messages") return anthropic(req);
        if (req.method == "POST" && path == "/v1/chat/completions") return openai(req);
        // Unknown: answer in the format of the API the request seems to be meant for.
        const bool looksAnthropic = req.headers.count("x-api-key") || req.headers.count("anthropic-version") ||
                                    path.find("messages") != std::string::npos;
        if (looksAnthropic) return anthropicError(404, "Not Found: " + req.method + " " + req.path);
        return openaiError(404, "Invalid URL (" + req.method + " " + req.path + ")");
    }

    std::optional<Fault> popFault() {
        std::lock_guard lock(mutex);
        if (faults.empty()) return std::nullopt;
        Fault f = std::move(faults.front());
        faults.pop_front();
        return f;
    }

    double latency() const {
        std::lock_guard lock(mutex);
        return latencyS;
    }

    // Latency, then the fault's own behaviour before an answer; nullopt to go on answering, or the
    // reply to send instead (a Status fault, or a drop when the server stops meanwhile).
    std::optional<Reply> prelude(Api api, const std::optional<Fault>& fault) {
        if (!sleepFor(latency())) return dropReply();
        if (!fault) return std::nullopt;
        if (fault->kind == Fault::Kind::Slow && !sleepFor(fault->delayS)) return dropReply();
        if (fault->kind == Fault::Kind::Status) {
            Reply r = apiError(api, fault->status,
                               "injected fault: HTTP " + std::to_string(fault->status) + " from the test model server");
            if (fault->retryAfterS >= 0) r.headers.emplace_back("retry-after", formatSeconds(fault->retryAfterS));
            return r;
        }
        return std::nullopt;
    }

    // ---- Anthropic Messages API

    // Checks a messages array the way the real API does (the parts this project uses); "" if fine.
    static std::string checkAnthropicMessages(const json& messages) {
        if (!messages.is_array()) return "messages: Input should be a valid list";
        if (messages.empty()) return "messages: at least one message is required";
        std::vector<std::string> pendingToolUses;  // ids of the previous assistant turn's tool_use blocks
        for (std::size_t i = 0; i < messages.size(); ++i) {
            const json& m = messages[i];
            const std::string at = "messages." + std::to_string(i);
            if (!m.is_object()) return at + ": Input should be a valid dictionary";
            const auto role = m.find("role");
            if (role == m.end() || !role->is_string() || (*role != "user" && *role != "assistant"))
                return at + ".role: Input should be 'user' or 'assistant'";
            const auto content = m.find("content");
            if (content == m.end()) return at + ".content: Field required";
            std::vector<std::string> toolUses, toolResults;
            if (content->is_array()) {
                bool sawNonResult = false;
                for (std::size_t j = 0; j < content->size(); ++j) {
                    const json& b = (*content)[j];
                    const std::string bat = at + ".content." + std::to_string(j);
                    if (!b.is_object() || !b.contains("type") || !b["type"].is_string())
                        return bat + ": each content block must be an object with a string 'type'";
                    const std::string type = b["type"];
                    if (type == "text") {
                        if (!b.contains("text") || !b["text"].is_string()) return bat + ".text: Field required";
                    } else if (type == "image") {
                        const auto src = b.find("source");
                        if (src == b.end() || !src->is_object()) return bat + ".source: Field required";
                        const std::string st = src->value("type", "");
                        if (st == "base64") {
                            const std::string mt = src->value("media_type", "");
                            if (!isImageMediaType(mt))
                                return bat +
                                       ".source.media_type: Input should be 'image/jpeg', 'image/png', "
                                       "'image/gif' or 'image/webp'";
                            const auto data = src->find("data");
                            if (data == src->end() || !data->is_string() ||
                                !isBase64(data->get_ref<const std::string&>()))
                                return bat + ".source.data: the image data is not valid base64";
                        } else if (st != "url") {
                            return bat + ".source.type: Input should be 'base64' or 'url'";
                        }
                    } else if (type == "tool_use") {
                        if (*role != "assistant")
                            return bat + ": tool_use blocks are only allowed in assistant messages";
                        if (!b.contains("id") || !b["id"].is_string()) return bat + ".id: Field required";
                        if (!b.contains("name") || !b["name"].is_string()) return bat + ".name: Field required";
                        if (!b.contains("input") || !b["input"].is_object())
                            return bat + ".input: Input should be a valid dictionary";
                        toolUses.push_back(b["id"]);
                    } else if (type == "tool_result") {
                        if (*role != "user") return bat + ": tool_result blocks are only allowed in user messages";
                        if (!b.contains("tool_use_id") || !b["tool_use_id"].is_string())
                            return bat + ".tool_use_id: Field required";
                        if (sawNonResult)
                            return bat + ": tool_result blocks must come before any other content in the message";
                        if (b.contains("content") && !b["content"].is_string() && !b["content"].is_array())
                            return bat + ".content: Input should be a valid string or list";
                        if (b.contains("is_error") && !b["is_error"].is_boolean())
                            return bat + ".is_error: Input should be a valid boolean";
                        const std::string id = b["tool_use_id"];
                        if (std::find(pendingToolUses.begin(), pendingToolUses.end(), id) == pendingToolUses.end())
                            return bat + ": unexpected `tool_use_id` found in `tool_result` blocks: " + id +
                                   ". Each `tool_result` block must have a corresponding `tool_use` block in the "
                                   "previous message.";
                        toolResults.push_back(id);
                        continue;
                    } else if (type != "document" && type != "thinking" && type != "redacted_thinking") {
                        return bat + ".type: unsupported content block type '" + type + "'";
                    }
                    sawNonResult = true;
                }
            } else if (!content->is_string()) {
                return at + ".content: Input should be a valid string or list";
            }
            for (const std::string& id : pendingToolUses)
                if (std::find(toolResults.begin(), toolResults.end(), id) == toolResults.end())
                    return at + ": `tool_use` ids were found without `tool_result` blocks immediately after: " + id +
                           ". Each `tool_use` block must have a corresponding `tool_result` block in the next message.";
            pendingToolUses = std::move(toolUses);
        }
        return {};
    }

    Reply anthropic(const RecordedRequest& req) {
        const auto key = req.headers.find("x-api-key");
        if (key == req.headers.end() || key->second != options.apiKey) return anthropicError(401, "invalid x-api-key");
        if (!req.headers.count("anthropic-version"))
            return anthropicError(400, "anthropic-version: header is required");
        const json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded()) return anthropicError(400, "The request body is not valid JSON.");
        if (!body.is_object()) return anthropicError(400, "The request body must be a JSON object.");
        if (!body.contains("model")) return anthropicError(400, "model: Field required");
        if (!body["model"].is_string()) return anthropicError(400, "model: Input should be a valid string");
        if (!body.contains("max_tokens")) return anthropicError(400, "max_tokens: Field required");
        if (!body["max_tokens"].is_number_integer())
            return anthropicError(400, "max_tokens: Input should be a valid integer");
        if (body["max_tokens"].get<long long>() < 1)
            return anthropicError(400, "max_tokens: Input should be greater than or equal to 1");
        if (!body.contains("messages")) return anthropicError(400, "messages: Field required");
        if (std::string e = checkAnthropicMessages(body["messages"]); !e.empty()) return anthropicError(400, e);
        if (body.contains("system")) {
            const json& s = body["system"];
            bool ok = s.is_string() || s.is_array();
            if (s.is_array())
                for (const json& b : s)
                    ok = ok && b.is_object() && b.value("type", "") == "text" && b.contains("text") &&
                         b["text"].is_string();
            if (!ok) return anthropicError(400, "system: Input should be a valid string or a list of text blocks");
        }
        if (body.value("stream", false))
            return anthropicError(400, "stream: streaming is not supported by this test server");
        std::string toolName;
        if (body.contains("tools")) {
            const json& tools = body["tools"];
            if (!tools.is_array() || tools.empty())
                return anthropicError(400, "tools: Input should be a non-empty list");
            std::vector<std::string> names;
            for (std::size_t i = 0; i < tools.size(); ++i) {
                const json& t = tools[i];
                const std::string at = "tools." + std::to_string(i);
                if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
                    return anthropicError(400, at + ".name: Field required");
                const std::string name = t["name"];
                const bool nameOk =
                    !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                    });
                if (!nameOk)
                    return anthropicError(400, at + ".name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'");
                if (!t.contains("input_schema")) return anthropicError(400, at + ".input_schema: Field required");
                if (!t["input_schema"].is_object() || t["input_schema"].value("type", "") != "object")
                    return anthropicError(400,
                                          at + ".input_schema: the schema must be an object with \"type\": \"object\"");
                names.push_back(name);
            }
            const auto tc = body.find("tool_choice");
            if (tc == body.end())
                return anthropicError(400,
                                      "tool_choice: this test server requires {\"type\": \"tool\", \"name\": ...} "
                                      "forcing one of the tools");
            if (!tc->is_object() || tc->value("type", "") != "tool" || !tc->contains("name") ||
                !(*tc)["name"].is_string())
                return anthropicError(400, "tool_choice: expected {\"type\": \"tool\", \"name\": <one of the tools>}");
            toolName = (*tc)["name"];
            if (std::find(names.begin(), names.end(), toolName) == names.end())
                return anthropicError(400, "tool_choice.name: tool '" + toolName + "' is not among the provided tools");
        } else if (body.contains("tool_choice")) {
            return anthropicError(400, "tool_choice: may only be specified while providing tools");
        }
        std::string error;
        const std::optional<Prompt> prompt = parsePrompt(body["messages"], error);
        if (!prompt) return anthropicError(400, error);

        const std::optional<Fault> fault = popFault();
        if (std::optional<Reply> early = prelude(Api::Anthropic, fault)) return *early;

        const json answer = answerFor(*prompt, fault);
        const std::string answerText = dumpWithNaN(answer);
        const std::uint64_t n = nextId();
        json content = json::array();
        std::string stopReason;
        const std::optional<std::string> text = faultText(fault, answerText);
        if (text || toolName.empty()) {
            content.push_back(json{{"type", "text"}, {"text", text ? *text : answerText}});
            stopReason = "end_turn";
        } else {
            content.push_back(json{
                {"type", "tool_use"}, {"id", "toolu_" + std::to_string(n)}, {"name", toolName}, {"input", answer}});
            stopReason = "tool_use";
        }
        char id[64];
        std::snprintf(id, sizeof id, "msg_test%016llx", static_cast<unsigned long long>(n));
        const json response{{"id", id},
                            {"type", "message"},
                            {"role", "assistant"},
                            {"model", body["model"]},
                            {"content", std::move(content)},
                            {"stop_reason", stopReason},
                            {"stop_sequence", nullptr},
                            {"usage",
                             {{"input_tokens", inputTokens(body["messages"], body.value("system", json()))},
                              {"output_tokens", approxTokens(answerText.size())}}}};
        return finish(response, fault, "request-id", "req_test" + std::to_string(n));
    }

    static int countImages(const json& v) {
        int n = 0;
        if (v.is_object()) {
            if (auto t = v.find("type"); t != v.end() && (*t == "image" || *t == "image_url")) ++n;
            for (const json& child : v)  // an object iterates over its values
                if (child.is_structured()) n += countImages(child);
        } else if (v.is_array()) {
            for (const json& child : v) n += countImages(child);
        }
        return n;
    }

    // A rough, deterministic token count: 4 characters of text a token, 258 tokens an image.
    static int inputTokens(const json& messages, const json& system) {
        std::size_t chars = 0;
        for (const std::string& t : collectTexts(messages)) chars += t.size();
        if (system.is_string()) chars += system.get_ref<const std::string&>().size();
        return approxTokens(chars) + 258 * countImages(messages);
    }

    // The 200 reply for a response object, with NaN and truncation applied.
    static Reply finish(const json& response, const std::optional<Fault>& fault, const char* idHeader,
                        const std::string& idValue) {
        Reply r = jsonReply(200, dumpWithNaN(response));
        r.headers.emplace_back(idHeader, idValue);
        r.truncate = fault && fault->kind == Fault::Kind::TruncatedBody;
        return r;
    }

    // ---- OpenAI chat completions

    static std::string checkOpenaiMessages(const json& messages, std::string& code) {
        if (!messages.is_array()) return "Invalid type for 'messages': expected an array of objects.";
        if (messages.empty()) return "[] is too short - 'messages'";
        static const std::vector<std::string> roles{"system", "developer", "user", "assistant", "tool", "function"};
        for (std::size_t i = 0; i < messages.size(); ++i) {
            const json& m = messages[i];
            const std::string at = "messages[" + std::to_string(i) + "]";
            if (!m.is_object()) return "Invalid type for '" + at + "': expected an object.";
            if (!m.contains("role") || !m["role"].is_string() ||
                std::find(roles.begin(), roles.end(), m["role"].get<std::string>()) == roles.end())
                return "Invalid value for '" + at +
                       ".role': expected one of 'system', 'developer', 'user', "
                       "'assistant', 'tool' or 'function'.";
            const std::string role = m["role"];
            const auto content = m.find("content");
            if (content == m.end() || content->is_null()) {
                if (role == "assistant" && m.contains("tool_calls")) continue;
                return "Missing required parameter: '" + at + ".content'.";
            }
            if (role == "tool" && (!m.contains("tool_call_id") || !m["tool_call_id"].is_string()))
                return "Missing required parameter: '" + at + ".tool_call_id'.";
            if (content->is_string()) continue;
            if (!content->is_array()) return "Invalid type for '" + at + ".content': expected a string or an array.";
            for (std::size_t j = 0; j < content->size(); ++j) {
                const json& part = (*content)[j];
                const std::string pat = at + ".content[" + std::to_string(j) + "]";
                if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
                    return "Invalid type for '" + pat + "': expected an object with a 'type'.";
                const std::string type = part["type"];
                if (type == "text") {
                    if (!part.contains("text") || !part["text"].is_string())
                        return "Missing required parameter: '" + pat + ".text'.";
                } else if (type == "image_url") {
                    if (role != "user") {
                        code = "invalid_image_url";
                        return "Invalid '" + pat + "': image_url parts are only allowed in messages with role 'user'.";
                    }
                    const auto iu = part.find("image_url");
                    if (iu == part.end() || !iu->is_object() || !iu->contains("url") || !(*iu)["url"].is_string())
                        return "Missing required parameter: '" + pat + ".image_url.url'.";
                    if (std::string problem = dataUrlProblem((*iu)["url"].get_ref<const std::string&>());
                        !problem.empty()) {
                        code = "invalid_image_url";
                        return "Invalid image in '" + pat + ".image_url.url': " + problem + ".";
                    }
                    if (iu->contains("detail")) {
                        const json& d = (*iu)["detail"];
                        if (!d.is_string() || (d != "auto" && d != "low" && d != "high"))
                            return "Invalid value for '" + pat +
                                   ".image_url.detail': expected 'auto', 'low' or 'high'.";
                    }
                } else if (type != "input_audio" && type != "file" && type != "refusal") {
                    return "Invalid value: '" + type +
                           "'. Supported values are: 'text', 'image_url', 'input_audio', "
                           "'refusal' and 'file' ('" +
                           pat + ".type').";
                }
            }
        }
        return {};
    }

    Reply openai(const RecordedRequest& req) {
        const auto auth = req.headers.find("authorization");
        if (auth == req.headers.end() || auth->second != "Bearer " + options.apiKey)
            return openaiError(401,
                               auth == req.headers.end()
                                   ? "You didn't provide an API key. You need to provide your API key in an "
                                     "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                                   : "Incorrect API key provided.",
                               nullptr, "invalid_api_key");
        const json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded())
            return openaiError(400,
                               "We could not parse the JSON body of your request. (HINT: This likely means you "
                               "aren't using your HTTP library correctly.)");
        if (!body.is_object()) return openaiError(400, "The request body must be a JSON object.");
        if (!body.contains("model") || !body["model"].is_string())
            return openaiError(400, "you must provide a model parameter", "model");
        if (!body.contains("messages")) return openaiError(400, "Missing required parameter: 'messages'.", "messages");
        std::string code;
        if (std::string e = checkOpenaiMessages(body["messages"], code); !e.empty())
            return openaiError(400, e, "messages", code.empty() ? nullptr : code.c_str());
        if (body.value("stream", false))
            return openaiError(400, "stream: streaming is not supported by this test server", "stream");
        bool structured = false;
        if (body.contains("response_format")) {
            if (!options.openaiResponseFormat)
                return openaiError(400, "response_format is not supported by this server", "response_format");
            const json& rf = body["response_format"];
            const std::string type = rf.is_object() ? rf.value("type", "") : "";
            if (type == "json_schema") {
                const auto js = rf.find("json_schema");
                if (js == rf.end() || !js->is_object() || !js->contains("name") || !(*js)["name"].is_string())
                    return openaiError(400, "Missing required parameter: 'response_format.json_schema.name'.",
                                       "response_format.json_schema.name");
                if (js->contains("schema") && !(*js)["schema"].is_object())
                    return openaiError(400,
                                       "Invalid type for 'response_format.json_schema.schema': expected an object.",
                                       "response_format.json_schema.schema");
                structured = true;
            } else if (type == "json_object") {
                structured = true;
            } else if (type != "text") {
                return openaiError(400,
                                   "Invalid value for 'response_format.type': expected 'text', 'json_object' "
                                   "or 'json_schema'.",
                                   "response_format.type");
            }
        }
        std::string error;
        const std::optional<Prompt> prompt = parsePrompt(body["messages"], error);
        if (!prompt) return openaiError(400, error, "messages");

        const std::optional<Fault> fault = popFault();
        if (std::optional<Reply> early = prelude(Api::OpenAI, fault)) return *early;

        const json answer = answerFor(*prompt, fault);
        const std::string answerText = dumpWithNaN(answer);
        std::string content;
        if (std::optional<std::string> text = faultText(fault, answerText))
            content = *text;
        else if (structured)
            content = answerText;
        else
            content = "Here is my proposal:\n" + answerText + "\n";
        const std::uint64_t n = nextId();
        const int promptTokens = inputTokens(body["messages"], json());
        const int completionTokens = approxTokens(content.size());
        const json response{
            {"id", "chatcmpl-test" + std::to_string(n)},
            {"object", "chat.completion"},
            {"created", static_cast<long long>(std::time(nullptr))},
            {"model", body["model"]},
            {"choices",
             json::array({json{
                 {"index", 0},
                 {"message",
                  {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}, {"annotations", json::array()}}},
                 {"logprobs", nullptr},
                 {"finish_reason", "stop"}}})},
            {"usage",
             {{"prompt_tokens", promptTokens},
              {"completion_tokens", completionTokens},
              {"total_tokens", promptTokens + completionTokens}}},
            {"system_fingerprint", "fp_traverse_test"}};
        return finish(response, fault, "x-request-id", "req_test" + std::to_string(n));
    }
};

// ---------------------------------------------------------------------------------------------

ModelServer::ModelServer(ModelServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    Impl& s = *impl_;
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("ModelServer: pipe: ") + std::strerror(errno));
    s.wakeRead = pipeFds[0];
    s.wakeWrite = pipeFds[1];
    const auto fail = [&](const char* what) {
        const int err = errno;
        if (s.listenFd >= 0) ::close(s.listenFd);
        ::close(s.wakeRead);
        ::close(s.wakeWrite);
        throw std::runtime_error(std::string("ModelServer: ") + what + ": " + std::strerror(err));
    };
    s.listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.listenFd < 0) fail("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(s.listenFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
    if (::listen(s.listenFd, 128) != 0) fail("listen");
    socklen_t len = sizeof addr;
    if (::getsockname(s.listenFd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
    s.port = ntohs(addr.sin_port);
    s.acceptThread = std::thread([&s] { s.acceptLoop(); });
}

ModelServer::~ModelServer() {
    Impl& s = *impl_;
    {
        std::lock_guard lock(s.mutex);
        s.stopping = true;
        // Unblock sends and receives in flight; each thread closes its own descriptor.
        for (Impl::Connection& c : s.connections)
            if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
    }
    s.cv.notify_all();
    const char byte = 1;
    while (::write(s.wakeWrite, &byte, 1) < 0 && errno == EINTR) {
    }
    if (s.acceptThread.joinable()) s.acceptThread.join();
    std::list<Impl::Connection> all;
    {
        std::lock_guard lock(s.mutex);
        all.splice(all.end(), s.connections);
    }
    for (Impl::Connection& c : all)
        if (c.thread.joinable()) c.thread.join();
    ::close(s.listenFd);
    ::close(s.wakeRead);
    ::close(s.wakeWrite);
}

int ModelServer::port() const { return impl_->port; }

std::string ModelServer::baseUrl() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void ModelServer::enqueue(Fault fault) {
    std::lock_guard lock(impl_->mutex);
    impl_->faults.push_back(std::move(fault));
}

void ModelServer::setLatency(double seconds) {
    std::lock_guard lock(impl_->mutex);
    impl_->latencyS = seconds;
}

std::vector<RecordedRequest> ModelServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->recorded;
}

std::size_t ModelServer::requestCount() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->recorded.size();
}

std::size_t ModelServer::pendingFaults() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->faults.size();
}

}  // namespace traverse::testing
