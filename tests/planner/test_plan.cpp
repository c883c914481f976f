#include "planner/plan.hpp"
#include "support/test_support.hpp"
#include "terrain/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#ifndef TRAVERSE_SOURCE_DIR
#error "TRAVERSE_SOURCE_DIR must name the repository root (the build defines it)"
#endif

using namespace traverse;
using namespace traverse::planner;
namespace fs = std::filesystem;
using traverse::test::TempDir;

namespace {

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

// Equal as bit patterns: tells -0.0 from 0.0, which == does not.
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void requireSame(terrain::MapPoint a, terrain::MapPoint b) {
    CHECK(same(a.e, b.e));
    CHECK(same(a.n, b.n));
}

void requireSame(const std::vector<terrain::MapPoint>& a, const std::vector<terrain::MapPoint>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) requireSame(a[i], b[i]);
}

void requireSame(const Plan& a, const Plan& b) {
    CHECK(a.name == b.name);
    CHECK(a.site.dtm.path == b.site.dtm.path);
    CHECK(a.site.dtm.sha256 == b.site.dtm.sha256);
    REQUIRE(a.site.ortho.has_value() == b.site.ortho.has_value());
    if (a.site.ortho) {
        CHECK(a.site.ortho->path == b.site.ortho->path);
        CHECK(a.site.ortho->sha256 == b.site.ortho->sha256);
    }
    // The rover's own round trip is twin's business; its JSON form must be identical.
    CHECK(twin::roverConfigToJson(a.rover) == twin::roverConfigToJson(b.rover));
    CHECK(same(a.rover.massKg, b.rover.massKg));
    CHECK(same(a.route.start.e, b.route.start.e));
    CHECK(same(a.route.start.n, b.route.start.n));
    CHECK(same(a.route.start.headingDeg, b.route.start.headingDeg));
    requireSame(a.goal, b.goal);
    CHECK(same(a.goalToleranceM, b.goalToleranceM));
    CHECK(same(a.maxSegmentM, b.maxSegmentM));
    requireSame(a.viaPoints, b.viaPoints);
    REQUIRE(a.zones.size() == b.zones.size());
    for (std::size_t i = 0; i < a.zones.size(); ++i) {
        CHECK(a.zones[i].name == b.zones[i].name);
        CHECK(a.zones[i].keepIn == b.zones[i].keepIn);
        requireSame(a.zones[i].polygon, b.zones[i].polygon);
    }
    REQUIRE(a.route.segments.size() == b.route.segments.size());
    for (std::size_t i = 0; i < a.route.segments.size(); ++i) {
        const Segment& s = a.route.segments[i];
        const Segment& t = b.route.segments[i];
        requireSame(s.to, t.to);
        CHECK(s.provenance.source == t.provenance.source);
        CHECK(s.provenance.transcript == t.provenance.transcript);
        CHECK(s.provenance.attempt == t.provenance.attempt);
        CHECK(s.provenance.repaired == t.provenance.repaired);
    }
    REQUIRE(a.decisions.size() == b.decisions.size());
    for (std::size_t i = 0; i < a.decisions.size(); ++i) {
        const Decision& d = a.decisions[i];
        const Decision& e = b.decisions[i];
        CHECK(d.time == e.time);
        CHECK(d.step == e.step);
        CHECK(d.source == e.source);
        requireSame(d.points, e.points);
        CHECK(d.accepted == e.accepted);
        CHECK(d.reason == e.reason);
        CHECK(d.attempt == e.attempt);
        CHECK(d.transcript == e.transcript);
    }
    REQUIRE(a.validation.has_value() == b.validation.has_value());
    if (a.validation) {
        CHECK(a.validation->hashes == b.validation->hashes);
        CHECK(nlohmann::json::parse(a.validation->reportJson) == nlohmann::json::parse(b.validation->reportJson));
    }
}

// Stand-ins for terrain files: the plan only reads their bytes (for hashes) and checks they exist.
struct FakeSite {
    fs::path dtm, ortho;
};

FakeSite writeFakeSite(const fs::path& folder) {
    fs::create_directories(folder);
    FakeSite s{folder / "dtm.tif", folder / "ortho.tif"};
    writeText(s.dtm, std::string("II*\0 not really a DTM", 22));
    writeText(s.ortho, "not really an orthoimage");
    return s;
}

// A plan with every field populated, with doubles that are easy to lose on the way through text.
Plan fullPlan(const FakeSite& site) {
    Plan p;
    p.name = "Jezero — sol 1234 \"delta\" drive\t(ünïcode)";
    p.site = hashSite(site.dtm, site.ortho);
    p.rover.name = "perseverance-like, heavier";
    p.rover.massKg = 1025.0000000000002;
    p.rover.cgHeightM = 1.1 + 1e-15;
    p.rover.canTurnInPlace = false;
    p.route.start = {4200123.100000001, -1234567.8901234567, 359.99999999999994};
    p.goal = {4200213.3333333333, -1234500.0 / 3.0};
    p.goalToleranceM = 0.1 + 0.2;
    p.maxSegmentM = 9.999999999999998;
    p.viaPoints = {{1.0 / 3.0, -0.0},
                   {5e-324, -2.2250738585072014e-308},
                   {1e-300, 123456789.98765432},
                   {std::numeric_limits<double>::max(), -std::numeric_limits<double>::max()},
                   {0.1, 2.0 / 3.0}};
    p.zones = {{"crater rim", false, {{0, 0}, {10.5, 0}, {10.5, 7.25}, {0.125, 7.25}}},
               {"corridor", true, {{-100, -100}, {100, -100}, {100, 100}, {-100, 100}, {-150.0000000000001, 0}}},
               {"", false, {{1, 1}, {2, 1}, {1.5, 1.7320508075688772}}}};
    p.route.segments = {
        {{4200130.0000000005, -1234560.1}, {"planner", "", 1, false}},
        {{4200139.7, -1234555.5555555555}, {"builtin", "", 1, false}},
        {{4200149.1, -1234550.2}, {"anthropic:claude-sonnet", "transcripts/run-1.jsonl#7", 3, false}},
        {{4200158.9, -1234545.0}, {"builtin", "", 1, true}},
    };
    p.decisions = {
        {"2025-03-01T12:34:56.789Z", 0, "planner", {{4200130.0000000005, -1234560.1}}, true, "", 1, ""},
        {"2025-03-01T12:35:01.001Z", 2, "anthropic:claude-sonnet", {{4200150.0, -1234548.0}, {4200160.0, -1234540.0}},
         false, "slope 31.2° exceeds the 30° limit at (4200151.2, -1234547.1)\nsecond line, \"quoted\"", 1,
         "transcripts/run-1.jsonl#6"},
        {"2025-03-01T12:35:09Z", 2, "anthropic:claude-sonnet", {{4200149.1, -1234550.2}}, true, "ok", 2,
         "transcripts/run-1.jsonl#7"},
        {"2025-03-01T12:35:10.123456789Z", 3, "builtin", {}, true, "repair", 1, ""},
    };
    ValidationRecord v;
    v.reportJson = R"({"pass":false,"checks":[{"segment":2,"verdict":"warn","slope_deg":29.999999999999996}],)"
                   R"("energy_wh":0.30000000000000004,"nested":{"empty":[],"none":null}})";
    v.hashes = validationHashesFor(p);
    p.validation = v;
    return p;
}

template <typename F>
Error::Kind errorKind(F&& f, std::string& message) {
    try {
        f();
    } catch (const Error& e) {
        message = e.what();
        return e.kind();
    }
    FAIL("no traverse::Error was thrown");
    return Error::Kind::Io;
}

// What a file looks like on disk: its bytes and its modification time.
struct Snapshot {
    std::string bytes;
    fs::file_time_type mtime;
    std::vector<std::string> folder;
    bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const fs::path& path) {
    auto files = traverse::test::listFiles(path.parent_path());
    std::sort(files.begin(), files.end());
    return {readText(path), fs::last_write_time(path), files};
}

std::string shellSha256(const fs::path& path) {
    const std::string command = "sha256sum '" + path.string() + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buf[128] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, pipe);
    REQUIRE(::pclose(pipe) == 0);
    return std::string(buf, std::min<std::size_t>(n, 64));
}

}  // namespace

TEST_CASE("SHA-256 matches the FIPS 180-4 test vectors", "[plan][sha256]") {
    CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                    "mnopqrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    CHECK(sha256Hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256File agrees with sha256sum, across block boundaries", "[plan][sha256]") {
    TempDir dir;
    std::mt19937 rng(7);
    // Lengths around the 64-byte block and the padding boundary (55/56 bytes), and a file larger than
    // the 1 MiB read buffer.
    for (const std::size_t size : {std::size_t(0), std::size_t(55), std::size_t(56), std::size_t(63), std::size_t(64),
                                   std::size_t(65), std::size_t(119), std::size_t(120), std::size_t(3 * 1048576 + 17)}) {
        std::string bytes(size, '\0');
        for (char& c : bytes) c = char(rng() & 0xff);
        const fs::path file = dir / ("blob-" + std::to_string(size) + ".bin");
        writeText(file, bytes);
        INFO("size " << size);
        CHECK(sha256File(file) == shellSha256(file));
        CHECK(sha256File(file) == sha256Hex(bytes));
    }
    std::string message;
    CHECK(errorKind([&] { sha256File(dir / "missing.tif"); }, message) == Error::Kind::NotFound);
    CHECK_THAT(message, Catch::Contains("missing.tif"));
    CHECK(errorKind([&] { sha256File(dir.path()); }, message) == Error::Kind::Io);
    CHECK_THAT(message, Catch::Contains(dir.path().string()));
}

TEST_CASE("hashing a site reports its progress and can be cancelled", "[plan][sha256]") {
    TempDir dir;
    std::mt19937 rng(9);
    std::string a(2500000, '\0'), b(1300000, '\0');
    for (char& c : a) c = char(rng() & 0xff);
    for (char& c : b) c = char(rng() & 0xff);
    writeText(dir / "dtm.tif", a);
    writeText(dir / "ortho.tif", b);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    const PlanSite site = hashSite(dir / "dtm.tif", dir / "ortho.tif", [&](std::uint64_t done, std::uint64_t total) {
        calls.emplace_back(done, total);
        return true;
    });
    CHECK(site.dtm.sha256 == sha256Hex(a));
    REQUIRE(site.ortho);
    CHECK(site.ortho->sha256 == sha256Hex(b));
    REQUIRE(calls.size() >= 4);  // 1 MiB reads
    for (std::size_t i = 1; i < calls.size(); ++i) CHECK(calls[i].first > calls[i - 1].first);
    CHECK(calls.back().first == a.size() + b.size());
    CHECK(calls.back().second == a.size() + b.size());
    // Stopped in the orthoimage: Cancelled, naming it.
    std::string message;
    CHECK(errorKind([&] { hashSite(dir / "dtm.tif", dir / "ortho.tif",
                                   [&](std::uint64_t done, std::uint64_t) { return done <= a.size(); }); },
                    message) == Error::Kind::Cancelled);
    CHECK_THAT(message, Catch::Contains("ortho.tif"));
}

TEST_CASE("a plan with every field round-trips through JSON exactly", "[plan][json]") {
    TempDir dir;
    const Plan plan = fullPlan(writeFakeSite(dir / "site"));
    const std::string json = planToJson(plan);
    const Plan back = planFromJson(json, "test");
    requireSame(plan, back);
    CHECK(planToJson(back) == json);

    const auto j = nlohmann::json::parse(json);
    CHECK(j["format"] == "traverse-plan");
    CHECK(j["version"] == 1);
    CHECK(j["rover"]["format"] == "traverse-rover");  // embedded in twin's own form
    CHECK(j["validation"]["report"].is_object());     // embedded as JSON, not as a string

    SECTION("a plan with nothing optional") {
        Plan minimal;
        minimal.site.dtm = {"dtm.tif", std::string(64, 'a')};
        const Plan b = planFromJson(planToJson(minimal), "minimal");
        requireSame(minimal, b);
        CHECK_FALSE(b.site.ortho);
        CHECK_FALSE(b.validation);
        CHECK(b.maxSegmentM == 10.0);
    }
    SECTION("omitted optional keys take their defaults") {
        auto m = nlohmann::json::parse(json);
        for (const char* key : {"name", "goal_tolerance_m", "max_segment_m", "via_points", "zones", "route", "decisions",
                                "validation"})
            m.erase(key);
        m["site"].erase("ortho");
        const Plan b = planFromJson(m.dump(), "defaults");
        CHECK(b.name.empty());
        CHECK(b.goalToleranceM == kDefaultGoalToleranceM);
        CHECK(b.maxSegmentM == kDefaultMaxSegmentM);
        CHECK(b.viaPoints.empty());
        CHECK(b.zones.empty());
        CHECK(b.route.segments.empty());
        CHECK(b.decisions.empty());
        CHECK_FALSE(b.validation);
        CHECK_FALSE(b.site.ortho);
    }
}

TEST_CASE("any finite double round-trips exactly", "[plan][json]") {
    std::mt19937_64 rng(2025);
    Plan plan;
    plan.site.dtm = {"dtm.tif", std::string(64, '0')};
    while (plan.viaPoints.size() < 5000) {
        double e, n;
        const std::uint64_t a = rng(), b = rng();
        std::memcpy(&e, &a, sizeof e);
        std::memcpy(&n, &b, sizeof n);
        if (std::isfinite(e) && std::isfinite(n)) plan.viaPoints.push_back({e, n});
    }
    requireSame(plan.viaPoints, planFromJson(planToJson(plan), "random").viaPoints);
}

TEST_CASE("an invalid plan is refused before anything is written", "[plan][json]") {
    TempDir dir;
    const Plan good = fullPlan(writeFakeSite(dir / "site"));
    auto refused = [&](Plan p, const std::string& field) {
        std::string message;
        CHECK(errorKind([&] { planToJson(p); }, message) == Error::Kind::InvalidArgument);
        CHECK_THAT(message, Catch::Contains(field));
    };
    {
        Plan p = good;
        p.route.segments[2].to.n = std::nan("");
        refused(p, "route.segments[2].to.n");
    }
    {
        Plan p = good;
        p.viaPoints[1].e = std::numeric_limits<double>::infinity();
        refused(p, "via_points[1].e");
    }
    {
        Plan p = good;
        p.maxSegmentM = 0.0;
        refused(p, "max_segment_m");
    }
    {
        Plan p = good;
        p.site.dtm.sha256 = "ABC";
        refused(p, "site.dtm.sha256");
    }
    {
        Plan p = good;
        p.zones[0].polygon.resize(2);
        refused(p, "zones[0].polygon");
    }
    {
        Plan p = good;
        p.decisions[1].time = "yesterday";
        refused(p, "decisions[1].time");
    }
    {
        Plan p = good;
        p.validation->reportJson = "[1, 2]";
        refused(p, "validation.report");
    }
    {
        Plan p = good;
        p.rover.wheelDiameterM = -1.0;
        refused(p, "mobility.wheel_diameter_m");
    }
}

TEST_CASE("save and load: site paths relative to the plan's folder, absolute in memory", "[plan][file]") {
    TempDir dir;
    const FakeSite site = writeFakeSite(dir / "site");
    const Plan plan = fullPlan(site);

    SECTION("terrain below the plan's folder") {
        const fs::path file = dir / "drive.plan.json";
        savePlan(plan, file);
        const auto j = nlohmann::json::parse(readText(file));
        CHECK(j["site"]["dtm"]["path"] == "site/dtm.tif");
        CHECK(j["site"]["ortho"]["path"] == "site/ortho.tif");
        const Plan back = loadPlan(file);
        requireSame(plan, back);
        CHECK(back.site.dtm.path.is_absolute());
    }
    SECTION("terrain beside the plan's folder") {
        fs::create_directories(dir / "plans");
        const fs::path file = dir / "plans" / "drive.json";
        savePlan(plan, file);
        CHECK(nlohmann::json::parse(readText(file))["site"]["dtm"]["path"] == "../site/dtm.tif");
        requireSame(plan, loadPlan(file));

        // The project folder moves as a whole: the plan still finds its terrain.
        fs::rename(dir.path() / "plans", dir.path() / "moved-plans");
        fs::create_directories(dir / "elsewhere");
        fs::rename(dir.path() / "moved-plans", dir.path() / "elsewhere" / "plans");
        fs::rename(dir.path() / "site", dir.path() / "elsewhere" / "site");
        const Plan moved = loadPlan(dir / "elsewhere" / "plans" / "drive.json");
        CHECK(moved.site.dtm.path == dir.path() / "elsewhere" / "site" / "dtm.tif");
    }
    SECTION("terrain further away is written with an absolute path") {
        fs::create_directories(dir / "a" / "b");
        const fs::path file = dir / "a" / "b" / "drive.json";
        savePlan(plan, file);
        CHECK(nlohmann::json::parse(readText(file))["site"]["dtm"]["path"] == site.dtm.string());
        requireSame(plan, loadPlan(file));
    }
    SECTION("a relative path in memory is relative to the working folder") {
        Plan p = plan;
        struct WorkingFolder {  // restored even when the save throws
            fs::path saved = fs::current_path();
            ~WorkingFolder() { fs::current_path(saved); }
        } restore;
        fs::current_path(dir.path());
        p.site.dtm.path = "site/dtm.tif";
        savePlan(p, "relative.json");
        CHECK(loadPlan(dir / "relative.json").site.dtm.path == site.dtm);
    }
    SECTION("saving over a plan replaces it and leaves no temporary file") {
        const fs::path file = dir / "drive.json";
        savePlan(plan, file);
        Plan changed = plan;
        changed.name = "second";
        savePlan(changed, file);
        CHECK(loadPlan(file).name == "second");
        auto files = traverse::test::listFiles(dir.path());
        std::sort(files.begin(), files.end());
        CHECK(files == std::vector<std::string>{"drive.json", "site/dtm.tif", "site/ortho.tif"});
    }
}

TEST_CASE("autosave and recovery", "[plan][file]") {
    TempDir dir;
    const Plan plan = fullPlan(writeFakeSite(dir / "site"));
    const fs::path file = dir / "drive.json";
    const fs::path autosave = dir / "drive.json.autosave";
    CHECK(autosavePath(file) == autosave);

    SECTION("a plan never saved: the autosave is the recovery") {
        autosavePlan(plan, file);
        REQUIRE(recoveryFile(file) == autosave);
        requireSame(plan, loadPlan(*recoveryFile(file)));
    }
    SECTION("an autosave newer than the plan is offered; savePlan removes it") {
        savePlan(plan, file);
        CHECK_FALSE(recoveryFile(file));
        fs::last_write_time(file, fs::last_write_time(file) - std::chrono::seconds(10));
        Plan edited = plan;
        edited.viaPoints.push_back({4200180.5, -1234530.25});
        autosavePlan(edited, file);
        REQUIRE(recoveryFile(file) == autosave);
        requireSame(edited, loadPlan(autosave));

        savePlan(edited, file);
        CHECK_FALSE(fs::exists(autosave));
        CHECK_FALSE(recoveryFile(file));
    }
    SECTION("an autosave older than the plan is not offered") {
        autosavePlan(plan, file);
        fs::last_write_time(autosave, fs::last_write_time(autosave) - std::chrono::seconds(10));
        savePlan(plan, file);
        CHECK_FALSE(recoveryFile(file));
        CHECK_FALSE(fs::exists(autosave));  // stale, so the save removed it
    }
    SECTION("an autosave written after the save is kept") {
        savePlan(plan, file);
        fs::last_write_time(file, fs::last_write_time(file) - std::chrono::seconds(10));
        autosavePlan(plan, file);
        // A failing save does not touch the autosave either.
        Plan bad = plan;
        bad.goal.e = std::nan("");
        CHECK_THROWS_AS(savePlan(bad, file), Error);
        CHECK(recoveryFile(file) == autosave);
    }
    SECTION("no autosave, no recovery") { CHECK_FALSE(recoveryFile(file)); }
}

TEST_CASE("a bad plan file fails with the file named and nothing on disk changes", "[plan][file]") {
    TempDir dir;
    const Plan plan = fullPlan(writeFakeSite(dir / "site"));
    const fs::path file = dir / "drive.json";
    savePlan(plan, file);
    const std::string good = readText(file);
    const auto goodJson = nlohmann::json::parse(good);

    // Writes `text` as the plan, loads it, expects `kind` with `expected` in the message, and checks
    // that the file and its folder are exactly as they were.
    auto expectFailure = [&](const std::string& text, Error::Kind kind, const std::string& expected) {
        writeText(file, text);
        fs::last_write_time(file, fs::last_write_time(file) - std::chrono::seconds(5));
        const Snapshot before = snapshot(file);
        std::string message;
        CHECK(errorKind([&] { loadPlan(file); }, message) == kind);
        INFO(message);
        CHECK_THAT(message, Catch::StartsWith(file.string() + ": "));
        CHECK_THAT(message, Catch::Contains(expected));
        CHECK(message.find('\n') == std::string::npos);
        CHECK(snapshot(file) == before);
    };
    auto edited = [&](auto&& edit) {
        auto j = goodJson;
        edit(j);
        return j.dump(2);
    };

    SECTION("missing file") {
        std::string message;
        CHECK(errorKind([&] { loadPlan(dir / "nope.json"); }, message) == Error::Kind::NotFound);
        CHECK_THAT(message, Catch::Contains((dir / "nope.json").string()));
        CHECK_FALSE(fs::exists(dir / "nope.json"));
    }
    SECTION("corrupt JSON: truncated") {
        expectFailure(good.substr(0, good.size() / 2), Error::Kind::Format, "malformed JSON: [json.exception.parse_error");
    }
    SECTION("corrupt JSON: binary garbage") {
        expectFailure(std::string("\x00\xff\xfe garbage", 11), Error::Kind::Format, "malformed JSON");
    }
    SECTION("empty file") { expectFailure("", Error::Kind::Format, "malformed JSON"); }
    SECTION("not a plan") {
        expectFailure(twin::roverConfigToJson(twin::RoverConfig{}), Error::Kind::Format,
                      "not a plan (\"format\" is string \"traverse-rover\"");
        expectFailure("[1, 2, 3]", Error::Kind::Format, "not a plan");
        expectFailure(edited([](auto& j) { j.erase("format"); }), Error::Kind::Format, "not a plan");
    }
    SECTION("a newer version") {
        expectFailure(edited([](auto& j) { j["version"] = 2; }), Error::Kind::Format,
                      "written by a newer Traverse (version 2 > 1)");
        // Even with fields this version does not know.
        expectFailure(edited([](auto& j) {
                          j["version"] = 7;
                          j["something_new"] = {1, 2};
                      }),
                      Error::Kind::Format, "written by a newer Traverse (version 7 > 1)");
        expectFailure(edited([](auto& j) { j["version"] = "1"; }), Error::Kind::Format, "version must be an integer");
        expectFailure(edited([](auto& j) { j["version"] = 0; }), Error::Kind::Format, "unsupported version 0");
    }
    SECTION("a field of the wrong type, named by its JSON path") {
        expectFailure(edited([](auto& j) { j["route"]["segments"][1]["to"]["e"] = "4200139.7"; }), Error::Kind::Format,
                      "route.segments[1].to.e must be a number, got string");
        expectFailure(edited([](auto& j) { j["decisions"][2]["accepted"] = 1; }), Error::Kind::Format,
                      "decisions[2].accepted must be true or false");
        expectFailure(edited([](auto& j) { j["route"]["segments"][0]["provenance"]["attempt"] = 1.5; }),
                      Error::Kind::Format, "route.segments[0].provenance.attempt must be an integer");
        expectFailure(edited([](auto& j) { j["zones"] = nlohmann::json::object(); }), Error::Kind::Format,
                      "zones must be an array");
        expectFailure(edited([](auto& j) { j["validation"]["report"] = "passed"; }), Error::Kind::Format,
                      "validation.report must be an object");
        expectFailure(edited([](auto& j) { j["rover"]["body"]["mass_kg"] = "heavy"; }), Error::Kind::Format,
                      "rover: body.mass_kg must be a number");
    }
    SECTION("a missing required field, named by its JSON path") {
        expectFailure(edited([](auto& j) { j.erase("goal"); }), Error::Kind::Format, "goal is missing");
        expectFailure(edited([](auto& j) { j["start"].erase("heading_deg"); }), Error::Kind::Format,
                      "start.heading_deg is missing");
        expectFailure(edited([](auto& j) { j["site"]["dtm"].erase("sha256"); }), Error::Kind::Format,
                      "site.dtm.sha256 is missing");
        expectFailure(edited([](auto& j) { j["zones"][1].erase("kind"); }), Error::Kind::Format, "zones[1].kind is missing");
    }
    SECTION("a value out of range, an unknown or duplicated key") {
        expectFailure(edited([](auto& j) { j["max_segment_m"] = -10; }), Error::Kind::Format,
                      "max_segment_m must be positive");
        expectFailure(edited([](auto& j) { j["site"]["dtm"]["sha256"] = "deadbeef"; }), Error::Kind::Format,
                      "site.dtm.sha256 must be a SHA-256");
        expectFailure(edited([](auto& j) { j["zones"][0]["kind"] = "keep-away"; }), Error::Kind::Format,
                      "zones[0].kind must be \"keep-out\" or \"keep-in\"");
        expectFailure(edited([](auto& j) { j["zones"][0]["kind"] = "keep\nout"; }), Error::Kind::Format,
                      "zones[0].kind must be \"keep-out\" or \"keep-in\", got \"keep\\u000aout\"");
        expectFailure(edited([](auto& j) { j["goal_tolerence_m"] = 2.0; }), Error::Kind::Format,
                      "goal_tolerence_m is not a field of the plan format");
        expectFailure(edited([](auto& j) { j["rover"]["body"]["mass_kg"] = -5; }), Error::Kind::Format,
                      "rover: body.mass_kg must be positive");
        expectFailure(edited([](auto& j) { j["goal"]["e"] = nullptr; }), Error::Kind::Format,
                      "goal.e must be a number, got null");
        std::string huge = edited([](auto& j) { j["goal"]["e"] = 123.25; });
        huge.replace(huge.find("123.25"), 6, "1e400");
        expectFailure(huge, Error::Kind::Format, "malformed JSON");
        std::string dup = good;
        dup.replace(dup.find("\"reason\": \"ok\""), 14, "\"reason\": \"ok\", \"reason\": \"again\"");
        expectFailure(dup, Error::Kind::Format, "decisions[2].reason appears more than once");
    }
    SECTION("terrain that does not exist") {
        auto noDtm = edited([](auto& j) { j["site"]["dtm"]["path"] = "site/gone.tif"; });
        expectFailure(noDtm, Error::Kind::NotFound, "the DTM " + (dir / "site" / "gone.tif").string() + " does not exist");
        expectFailure(edited([](auto& j) { j["site"]["ortho"]["path"] = "/nowhere/ortho.jp2"; }), Error::Kind::NotFound,
                      "the orthoimage /nowhere/ortho.jp2 does not exist");
        // Without the check the plan opens, with the path resolved.
        writeText(file, noDtm);
        CHECK(loadPlan(file, LoadOptions{false}).site.dtm.path == dir / "site" / "gone.tif");
    }
    SECTION("a folder in place of the file") {
        fs::create_directories(dir / "folder.json");
        std::string message;
        CHECK(errorKind([&] { loadPlan(dir / "folder.json"); }, message) == Error::Kind::Format);
        CHECK_THAT(message, Catch::Contains("folder.json"));
    }
}

TEST_CASE("a failed save leaves the previous plan untouched", "[plan][file]") {
    TempDir dir;
    const Plan plan = fullPlan(writeFakeSite(dir / "site"));
    const fs::path file = dir / "drive.json";
    savePlan(plan, file);
    fs::last_write_time(file, fs::last_write_time(file) - std::chrono::seconds(5));
    const Snapshot before = snapshot(file);
    Plan changed = plan;
    changed.name = "changed";
    std::string message;

    SECTION("into a folder that is a file") {
        CHECK(errorKind([&] { savePlan(changed, file / "inner.json"); }, message) == Error::Kind::Io);
        CHECK_THAT(message, Catch::Contains((file / "inner.json").string()));
    }
    SECTION("into a folder that does not exist") {
        CHECK(errorKind([&] { savePlan(changed, dir / "missing" / "x.json"); }, message) == Error::Kind::NotFound);
    }
    SECTION("over a folder") {
        fs::create_directories(dir / "occupied.json");
        CHECK(errorKind([&] { savePlan(changed, dir / "occupied.json"); }, message) == Error::Kind::Io);
        CHECK_THAT(message, Catch::Contains("occupied.json"));
        CHECK(fs::is_empty(dir / "occupied.json"));
        fs::remove(dir / "occupied.json");
    }
    SECTION("an invalid plan over the old file") {
        changed.route.segments[0].to.e = std::numeric_limits<double>::infinity();
        CHECK(errorKind([&] { savePlan(changed, file); }, message) == Error::Kind::InvalidArgument);
        CHECK_THAT(message, Catch::Contains(file.string()));
        CHECK_THAT(message, Catch::Contains("route.segments[0].to.e"));
    }
    CHECK(snapshot(file) == before);  // also: no temporary file left in the folder
}

TEST_CASE("the content hash follows what validation depends on", "[plan][hash]") {
    TempDir dir;
    const Plan plan = fullPlan(writeFakeSite(dir / "site"));
    const std::string h = planContentHash(plan);
    CHECK(h.size() == 64);
    CHECK(planContentHash(plan) == h);
    CHECK(planContentHash(planFromJson(planToJson(plan), "again")) == h);
    REQUIRE_FALSE(validationMismatch(plan));

    auto changes = [&](auto&& edit) {
        Plan p = plan;
        edit(p);
        return planContentHash(p) != h;
    };
    // Not part of validation.
    CHECK_FALSE(changes([](Plan& p) { p.decisions.push_back({isoTimestampUtc(), 4, "builtin", {{1, 2}}, false, "no", 1, ""}); }));
    CHECK_FALSE(changes([](Plan& p) { p.decisions.clear(); }));
    CHECK_FALSE(changes([](Plan& p) { p.name = "renamed"; }));
    CHECK_FALSE(changes([](Plan& p) { p.validation.reset(); }));
    CHECK_FALSE(changes([](Plan& p) { p.site.dtm.path = "/moved/dtm.tif"; }));
    // Part of it.
    CHECK(changes([](Plan& p) { p.route.segments[1].to.e += 1e-9; }));
    CHECK(changes([](Plan& p) { p.route.segments.pop_back(); }));
    CHECK(changes([](Plan& p) { p.route.segments[3].provenance.repaired = false; }));
    CHECK(changes([](Plan& p) { p.route.start.headingDeg = 0.0; }));
    CHECK(changes([](Plan& p) { p.goal.n += 0.5; }));
    CHECK(changes([](Plan& p) { p.goalToleranceM = 2.0; }));
    CHECK(changes([](Plan& p) { p.viaPoints.pop_back(); }));
    CHECK(changes([](Plan& p) { p.zones[0].keepIn = true; }));
    CHECK(changes([](Plan& p) { p.maxSegmentM = 5.0; }));
    CHECK(changes([](Plan& p) { p.rover.bellyClearanceM = 0.5; }));
    CHECK(changes([](Plan& p) { p.site.dtm.sha256 = std::string(64, 'f'); }));
    CHECK(changes([](Plan& p) { p.site.ortho.reset(); }));

    SECTION("the stored report stops matching, and says why") {
        Plan p = plan;
        p.route.segments[0].to.n += 1.0;
        CHECK(validationMismatch(p) == std::optional<std::string>("the plan changed since the route was validated"));
        p = plan;
        p.rover.massKg = 900.0;
        CHECK(validationMismatch(p)->find("rover") != std::string::npos);
        p = plan;
        p.site.dtm.sha256 = std::string(64, 'f');
        CHECK(validationMismatch(p)->find("terrain") != std::string::npos);
        p = plan;
        p.decisions.clear();
        CHECK_FALSE(validationMismatch(p));
        p.validation.reset();
        CHECK(validationMismatch(p));
    }
    SECTION("the terrain files on disk are checked against the recorded hashes") {
        CHECK_FALSE(siteMismatch(plan));
        writeText(dir / "site" / "dtm.tif", "edited");
        REQUIRE(siteMismatch(plan));
        CHECK_THAT(*siteMismatch(plan), Catch::Contains("DTM") && Catch::Contains("changed"));
        fs::remove(dir / "site" / "dtm.tif");
        CHECK_THAT(*siteMismatch(plan), Catch::Contains("dtm.tif"));
    }
}

TEST_CASE("time stamps are ISO-8601 UTC", "[plan]") {
    using namespace std::chrono;
    CHECK(isoTimestampUtc(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
    CHECK(isoTimestampUtc(system_clock::time_point{milliseconds(1740832496789)}) == "2025-03-01T12:34:56.789Z");
    Plan p;
    p.site.dtm = {"dtm.tif", std::string(64, 'a')};
    p.decisions.push_back({isoTimestampUtc(), 0, "builtin", {}, true, "", 1, ""});
    CHECK_NOTHROW(planToJson(p));
}

TEST_CASE("the JSON Schema is valid JSON and describes the format", "[plan][schema]") {
    const fs::path file = fs::path(TRAVERSE_SOURCE_DIR) / "resources" / "schemas" / "plan.schema.json";
    const auto schema = nlohmann::json::parse(readText(file));
    CHECK(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
    CHECK(schema["type"] == "object");
    CHECK(schema["properties"]["format"]["const"] == "traverse-plan");
    const auto& required = schema["required"];
    for (const char* key : {"format", "version", "site", "rover", "start", "goal"}) {
        INFO(key);
        CHECK(std::find(required.begin(), required.end(), key) != required.end());
    }
    // Every key the writer produces is described.
    TempDir dir;
    const auto written = nlohmann::json::parse(planToJson(fullPlan(writeFakeSite(dir / "site"))));
    for (const auto& item : written.items()) {
        INFO(item.key());
        CHECK(schema["properties"].contains(item.key()));
    }
    CHECK(schema["additionalProperties"] == false);
}
