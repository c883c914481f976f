#pragma once
// Flight rules: what must hold at every step of a simulated drive. The verdict names each violated
// rule with the command and the position where it first broke, and counts what was checked.
#include "terrain/geometry.hpp"
#include "twin/rover_config.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::twin {

enum class Rule : int {
    Tilt,            // body tilt above the planning limit
    RockerLimit,     // a rocker beyond its rotation limit
    BogieLimit,      // a bogie beyond its rotation limit
    BellyClearance,  // terrain closer to the body's underside than the required clearance
    WheelStep,       // a height difference under a wheel above the rock-height limit
    NoData,          // unknown terrain under the rover
    LeftSite,        // the rover outside the DTM
    KeepOut,         // the rover's footprint in a keep-out zone
    KeepIn,          // the rover's footprint outside a keep-in zone
    TimeBudget,      // elapsed time above the budget
    EnergyBudget,    // energy above the budget
};
inline constexpr int kRuleCount = 11;
std::string_view ruleName(Rule rule);  // e.g. "tilt"

struct Zone {
    std::string name;
    bool keepIn = false;                     // false: keep-out
    std::vector<terrain::MapPoint> polygon;  // map frame, any orientation, not closed
};
bool insidePolygon(const std::vector<terrain::MapPoint>& polygon, terrain::MapPoint p);

// Zones from GeoJSON (a FeatureCollection, a Feature or a bare geometry) of Polygons or
// MultiPolygons in the DTM's map frame (outer rings; holes are not supported and are refused).
// A feature's property "kind" ("keep-out" or "keep-in") or `defaultKeepIn` says which; "name" names
// it. Throws Error naming the file and the feature for anything else.
std::vector<Zone> loadZonesGeoJson(const std::filesystem::path& path, bool defaultKeepIn = false);
std::vector<Zone> parseZonesGeoJson(const std::string& json, const std::string& source, bool defaultKeepIn = false);

struct RuleLimits {
    double maxTiltDeg = 30.0;
    double rockerLimitDeg = 25.0, bogieLimitDeg = 40.0;
    double minBellyClearanceM = 0.0;
    double maxWheelStepM = 0.40;
    double timeBudgetS = std::numeric_limits<double>::infinity();
    double energyBudgetWh = std::numeric_limits<double>::infinity();
    static RuleLimits fromRover(const RoverConfig& rover);
};

// What the rules look at in one step.
struct StepState {
    int commandIndex = 0;
    double e = 0.0, n = 0.0, timeS = 0.0, energyWh = 0.0;
    double tiltDeg = 0.0;
    double rockerDeg[2]{}, bogieDeg[2]{};
    double minBellyClearanceM = 0.0;
    double maxWheelStepM = 0.0;
    bool noData = false;
    bool outsideSite = false;
    bool inKeepOut = false, outsideKeepIn = false;
};

struct Violation {
    Rule rule;
    int commandIndex = 0;
    double e = 0.0, n = 0.0, timeS = 0.0;
    double value = 0.0, limit = 0.0;   // worst value seen, and the limit it broke
    std::int64_t steps = 0;            // steps in violation
};

struct Verdict {
    bool pass = true;
    std::vector<Violation> violations;  // one per violated rule, in rule order
    std::int64_t steps = 0;
    std::int64_t valuesChecked = 0;     // telemetry values compared with a limit
    std::string toJson() const;
    const Violation* find(Rule rule) const;
};

class FlightRuleChecker {
public:
    explicit FlightRuleChecker(const RuleLimits& limits) : limits_(limits) {}
    void check(const StepState& s);
    Verdict verdict() const;

private:
    void flag(Rule rule, const StepState& s, double value, double limit, bool worseIsHigher);
    RuleLimits limits_;
    std::array<Violation, kRuleCount> first_{};
    std::array<bool, kRuleCount> seen_{};
    std::int64_t steps_ = 0, values_ = 0;
};

}  // namespace traverse::twin
