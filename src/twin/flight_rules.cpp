#include "twin/flight_rules.hpp"

#include <nlohmann/json.hpp>

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
