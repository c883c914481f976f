#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "twin/command.hpp"
#include "twin/sequence.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

using namespace traverse;
using namespace traverse::twin;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

// Doubles must survive bit for bit (including the sign of zero), so compare exactly.
bool same(double a, double b) { return a == b && std::signbit(a) == std::signbit(b); }

bool sameCommand(const Command& a, const Command& b) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b);
            if constexpr (std::is_same_v<T, TurnTo>) return same(x.headingDeg, y.headingDeg);
            else if constexpr (std::is_same_v<T, TurnBy>) return same(x.angleDeg, y.angleDeg);
            else if constexpr (std::is_same_v<T, DriveStraight>) return same(x.distanceM, y.distanceM);
            else if constexpr (std::is_same_v<T, DriveArc>) return same(x.radiusM, y.radiusM) && same(x.lengthM, y.lengthM);
            else if constexpr (std::is_same_v<T, GoToWaypoint>)
                return same(x.e, y.e) && same(x.n, y.n) && same(x.toleranceM, y.toleranceM) &&
                       same(x.timeLimitS, y.timeLimitS) && x.mode == y.mode;
            else return same(x.maxTiltDeg, y.maxTiltDeg) && same(x.maxTimeS, y.maxTimeS);
        },
        a);
}

void requireSame(const Sequence& a, const Sequence& b) {
    CHECK(a.header.name == b.header.name);
    CHECK(a.header.sol == b.header.sol);
    CHECK(a.header.rover == b.header.rover);
    CHECK(same(a.header.start.e, b.header.start.e));
    CHECK(same(a.header.start.n, b.header.start.n));
    CHECK(same(a.header.start.headingDeg, b.header.start.headingDeg));
    REQUIRE(a.commands.size() == b.commands.size());
    for (std::size_t i = 0; i < a.commands.size(); ++i) {
        INFO("command " << i << " " << commandStem(a.commands[i]));
        CHECK(sameCommand(a.commands[i], b.commands[i]));
    }
}

GoToWaypoint goTo(double e, double n, double tol, double limit, DriveMode mode) {
    GoToWaypoint g;
    g.e = e;
    g.n = n;
    g.toleranceM = tol;
    g.timeLimitS = limit;
    g.mode = mode;
    return g;
}

// Every command type, the ends of the ranges, and doubles that a careless printer would round.
Sequence awkwardSequence() {
    Sequence s;
    s.header.name = "sol_1234_drive";
    s.header.sol = 1234;
    s.header.rover = "perseverance-like";
    s.header.start = Pose{2812.123456789, 1093618.0000000002, 0.1};
    s.commands = {
        StopConditions{25.0, 7200.0},
        TurnTo{0.1},
        TurnTo{360.0},
        TurnBy{-33.333333333333336},
        TurnBy{1e-7},
        DriveStraight{1e-7},
        DriveStraight{-0.30000000000000004},
        DriveStraight{100.0},
        DriveArc{-12.5, 8.123456789012345},
        DriveArc{1000.0, -100.0},
        DriveArc{1.0, 2.2250738585072014e-308},
        goTo(2812.123456789, -1093630.7, 0.05, 900.0, DriveMode::VisualOdometry),
        goTo(-1e6, 3.0000000000000004, 10.0, 86400.0, DriveMode::Blind),
        goTo(0.0, -0.0, 0.5, 1.0, DriveMode::AutoNav),
        StopConditions{1.0, 86400.0},
        DriveStraight{5e-324},  // the smallest subnormal
    };
    return s;
}

struct Failure {
    bool threw = false;
    Error::Kind kind = Error::Kind::Io;
    std::string message;
};

Failure failureOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return {true, e.kind(), e.what()};
    }
    return {};
}

Failure textFailure(const std::string& text) {
    return failureOf([&] { sequenceFromText(text, "drive.seq"); });
}
Failure jsonFailure(const std::string& json) {
    return failureOf([&] { sequenceFromJson(json, "drive.json"); });
}

const std::string kHeader = "SEQUENCE name=t sol=1 rover=r\nSTART e=0 n=0 heading_deg=0\n";

using traverse::test::TempDir;

std::string readFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("the dictionary lists every command in the order of the Command variant") {
    const auto& d = commandDictionary();
    REQUIRE(d.size() == std::variant_size_v<Command>);
    const std::vector<Command> one = {TurnTo{}, TurnBy{}, DriveStraight{}, DriveArc{}, GoToWaypoint{}, StopConditions{}};
    for (std::size_t i = 0; i < one.size(); ++i) CHECK(commandStem(one[i]) == d[i].stem);
    CHECK(commandStem(DriveArc{}) == "MOB_ARC");
    CHECK(commandStem(GoToWaypoint{}) == "MOB_GOTO");
    for (const auto& c : d) {
        INFO(c.stem);
        CHECK(!c.description.empty());
        CHECK(!c.arguments.empty());
        for (const auto& a : c.arguments) {
            INFO(a.name);
            CHECK(!a.description.empty());
            CHECK((a.type == "float" || a.type == "enum"));
            if (a.type == "float") {
                CHECK(!a.unit.empty());
                CHECK(a.min < a.max);
            } else {
                CHECK(a.values == std::vector<std::string>{"BLIND", "VO", "AUTONAV"});
            }
        }
    }
    CHECK(driveModeName(DriveMode::Blind) == "BLIND");
    CHECK(driveModeName(DriveMode::VisualOdometry) == "VO");
    CHECK(driveModeName(DriveMode::AutoNav) == "AUTONAV");
}

TEST_CASE("a sequence round-trips exactly through JSON and through text") {
    const Sequence s = awkwardSequence();
    REQUIRE_NOTHROW(validateSequence(s, "awkward"));

    SECTION("JSON") { requireSame(sequenceFromJson(sequenceToJson(s), "mem.json"), s); }
    SECTION("text") { requireSame(sequenceFromText(sequenceToText(s), "mem.seq"), s); }
    SECTION("text to JSON to text is identical") {
        const std::string text = sequenceToText(s);
        const Sequence viaJson = sequenceFromJson(sequenceToJson(sequenceFromText(text, "a")), "b");
        CHECK(sequenceToText(viaJson) == text);
        CHECK(sequenceToJson(viaJson) == sequenceToJson(s));
    }
    SECTION("numbers are printed short, not padded to 17 digits") {
        const std::string text = sequenceToText(s);
        CHECK_THAT(text, Contains("MOB_TURN_TO heading_deg=0.1\n"));
        CHECK_THAT(text, Contains("MOB_STRAIGHT distance_m=1e-07\n"));
        CHECK_THAT(text, Contains("START e=2812.123456789 "));
        CHECK_THAT(sequenceToJson(s), Contains("\"distance_m\": 1e-07"));
    }
}

TEST_CASE("names with spaces, quotes, '#', '=' and control characters survive the text form") {
    Sequence s = awkwardSequence();
    s.header.name = "sol 1234 \"drive\" #2 a=b \\ tab\there\nnewline\x01";
    s.header.rover = "";
    requireSame(sequenceFromText(sequenceToText(s), "mem.seq"), s);
    requireSame(sequenceFromJson(sequenceToJson(s), "mem.json"), s);
}

TEST_CASE("the text form reads the documented example") {
    const std::string text = R"(# comments and blank lines allowed

SEQUENCE name=sol_1234_drive sol=1234 rover=perseverance-like
START e=2812.5 n=1093618.0 heading_deg=45
MOB_STOP_IF max_tilt_deg=25 max_time_s=7200
MOB_TURN_TO heading_deg=90     # trailing comment
   MOB_STRAIGHT distance_m=10
MOB_ARC length_m=8 radius_m=-12.5
MOB_GOTO e=2830 n=1093630 tolerance_m=0.5 time_limit_s=900 mode=VO
MOB_TURN_BY angle_deg=+15
)";
    const Sequence s = sequenceFromText(text, "example.seq");
    CHECK(s.header.name == "sol_1234_drive");
    CHECK(s.header.sol == 1234);
    CHECK(s.header.rover == "perseverance-like");
    CHECK(s.header.start.e == 2812.5);
    CHECK(s.header.start.n == 1093618.0);
    CHECK(s.header.start.headingDeg == 45.0);
    REQUIRE(s.commands.size() == 6);
    CHECK(std::get<StopConditions>(s.commands[0]).maxTiltDeg == 25.0);
    CHECK(std::get<StopConditions>(s.commands[0]).maxTimeS == 7200.0);
    CHECK(std::get<TurnTo>(s.commands[1]).headingDeg == 90.0);
    CHECK(std::get<DriveStraight>(s.commands[2]).distanceM == 10.0);
    CHECK(std::get<DriveArc>(s.commands[3]).radiusM == -12.5);
    CHECK(std::get<DriveArc>(s.commands[3]).lengthM == 8.0);
    const auto& g = std::get<GoToWaypoint>(s.commands[4]);
    CHECK(g.e == 2830.0);
    CHECK(g.n == 1093630.0);
    CHECK(g.toleranceM == 0.5);
    CHECK(g.timeLimitS == 900.0);
    CHECK(g.mode == DriveMode::VisualOdometry);
    CHECK(std::get<TurnBy>(s.commands[5]).angleDeg == 15.0);

    // CRLF line ends read the same.
    std::string crlf;
    for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    requireSame(sequenceFromText(crlf, "crlf.seq"), s);
}

TEST_CASE("bad text names the file, the line and the reason") {
    SECTION("unknown command stem") {
        const auto f = textFailure("# a comment\n" + kHeader + "\nMOB_FLY height_m=3\n");
        REQUIRE(f.threw);
        CHECK(f.kind == Error::Kind::Format);
        CHECK_THAT(f.message, Contains("drive.seq") && Contains("line 5") && Contains("unknown command stem") &&
                                  Contains("MOB_FLY"));
    }
    SECTION("lower-case stem gets a hint") {
        const auto f = textFailure(kHeader + "mob_straight distance_m=1\n");
        CHECK_THAT(f.message, Contains("line 3") && Contains("upper case: MOB_STRAIGHT"));
    }
    SECTION("unknown argument") {
        const auto f = textFailure(kHeader + "MOB_STRAIGHT dist=10\n");
        CHECK_THAT(f.message, Contains("line 3") && Contains("unknown argument 'dist'") && Contains("distance_m"));
    }
    SECTION("missing argument") {
        const auto f = textFailure(kHeader + "MOB_STRAIGHT distance_m=1\nMOB_GOTO e=1 n=2 tolerance_m=0.5 time_limit_s=60\n");
        CHECK_THAT(f.message, Contains("line 4") && Contains("MOB_GOTO") && Contains("missing argument 'mode'"));
    }
    SECTION("duplicate argument") {
        const auto f = textFailure(kHeader + "MOB_ARC radius_m=5 length_m=2 radius_m=6\n");
        CHECK_THAT(f.message, Contains("line 3") && Contains("duplicate argument 'radius_m'"));
    }
    SECTION("value not a number") {
        for (const std::string bad : {"ten", "", "1.5m", "0x10", "1,5", "+-3"}) {
            INFO(bad);
            const auto f = textFailure(kHeader + "MOB_STRAIGHT distance_m=" + bad + "\n");
            CHECK_THAT(f.message, Contains("line 3") && Contains("distance_m = '" + bad + "' is not a number"));
        }
    }
    SECTION("too large for a double") {
        const auto f = textFailure(kHeader + "MOB_STRAIGHT distance_m=1e400\n");
        CHECK_THAT(f.message, Contains("line 3") && Contains("'1e400' does not fit a double"));
    }
    SECTION("not finite") {
        const auto f = textFailure(kHeader + "MOB_STRAIGHT distance_m=nan\n");
        CHECK_THAT(f.message, Contains("line 3") && Contains("not finite"));
    }
    SECTION("out-of-range distance says the range and the unit") {
        const auto f = textFailure(kHeader + "MOB_STRAIGHT distance_m=150\n");
        CHECK(f.kind == Error::Kind::Format);
        CHECK_THAT(f.message, Contains("line 3") && Contains("distance_m = 150 m is out of range -100..100 m"));
    }
    SECTION("zero distance") {
        const auto f = textFailure(kHeader + "MOB_STRAIGHT distance_m=0\n");
        CHECK_THAT(f.message, Contains("out of range -100..100 m, nonzero"));
    }
    SECTION("arc radius too tight") {
        const auto f = textFailure(kHeader + "MOB_ARC radius_m=-0.5 length_m=3\n");
        CHECK_THAT(f.message, Contains("radius_m = -0.5 m is out of range -1000..-1 or 1..1000 m"));
    }
    SECTION("tolerance, time limit and tilt limits") {
        CHECK_THAT(textFailure(kHeader + "MOB_GOTO e=1 n=2 tolerance_m=0.01 time_limit_s=60 mode=VO\n").message,
                   Contains("0.05..10 m"));
        CHECK_THAT(textFailure(kHeader + "MOB_GOTO e=1 n=2 tolerance_m=1 time_limit_s=86401 mode=VO\n").message,
                   Contains("1..86400 s"));
        CHECK_THAT(textFailure(kHeader + "MOB_STOP_IF max_tilt_deg=61 max_time_s=60\n").message,
                   Contains("1..60 deg"));
        CHECK_THAT(textFailure(kHeader + "MOB_TURN_TO heading_deg=-1\n").message, Contains("0..360 deg"));
        CHECK_THAT(textFailure(kHeader + "MOB_TURN_BY angle_deg=400\n").message, Contains("-360..360 deg"));
    }
    SECTION("unknown drive mode") {
        const auto f = textFailure(kHeader + "MOB_GOTO e=1 n=2 tolerance_m=0.5 time_limit_s=60 mode=FAST\n");
        CHECK_THAT(f.message, Contains("line 3") && Contains("'FAST' is not one of BLIND, VO, AUTONAV"));
    }
    SECTION("argument without a value") {
        CHECK_THAT(textFailure(kHeader + "MOB_STRAIGHT 10\n").message,
                   Contains("line 3") && Contains("expected name=value"));
        CHECK_THAT(textFailure(kHeader + "MOB_STRAIGHT =10\n").message, Contains("missing argument name"));
        CHECK_THAT(textFailure(kHeader + "MOB_STRAIGHT distance_m=\"10\n").message, Contains("unterminated"));
    }
    SECTION("missing SEQUENCE header") {
        const auto f = textFailure("START e=0 n=0 heading_deg=0\nMOB_STRAIGHT distance_m=1\n");
        CHECK_THAT(f.message, Contains("line 2") && Contains("missing SEQUENCE header"));
        CHECK_THAT(textFailure("# nothing\n").message, Contains("drive.seq") && Contains("missing SEQUENCE header"));
    }
    SECTION("missing START header") {
        const auto f = textFailure("SEQUENCE name=a sol=3\n");
        CHECK_THAT(f.message, Contains("drive.seq") && Contains("missing START header"));
        CHECK_THAT(textFailure("SEQUENCE name=a sol=3\nMOB_TURN_BY angle_deg=3\n").message,
                   Contains("line 2") && Contains("missing START header"));
    }
    SECTION("bad header fields") {
        CHECK_THAT(textFailure("SEQUENCE name=a sol=1.5\n").message, Contains("line 1") && Contains("not an integer"));
        CHECK_THAT(textFailure("SEQUENCE name=a sol=-2\n").message, Contains("out of range"));
        CHECK_THAT(textFailure("SEQUENCE sol=2\n").message, Contains("missing argument 'name'"));
        CHECK_THAT(textFailure("SEQUENCE name=a sol=1\nSTART e=0 n=0 heading_deg=361\n").message,
                   Contains("line 2") && Contains("0..360 deg"));
        CHECK_THAT(textFailure(kHeader + "SEQUENCE name=b sol=2\n").message,
                   Contains("line 3") && Contains("second SEQUENCE header") && Contains("line 1"));
    }
    SECTION("rover is optional, the rest of the header is not") {
        const Sequence s = sequenceFromText("SEQUENCE name=a sol=7\nSTART e=1 n=2 heading_deg=3\n", "x");
        CHECK(s.header.rover.empty());
        CHECK(s.commands.empty());
    }
}

TEST_CASE("bad JSON names the file, the command index and the reason") {
    const std::string good = sequenceToJson(awkwardSequence());
    const std::string head =
        R"({"format": "traverse-sequence", "version": 1,
            "header": {"name": "n", "sol": 3, "start": {"e": 1, "n": 2, "heading_deg": 3}, "rover": "r"},
            "commands": [{"stem": "MOB_TURN_BY", "args": {"angle_deg": 5}}, )";
    auto withCommand = [&](const std::string& c) { return head + c + "]}"; };

    SECTION("malformed") {
        const auto f = jsonFailure(good.substr(0, good.size() / 2));
        REQUIRE(f.threw);
        CHECK(f.kind == Error::Kind::Format);
        CHECK_THAT(f.message, Contains("drive.json") && Contains("malformed JSON") && Contains("parse error"));
        CHECK(f.message.find('\n') == std::string::npos);
    }
    SECTION("wrong format") {
        std::string j = good;
        j.replace(j.find("traverse-sequence"), 17, "traverse-plan");
        CHECK_THAT(jsonFailure(j).message, Contains("\"format\"") && Contains("traverse-plan"));
    }
    SECTION("newer version") {
        std::string j = good;
        j.replace(j.find("\"version\": 1"), 12, "\"version\": 2");
        CHECK_THAT(jsonFailure(j).message, Contains("version 2 is newer"));
    }
    SECTION("unknown stem") {
        const auto f = jsonFailure(withCommand(R"({"stem": "MOB_FLY", "args": {}})"));
        CHECK_THAT(f.message, Contains("drive.json") && Contains("commands[1]") && Contains("unknown command stem") &&
                                  Contains("MOB_FLY"));
    }
    SECTION("unknown argument") {
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_STRAIGHT", "args": {"distance": 3}})")).message,
                   Contains("commands[1]") && Contains("unknown argument 'distance'"));
    }
    SECTION("missing argument") {
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_ARC", "args": {"radius_m": 3}})")).message,
                   Contains("commands[1]") && Contains("missing argument 'length_m'"));
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_ARC"})")).message, Contains("missing argument"));
    }
    SECTION("duplicate argument") {
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_STRAIGHT", "args": {"distance_m": 3, "distance_m": 4}})"))
                       .message,
                   Contains("commands[1].args") && Contains("duplicate key 'distance_m'"));
    }
    SECTION("value not a number") {
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_STRAIGHT", "args": {"distance_m": "3"}})")).message,
                   Contains("commands[1]") && Contains("distance_m = \"3\" is not a number"));
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_STRAIGHT", "args": {"distance_m": null}})")).message,
                   Contains("is not a number"));
    }
    SECTION("value out of range") {
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_STRAIGHT", "args": {"distance_m": -101}})")).message,
                   Contains("commands[1]") && Contains("out of range -100..100 m"));
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_GOTO", "args": {"e": 1, "n": 2, "tolerance_m": 0.5,
                                               "time_limit_s": 60, "mode": "vo"}})"))
                       .message,
                   Contains("one of BLIND, VO, AUTONAV"));
    }
    SECTION("header problems") {
        std::string j = good;
        j.replace(j.find("\"sol\": 1234"), 11, "\"sol\": 12.5");
        CHECK_THAT(jsonFailure(j).message, Contains("header") && Contains("sol = 12.5 is not an integer"));
        j = good;
        j.replace(j.find("\"heading_deg\": 0.1"), 18, "\"heading_deg\": 400");
        CHECK_THAT(jsonFailure(j).message, Contains("header.start") && Contains("0..360 deg"));
        CHECK_THAT(jsonFailure(R"({"format": "traverse-sequence", "version": 1, "commands": []})").message,
                   Contains("missing \"header\""));
    }
    SECTION("unknown keys") {
        CHECK_THAT(jsonFailure(withCommand(R"({"stem": "MOB_TURN_BY", "args": {"angle_deg": 1}, "note": 1})")).message,
                   Contains("commands[1]") && Contains("unknown key 'note'"));
    }
    SECTION("a well-formed document with integers for doubles reads") {
        const Sequence s = sequenceFromJson(withCommand(R"({"stem": "MOB_STRAIGHT", "args": {"distance_m": 3}})"), "x");
        REQUIRE(s.commands.size() == 2);
        CHECK(std::get<DriveStraight>(s.commands[1]).distanceM == 3.0);
        CHECK(s.header.start.headingDeg == 3.0);
    }
}

TEST_CASE("validateSequence rejects values out of range and not finite") {
    Sequence s = awkwardSequence();
    const double nan = std::numeric_limits<double>::quiet_NaN();

    SECTION("NaN argument") {
        s.commands[5] = DriveStraight{nan};
        const auto f = failureOf([&] { validateSequence(s, "plan"); });
        REQUIRE(f.threw);
        CHECK(f.kind == Error::Kind::InvalidArgument);
        CHECK_THAT(f.message, Contains("plan") && Contains("commands[5]") && Contains("MOB_STRAIGHT") &&
                                  Contains("distance_m") && Contains("not finite"));
    }
    SECTION("infinite goal") {
        s.commands[11] = goTo(std::numeric_limits<double>::infinity(), 0, 1, 1, DriveMode::Blind);
        CHECK_THAT(failureOf([&] { validateSequence(s, "plan"); }).message,
                   Contains("commands[11]") && Contains("e = inf is not finite"));
    }
    SECTION("out of range") {
        s.commands[0] = StopConditions{0.5, 100};
        CHECK_THAT(failureOf([&] { validateSequence(s, "plan"); }).message,
                   Contains("commands[0]") && Contains("max_tilt_deg") && Contains("1..60 deg"));
    }
    SECTION("bad drive mode") {
        s.commands[11] = goTo(1, 1, 1, 1, static_cast<DriveMode>(42));
        CHECK_THAT(failureOf([&] { validateSequence(s, "plan"); }).message, Contains("mode"));
    }
    SECTION("start pose") {
        s.header.start.n = nan;
        CHECK_THAT(failureOf([&] { validateSequence(s, "plan"); }).message, Contains("header.start") && Contains("n = nan"));
        s.header.start.n = 0;
        s.header.start.headingDeg = -10;
        CHECK_THAT(failureOf([&] { validateSequence(s, "plan"); }).message, Contains("heading_deg") && Contains("0..360"));
    }
    SECTION("a valid sequence passes") { CHECK_NOTHROW(validateSequence(s, "plan")); }
}

TEST_CASE("sequences save atomically and load by extension") {
    TempDir dir;
    const Sequence s = awkwardSequence();

    for (const std::string name : {"drive.json", "DRIVE.JSON", "drive.seq", "drive"}) {
        INFO(name);
        const fs::path p = dir.path() / name;
        saveSequence(s, p);
        requireSame(loadSequence(p), s);
        const bool json = name.find("json") != std::string::npos || name.find("JSON") != std::string::npos;
        CHECK((readFile(p).front() == '{') == json);
    }

    SECTION("overwrite leaves no temporary files") {
        const fs::path p = dir.path() / "drive.seq";
        Sequence t = s;
        t.commands.resize(2);
        saveSequence(t, p);
        requireSame(loadSequence(p), t);
        std::size_t files = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
        CHECK(files == 4);
    }
    SECTION("an invalid sequence is refused and the old file kept") {
        const fs::path p = dir.path() / "drive.json";
        const std::string before = readFile(p);
        Sequence bad = s;
        bad.commands.push_back(DriveStraight{0.0});
        const auto f = failureOf([&] { saveSequence(bad, p); });
        CHECK(f.kind == Error::Kind::InvalidArgument);
        CHECK_THAT(f.message, Contains(p.string()) && Contains("commands[16]"));
        CHECK(readFile(p) == before);
    }
    SECTION("a missing folder is an error naming the file") {
        const fs::path p = dir.path() / "no-such-folder" / "drive.seq";
        const auto f = failureOf([&] { saveSequence(s, p); });
        REQUIRE(f.threw);
        CHECK_THAT(f.message, Contains(p.string()));
    }
    SECTION("errors while loading name the file and the line") {
        const fs::path p = dir.path() / "broken.seq";
        std::ofstream(p) << kHeader << "MOB_STRAIGHT distance_m=500\n";
        CHECK_THAT(failureOf([&] { loadSequence(p); }).message,
                   Contains(p.string()) && Contains("line 3") && Contains("-100..100 m"));
    }
}

TEST_CASE("loading a missing file names it") {
    const fs::path p = fs::temp_directory_path() / "traverse-no-such-sequence-file.seq";
    const auto f = failureOf([&] { loadSequence(p); });
    REQUIRE(f.threw);
    CHECK(f.kind == Error::Kind::NotFound);
    CHECK_THAT(f.message, Contains(p.string()));
}
