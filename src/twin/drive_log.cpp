#include "twin/drive_log.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"
#include "twin/strict_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace traverse::twin {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Channels every sample line must fill: without them the rover cannot be placed on the map.
constexpr std::string_view kNeverEmpty[] = {"time_s", "command_index", "east_m", "north_m", "heading_deg"};

std::string shortest(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

bool validChannelName(std::string_view s) {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

// A whole field as a finite double; false for anything else (text, "nan", "inf", trailing characters).
bool parseNumber(std::string_view field, double& out) {
    const char* b = field.data();
    const char* e = b + field.size();
    if (b != e && *b == '+') return false;
    const auto r = std::from_chars(b, e, out);
    return r.ec == std::errc() && r.ptr == e && std::isfinite(out);
}

bool wholeIndex(double v) { return v >= 0.0 && v <= double(std::numeric_limits<int>::max()) && v == std::floor(v); }

std::string describe(const Json& v) {
    std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + text;
}

std::string clip(std::string_view s, std::size_t n = 40) {
    return s.size() > n ? std::string(s.substr(0, n - 3)) + "..." : std::string(s);
}

// A problem with one line: thrown inside the parser, turned into an Error or a BadLine.
struct LineProblem {
    std::string reason;
};

Json parseLineJson(std::string_view text) {
    try {
        return parseStrictOrderedJson(std::string(text), [](const std::string& where, const std::string& key) {
            throw LineProblem{"\"" + (where.empty() ? key : where + "." + key) + "\" appears more than once"};
        });
    } catch (const nlohmann::json::exception& e) {
        std::string what = e.what();
        // nlohmann's messages start with "[json.exception.parse_error.101] "; keep the explanation.
        if (const auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
        throw LineProblem{"malformed JSON: " + what};
    }
}

std::optional<int> optionalInt(const Json& v, const char* key) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_number_integer()) throw LineProblem{std::string("\"") + key + "\" must be an integer or null, got " + describe(v)};
    const auto i = v.get<std::int64_t>();
    if (i < 0 || i > std::numeric_limits<int>::max())
        throw LineProblem{std::string("\"") + key + "\" must be a whole number from 0, got " + describe(v)};
    return int(i);
}

std::string stringField(const Json& v, const char* key) {
    if (!v.is_string()) throw LineProblem{std::string("\"") + key + "\" must be a string, got " + describe(v)};
    return v.get<std::string>();
}

DriveLogInfo parseHeader(std::string_view line) {
    if (line.substr(0, kDriveLogSignature.size()) != kDriveLogSignature)
        throw LineProblem{"not a drive log (the first line must start with \"" + std::string(kDriveLogSignature) +
                          " {\")"};
    std::string_view rest = line.substr(kDriveLogSignature.size());
    if (rest.empty() || rest[0] != ' ') throw LineProblem{"a space and a JSON object must follow \"" +
                                                          std::string(kDriveLogSignature) + "\""};
    const Json j = parseLineJson(rest.substr(1));
    if (!j.is_object()) throw LineProblem{"the header must be a JSON object, got " + describe(j)};
    const auto version = j.find("version");
    if (version == j.end()) throw LineProblem{"the header has no \"version\""};
    if (!version->is_number_integer()) throw LineProblem{"\"version\" must be an integer, got " + describe(*version)};
    const bool newer = version->is_number_unsigned() ? version->get<std::uint64_t>() > std::uint64_t(kDriveLogVersion)
                                                     : version->get<std::int64_t>() > kDriveLogVersion;
    if (newer)
        throw LineProblem{"written by a newer Traverse (version " + version->dump() + " > " +
                          std::to_string(kDriveLogVersion) + ")"};
    if (version->get<std::int64_t>() < 1) throw LineProblem{"unsupported version " + version->dump()};
    DriveLogInfo info;
    for (const auto& item : j.items()) {
        const std::string& k = item.key();
        const Json& v = item.value();
        if (k == "version") continue;
        else if (k == "name") info.name = stringField(v, "name");
        else if (k == "sol") info.sol = optionalInt(v, "sol");
        else if (k == "site") info.site = optionalInt(v, "site");
        else if (k == "drive") info.drive = optionalInt(v, "drive");
        else if (k == "rover") info.rover = stringField(v, "rover");
        else if (k == "source") info.source = stringField(v, "source");
        else if (k == "map_crs") info.mapCrs = stringField(v, "map_crs");
        else if (k == "crs_note") info.crsNote = stringField(v, "crs_note");
        else if (k == "dtm") info.dtm = stringField(v, "dtm");
        else if (k == "start_utc") info.startUtc = stringField(v, "start_utc");
        else if (k == "notes") info.notes = stringField(v, "notes");
        else throw LineProblem{"\"" + clip(k) + "\" is not a field of the drive-log header"};
    }
    return info;
}

std::vector<std::string> parseColumns(std::string_view line) {
    std::vector<std::string> names;
    std::size_t p = 0;
    while (true) {
        const std::size_t q = line.find(',', p);
        names.emplace_back(line.substr(p, q == std::string_view::npos ? std::string_view::npos : q - p));
        if (q == std::string_view::npos) break;
        p = q + 1;
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!validChannelName(names[i]))
            throw LineProblem{"column " + std::to_string(i + 1) + " \"" + clip(names[i]) +
                              "\" is not a channel name (lowercase letters, digits and _)"};
        for (std::size_t k = 0; k < i; ++k)
            if (names[k] == names[i]) throw LineProblem{"channel \"" + names[i] + "\" appears more than once"};
    }
    for (std::string_view req : kDriveLogRequiredChannels)
        if (std::find(names.begin(), names.end(), req) == names.end())
            throw LineProblem{"the required channel \"" + std::string(req) + "\" is missing"};
    return names;
}

DriveEvent parseEvent(std::string_view json) {
    const Json j = parseLineJson(json);
    if (!j.is_object()) throw LineProblem{"an event must be a JSON object, got " + describe(j)};
    DriveEvent ev;
    bool hasTime = false, hasKind = false, hasText = false;
    std::optional<double> e, n;
    auto number = [](const Json& v, const char* key) {
        if (!v.is_number()) throw LineProblem{std::string("event \"") + key + "\" must be a number, got " + describe(v)};
        const double d = v.get<double>();
        if (!std::isfinite(d)) throw LineProblem{std::string("event \"") + key + "\" is not finite"};
        return d;
    };
    for (const auto& item : j.items()) {
        const std::string& k = item.key();
        const Json& v = item.value();
        if (k == "time_s") {
            ev.timeS = number(v, "time_s");
            hasTime = true;
        } else if (k == "kind") {
            const std::string kind = stringField(v, "kind");
            const auto parsed = eventKindFromName(kind);
            if (!parsed)
                throw LineProblem{"event kind \"" + clip(kind) + "\" is not one of fault, stop, rule, waypoint, note"};
            ev.kind = *parsed;
            hasKind = true;
        } else if (k == "text") {
            ev.text = stringField(v, "text");
            hasText = true;
        } else if (k == "command_index") {
            ev.commandIndex = optionalInt(v, "command_index");
        } else if (k == "e") {
            e = number(v, "e");
        } else if (k == "n") {
            n = number(v, "n");
        } else {
            throw LineProblem{"\"" + clip(k) + "\" is not a field of an event"};
        }
    }
    if (!hasTime) throw LineProblem{"the event has no \"time_s\""};
    if (!hasKind) throw LineProblem{"the event has no \"kind\""};
    if (!hasText) throw LineProblem{"the event has no \"text\""};
    if (e.has_value() != n.has_value()) throw LineProblem{"the event has only one of \"e\" and \"n\""};
    if (e) ev.at = terrain::MapPoint{*e, *n};
    return ev;
}

Json headerJson(const DriveLogInfo& info) {
    Json j;
    j["version"] = kDriveLogVersion;
    if (!info.name.empty()) j["name"] = info.name;
    if (info.sol) j["sol"] = *info.sol;
    if (info.site) j["site"] = *info.site;
    if (info.drive) j["drive"] = *info.drive;
    if (!info.rover.empty()) j["rover"] = info.rover;
    if (!info.source.empty()) j["source"] = info.source;
    if (!info.mapCrs.empty()) j["map_crs"] = info.mapCrs;
    if (!info.crsNote.empty()) j["crs_note"] = info.crsNote;
    if (!info.dtm.empty()) j["dtm"] = info.dtm;
    if (!info.startUtc.empty()) j["start_utc"] = info.startUtc;
    if (!info.notes.empty()) j["notes"] = info.notes;
    return j;
}

Json eventJson(const DriveEvent& ev) {
    Json j;
    j["time_s"] = ev.timeS;
    if (ev.commandIndex) j["command_index"] = *ev.commandIndex;
    j["kind"] = std::string(eventKindName(ev.kind));
    j["text"] = ev.text;
    if (ev.at) {
        j["e"] = ev.at->e;
        j["n"] = ev.at->n;
    }
    return j;
}

std::string oneLineJson(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

// ---- kinds and the log ------------------------------------------------------------------------------

std::string_view eventKindName(EventKind kind) {
    switch (kind) {
        case EventKind::Fault: return "fault";
        case EventKind::Stop: return "stop";
        case EventKind::Rule: return "rule";
        case EventKind::Waypoint: return "waypoint";
        case EventKind::Note: return "note";
    }
    return "note";
}

std::optional<EventKind> eventKindFromName(std::string_view name) {
    for (EventKind k : {EventKind::Fault, EventKind::Stop, EventKind::Rule, EventKind::Waypoint, EventKind::Note})
        if (eventKindName(k) == name) return k;
    return std::nullopt;
}

bool DriveEvent::operator==(const DriveEvent& o) const {
    const bool sameAt = at.has_value() == o.at.has_value() && (!at || (at->e == o.at->e && at->n == o.at->n));
    return timeS == o.timeS && commandIndex == o.commandIndex && kind == o.kind && text == o.text && sameAt;
}

std::optional<std::size_t> DriveLog::channel(std::string_view name) const {
    const auto& names = samples.names();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return i;
    return std::nullopt;
}

double DriveLog::timeS(std::size_t i) const { return samples.at(i, samples.index("time_s")); }

terrain::MapPoint DriveLog::position(std::size_t i) const {
    return {samples.at(i, samples.index("east_m")), samples.at(i, samples.index("north_m"))};
}

std::vector<terrain::MapPoint> DriveLog::track() const {
    std::vector<terrain::MapPoint> out;
    if (samples.size() == 0) return out;
    const auto& e = samples.column(samples.index("east_m"));
    const auto& n = samples.column(samples.index("north_m"));
    out.reserve(e.size());
    for (std::size_t i = 0; i < e.size(); ++i) out.push_back({e[i], n[i]});
    return out;
}

DriveLog makeDriveLog(DriveLogInfo info, const std::vector<std::string>& extra) {
    std::vector<std::string> names(kDriveLogRequiredChannels.begin(), kDriveLogRequiredChannels.end());
    names.insert(names.end(), extra.begin(), extra.end());
    DriveLog log;
    log.info = std::move(info);
    log.samples = Telemetry(std::move(names));
    return log;
}

DriveLog driveLogFromSimulation(const SimulationResult& result, const Sequence& sequence, DriveLogInfo info) {
    if (result.telemetry.size() == 0)
        throw Error(Error::Kind::InvalidArgument, "the simulation of '" + sequence.header.name +
                                                      "' recorded no telemetry; a drive log needs it");
    DriveLog log;
    if (info.name.empty()) info.name = sequence.header.name;
    if (!info.sol && sequence.header.sol > 0) info.sol = sequence.header.sol;
    if (info.rover.empty()) info.rover = sequence.header.rover;
    if (info.source.empty()) info.source = "traverse twin";
    log.info = std::move(info);
    log.samples = result.telemetry;
    const auto& time = log.samples.column(log.samples.index("time_s"));
    const auto& east = log.samples.column(log.samples.index("east_m"));
    const auto& north = log.samples.column(log.samples.index("north_m"));
    // Where the rover was at a time: the last sample at or before it.
    auto at = [&](double t) {
        const auto it = std::upper_bound(time.begin(), time.end(), t);
        const std::size_t i = it == time.begin() ? 0 : std::size_t(it - time.begin()) - 1;
        return terrain::MapPoint{east[i], north[i]};
    };
    for (const Event& e : result.events) {
        DriveEvent ev;
        ev.timeS = e.timeS;
        ev.commandIndex = e.commandIndex;
        ev.text = e.what;
        ev.at = at(e.timeS);
        ev.kind = e.kind;
        log.events.push_back(std::move(ev));
    }
    for (const Violation& v : result.verdict.violations) {
        char text[256];
        std::snprintf(text, sizeof text, "flight rule %s broken: worst %.3f, limit %.3f (%lld steps)",
                      std::string(ruleName(v.rule)).c_str(), v.value, v.limit, static_cast<long long>(v.steps));
        log.events.push_back({v.timeS, v.commandIndex, EventKind::Rule, text, terrain::MapPoint{v.e, v.n}});
    }
    std::stable_sort(log.events.begin(), log.events.end(),
                     [](const DriveEvent& a, const DriveEvent& b) { return a.timeS < b.timeS; });
    return log;
}

// ---- validation and writing ---------------------------------------------------------------------------

void validateDriveLog(const DriveLog& log, const std::string& source) {
    auto fail = [&](const std::string& why) { throw Error(Error::Kind::InvalidArgument, source + ": " + why); };
    const auto& names = log.samples.names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!validChannelName(names[i])) fail("\"" + clip(names[i]) + "\" is not a channel name");
        for (std::size_t k = 0; k < i; ++k)
            if (names[k] == names[i]) fail("channel \"" + names[i] + "\" appears more than once");
    }
    for (std::string_view req : kDriveLogRequiredChannels)
        if (!log.channel(req)) fail("the required channel \"" + std::string(req) + "\" is missing");
    for (auto v : {log.info.sol, log.info.site, log.info.drive})
        if (v && *v < 0) fail("sol, site and drive numbers must not be negative");
    const std::size_t tc = *log.channel("time_s"), cc = *log.channel("command_index");
    double last = -std::numeric_limits<double>::infinity();
    for (std::size_t s = 0; s < log.size(); ++s) {
        for (std::string_view name : kNeverEmpty)
            if (!std::isfinite(log.samples.at(s, *log.channel(name))))
                fail("sample " + std::to_string(s) + ": " + std::string(name) + " is not a finite number");
        for (std::size_t c = 0; c < names.size(); ++c)
            if (std::isinf(log.samples.at(s, c))) fail("sample " + std::to_string(s) + ": " + names[c] + " is infinite");
        if (!wholeIndex(log.samples.at(s, cc)))
            fail("sample " + std::to_string(s) + ": command_index must be a whole number from 0");
        const double t = log.samples.at(s, tc);
        if (t < last) fail("sample " + std::to_string(s) + ": time_s " + shortest(t) + " is before the previous sample's");
        last = t;
    }
    double lastEvent = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < log.events.size(); ++i) {
        const DriveEvent& ev = log.events[i];
        if (!std::isfinite(ev.timeS)) fail("event " + std::to_string(i) + ": time_s is not finite");
        if (ev.timeS < lastEvent) fail("event " + std::to_string(i) + ": events must be in time order");
        lastEvent = ev.timeS;
        if (ev.commandIndex && *ev.commandIndex < 0) fail("event " + std::to_string(i) + ": negative command_index");
        if (ev.at && !(std::isfinite(ev.at->e) && std::isfinite(ev.at->n)))
            fail("event " + std::to_string(i) + ": position is not finite");
    }
}

std::string driveLogToText(const DriveLog& log) {
    validateDriveLog(log, log.info.name.empty() ? "drive log" : log.info.name);
    const auto& names = log.samples.names();
    std::string out;
    out.reserve((log.size() + 2) * names.size() * 10 + log.events.size() * 120);
    out += kDriveLogSignature;
    out += ' ';
    out += oneLineJson(headerJson(log.info));
    out += '\n';
    for (std::size_t c = 0; c < names.size(); ++c) {
        if (c) out += ',';
        out += names[c];
    }
    out += '\n';
    const std::size_t tc = *log.channel("time_s");
    std::size_t nextEvent = 0;
    auto writeEvent = [&](const DriveEvent& ev) {
        out += "#event ";
        out += oneLineJson(eventJson(ev));
        out += '\n';
    };
    char buf[32];
    for (std::size_t s = 0; s < log.size(); ++s) {
        // An event goes after the last sample at or before its time.
        while (nextEvent < log.events.size() && log.events[nextEvent].timeS < log.samples.at(s, tc))
            writeEvent(log.events[nextEvent++]);
        for (std::size_t c = 0; c < names.size(); ++c) {
            if (c) out += ',';
            const double v = log.samples.at(s, c);
            if (std::isnan(v)) continue;  // not reported: an empty field
            const auto r = std::to_chars(buf, buf + sizeof buf, v);
            out.append(buf, r.ptr);
        }
        out += '\n';
    }
    while (nextEvent < log.events.size()) writeEvent(log.events[nextEvent++]);
    return out;
}

void writeDriveLog(const DriveLog& log, const fs::path& path) {
    std::string text;
    try {
        text = driveLogToText(log);
    } catch (const Error& e) {
        throw Error(e.kind(), path.string() + ": " + e.what());
    }
    traverse::writeFileAtomically(path, text);
}

// ---- reading ------------------------------------------------------------------------------------------

DriveLogReadResult parseDriveLog(const std::string& text, const std::string& source, ReadMode mode) {
    DriveLogReadResult res;
    auto fatal = [&](int line, const std::string& why) {
        throw Error(Error::Kind::Format, source + ": line " + std::to_string(line) + ": " + why);
    };
    std::size_t pos = 0;
    int lineNo = 0;
    // The next line without its end (\n or \r\n); false at the end of the text.
    auto nextLine = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        line = std::string_view(text).substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = end + 1;
        ++lineNo;
        return true;
    };

    std::string_view line;
    if (!nextLine(line)) fatal(1, "empty file; not a drive log");
    try {
        res.log.info = parseHeader(line);
    } catch (const LineProblem& p) {
        fatal(1, p.reason);
    }
    if (!nextLine(line)) fatal(2, "no line of channel names");
    std::vector<std::string> names;
    try {
        names = parseColumns(line);
    } catch (const LineProblem& p) {
        fatal(2, p.reason);
    }
    const std::size_t nc = names.size();
    res.log.samples = Telemetry(names);
    std::vector<bool> neverEmpty(nc, false);
    for (std::string_view n : kNeverEmpty) neverEmpty[std::size_t(std::find(names.begin(), names.end(), n) - names.begin())] = true;
    const std::size_t tc = std::size_t(std::find(names.begin(), names.end(), "time_s") - names.begin());
    const std::size_t cc = std::size_t(std::find(names.begin(), names.end(), "command_index") - names.begin());

    std::vector<double> row(nc);
    double lastTime = -std::numeric_limits<double>::infinity();
    std::vector<std::pair<int, DriveEvent>> events;  // with their line, for a stable time order
    while (nextLine(line)) {
        try {
            if (line.empty()) continue;
            if (line[0] == '#') {
                if (line.size() == 1 || line[1] == ' ') continue;  // a comment
                constexpr std::string_view kEvent = "#event ";
                if (line.substr(0, kEvent.size()) == kEvent) {
                    events.emplace_back(lineNo, parseEvent(line.substr(kEvent.size())));
                    continue;
                }
                std::string_view word = line.substr(0, line.find(' '));
                throw LineProblem{"unknown directive \"" + clip(word) + "\" (comments start with \"# \")"};
            }
            std::size_t c = 0, p = 0;
            while (true) {
                if (c >= nc)
                    throw LineProblem{"more values than the " + std::to_string(nc) + " channels"};
                const std::size_t q = line.find(',', p);
                const std::string_view field =
                    line.substr(p, q == std::string_view::npos ? std::string_view::npos : q - p);
                if (field.empty()) {
                    if (neverEmpty[c]) throw LineProblem{names[c] + " is empty; every sample needs it"};
                    row[c] = kNaN;
                } else if (!parseNumber(field, row[c])) {
                    throw LineProblem{names[c] + " \"" + clip(field, 24) + "\" is not a finite number"};
                }
                ++c;
                if (q == std::string_view::npos) break;
                p = q + 1;
            }
            if (c != nc)
                throw LineProblem{std::to_string(c) + " values for " + std::to_string(nc) + " channels"};
            if (!wholeIndex(row[cc])) throw LineProblem{"command_index " + shortest(row[cc]) + " is not a whole number from 0"};
            if (row[tc] < lastTime)
                throw LineProblem{"time_s " + shortest(row[tc]) + " is before the previous sample's " + shortest(lastTime)};
            lastTime = row[tc];
            res.log.samples.append(row.data());
        } catch (const LineProblem& p) {
            if (mode == ReadMode::Strict) fatal(lineNo, p.reason);
            res.badLines.push_back({lineNo, p.reason});
        }
    }
    if (res.log.size() == 0) {
        std::string why = "no samples";
        if (!res.badLines.empty())
            why = "no valid sample line (" + std::to_string(res.badLines.size()) + " bad lines; line " +
                  std::to_string(res.badLines.front().line) + ": " + res.badLines.front().reason + ")";
        throw Error(Error::Kind::Format, source + ": " + why);
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const auto& a, const auto& b) { return a.second.timeS < b.second.timeS; });
    for (auto& e : events) res.log.events.push_back(std::move(e.second));
    return res;
}

DriveLogReadResult readDriveLog(const fs::path& path, ReadMode mode) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) throw Error(Error::Kind::NotFound, path.string() + ": no such file");
    if (fs::is_directory(status)) throw Error(Error::Kind::Format, path.string() + ": is a folder, not a drive log");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Error::Kind::Io, path.string() + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw Error(Error::Kind::Io, path.string() + ": read failed");
    return parseDriveLog(ss.str(), path.string(), mode);
}

DriveLog readDriveLog(const fs::path& path) { return readDriveLog(path, ReadMode::Strict).log; }

// ---- thinning -----------------------------------------------------------------------------------------

DriveLog thinDriveLog(const DriveLog& log, double spacingM, double maxGapS) {
    if (!(spacingM > 0.0) || !std::isfinite(spacingM))
        throw Error(Error::Kind::InvalidArgument, "the thinning spacing must be a positive number of metres");
    if (!(maxGapS > 0.0)) throw Error(Error::Kind::InvalidArgument, "the thinning time gap must be positive");
    constexpr double kMaxHeadingStepDeg = 10.0;  // keeps turns in place recoverable by interpolation
    DriveLog out;
    out.info = log.info;
    out.samples = Telemetry(log.samples.names());
    out.events = log.events;
    const std::size_t n = log.size();
    if (n == 0) return out;
    const std::size_t tc = *log.channel("time_s"), cc = *log.channel("command_index");
    const std::size_t hc = *log.channel("heading_deg");
    const auto track = log.track();
    std::vector<double> row(log.samples.channelCount());
    auto keep = [&](std::size_t i) {
        for (std::size_t c = 0; c < row.size(); ++c) row[c] = log.samples.at(i, c);
        out.samples.append(row.data());
    };
    std::size_t lastKept = 0;
    double along = 0.0;
    keep(0);
    for (std::size_t i = 1; i < n; ++i) {
        along += std::hypot(track[i].e - track[i - 1].e, track[i].n - track[i - 1].n);
        const bool commandEnds = i + 1 < n && log.samples.at(i + 1, cc) != log.samples.at(i, cc);
        const bool commandStarts = log.samples.at(i, cc) != log.samples.at(i - 1, cc);
        double dh = std::fmod(std::abs(log.samples.at(i, hc) - log.samples.at(lastKept, hc)), 360.0);
        dh = std::min(dh, 360.0 - dh);
        if (i + 1 == n || commandEnds || commandStarts || along >= spacingM ||
            log.samples.at(i, tc) - log.samples.at(lastKept, tc) >= maxGapS || dh >= kMaxHeadingStepDeg) {
            keep(i);
            lastKept = i;
            along = 0.0;
        }
    }
    return out;
}

}  // namespace traverse::twin
