#include "planner/plan.hpp"

#include "twin/strict_json.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace traverse::planner {

namespace {

namespace fs = std::filesystem;

// Ordered, so that a written file lists the keys in the documented order. The canonical form used for
// hashing is the unordered (key-sorted) json.
using Json = nlohmann::ordered_json;

constexpr std::string_view kFormat = "traverse-plan";

// --- SHA-256 (FIPS 180-4) --------------------------------------------------------------------------

// OpenSSL's SHA-256: it uses the CPU's SHA instructions where there are some (about 2 GB/s here
// against 0.3 GB/s for portable code), which matters when the site's files are gigabytes of HiRISE
// imagery hashed each time a plan is opened, validated or exported.
class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) fail();
    }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const unsigned char* p, std::size_t n) {
        if (EVP_DigestUpdate(ctx_, p, n) != 1) fail();
    }

    std::string hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        if (EVP_DigestFinal_ex(ctx_, digest, &size) != 1 || size != 32) fail();
        static constexpr char kDigits[] = "0123456789abcdef";
        std::string out(64, '0');
        for (unsigned i = 0; i < 32; ++i) {
            out[2 * i] = kDigits[digest[i] >> 4];
            out[2 * i + 1] = kDigits[digest[i] & 0xfu];
        }
        return out;
    }

private:
    [[noreturn]] static void fail() { throw std::runtime_error("SHA-256 unavailable (OpenSSL)"); }
    EVP_MD_CTX* ctx_;
};

// --- Files -----------------------------------------------------------------------------------------

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

Fd openForReading(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR) throw Error(Error::Kind::NotFound, path.string() + ": no such file");
        throw Error(Error::Kind::Io, path.string() + ": cannot open (" + std::strerror(err) + ")");
    }
    return Fd(fd);
}

// Calls `sink` with each block of the file's bytes.
void readBlocks(const fs::path& path, const std::function<void(const unsigned char*, std::size_t)>& sink) {
    Fd fd = openForReading(path);
    std::vector<unsigned char> buf(1 << 20);
    while (true) {
        const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(Error::Kind::Io, path.string() + ": read failed (" + std::strerror(errno) + ")");
        }
        if (n == 0) break;
        sink(buf.data(), std::size_t(n));
    }
}

std::string readFile(const fs::path& path) {
    std::string text;
    readBlocks(path, [&](const unsigned char* p, std::size_t n) { text.append(reinterpret_cast<const char*>(p), n); });
    return text;
}

// --- Checks shared by the reader and the writer ----------------------------------------------------

std::string child(const std::string& path, std::string_view key) {
    std::string p = path;
    if (!p.empty()) p += '.';
    p += key;
    return p;
}

std::string element(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Error messages are one line: control characters from the file (a key or value with a newline)
// are shown escaped.
std::string oneLine(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

std::string formatNumber(double v) {
    Json j = v;
    return std::isfinite(v) ? j.dump() : (std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
}

bool isSha256Hex(const std::string& s) {
    if (s.size() != 64) return false;
    for (const char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// "YYYY-MM-DDThh:mm:ss[.f{1,9}]Z", with fields in their calendar ranges.
bool isIsoUtc(const std::string& s) {
    auto digits = [&](std::size_t at, std::size_t n, int lo, int hi) {
        if (at + n > s.size()) return false;
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            v = v * 10 + (s[i] - '0');
        }
        return v >= lo && v <= hi;
    };
    if (s.size() < 20) return false;
    if (!digits(0, 4, 0, 9999) || s[4] != '-' || !digits(5, 2, 1, 12) || s[7] != '-' || !digits(8, 2, 1, 31) ||
        s[10] != 'T' || !digits(11, 2, 0, 23) || s[13] != ':' || !digits(14, 2, 0, 59) || s[16] != ':' ||
        !digits(17, 2, 0, 60))
        return false;
    std::size_t i = 19;
    if (s[i] == '.') {
        const std::size_t from = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == from || i - from > 9) return false;
    }
    return i + 1 == s.size() && s[i] == 'Z';
}

// Checks one field at a time and names it by its JSON path. The writer reports InvalidArgument (the
// caller's plan is wrong), the reader Format (the file is).
class Checker {
public:
    Checker(const std::string& source, Error::Kind kind) : source_(source), kind_(kind) {}

    [[noreturn]] void fail(const std::string& path, const std::string& why) const {
        throw Error(kind_, oneLine(source_ + ": " + path + " " + why));
    }
    void finite(double v, const std::string& path) const {
        if (!std::isfinite(v)) fail(path, "must be a finite number, got " + formatNumber(v));
    }
    void point(terrain::MapPoint p, const std::string& path) const {
        finite(p.e, child(path, "e"));
        finite(p.n, child(path, "n"));
    }
    void points(const std::vector<terrain::MapPoint>& ps, const std::string& path) const {
        for (std::size_t i = 0; i < ps.size(); ++i) point(ps[i], element(path, i));
    }
    void sha256(const std::string& s, const std::string& path) const {
        if (!isSha256Hex(s)) fail(path, "must be a SHA-256 of 64 lowercase hex digits, got \"" + s.substr(0, 70) + "\"");
    }
    void nonEmpty(const std::string& s, const std::string& path) const {
        if (s.empty()) fail(path, "must not be empty");
    }

private:
    const std::string& source_;
    Error::Kind kind_;
};

void checkSiteFile(const Checker& c, const SiteFile& f, const std::string& path) {
    c.nonEmpty(f.path.string(), child(path, "path"));
    c.sha256(f.sha256, child(path, "sha256"));
}

void checkPlan(const Plan& p, const std::string& source, Error::Kind kind) {
    const Checker c(source, kind);
    checkSiteFile(c, p.site.dtm, "site.dtm");
    if (p.site.ortho) checkSiteFile(c, *p.site.ortho, "site.ortho");
    try {
        twin::validateRoverConfig(p.rover, source + ": rover");
    } catch (const Error& e) {
        throw Error(kind, e.what());
    }
    c.finite(p.route.start.e, "start.e");
    c.finite(p.route.start.n, "start.n");
    c.finite(p.route.start.headingDeg, "start.heading_deg");
    c.point(p.goal, "goal");
    c.finite(p.goalToleranceM, "goal_tolerance_m");
    if (p.goalToleranceM < 0.0) c.fail("goal_tolerance_m", "must not be negative, got " + formatNumber(p.goalToleranceM));
    c.finite(p.maxSegmentM, "max_segment_m");
    if (!(p.maxSegmentM > 0.0)) c.fail("max_segment_m", "must be positive, got " + formatNumber(p.maxSegmentM));
    c.points(p.viaPoints, "via_points");
    for (std::size_t i = 0; i < p.zones.size(); ++i) {
        const std::string path = element("zones", i);
        c.points(p.zones[i].polygon, child(path, "polygon"));
        if (p.zones[i].polygon.size() < 3)
            c.fail(child(path, "polygon"),
                   "needs at least 3 vertices, got " + std::to_string(p.zones[i].polygon.size()));
    }
    for (std::size_t i = 0; i < p.route.segments.size(); ++i) {
        const std::string path = element("route.segments", i);
        const Segment& s = p.route.segments[i];
        c.point(s.to, child(path, "to"));
        c.nonEmpty(s.provenance.source, child(path, "provenance.source"));
        if (s.provenance.attempt < 1)
            c.fail(child(path, "provenance.attempt"), "must be at least 1, got " + std::to_string(s.provenance.attempt));
    }
    for (std::size_t i = 0; i < p.decisions.size(); ++i) {
        const std::string path = element("decisions", i);
        const Decision& d = p.decisions[i];
        if (!isIsoUtc(d.time))
            c.fail(child(path, "time"), "must be an ISO-8601 UTC time like 2025-03-01T12:34:56.789Z, got \"" +
                                            d.time.substr(0, 40) + "\"");
        if (d.step < 0) c.fail(child(path, "step"), "must not be negative, got " + std::to_string(d.step));
        c.nonEmpty(d.source, child(path, "source"));
        c.points(d.points, child(path, "points"));
    }
    if (p.validation) {
        c.sha256(p.validation->hashes.terrainSha256, "validation.terrain_sha256");
        c.sha256(p.validation->hashes.planSha256, "validation.plan_sha256");
        c.sha256(p.validation->hashes.roverSha256, "validation.rover_sha256");
    }
}

// --- Writing ---------------------------------------------------------------------------------------

Json pointJson(terrain::MapPoint p) {
    Json j = Json::object();
    j["e"] = p.e;
    j["n"] = p.n;
    return j;
}

Json pointsJson(const std::vector<terrain::MapPoint>& ps) {
    Json j = Json::array();
    for (const auto& p : ps) j.push_back(pointJson(p));
    return j;
}

Json siteFileJson(const SiteFile& f) {
    Json j = Json::object();
    j["path"] = f.path.generic_string();
    j["sha256"] = f.sha256;
    return j;
}

Json siteHashesJson(const PlanSite& site) {
    Json j = Json::object();
    j["dtm_sha256"] = site.dtm.sha256;
    if (site.ortho) j["ortho_sha256"] = site.ortho->sha256;
    return j;
}

Json roverJson(const twin::RoverConfig& rover) { return Json::parse(twin::roverConfigToJson(rover)); }

Json startJson(const twin::Pose& s) {
    Json j = Json::object();
    j["e"] = s.e;
    j["n"] = s.n;
    j["heading_deg"] = s.headingDeg;
    return j;
}

Json zonesJson(const std::vector<twin::Zone>& zones) {
    Json j = Json::array();
    for (const auto& z : zones) {
        Json zj = Json::object();
        zj["name"] = z.name;
        zj["kind"] = z.keepIn ? "keep-in" : "keep-out";
        zj["polygon"] = pointsJson(z.polygon);
        j.push_back(std::move(zj));
    }
    return j;
}

Json routeJson(const Route& route) {
    Json segments = Json::array();
    for (const auto& s : route.segments) {
        Json pj = Json::object();
        pj["source"] = s.provenance.source;
        pj["transcript"] = s.provenance.transcript;
        pj["attempt"] = s.provenance.attempt;
        pj["repaired"] = s.provenance.repaired;
        Json sj = Json::object();
        sj["to"] = pointJson(s.to);
        sj["provenance"] = std::move(pj);
        segments.push_back(std::move(sj));
    }
    Json j = Json::object();
    j["segments"] = std::move(segments);
    return j;
}

std::string dump(const Json& j, int indent) { return j.dump(indent, ' ', false, Json::error_handler_t::replace); }

// Indented like dump(2), except that points, poses and short arrays of scalars are written on one
// line: a point is `{"e": 4130.5, "n": -2215.0}`, not four lines. Long routes stay readable, and a
// diff shows one changed line per moved point.
void pretty(const Json& j, int depth, std::string& out) {
    if (!j.is_structured() || j.empty()) {
        out += dump(j, -1);
        return;
    }
    const bool object = j.is_object();
    bool flat = true;
    for (const auto& item : j.items())
        flat = flat && !item.value().is_structured() &&
               (!object || item.key() == "e" || item.key() == "n" || item.key() == "heading_deg");
    if (flat) {
        std::string line(1, object ? '{' : '[');
        bool first = true;
        for (const auto& item : j.items()) {
            if (!first) line += ", ";
            first = false;
            if (object) line += dump(Json(item.key()), -1) + ": ";
            line += dump(item.value(), -1);
        }
        line += object ? '}' : ']';
        if (line.size() <= 100) {
            out += line;
            return;
        }
    }
    const std::string inner(std::size_t(2 * (depth + 1)), ' ');
    out += object ? "{\n" : "[\n";
    bool first = true;
    for (const auto& item : j.items()) {
        if (!first) out += ",\n";
        first = false;
        out += inner;
        if (object) out += dump(Json(item.key()), -1) + ": ";
        pretty(item.value(), depth + 1, out);
    }
    out += '\n';
    out += std::string(std::size_t(2 * depth), ' ');
    out += object ? '}' : ']';
}

// Key-sorted, no whitespace: the same content always gives the same bytes.
std::string canonical(const Json& j) {
    return nlohmann::json::parse(dump(j, -1)).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

// --- Reading ---------------------------------------------------------------------------------------

std::string describe(const Json& v) {
    if (v.is_null()) return "null";
    std::string text = dump(v, -1);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + text;
}


// Type and presence checks, naming the JSON path. Values are checked afterwards by checkPlan.
class Reader {
public:
    explicit Reader(const std::string& source) : source_(source) {}

    [[noreturn]] void fail(const std::string& path, const std::string& why) const {
        throw Error(Error::Kind::Format, oneLine(source_ + ": " + path + " " + why));
    }

    // An object holding all of `required`, any of `optional` and nothing else.
    const Json& object(const Json& v, const std::string& path, std::initializer_list<const char*> required,
                       std::initializer_list<const char*> optional = {}) const {
        if (!v.is_object()) fail(path.empty() ? "the top level" : path, "must be an object, got " + describe(v));
        for (const auto& item : v.items()) {
            bool known = false;
            for (const char* k : required) known = known || item.key() == k;
            for (const char* k : optional) known = known || item.key() == k;
            if (!known) fail(child(path, item.key()), "is not a field of the plan format");
        }
        for (const char* k : required)
            if (v.find(k) == v.end()) fail(child(path, k), "is missing");
        return v;
    }
    const Json& at(const Json& object, const std::string& key) const { return *object.find(key); }
    const Json* find(const Json& object, const std::string& key) const {
        const auto it = object.find(key);
        return it == object.end() ? nullptr : &*it;
    }

    double number(const Json& v, const std::string& path) const {
        if (!v.is_number()) fail(path, "must be a number, got " + describe(v));
        return v.get<double>();
    }
    int integer(const Json& v, const std::string& path) const {
        if (!v.is_number_integer()) fail(path, "must be an integer, got " + describe(v));
        if (v.is_number_unsigned() ? v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<int>::max())
                                   : (v.get<std::int64_t>() > std::numeric_limits<int>::max() ||
                                      v.get<std::int64_t>() < std::numeric_limits<int>::min()))
            fail(path, "is out of range, got " + describe(v));
        return v.get<int>();
    }
    std::string string(const Json& v, const std::string& path) const {
        if (!v.is_string()) fail(path, "must be a string, got " + describe(v));
        return v.get<std::string>();
    }
    bool boolean(const Json& v, const std::string& path) const {
        if (!v.is_boolean()) fail(path, "must be true or false, got " + describe(v));
        return v.get<bool>();
    }
    const Json& array(const Json& v, const std::string& path) const {
        if (!v.is_array()) fail(path, "must be an array, got " + describe(v));
        return v;
    }

    terrain::MapPoint point(const Json& v, const std::string& path) const {
        object(v, path, {"e", "n"});
        return {number(at(v, "e"), child(path, "e")), number(at(v, "n"), child(path, "n"))};
    }
    std::vector<terrain::MapPoint> points(const Json& v, const std::string& path) const {
        std::vector<terrain::MapPoint> out;
        std::size_t i = 0;
        for (const auto& p : array(v, path)) out.push_back(point(p, element(path, i++)));
        return out;
    }
    SiteFile siteFile(const Json& v, const std::string& path) const {
        object(v, path, {"path", "sha256"});
        return {fs::path(string(at(v, "path"), child(path, "path"))), string(at(v, "sha256"), child(path, "sha256"))};
    }

    const std::string& source() const { return source_; }

private:
    const std::string& source_;
};

void readHeader(const Json& root, const Reader& r) {
    const std::string& source = r.source();
    if (!root.is_object())
        throw Error(Error::Kind::Format, source + ": not a plan (the top level is " + describe(root) + ", not an object)");
    const auto format = root.find("format");
    if (format == root.end())
        throw Error(Error::Kind::Format, source + ": not a plan (no \"format\": \"" + std::string(kFormat) + "\")");
    if (!format->is_string() || format->get_ref<const std::string&>() != kFormat)
        throw Error(Error::Kind::Format, source + ": not a plan (\"format\" is " + describe(*format) + ", expected \"" +
                                             std::string(kFormat) + "\")");
    const auto version = root.find("version");
    if (version == root.end()) r.fail("version", "is missing");
    if (!version->is_number_integer()) r.fail("version", "must be an integer, got " + describe(*version));
    const bool newer = version->is_number_unsigned() ? version->get<std::uint64_t>() > std::uint64_t(kPlanFormatVersion)
                                                     : version->get<std::int64_t>() > kPlanFormatVersion;
    if (newer)
        throw Error(Error::Kind::Format, source + ": written by a newer Traverse (version " + version->dump() + " > " +
                                             std::to_string(kPlanFormatVersion) + ")");
    if (version->get<std::int64_t>() < 1)
        throw Error(Error::Kind::Format, source + ": unsupported version " + version->dump());
}

Plan readPlan(const Json& root, const Reader& r) {
    r.object(root, "", {"format", "version", "site", "rover", "start", "goal"},
             {"name", "goal_tolerance_m", "max_segment_m", "via_points", "zones", "route", "decisions", "validation"});
    Plan plan;
    if (const Json* v = r.find(root, "name")) plan.name = r.string(*v, "name");

    const Json& site = r.object(r.at(root, "site"), "site", {"dtm"}, {"ortho"});
    plan.site.dtm = r.siteFile(r.at(site, "dtm"), "site.dtm");
    if (const Json* v = r.find(site, "ortho")) plan.site.ortho = r.siteFile(*v, "site.ortho");

    const Json& rover = r.at(root, "rover");
    if (!rover.is_object()) r.fail("rover", "must be an object, got " + describe(rover));
    try {
        plan.rover = twin::parseRoverConfig(dump(rover, -1), r.source() + ": rover");
    } catch (const Error& e) {
        throw Error(Error::Kind::Format, e.what());  // a bad rover makes a bad plan file
    }

    const Json& start = r.object(r.at(root, "start"), "start", {"e", "n", "heading_deg"});
    plan.route.start.e = r.number(r.at(start, "e"), "start.e");
    plan.route.start.n = r.number(r.at(start, "n"), "start.n");
    plan.route.start.headingDeg = r.number(r.at(start, "heading_deg"), "start.heading_deg");
    plan.goal = r.point(r.at(root, "goal"), "goal");
    if (const Json* v = r.find(root, "goal_tolerance_m")) plan.goalToleranceM = r.number(*v, "goal_tolerance_m");
    if (const Json* v = r.find(root, "max_segment_m")) plan.maxSegmentM = r.number(*v, "max_segment_m");
    if (const Json* v = r.find(root, "via_points")) plan.viaPoints = r.points(*v, "via_points");

    if (const Json* v = r.find(root, "zones")) {
        std::size_t i = 0;
        for (const auto& zj : r.array(*v, "zones")) {
            const std::string path = element("zones", i++);
            r.object(zj, path, {"name", "kind", "polygon"});
            twin::Zone z;
            z.name = r.string(r.at(zj, "name"), child(path, "name"));
            const std::string kind = r.string(r.at(zj, "kind"), child(path, "kind"));
            if (kind != "keep-out" && kind != "keep-in")
                r.fail(child(path, "kind"), "must be \"keep-out\" or \"keep-in\", got \"" + kind.substr(0, 40) + "\"");
            z.keepIn = kind == "keep-in";
            z.polygon = r.points(r.at(zj, "polygon"), child(path, "polygon"));
            plan.zones.push_back(std::move(z));
        }
    }

    if (const Json* v = r.find(root, "route")) {
        const Json& route = r.object(*v, "route", {"segments"});
        std::size_t i = 0;
        for (const auto& sj : r.array(r.at(route, "segments"), "route.segments")) {
            const std::string path = element("route.segments", i++);
            r.object(sj, path, {"to", "provenance"});
            Segment s;
            s.to = r.point(r.at(sj, "to"), child(path, "to"));
            const std::string pp = child(path, "provenance");
            const Json& pj = r.object(r.at(sj, "provenance"), pp, {"source", "transcript", "attempt", "repaired"});
            s.provenance.source = r.string(r.at(pj, "source"), child(pp, "source"));
            s.provenance.transcript = r.string(r.at(pj, "transcript"), child(pp, "transcript"));
            s.provenance.attempt = r.integer(r.at(pj, "attempt"), child(pp, "attempt"));
            s.provenance.repaired = r.boolean(r.at(pj, "repaired"), child(pp, "repaired"));
            plan.route.segments.push_back(std::move(s));
        }
    }

    if (const Json* v = r.find(root, "decisions")) {
        std::size_t i = 0;
        for (const auto& dj : r.array(*v, "decisions")) {
            const std::string path = element("decisions", i++);
            r.object(dj, path, {"time", "step", "source", "points", "accepted", "reason"}, {"attempt", "transcript"});
            Decision d;
            d.time = r.string(r.at(dj, "time"), child(path, "time"));
            d.step = r.integer(r.at(dj, "step"), child(path, "step"));
            d.source = r.string(r.at(dj, "source"), child(path, "source"));
            d.points = r.points(r.at(dj, "points"), child(path, "points"));
            d.accepted = r.boolean(r.at(dj, "accepted"), child(path, "accepted"));
            d.reason = r.string(r.at(dj, "reason"), child(path, "reason"));
            if (const Json* a = r.find(dj, "attempt")) d.attempt = r.integer(*a, child(path, "attempt"));
            if (const Json* t = r.find(dj, "transcript")) d.transcript = r.string(*t, child(path, "transcript"));
            plan.decisions.push_back(std::move(d));
        }
    }

    if (const Json* v = r.find(root, "validation")) {
        const Json& vj = r.object(*v, "validation", {"terrain_sha256", "plan_sha256", "rover_sha256", "report"});
        ValidationRecord rec;
        rec.hashes.terrainSha256 = r.string(r.at(vj, "terrain_sha256"), "validation.terrain_sha256");
        rec.hashes.planSha256 = r.string(r.at(vj, "plan_sha256"), "validation.plan_sha256");
        rec.hashes.roverSha256 = r.string(r.at(vj, "rover_sha256"), "validation.rover_sha256");
        const Json& report = r.at(vj, "report");
        if (!report.is_object()) r.fail("validation.report", "must be an object, got " + describe(report));
        rec.reportJson = dump(report, -1);
        plan.validation = std::move(rec);
    }
    return plan;
}

// --- Paths -----------------------------------------------------------------------------------------

fs::path planFolder(const fs::path& planPath) { return fs::absolute(planPath).lexically_normal().parent_path(); }

// Relative to the plan's folder when the file lies inside it or inside its parent folder (so a
// project folder with plans/ and site/ side by side can move as a whole); absolute otherwise.
fs::path pathForFile(const fs::path& p, const fs::path& folder) {
    const fs::path abs = fs::absolute(p).lexically_normal();
    const fs::path rel = abs.lexically_relative(folder);
    if (rel.empty()) return abs;
    int ups = 0;
    for (const auto& part : rel) {
        if (part != "..") break;
        ++ups;
    }
    if (ups == 0) return rel;
    const fs::path parent = folder.parent_path();
    if (ups == 1 && parent != folder.root_path() && !parent.empty()) return rel;
    return abs;
}

Plan withFilePaths(const Plan& plan, const fs::path& planPath) {
    Plan out = plan;
    const fs::path folder = planFolder(planPath);
    out.site.dtm.path = pathForFile(plan.site.dtm.path, folder);
    if (out.site.ortho) out.site.ortho->path = pathForFile(plan.site.ortho->path, folder);
    return out;
}

fs::path resolved(const fs::path& p, const fs::path& folder) {
    return (p.is_absolute() ? p : folder / p).lexically_normal();
}

// The file's text, for a plan that validatePlan accepted.
std::string jsonText(const Plan& plan) {
    Json root = Json::object();
    root["format"] = kFormat;
    root["version"] = kPlanFormatVersion;
    root["name"] = plan.name;
    Json site = Json::object();
    site["dtm"] = siteFileJson(plan.site.dtm);
    if (plan.site.ortho) site["ortho"] = siteFileJson(*plan.site.ortho);
    root["site"] = std::move(site);
    root["rover"] = roverJson(plan.rover);
    root["start"] = startJson(plan.route.start);
    root["goal"] = pointJson(plan.goal);
    root["goal_tolerance_m"] = plan.goalToleranceM;
    root["max_segment_m"] = plan.maxSegmentM;
    root["via_points"] = pointsJson(plan.viaPoints);
    root["zones"] = zonesJson(plan.zones);
    root["route"] = routeJson(plan.route);
    Json decisions = Json::array();
    for (const auto& d : plan.decisions) {
        Json dj = Json::object();
        dj["time"] = d.time;
        dj["step"] = d.step;
        dj["source"] = d.source;
        dj["points"] = pointsJson(d.points);
        dj["accepted"] = d.accepted;
        dj["reason"] = d.reason;
        dj["attempt"] = d.attempt;
        if (!d.transcript.empty()) dj["transcript"] = d.transcript;
        decisions.push_back(std::move(dj));
    }
    root["decisions"] = std::move(decisions);
    if (plan.validation) {
        Json vj = Json::object();
        vj["terrain_sha256"] = plan.validation->hashes.terrainSha256;
        vj["plan_sha256"] = plan.validation->hashes.planSha256;
        vj["rover_sha256"] = plan.validation->hashes.roverSha256;
        vj["report"] = Json::parse(plan.validation->reportJson);  // validatePlan made sure it parses
        root["validation"] = std::move(vj);
    }
    // nlohmann writes a decimal that reads back as the same double (the shortest, as a rule).
    std::string out;
    pretty(root, 0, out);
    return out;
}

std::string fileText(const Plan& plan, const fs::path& path) {
    validatePlan(plan, path.string());
    return jsonText(withFilePaths(plan, path)) + "\n";
}

}  // namespace

// --- JSON ------------------------------------------------------------------------------------------

std::string planToJson(const Plan& plan) {
    validatePlan(plan, plan.name.empty() ? std::string("plan") : "plan \"" + plan.name + "\"");
    return jsonText(plan);
}

Plan planFromJson(const std::string& json, const std::string& source) {
    const std::string name = source.empty() ? std::string("plan") : source;
    Json root;
    try {
        root = twin::parseStrictOrderedJson(json, [&](const std::string& where, const std::string& key) {
            throw Error(Error::Kind::Format, oneLine(name + ": " + child(where, key) + " appears more than once"));
        });
    } catch (const nlohmann::json::exception& e) {
        // A syntax error, or a number too large for a double (nlohmann reports that as out_of_range).
        throw Error(Error::Kind::Format, name + ": malformed JSON: " + e.what());
    }
    const Reader reader(name);
    readHeader(root, reader);
    Plan plan = readPlan(root, reader);
    checkPlan(plan, name, Error::Kind::Format);
    return plan;
}

void validatePlan(const Plan& plan, const std::string& source) {
    checkPlan(plan, source, Error::Kind::InvalidArgument);
    if (plan.validation) {
        Json report;
        try {
            report = Json::parse(plan.validation->reportJson);
        } catch (const nlohmann::json::exception& e) {
            throw Error(Error::Kind::InvalidArgument, source + ": validation.report is not valid JSON: " + e.what());
        }
        if (!report.is_object())
            throw Error(Error::Kind::InvalidArgument,
                        source + ": validation.report must be a JSON object, got " + describe(report));
    }
}

// --- Files -----------------------------------------------------------------------------------------

Plan loadPlan(const fs::path& path, const LoadOptions& options) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) throw Error(Error::Kind::NotFound, path.string() + ": no such file");
    if (fs::is_directory(status)) throw Error(Error::Kind::Format, path.string() + ": is a folder, not a plan file");
    // A guard against opening a raster by mistake: far larger than any plan, and read whole below.
    constexpr std::uintmax_t kMaxPlanBytes = std::uintmax_t(512) << 20;
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > kMaxPlanBytes)
        throw Error(Error::Kind::Format, path.string() + ": not a plan (" + std::to_string(size >> 20) +
                                             " MiB, larger than any plan file)");
    Plan plan = planFromJson(readFile(path), path.string());

    const fs::path folder = planFolder(path);
    auto resolve = [&](SiteFile& f, const char* what, const char* key) {
        const fs::path written = f.path;
        f.path = resolved(written, folder);
        if (!options.checkTerrainExists) return;
        if (!fs::exists(f.path, ec))
            throw Error(Error::Kind::NotFound, path.string() + ": the " + what + " " + f.path.string() +
                                                   " does not exist (" + key + " is \"" + written.generic_string() +
                                                   "\")");
    };
    resolve(plan.site.dtm, "DTM", "site.dtm.path");
    if (plan.site.ortho) resolve(*plan.site.ortho, "orthoimage", "site.ortho.path");
    return plan;
}

void savePlan(const Plan& plan, const fs::path& path) {
    traverse::writeFileAtomically(path, fileText(plan, path));
    // The saved plan holds everything the autosave did; an autosave written after it (newer) stays.
    std::error_code ec;
    const fs::path autosave = autosavePath(path);
    if (!fs::exists(autosave, ec)) return;
    const auto planTime = fs::last_write_time(path, ec);
    if (ec) return;
    const auto autosaveTime = fs::last_write_time(autosave, ec);
    if (!ec && autosaveTime <= planTime) fs::remove(autosave, ec);
}

void autosavePlan(const Plan& plan, const fs::path& planPath) {
    const fs::path autosave = autosavePath(planPath);
    traverse::writeFileAtomically(autosave, fileText(plan, planPath));
}

fs::path autosavePath(const fs::path& planPath) { return fs::path(planPath.string() + ".autosave"); }

std::optional<fs::path> recoveryFile(const fs::path& planPath) {
    std::error_code ec;
    const fs::path autosave = autosavePath(planPath);
    if (!fs::is_regular_file(autosave, ec)) return std::nullopt;
    const auto autosaveTime = fs::last_write_time(autosave, ec);
    if (ec) return std::nullopt;
    if (!fs::exists(planPath, ec)) return autosave;  // never saved: the autosave is all there is
    const auto planTime = fs::last_write_time(planPath, ec);
    if (ec || autosaveTime > planTime) return autosave;
    return std::nullopt;
}

// --- Hashes ----------------------------------------------------------------------------------------

std::string sha256Hex(std::string_view bytes) {
    Sha256 h;
    h.update(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    return h.hex();
}

namespace {
// A file's SHA-256, telling `onBlock` the bytes of each block read.
std::string sha256Of(const fs::path& path, const std::function<void(std::size_t)>& onBlock) {
    Sha256 h;
    readBlocks(path, [&](const unsigned char* p, std::size_t n) {
        h.update(p, n);
        if (onBlock) onBlock(n);
    });
    return h.hex();
}
}  // namespace

std::string sha256File(const fs::path& path) { return sha256Of(path, {}); }

PlanSite hashSite(const fs::path& dtm, const std::optional<fs::path>& ortho, const HashProgress& progress) {
    std::uint64_t total = 0, done = 0;
    if (progress)
        for (const fs::path* p : {&dtm, ortho ? &*ortho : nullptr}) {
            std::error_code ec;
            if (p) total += fs::file_size(*p, ec);  // an unreadable file fails below, naming itself
        }
    auto hash = [&](const fs::path& path) {
        if (!progress) return sha256File(path);
        return sha256Of(path, [&](std::size_t n) {
            done += n;
            if (!progress(done, std::max(total, done)))
                throw Error(Error::Kind::Cancelled, path.string() + ": hashing cancelled");
        });
    };
    PlanSite site;
    site.dtm = {dtm, hash(dtm)};
    if (ortho) site.ortho = SiteFile{*ortho, hash(*ortho)};
    return site;
}

std::string planContentHash(const Plan& plan) {
    Json j = Json::object();
    j["content"] = "traverse-plan-content";
    j["version"] = kPlanFormatVersion;
    j["site"] = siteHashesJson(plan.site);
    j["rover"] = roverJson(plan.rover);
    j["start"] = startJson(plan.route.start);
    j["goal"] = pointJson(plan.goal);
    j["goal_tolerance_m"] = plan.goalToleranceM;
    j["via_points"] = pointsJson(plan.viaPoints);
    j["zones"] = zonesJson(plan.zones);
    j["route"] = routeJson(plan.route);
    j["max_segment_m"] = plan.maxSegmentM;
    return sha256Hex(canonical(j));
}

std::string terrainHash(const PlanSite& site) { return sha256Hex(canonical(siteHashesJson(site))); }

std::string roverHash(const twin::RoverConfig& rover) { return sha256Hex(canonical(roverJson(rover))); }

ValidationHashes validationHashesFor(const Plan& plan) {
    return {terrainHash(plan.site), planContentHash(plan), roverHash(plan.rover)};
}

std::optional<std::string> validationMismatch(const Plan& plan) {
    if (!plan.validation) return "the plan has no validation report";
    const ValidationHashes now = validationHashesFor(plan);
    const ValidationHashes& then = plan.validation->hashes;
    if (now.terrainSha256 != then.terrainSha256) return "the terrain changed since the route was validated";
    if (now.roverSha256 != then.roverSha256) return "the rover configuration changed since the route was validated";
    if (now.planSha256 != then.planSha256) return "the plan changed since the route was validated";
    return std::nullopt;
}

std::optional<std::string> siteMismatch(const Plan& plan) {
    auto check = [](const SiteFile& f, const char* what) -> std::optional<std::string> {
        std::string now;
        try {
            now = sha256File(f.path);
        } catch (const Error& e) {
            return std::string("the ") + what + " cannot be read: " + e.what();
        }
        if (now != f.sha256)
            return std::string("the ") + what + " " + f.path.string() + " changed since the plan was made (SHA-256 " +
                   f.sha256.substr(0, 12) + "… recorded, " + now.substr(0, 12) + "… now)";
        return std::nullopt;
    };
    if (auto why = check(plan.site.dtm, "DTM")) return why;
    if (plan.site.ortho)
        if (auto why = check(*plan.site.ortho, "orthoimage")) return why;
    return std::nullopt;
}

std::string isoTimestampUtc(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t);
    const auto secs = floor<seconds>(ms);
    const std::time_t tt = system_clock::to_time_t(secs);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, int((ms - secs).count()));
    return buf;
}

}  // namespace traverse::planner
