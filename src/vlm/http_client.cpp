#include "vlm/http_client.hpp"

#include "terrain/error.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <random>

namespace traverse::vlm {

namespace {

struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
};

void ensureCurl() { static CurlGlobal global; }

struct Transfer {
    std::string body;
    std::map<std::string, std::string> headers;
    std::stop_token stop;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
    static_cast<Transfer*>(user)->body.append(data, size * count);
    return size * count;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
    const std::string line(data, size * count);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        std::string value = line.substr(colon + 1);
        const auto b = value.find_first_not_of(" \t"), e = value.find_last_not_of(" \t\r\n");
        value = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
        static_cast<Transfer*>(user)->headers[name] = value;
    } else if (line.rfind("HTTP/", 0) == 0) {
        static_cast<Transfer*>(user)->headers.clear();  // a new response (after 100 Continue, a redirect)
    }
    return size * count;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Transfer*>(user)->stop.stop_requested() ? 1 : 0;
}

// "https://api.anthropic.com/v1/messages" -> "api.anthropic.com": what an error message may name.
std::string hostOf(const std::string& url) {
    auto s = url.find("://");
    s = s == std::string::npos ? 0 : s + 3;
    auto e = url.find_first_of("/?#", s);
    std::string host = url.substr(s, e == std::string::npos ? std::string::npos : e - s);
    if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);  // never user:password
    return host;
}

// Sleeps, waking early when `stop` is triggered.
void sleepFor(double seconds, std::stop_token stop) {
    if (seconds <= 0) return;
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, std::chrono::duration<double>(seconds), [] { return false; });
    if (stop.stop_requested()) throw Error(Error::Kind::Cancelled, "model request cancelled");
}

}  // namespace

HttpResponse httpPost(const HttpRequest& request, double timeoutS, double connectTimeoutS, std::stop_token stop,
                      bool* transportRetryable) {
    ensureCurl();
    if (transportRetryable) *transportRetryable = false;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) throw Error(Error::Kind::Network, "cannot start an HTTP transfer (libcurl)");
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headerList(headers, &curl_slist_free_all);

    Transfer t;
    t.stop = stop;
    CURL* c = curl.get();
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headerList.get());
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would resend the key elsewhere
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(std::max(1.0, timeoutS * 1000.0)));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(std::max(1.0, connectTimeoutS * 1000.0)));
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

    const auto t0 = std::chrono::steady_clock::now();
    const CURLcode rc = curl_easy_perform(c);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc == CURLE_ABORTED_BY_CALLBACK || stop.stop_requested())
        throw Error(Error::Kind::Cancelled, "model request cancelled");
    if (rc != CURLE_OK) {
        const std::string host = hostOf(request.url);
        std::string what = curl_easy_strerror(rc);
        bool retry = false;
        switch (rc) {
            case CURLE_OPERATION_TIMEDOUT:
                what = "no answer within " + std::to_string(int(std::lround(timeoutS))) + " s";
                retry = true;
                break;
            case CURLE_COULDNT_CONNECT: what = "connection refused or unreachable"; retry = true; break;
            case CURLE_COULDNT_RESOLVE_HOST: what = "host name not found"; break;
            case CURLE_PARTIAL_FILE: what = "the answer was cut off before its end"; retry = true; break;
            case CURLE_RECV_ERROR:
            case CURLE_SEND_ERROR:
            case CURLE_GOT_NOTHING: retry = true; break;
            case CURLE_PEER_FAILED_VERIFICATION:
            case CURLE_SSL_CACERT_BADFILE:
            case CURLE_SSL_CONNECT_ERROR:
                what = "TLS verification failed (" + what + "); check the endpoint's certificate";
                break;
            default: break;
        }
        if (transportRetryable) *transportRetryable = retry;
        throw Error(Error::Kind::Network, host + ": " + what);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    HttpResponse out;
    out.status = int(status);
    out.headers = std::move(t.headers);
    out.body = std::move(t.body);
    out.elapsedS = elapsed;
    return out;
}

bool isRetryableStatus(int status) {
    return status == 408 || status == 409 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

double parseRetryAfter(const std::string& value, std::int64_t nowUnix) {
    if (value.empty()) return -1.0;
    char* end = nullptr;
    const double s = std::strtod(value.c_str(), &end);
    if (end != value.c_str() && *end == '\0') return std::isfinite(s) && s >= 0 ? s : -1.0;
    std::tm tm{};  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT"
    if (const char* rest = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm); rest && *rest == '\0')
        return std::max(0.0, double(timegm(&tm) - nowUnix));
    return -1.0;
}

RetryResult postWithRetry(const HttpRequest& request, const RetryPolicy& policy, std::stop_token stop,
                          const RetryLog& log) {
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    std::mt19937_64 rng(policy.seed ? policy.seed
                                    : std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::uniform_real_distribution<double> jitter(1.0 - policy.jitter, 1.0 + policy.jitter);
    const std::string host = hostOf(request.url);
    RetryResult out;
    double backoff = policy.initialBackoffS;
    std::string last;
    for (int attempt = 1;; ++attempt) {
        const double left = policy.deadlineS - elapsed();
        if (left <= 0) break;
        Attempt a;
        double retryAfter = -1.0;
        bool retryable = false;
        try {
            HttpResponse r = httpPost(request, std::min(policy.requestTimeoutS, left),
                                      std::min(policy.connectTimeoutS, left), stop, &retryable);
            a.status = r.status;
            a.elapsedS = r.elapsedS;
            if (!isRetryableStatus(r.status)) {
                out.attempts.push_back(a);
                out.response = std::move(r);
                return out;
            }
            retryable = true;
            last = "HTTP " + std::to_string(r.status);
            if (auto h = r.headers.find("retry-after"); h != r.headers.end())
                retryAfter = parseRetryAfter(h->second, std::int64_t(std::time(nullptr)));
        } catch (const Error& e) {
            if (e.kind() != Error::Kind::Network) throw;
            a.error = e.what();
            last = e.what();
            if (!retryable) {
                out.attempts.push_back(a);
                throw Error(Error::Kind::Network, std::string(e.what()) + " (not retried)");
            }
        }
        if (attempt >= policy.maxAttempts) {
            out.attempts.push_back(a);
            throw Error(Error::Kind::Network, host + ": " + last + " after " + std::to_string(attempt) +
                                                  " attempts; try again later or raise the retry limit");
        }
        double wait = std::min(policy.maxBackoffS, backoff) * jitter(rng);
        if (retryAfter >= 0) wait = retryAfter;  // the server knows best when it can answer
        backoff *= 2.0;
        if (elapsed() + wait >= policy.deadlineS) {
            out.attempts.push_back(a);
            throw Error(Error::Kind::Network,
                        host + ": " + last + "; the next attempt (in " + std::to_string(int(std::ceil(wait))) +
                            " s) would pass the " + std::to_string(int(std::lround(policy.deadlineS))) +
                            " s deadline after " + std::to_string(attempt) + " attempts");
        }
        a.waitAfterS = wait;
        out.attempts.push_back(a);
        if (log) log(host + ": " + last + "; attempt " + std::to_string(attempt + 1) + " in " +
                     std::to_string(wait).substr(0, 4) + " s");
        sleepFor(wait, stop);
    }
    throw Error(Error::Kind::Network, host + ": no usable answer within the " +
                                          std::to_string(int(std::lround(policy.deadlineS))) + " s deadline" +
                                          (last.empty() ? std::string() : " (last: " + last + ")"));
}

}  // namespace traverse::vlm
