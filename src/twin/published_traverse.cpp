#include "twin/published_traverse.hpp"

#include "terrain/crs_transform.hpp"
#include "terrain/error.hpp"
#include "twin/drive_replay.hpp"
#include "twin/strict_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace traverse::twin {

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

std::string describe(const Json& v) {
    std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + text;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A position of the file before it is placed: where it came from and its raw coordinates.
struct RawPoint {
    std::array<double, 2> xy{};
    std::optional<int> sol, site, drive;
    std::size_t feature = 0, vertex = 0;
};

class Reader {
public:
    explicit Reader(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void fail(const std::string& where, const std::string& why) const {
        throw Error(Error::Kind::Format, source_ + ": " + where + ": " + why);
    }

    // The number properties "sol", "site" and "drive", matched in any letter case.
    void properties(const Json& props, const std::string& where, RawPoint& p) const {
        if (props.is_null()) return;
        if (!props.is_object()) fail(where, "\"properties\" must be an object or null, got " + describe(props));
        for (const auto& item : props.items()) {
            const std::string key = lower(item.key());
            std::optional<int>* slot = key == "sol" ? &p.sol : key == "site" ? &p.site : key == "drive" ? &p.drive : nullptr;
            if (!slot) continue;
            *slot = integer(item.value(), where, "property \"" + item.key() + "\"");
        }
    }

    std::optional<int> integer(const Json& v, const std::string& where, const std::string& what) const {
        if (v.is_null()) return std::nullopt;
        double d = 0.0;
        if (v.is_number()) {
            d = v.get<double>();
        } else if (v.is_string()) {
            const std::string s = v.get<std::string>();
            if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
                fail(where, what + " must be a whole number, got " + describe(v));
            d = std::stod(s);
        } else {
            fail(where, what + " must be a whole number, got " + describe(v));
        }
        if (!(d >= 0.0 && d <= double(std::numeric_limits<int>::max()) && d == std::floor(d)))
            fail(where, what + " must be a whole number from 0, got " + describe(v));
        return int(d);
    }

    std::array<double, 2> position(const Json& v, const std::string& where) const {
        if (!v.is_array() || v.size() < 2)
            fail(where, "a position must be an array of at least two numbers, got " + describe(v));
        for (std::size_t i = 0; i < v.size(); ++i)
            if (!v[i].is_number()) fail(where, "a position must hold numbers, got " + describe(v));
        const std::array<double, 2> xy{v[0].get<double>(), v[1].get<double>()};
        if (!std::isfinite(xy[0]) || !std::isfinite(xy[1])) fail(where, "the position is not finite");
        return xy;
    }

    // Appends the positions of a geometry, with the feature's properties.
    void geometry(const Json& g, const std::string& where, const RawPoint& props, std::vector<RawPoint>& out) const {
        if (g.is_null()) fail(where, "the feature has no geometry");
        if (!g.is_object()) fail(where, "\"geometry\" must be an object, got " + describe(g));
        const auto type = g.find("type");
        if (type == g.end() || !type->is_string()) fail(where, "the geometry has no \"type\"");
        const std::string t = type->get<std::string>();
        const auto coords = g.find("coordinates");
        if (t != "Point" && t != "MultiPoint" && t != "LineString" && t != "MultiLineString")
            fail(where, "a " + t + " is not a traverse (Point, MultiPoint, LineString or MultiLineString)");
        if (coords == g.end()) fail(where, "the " + t + " has no \"coordinates\"");
        std::size_t vertex = 0;
        auto add = [&](const Json& pos) {
            RawPoint p = props;
            p.vertex = vertex;
            p.xy = position(pos, where + " position " + std::to_string(vertex));
            ++vertex;
            out.push_back(p);
        };
        auto list = [&](const Json& arr, const char* what) {
            if (!arr.is_array()) fail(where, std::string(what) + " must be an array of positions, got " + describe(arr));
            for (const auto& pos : arr) add(pos);
        };
        if (t == "Point") {
            add(*coords);
        } else if (t == "MultiPoint" || t == "LineString") {
            list(*coords, t.c_str());
        } else {
            if (!coords->is_array()) fail(where, "a MultiLineString must be an array of lines, got " + describe(*coords));
            for (const auto& line : *coords) list(line, "each line of a MultiLineString");
        }
    }

    void feature(const Json& f, std::size_t index, std::vector<RawPoint>& out) const {
        const std::string where = "feature " + std::to_string(index);
        if (!f.is_object()) fail(where, "must be an object, got " + describe(f));
        RawPoint props;
        props.feature = index;
        if (const auto p = f.find("properties"); p != f.end()) properties(*p, where, props);
        const auto g = f.find("geometry");
        if (g == f.end()) fail(where, "the feature has no \"geometry\"");
        geometry(*g, where, props, out);
    }

private:
    std::string source_;
};

// The "crs" member's name (GeoJSON 2008), if any.
std::optional<std::string> crsMember(const Json& root, const Reader& r) {
    const auto c = root.find("crs");
    if (c == root.end() || c->is_null()) return std::nullopt;
    if (!c->is_object()) r.fail("crs", "must be an object, got " + describe(*c));
    const auto props = c->find("properties");
    if (props != c->end() && props->is_object()) {
        const auto name = props->find("name");
        if (name != props->end() && name->is_string()) return name->get<std::string>();
    }
    r.fail("crs", "only a named CRS ({\"type\": \"name\", \"properties\": {\"name\": ...}}) is understood");
}

}  // namespace

std::vector<terrain::MapPoint> PublishedTraverse::path() const {
    std::vector<terrain::MapPoint> out;
    out.reserve(points.size());
    for (const auto& p : points) out.push_back(p.at);
    return out;
}

PublishedTraverse parseTraverseGeoJson(const std::string& json, const std::string& source, const std::string& mapCrs,
                                       const terrain::MapExtent& site, const TraverseImportOptions& options) {
    Json root;
    try {
        root = parseStrictJson(json, [&](const std::string& where, const std::string& key) {
            throw Error(Error::Kind::Format,
                        source + ": \"" + (where.empty() ? key : where + "." + key) + "\" appears more than once");
        });
    } catch (const nlohmann::json::exception& e) {
        throw Error(Error::Kind::Format, source + ": malformed JSON: " + e.what());
    }
    const Reader r(source);
    if (!root.is_object()) r.fail("the top level", "must be a GeoJSON object, got " + describe(root));
    const auto type = root.find("type");
    if (type == root.end() || !type->is_string()) r.fail("the top level", "has no GeoJSON \"type\"");
    std::vector<RawPoint> raw;
    const std::string t = type->get<std::string>();
    if (t == "FeatureCollection") {
        const auto features = root.find("features");
        if (features == root.end() || !features->is_array()) r.fail("features", "must be an array of features");
        std::size_t i = 0;
        for (const auto& f : *features) r.feature(f, i++, raw);
    } else if (t == "Feature") {
        r.feature(root, 0, raw);
    } else {
        r.geometry(root, "geometry", RawPoint{}, raw);
    }
    if (options.firstSol || options.lastSol) {
        std::erase_if(raw, [&](const RawPoint& p) {
            return !p.sol || (options.firstSol && *p.sol < *options.firstSol) ||
                   (options.lastSol && *p.sol > *options.lastSol);
        });
    }

    PublishedTraverse out;
    std::vector<std::optional<terrain::MapPoint>> placed(raw.size());
    TraverseCoordinates mode = options.coordinates;
    std::optional<std::string> crsName = mode == TraverseCoordinates::Auto ? crsMember(root, r) : std::nullopt;
    const std::string what = source + " (placing it in the DTM's frame)";
    if (mode == TraverseCoordinates::Map) {
        for (std::size_t i = 0; i < raw.size(); ++i) placed[i] = terrain::MapPoint{raw[i].xy[0], raw[i].xy[1]};
        out.crsNote = "coordinates taken as the site's map frame (easting, northing in metres)";
    } else if (crsName) {
        const terrain::CrsInfo src = terrain::describeCrs(*crsName, source + ": crs");
        const terrain::CrsInfo map = terrain::describeCrs(mapCrs, what);
        const bool otherBody = std::abs(src.semiMajorM - map.semiMajorM) > 0.01 * map.semiMajorM;
        if (src.geographic && otherBody) {
            mode = TraverseCoordinates::LonLat;  // e.g. CRS84 written by tools that know no Mars
            out.crsNote = "longitude/latitude (\"" + *crsName + "\" names another body's datum; read on the body of " +
                          map.name + "), projected into " + map.name;
        } else {
            const terrain::CrsToMap ct = terrain::CrsToMap::create(*crsName, mapCrs, what);
            std::vector<std::array<double, 2>> xy;
            for (const auto& p : raw) xy.push_back(p.xy);
            placed = ct.toMap(xy);
            out.crsNote = "from \"" + src.name + "\" into " + map.name + " by PROJ";
        }
    } else {
        mode = TraverseCoordinates::LonLat;
    }
    if (mode == TraverseCoordinates::LonLat && !raw.empty()) {
        std::vector<terrain::LonLat> ll;
        for (const auto& p : raw) {
            if (std::abs(p.xy[1]) > 90.0)
                r.fail("feature " + std::to_string(p.feature) + " position " + std::to_string(p.vertex),
                       "latitude " + std::to_string(p.xy[1]) +
                           " is beyond ±90°: are these map coordinates? (read them as the map frame)");
            ll.push_back({p.xy[0], p.xy[1]});
        }
        const terrain::MapProjection proj = terrain::MapProjection::forCrs(mapCrs, what);
        placed = proj.toMap(ll);
        if (out.crsNote.empty())
            out.crsNote = "longitude/latitude (east, planetocentric) on the body of " + proj.crs().name +
                          ", projected into it by PROJ";
    } else if (mode == TraverseCoordinates::LonLat) {
        out.crsNote = "longitude/latitude";
    }
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const RawPoint& p = raw[i];
        if (!placed[i])
            throw Error(Error::Kind::Georeference, source + ": feature " + std::to_string(p.feature) + " position " +
                                                       std::to_string(p.vertex) + " (" + std::to_string(p.xy[0]) +
                                                       ", " + std::to_string(p.xy[1]) +
                                                       ") cannot be transformed into the DTM's frame");
        TraversePoint tp{*placed[i], p.sol, p.site, p.drive, p.feature, p.vertex, p.xy[0], p.xy[1]};
        (site.contains(tp.at) ? out.points : out.outside).push_back(tp);
    }
    return out;
}

PublishedTraverse importTraverseGeoJson(const fs::path& path, const std::string& mapCrs,
                                        const terrain::MapExtent& site, const TraverseImportOptions& options) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(Error::Kind::NotFound, path.string() + ": no such file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Error::Kind::Io, path.string() + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parseTraverseGeoJson(ss.str(), path.string(), mapCrs, site, options);
}

std::string driveLogToGeoJson(const DriveLog& log, const std::string& mapCrs, double spacingM) {
    const std::string crs = mapCrs.empty() ? log.info.mapCrs : mapCrs;
    const std::string name = log.info.name.empty() ? "drive log" : log.info.name;
    if (crs.empty())
        throw Error(Error::Kind::Georeference,
                    name + ": the log names no map CRS; give the DTM so that its track can be put in longitude/latitude");
    if (log.size() == 0) throw Error(Error::Kind::InvalidArgument, name + ": the log has no samples");
    const DriveLog thin = thinDriveLog(log, spacingM);
    const auto track = thin.track();
    const terrain::MapProjection proj = terrain::MapProjection::forCrs(crs, name + ": map_crs");
    const auto ll = proj.toLonLat(track);
    auto round9 = [](double v) { return std::round(v * 1e9) / 1e9; };
    nlohmann::ordered_json coords = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < ll.size(); ++i) {
        if (!ll[i])
            throw Error(Error::Kind::Georeference, name + ": E " + std::to_string(track[i].e) + " N " +
                                                       std::to_string(track[i].n) +
                                                       " cannot be transformed to longitude/latitude");
        const nlohmann::ordered_json c = {round9(ll[i]->lonDeg), round9(ll[i]->latDeg)};
        if (coords.empty() || coords.back() != c) coords.push_back(c);  // turns in place add nothing
    }
    if (coords.size() == 1) coords.push_back(coords.front());  // a LineString needs two positions
    auto props = [&](const char* kind) {
        nlohmann::ordered_json p;
        p["sol"] = log.info.sol ? nlohmann::ordered_json(*log.info.sol) : nlohmann::ordered_json(nullptr);
        p["site"] = log.info.site ? nlohmann::ordered_json(*log.info.site) : nlohmann::ordered_json(nullptr);
        p["drive"] = log.info.drive ? nlohmann::ordered_json(*log.info.drive) : nlohmann::ordered_json(nullptr);
        p["kind"] = kind;
        if (!log.info.name.empty()) p["name"] = log.info.name;
        return p;
    };
    nlohmann::ordered_json line = {{"type", "Feature"}, {"properties", props("track")},
                                   {"geometry", {{"type", "LineString"}, {"coordinates", coords}}}};
    line["properties"]["length_m"] = std::round(polylineLength(log.track()) * 1000.0) / 1000.0;
    line["properties"]["duration_s"] = std::round((thin.timeS(thin.size() - 1) - thin.timeS(0)) * 1000.0) / 1000.0;
    nlohmann::ordered_json end = {{"type", "Feature"}, {"properties", props("end")},
                                  {"geometry", {{"type", "Point"}, {"coordinates", coords.back()}}}};
    // One feature a line: compact, yet a diff or a person can still follow it.
    const auto compact = [](const nlohmann::ordered_json& j) {
        return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    };
    return "{\"type\": \"FeatureCollection\", \"name\": " + compact(nlohmann::ordered_json(name)) +
           ", \"features\": [\n" + compact(line) + ",\n" + compact(end) + "\n]}\n";
}

}  // namespace traverse::twin
