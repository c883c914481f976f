// The `traverse` command line, run as a separate process the way a planner runs it.
#include "support/test_support.hpp"
#include "terrain/geometry.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace traverse;
using traverse::terrain::GeoTransform;
namespace fs = std::filesystem;

namespace {

fs::path goodDtm(const test::TempDir& dir, const std::string& name = "dtm.tif") {
    test::WriteOptions o;
    o.noData = -9999.0;
    return test::writeRaster(dir / name, test::syntheticDtm(200, 150, 9, -9999.f),
                             GeoTransform::northUp({1000.0, 5000.0}, 1.0, 1.0), o);
}

int lineCount(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

// The error contract: non-zero exit, exactly one line on stderr that names `what`, nothing in out.
void requireCleanFailure(const test::RunResult& r, const std::string& what, const fs::path& out) {
    INFO("stderr: " << r.err);
    CHECK(r.status != 0);
    CHECK(lineCount(r.err) == 1);
    CHECK(r.err.find(what) != std::string::npos);
    CHECK(test::listFiles(out).empty());
}

}  // namespace

TEST_CASE("traverse --help and every command's --help explain themselves") {
    auto r = test::runCli({"--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("hazards") != std::string::npos);
    r = test::runCli({"info", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("usage: traverse info") != std::string::npos);
    r = test::runCli({"hazards", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("--max-slope") != std::string::npos);
    r = test::runCli({"hazards", "--bogus"});
    CHECK(r.status == 2);
    CHECK(r.err.find("unknown option --bogus") != std::string::npos);
    r = test::runCli({"fly"});
    CHECK(r.status == 2);
}

TEST_CASE("traverse info describes the sample site") {
    const auto r = test::runCli({"info", (test::sampleDir() / "sample_dtm.tif").string(),
                                 (test::sampleDir() / "sample_dtm.IMG").string(),
                                 (test::sampleDir() / "sample_ortho.tif").string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("driver      GTiff") != std::string::npos);
    CHECK(r.out.find("driver      PDS") != std::string::npos);
    CHECK(r.out.find("pixel size  1 x 1 m") != std::string::npos);
    CHECK(r.out.find("pixel size  0.25 x 0.25 m") != std::string::npos);
    CHECK(r.out.find("+proj=eqc") != std::string::npos);
    CHECK(r.out.find("+R=3396190") != std::string::npos);
    CHECK(r.out.find("nodata      -3.4028226550889045e+38") != std::string::npos);
    CHECK(r.out.find("nodata share") != std::string::npos);
    CHECK(r.out.find("elevation   -2") != std::string::npos);
    CHECK(r.out.find("overviews   512x512") != std::string::npos);
    CHECK(r.out.find("extent      E ") != std::string::npos);
}

TEST_CASE("traverse hazards writes every layer of the sample site") {
    test::TempDir dir;
    const auto out = dir / "hazards";
    const auto r = test::runCli({"hazards", "--dtm", (test::sampleDir() / "sample_dtm.tif").string(), "--ortho",
                                 (test::sampleDir() / "sample_ortho.tif").string(), "--out", out.string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    auto files = test::listFiles(out);
    std::sort(files.begin(), files.end());
    CHECK(files == std::vector<std::string>{"cost.tif", "hazard.tif", "roughness.tif", "slope.tif", "step.tif",
                                            "unknown.tif"});
    CHECK(r.out.find("hard hazard") != std::string::npos);
    const auto info = test::runCli({"info", (out / "slope.tif").string()});
    CHECK(info.status == 0);
    CHECK(info.out.find("blocks 256 x 256") != std::string::npos);
}

TEST_CASE("bad input gets one clear line, a non-zero exit and nothing half-written") {
    test::TempDir dir;
    const auto out = dir / "out";
    const auto dtm = goodDtm(dir);

    SECTION("missing file") {
        requireCleanFailure(test::runCli({"hazards", "--dtm", (dir / "nope.tif").string(), "--out", out.string()}),
                            "nope.tif: no such file", out);
        requireCleanFailure(test::runCli({"info", (dir / "nope.tif").string()}), "nope.tif", out);
    }
    SECTION("a file that is not a raster") {
        std::ofstream(dir / "readme.tif") << "plain text\n";
        requireCleanFailure(
            test::runCli({"hazards", "--dtm", (dir / "readme.tif").string(), "--out", out.string()}),
            "readme.tif: not a raster", out);
    }
    SECTION("a truncated GeoTIFF") {
        test::WriteOptions o;
        o.noData = -9999.0;
        o.creationOptions = {"COMPRESS=DEFLATE"};
        const auto p = test::writeRaster(dir / "cut.tif", test::syntheticDtm(600, 600, 3, -9999.f),
                                         GeoTransform::northUp({0, 0}, 1, 1), o);
        fs::resize_file(p, fs::file_size(p) * 2 / 3);
        requireCleanFailure(test::runCli({"hazards", "--dtm", p.string(), "--out", out.string()}), "cut.tif", out);
    }
    SECTION("a DTM without georeferencing") {
        test::WriteOptions o;
        o.crsWkt.clear();
        o.geoTransform = false;
        const auto p = test::writeRaster(dir / "bare.tif", test::syntheticDtm(50, 50, 3, -9999.f),
                                         GeoTransform::northUp({0, 0}, 1, 1), o);
        requireCleanFailure(test::runCli({"hazards", "--dtm", p.string(), "--out", out.string()}),
                            "bare.tif: DTM has no georeferencing", out);
    }
    SECTION("an all-nodata DTM") {
        test::WriteOptions o;
        o.noData = -9999.0;
        const auto p = test::writeRaster(dir / "empty.tif", terrain::Grid<float>(80, 60, -9999.f),
                                         GeoTransform::northUp({0, 0}, 1, 1), o);
        requireCleanFailure(test::runCli({"hazards", "--dtm", p.string(), "--out", out.string()}),
                            "empty.tif: DTM holds no valid elevation", out);
    }
    SECTION("an orthoimage that does not overlap the DTM") {
        terrain::Grid<std::uint8_t> img(40, 40, 100);
        const auto p = test::writeRaster(dir / "elsewhere.tif", img, GeoTransform::northUp({90000.0, 5000.0}, 0.25, 0.25));
        const auto r = test::runCli({"hazards", "--dtm", dtm.string(), "--ortho", p.string(), "--out", out.string()});
        requireCleanFailure(r, "do not overlap", out);
        CHECK(r.err.find("elsewhere.tif") != std::string::npos);
        CHECK(r.err.find("dtm.tif") != std::string::npos);
    }
    SECTION("an unwritable output folder") {
        std::ofstream(dir / "occupied") << "a file where the folder should go";
        const auto bad = dir / "occupied" / "hazards";
        requireCleanFailure(test::runCli({"hazards", "--dtm", dtm.string(), "--out", bad.string()}),
                            bad.string(), out);
        if (geteuid() != 0) {  // root writes anywhere; the permission case needs a normal user
            fs::create_directory(dir / "locked");
            fs::permissions(dir / "locked", fs::perms::owner_read | fs::perms::owner_exec);
            requireCleanFailure(
                test::runCli({"hazards", "--dtm", dtm.string(), "--out", (dir / "locked").string()}), "locked", out);
        }
    }
    SECTION("a bad limit is refused before anything is written") {
        const auto r = test::runCli({"hazards", "--dtm", dtm.string(), "--out", out.string(), "--max-slope", "abc"});
        CHECK(r.status == 2);
        CHECK(r.err.find("--max-slope") != std::string::npos);
        CHECK_FALSE(fs::exists(out));
    }
}

TEST_CASE("traverse simulate runs the sample drive and writes telemetry and a verdict") {
    test::TempDir dir;
    const auto r = test::runCli({"simulate", "--dtm", (test::sampleDir() / "sample_dtm.tif").string(), "--sequence",
                                 std::string(TRAVERSE_SOURCE_DIR) + "/data/samples/sample_drive.seq", "--out",
                                 (dir / "sim").string(), "--monte-carlo", "20"});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("all kept") != std::string::npos);
    CHECK(r.out.find("Monte Carlo 20 runs") != std::string::npos);
    std::ifstream csv(dir / "sim" / "telemetry.csv");
    std::string header;
    std::getline(csv, header);
    CHECK(std::count(header.begin(), header.end(), ',') >= 24);
    int lines = 0;
    for (std::string l; std::getline(csv, l);) ++lines;
    CHECK(lines > 1000);  // ~55 m at 5 cm, plus turns
    std::ifstream verdict(dir / "sim" / "verdict.json");
    const std::string v((std::istreambuf_iterator<char>(verdict)), std::istreambuf_iterator<char>());
    CHECK(v.find("\"pass\": true") != std::string::npos);
    CHECK(v.find("\"monte_carlo\"") != std::string::npos);
}

TEST_CASE("traverse simulate exits 3 when a flight rule breaks, and 1 on a bad sequence") {
    test::TempDir dir;
    const auto dtm = (test::sampleDir() / "sample_dtm.tif").string();
    {
        std::ofstream s(dir / "off_edge.seq");
        s << "SEQUENCE name=off_edge sol=2 rover=default\nSTART e=3300 n=1093600 heading_deg=90\n"
             "MOB_STRAIGHT distance_m=40\n";
    }
    auto r = test::runCli({"simulate", "--dtm", dtm, "--sequence", (dir / "off_edge.seq").string(), "--out",
                           (dir / "a").string()});
    INFO(r.out << r.err);
    CHECK(r.status == 3);
    CHECK(r.out.find("nodata_under_rover") != std::string::npos);
    CHECK(r.out.find("left_site") != std::string::npos);
    {
        std::ofstream s(dir / "typo.seq");
        s << "SEQUENCE name=typo sol=2 rover=default\nSTART e=2600 n=1093400 heading_deg=0\n"
             "MOB_STRAIGHT distance_m=4\nMOB_FLY distance_m=4\n";
    }
    r = test::runCli({"simulate", "--dtm", dtm, "--sequence", (dir / "typo.seq").string(), "--out",
                      (dir / "b").string()});
    CHECK(r.status == 1);
    CHECK(lineCount(r.err) == 1);
    CHECK(r.err.find("line 4") != std::string::npos);
    CHECK(r.err.find("MOB_FLY") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "b" / "verdict.json"));
    r = test::runCli({"simulate", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("--monte-carlo") != std::string::npos);
}

namespace {
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("traverse plan and validate on the sample site; validation refuses changed terrain") {
    test::TempDir dir;
    // Work on a copy of the sample DTM, so that the test can change it.
    const auto dtm = dir / "dtm.tif";
    fs::copy_file(test::sampleDir() / "sample_dtm.tif", dtm);
    const auto plan = dir / "plans" / "drive.json";
    auto r = test::runCli({"plan", "--quiet", "--dtm", dtm.string(), "--start", "2400,1093900,90", "--goal",
                           "2700,1093900", "--out", plan.string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("goal reached") != std::string::npos);
    const std::string planned = slurp(plan);
    CHECK(planned.find("\"format\": \"traverse-plan\"") != std::string::npos);
    CHECK(planned.find("\"source\": \"builtin\"") != std::string::npos);

    r = test::runCli({"validate", plan.string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("PASS") != std::string::npos);
    CHECK(slurp(plan).find("\"validation\"") != std::string::npos);

    // A corrupt plan: a clear error, and the file is left as it was.
    const auto broken = dir / "broken.json";
    std::ofstream(broken) << "{\"format\": \"traverse-plan\", \"version\": 1, ";
    const std::string before = slurp(broken);
    r = test::runCli({"validate", broken.string()});
    CHECK(r.status == 1);
    CHECK(lineCount(r.err) == 1);
    CHECK(r.err.find("broken.json") != std::string::npos);
    CHECK(slurp(broken) == before);

    // Change the terrain under the plan: validation refuses, naming the change.
    {
        std::fstream f(dtm, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-16, std::ios::end);
        f.write("changed terrain!", 16);
    }
    const std::string validated = slurp(plan);
    r = test::runCli({"validate", plan.string()});
    CHECK(r.status == 1);
    CHECK(r.err.find("dtm.tif") != std::string::npos);
    CHECK(slurp(plan) == validated);
}

TEST_CASE("traverse plan refuses what it cannot plan, with the reason") {
    test::TempDir dir;
    const auto dtm = (test::sampleDir() / "sample_dtm.tif").string();
    auto r = test::runCli({"plan", "--dtm", dtm, "--start", "100,100", "--goal", "2700,1093900", "--out",
                           (dir / "p.json").string()});
    CHECK(r.status == 1);
    CHECK(r.err.find("outside the DTM") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "p.json"));
    r = test::runCli({"plan", "--dtm", dtm, "--start", "2400,1093900", "--goal", "2700", "--out", (dir / "p.json").string()});
    CHECK(r.status == 2);
    r = test::runCli({"plan", "--dtm", dtm, "--start", "2400,1093900", "--goal", "2700,1093900", "--proposer",
                      "someone", "--out", (dir / "p.json").string()});
    CHECK(r.status == 2);
    CHECK(r.err.find("builtin, anthropic, openai or replay:DIR") != std::string::npos);
    r = test::runCli({"plan", "--dtm", dtm, "--start", "2400,1093900", "--goal", "2700,1093900", "--model", "m",
                      "--out", (dir / "p.json").string()});
    CHECK(r.status == 2);
    CHECK(r.err.find("--model applies to --proposer anthropic or openai") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "p.json"));
}

TEST_CASE("traverse export writes a validated route and refuses one that is not, or no longer, validated") {
    test::TempDir dir;
    const auto dtm = dir / "dtm.tif";
    fs::copy_file(test::sampleDir() / "sample_dtm.tif", dtm);
    const auto plan = dir / "plans" / "drive.json";
    auto r = test::runCli({"plan", "--quiet", "--dtm", dtm.string(), "--start", "2400,1093900,90", "--goal",
                           "2700,1093900", "--out", plan.string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);

    r = test::runCli({"export", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("usage: traverse export PLAN.json --out DIR") != std::string::npos);
    r = test::runCli({"export", plan.string()});
    CHECK(r.status == 2);
    CHECK(r.err.find("--out") != std::string::npos);

    // Not validated yet: refused, with the reason, and nothing written.
    requireCleanFailure(test::runCli({"export", plan.string(), "--out", (dir / "out").string()}),
                        "export refused: the plan has no validation report", dir / "out");
    CHECK_FALSE(fs::exists(dir / "out"));

    r = test::runCli({"validate", plan.string()});
    REQUIRE(r.status == 0);
    const auto out = dir / "out";
    r = test::runCli({"export", plan.string(), "--out", out.string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    auto files = test::listFiles(out);
    std::sort(files.begin(), files.end());
    CHECK(files == std::vector<std::string>{"checksums.sha256", "drive.geojson", "drive.kml", "drive.seq.json",
                                            "drive.txt"});
    CHECK(r.out.find("PASS") != std::string::npos);
    CHECK(r.out.find((out / "drive.seq.json").string()) != std::string::npos);
    CHECK(std::system(("cd '" + out.string() + "' && sha256sum -c --quiet checksums.sha256").c_str()) == 0);
    const std::string seq = slurp(out / "drive.seq.json");
    CHECK(seq.find("\"stem\": \"MOB_GOTO\"") != std::string::npos);
    CHECK(seq.find("\"variable\": \"east_m\"") != std::string::npos);
    CHECK(slurp(out / "drive.geojson").find("\"kind\": \"waypoint\"") != std::string::npos);
    CHECK(slurp(out / "drive.kml").find("<coordinates>77.") != std::string::npos);  // Jezero-like longitudes

    r = test::runCli({"export", plan.string(), "--out", (dir / "named").string(), "--name", "sol12_drive"});
    CHECK(r.status == 0);
    CHECK(fs::exists(dir / "named" / "sol12_drive.seq.json"));
    requireCleanFailure(test::runCli({"export", plan.string(), "--out", (dir / "bad").string(), "--name", "../up"}),
                        "not usable", dir / "bad");

    // The plan edited after validation: refused until validated again.
    const std::string validated = slurp(plan);
    {
        std::string edited = validated;
        const auto at = edited.find("\"goal_tolerance_m\": 1.0");
        REQUIRE(at != std::string::npos);
        edited.replace(at, 23, "\"goal_tolerance_m\": 1.5");
        std::ofstream(plan, std::ios::binary) << edited;
    }
    requireCleanFailure(test::runCli({"export", plan.string(), "--out", (dir / "out2").string()}),
                        "the plan changed since the route was validated", dir / "out2");
    std::ofstream(plan, std::ios::binary) << validated;

    // The terrain changed after validation: refused, naming the DTM; the earlier export is untouched.
    const std::string exported = slurp(out / "drive.seq.json");
    {
        std::fstream f(dtm, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-16, std::ios::end);
        f.write("changed terrain!", 16);
    }
    r = test::runCli({"export", plan.string(), "--out", out.string()});
    CHECK(r.status == 1);
    CHECK(lineCount(r.err) == 1);
    CHECK(r.err.find("export refused") != std::string::npos);
    CHECK(r.err.find("dtm.tif changed") != std::string::npos);
    CHECK(slurp(out / "drive.seq.json") == exported);
    requireCleanFailure(test::runCli({"export", plan.string(), "--out", (dir / "out3").string()}), "dtm.tif changed",
                        dir / "out3");
}
