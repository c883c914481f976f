#include "planner/export.hpp"

#include "terrain/error.hpp"
#include "terrain/raster.hpp"
#include "twin/command.hpp"
#include "twin/telemetry.hpp"

#include <nlohmann/json.hpp>

#include <ogr_srs_api.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <variant>

#include <fcntl.h>
#include <unistd.h>

#ifndef TRAVERSE_VERSION
#define TRAVERSE_VERSION "unknown"
#endif

namespace traverse::planner {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Ordered = nlohmann::ordered_json;
using Kind = Error::Kind;

constexpr std::string_view kTool = "traverse";
constexpr std::string_view kSeqJsonFormat = "traverse-seqjson";
constexpr std::string_view kGeoJsonFormat = "traverse-route-geojson";
constexpr int kFormatVersion = 1;
constexpr std::string_view kSeqJsonSchema = "@nasa-jpl/seq-json-schema 1.3.1";
constexpr std::string_view kChecksumsFile = "checksums.sha256";
constexpr double kTrackSpacingM = 0.25;  // spacing of the predicted track's vertices

// ---- Numbers and canonical JSON --------------------------------------------------------------------

// The shortest text that reads back as exactly the same double.
std::string shortest(double v) {
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), r.ptr);
}

// A double as ECMAScript's Number.prototype.toString writes it (RFC 8785 section 3.2.2.3): the
// shortest round-trip digits, positional from 1e-6 to 1e21, exponential outside.
std::string ecmaNumber(double v) {
    if (!std::isfinite(v)) throw Error(Kind::Format, "a number that is not finite has no JSON form");
    if (v == 0.0) return "0";
    const std::string sign = v < 0.0 ? "-" : "";
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), std::abs(v), std::chars_format::scientific);
    const std::string s(buf.data(), r.ptr);  // "d.ddde+XX" or "de-XX"
    const auto ePos = s.find('e');
    std::string digits;
    for (char c : s.substr(0, ePos))
        if (c != '.') digits += c;
    const int k = int(digits.size());
    const int n = std::stoi(s.substr(ePos + 1)) + 1;  // value = 0.digits * 10^n
    if (k <= n && n <= 21) return sign + digits + std::string(std::size_t(n - k), '0');
    if (0 < n && n <= 21) return sign + digits.substr(0, std::size_t(n)) + "." + digits.substr(std::size_t(n));
    if (-6 < n && n <= 0) return sign + "0." + std::string(std::size_t(-n), '0') + digits;
    const int e = n - 1;
    const std::string exp = std::string(e < 0 ? "-" : "+") + std::to_string(std::abs(e));
    return sign + digits.substr(0, 1) + (k > 1 ? "." + digits.substr(1) : std::string()) + "e" + exp;
}

// RFC 8785 (JSON Canonicalization Scheme): members sorted by key, no white space, numbers as
// ECMAScript writes them, strings escaped as JSON.stringify does (which nlohmann's dump matches).
// Keys are sorted by bytes, which is RFC 8785's UTF-16 order for every key below U+E000 (all of ours).
template <class J>
void canonicalInto(const J& j, std::string& out) {
    if (j.is_object()) {
        std::vector<const std::string*> keys;
        for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(&it.key());
        std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
        out += '{';
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (i) out += ',';
            out += J(*keys[i]).dump();
            out += ':';
            canonicalInto(j.at(*keys[i]), out);
        }
        out += '}';
    } else if (j.is_array()) {
        out += '[';
        for (std::size_t i = 0; i < j.size(); ++i) {
            if (i) out += ',';
            canonicalInto(j[i], out);
        }
        out += ']';
    } else if (j.is_number()) {
        out += ecmaNumber(j.template get<double>());  // integers too: JSON numbers are doubles in JCS
    } else {
        out += j.dump(-1, ' ', false, J::error_handler_t::strict);  // strings, booleans, null
    }
}

template <class J>
std::string canonical(const J& j) {
    std::string out;
    canonicalInto(j, out);
    return out;
}

// A value rounded to `decimals` places, for predicted states (no "-0").
double rounded(double v, int decimals) {
    const double f = std::pow(10.0, decimals);
    const double r = std::round(v * f) / f;
    return r == 0.0 ? 0.0 : r;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, rounded(v, decimals));
    return buf;
}

// A duration as "HH:MM:SS.sss" (hours may exceed 24), the form SeqJSON's examples use for offsets.
std::string duration(double seconds) {
    const long long ms = std::llround(std::max(0.0, seconds) * 1000.0);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60,
                  ms % 1000);
    return buf;
}

// ---- Commands ---------------------------------------------------------------------------------------

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// One argument of a command, named as in the command dictionary.
struct Arg {
    std::string name;
    std::variant<double, std::string> value;
};

std::vector<Arg> argsOf(const twin::Command& command) {
    using V = std::vector<Arg>;
    return std::visit(Overloaded{
                          [](const twin::TurnTo& c) {
                              return V{{"heading_deg", c.headingDeg}};
                          },
                          [](const twin::TurnBy& c) {
                              return V{{"angle_deg", c.angleDeg}};
                          },
                          [](const twin::DriveStraight& c) {
                              return V{{"distance_m", c.distanceM}};
                          },
                          [](const twin::DriveArc& c) {
                              return V{{"radius_m", c.radiusM}, {"length_m", c.lengthM}};
                          },
                          [](const twin::GoToWaypoint& c) {
                              return V{{"e", c.e},
                                       {"n", c.n},
                                       {"tolerance_m", c.toleranceM},
                                       {"time_limit_s", c.timeLimitS},
                                       {"mode", std::string(twin::driveModeName(c.mode))}};
                          },
                          [](const twin::StopConditions& c) {
                              return V{{"max_tilt_deg", c.maxTiltDeg}, {"max_time_s", c.maxTimeS}};
                          },
                      },
                      command);
}

const twin::CommandSpec* findSpec(std::string_view stem) {
    for (const auto& s : twin::commandDictionary())
        if (s.stem == stem) return &s;
    return nullptr;
}

// The command's line in the sequence text form: "MOB_GOTO e=1050 n=4925 ... mode=BLIND".
std::string commandText(const twin::Command& c) {
    std::string out(twin::commandStem(c));
    for (const auto& a : argsOf(c)) {
        out += ' ' + a.name + '=';
        if (const auto* d = std::get_if<double>(&a.value))
            out += shortest(*d);
        else
            out += std::get<std::string>(a.value);
    }
    return out;
}

// Builds a command from its stem and named values (checked against the dictionary by the caller).
twin::Command makeCommand(const std::string& stem, const std::map<std::string, double>& x,
                          const std::map<std::string, std::string>& w) {
    static_assert(std::variant_size_v<twin::Command> == 6, "a new drive command needs its SeqJSON form here");
    if (stem == "MOB_TURN_TO") return twin::TurnTo{x.at("heading_deg")};
    if (stem == "MOB_TURN_BY") return twin::TurnBy{x.at("angle_deg")};
    if (stem == "MOB_STRAIGHT") return twin::DriveStraight{x.at("distance_m")};
    if (stem == "MOB_ARC") return twin::DriveArc{x.at("radius_m"), x.at("length_m")};
    if (stem == "MOB_STOP_IF") return twin::StopConditions{x.at("max_tilt_deg"), x.at("max_time_s")};
    if (stem == "MOB_GOTO") {
        twin::GoToWaypoint g;
        g.e = x.at("e");
        g.n = x.at("n");
        g.toleranceM = x.at("tolerance_m");
        g.timeLimitS = x.at("time_limit_s");
        const std::string& mode = w.at("mode");
        for (auto m : {twin::DriveMode::Blind, twin::DriveMode::VisualOdometry, twin::DriveMode::AutoNav})
            if (twin::driveModeName(m) == mode) g.mode = m;
        return g;
    }
    throw std::logic_error("no SeqJSON form for command " + stem);
}

// ---- Predicted states from the twin's telemetry -----------------------------------------------------

struct Predicted {
    bool sampled = false;  // the telemetry holds samples of this command
    double startS = 0.0, endS = 0.0;
    double e = 0.0, n = 0.0, headingDeg = 0.0, rollDeg = 0.0, pitchDeg = 0.0, bodyZ = 0.0;
    double clearanceM = 0.0, energyWh = 0.0, distanceM = 0.0;
    double maxTiltDeg = 0.0, minClearanceM = 0.0;  // over the command
};

double tiltDeg(double rollDeg, double pitchDeg) {
    constexpr double kDeg = M_PI / 180.0;
    const double tr = std::tan(rollDeg * kDeg), tp = std::tan(pitchDeg * kDeg);
    return std::atan(std::sqrt(tr * tr + tp * tp)) / kDeg;
}

// The state at the end of each command: the telemetry's last sample with that command index. A
// command without samples (e.g. a turn to the heading the rover already has) keeps the state the
// previous one ended in.
std::vector<Predicted> predictedStates(const twin::Telemetry& t, std::size_t commands, double& startBodyZ) {
    if (t.size() == 0) throw Error(Kind::InvalidArgument, "the recomputed simulation holds no telemetry");
    const auto col = [&](int channel) { return t.index(twin::channelName(channel)); };
    const std::size_t cTime = col(twin::kTimeS), cIdx = col(twin::kCommandIndex), cE = col(twin::kEastM),
                      cN = col(twin::kNorthM), cH = col(twin::kHeadingDeg), cRoll = col(twin::kRollDeg),
                      cPitch = col(twin::kPitchDeg), cZ = col(twin::kBodyZM), cClear = col(twin::kMinBellyClearanceM),
                      cEnergy = col(twin::kEnergyWh), cDist = col(twin::kDistanceM);
    const auto stateAt = [&](std::size_t i) {
        Predicted p;
        p.sampled = true;
        p.endS = t.at(i, cTime);
        p.e = t.at(i, cE);
        p.n = t.at(i, cN);
        p.headingDeg = t.at(i, cH);
        p.rollDeg = t.at(i, cRoll);
        p.pitchDeg = t.at(i, cPitch);
        p.bodyZ = t.at(i, cZ);
        p.clearanceM = t.at(i, cClear);
        p.energyWh = t.at(i, cEnergy);
        p.distanceM = t.at(i, cDist);
        return p;
    };
    startBodyZ = t.at(0, cZ);
    std::vector<Predicted> out(commands);
    for (std::size_t i = 0; i < t.size(); ++i) {
        const double idx = t.at(i, cIdx);
        if (!(idx >= 0.0 && idx < double(commands))) continue;
        Predicted& p = out[std::size_t(idx)];
        const Predicted s = stateAt(i);
        const double tilt = tiltDeg(s.rollDeg, s.pitchDeg);
        const double maxTilt = p.sampled ? std::max(p.maxTiltDeg, tilt) : tilt;
        const double minClear = p.sampled ? std::min(p.minClearanceM, s.clearanceM) : s.clearanceM;
        p = s;
        p.maxTiltDeg = maxTilt;
        p.minClearanceM = minClear;
    }
    Predicted previous = stateAt(0);
    previous.maxTiltDeg = tiltDeg(previous.rollDeg, previous.pitchDeg);
    previous.minClearanceM = previous.clearanceM;
    for (auto& p : out) {
        if (!p.sampled) {
            p = previous;
            p.sampled = false;
            p.maxTiltDeg = tiltDeg(p.rollDeg, p.pitchDeg);
            p.minClearanceM = p.clearanceM;
        }
        p.startS = previous.endS;
        previous = p;
    }
    return out;
}

// ---- Refusal ----------------------------------------------------------------------------------------

// Why a stored report does not pass, from its JSON (validation.cpp writes it), or nothing when it does.
std::optional<std::string> reportFailure(const std::string& reportJson) {
    Json j;
    try {
        j = Json::parse(reportJson);
    } catch (const Json::exception&) {
        return "the validation report cannot be read";
    }
    const auto pass = j.find("pass");
    if (pass != j.end() && pass->is_boolean() && pass->get<bool>()) return std::nullopt;
    std::vector<std::string> why;
    try {
        if (j.contains("checker") && j["checker"].value("segments_failed", 0) > 0) {
            const int n = j["checker"]["segments_failed"].get<int>();
            why.push_back(std::to_string(n) + " segment" + (n == 1 ? "" : "s") + " failed the checker");
        }
        if (j.contains("route") && !j["route"].value("reaches_goal", true))
            why.push_back("the route ends " + fixed(j["route"].value("end_to_goal_m", 0.0), 2) + " m from the goal");
        if (j.contains("twin")) {
            if (!j["twin"].value("completed", true)) why.push_back("the drive stopped early in the twin");
            if (!j["twin"].value("pass", true)) why.push_back("the twin broke a flight rule");
        }
    } catch (const Json::exception&) {
    }
    std::string text = "the validation report does not pass";
    if (!why.empty()) {
        text += " (";
        for (std::size_t i = 0; i < why.size(); ++i) text += (i ? "; " : "") + why[i];
        text += ")";
    }
    return text;
}

// ---- CRS and the transform to lon/lat -----------------------------------------------------------------

struct SrsDeleter {
    void operator()(void* h) const { OSRDestroySpatialReference(static_cast<OGRSpatialReferenceH>(h)); }
};
struct TransformDeleter {
    void operator()(void* h) const { OCTDestroyCoordinateTransformation(static_cast<OGRCoordinateTransformationH>(h)); }
};
using Srs = std::unique_ptr<void, SrsDeleter>;
using Transform = std::unique_ptr<void, TransformDeleter>;

struct MapCrs {
    std::string wkt;
    std::string name;         // the CRS's own name
    std::string geojsonName;  // for GeoJSON's legacy "crs" member: an OGC URN, or the WKT itself
    std::string geographicName;
    std::string body;  // "Mars" when the ellipsoid is Mars's, else ""
};

struct LonLat {
    double lon = 0.0, lat = 0.0;
};

// Map coordinates to planetocentric latitude and east longitude in degrees on the DTM's body. OGR
// transforms to geodetic latitude and east longitude (degrees, reference meridian) on the ellipsoid of
// the DTM's datum — for HiRISE products the IAU Mars sphere, where geodetic and planetocentric
// latitude coincide — and an ellipsoid's geodetic latitude is converted to planetocentric here. (The
// target is built, not cloned from the DTM's base CRS: IAU "ocentric" base CRSs are already
// planetocentric and "ographic" ones count longitude westwards.)
class ToLonLat {
public:
    ToLonLat(const std::string& wkt, const std::string& dtmName, MapCrs& crs) {
        src_.reset(OSRNewSpatialReference(nullptr));
        if (wkt.empty() || OSRSetFromUserInput(src_.get(), wkt.c_str()) != OGRERR_NONE)
            throw Error(Kind::Georeference, dtmName + ": the DTM's CRS cannot be read; the export needs it");
        OSRSetAxisMappingStrategy(src_.get(), OAMS_TRADITIONAL_GIS_ORDER);
        crs.wkt = wkt;
        if (const char* n = OSRGetName(src_.get())) crs.name = n;
        const char* auth = OSRGetAuthorityName(src_.get(), nullptr);
        const char* code = OSRGetAuthorityCode(src_.get(), nullptr);
        crs.geojsonName = auth && code ? std::string("urn:ogc:def:crs:") + auth + "::" + code : wkt;
        const auto attr = [&](const char* node, const char* fallback) {
            const char* v = OSRGetAttrValue(src_.get(), node, 0);
            return std::string(v && *v ? v : fallback);
        };
        crs.geographicName = attr("GEOGCS", "geographic");
        OGRErr err = OGRERR_NONE;
        a_ = OSRGetSemiMajor(src_.get(), &err);
        const double invF = OSRGetInvFlattening(src_.get(), &err);
        b_ = invF > 0.0 ? a_ * (1.0 - 1.0 / invF) : a_;
        if (std::abs(a_ - 3396190.0) < 10000.0) crs.body = "Mars";
        geo_.reset(OSRNewSpatialReference(nullptr));
        if (OSRSetGeogCS(geo_.get(), crs.geographicName.c_str(), attr("DATUM", "unknown").c_str(),
                         attr("SPHEROID", "unknown").c_str(), a_, invF, "Reference_Meridian", 0.0, SRS_UA_DEGREE,
                         std::atof(SRS_UA_DEGREE_CONV)) != OGRERR_NONE)
            throw Error(Kind::Georeference, dtmName + ": no geographic CRS for the DTM's datum (for KML)");
        OSRSetAxisMappingStrategy(geo_.get(), OAMS_TRADITIONAL_GIS_ORDER);
        ct_.reset(OCTNewCoordinateTransformation(src_.get(), geo_.get()));
        if (!ct_)
            throw Error(Kind::Georeference,
                        dtmName + ": no transformation from the DTM's CRS to longitude and latitude (for KML)");
    }

    std::vector<LonLat> operator()(const std::vector<terrain::MapPoint>& pts, const std::string& dtmName) const {
        std::vector<double> x(pts.size()), y(pts.size());
        for (std::size_t i = 0; i < pts.size(); ++i) {
            x[i] = pts[i].e;
            y[i] = pts[i].n;
        }
        std::vector<int> ok(pts.size(), 0);
        if (!pts.empty() && !OCTTransformEx(static_cast<OGRCoordinateTransformationH>(ct_.get()), int(pts.size()),
                                            x.data(), y.data(), nullptr, ok.data()))
            ok.assign(pts.size(), 0);
        std::vector<LonLat> out(pts.size());
        for (std::size_t i = 0; i < pts.size(); ++i) {
            if (!ok[i] || !std::isfinite(x[i]) || !std::isfinite(y[i]))
                throw Error(Kind::Georeference, dtmName + ": E " + shortest(pts[i].e) + " N " + shortest(pts[i].n) +
                                                    " cannot be transformed to longitude and latitude");
            double lat = y[i];
            if (b_ != a_ && std::abs(lat) < 90.0)
                lat = std::atan((b_ * b_) / (a_ * a_) * std::tan(lat * M_PI / 180.0)) * 180.0 / M_PI;
            double lon = std::remainder(x[i], 360.0);
            if (lon == -180.0) lon = 180.0;
            out[i] = {lon, lat};
        }
        return out;
    }

private:
    Srs src_, geo_;
    Transform ct_;
    double a_ = 0.0, b_ = 0.0;
};

// ---- Geometry helpers ---------------------------------------------------------------------------------

std::vector<terrain::MapPoint> closedCounterclockwise(std::vector<terrain::MapPoint> ring) {
    double area2 = 0.0;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const auto& p = ring[i];
        const auto& q = ring[(i + 1) % ring.size()];
        area2 += p.e * q.n - q.e * p.n;
    }
    if (area2 < 0.0) std::reverse(ring.begin(), ring.end());
    if (!ring.empty()) ring.push_back(ring.front());
    return ring;
}

// The twin's predicted track: telemetry positions at least kTrackSpacingM apart, and the last one.
std::vector<terrain::MapPoint> predictedTrack(const twin::Telemetry& t) {
    const std::size_t cE = t.index(twin::channelName(twin::kEastM)), cN = t.index(twin::channelName(twin::kNorthM));
    std::vector<terrain::MapPoint> out;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const terrain::MapPoint p{t.at(i, cE), t.at(i, cN)};
        if (out.empty() || std::hypot(p.e - out.back().e, p.n - out.back().n) >= kTrackSpacingM) out.push_back(p);
    }
    if (t.size() > 0) {
        const terrain::MapPoint last{t.at(t.size() - 1, cE), t.at(t.size() - 1, cN)};
        if (out.size() < 2 || out.back().e != last.e || out.back().n != last.n) out.push_back(last);
    }
    return out;
}

Ordered position(const terrain::MapPoint& p, int decimals = -1) {
    if (decimals < 0) return Ordered::array({p.e, p.n});
    return Ordered::array({rounded(p.e, decimals), rounded(p.n, decimals)});
}

std::string xmlEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
                    out += ' ';
                else
                    out += c;
        }
    }
    return out;
}

// Ends a text with a line holding the SHA-256 of every byte before it.
std::string withTrailingChecksum(std::string text, const std::string& before, const std::string& after) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    const std::string sum = sha256Hex(text);
    return text + before + sum + after + "\n";
}

// ---- What every file shares ---------------------------------------------------------------------------

struct Context {
    const Plan& plan;
    const ValidationOutcome& current;
    std::string name;
    MapCrs crs;
    std::string exportedUtc;
    std::vector<Predicted> states;
    double startBodyZ = 0.0;
};

Ordered hashesJson(const Plan& plan) {
    Ordered h;
    h["terrain_sha256"] = plan.validation->hashes.terrainSha256;
    h["plan_sha256"] = plan.validation->hashes.planSha256;
    h["rover_sha256"] = plan.validation->hashes.roverSha256;
    h["dtm_sha256"] = plan.site.dtm.sha256;
    if (plan.site.ortho) h["ortho_sha256"] = plan.site.ortho->sha256;
    return h;
}

Ordered toolJson() { return Ordered{{"name", kTool}, {"version", TRAVERSE_VERSION}}; }

// ---- SeqJSON ---------------------------------------------------------------------------------------------

Ordered model(const std::string& variable, double value, const std::string& offset) {
    Ordered m;
    m["offset"] = offset;
    m["variable"] = variable;
    m["value"] = value;
    return m;
}

std::string seqJsonText(const Context& x) {
    const twin::Sequence& seq = x.current.sequence;
    Ordered doc;
    doc["id"] = x.name;
    Ordered meta;
    meta["format"] = kSeqJsonFormat;
    meta["format_version"] = kFormatVersion;
    meta["schema"] = kSeqJsonSchema;
    meta["sequence_name"] = seq.header.name;
    meta["plan_name"] = x.plan.name;
    meta["sol"] = seq.header.sol;
    meta["rover"] = seq.header.rover;
    meta["start"] = {
        {"east_m", seq.header.start.e}, {"north_m", seq.header.start.n}, {"heading_deg", seq.header.start.headingDeg}};
    meta["map_crs"] = x.crs.name;
    meta["dtm"] = x.plan.site.dtm.path.string();
    meta["hashes"] = hashesJson(x.plan);
    Ordered validation;
    validation["pass"] = true;
    validation["summary"] = x.current.summary;
    validation["distance_m"] = rounded(x.current.simulation.distanceM, 3);
    validation["elapsed_s"] = rounded(x.current.simulation.elapsedS, 3);
    validation["energy_wh"] = rounded(x.current.simulation.energyWh, 3);
    validation["max_tilt_deg"] = rounded(x.current.simulation.maxTiltDeg, 2);
    validation["min_belly_clearance_m"] = rounded(x.current.simulation.minBellyClearanceM, 3);
    try {
        const Json stored = Json::parse(x.plan.validation->reportJson);
        if (stored.contains("twin") && stored["twin"].contains("monte_carlo"))
            validation["monte_carlo"] = Ordered::parse(stored["twin"]["monte_carlo"].dump());
    } catch (const Json::exception&) {
    }
    meta["validation"] = validation;
    meta["models"] = {{"time", "each step runs when the previous one completes (COMMAND_COMPLETE)"},
                      {"offset", "the command's duration in the digital twin: values hold at the end of the command"},
                      {"variables",
                       {{"time_s", "time since the sequence started, s"},
                        {"east_m", "easting, map frame, m"},
                        {"north_m", "northing, map frame, m"},
                        {"site_x_m", "site frame x (north) from the start, m"},
                        {"site_y_m", "site frame y (east) from the start, m"},
                        {"site_z_m", "site frame z (down) of the rover body from the start, m"},
                        {"heading_deg", "heading, degrees clockwise from north"},
                        {"roll_deg", "roll, deg"},
                        {"pitch_deg", "pitch, deg"},
                        {"min_belly_clearance_m", "belly clearance under the rover, m"},
                        {"energy_wh", "energy used since the sequence started, Wh"},
                        {"distance_m", "distance driven since the sequence started, m"}}}};
    meta["tool"] = toolJson();
    meta["exported_utc"] = x.exportedUtc;
    doc["metadata"] = meta;

    Ordered steps = Ordered::array();
    for (std::size_t i = 0; i < seq.commands.size(); ++i) {
        const twin::Command& c = seq.commands[i];
        const std::string stem(twin::commandStem(c));
        const twin::CommandSpec* spec = findSpec(stem);
        const Predicted& p = x.states[i];
        Ordered step;
        step["type"] = "command";
        step["stem"] = stem;
        step["time"] = {{"type", "COMMAND_COMPLETE"}};
        Ordered args = Ordered::array();
        for (const auto& a : argsOf(c)) {
            Ordered arg;
            arg["name"] = a.name;
            if (const auto* d = std::get_if<double>(&a.value)) {
                arg["type"] = "number";
                arg["value"] = *d;
            } else {
                arg["type"] = "string";  // an enumerated value; "symbol" is for variables
                arg["value"] = std::get<std::string>(a.value);
            }
            args.push_back(std::move(arg));
        }
        step["args"] = std::move(args);
        if (spec) step["description"] = spec->description;
        step["metadata"] = {{"command_index", i},
                            {"predicted_duration_s", rounded(p.endS - p.startS, 3)},
                            {"predicted_max_tilt_deg", rounded(p.maxTiltDeg, 2)},
                            {"predicted_min_belly_clearance_m", rounded(p.minClearanceM, 3)}};
        const std::string off = duration(p.endS - p.startS);
        Ordered models = Ordered::array();
        models.push_back(model("time_s", rounded(p.endS, 3), off));
        models.push_back(model("east_m", rounded(p.e, 3), off));
        models.push_back(model("north_m", rounded(p.n, 3), off));
        models.push_back(model("site_x_m", rounded(p.n - seq.header.start.n, 3), off));
        models.push_back(model("site_y_m", rounded(p.e - seq.header.start.e, 3), off));
        models.push_back(model("site_z_m", rounded(-(p.bodyZ - x.startBodyZ), 3), off));
        models.push_back(model("heading_deg", rounded(p.headingDeg, 2), off));
        models.push_back(model("roll_deg", rounded(p.rollDeg, 2), off));
        models.push_back(model("pitch_deg", rounded(p.pitchDeg, 2), off));
        models.push_back(model("min_belly_clearance_m", rounded(p.clearanceM, 3), off));
        models.push_back(model("energy_wh", rounded(p.energyWh, 3), off));
        models.push_back(model("distance_m", rounded(p.distanceM, 3), off));
        step["models"] = std::move(models);
        steps.push_back(std::move(step));
    }
    doc["steps"] = std::move(steps);

    // The checksum covers the whole document but itself (docs/export.md).
    const std::string sum = sha256Hex(canonical(doc));
    doc["metadata"]["checksum"] = {{"algorithm", "SHA-256"},
                                   {"canonicalization", "RFC 8785 (JSON Canonicalization Scheme)"},
                                   {"covers", "the whole document without metadata.checksum"},
                                   {"value", sum}};
    return doc.dump(2) + "\n";
}

// ---- Listing ---------------------------------------------------------------------------------------------

std::string listingText(const Context& x) {
    const twin::Sequence& seq = x.current.sequence;
    const auto& sim = x.current.simulation;
    const Plan& plan = x.plan;
    std::ostringstream o;
    o << "TRAVERSE DRIVE SEQUENCE " << x.name << "\n\n";
    o << "plan         " << plan.name << "\n";
    o << "sequence     " << seq.header.name << ", sol " << seq.header.sol << ", " << seq.commands.size()
      << " commands\n";
    o << "rover        " << seq.header.rover << "\n";
    o << "map frame    " << x.crs.name << " (metres; headings clockwise from north)\n";
    o << "start        E " << fixed(seq.header.start.e, 3) << "  N " << fixed(seq.header.start.n, 3) << "  heading "
      << fixed(seq.header.start.headingDeg, 1) << " deg\n";
    o << "goal         E " << fixed(plan.goal.e, 3) << "  N " << fixed(plan.goal.n, 3) << "  tolerance "
      << fixed(plan.goalToleranceM, 2) << " m\n";
    o << "route        " << plan.route.segments.size() << " segments, " << fixed(plan.route.lengthM(), 1) << " m\n";
    o << "DTM          " << plan.site.dtm.path.string() << "  sha256 " << plan.site.dtm.sha256 << "\n";
    if (plan.site.ortho)
        o << "orthoimage   " << plan.site.ortho->path.string() << "  sha256 " << plan.site.ortho->sha256 << "\n";
    o << "terrain hash " << plan.validation->hashes.terrainSha256 << "\n";
    o << "plan hash    " << plan.validation->hashes.planSha256 << "\n";
    o << "rover hash   " << plan.validation->hashes.roverSha256 << "\n";
    o << "exported     " << x.exportedUtc << " by " << kTool << " " << TRAVERSE_VERSION << "\n\n";

    o << "Predicted state at the end of each command (digital twin): time since the start, map position,\n"
         "site frame position (x north, y east, z down, origin at the start), heading, roll, pitch, belly\n"
         "clearance and energy used; the last two columns are the worst tilt and clearance while the\n"
         "command runs.\n\n";
    std::vector<std::string> texts;
    std::size_t width = std::string("command").size();
    for (const auto& c : seq.commands) {
        texts.push_back(commandText(c));
        width = std::max(width, texts.back().size());
    }
    char line[512];
    std::snprintf(line, sizeof line, "%4s  %-*s  %12s  %11s  %11s  %8s  %8s  %7s  %6s  %6s  %6s  %7s  %9s  %9s  %10s\n",
                  "#", int(width), "command", "end time", "E m", "N m", "x m", "y m", "z m", "hdg", "roll", "pitch",
                  "clear m", "energy Wh", "max tilt", "min clear");
    o << line;
    for (std::size_t i = 0; i < seq.commands.size(); ++i) {
        const Predicted& p = x.states[i];
        std::snprintf(
            line, sizeof line,
            "%4zu  %-*s  %12s  %11.3f  %11.3f  %8.3f  %8.3f  %7.3f  %6.1f  %6.1f  %6.1f  %7.3f  %9.2f  %9.1f  "
            "%10.3f\n",
            i, int(width), texts[i].c_str(), duration(p.endS).c_str(), p.e, p.n, rounded(p.n - seq.header.start.n, 3),
            rounded(p.e - seq.header.start.e, 3), rounded(-(p.bodyZ - x.startBodyZ), 3), rounded(p.headingDeg, 1),
            rounded(p.rollDeg, 1), rounded(p.pitchDeg, 1), rounded(p.clearanceM, 3), p.energyWh,
            rounded(p.maxTiltDeg, 1), rounded(p.minClearanceM, 3));
        o << line;
    }
    o << "\nValidation   " << x.current.summary << "\n";
    o << "twin         " << fixed(sim.distanceM, 1) << " m in " << duration(sim.elapsedS) << ", "
      << fixed(sim.energyWh, 1) << " Wh; max tilt " << fixed(sim.maxTiltDeg, 1) << " deg; min belly clearance "
      << fixed(sim.minBellyClearanceM, 3) << " m; end E " << fixed(sim.endPose.e, 3) << " N " << fixed(sim.endPose.n, 3)
      << "\n";
    try {
        const Json stored = Json::parse(plan.validation->reportJson);
        if (stored.contains("twin") && stored["twin"].contains("monte_carlo")) {
            const Json& mc = stored["twin"]["monte_carlo"];
            o << "Monte Carlo  " << mc.value("runs", 0) << " runs, " << fixed(100.0 * mc.value("pass_share", 0.0), 1)
              << "% keep every rule\n";
        }
    } catch (const Json::exception&) {
    }
    o << "\nThe checksum on the last line covers every byte above it: head -n -1 FILE | sha256sum\n";
    return withTrailingChecksum(o.str(), "sha256 of the lines above: ", "");
}

// ---- GeoJSON ---------------------------------------------------------------------------------------------

Ordered feature(const Ordered& geometry, Ordered properties) {
    Ordered f;
    f["type"] = "Feature";
    f["properties"] = std::move(properties);
    f["geometry"] = geometry;
    return f;
}

Ordered pointGeometry(const terrain::MapPoint& p) { return {{"type", "Point"}, {"coordinates", position(p)}}; }

Ordered lineGeometry(const std::vector<terrain::MapPoint>& pts, int decimals = -1) {
    Ordered c = Ordered::array();
    for (const auto& p : pts) c.push_back(position(p, decimals));
    return {{"type", "LineString"}, {"coordinates", c}};
}

std::string geoJsonText(const Context& x, const std::vector<terrain::MapPoint>& track) {
    const Plan& plan = x.plan;
    Ordered doc;
    doc["type"] = "FeatureCollection";
    doc["name"] = x.name;
    doc["crs"] = {{"type", "name"}, {"properties", {{"name", x.crs.geojsonName}}}};
    Ordered meta;
    meta["format"] = kGeoJsonFormat;
    meta["format_version"] = kFormatVersion;
    meta["plan_name"] = plan.name;
    meta["sequence"] = x.name + ".seq.json";
    meta["coordinates"] = "easting, northing in metres in the DTM's map CRS (see map_crs)";
    meta["map_crs"] = {{"name", x.crs.name}, {"wkt", x.crs.wkt}, {"dtm", plan.site.dtm.path.string()}};
    meta["hashes"] = hashesJson(plan);
    meta["tool"] = toolJson();
    meta["exported_utc"] = x.exportedUtc;
    doc["traverse"] = meta;

    Ordered features = Ordered::array();
    features.push_back(feature(lineGeometry(plan.route.points()), {{"kind", "route"},
                                                                   {"name", plan.name},
                                                                   {"segments", plan.route.segments.size()},
                                                                   {"length_m", rounded(plan.route.lengthM(), 3)}}));
    features.push_back(feature(pointGeometry({plan.start().e, plan.start().n}),
                               {{"kind", "start"}, {"name", "start"}, {"heading_deg", plan.start().headingDeg}}));
    terrain::MapPoint prev{plan.start().e, plan.start().n};
    for (std::size_t i = 0; i < plan.route.segments.size(); ++i) {
        const Segment& s = plan.route.segments[i];
        Ordered props;
        props["kind"] = "waypoint";
        props["name"] = "waypoint " + std::to_string(i);
        props["index"] = i;
        props["leg_length_m"] = rounded(std::hypot(s.to.e - prev.e, s.to.n - prev.n), 3);
        props["source"] = s.provenance.source;
        props["attempt"] = s.provenance.attempt;
        props["repaired"] = s.provenance.repaired;
        props["transcript"] = s.provenance.transcript;
        features.push_back(feature(pointGeometry(s.to), std::move(props)));
        prev = s.to;
    }
    features.push_back(
        feature(pointGeometry(plan.goal), {{"kind", "goal"}, {"name", "goal"}, {"tolerance_m", plan.goalToleranceM}}));
    for (std::size_t i = 0; i < plan.viaPoints.size(); ++i)
        features.push_back(feature(pointGeometry(plan.viaPoints[i]),
                                   {{"kind", "via-point"}, {"name", "via-point " + std::to_string(i)}, {"index", i}}));
    for (const auto& z : plan.zones) {
        Ordered ring = Ordered::array();
        for (const auto& p : closedCounterclockwise(z.polygon)) ring.push_back(position(p));
        features.push_back(feature({{"type", "Polygon"}, {"coordinates", Ordered::array({ring})}},
                                   {{"kind", z.keepIn ? "keep-in" : "keep-out"}, {"name", z.name}}));
    }
    if (track.size() >= 2)
        features.push_back(feature(lineGeometry(track, 3), {{"kind", "predicted-track"},
                                                            {"name", "predicted track (digital twin)"},
                                                            {"distance_m", rounded(x.current.simulation.distanceM, 3)},
                                                            {"elapsed_s", rounded(x.current.simulation.elapsedS, 3)},
                                                            {"energy_wh", rounded(x.current.simulation.energyWh, 3)}}));
    doc["features"] = std::move(features);

    const std::string sum = sha256Hex(canonical(doc));
    doc["traverse"]["checksum"] = {{"algorithm", "SHA-256"},
                                   {"canonicalization", "RFC 8785 (JSON Canonicalization Scheme)"},
                                   {"covers", "the whole document without traverse.checksum"},
                                   {"value", sum}};
    return doc.dump(2) + "\n";
}

// ---- KML -------------------------------------------------------------------------------------------------

std::string kmlCoordinates(const std::vector<LonLat>& pts) {
    std::string out;
    char buf[64];
    for (std::size_t i = 0; i < pts.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%.9f,%.9f", i ? " " : "", pts[i].lon, pts[i].lat);
        out += buf;
    }
    return out;
}

std::string kmlData(const std::vector<std::pair<std::string, std::string>>& data) {
    std::string out = "<ExtendedData>";
    for (const auto& [k, v] : data)
        out += "<Data name=\"" + xmlEscape(k) + "\"><value>" + xmlEscape(v) + "</value></Data>";
    return out + "</ExtendedData>";
}

std::string kmlText(const Context& x, const ToLonLat& toLonLat, const std::vector<terrain::MapPoint>& track) {
    const Plan& plan = x.plan;
    const std::string dtm = plan.site.dtm.path.string();
    const std::string body = x.crs.body.empty() ? "the DTM's body" : x.crs.body;
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n"
      << "<name>" << xmlEscape(x.name) << "</name>\n"
      << "<description>"
      << xmlEscape("Route of plan '" + plan.name + "' exported by " + std::string(kTool) + " " + TRAVERSE_VERSION +
                   " at " + x.exportedUtc +
                   ". Coordinates are planetocentric latitude and east longitude in degrees on " + body + " (" +
                   x.crs.geographicName + "), transformed from the DTM's map CRS " + x.crs.name +
                   ", written as KML coordinates" +
                   (x.crs.body.empty()
                        ? std::string(".")
                        : " (KML itself is Earth-bound: open the file in Google Earth's " + x.crs.body + " mode).") +
                   " Map coordinates are in each placemark's data. Sequence: " + x.name + ".seq.json.")
      << "</description>\n"
      << "<Style id=\"route\"><LineStyle><color>ff00a5ff</color><width>3</width></LineStyle></Style>\n"
      << "<Style id=\"track\"><LineStyle><color>ffffff00</color><width>1.5</width></LineStyle></Style>\n"
      << "<Style id=\"waypoint\"><IconStyle><scale>0.7</scale></IconStyle><LabelStyle><scale>0.7</scale></LabelStyle>"
         "</Style>\n"
      << "<Style id=\"start\"><IconStyle><color>ff00ff00</color><scale>1.1</scale></IconStyle></Style>\n"
      << "<Style id=\"goal\"><IconStyle><color>ff0000ff</color><scale>1.1</scale></IconStyle></Style>\n"
      << "<Style id=\"keep-out\"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle>"
         "<PolyStyle><color>400000ff</color></PolyStyle></Style>\n"
      << "<Style id=\"keep-in\"><LineStyle><color>ff00ff00</color><width>2</width></LineStyle>"
         "<PolyStyle><color>2000ff00</color></PolyStyle></Style>\n";

    const auto point = [&](const std::string& name, const std::string& style, const terrain::MapPoint& p,
                           std::vector<std::pair<std::string, std::string>> data) {
        const LonLat ll = toLonLat({p}, dtm)[0];
        data.insert(data.begin(), {{"east_m", shortest(p.e)}, {"north_m", shortest(p.n)}});
        o << "<Placemark><name>" << xmlEscape(name) << "</name><styleUrl>#" << style << "</styleUrl>" << kmlData(data)
          << "<Point><coordinates>" << kmlCoordinates({ll}) << "</coordinates></Point></Placemark>\n";
    };

    o << "<Folder><name>Route</name>\n";
    o << "<Placemark><name>" << xmlEscape(plan.name.empty() ? x.name : plan.name)
      << "</name><styleUrl>#route</styleUrl>"
      << kmlData(
             {{"segments", std::to_string(plan.route.segments.size())}, {"length_m", fixed(plan.route.lengthM(), 3)}})
      << "<LineString><tessellate>1</tessellate><coordinates>" << kmlCoordinates(toLonLat(plan.route.points(), dtm))
      << "</coordinates></LineString></Placemark>\n";
    point("start", "start", {plan.start().e, plan.start().n}, {{"heading_deg", shortest(plan.start().headingDeg)}});
    point("goal", "goal", plan.goal, {{"tolerance_m", shortest(plan.goalToleranceM)}});
    o << "</Folder>\n<Folder><name>Waypoints</name>\n";
    for (std::size_t i = 0; i < plan.route.segments.size(); ++i) {
        const Segment& s = plan.route.segments[i];
        point("waypoint " + std::to_string(i), "waypoint", s.to,
              {{"index", std::to_string(i)},
               {"source", s.provenance.source},
               {"attempt", std::to_string(s.provenance.attempt)},
               {"repaired", s.provenance.repaired ? "true" : "false"},
               {"transcript", s.provenance.transcript}});
    }
    for (std::size_t i = 0; i < plan.viaPoints.size(); ++i)
        point("via-point " + std::to_string(i), "waypoint", plan.viaPoints[i], {{"index", std::to_string(i)}});
    o << "</Folder>\n";
    if (!plan.zones.empty()) {
        o << "<Folder><name>Zones</name>\n";
        for (const auto& z : plan.zones) {
            const std::string kind = z.keepIn ? "keep-in" : "keep-out";
            o << "<Placemark><name>" << xmlEscape(z.name.empty() ? kind : z.name) << "</name><styleUrl>#" << kind
              << "</styleUrl>" << kmlData({{"kind", kind}})
              << "<Polygon><tessellate>1</tessellate><outerBoundaryIs><LinearRing><coordinates>"
              << kmlCoordinates(toLonLat(closedCounterclockwise(z.polygon), dtm))
              << "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>\n";
        }
        o << "</Folder>\n";
    }
    if (track.size() >= 2)
        o << "<Folder><name>Predicted track</name>\n<Placemark><name>predicted track (digital twin)</name>"
          << "<styleUrl>#track</styleUrl><LineString><tessellate>1</tessellate><coordinates>"
          << kmlCoordinates(toLonLat(track, dtm)) << "</coordinates></LineString></Placemark>\n</Folder>\n";
    o << "</Document>\n</kml>\n";
    return withTrailingChecksum(o.str(), "<!-- sha256 of the lines above: ", " -->");
}

// ---- Writing -----------------------------------------------------------------------------------------------

std::string errnoText() { return std::strerror(errno); }

void writeNewFile(const fs::path& path, const std::string& bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(Kind::Io, path.string() + ": cannot create (" + errnoText() + ")");
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            const std::string why = errnoText();
            ::close(fd);
            throw Error(Kind::Io, path.string() + ": cannot write (" + why + ")");
        }
        done += std::size_t(w);
    }
    if (::fsync(fd) != 0) {
        const std::string why = errnoText();
        ::close(fd);
        throw Error(Kind::Io, path.string() + ": cannot flush to disk (" + why + ")");
    }
    if (::close(fd) != 0) throw Error(Kind::Io, path.string() + ": cannot close (" + errnoText() + ")");
}

// Best effort, as for plan files: makes the renames durable; some file systems refuse fsync on a
// folder, and the files' contents are already on disk by then.
void syncFolder(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

std::string readAll(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(Kind::NotFound, path.string() + ": no such file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Kind::Io, path.string() + ": cannot open for reading");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(Kind::Io, path.string() + ": read failed");
    return text;
}

bool usableName(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.front() != '.' &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '-' || c == '_';
           });
}

// ---- Reading SeqJSON ------------------------------------------------------------------------------------------

[[noreturn]] void formatError(const std::string& source, const std::string& where, const std::string& reason) {
    throw Error(Kind::Format, source + ": " + (where.empty() ? "" : where + ": ") + reason);
}

const Json& member(const Json& obj, const char* key, const std::string& source, const std::string& where) {
    const auto it = obj.find(key);
    if (it == obj.end()) formatError(source, where, std::string("missing \"") + key + "\"");
    return *it;
}

}  // namespace

std::string canonicalJsonSha256(const std::string& json, const std::string& removePath) {
    Json j;
    try {
        j = Json::parse(json);
        if (!removePath.empty()) {
            const Json::json_pointer ptr(removePath);
            if (j.contains(ptr)) {
                Json& parent = j.at(ptr.parent_pointer());
                parent.erase(ptr.back());
            }
        }
    } catch (const Json::exception& e) {
        throw Error(Kind::Format, std::string("malformed JSON: ") + e.what());
    }
    return sha256Hex(canonical(j));
}

std::optional<std::string> exportRefusal(const Plan& plan) {
    if (!plan.validation) return "the plan has no validation report; validate the route before exporting it";
    if (auto why = validationMismatch(plan)) return *why + "; validate the route again before exporting it";
    if (auto why = siteMismatch(plan)) return *why + "; plan and validate the route again on the current terrain";
    if (auto why = reportFailure(plan.validation->reportJson))
        return *why + "; fix the route and validate it again before exporting it";
    return std::nullopt;
}

std::string exportName(const Plan& plan, const std::string& requested) {
    if (!requested.empty()) {
        if (!usableName(requested))
            throw Error(Kind::InvalidArgument, "export name '" + requested +
                                                   "' is not usable as a file name (use letters, digits, '.', '-', "
                                                   "'_'; not starting with '.')");
        return requested;
    }
    std::string name;
    for (char c : plan.name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '-' || c == '_';
        name += ok ? c : '_';
    }
    while (!name.empty() && (name.front() == '.' || name.front() == '_')) name.erase(name.begin());
    while (!name.empty() && name.back() == '_') name.pop_back();
    return name.empty() ? std::string("route") : name;
}

ExportResult exportPlan(const Plan& plan, const ExportInputs& inputs, const fs::path& outDir) {
    // Every reason to refuse is found before anything touches the disk.
    if (auto why = exportRefusal(plan)) throw Error(Kind::InvalidArgument, "export refused: " + *why);
    const ValidationOutcome& current = inputs.current;
    if (!current.pass)
        throw Error(Kind::InvalidArgument, "export refused: the validation recomputed now does not pass (" +
                                               current.summary + "); validate the route again");
    if (!(current.record.hashes == plan.validation->hashes))
        throw Error(Kind::InvalidArgument,
                    "export refused: the validation recomputed now is not for the terrain, plan and rover of the "
                    "stored report");
    if (current.sequence.commands.empty())
        throw Error(Kind::InvalidArgument, "export refused: the recomputed sequence has no commands");
    twin::validateSequence(current.sequence, "the recomputed sequence");

    Context x{plan, current, exportName(plan, inputs.name), {}, isoTimestampUtc(), {}, 0.0};
    x.states = predictedStates(current.simulation.telemetry, current.sequence.commands.size(), x.startBodyZ);
    const std::string wkt =
        inputs.crsWkt.empty() ? terrain::Raster::open(plan.site.dtm.path).info().crsWkt : inputs.crsWkt;
    const ToLonLat toLonLat(wkt, plan.site.dtm.path.string(), x.crs);
    const std::vector<terrain::MapPoint> track = predictedTrack(current.simulation.telemetry);

    std::vector<std::pair<std::string, std::string>> files = {
        {x.name + ".seq.json", seqJsonText(x)},
        {x.name + ".txt", listingText(x)},
        {x.name + ".geojson", geoJsonText(x, track)},
        {x.name + ".kml", kmlText(x, toLonLat, track)},
    };
    // What goes out must read back as exactly the commands that were validated.
    if (twin::sequenceToJson(seqJsonToSequence(files[0].second, files[0].first)) !=
        twin::sequenceToJson(current.sequence))
        throw std::logic_error("SeqJSON export does not read back as the validated sequence");
    std::string sums;
    for (const auto& [name, bytes] : files) sums += sha256Hex(bytes) + "  " + name + "\n";
    files.emplace_back(std::string(kChecksumsFile), sums);

    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec || !fs::is_directory(outDir))
        throw Error(Kind::Io, outDir.string() + ": cannot create the output folder (" +
                                  (ec ? ec.message() : std::string("a file is in the way")) + ")");
    std::string pattern = (outDir / ".traverse-export-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw Error(Kind::Io, outDir.string() + ": cannot create a temporary folder (" + errnoText() + ")");
    const fs::path tmp = pattern;
    ExportResult result;
    result.folder = outDir;
    try {
        for (const auto& [name, bytes] : files) writeNewFile(tmp / name, bytes);
        syncFolder(tmp);
        // checksums.sha256 moves last: until it does, a crash leaves files that do not match it.
        for (const auto& [name, bytes] : files) {
            if (::rename((tmp / name).c_str(), (outDir / name).c_str()) != 0)
                throw Error(Kind::Io, (outDir / name).string() + ": cannot move into place (" + errnoText() + ")");
            result.files.push_back(outDir / name);
        }
        syncFolder(outDir);
        fs::remove(tmp, ec);
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    return result;
}

twin::Sequence seqJsonToSequence(const std::string& text, const std::string& source) {
    Json j;
    try {
        j = Json::parse(text);
    } catch (const Json::exception& e) {
        throw Error(Kind::Format, source + ": malformed JSON: " + e.what());
    }
    if (!j.is_object()) formatError(source, "", "not SeqJSON: expected a JSON object with \"id\" and \"metadata\"");
    const Json& meta = member(j, "metadata", source, "");
    if (!meta.is_object()) formatError(source, "metadata", "expected an object");
    if (const auto c = meta.find("checksum"); c != meta.end()) {
        if (!c->is_object() || !c->contains("value") || !(*c)["value"].is_string())
            formatError(source, "metadata.checksum", "expected an object with a \"value\"");
        const std::string recorded = (*c)["value"].get<std::string>();
        Json rest = j;
        rest["metadata"].erase("checksum");
        const std::string now = sha256Hex(canonical(rest));
        if (now != recorded)
            formatError(source, "metadata.checksum",
                        "the content does not match its checksum (" + recorded.substr(0, 12) + "… recorded, " +
                            now.substr(0, 12) + "… now): the file changed after export");
    }

    twin::Sequence seq;
    try {
        const Json& id = member(j, "id", source, "");
        seq.header.name = meta.value("sequence_name", id.is_string() ? id.get<std::string>() : std::string());
        const Json& sol = member(meta, "sol", source, "metadata");
        if (!sol.is_number_integer() || sol.get<long long>() < 0 ||
            sol.get<long long>() > std::numeric_limits<int>::max())
            formatError(source, "metadata.sol", "expected a non-negative integer");
        seq.header.sol = sol.get<int>();
        seq.header.rover = meta.value("rover", std::string());
        const Json& start = member(meta, "start", source, "metadata");
        for (const char* k : {"east_m", "north_m", "heading_deg"})
            if (!start.is_object() || !start.contains(k) || !start[k].is_number())
                formatError(source, "metadata.start", std::string("expected a number \"") + k + "\"");
        seq.header.start = {start["east_m"].get<double>(), start["north_m"].get<double>(),
                            start["heading_deg"].get<double>()};
    } catch (const Json::exception& e) {
        formatError(source, "metadata", e.what());
    }

    const auto stepsIt = j.find("steps");
    if (stepsIt == j.end()) return seq;
    if (!stepsIt->is_array()) formatError(source, "steps", "expected an array");
    for (std::size_t i = 0; i < stepsIt->size(); ++i) {
        const Json& step = (*stepsIt)[i];
        const std::string where = "steps[" + std::to_string(i) + "]";
        if (!step.is_object()) formatError(source, where, "expected an object");
        const Json& type = member(step, "type", source, where);
        if (type != "command")
            formatError(source, where,
                        "a " + type.dump() + " step is not a drive command (only \"command\" steps are)");
        const Json& stemJson = member(step, "stem", source, where);
        if (!stemJson.is_string()) formatError(source, where, "\"stem\" must be a string");
        const std::string stem = stemJson.get<std::string>();
        const twin::CommandSpec* spec = findSpec(stem);
        if (!spec) formatError(source, where, "unknown command stem '" + stem + "'");
        const Json& args = member(step, "args", source, where);
        if (!args.is_array()) formatError(source, where, "\"args\" must be an array");
        std::map<std::string, double> numbers;
        std::map<std::string, std::string> words;
        std::set<std::string> seen;
        for (std::size_t k = 0; k < args.size(); ++k) {
            const Json& a = args[k];
            const std::string aw = where + ".args[" + std::to_string(k) + "]";
            if (!a.is_object() || !a.contains("type") || !a.contains("value"))
                formatError(source, aw, "expected an object with \"type\" and \"value\"");
            // Named arguments as written by export; an unnamed one takes the dictionary's k-th name.
            std::string name;
            if (a.contains("name")) {
                if (!a["name"].is_string()) formatError(source, aw, "\"name\" must be a string");
                name = a["name"].get<std::string>();
            } else if (k < spec->arguments.size()) {
                name = spec->arguments[k].name;
            }
            const auto it = std::find_if(spec->arguments.begin(), spec->arguments.end(),
                                         [&](const twin::ArgumentSpec& s) { return s.name == name; });
            if (it == spec->arguments.end()) formatError(source, aw, stem + ": unknown argument '" + name + "'");
            if (!seen.insert(name).second) formatError(source, aw, stem + ": duplicate argument '" + name + "'");
            if (it->type == "enum") {
                if (!(a["type"] == "string" || a["type"] == "symbol") || !a["value"].is_string())
                    formatError(source, aw, stem + ": " + name + " must be a string argument");
                const std::string v = a["value"].get<std::string>();
                if (std::find(it->values.begin(), it->values.end(), v) == it->values.end())
                    formatError(source, aw, stem + ": " + name + " = '" + v + "' is not one of the allowed values");
                words[name] = v;
            } else {
                if (a["type"] != "number" || !a["value"].is_number())
                    formatError(source, aw, stem + ": " + name + " must be a number argument");
                numbers[name] = a["value"].get<double>();
            }
        }
        for (const auto& s : spec->arguments)
            if (!seen.count(s.name)) formatError(source, where, stem + ": missing argument '" + s.name + "'");
        seq.commands.push_back(makeCommand(stem, numbers, words));
    }
    try {
        twin::validateSequence(seq, source);
    } catch (const Error& e) {
        // Steps and commands are one to one: name the step.
        std::string m = e.what();
        for (std::size_t p = m.find("commands["); p != std::string::npos; p = m.find("commands[", p))
            m.replace(p, 9, "steps[");
        throw Error(Kind::Format, m);
    }
    return seq;
}

twin::Sequence readSeqJson(const fs::path& path) { return seqJsonToSequence(readAll(path), path.string()); }

}  // namespace traverse::planner
