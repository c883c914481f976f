#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "twin/rover_config.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>

#include <unistd.h>

#ifndef TRAVERSE_SOURCE_DIR
#error "TRAVERSE_SOURCE_DIR must name the repository root (the build defines it)"
#endif

using namespace traverse;
using namespace traverse::twin;
namespace fs = std::filesystem;

namespace {

using ScratchDir = traverse::test::TempDir;

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every field, compared exactly: a round trip must not lose a bit.
void requireSame(const RoverConfig& a, const RoverConfig& b) {
#define SAME(f) CHECK(a.f == b.f)
    SAME(name);
    SAME(wheelDiameterM);
    SAME(wheelWidthM);
    SAME(frontWheelXM);
    SAME(middleWheelXM);
    SAME(rearWheelXM);
    SAME(trackWidthM);
    SAME(rockerPivotXM);
    SAME(bogiePivotXM);
    SAME(rockerLimitDeg);
    SAME(bogieLimitDeg);
    SAME(bodyLengthM);
    SAME(bodyWidthM);
    SAME(bellyClearanceM);
    SAME(bellyLengthM);
    SAME(bellyWidthM);
    SAME(massKg);
    SAME(cgHeightM);
    SAME(topSpeedMps);
    SAME(turnRateDegps);
    SAME(canTurnInPlace);
    SAME(maxTiltPlanningDeg);
    SAME(maxTiltSurvivableDeg);
    SAME(maxRockHeightM);
    SAME(maxRoughnessM);
    SAME(drivePowerW);
    SAME(turnPowerW);
    SAME(mobilityEfficiency);
    SAME(slipBase);
    SAME(slipSlopeGain);
    SAME(slipRoughnessGain);
    SAME(slipMax);
    SAME(blindOdometryErrorFraction);
    SAME(voOdometryErrorFraction);
#undef SAME
}

// Every field moved off its default, with values that are not short decimals.
RoverConfig unusualRover() {
    RoverConfig r;
    r.name = "test rover \"B\" – ünïcode";
    r.wheelDiameterM = 0.1 + 0.2;  // 0.30000000000000004
    r.wheelWidthM = 1.0 / 7.0;
    r.frontWheelXM = 1.0 / 3.0 + 1.0;
    r.middleWheelXM = std::nextafter(0.0, 1.0);  // the smallest subnormal
    r.rearWheelXM = -std::sqrt(2.0);
    r.trackWidthM = std::nextafter(2.2, 3.0);
    r.rockerPivotXM = 0.123456789012345678;
    r.bogiePivotXM = -0.7071067811865476;
    r.rockerLimitDeg = 33.3;
    r.bogieLimitDeg = 44.4;
    r.bodyLengthM = 2.9;
    r.bodyWidthM = 2.6;
    r.bellyClearanceM = 0.55;
    r.bellyLengthM = 2.1;
    r.bellyWidthM = 1.5;
    r.massKg = 899.0;
    r.cgHeightM = 1.0e0 + 1e-15;
    r.topSpeedMps = 0.04;
    r.turnRateDegps = 1.5;
    r.canTurnInPlace = false;
    r.maxTiltPlanningDeg = 20.0;
    r.maxTiltSurvivableDeg = 40.0;
    r.maxRockHeightM = 0.35;
    r.maxRoughnessM = 0.12;
    r.drivePowerW = 1e3 / 3.0;
    r.turnPowerW = 99.5;
    r.mobilityEfficiency = 1.0;
    r.slipBase = 0.0;
    r.slipSlopeGain = 1.7;
    r.slipRoughnessGain = 0.0;
    r.slipMax = 0.95;
    r.blindOdometryErrorFraction = 0.1;
    r.voOdometryErrorFraction = 0.02;
    return r;
}

const std::string kHeader = R"("format": "traverse-rover", "version": 1)";

// The Error a JSON text raises; fails the test if it raises none.
Error errorFrom(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no traverse::Error was thrown");
    return Error(Error::Kind::Io, "unreachable");
}

Error parseError(const std::string& body) {
    return errorFrom([&] { parseRoverConfig("{" + kHeader + ", " + body + "}", "test.json"); });
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the default rover is valid") {
    CHECK_NOTHROW(validateRoverConfig(RoverConfig{}, "defaults"));
    CHECK_NOTHROW(validateRoverConfig(unusualRover(), "unusual"));
}

TEST_CASE("save then load gives back every field exactly") {
    ScratchDir dir;
    const fs::path file = dir / "rover.json";
    const RoverConfig original = unusualRover();
    saveRoverConfig(original, file);
    requireSame(loadRoverConfig(file), original);

    // Overwriting an existing file, and nothing left behind but the file itself.
    saveRoverConfig(RoverConfig{}, file);
    requireSame(loadRoverConfig(file), RoverConfig{});
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir.path())) {
        CHECK(e.path().filename() == "rover.json");
        ++entries;
    }
    CHECK(entries == 1);

    // The text form alone round-trips too, and is pretty-printed with one field per line.
    const std::string text = roverConfigToJson(original);
    requireSame(parseRoverConfig(text, "text"), original);
    CHECK(contains(text, "\n  \"mobility\": {\n    \"wheel_diameter_m\": 0.30000000000000004,\n"));
    CHECK(readText(file) == roverConfigToJson(RoverConfig{}) + "\n");
}

TEST_CASE("saving refuses an invalid rover and leaves the old file alone") {
    ScratchDir dir;
    const fs::path file = dir / "rover.json";
    saveRoverConfig(RoverConfig{}, file);
    const std::string before = readText(file);
    RoverConfig bad;
    bad.massKg = -1.0;
    const Error e = errorFrom([&] { saveRoverConfig(bad, file); });
    CHECK(e.kind() == Error::Kind::InvalidArgument);
    CHECK(contains(e.what(), "body.mass_kg"));
    CHECK(readText(file) == before);

    const Error missing = errorFrom([&] { saveRoverConfig(RoverConfig{}, dir / "no-such-folder" / "r.json"); });
    CHECK(missing.kind() == Error::Kind::NotFound);
    CHECK(contains(missing.what(), "no-such-folder"));
}

TEST_CASE("the bundled perseverance.json is the defaults, written out in full") {
    const fs::path file = fs::path(TRAVERSE_SOURCE_DIR) / "resources" / "rover" / "perseverance.json";
    requireSame(loadRoverConfig(file), RoverConfig{});
    // Byte for byte what saveRoverConfig writes: regenerate the file when a default changes.
    CHECK(readText(file) == roverConfigToJson(RoverConfig{}) + "\n");
}

TEST_CASE("a partial file keeps the defaults for what it omits") {
    const RoverConfig r = parseRoverConfig("{" + kHeader + R"(, "name": "tilt-shy",
        "limits": {"max_tilt_planning_deg": 25},
        "driving": {"can_turn_in_place": false},
        "slip": {}})",
                                           "partial.json");
    RoverConfig expected;
    expected.name = "tilt-shy";
    expected.maxTiltPlanningDeg = 25.0;
    expected.canTurnInPlace = false;
    requireSame(r, expected);
    requireSame(parseRoverConfig("{" + kHeader + "}", "header-only.json"), RoverConfig{});
}

TEST_CASE("a bad value is an InvalidArgument naming the source, the field and why") {
    SECTION("negative wheel diameter") {
        const Error e = parseError(R"("mobility": {"wheel_diameter_m": -0.5})");
        CHECK(e.kind() == Error::Kind::InvalidArgument);
        CHECK(std::string(e.what()) == "test.json: mobility.wheel_diameter_m must be positive, got -0.5");
    }
    SECTION("efficiency above one") {
        const Error e = parseError(R"("energy": {"mobility_efficiency": 1.5})");
        CHECK(e.kind() == Error::Kind::InvalidArgument);
        CHECK(contains(e.what(), "test.json"));
        CHECK(contains(e.what(), "energy.mobility_efficiency"));
        CHECK(contains(e.what(), "(0, 1]"));
        CHECK(contains(e.what(), "1.5"));
    }
    SECTION("survivable tilt below the planning tilt") {
        const Error e = parseError(R"("limits": {"max_tilt_planning_deg": 30, "max_tilt_survivable_deg": 25})");
        CHECK(e.kind() == Error::Kind::InvalidArgument);
        CHECK(contains(e.what(), "limits.max_tilt_survivable_deg"));
        CHECK(contains(e.what(), "limits.max_tilt_planning_deg (30)"));
        CHECK(contains(e.what(), "got 25"));
    }
    SECTION("wheels out of order") {
        const Error e = parseError(R"("mobility": {"middle_wheel_x_m": 1.5})");
        CHECK(e.kind() == Error::Kind::InvalidArgument);
        CHECK(contains(e.what(), "mobility.middle_wheel_x_m must be less than mobility.front_wheel_x_m (1.1)"));
    }
    SECTION("bogie pivot outside the bogie") {
        const Error e = parseError(R"("mobility": {"bogie_pivot_x_m": 0.1})");
        CHECK(contains(e.what(), "mobility.bogie_pivot_x_m must lie strictly between mobility.rear_wheel_x_m"));
    }
    SECTION("slip base above slip max") {
        const Error e = parseError(R"("slip": {"base": 0.5, "max": 0.4})");
        CHECK(contains(e.what(), "slip.base must not exceed slip.max (0.4), got 0.5"));
    }
    SECTION("angle limit out of (0, 90)") {
        const Error e = parseError(R"("mobility": {"rocker_limit_deg": 90})");
        CHECK(contains(e.what(), "mobility.rocker_limit_deg must be in (0, 90) degrees, got 90"));
    }
    SECTION("belly above the centre of mass") {
        const Error e = parseError(R"("body": {"belly_clearance_m": 1.2})");
        CHECK(contains(e.what(), "body.belly_clearance_m must be less than body.cg_height_m (1.1), got 1.2"));
    }
    SECTION("empty name") {
        const Error e = parseError(R"("name": "")");
        CHECK(contains(e.what(), "test.json: name must not be empty"));
    }
}

TEST_CASE("a value that is not finite is named") {
    RoverConfig r;
    r.slipSlopeGain = std::numeric_limits<double>::quiet_NaN();
    const Error e = errorFrom([&] { validateRoverConfig(r, "in memory"); });
    CHECK(e.kind() == Error::Kind::InvalidArgument);
    CHECK(std::string(e.what()) == "in memory: slip.slope_gain must be a finite number, got nan");
    r = RoverConfig{};
    r.topSpeedMps = std::numeric_limits<double>::infinity();
    CHECK(contains(errorFrom([&] { validateRoverConfig(r, "x"); }).what(), "driving.top_speed_mps"));
    // Beyond a double's range in the file itself: the JSON reader refuses it.
    const Error overflow = parseError(R"("body": {"mass_kg": 1e999})");
    CHECK(overflow.kind() == Error::Kind::Format);
    CHECK(contains(overflow.what(), "1e999"));
}

TEST_CASE("the shape of the file is checked key by key") {
    SECTION("an unknown key is an error, with a suggestion") {
        const Error e = parseError(R"("mobility": {"wheel_diamter_m": 0.5})");
        CHECK(e.kind() == Error::Kind::InvalidArgument);
        CHECK(std::string(e.what()) ==
              "test.json: unknown key mobility.wheel_diamter_m (did you mean mobility.wheel_diameter_m?)");
    }
    SECTION("a field in the wrong group") {
        const Error e = parseError(R"("body": {"top_speed_mps": 0.05})");
        CHECK(contains(e.what(), "unknown key body.top_speed_mps (did you mean driving.top_speed_mps?)"));
    }
    SECTION("an unknown group") {
        const Error e = parseError(R"("mobilty": {})");
        CHECK(contains(e.what(), "unknown key mobilty (did you mean mobility?)"));
    }
    SECTION("a string where a number belongs") {
        const Error e = parseError(R"("mobility": {"wheel_diameter_m": "0.5"})");
        CHECK(e.kind() == Error::Kind::InvalidArgument);
        CHECK(contains(e.what(), "mobility.wheel_diameter_m must be a number, got string \"0.5\""));
    }
    SECTION("a number where a flag belongs") {
        const Error e = parseError(R"("driving": {"can_turn_in_place": 1})");
        CHECK(contains(e.what(), "driving.can_turn_in_place must be true or false"));
    }
    SECTION("a group that is not an object") {
        const Error e = parseError(R"("slip": 0.5)");
        CHECK(contains(e.what(), "slip must be an object"));
    }
    SECTION("a key given twice") {
        const Error e = parseError(R"("slip": {"max": 0.5, "max": 0.6})");
        CHECK(e.kind() == Error::Kind::InvalidArgument);
        CHECK(contains(e.what(), "slip.max appears more than once"));
    }
}

TEST_CASE("a file that is not a rover configuration is a Format error") {
    auto formatError = [](const std::string& text) {
        return errorFrom([&] { parseRoverConfig(text, "other.json"); });
    };
    const Error wrongFormat = formatError(R"({"format": "traverse-plan", "version": 1})");
    CHECK(wrongFormat.kind() == Error::Kind::Format);
    CHECK(contains(wrongFormat.what(), "other.json"));
    CHECK(formatError(R"({"version": 1})").kind() == Error::Kind::Format);
    CHECK(formatError(R"({"format": "traverse-rover"})").kind() == Error::Kind::Format);
    CHECK(formatError("[1, 2]").kind() == Error::Kind::Format);
    CHECK(formatError(R"({"format": "traverse-rover", "version": 1.5})").kind() == Error::Kind::Format);
    CHECK(formatError(R"({"format": "traverse-rover", "version": 0})").kind() == Error::Kind::Format);
    const Error newer = formatError(R"({"format": "traverse-rover", "version": 2})");
    CHECK(newer.kind() == Error::Kind::Format);
    CHECK(contains(newer.what(), "version 2 is newer"));
}

TEST_CASE("malformed JSON and a missing file name the file") {
    ScratchDir dir;
    const fs::path broken = dir / "broken.json";
    writeText(broken, "{" + kHeader + R"(, "mobility": {"wheel_diameter_m": 0.5,}})");
    const Error e = errorFrom([&] { loadRoverConfig(broken); });
    CHECK(e.kind() == Error::Kind::Format);
    CHECK(contains(e.what(), broken.string()));
    CHECK(contains(e.what(), "parse error"));  // nlohmann's own message, with line and column

    const fs::path empty = dir / "empty.json";
    writeText(empty, "");
    CHECK(errorFrom([&] { loadRoverConfig(empty); }).kind() == Error::Kind::Format);

    const fs::path absent = dir / "absent.json";
    const Error missing = errorFrom([&] { loadRoverConfig(absent); });
    CHECK(missing.kind() == Error::Kind::NotFound);
    CHECK(contains(missing.what(), absent.string()));

    // A bad value in a file names the file, not just the field.
    const fs::path bad = dir / "bad.json";
    writeText(bad, "{" + kHeader + R"(, "energy": {"drive_power_w": 0}})");
    const Error value = errorFrom([&] { loadRoverConfig(bad); });
    CHECK(std::string(value.what()) == bad.string() + ": energy.drive_power_w must be positive, got 0");
}

TEST_CASE("hazard parameters follow the rover's size and limits") {
    RoverConfig r;
    r.bodyLengthM = 2.5;
    r.bodyWidthM = 2.0;
    r.wheelDiameterM = 0.45;
    r.maxTiltPlanningDeg = 22.0;
    r.maxRockHeightM = 0.3;
    r.maxRoughnessM = 0.1;
    const terrain::HazardParams p = hazardParamsFor(r);
    CHECK(p.footprintM == 2.5);
    CHECK(p.wheelM == 0.45);
    CHECK(p.unknownBufferM == 1.0);
    CHECK(p.limits.maxSlopeDeg == 22.0);
    CHECK(p.limits.maxStepM == 0.3);
    CHECK(p.limits.maxRoughnessM == 0.1);

    // The default rover's windows and limits are the hazard maps' own defaults (the unknown-terrain
    // buffer is not: half of the 2.7 m body width is 1.35 m, the hazard default is 1.5 m).
    const terrain::HazardParams d = hazardParamsFor(RoverConfig{});
    const terrain::HazardParams h;
    CHECK(d.footprintM == h.footprintM);
    CHECK(d.wheelM == h.wheelM);
    CHECK(d.unknownBufferM == 1.35);
    CHECK(d.limits.maxSlopeDeg == h.limits.maxSlopeDeg);
    CHECK(d.limits.maxStepM == h.limits.maxStepM);
    CHECK(d.limits.maxRoughnessM == h.limits.maxRoughnessM);
}
