#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>

using namespace traverse;
using namespace traverse::terrain;

namespace {

const GeoTransform kGt = GeoTransform::northUp({0.0, 0.0}, 1.0, 1.0);

HazardParams params() {
    HazardParams p;  // 3 m footprint (3x3), 2x2 wheel windows, 2 px unknown buffer at 1 m/px
    p.unknownBufferM = 2.0;
    return p;
}

// Analytic cases sit near zero elevation: float32 holds -2500 m only to 0.24 mm, which alone moves a
// Horn slope by ~0.005 degree (the gdaldem comparison covers realistic elevations).
Grid<float> plane(int n, double gx, double gy, double z0 = 10.0) {
    Grid<float> g(n, n);
    // Map x grows with column, map y (north) falls with row.
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) g.at(c, r) = float(z0 + gx * c - gy * r);
    return g;
}

}  // namespace

TEST_CASE("window sizes follow the rover and the pixel size") {
    const auto w1 = hazardWindows(params(), 1.0);
    CHECK(w1.roughnessRadius == 1);
    CHECK(w1.stepSide == 2);
    CHECK(w1.unknownRadius == 2);
    CHECK(w1.halo == 2);
    const auto w2 = hazardWindows(params(), 0.25);
    CHECK(w2.roughnessRadius == 6);  // 3 m / 0.25 m = 12 px -> 13 px window
    CHECK(w2.stepSide == 3);
    CHECK(w2.unknownRadius == 8);
    HazardParams bad = params();
    bad.limits.maxSlopeDeg = -1.0;
    CHECK_THROWS_AS(hazardWindows(bad, 1.0), Error);
    CHECK_THROWS_AS(hazardWindows(params(), std::nan("")), Error);
}

TEST_CASE("an inclined plane has its analytic slope, zero roughness and a known step") {
    const double gx = 0.3, gy = 0.4;  // |grad| = 0.5
    const auto m = HazardMaps::compute(plane(40, gx, gy), kGt, std::nullopt, params());
    const double slope = std::atan(0.5) * 180.0 / M_PI;
    for (int r = 3; r < 37; ++r)
        for (int c = 3; c < 37; ++c) {
            CHECK(m.slope.at(c, r) == Approx(slope).margin(1e-3));
            CHECK(m.roughness.at(c, r) < 1e-3f);
            // A 2x2 window of a plane spans |gx| + |gy| from corner to corner.
            CHECK(m.step.at(c, r) == Approx(gx + gy).margin(1e-3));
            CHECK(m.unknown.at(c, r) == 0);
        }
    // Border ring: no slope, unknown terrain (the edge of the DTM).
    CHECK(m.slope.at(0, 5) == kNoData);
    CHECK(m.unknown.at(0, 5) == 1);
    CHECK(m.unknown.at(1, 5) == 1);
    CHECK(m.unknown.at(2, 5) == 0);
    CHECK(m.hazard.at(0, 5) & kHazardUnknown);
}

TEST_CASE("slopes above the limit are hard hazards with cost 1; flat ground costs nothing") {
    const auto steep = HazardMaps::compute(plane(20, std::tan(35.0 * M_PI / 180.0), 0.0), kGt, std::nullopt, params());
    CHECK(steep.slope.at(10, 10) == Approx(35.0).margin(1e-3));
    CHECK(steep.hazard.at(10, 10) & kHazardSlope);
    CHECK(steep.cost.at(10, 10) == 1.0f);
    const auto gentle = HazardMaps::compute(plane(20, std::tan(10.0 * M_PI / 180.0), 0.0), kGt, std::nullopt, params());
    CHECK((gentle.hazard.at(10, 10) & kHazardSlope) == 0);
    const auto flat = HazardMaps::compute(plane(20, 0.0, 0.0), kGt, std::nullopt, params());
    CHECK(flat.cost.at(10, 10) == 0.0f);
    CHECK(flat.hazard.at(10, 10) == 0);
    CHECK(gentle.cost.at(10, 10) > flat.cost.at(10, 10));
    CHECK(gentle.cost.at(10, 10) < 1.0f);
}

TEST_CASE("a step of known height shows its height next to the edge and nowhere else") {
    Grid<float> g(30, 30, 10.0f);
    for (int r = 0; r < 30; ++r)
        for (int c = 15; c < 30; ++c) g.at(c, r) = 10.0f + 0.55f;
    const auto m = HazardMaps::compute(g, kGt, std::nullopt, params());
    CHECK(m.step.at(14, 10) == Approx(0.55));
    CHECK(m.step.at(15, 10) == Approx(0.55));
    CHECK(m.step.at(13, 10) == 0.0f);
    CHECK(m.step.at(16, 10) == 0.0f);
    CHECK(m.hazard.at(14, 10) & kHazardStep);
    CHECK((m.hazard.at(12, 10) & kHazardStep) == 0);
}

TEST_CASE("roughness is the RMS residual of the plane fit (checkerboard)") {
    const float d = 0.2f;
    Grid<float> g(20, 20);
    for (int r = 0; r < 20; ++r)
        for (int c = 0; c < 20; ++c) g.at(c, r) = 10.0f + (((r + c) % 2) ? d : -d);
    const auto m = HazardMaps::compute(g, kGt, std::nullopt, params());
    // 3x3 window: five of one sign, four of the other; the plane is flat at +-d/9, so
    // RSS = 9 d^2 - 9 (d/9)^2 and RMS = d sqrt(1 - 1/81).
    const double expected = d * std::sqrt(1.0 - 1.0 / 81.0);
    CHECK(m.roughness.at(10, 10) == Approx(expected).epsilon(1e-4));
    CHECK(m.roughness.at(11, 10) == Approx(expected).epsilon(1e-4));
    CHECK(m.hazard.at(10, 10) & kHazardRoughness);
}

TEST_CASE("nodata makes its neighbourhood unknown, a hard hazard") {
    Grid<float> g = plane(30, 0.0, 0.0);
    g.at(15, 15) = -9999.0f;
    const auto m = HazardMaps::compute(g, kGt, -9999.0, params());
    CHECK(m.unknown.at(15, 15) == 1);
    CHECK(m.unknown.at(17, 13) == 1);  // within 2 px (square neighbourhood)
    CHECK(m.unknown.at(18, 15) == 0);
    CHECK(m.slope.at(16, 16) == kNoData);  // 3x3 window holds nodata
    CHECK(m.slope.at(17, 17) == 0.0f);
    CHECK(m.roughness.at(14, 14) == kNoData);
    CHECK(m.step.at(15, 15) == kNoData);
    CHECK(m.hazard.at(17, 13) == kHazardUnknown);
    CHECK(m.cost.at(17, 13) == 1.0f);
    CHECK(m.summary.validCells == 30 * 30 - 1);
}

TEST_CASE("streaming in blocks on several threads gives exactly the in-memory result") {
    const Grid<float> g = test::syntheticDtm(300, 257, 11, -9999.f);
    HazardRunOptions one;
    one.threads = 1;
    one.blockRows = 1000;
    const auto ref = HazardMaps::compute(g, kGt, -9999.0, params(), one);
    CHECK(ref.summary.validCells < 300 * 257);
    CHECK(ref.summary.hazardCells > 0);
    for (int blockRows : {8, 37, 64}) {
        for (int threads : {1, 2, 3}) {
            struct Collect : HazardSink {
                Grid<float> slope{300, 257}, rough{300, 257}, step{300, 257}, cost{300, 257};
                Grid<std::uint8_t> unknown{300, 257}, hazard{300, 257};
                int nextRow = 0;
                void consume(const HazardBlock& b) override {
                    REQUIRE(b.row0 == nextRow);
                    nextRow += b.rows;
                    const std::size_t o = std::size_t(b.row0) * 300, n = std::size_t(b.rows) * 300;
                    std::copy(b.slope, b.slope + n, slope.values.begin() + o);
                    std::copy(b.roughness, b.roughness + n, rough.values.begin() + o);
                    std::copy(b.step, b.step + n, step.values.begin() + o);
                    std::copy(b.cost, b.cost + n, cost.values.begin() + o);
                    std::copy(b.unknown, b.unknown + n, unknown.values.begin() + o);
                    std::copy(b.hazard, b.hazard + n, hazard.values.begin() + o);
                }
            } sink;
            HazardRunOptions o;
            o.threads = threads;
            o.blockRows = blockRows;
            const DemGeometry dem{300, 257, 1.0, -1.0, -9999.0};
            const auto s = computeHazards(
                dem, [&](int r0, int n, float* dst) { std::copy(g.row(r0), g.row(r0) + std::size_t(n) * 300, dst); },
                params(), sink, o);
            CAPTURE(blockRows, threads);
            CHECK(sink.nextRow == 257);
            CHECK(s.validCells == ref.summary.validCells);
            CHECK(s.hazardCells == ref.summary.hazardCells);
            CHECK(sink.slope.values == ref.slope.values);
            CHECK(sink.rough.values == ref.roughness.values);
            CHECK(sink.step.values == ref.step.values);
            CHECK(sink.cost.values == ref.cost.values);
            CHECK(sink.unknown.values == ref.unknown.values);
            CHECK(sink.hazard.values == ref.hazard.values);
        }
    }
}

TEST_CASE("a stop request cancels the computation") {
    std::stop_source stop;
    stop.request_stop();
    HazardRunOptions o;
    o.stop = stop.get_token();
    try {
        HazardMaps::compute(plane(40, 0.1, 0.1), kGt, std::nullopt, params(), o);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Cancelled);
    }
}

TEST_CASE("progress is reported up to completion") {
    double last = 0.0;
    int calls = 0;
    HazardRunOptions o;
    o.blockRows = 16;
    o.progress = [&](double f, std::string_view) {
        CHECK(f >= last);
        last = f;
        ++calls;
    };
    HazardMaps::compute(plane(64, 0.1, 0.1), kGt, std::nullopt, params(), o);
    CHECK(calls == 4);
    CHECK(last == 1.0);
}

TEST_CASE("the baseline, AVX2 and AVX-512 builds of the kernel give identical layers") {
    const Grid<float> g = test::syntheticDtm(700, 90, 12, -9999.f);
    // A footprint of 5 m takes the general (double precision) roughness path.
    HazardParams wide = params();
    wide.footprintM = 5.0;
    auto build = [&](const char* kernel, const HazardParams& p) {
        if (kernel)
            setenv("TRAVERSE_HAZARD_KERNEL", kernel, 1);
        else
            unsetenv("TRAVERSE_HAZARD_KERNEL");
        auto m = HazardMaps::compute(g, kGt, -9999.0, p);
        unsetenv("TRAVERSE_HAZARD_KERNEL");
        return m;
    };
    // The CPU's best build (AVX-512 or AVX2 where present), AVX2 (where present) and the baseline.
    const auto base = build("baseline", params());
    const auto baseWide = build("baseline", wide);
    for (const char* kernel : {static_cast<const char*>(nullptr), "avx2"}) {
        INFO((kernel ? kernel : "the CPU's best"));
        const auto fast = build(kernel, params());
        CHECK(base.slope.values == fast.slope.values);
        CHECK(base.roughness.values == fast.roughness.values);
        CHECK(base.step.values == fast.step.values);
        CHECK(base.cost.values == fast.cost.values);
        CHECK(base.unknown.values == fast.unknown.values);
        CHECK(base.hazard.values == fast.hazard.values);
        CHECK(baseWide.roughness.values == build(kernel, wide).roughness.values);
    }
}

TEST_CASE("a 5x5 roughness window agrees with the 3x3 formula's definition on a checkerboard") {
    // For a 5x5 checkerboard (13 of one sign, 12 of the other) the plane is flat at d/25 and the
    // RMS residual is d sqrt(1 - 1/625): the general path, checked against the same analytic case.
    const float d = 0.2f;
    Grid<float> g(30, 30);
    for (int r = 0; r < 30; ++r)
        for (int c = 0; c < 30; ++c) g.at(c, r) = 10.0f + (((r + c) % 2) ? d : -d);
    HazardParams p = params();
    p.footprintM = 5.0;
    const auto m = HazardMaps::compute(g, kGt, std::nullopt, p);
    CHECK(m.roughness.at(15, 15) == Approx(d * std::sqrt(1.0 - 1.0 / 625.0)).epsilon(1e-4));
}
