#include "twin/flight_rules.hpp"

#include "terrain/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include <cmath>

namespace traverse::twin {

std::string_view ruleName(Rule r) {
    switch (r) {
        case Rule::Tilt: return "tilt";
        case Rule::RockerLimit: return "rocker_limit";
        case Rule::BogieLimit: return "bogie_limit";
        case Rule::BellyClearance: return "belly_clearance";
        case Rule::WheelStep: return "wheel_step";
        case Rule::NoData: return "nodata_under_rover";
        case Rule::LeftSite: return "left_site";
        case Rule::KeepOut: return "keep_out";
        case Rule::KeepIn: return "keep_in";
        case Rule::TimeBudget: return "time_budget";
        case Rule::EnergyBudget: return "energy_budget";
    }
    return "?";
}

bool insidePolygon(const std::vector<terrain::MapPoint>& poly, terrain::MapPoint p) {
    bool in = false;
    for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
        const auto& a = poly[i];
        const auto& b = poly[j];
        if ((a.n > p.n) != (b.n > p.n) && p.e < (b.e - a.e) * (p.n - a.n) / (b.n - a.n) + a.e) in = !in;
    }
    return in;
}

namespace {

Zone zoneFrom(const nlohmann::json& geometry, const std::string& name, bool keepIn, const std::string& where) {
    auto fail = [&](const std::string& why) { return Error(Error::Kind::Format, where + ": " + why); };
    if (!geometry.is_object() || !geometry.contains("type") || !geometry.contains("coordinates"))
        throw fail("not a GeoJSON geometry");
    const std::string type = geometry["type"].get<std::string>();
    if (type != "Polygon") throw fail("a " + type + " is not a zone (Polygon or MultiPolygon)");
    const auto& rings = geometry["coordinates"];
    if (!rings.is_array() || rings.empty()) throw fail("polygon without coordinates");
    if (rings.size() > 1) throw fail("polygons with holes are not supported");
    Zone z;
    z.name = name;
    z.keepIn = keepIn;
    for (const auto& pt : rings[0]) {
        if (!pt.is_array() || pt.size() < 2 || !pt[0].is_number() || !pt[1].is_number())
            throw fail("a vertex is not [easting, northing]");
        const double e = pt[0].get<double>(), n = pt[1].get<double>();
        if (!std::isfinite(e) || !std::isfinite(n)) throw fail("a vertex is not finite");
        z.polygon.push_back({e, n});
    }
    if (z.polygon.size() > 1 && z.polygon.front().e == z.polygon.back().e && z.polygon.front().n == z.polygon.back().n)
        z.polygon.pop_back();  // GeoJSON rings repeat their first vertex
    if (z.polygon.size() < 3) throw fail("a polygon needs at least three vertices");
    return z;
}

}  // namespace

std::vector<Zone> parseZonesGeoJson(const std::string& text, const std::string& source, bool defaultKeepIn) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(Error::Kind::Format, source + ": not valid JSON (" + e.what() + ")");
    }
    std::vector<Zone> zones;
    auto addFeature = [&](const nlohmann::json& f, const std::string& where) {
        std::string name = where;
        bool keepIn = defaultKeepIn;
        if (f.contains("properties") && f["properties"].is_object()) {
            const auto& p = f["properties"];
            if (p.contains("name") && p["name"].is_string()) name = p["name"].get<std::string>();
            if (p.contains("kind")) {
                const std::string k = p["kind"].is_string() ? p["kind"].get<std::string>() : "";
                if (k == "keep-in") keepIn = true;
                else if (k == "keep-out") keepIn = false;
                else throw Error(Error::Kind::Format, source + ": " + where + ": kind must be \"keep-in\" or \"keep-out\"");
            }
        }
        if (!f.contains("geometry")) throw Error(Error::Kind::Format, source + ": " + where + ": feature without geometry");
        const auto& g = f["geometry"];
        if (g.is_object() && g.value("type", "") == "MultiPolygon") {
            int k = 0;
            for (const auto& poly : g["coordinates"])
                zones.push_back(zoneFrom({{"type", "Polygon"}, {"coordinates", poly}}, name + "#" + std::to_string(k++),
                                         keepIn, source + ": " + where));
        } else {
            zones.push_back(zoneFrom(g, name, keepIn, source + ": " + where));
        }
    };
    try {
        const std::string type = j.value("type", "");
        if (type == "FeatureCollection") {
            int i = 0;
            for (const auto& f : j.at("features")) {
                addFeature(f, "features[" + std::to_string(i) + "]");
                ++i;
            }
        } else if (type == "Feature") {
            addFeature(j, "feature");
        } else {
            addFeature({{"geometry", j}}, "geometry");
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(Error::Kind::Format, source + ": not a GeoJSON zone file (" + e.what() + ")");
    }
    return zones;
}

std::vector<Zone> loadZonesGeoJson(const std::filesystem::path& path, bool defaultKeepIn) {
    std::ifstream in(path);
    if (!in) throw Error(Error::Kind::NotFound, path.string() + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return parseZonesGeoJson(ss.str(), path.string(), defaultKeepIn);
}

RuleLimits RuleLimits::fromRover(const RoverConfig& r) {
    RuleLimits l;
    l.maxTiltDeg = r.maxTiltPlanningDeg;
    l.rockerLimitDeg = r.rockerLimitDeg;
    l.bogieLimitDeg = r.bogieLimitDeg;
    l.maxWheelStepM = r.maxRockHeightM;
    return l;
}

void FlightRuleChecker::flag(Rule rule, const StepState& s, double value, double limit, bool worseIsHigher) {
    const auto i = std::size_t(rule);
    Violation& v = first_[i];
    if (!seen_[i]) {
        seen_[i] = true;
        v = Violation{rule, s.commandIndex, s.e, s.n, s.timeS, value, limit, 0};
    } else if (worseIsHigher ? value > v.value : value < v.value) {
        v.value = value;  // keep where it first broke, report the worst value
    }
    ++v.steps;
}

void FlightRuleChecker::check(const StepState& s) {
    ++steps_;
    values_ += 13;  // tilt, 2 rockers, 2 bogies, clearance, wheel step, nodata, site, 2 zones, time, energy
    if (s.tiltDeg > limits_.maxTiltDeg) flag(Rule::Tilt, s, s.tiltDeg, limits_.maxTiltDeg, true);
    const double rocker = std::max(std::abs(s.rockerDeg[0]), std::abs(s.rockerDeg[1]));
    if (rocker > limits_.rockerLimitDeg) flag(Rule::RockerLimit, s, rocker, limits_.rockerLimitDeg, true);
    const double bogie = std::max(std::abs(s.bogieDeg[0]), std::abs(s.bogieDeg[1]));
    if (bogie > limits_.bogieLimitDeg) flag(Rule::BogieLimit, s, bogie, limits_.bogieLimitDeg, true);
    if (!s.noData && s.minBellyClearanceM < limits_.minBellyClearanceM)
        flag(Rule::BellyClearance, s, s.minBellyClearanceM, limits_.minBellyClearanceM, false);
    if (s.maxWheelStepM > limits_.maxWheelStepM) flag(Rule::WheelStep, s, s.maxWheelStepM, limits_.maxWheelStepM, true);
    if (s.noData) flag(Rule::NoData, s, 1.0, 0.0, true);
    if (s.outsideSite) flag(Rule::LeftSite, s, 1.0, 0.0, true);
    if (s.inKeepOut) flag(Rule::KeepOut, s, 1.0, 0.0, true);
    if (s.outsideKeepIn) flag(Rule::KeepIn, s, 1.0, 0.0, true);
    if (s.timeS > limits_.timeBudgetS) flag(Rule::TimeBudget, s, s.timeS, limits_.timeBudgetS, true);
    if (s.energyWh > limits_.energyBudgetWh) flag(Rule::EnergyBudget, s, s.energyWh, limits_.energyBudgetWh, true);
}

Verdict FlightRuleChecker::verdict() const {
    Verdict v;
    v.steps = steps_;
    v.valuesChecked = values_;
    for (int i = 0; i < kRuleCount; ++i)
        if (seen_[std::size_t(i)]) v.violations.push_back(first_[std::size_t(i)]);
    v.pass = v.violations.empty();
    return v;
}

const Violation* Verdict::find(Rule rule) const {
    for (const auto& v : violations)
        if (v.rule == rule) return &v;
    return nullptr;
}

std::string Verdict::toJson() const {
    nlohmann::json j;
    j["pass"] = pass;
    j["steps"] = steps;
    j["values_checked"] = valuesChecked;
    j["violations"] = nlohmann::json::array();
    for (const auto& v : violations)
        j["violations"].push_back({{"rule", std::string(ruleName(v.rule))},
                                   {"command_index", v.commandIndex},
                                   {"east_m", v.e},
                                   {"north_m", v.n},
                                   {"time_s", v.timeS},
                                   {"worst_value", v.value},
                                   {"limit", v.limit},
                                   {"steps", v.steps}});
    return j.dump(2);
}

}  // namespace traverse::twin
