#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "twin/telemetry.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace traverse;
using namespace traverse::twin;

TEST_CASE("telemetry has at least 25 named channels and round-trips through CSV exactly") {
    Telemetry t;
    REQUIRE(t.channelCount() >= 25);
    CHECK(t.names()[kRollDeg] == "roll_deg");
    CHECK(t.index("min_belly_clearance_m") == std::size_t(kMinBellyClearanceM));
    std::vector<double> row(t.channelCount());
    for (int s = 0; s < 5; ++s) {
        for (std::size_t c = 0; c < row.size(); ++c) row[c] = 0.1 * s + 1e-7 * double(c) - 2812.123456789;
        t.append(row.data());
    }
    test::TempDir dir;
    t.writeCsv(dir / "tm.csv");
    const Telemetry back = Telemetry::readCsv(dir / "tm.csv");
    CHECK(back.names() == t.names());
    REQUIRE(back.size() == 5);
    for (std::size_t c = 0; c < t.channelCount(); ++c) CHECK(back.column(c) == t.column(c));
}

TEST_CASE("a malformed telemetry CSV names the file and the line") {
    test::TempDir dir;
    std::ofstream(dir / "bad.csv") << "time_s,east_m\n0,1\n1,2\n2,oops\n";
    try {
        Telemetry::readCsv(dir / "bad.csv");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("bad.csv: line 4") != std::string::npos);
        CHECK(std::string(e.what()).find("east_m") != std::string::npos);
    }
    std::ofstream(dir / "short.csv") << "time_s,east_m\n0\n";
    CHECK_THROWS_WITH(Telemetry::readCsv(dir / "short.csv"), Catch::Contains("line 2"));
    CHECK_THROWS_AS(Telemetry().index("nope"), Error);
}
