#include "twin/rover_config.hpp"

#include "twin/strict_json.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace traverse::twin {

namespace {

namespace fs = std::filesystem;

// Ordered, so that a written file lists the groups and fields in the struct's order and the first
// unknown key reported is the first one in the file.
using Json = nlohmann::ordered_json;

constexpr std::string_view kFormat = "traverse-rover";
constexpr int kVersion = 1;

// The one table that ties a JSON path to a field: reading, writing and the field names in validation
// messages all go through it, so they cannot drift apart.
struct Field {
    const char* group;
    const char* key;
    double RoverConfig::*number = nullptr;
    bool RoverConfig::*flag = nullptr;
};

constexpr Field kFields[] = {
    {"mobility", "wheel_diameter_m", &RoverConfig::wheelDiameterM},
    {"mobility", "wheel_width_m", &RoverConfig::wheelWidthM},
    {"mobility", "front_wheel_x_m", &RoverConfig::frontWheelXM},
    {"mobility", "middle_wheel_x_m", &RoverConfig::middleWheelXM},
    {"mobility", "rear_wheel_x_m", &RoverConfig::rearWheelXM},
    {"mobility", "track_width_m", &RoverConfig::trackWidthM},
    {"mobility", "rocker_pivot_x_m", &RoverConfig::rockerPivotXM},
    {"mobility", "bogie_pivot_x_m", &RoverConfig::bogiePivotXM},
    {"mobility", "rocker_limit_deg", &RoverConfig::rockerLimitDeg},
    {"mobility", "bogie_limit_deg", &RoverConfig::bogieLimitDeg},
    {"body", "length_m", &RoverConfig::bodyLengthM},
    {"body", "width_m", &RoverConfig::bodyWidthM},
    {"body", "belly_clearance_m", &RoverConfig::bellyClearanceM},
    {"body", "belly_length_m", &RoverConfig::bellyLengthM},
    {"body", "belly_width_m", &RoverConfig::bellyWidthM},
    {"body", "mass_kg", &RoverConfig::massKg},
    {"body", "cg_height_m", &RoverConfig::cgHeightM},
    {"driving", "top_speed_mps", &RoverConfig::topSpeedMps},
    {"driving", "turn_rate_degps", &RoverConfig::turnRateDegps},
    {"driving", "can_turn_in_place", nullptr, &RoverConfig::canTurnInPlace},
    {"limits", "max_tilt_planning_deg", &RoverConfig::maxTiltPlanningDeg},
    {"limits", "max_tilt_survivable_deg", &RoverConfig::maxTiltSurvivableDeg},
    {"limits", "max_rock_height_m", &RoverConfig::maxRockHeightM},
    {"limits", "max_roughness_m", &RoverConfig::maxRoughnessM},
    {"energy", "drive_power_w", &RoverConfig::drivePowerW},
    {"energy", "turn_power_w", &RoverConfig::turnPowerW},
    {"energy", "mobility_efficiency", &RoverConfig::mobilityEfficiency},
    {"slip", "base", &RoverConfig::slipBase},
    {"slip", "slope_gain", &RoverConfig::slipSlopeGain},
    {"slip", "roughness_gain", &RoverConfig::slipRoughnessGain},
    {"slip", "max", &RoverConfig::slipMax},
    {"odometry", "blind_error_fraction", &RoverConfig::blindOdometryErrorFraction},
    {"odometry", "vo_error_fraction", &RoverConfig::voOdometryErrorFraction},
};

constexpr const char* kGroups[] = {"mobility", "body", "driving", "limits", "energy", "slip", "odometry"};
constexpr const char* kTopLevelKeys[] = {"format", "version", "name"};

std::string joinPath(std::string_view group, std::string_view key) {
    std::string p(group);
    p += '.';
    p += key;
    return p;
}

std::string pathOf(double RoverConfig::*member) {
    for (const Field& f : kFields)
        if (f.number == member) return joinPath(f.group, f.key);
    return "?";  // unreachable: every double field is in the table
}

// Shortest text that reads back as the same double (and "nan", "inf" as they are).
std::string formatNumber(double v) {
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

// A JSON value as it appeared, shortened for an error message.
std::string describe(const Json& v) {
    if (v.is_null()) return "null";
    std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + text;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// " (did you mean X?)" for a misspelt key, or a key put in the wrong group; empty when nothing is close.
std::string suggestion(std::string_view key, std::string_view group) {
    std::string best;
    std::size_t bestDistance = 3;  // suggest only within two edits
    auto consider = [&](const std::string& candidate, std::string_view candidateKey) {
        const std::size_t d = editDistance(key, candidateKey);
        if (d < bestDistance) {
            bestDistance = d;
            best = candidate;
        }
    };
    if (group.empty()) {
        for (const char* g : kGroups) consider(g, g);
        for (const char* k : kTopLevelKeys) consider(k, k);
    } else {
        for (const Field& f : kFields)
            if (group == f.group) consider(joinPath(f.group, f.key), f.key);
    }
    if (best.empty()) {
        for (const Field& f : kFields)
            if (key == f.key) return std::string(" (did you mean ") + joinPath(f.group, f.key) + "?)";
        return {};
    }
    return " (did you mean " + best + "?)";
}

[[noreturn]] void fieldError(const std::string& source, const std::string& path, const std::string& why) {
    throw Error(Error::Kind::InvalidArgument, source + ": " + path + " " + why);
}


void readHeader(const Json& root, const std::string& source) {
    const auto format = root.find("format");
    if (format == root.end())
        throw Error(Error::Kind::Format, source + ": not a rover configuration (no \"format\": \"" +
                                             std::string(kFormat) + "\")");
    if (!format->is_string() || format->get_ref<const std::string&>() != kFormat)
        throw Error(Error::Kind::Format, source + ": not a rover configuration (\"format\" is " +
                                             describe(*format) + ", expected \"" + std::string(kFormat) +
                                             "\")");
    const auto version = root.find("version");
    if (version == root.end())
        throw Error(Error::Kind::Format, source + ": no \"version\"");
    if (!version->is_number_integer())
        throw Error(Error::Kind::Format, source + ": \"version\" must be an integer, got " + describe(*version));
    if (version->is_number_unsigned() ? version->get<std::uint64_t>() > std::uint64_t(kVersion)
                                      : version->get<std::int64_t>() > kVersion)
        throw Error(Error::Kind::Format, source + ": version " + version->dump() +
                                             " is newer than this program reads (up to " +
                                             std::to_string(kVersion) + ")");
    if (version->get<std::int64_t>() < 1)
        throw Error(Error::Kind::Format, source + ": unsupported version " + version->dump());
}

void readGroup(const Json& group, const std::string& groupName, RoverConfig& rover, const std::string& source) {
    if (!group.is_object()) fieldError(source, groupName, "must be an object, got " + describe(group));
    for (const auto& [key, value] : group.items()) {
        const Field* field = nullptr;
        for (const Field& f : kFields)
            if (groupName == f.group && key == f.key) field = &f;
        const std::string path = joinPath(groupName, key);
        if (!field)
            throw Error(Error::Kind::InvalidArgument,
                        source + ": unknown key " + path + suggestion(key, groupName));
        if (field->number) {
            if (!value.is_number()) fieldError(source, path, "must be a number, got " + describe(value));
            rover.*field->number = value.get<double>();
        } else {
            if (!value.is_boolean()) fieldError(source, path, "must be true or false, got " + describe(value));
            rover.*field->flag = value.get<bool>();
        }
    }
}

// Checks one field at a time, naming it by its JSON path.
class Validator {
public:
    Validator(const RoverConfig& rover, const std::string& source) : r_(rover), source_(source) {}

    using Member = double RoverConfig::*;

    [[noreturn]] void fail(Member m, const std::string& why) const { fieldError(source_, pathOf(m), why); }
    std::string got(Member m) const { return "got " + formatNumber(r_.*m); }
    std::string ref(Member m) const { return pathOf(m) + " (" + formatNumber(r_.*m) + ")"; }

    void finite(Member m) const {
        if (!std::isfinite(r_.*m)) fail(m, "must be a finite number, " + got(m));
    }
    void positive(Member m) const {
        if (!(r_.*m > 0.0)) fail(m, "must be positive, " + got(m));
    }
    void nonNegative(Member m) const {
        if (!(r_.*m >= 0.0)) fail(m, "must not be negative, " + got(m));
    }
    void fraction(Member m) const {  // [0, 1)
        if (!(r_.*m >= 0.0 && r_.*m < 1.0)) fail(m, "must be in [0, 1), " + got(m));
    }
    void angle(Member m) const {  // (0, 90)
        if (!(r_.*m > 0.0 && r_.*m < 90.0)) fail(m, "must be in (0, 90) degrees, " + got(m));
    }
    void less(Member m, Member bound) const {
        if (!(r_.*m < r_.*bound)) fail(m, "must be less than " + ref(bound) + ", " + got(m));
    }
    void notMore(Member m, Member bound) const {
        if (!(r_.*m <= r_.*bound)) fail(m, "must not exceed " + ref(bound) + ", " + got(m));
    }
    void notLess(Member m, Member bound) const {
        if (!(r_.*m >= r_.*bound)) fail(m, "must be at least " + ref(bound) + ", " + got(m));
    }
    void between(Member m, Member low, Member high) const {
        if (!(r_.*m > r_.*low && r_.*m < r_.*high))
            fail(m, "must lie strictly between " + ref(low) + " and " + ref(high) + ", " + got(m));
    }
    // Wheels one behind the other must not overlap: axles at least a wheel diameter apart.
    void wheelGap(Member ahead, Member behind) const {
        if (!(r_.*ahead - r_.*behind >= r_.wheelDiameterM))
            fail(ahead, "must be at least one wheel diameter (" + formatNumber(r_.wheelDiameterM) +
                            " m) ahead of " + ref(behind) + ", " + got(ahead));
    }

private:
    const RoverConfig& r_;
    const std::string& source_;
};

}  // namespace

RoverConfig parseRoverConfig(const std::string& json, const std::string& source) {
    const std::string name = source.empty() ? std::string("rover configuration") : source;
    Json root;
    try {
        root = parseStrictOrderedJson(json, [&](const std::string& where, const std::string& key) {
            fieldError(name, where.empty() ? key : where + "." + key, "appears more than once");
        });
    } catch (const nlohmann::json::exception& e) {
        // A syntax error, or a number too large for a double (nlohmann reports that as out_of_range).
        throw Error(Error::Kind::Format, name + ": malformed JSON: " + e.what());
    }
    if (!root.is_object())
        throw Error(Error::Kind::Format, name + ": not a rover configuration (the top level is a " +
                                             std::string(root.type_name()) + ", not an object)");
    readHeader(root, name);

    RoverConfig rover;
    for (const auto& [key, value] : root.items()) {
        if (key == "format" || key == "version") continue;
        if (key == "name") {
            if (!value.is_string()) fieldError(name, "name", "must be a string, got " + describe(value));
            rover.name = value.get<std::string>();
            continue;
        }
        if (std::find_if(std::begin(kGroups), std::end(kGroups), [&](const char* g) { return key == g; }) ==
            std::end(kGroups))
            throw Error(Error::Kind::InvalidArgument, name + ": unknown key " + key + suggestion(key, {}));
        readGroup(value, key, rover, name);
    }
    validateRoverConfig(rover, name);
    return rover;
}

RoverConfig loadRoverConfig(const fs::path& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) throw Error(Error::Kind::NotFound, path.string() + ": no such file");
    if (fs::is_directory(status))
        throw Error(Error::Kind::Format, path.string() + ": is a folder, not a rover configuration file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Error::Kind::Io, path.string() + ": cannot open (" + std::strerror(errno) + ")");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error(Error::Kind::Io, path.string() + ": read failed");
    return parseRoverConfig(text.str(), path.string());
}

std::string roverConfigToJson(const RoverConfig& rover) {
    Json root;
    root["format"] = kFormat;
    root["version"] = kVersion;
    root["name"] = rover.name;
    for (const Field& f : kFields) {
        if (f.number)
            root[f.group][f.key] = rover.*f.number;
        else
            root[f.group][f.key] = rover.*f.flag;
    }
    // nlohmann writes the shortest decimal that reads back as the same double.
    return root.dump(2, ' ', false, Json::error_handler_t::replace);
}

void saveRoverConfig(const RoverConfig& rover, const fs::path& path) {
    // Never write a file that loadRoverConfig would refuse.
    validateRoverConfig(rover, path.string());
    const std::string text = roverConfigToJson(rover) + "\n";

    traverse::writeFileAtomically(path, text);
}

void validateRoverConfig(const RoverConfig& r, const std::string& source) {
    const std::string name = source.empty() ? std::string("rover configuration") : source;
    if (r.name.empty()) fieldError(name, "name", "must not be empty");

    const Validator v(r, name);
    using R = RoverConfig;
    // Finite first, so that the comparisons below never see a NaN.
    for (const Field& f : kFields)
        if (f.number) v.finite(f.number);

    // Mobility geometry.
    v.positive(&R::wheelDiameterM);
    v.positive(&R::wheelWidthM);
    v.less(&R::middleWheelXM, &R::frontWheelXM);
    v.less(&R::rearWheelXM, &R::middleWheelXM);
    v.wheelGap(&R::frontWheelXM, &R::middleWheelXM);
    v.wheelGap(&R::middleWheelXM, &R::rearWheelXM);
    v.positive(&R::trackWidthM);
    if (!(r.trackWidthM > r.wheelWidthM))
        v.fail(&R::trackWidthM, "must exceed " + v.ref(&R::wheelWidthM) +
                                    " so that the left and right wheels do not overlap, " + v.got(&R::trackWidthM));
    v.between(&R::bogiePivotXM, &R::rearWheelXM, &R::middleWheelXM);
    v.between(&R::rockerPivotXM, &R::bogiePivotXM, &R::frontWheelXM);
    v.angle(&R::rockerLimitDeg);
    v.angle(&R::bogieLimitDeg);

    // Body.
    v.positive(&R::bodyLengthM);
    v.positive(&R::bodyWidthM);
    v.positive(&R::bellyClearanceM);
    v.positive(&R::bellyLengthM);
    v.notMore(&R::bellyLengthM, &R::bodyLengthM);
    v.positive(&R::bellyWidthM);
    v.notMore(&R::bellyWidthM, &R::bodyWidthM);
    v.positive(&R::massKg);
    v.positive(&R::cgHeightM);
    v.less(&R::bellyClearanceM, &R::cgHeightM);

    // Driving.
    v.positive(&R::topSpeedMps);
    v.positive(&R::turnRateDegps);

    // Limits.
    v.angle(&R::maxTiltPlanningDeg);
    v.angle(&R::maxTiltSurvivableDeg);
    v.notLess(&R::maxTiltSurvivableDeg, &R::maxTiltPlanningDeg);
    v.positive(&R::maxRockHeightM);
    v.notMore(&R::maxRockHeightM, &R::bellyClearanceM);
    v.positive(&R::maxRoughnessM);

    // Energy.
    v.positive(&R::drivePowerW);
    v.positive(&R::turnPowerW);
    if (!(r.mobilityEfficiency > 0.0 && r.mobilityEfficiency <= 1.0))
        v.fail(&R::mobilityEfficiency, "must be in (0, 1], " + v.got(&R::mobilityEfficiency));

    // Slip.
    v.fraction(&R::slipBase);
    v.nonNegative(&R::slipSlopeGain);
    v.nonNegative(&R::slipRoughnessGain);
    v.fraction(&R::slipMax);
    v.notMore(&R::slipBase, &R::slipMax);

    // Odometry.
    v.fraction(&R::blindOdometryErrorFraction);
    v.fraction(&R::voOdometryErrorFraction);
    v.notMore(&R::voOdometryErrorFraction, &R::blindOdometryErrorFraction);
}

terrain::HazardParams hazardParamsFor(const RoverConfig& r) {
    terrain::HazardParams p;
    p.footprintM = r.bodyLengthM;
    p.wheelM = r.wheelDiameterM;
    p.unknownBufferM = r.bodyWidthM / 2.0;
    p.limits.maxSlopeDeg = r.maxTiltPlanningDeg;
    p.limits.maxStepM = r.maxRockHeightM;
    p.limits.maxRoughnessM = r.maxRoughnessM;
    return p;
}

}  // namespace traverse::twin
