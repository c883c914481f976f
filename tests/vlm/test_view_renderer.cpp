#include "vlm/view_renderer.hpp"

#include "planner/segment_checker.hpp"
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/raster.hpp"
#include "twin/rover_config.hpp"

#include <catch2/catch.hpp>
#include <cpl_vsi.h>
#include <gdal.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using namespace traverse;
using terrain::GeoTransform;
using terrain::Grid;
using terrain::MapPoint;
namespace fs = std::filesystem;

namespace {

// ---- Decoding, through GDAL's PNG and JPEG drivers (a decoder independent of the renderer's) ----

struct Rgb {
    int r = 0, g = 0, b = 0;
};

struct Decoded {
    std::string driver;
    int width = 0, height = 0;
    std::vector<std::uint8_t> r, g, b;
    Rgb at(int x, int y) const {
        const std::size_t i = std::size_t(y) * std::size_t(width) + std::size_t(x);
        return {r[i], g[i], b[i]};
    }
    // Pixels of a rectangle (clipped to the image) that satisfy a predicate.
    int count(int x0, int y0, int x1, int y1, const std::function<bool(Rgb)>& pred) const {
        int n = 0;
        for (int y = std::max(0, y0); y < std::min(height, y1); ++y)
            for (int x = std::max(0, x0); x < std::min(width, x1); ++x) n += pred(at(x, y)) ? 1 : 0;
        return n;
    }
};

Decoded decode(const vlm::EncodedImage& image) {
    GDALAllRegister();
    static int counter = 0;
    const std::string path = "/vsimem/test_view_renderer_" + std::to_string(++counter) +
                             (image.mediaType == "image/png" ? ".png" : ".jpg");
    VSIFCloseL(VSIFileFromMemBuffer(path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(image.bytes.data())),
                                    vsi_l_offset(image.bytes.size()), FALSE));
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    Decoded d;
    d.driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds));
    d.width = GDALGetRasterXSize(ds);
    d.height = GDALGetRasterYSize(ds);
    REQUIRE(GDALGetRasterCount(ds) == 3);
    for (int band = 1; band <= 3; ++band) {
        auto& v = band == 1 ? d.r : band == 2 ? d.g : d.b;
        v.resize(std::size_t(d.width) * std::size_t(d.height));
        REQUIRE(GDALRasterIO(GDALGetRasterBand(ds, band), GF_Read, 0, 0, d.width, d.height, v.data(), d.width,
                             d.height, GDT_Byte, 0, 0) == CE_None);
    }
    GDALClose(ds);
    VSIUnlink(path.c_str());
    return d;
}

bool isRed(Rgb c) { return c.r > 80 && c.r > c.g + 60 && c.r > c.b + 60; }
bool isReddish(Rgb c) { return c.r > c.g + 40 && c.r > c.b + 40; }
bool isGreen(Rgb c) { return c.g > 100 && c.g > c.r + 40 && c.g > c.b + 40; }
bool isMagenta(Rgb c) { return c.r > 90 && c.b > 90 && c.g < 60; }
bool isGoalGreen(Rgb c) { return c.g > 200 && c.r < 90 && c.b < 90; }
bool isCandidateYellow(Rgb c) { return c.r > 200 && c.g > 170 && c.b < 90; }
bool isGrey(Rgb c) { return std::abs(c.r - c.g) < 12 && std::abs(c.g - c.b) < 12; }
bool isNoDataGrey(Rgb c) { return c.r == 60 && c.g == 60 && c.b == 60; }

// Lossless images for the tests that count exact colours (requests default to JPEG).
vlm::ViewOptions pngOptions() {
    vlm::ViewOptions o;
    o.format = vlm::ImageFormat::Png;
    return o;
}

// The pixel of a point of the rover-centred frame (pixel centres at integers).
std::array<int, 2> pixelOf(const vlm::ViewOptions& o, double east, double north) {
    const double mpp = o.extentM / o.sizePx, half = 0.5 * o.extentM;
    return {int(std::lround((east + half) / mpp - 0.5)), int(std::lround((half - north) / mpp - 0.5))};
}

// ---- Synthetic sites ----------------------------------------------------------------------------------

// 240 m x 200 m at 1 m, top-left corner at (1000, 2200): E 1000..1240, N 2000..2200.
constexpr double kLeft = 1000.0, kTop = 2200.0;
constexpr int kCols = 240, kRows = 200;
const GeoTransform kGt = GeoTransform::northUp({kLeft, kTop}, 1.0, 1.0);

struct Site {
    test::TempDir dir;
    terrain::Raster dtm;
    terrain::HazardMaps maps;

    Site(const std::function<double(double e, double n)>& height, const terrain::HazardParams& params,
         const std::function<bool(double e, double n)>& noData = {})
        : dtm(write(height, noData)), maps(terrain::HazardMaps::compute(dtm, params)) {}

private:
    terrain::Raster write(const std::function<double(double, double)>& height,
                          const std::function<bool(double, double)>& noData) {
        Grid<float> z(kCols, kRows);
        for (int r = 0; r < kRows; ++r)
            for (int c = 0; c < kCols; ++c) {
                const double e = kLeft + c + 0.5, n = kTop - r - 0.5;
                z.at(c, r) = (noData && noData(e, n)) ? -9999.0f : float(height(e, n));
            }
        test::WriteOptions o;
        o.noData = -9999.0;
        return terrain::Raster::open(test::writeRaster(dir / "dtm.tif", z, kGt, o));
    }
};

const twin::RoverConfig kRover;

// Gentle ground with a 40 degree ramp between E 1120 and E 1140 (a plateau beyond), and a nodata hole
// around (1090, 2130).
double rampHeight(double e, double) {
    return 0.02 * e + std::tan(40.0 * M_PI / 180.0) * (std::clamp(e, 1120.0, 1140.0) - 1120.0);
}
bool hole(double e, double n) { return std::hypot(e - 1090.0, n - 2130.0) < 4.0; }

// Slope alone: a step limit the ramp's 1 m cells never reach.
terrain::HazardParams slopeOnlyParams() {
    terrain::HazardParams p = twin::hazardParamsFor(kRover);
    p.limits.maxStepM = 5.0;
    p.limits.maxRoughnessM = 5.0;
    return p;
}

vlm::ViewScene sceneAt(double e, double n, double heading = 0.0) {
    vlm::ViewScene s;
    s.pose = {e, n, heading};
    s.goal = {e + 15.0, n - 30.0};  // inside an 80 m window, away from the pixels the tests look at
    return s;
}

void checkInvalid(const std::function<void()>& f) {
    try {
        f();
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::InvalidArgument);
    }
}

}  // namespace

TEST_CASE("views: two images of the requested size, PNG or JPEG", "[vlm][view_renderer]") {
    const Site site(rampHeight, slopeOnlyParams());
    for (const auto format : {vlm::ImageFormat::Png, vlm::ImageFormat::Jpeg}) {
        for (const int size : {1024, 300}) {
            vlm::ViewOptions o;
            o.format = format;
            o.sizePx = size;
            const vlm::ViewRenderer renderer(site.dtm, nullptr, site.maps, kRover, o);
            const auto images = renderer.render(sceneAt(1100, 2100));
            REQUIRE(images.size() == 2);
            CHECK(images[0].name == "terrain");
            CHECK(images[1].name == "hazard");
            for (const auto& im : images) {
                CHECK(im.width == size);
                CHECK(im.height == size);
                if (format == vlm::ImageFormat::Png) {
                    CHECK(im.mediaType == "image/png");
                    CHECK(im.bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
                } else {
                    CHECK(im.mediaType == "image/jpeg");
                    CHECK(im.bytes.substr(0, 3) == "\xFF\xD8\xFF");
                }
                const Decoded d = decode(im);
                CHECK(d.driver == (format == vlm::ImageFormat::Png ? "PNG" : "JPEG"));
                CHECK(d.width == size);
                CHECK(d.height == size);
            }
        }
    }
}

TEST_CASE("views: JPEG quality trades size", "[vlm][view_renderer]") {
    const Site site(rampHeight, slopeOnlyParams());
    vlm::ViewOptions o;
    o.format = vlm::ImageFormat::Jpeg;
    o.jpegQuality = 30;
    const auto low = vlm::ViewRenderer(site.dtm, nullptr, site.maps, kRover, o).render(sceneAt(1100, 2100));
    o.jpegQuality = 95;
    const auto high = vlm::ViewRenderer(site.dtm, nullptr, site.maps, kRover, o).render(sceneAt(1100, 2100));
    CHECK(low[0].bytes.size() < high[0].bytes.size());
    CHECK(low[1].bytes.size() < high[1].bytes.size());
}

TEST_CASE("views: options out of range are refused", "[vlm][view_renderer]") {
    const Site site(rampHeight, slopeOnlyParams());
    auto make = [&](const std::function<void(vlm::ViewOptions&)>& change) {
        return [&site, change] {
            vlm::ViewOptions o;
            change(o);
            const vlm::ViewRenderer r(site.dtm, nullptr, site.maps, kRover, o);
        };
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    checkInvalid(make([](auto& o) { o.sizePx = 63; }));
    checkInvalid(make([](auto& o) { o.sizePx = 1569; }));
    checkInvalid(make([](auto& o) { o.extentM = 0.0; }));
    checkInvalid(make([](auto& o) { o.extentM = -5.0; }));
    checkInvalid(make([](auto& o) { o.extentM = 2000.5; }));
    checkInvalid(make([nan](auto& o) { o.extentM = nan; }));
    checkInvalid(make([](auto& o) { o.gridStepM = 0.0; }));
    checkInvalid(make([](auto& o) { o.gridStepM = -10.0; }));
    checkInvalid(make([nan](auto& o) { o.gridStepM = nan; }));
    checkInvalid(make([](auto& o) { o.jpegQuality = 0; }));
    checkInvalid(make([](auto& o) { o.jpegQuality = 101; }));
    // The limits themselves are accepted.
    for (const auto& change : std::vector<std::function<void(vlm::ViewOptions&)>>{
             [](auto& o) { o.sizePx = 64; }, [](auto& o) { o.sizePx = 1568; }, [](auto& o) { o.extentM = 2000.0; },
             [](auto& o) { o.jpegQuality = 1; }, [](auto& o) { o.jpegQuality = 100; }})
        CHECK_NOTHROW(make(change)());
    // A pose that is not finite.
    const vlm::ViewRenderer r(site.dtm, nullptr, site.maps, kRover, {});
    checkInvalid([&] { r.render(sceneAt(nan, 2100)); });
}

TEST_CASE("hazard view: red where steeper than the rover's limit, green on flat ground", "[vlm][view_renderer]") {
    const Site site(rampHeight, slopeOnlyParams(), hole);
    const vlm::ViewOptions o = pngOptions();
    const vlm::ViewRenderer renderer(site.dtm, nullptr, site.maps, kRover, o);
    // Window E 1070..1150, N 2060..2140: the ramp is at local east +10..+30.
    const auto images = renderer.render(sceneAt(1110, 2100));
    const Decoded hazard = decode(images[1]);
    for (const double north : {-12.0, 3.0, 15.0}) {
        const auto steep = pixelOf(o, 17.0, north), flat = pixelOf(o, -25.0, north), beyond = pixelOf(o, 34.0, north);
        CHECK(isRed(hazard.at(steep[0], steep[1])));
        CHECK(isGreen(hazard.at(flat[0], flat[1])));
        CHECK(isGreen(hazard.at(beyond[0], beyond[1])));  // the plateau
    }
    // The nodata hole at local (-20, +30) is unknown terrain: dark blue, hatched.
    const auto h = pixelOf(o, -20.0, 30.0);
    const int blue = hazard.count(h[0] - 20, h[1] - 20, h[0] + 20, h[1] + 20,
                                  [](Rgb c) { return c.b > c.r + 40 && c.b > c.g + 20; });
    CHECK(blue > 1400);  // nearly all of the 40 x 40 pixels
    // The terrain view (a hillshade: no orthoimage) is grey there.
    const Decoded terrain = decode(images[0]);
    const auto steep = pixelOf(o, 17.0, 3.0);
    CHECK(isGrey(terrain.at(steep[0], steep[1])));
}

TEST_CASE("hazard view: a step higher than the wheels can climb is a hard hazard (magenta)", "[vlm][view_renderer]") {
    // Default limits: the ramp's 1 m cells rise 0.84 m, over the 0.40 m step limit.
    const Site site(rampHeight, twin::hazardParamsFor(kRover));
    const vlm::ViewOptions o = pngOptions();
    const auto images = vlm::ViewRenderer(site.dtm, nullptr, site.maps, kRover, o).render(sceneAt(1110, 2100));
    const Decoded hazard = decode(images[1]);
    const auto steep = pixelOf(o, 17.0, 3.0), flat = pixelOf(o, -25.0, 3.0);
    CHECK(isMagenta(hazard.at(steep[0], steep[1])));
    CHECK(isGreen(hazard.at(flat[0], flat[1])));
}

TEST_CASE("terrain view: a keep-out zone is filled red, a candidate is a numbered yellow disc", "[vlm][view_renderer]") {
    const Site site(rampHeight, slopeOnlyParams());
    const vlm::ViewOptions o = pngOptions();
    const vlm::ViewRenderer renderer(site.dtm, nullptr, site.maps, kRover, o);
    auto scene = sceneAt(1100, 2100);
    // A keep-out square local E +5..+25, N -35..-15 (its label sits at the centre).
    const std::vector<twin::Zone> zones = {
        {"dune", false, {{1105, 2065}, {1125, 2065}, {1125, 2085}, {1105, 2085}}}};
    scene.zones = &zones;
    scene.goal = {1070, 2130};
    vlm::Candidate c;
    c.number = 1;
    c.local = {6.0, 8.0};
    c.map = {1106, 2108};
    scene.candidates = {c};
    const Decoded terrain = decode(renderer.render(scene)[0]);

    for (const auto& [e, n] : {std::pair{18.0, -19.0}, {8.0, -32.0}, {22.0, -32.0}}) {
        const auto p = pixelOf(o, e, n);
        CHECK(isReddish(terrain.at(p[0], p[1])));
    }
    const auto outsideZone = pixelOf(o, -15.0, -25.0);
    CHECK(isGrey(terrain.at(outsideZone[0], outsideZone[1])));

    // The candidate: a yellow disc centred on its point (the digit in black in the middle).
    const auto p = pixelOf(o, 6.0, 8.0);
    CHECK(isCandidateYellow(terrain.at(p[0], p[1] - 12)));
    CHECK(isCandidateYellow(terrain.at(p[0] - 11, p[1])));
    CHECK(isCandidateYellow(terrain.at(p[0] + 11, p[1])));
    CHECK(terrain.count(p[0] - 18, p[1] - 18, p[0] + 19, p[1] + 19, isCandidateYellow) > 500);
    CHECK(terrain.count(p[0] - 6, p[1] - 8, p[0] + 7, p[1] + 9, [](Rgb c) { return c.r < 60 && c.g < 60; }) > 10);
    const auto mirror = pixelOf(o, -6.0, 8.0);
    CHECK(terrain.count(mirror[0] - 18, mirror[1] - 18, mirror[0] + 19, mirror[1] + 19, isCandidateYellow) == 0);

    // The goal inside the window: a green ring around its point.
    const auto g = pixelOf(o, -30.0, 30.0);
    CHECK(terrain.count(g[0] - 18, g[1] - 18, g[0] + 19, g[1] + 19, isGoalGreen) > 50);
}

TEST_CASE("views: the part of the window outside the site is flat no-data grey", "[vlm][view_renderer]") {
    const Site site(rampHeight, slopeOnlyParams());
    const vlm::ViewOptions o = pngOptions();
    const vlm::ViewRenderer renderer(site.dtm, nullptr, site.maps, kRover, o);
    // The site's west edge is E 1000: with the rover at E 1010, local east < -10 is outside.
    const auto images = renderer.render(sceneAt(1010, 2100));
    for (const auto& im : images) {
        const Decoded d = decode(im);
        const auto out = pixelOf(o, -25.0, 5.0), in = pixelOf(o, 15.0, 5.0);
        CHECK(isNoDataGrey(d.at(out[0], out[1])));
        CHECK(d.count(out[0] - 30, out[1] - 30, out[0] + 30, out[1] + 30, isNoDataGrey) > 3000);
        CHECK_FALSE(isNoDataGrey(d.at(in[0], in[1])));
    }
}

TEST_CASE("views: a goal outside the window is an arrow on the edge towards it", "[vlm][view_renderer]") {
    const Site site(rampHeight, slopeOnlyParams());
    const vlm::ViewOptions o = pngOptions();
    const vlm::ViewRenderer renderer(site.dtm, nullptr, site.maps, kRover, o);
    const int S = o.sizePx;
    struct Case {
        double dE, dN;
        int x0, y0, x1, y1;  // where the arrow's head must be
    };
    // East, north, west and south of the rover, 200 m away.
    for (const Case& c : {Case{200, 0, S - 70, S / 2 - 25, S, S / 2 + 25}, Case{0, 200, S / 2 - 25, 0, S / 2 + 25, 70},
                          Case{-200, 0, 0, S / 2 - 25, 70, S / 2 + 25}, Case{0, -200, S / 2 - 25, S - 70, S / 2 + 25, S}}) {
        auto scene = sceneAt(1100, 2100);
        scene.goal = {1100 + c.dE, 2100 + c.dN};
        const Decoded terrain = decode(renderer.render(scene)[0]);
        INFO("goal at " << c.dE << " E, " << c.dN << " N");
        CHECK(terrain.count(c.x0, c.y0, c.x1, c.y1, isGoalGreen) > 100);
        // Nothing green on the opposite edge.
        CHECK(terrain.count(S - c.x1, S - c.y1, S - c.x0, S - c.y0, isGoalGreen) == 0);
    }
}

TEST_CASE("views: a wide window of the sample site reads the orthoimage's overviews", "[vlm][view_renderer]") {
    const auto dir = test::sampleDir();
    const auto dtm = terrain::Raster::open(dir / "sample_dtm.tif");
    const auto ortho = terrain::Raster::open(dir / "sample_ortho.tif");
    const auto maps = terrain::HazardMaps::compute(dtm, twin::hazardParamsFor(kRover));
    vlm::ViewOptions o = pngOptions();
    o.extentM = 2000.0;  // the whole site and a margin of no data around it
    o.sizePx = 512;
    o.gridStepM = 100.0;
    const auto images = vlm::ViewRenderer(dtm, &ortho, maps, kRover, o).render(sceneAt(2812, 1093618));
    for (const auto& im : images) {
        const Decoded d = decode(im);
        CHECK(d.width == 512);
        // The corners are outside the 1024 m site; the middle is not.
        CHECK(d.count(80, 130, 98, 150, isNoDataGrey) == 18 * 20);
        CHECK(d.count(230, 230, 240, 240, isNoDataGrey) == 0);
    }
}

TEST_CASE("views of the sample site, saved for a person to look at", "[vlm][view_renderer]") {
    const auto dir = test::sampleDir();
    const auto dtm = terrain::Raster::open(dir / "sample_dtm.tif");
    const auto ortho = terrain::Raster::open(dir / "sample_ortho.tif");
    const auto maps = terrain::HazardMaps::compute(dtm, twin::hazardParamsFor(kRover));
    const std::vector<twin::Zone> zones = {
        {"crater rim", false, {{2635, 1093425}, {2650, 1093428}, {2652, 1093440}, {2638, 1093445}}},
        {"corridor", true, {{2585, 1093330}, {2720, 1093330}, {2720, 1093520}, {2585, 1093520}}}};
    const planner::SegmentChecker checker(maps, kRover, zones, planner::CheckLimits::fromRover(kRover));
    planner::Route route;
    route.start = {2596, 1093408, 40};
    for (const MapPoint p : {MapPoint{2603, 1093415}, MapPoint{2611, 1093424}, MapPoint{2616, 1093432},
                             MapPoint{2620, 1093440}})
        route.segments.push_back({p, {}});
    // Just north of the ripple field (its steps are the magenta of the hazard view), the keep-out
    // zone to the south-east.
    vlm::ViewScene scene;
    scene.pose = {2620, 1093440, 35};
    scene.goal = {2740, 1093360};
    scene.route = &route;
    scene.zones = &zones;
    scene.candidates = vlm::reachableCandidates(checker, scene.pose, 9.5, 12);
    CHECK(scene.candidates.size() >= 6);
    const vlm::ViewOptions o = pngOptions();
    const auto images = vlm::ViewRenderer(dtm, &ortho, maps, kRover, o).render(scene);
    const fs::path out = test::sampleDir().parent_path() / "test-artifacts";
    fs::create_directories(out);
    for (const auto& im : images) {
        std::ofstream(out / ("vlm_" + im.name + ".png"), std::ios::binary) << im.bytes;
        const Decoded d = decode(im);
        CHECK(d.width == 1024);
    }
    // The terrain view is the orthoimage: grey except for the overlays.
    const Decoded terrain = decode(images[0]);
    const auto p = pixelOf(o, -33.0, -15.0);
    CHECK(isGrey(terrain.at(p[0], p[1])));
    // Every candidate drawn where it is.
    for (const auto& c : scene.candidates) {
        const auto q = pixelOf(o, c.local.east, c.local.north);
        CHECK(terrain.count(q[0] - 18, q[1] - 18, q[0] + 19, q[1] + 19, isCandidateYellow) > 400);
    }
}

TEST_CASE("reachable candidates on flat ground: all of them, clockwise from the heading", "[vlm][view_renderer]") {
    const Site site([](double, double) { return 0.0; }, twin::hazardParamsFor(kRover));
    const planner::SegmentChecker checker(site.maps, kRover, {}, planner::CheckLimits::fromRover(kRover));
    const twin::Pose pose{1100, 2100, 30};
    const auto cands = vlm::reachableCandidates(checker, pose, 8.0, 8);
    REQUIRE(cands.size() == 8);
    for (std::size_t i = 0; i < cands.size(); ++i) {
        const auto& c = cands[i];
        CHECK(c.number == int(i) + 1);
        const double bearing = (30.0 + 45.0 * double(i)) * M_PI / 180.0;
        CHECK(c.local.east == Approx(8.0 * std::sin(bearing)).margin(1e-9));
        CHECK(c.local.north == Approx(8.0 * std::cos(bearing)).margin(1e-9));
        CHECK(std::hypot(c.local.east, c.local.north) == Approx(8.0));
        CHECK(c.map.e == Approx(pose.e + c.local.east));
        CHECK(c.map.n == Approx(pose.n + c.local.north));
    }
    CHECK(cands[0].local.east == Approx(4.0));  // the heading, 30 degrees east of north

    checkInvalid([&] { vlm::reachableCandidates(checker, pose, 0.0, 8); });
    checkInvalid([&] { vlm::reachableCandidates(checker, pose, 8.0, 0); });
}

TEST_CASE("reachable candidates: those across a wall are dropped", "[vlm][view_renderer]") {
    // A 3 m wall along E 1105 east of the rover at (1100, 2100).
    const Site site([](double e, double) { return e > 1105.0 ? 3.0 : 0.0; }, twin::hazardParamsFor(kRover));
    const planner::SegmentChecker checker(site.maps, kRover, {}, planner::CheckLimits::fromRover(kRover));
    const auto cands = vlm::reachableCandidates(checker, {1100, 2100, 0}, 8.0, 8);
    // North, south, south-west, west, north-west remain; north-east, east and south-east are dropped.
    REQUIRE(cands.size() == 5);
    for (std::size_t i = 0; i < cands.size(); ++i) {
        CHECK(cands[i].number == int(i) + 1);
        CHECK(cands[i].local.east < 1e-9);
    }
    CHECK(cands[0].local.north == Approx(8.0));  // the heading first
    CHECK(cands[1].local.north == Approx(-8.0));
    CHECK(cands[3].local.east == Approx(-8.0));
}
