#include "planner/scenario.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"
#include "twin/strict_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace traverse::planner {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr std::string_view kFormat = "traverse-scenario";

std::string describe(const Json& v) {
    std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + text;
}

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

class Reader {
public:
    explicit Reader(const std::string& source) : source_(source) {}

    [[noreturn]] void fail(const std::string& path, const std::string& why) const {
        throw Error(Error::Kind::Format, source_ + ": " + (path.empty() ? "the top level" : path) + " " + why);
    }
    const Json& object(const Json& v, const std::string& path, std::initializer_list<const char*> required,
                       std::initializer_list<const char*> optional = {}) const {
        if (!v.is_object()) fail(path, "must be an object, got " + describe(v));
        for (const auto& item : v.items()) {
            bool known = false;
            for (const char* k : required) known = known || item.key() == k;
            for (const char* k : optional) known = known || item.key() == k;
            if (!known) fail(child(path, item.key()), "is not a field of the scenario format");
        }
        for (const char* k : required)
            if (v.find(k) == v.end()) fail(child(path, k), "is missing");
        return v;
    }
    const Json* find(const Json& o, const char* key) const {
        const auto it = o.find(key);
        return it == o.end() ? nullptr : &*it;
    }
    double number(const Json& v, const std::string& path) const {
        if (!v.is_number()) fail(path, "must be a number, got " + describe(v));
        const double d = v.get<double>();
        if (!std::isfinite(d)) fail(path, "must be finite");
        return d;
    }
    int integer(const Json& v, const std::string& path) const {
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > std::numeric_limits<int>::max())
            fail(path, "must be a whole number from 0, got " + describe(v));
        return int(v.get<std::int64_t>());
    }
    std::string string(const Json& v, const std::string& path) const {
        if (!v.is_string()) fail(path, "must be a string, got " + describe(v));
        return v.get<std::string>();
    }
    fs::path filePath(const Json& v, const std::string& path) const {
        const std::string s = string(v, path);
        if (s.empty()) fail(path, "must not be empty");
        return fs::path(s);
    }

private:
    const std::string& source_;
};

Json pointJson(terrain::MapPoint p) { return Json{{"e", p.e}, {"n", p.n}}; }

void check(const Scenario& s, const std::string& source) {
    auto fail = [&](const std::string& why) { throw Error(Error::Kind::InvalidArgument, source + ": " + why); };
    for (double v : {s.start.e, s.start.n, s.start.headingDeg, s.goal.e, s.goal.n, s.goalToleranceM})
        if (!std::isfinite(v)) fail("start, goal and tolerance must be finite numbers");
    if (s.goalToleranceM <= 0.0) fail("goal_tolerance_m must be positive");
    if (s.dtm.empty()) fail("site.dtm is empty");
    if (s.actual.path.empty()) fail("the actual traverse has no file");
    if (s.actual.firstSol && s.actual.lastSol && *s.actual.firstSol > *s.actual.lastSol)
        fail("actual.sols: the first sol is after the last");
}

// Written relative to the scenario's folder when inside it or its parent folder (a checkout moves as
// a whole), absolute otherwise.
std::string relativeIfNear(const fs::path& p, const fs::path& folder) {
    if (folder.empty() || p.is_relative()) return p.generic_string();
    const fs::path rel = p.lexically_normal().lexically_relative(fs::absolute(folder).lexically_normal());
    if (rel.empty()) return p.generic_string();
    int ups = 0;
    for (const auto& part : rel) ups += part == "..";
    return ups <= 1 ? rel.generic_string() : p.generic_string();
}

fs::path resolveAgainst(const fs::path& p, const fs::path& folder) {
    return (p.is_absolute() ? p : folder / p).lexically_normal();
}

std::string sampleSiteHint(const fs::path& p) {
    if (p.filename().string().rfind("sample_", 0) != 0) return "";
    return " (the sample site is generated, not committed: run scripts/traverse-setup run, or "
           "build/tools/traverse-make-sample --out data/samples, or point --site-dir at a generated copy)";
}

}  // namespace

std::string_view difficultyName(Difficulty d) {
    switch (d) {
        case Difficulty::Easy: return "easy";
        case Difficulty::Medium: return "medium";
        case Difficulty::Hard: return "hard";
    }
    return "easy";
}

Scenario scenarioFromJson(const std::string& json, const std::string& source) {
    Json root;
    try {
        root = twin::parseStrictOrderedJson(json, [&](const std::string& where, const std::string& key) {
            throw Error(Error::Kind::Format, source + ": " + child(where, key) + " appears more than once");
        });
    } catch (const nlohmann::json::exception& e) {
        throw Error(Error::Kind::Format, source + ": malformed JSON: " + e.what());
    }
    const Reader r(source);
    if (!root.is_object()) throw Error(Error::Kind::Format, source + ": not a scenario (not a JSON object)");
    const Json* format = r.find(root, "format");
    if (!format || !format->is_string() || format->get<std::string>() != kFormat)
        throw Error(Error::Kind::Format, source + ": not a scenario (no \"format\": \"" + std::string(kFormat) + "\")");
    const Json* version = r.find(root, "version");
    if (!version) r.fail("version", "is missing");
    if (!version->is_number_integer()) r.fail("version", "must be an integer, got " + describe(*version));
    const bool newer = version->is_number_unsigned() ? version->get<std::uint64_t>() > std::uint64_t(kScenarioFormatVersion)
                                                     : version->get<std::int64_t>() > kScenarioFormatVersion;
    if (newer)
        throw Error(Error::Kind::Format, source + ": written by a newer Traverse (version " + version->dump() + " > " +
                                             std::to_string(kScenarioFormatVersion) + ")");
    if (version->get<std::int64_t>() < 1) r.fail("version", "is unsupported: " + version->dump());

    r.object(root, "", {"format", "version", "name", "difficulty", "site", "start", "goal", "actual"},
             {"goal_tolerance_m", "rover", "notes"});
    Scenario s;
    s.name = r.string(root["name"], "name");
    const std::string diff = r.string(root["difficulty"], "difficulty");
    if (diff == "easy") s.difficulty = Difficulty::Easy;
    else if (diff == "medium") s.difficulty = Difficulty::Medium;
    else if (diff == "hard") s.difficulty = Difficulty::Hard;
    else r.fail("difficulty", "must be \"easy\", \"medium\" or \"hard\", got \"" + diff.substr(0, 40) + "\"");

    const Json& site = r.object(root["site"], "site", {"dtm"}, {"ortho"});
    s.dtm = r.filePath(site["dtm"], "site.dtm");
    if (const Json* o = r.find(site, "ortho")) s.ortho = r.filePath(*o, "site.ortho");
    if (const Json* v = r.find(root, "rover")) s.rover = r.filePath(*v, "rover");

    const Json& start = r.object(root["start"], "start", {"e", "n", "heading_deg"});
    s.start = {r.number(start["e"], "start.e"), r.number(start["n"], "start.n"),
               r.number(start["heading_deg"], "start.heading_deg")};
    const Json& goal = r.object(root["goal"], "goal", {"e", "n"});
    s.goal = {r.number(goal["e"], "goal.e"), r.number(goal["n"], "goal.n")};
    if (const Json* v = r.find(root, "goal_tolerance_m")) {
        s.goalToleranceM = r.number(*v, "goal_tolerance_m");
        if (s.goalToleranceM <= 0.0) r.fail("goal_tolerance_m", "must be positive");
    }

    const Json& actual = root["actual"];
    if (!actual.is_object()) r.fail("actual", "must be an object, got " + describe(actual));
    if (actual.contains("drive_log")) {
        r.object(actual, "actual", {"drive_log"});
        s.actual.kind = ActualTraverse::Kind::DriveLog;
        s.actual.path = r.filePath(actual["drive_log"], "actual.drive_log");
    } else if (actual.contains("geojson")) {
        r.object(actual, "actual", {"geojson"}, {"coordinates", "sols"});
        s.actual.kind = ActualTraverse::Kind::GeoJson;
        s.actual.path = r.filePath(actual["geojson"], "actual.geojson");
        if (const Json* c = r.find(actual, "coordinates")) {
            const std::string m = r.string(*c, "actual.coordinates");
            if (m == "auto") s.actual.coordinates = twin::TraverseCoordinates::Auto;
            else if (m == "lonlat") s.actual.coordinates = twin::TraverseCoordinates::LonLat;
            else if (m == "map") s.actual.coordinates = twin::TraverseCoordinates::Map;
            else r.fail("actual.coordinates", "must be \"auto\", \"lonlat\" or \"map\", got \"" + m.substr(0, 40) + "\"");
        }
        if (const Json* sols = r.find(actual, "sols")) {
            if (!sols->is_array() || sols->size() != 2)
                r.fail("actual.sols", "must be [first, last], got " + describe(*sols));
            s.actual.firstSol = r.integer((*sols)[0], "actual.sols[0]");
            s.actual.lastSol = r.integer((*sols)[1], "actual.sols[1]");
            if (*s.actual.firstSol > *s.actual.lastSol) r.fail("actual.sols", "must not end before it starts");
        }
    } else {
        r.fail("actual", "must name a \"drive_log\" or a \"geojson\" file");
    }
    if (const Json* v = r.find(root, "notes")) s.notes = r.string(*v, "notes");
    return s;
}

std::string scenarioToJson(const Scenario& s) {
    check(s, s.name.empty() ? "scenario" : s.name);
    const fs::path folder = s.file.empty() ? fs::path() : s.file.parent_path();
    Json j;
    j["format"] = kFormat;
    j["version"] = kScenarioFormatVersion;
    j["name"] = s.name;
    j["difficulty"] = std::string(difficultyName(s.difficulty));
    j["site"]["dtm"] = relativeIfNear(s.dtm, folder);
    if (s.ortho) j["site"]["ortho"] = relativeIfNear(*s.ortho, folder);
    if (s.rover) j["rover"] = relativeIfNear(*s.rover, folder);
    j["start"] = {{"e", s.start.e}, {"n", s.start.n}, {"heading_deg", s.start.headingDeg}};
    j["goal"] = pointJson(s.goal);
    j["goal_tolerance_m"] = s.goalToleranceM;
    if (s.actual.kind == ActualTraverse::Kind::DriveLog) {
        j["actual"]["drive_log"] = relativeIfNear(s.actual.path, folder);
    } else {
        j["actual"]["geojson"] = relativeIfNear(s.actual.path, folder);
        const char* modes[] = {"auto", "lonlat", "map"};
        j["actual"]["coordinates"] = modes[int(s.actual.coordinates)];
        if (s.actual.firstSol || s.actual.lastSol)
            j["actual"]["sols"] = {s.actual.firstSol.value_or(0), s.actual.lastSol.value_or(std::numeric_limits<int>::max())};
    }
    j["notes"] = s.notes;
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Scenario loadScenario(const fs::path& path, const ScenarioLoadOptions& options) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) throw Error(Error::Kind::NotFound, path.string() + ": no such file");
    if (fs::is_directory(status)) throw Error(Error::Kind::Format, path.string() + ": is a folder, not a scenario");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Error::Kind::Io, path.string() + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    Scenario s = scenarioFromJson(ss.str(), path.string());
    s.file = fs::absolute(path).lexically_normal();
    const fs::path folder = s.file.parent_path();
    auto site = [&](const fs::path& p) {
        return options.siteDir ? (fs::absolute(*options.siteDir) / p.filename()).lexically_normal() : resolveAgainst(p, folder);
    };
    s.dtm = site(s.dtm);
    if (s.ortho) s.ortho = site(*s.ortho);
    if (s.rover) s.rover = resolveAgainst(*s.rover, folder);
    s.actual.path = resolveAgainst(s.actual.path, folder);
    auto require = [&](const fs::path& p, const char* what) {
        if (!fs::exists(p, ec))
            throw Error(Error::Kind::NotFound, path.string() + ": " + what + " " + p.string() + ": no such file" +
                                                   sampleSiteHint(p));
    };
    require(s.dtm, "the DTM");
    if (s.ortho) require(*s.ortho, "the orthoimage");
    if (s.rover) require(*s.rover, "the rover configuration");
    require(s.actual.path, "the actual traverse");
    return s;
}

void saveScenario(const Scenario& scenario, const fs::path& path) {
    Scenario s = scenario;
    s.file = fs::absolute(path).lexically_normal();
    traverse::writeFileAtomically(path, scenarioToJson(s));
}

ActualPath loadActualPath(const Scenario& s, const terrain::RasterInfo& dtm) {
    ActualPath out;
    const terrain::MapExtent extent = dtm.extent();
    if (s.actual.kind == ActualTraverse::Kind::DriveLog) {
        twin::DriveLog log = twin::readDriveLog(s.actual.path);
        for (std::size_t i = 0; i < log.size(); ++i) {
            const terrain::MapPoint p = log.position(i);
            if (extent.contains(p)) {
                out.path.push_back(p);
            } else {
                twin::TraversePoint tp;
                tp.at = p;
                tp.sol = log.info.sol;
                tp.site = log.info.site;
                tp.drive = log.info.drive;
                tp.vertex = i;
                tp.x = p.e;
                tp.y = p.n;
                out.outside.push_back(tp);
            }
        }
        out.sol = log.info.sol;
        out.site = log.info.site;
        out.drive = log.info.drive;
        out.crsNote = log.info.crsNote.empty() ? "the drive log's map frame" : log.info.crsNote;
        out.log = std::move(log);
    } else {
        twin::TraverseImportOptions o;
        o.coordinates = s.actual.coordinates;
        o.firstSol = s.actual.firstSol;
        o.lastSol = s.actual.lastSol;
        twin::PublishedTraverse t = twin::importTraverseGeoJson(s.actual.path, dtm.crsWkt, extent, o);
        out.path = t.path();
        out.outside = std::move(t.outside);
        out.crsNote = std::move(t.crsNote);
        if (!t.points.empty()) {
            out.sol = t.points.front().sol;
            out.site = t.points.front().site;
            out.drive = t.points.front().drive;
        }
    }
    if (out.path.empty())
        throw Error(Error::Kind::Format, s.actual.path.string() + ": no point of the actual traverse lies inside the site " +
                                             dtm.path.string() + " (" + std::to_string(out.outside.size()) +
                                             " outside)");
    return out;
}

}  // namespace traverse::planner
