#include "twin/suspension.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace traverse::twin;

namespace {
constexpr double kDeg = M_PI / 180.0;
std::array<double, kWheelCount> onPlane(const RoverConfig& r, double gx, double gy) {
    std::array<double, kWheelCount> z{};
    const auto w = wheelPositions(r);
    for (int i = 0; i < kWheelCount; ++i) z[std::size_t(i)] = gx * w[std::size_t(i)][0] + gy * w[std::size_t(i)][1];
    return z;
}
}  // namespace

TEST_CASE("on flat ground the suspension is level and shares the load symmetrically") {
    const RoverConfig r;
    const SuspensionState s = settle(r, onPlane(r, 0, 0));
    CHECK(s.pitchRad == Approx(0.0).margin(1e-12));
    CHECK(s.rollRad == Approx(0.0).margin(1e-12));
    CHECK(s.bodyZ == Approx(0.0).margin(1e-12));
    CHECK(s.rockerRad[0] == Approx(0.0).margin(1e-12));
    CHECK(s.bogieRad[1] == Approx(0.0).margin(1e-12));
    double sum = 0;
    for (double l : s.loadShare) sum += l;
    CHECK(sum == Approx(1.0));
    CHECK(s.loadShare[kLeftFront] == Approx(s.loadShare[kRightFront]));
    // Moments about the pivots: front = (xr - xb)/(xf - xb) of a side's half.
    CHECK(s.loadShare[kLeftFront] == Approx(0.5 * (0.25 + 0.55) / (1.10 + 0.55)));
}

TEST_CASE("on a plane the body takes the plane's slope: pitch up-slope, roll across") {
    const RoverConfig r;
    const double theta = 12.0 * kDeg;
    const SuspensionState up = settle(r, onPlane(r, std::tan(theta), 0));
    CHECK(up.pitchRad == Approx(theta).margin(1e-9));
    CHECK(up.rollRad == Approx(0.0).margin(1e-9));
    CHECK(up.rockerRad[0] == Approx(0.0).margin(1e-9));
    const SuspensionState across = settle(r, onPlane(r, 0, std::tan(theta)));
    CHECK(across.rollRad == Approx(theta).margin(1e-9));
    CHECK(across.pitchRad == Approx(0.0).margin(1e-9));
    // The downhill (right) side carries more.
    CHECK(across.loadShare[kRightMiddle] > across.loadShare[kLeftMiddle]);
}

TEST_CASE("a bump under the left front wheel, by hand") {
    const RoverConfig r;  // xf 1.10, xm 0, xr -1.10, rocker pivot 0.25, bogie pivot -0.55, track 2.2
    std::array<double, kWheelCount> z{};
    const double h = 0.2;
    z[kLeftFront] = h;
    const SuspensionState s = settle(r, z);
    // Left bogie level, its pivot at wheel-centre height; the rocker rises to the front wheel.
    const double rockerWorld = std::atan(h / (1.10 + 0.55));
    const double pivotRise = (0.25 + 0.55) * std::tan(rockerWorld);
    CHECK(s.pitchRad == Approx(rockerWorld / 2));
    CHECK(s.rockerRad[0] == Approx(rockerWorld / 2));
    CHECK(s.rockerRad[1] == Approx(-rockerWorld / 2));
    CHECK(s.bogieRad[0] == Approx(-rockerWorld));
    CHECK(s.rollRad == Approx(std::atan(pivotRise / 2.2)));
}
