#pragma once
// HTTP for the model providers: one POST with libcurl (TLS verification on, only http and https,
// cancellable through a stop token), and a retry loop around it with exponential backoff and jitter
// on 429, 5xx and 529 that honours retry-after, never retries 400/401/403/404, and keeps a total
// deadline. No header value is ever logged or put in an error message (the API key travels in one).
#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace traverse::vlm {

struct HttpRequest {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;  // name, value (values may be secret)
    std::string body;                                           // sent as POST data
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    double elapsedS = 0.0;
};

// Sends one POST. Throws Error (Network) on a transport failure (connection refused, timeout,
// truncated body, TLS failure), with `transportRetryable` telling the retry loop whether trying
// again can help; Error (Cancelled) when `stop` is triggered.
HttpResponse httpPost(const HttpRequest& request, double timeoutS, double connectTimeoutS, std::stop_token stop,
                      bool* transportRetryable = nullptr);

struct RetryPolicy {
    int maxAttempts = 5;            // requests in all, the first included
    double initialBackoffS = 1.0;   // wait before the second attempt; doubles each time
    double maxBackoffS = 30.0;
    double jitter = 0.25;           // the wait is scaled by a random factor in [1 - jitter, 1 + jitter]
    double requestTimeoutS = 120.0; // one request
    double connectTimeoutS = 10.0;
    double deadlineS = 300.0;       // all attempts and waits together
    std::uint64_t seed = 0;         // jitter seed (0: from the clock)
};

// Status codes worth another attempt: 408, 409, 425, 429, 5xx (529 "overloaded" included).
bool isRetryableStatus(int status);
// A retry-after value: delta-seconds (integer or decimal) or an HTTP date. Negative when absent
// or unreadable.
double parseRetryAfter(const std::string& value, std::int64_t nowUnix);

struct Attempt {
    int status = 0;           // 0 for a transport failure
    std::string error;        // the transport failure, if any
    double elapsedS = 0.0;
    double waitAfterS = 0.0;  // backoff before the next attempt
};

struct RetryResult {
    HttpResponse response;       // the last response: 2xx, or a status not worth retrying (4xx)
    std::vector<Attempt> attempts;
};

using RetryLog = std::function<void(const std::string&)>;

// Sends until a response is final: 2xx or a non-retryable status, both returned. Throws Error
// (Network) naming the URL's host, the last status or failure and how many attempts were made when
// the attempts or the deadline run out (or a retry-after points past the deadline); Error
// (Cancelled) when `stop` is triggered, also during a wait.
RetryResult postWithRetry(const HttpRequest& request, const RetryPolicy& policy, std::stop_token stop,
                          const RetryLog& log = {});

}  // namespace traverse::vlm
