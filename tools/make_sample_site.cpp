// make_sample_site — deterministic generator of Traverse's bundled sample site.
//
// Writes a synthetic, Jezero-like HiRISE DTM / orthoimage pair:
//   sample_dtm.tif    Float32 DTM, 1 m/px, size x size, tiled, DEFLATE+PREDICTOR=3,
//                     HiRISE nodata (-3.4028226550889045e+38), internal overviews 2,4,8
//   sample_ortho.tif  Byte orthoimage, 0.25 m/px, (4 size)^2, same extent, tiled, JPEG q90,
//                     internal overviews 2,4,8,16
//   sample_dtm.IMG    the same DTM as a PDS3 image with an attached HiRISE DTEEC-style label
//
// Everything derives from one std::mt19937_64 seeded with --seed (own conversions to
// doubles, no std::*_distribution) plus integer hashing for lattice noise, so the output
// is bit-identical between runs and independent of the number of threads.
//
// Map frame: Mars equirectangular on the IAU sphere (R = 3396190 m),
//   +proj=eqc +lat_ts=18.4 +lat_0=0 +lon_0=77.4 +x_0=0 +y_0=0 +R=3396190 +units=m +no_defs
// with the site centred near 18.45 N, 77.45 E and the upper-left corner on whole metres.
//
// Usage: make_sample_site --out DIR [--seed N] [--size N] [--threads N]

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

// ----------------------------------------------------------------------------------------
// Constants
// ----------------------------------------------------------------------------------------
constexpr double kPi = 3.14159265358979323846;
constexpr double kMarsRadius = 3396190.0;      // IAU 2000 Mars sphere, metres
constexpr double kLatTs = 18.4;                // projection latitude of true scale (deg)
constexpr double kLon0 = 77.4;                 // projection central meridian (deg)
constexpr double kSiteLat = 18.45;             // site centre (deg, planetocentric)
constexpr double kSiteLon = 77.45;             // site centre (deg, east)
constexpr double kBaseElevation = -2500.0;     // Jezero floor level, metres
constexpr double kSunAzimuthDeg = 250.0;       // clockwise from north
constexpr double kSunElevationDeg = 37.0;
constexpr int kOrthoFactor = 4;                // ortho pixels per DTM pixel (0.25 m)
constexpr double kOrthoPixel = 1.0 / kOrthoFactor;
constexpr double kAmbient = 0.22;              // diffuse sky light share on Mars
constexpr int kCoarseMargin = 2;               // extra 1 m samples around the coarse grids
constexpr int kChunkRows = 32;                 // ortho rows per parallel work item
constexpr uint32_t kNoDataBits = 0xFF7FFFFBu;  // HiRISE DTM MISSING_CONSTANT

float hirise_nodata() {
    float f;
    std::memcpy(&f, &kNoDataBits, sizeof f);
    return f;
}

[[noreturn]] void fail(const std::string& msg) {
    std::fprintf(stderr, "make_sample_site: error: %s\n", msg.c_str());
    std::exit(1);
}

// ----------------------------------------------------------------------------------------
// Random numbers: mt19937_64 with our own conversion to doubles (portable across libs).
// ----------------------------------------------------------------------------------------
class Rng {
public:
    explicit Rng(uint64_t seed) : gen_(seed) {}
    double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }  // [0,1)
    double range(double a, double b) { return a + (b - a) * uniform(); }
    uint32_t bits32() { return static_cast<uint32_t>(gen_() >> 32); }
    double sign() { return uniform() < 0.5 ? -1.0 : 1.0; }

private:
    std::mt19937_64 gen_;
};

// ----------------------------------------------------------------------------------------
// Lattice gradient noise (Perlin-style, integer hashed, quintic fade).
// ----------------------------------------------------------------------------------------
struct Grad {
    double x, y;
};

const std::array<Grad, 16>& gradients() {
    static const std::array<Grad, 16> g = [] {
        std::array<Grad, 16> t{};
        for (int i = 0; i < 16; ++i) {
            const double a = (i + 0.5) * 2.0 * kPi / 16.0;
            t[static_cast<size_t>(i)] = {std::cos(a), std::sin(a)};
        }
        return t;
    }();
    return g;
}

inline uint32_t hash2(int32_t x, int32_t y, uint32_t salt) {
    uint64_t h = static_cast<uint64_t>(static_cast<uint32_t>(x)) * 0x9E3779B97F4A7C15ull;
    h ^= static_cast<uint64_t>(static_cast<uint32_t>(y)) * 0xC2B2AE3D27D4EB4Full;
    h ^= static_cast<uint64_t>(salt) * 0x165667B19E3779F9ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return static_cast<uint32_t>(h);
}

inline double hash_unit(int32_t x, int32_t y, uint32_t salt) {  // [0,1)
    return static_cast<double>(hash2(x, y, salt) >> 8) * 0x1.0p-24;
}

inline double fade(double t) { return t * t * t * (t * (t * 6.0 - 15.0) + 10.0); }

// Roughly zero-mean, standard deviation ~0.3, range about [-1, 1].
inline double gnoise(double x, double y, uint32_t salt) {
    const auto& G = gradients();
    const double fx = std::floor(x), fy = std::floor(y);
    const int32_t ix = static_cast<int32_t>(fx), iy = static_cast<int32_t>(fy);
    const double tx = x - fx, ty = y - fy;
    auto dot = [&](int dx, int dy) {
        const Grad& g = G[hash2(ix + dx, iy + dy, salt) & 15u];
        return g.x * (tx - dx) + g.y * (ty - dy);
    };
    const double u = fade(tx), v = fade(ty);
    const double a = dot(0, 0) + u * (dot(1, 0) - dot(0, 0));
    const double b = dot(0, 1) + u * (dot(1, 1) - dot(0, 1));
    return 1.4 * (a + v * (b - a));
}

struct Octave {
    double freq, amp, c, s, ox, oy;
    uint32_t salt;
};

// Sum of rotated, offset octaves; amplitude given per wavelength.
class Fbm {
public:
    double operator()(double x, double y) const {
        double sum = 0.0;
        for (const Octave& o : oct_) {
            const double u = (o.c * x - o.s * y) * o.freq + o.ox;
            const double v = (o.s * x + o.c * y) * o.freq + o.oy;
            sum += o.amp * gnoise(u, v, o.salt);
        }
        return sum;
    }
    template <class AmpFn>
    static Fbm make(Rng& rng, double lambda_max, double lambda_min, AmpFn amp_of_lambda) {
        Fbm f;
        for (double lam = lambda_max; lam >= lambda_min * 0.999; lam *= 0.5) {
            const double ang = rng.range(0.0, 2.0 * kPi);
            Octave o{};
            o.freq = 1.0 / lam;
            o.amp = amp_of_lambda(lam);
            o.c = std::cos(ang);
            o.s = std::sin(ang);
            o.ox = rng.range(0.0, 1024.0);
            o.oy = rng.range(0.0, 1024.0);
            o.salt = rng.bits32();
            f.oct_.push_back(o);
        }
        return f;
    }
    static Fbm single(Rng& rng, double lambda, double amp = 1.0) {
        return make(rng, lambda, lambda, [amp](double) { return amp; });
    }

private:
    std::vector<Octave> oct_;
};

inline double clamp01(double t) { return t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t); }
inline double smoothstep(double e0, double e1, double x) {
    const double t = clamp01((x - e0) / (e1 - e0));
    return t * t * (3.0 - 2.0 * t);
}
inline double smin(double a, double b, double k) {  // polynomial smooth minimum
    const double h = std::max(k - std::fabs(a - b), 0.0) / k;
    return std::min(a, b) - h * h * k * 0.25;
}
inline double smax(double a, double b, double k) { return -smin(-a, -b, k); }

// Distance (m) to the nearest edge of a jittered-grid Voronoi tessellation (joints).
inline double fracture_distance(double x, double y, double cell, uint32_t salt) {
    const double gx = x / cell, gy = y / cell;
    const int32_t ix = static_cast<int32_t>(std::floor(gx)), iy = static_cast<int32_t>(std::floor(gy));
    double f1 = 1e30, f2 = 1e30;
    for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
            const int32_t cx = ix + dx, cy = iy + dy;
            const double px = cx + 0.1 + 0.8 * hash_unit(cx, cy, salt);
            const double py = cy + 0.1 + 0.8 * hash_unit(cx, cy, salt ^ 0x9E3779B9u);
            const double d2 = (gx - px) * (gx - px) + (gy - py) * (gy - py);
            if (d2 < f1) {
                f2 = f1;
                f1 = d2;
            } else if (d2 < f2) {
                f2 = d2;
            }
        }
    return 0.5 * (std::sqrt(f2) - std::sqrt(f1)) * cell;
}

// ----------------------------------------------------------------------------------------
// Parallel helper: work items are claimed dynamically; each item must be independent.
// ----------------------------------------------------------------------------------------
template <class F>
void parallel_for(int n, int nthreads, F&& fn) {
    std::atomic<int> next{0};
    auto worker = [&] {
        for (;;) {
            const int i = next.fetch_add(1);
            if (i >= n) break;
            fn(i);
        }
    };
    std::vector<std::thread> pool;
    const int extra = std::max(0, std::min(nthreads, n) - 1);
    pool.reserve(static_cast<size_t>(extra));
    for (int t = 0; t < extra; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
}

// ----------------------------------------------------------------------------------------
// Scene description
// ----------------------------------------------------------------------------------------
// Local site coordinates: metres from the upper-left corner, x to the east (columns),
// y to the south (rows).  "north" = -y.

struct Crater {
    double x, y, R;       // centre, nominal rim radius
    double s;             // degradation 0 (fresh) .. 1 (heavily degraded)
    double floor_below;   // floor depth below the pre-impact surface
    double rim_to_floor;  // rim-to-floor depth
    double rim_h;         // rim height above pre-impact surface
    double k_round;       // rim rounding (smooth-min width, metres)
    double floor_rho;     // flat (filled) floor radius / R
    double ejecta_end;    // ejecta taper end, in radii
    double e1, c1, s1, e2, c2, s2;  // azimuthal rim irregularity
    double alb_fill, alb_ejecta;
};

struct Rock {
    double x, y;   // centre
    double a, b;   // semi-axes (a along orientation)
    double h;      // height
    double cu, su; // orientation (east, north) of axis a
    double alb;    // albedo factor relative to the soil
    uint32_t salt;
};

struct Scene {
    int n = 0;        // DTM pixels per side
    double L = 0.0;   // site side, metres
    // Regional tilt (metres per metre along x and y).
    double tilt_x = 0.0, tilt_y = 0.0;
    Fbm relief_large, relief_small, relief_fine;
    Fbm albedo_lo, albedo_units, albedo_fine1, albedo_fine2;
    // Scarp (edge of a raised, layered unit).
    double sc_px = 0, sc_py = 0, sc_nx = 0, sc_ny = 0, sc_h = 0, sc_wmin = 0, sc_wmax = 0;
    Fbm sc_warp, sc_width, sc_apron;
    double fr_cell = 6.0;  // fracture polygon size on the cap unit
    uint32_t fr_salt = 0;
    Fbm fr_warp_x, fr_warp_y, fr_expose;  // joint waviness, outcrop exposure
    // Mound.
    double md_x = 0, md_y = 0, md_h = 0, md_rtop = 0, md_r = 0, md_c = 1, md_s = 0, md_asp = 1;
    Fbm md_noise;
    // Ripple field.
    double rp_x = 0, rp_y = 0, rp_a1 = 0, rp_a2 = 0, rp_c = 1, rp_s = 0;
    double rp_lambda = 4, rp_kx = 1, rp_ky = 0, rp_amp = 0.3;
    Fbm rp_edge, rp_warp;
    // Rocks: background and boulder field Golombek-Rapp k.
    double k_bg = 0.07, k_field = 0.18, k_max = 0.2;
    // Nodata gap.
    double nd_x = 0, nd_y = 0, nd_r = 0;
    Fbm nd_noise;
    std::vector<Crater> craters;
    std::vector<size_t> rocky_craters;  // fresh craters with blocky ejecta
    std::vector<Rock> rocks;
};

// Scarp: signed distance (m), positive on the raised side.
double scarp_sd(const Scene& sc, double x, double y) {
    return (x - sc.sc_px) * sc.sc_nx + (y - sc.sc_py) * sc.sc_ny + sc.sc_warp(x, y);
}
double scarp_width(const Scene& sc, double x, double y) {
    const double t = clamp01(0.5 + sc.sc_width(x, y));
    return sc.sc_wmin + (sc.sc_wmax - sc.sc_wmin) * t;
}
double scarp_t(const Scene& sc, double x, double y) {  // 0 below .. 1 on top
    const double w = scarp_width(sc, x, y);
    return smoothstep(-0.5 * w, 0.5 * w, scarp_sd(sc, x, y));
}

double mound_height(const Scene& sc, double x, double y) {
    const double dx = x - sc.md_x, dy = y - sc.md_y;
    const double u = (dx * sc.md_c + dy * sc.md_s) / sc.md_asp;
    const double v = -dx * sc.md_s + dy * sc.md_c;
    const double r = std::sqrt(u * u + v * v) * (1.0 + 0.18 * sc.md_noise(x, y));
    if (r >= sc.md_r) return 0.0;
    const double t = clamp01((sc.md_r - r) / (sc.md_r - sc.md_rtop));
    // Steep flank (smoothstep) on a low, broad pedestal.
    const double ped = 0.15 * sc.md_h * (1.0 - r / sc.md_r) * (1.0 - r / sc.md_r);
    return sc.md_h * t * t * (3.0 - 2.0 * t) * 0.85 + ped;
}

double ripple_mask(const Scene& sc, double x, double y) {
    const double dx = x - sc.rp_x, dy = y - sc.rp_y;
    const double u = (dx * sc.rp_c + dy * sc.rp_s) / sc.rp_a1;
    const double v = (-dx * sc.rp_s + dy * sc.rp_c) / sc.rp_a2;
    const double rho = std::sqrt(u * u + v * v) + sc.rp_edge(x, y);
    return 1.0 - smoothstep(0.6, 1.0, rho);
}
double ripple_phase(const Scene& sc, double x, double y) {
    return (x * sc.rp_kx + y * sc.rp_ky + sc.rp_warp(x, y)) / sc.rp_lambda;
}

double boulder_mask(const Scene& sc, double x, double y) {
    // Talus apron on the low side of the scarp, and the scarp face itself.
    const double sd = scarp_sd(sc, x, y);
    const double w = scarp_width(sc, x, y);
    const double below = -(sd + 0.5 * w);  // distance below the scarp foot
    if (below > 80.0 || sd > 0.5 * w + 10.0) return 0.0;
    double m = 1.0 - smoothstep(-2.0, 0.25 * w + 2.0, sd);  // from the upper face downwards
    m *= 1.0 - smoothstep(25.0, 65.0, below);
    m *= clamp01(0.75 + 1.2 * sc.sc_apron(x, y));
    return clamp01(m);
}

double rock_k(const Scene& sc, double x, double y) {
    const double b = boulder_mask(sc, x, y);
    double k = sc.k_bg * (1.0 - b) + sc.k_field * b;
    // Blocky ejecta of fresh craters.
    for (size_t idx : sc.rocky_craters) {
        const Crater& c = sc.craters[idx];
        const double dx = x - c.x, dy = y - c.y;
        const double rho = std::sqrt(dx * dx + dy * dy) / c.R;
        if (rho > 3.0) continue;
        const double ring = smoothstep(0.75, 1.0, rho) * (1.0 - smoothstep(1.3, 2.8, rho));
        k = std::max(k, sc.k_bg + (0.16 - sc.k_bg) * (1.0 - c.s) * ring);
    }
    k *= 1.0 - 0.92 * ripple_mask(sc, x, y);  // buried under the sand
    return std::clamp(k, 0.004, sc.k_max);
}

// ----------------------------------------------------------------------------------------
// Layout: all random decisions, drawn sequentially from the one RNG.
// ----------------------------------------------------------------------------------------
void build_scene(Scene& sc, uint64_t seed, int n, int nthreads) {
    Rng rng(seed);
    sc.n = n;
    const double L = static_cast<double>(n);
    sc.L = L;

    // Regional tilt: 1.5-4 m per km, random direction.
    {
        const double g = rng.range(0.0015, 0.004), a = rng.range(0.0, 2.0 * kPi);
        sc.tilt_x = g * std::cos(a);
        sc.tilt_y = g * std::sin(a);
    }
    // Fractal relief with a power-law spectrum: amplitude ~ lambda^0.8.
    auto amp = [](double lam) { return 0.022 * std::pow(lam, 0.8); };
    sc.relief_large = Fbm::make(rng, 512.0, 16.0, amp);
    sc.relief_small = Fbm::make(rng, 8.0, 2.0, amp);
    sc.relief_fine = Fbm::make(rng, 1.0, 0.5, amp);
    sc.albedo_lo = Fbm::make(rng, 256.0, 4.0, [](double lam) { return 0.012 * std::pow(lam, 0.35); });
    sc.albedo_units = Fbm::make(rng, 400.0, 50.0, [](double lam) { return lam / 400.0; });
    sc.albedo_fine1 = Fbm::single(rng, 2.5, 0.035);
    sc.albedo_fine2 = Fbm::single(rng, 0.6, 0.04);

    // Scarp across the north-east corner; raised unit to the north-east.
    {
        const double ax = L * rng.range(0.50, 0.60), ay = 0.0;
        const double bx = L, by = L * rng.range(0.40, 0.50);
        double tx = bx - ax, ty = by - ay;
        const double tl = std::sqrt(tx * tx + ty * ty);
        tx /= tl;
        ty /= tl;
        // Normal pointing to the NE (up-right: +x, -y).
        sc.sc_nx = ty;
        sc.sc_ny = -tx;
        if (sc.sc_nx < 0) {
            sc.sc_nx = -sc.sc_nx;
            sc.sc_ny = -sc.sc_ny;
        }
        sc.sc_px = 0.5 * (ax + bx);
        sc.sc_py = 0.5 * (ay + by);
        sc.sc_h = rng.range(10.0, 13.0);
        sc.sc_wmin = 8.0;
        sc.sc_wmax = 24.0;
        sc.fr_cell = rng.range(5.5, 7.5);
        sc.fr_salt = rng.bits32();
        sc.fr_warp_x = Fbm::make(rng, 12.0, 3.0, [](double lam) { return 0.12 * lam; });
        sc.fr_warp_y = Fbm::make(rng, 12.0, 3.0, [](double lam) { return 0.12 * lam; });
        sc.fr_expose = Fbm::make(rng, 80.0, 20.0, [](double) { return 0.5; });
        const double s = std::min(1.0, L / 1024.0);
        sc.sc_warp = Fbm::make(rng, 160.0 * s, 10.0, [s](double lam) { return (lam > 40 ? 22.0 * s : 0.18 * lam); });
        sc.sc_width = Fbm::single(rng, 90.0 * s, 1.0);
        sc.sc_apron = Fbm::make(rng, 40.0, 10.0, [](double) { return 0.7; });
    }
    // Mound in the south-east.
    {
        const double s = std::min(1.0, L / 1024.0);
        sc.md_x = L * rng.range(0.70, 0.80);
        sc.md_y = L * rng.range(0.70, 0.80);
        sc.md_h = rng.range(9.0, 12.0) * std::max(0.5, s);
        sc.md_rtop = rng.range(10.0, 16.0) * s;
        sc.md_r = sc.md_rtop + rng.range(13.0, 18.0) * std::max(0.5, s);
        const double a = rng.range(0.0, kPi);
        sc.md_c = std::cos(a);
        sc.md_s = std::sin(a);
        sc.md_asp = rng.range(1.2, 1.6);
        sc.md_noise = Fbm::make(rng, 60.0 * s + 10.0, 20.0, [](double) { return 0.5; });
    }
    // Ripple field in the south-west.
    {
        sc.rp_x = L * rng.range(0.24, 0.32);
        sc.rp_y = L * rng.range(0.66, 0.74);
        sc.rp_a1 = L * rng.range(0.13, 0.16);
        sc.rp_a2 = L * rng.range(0.08, 0.10);
        const double a = rng.range(0.0, kPi);
        sc.rp_c = std::cos(a);
        sc.rp_s = std::sin(a);
        sc.rp_lambda = rng.range(3.6, 4.4);
        const double wind = rng.range(0.0, kPi);
        sc.rp_kx = std::cos(wind);
        sc.rp_ky = std::sin(wind);
        sc.rp_amp = rng.range(0.32, 0.38);
        sc.rp_edge = Fbm::make(rng, 160.0, 20.0, [](double lam) { return lam / 260.0; });
        sc.rp_warp = Fbm::make(rng, 90.0, 22.0, [](double lam) { return lam / 16.0; });
    }
    // Rocks: background k and boulder-field k.
    sc.k_bg = rng.range(0.055, 0.075);
    sc.k_field = rng.range(0.16, 0.19);
    sc.k_max = 0.2;
    // Nodata gap (stereo-correlation failure) in the north-west.
    {
        sc.nd_x = L * rng.range(0.22, 0.32);
        sc.nd_y = L * rng.range(0.22, 0.32);
        sc.nd_r = std::min(38.0, 0.06 * L);
        sc.nd_noise = Fbm::make(rng, 24.0, 6.0, [](double lam) { return lam / 60.0; });
    }

    // Craters: cumulative N(>=D) = C D^-2 (D in m, per m^2), 4 m .. 150 m.
    {
        const double dmin = 4.0, dmax = std::min(150.0, 0.2 * L);
        const double density = 0.0096 * rng.range(0.85, 1.15);  // ~600 per km^2 >= 4 m
        const double lo = -0.05 * L, hi = 1.05 * L;
        const double area = (hi - lo) * (hi - lo);
        const double inv2min = 1.0 / (dmin * dmin), inv2max = 1.0 / (dmax * dmax);
        const int count = static_cast<int>(std::lround(density * area * (inv2min - inv2max)));
        auto make_crater = [&](double x, double y, double D, double s) {
            Crater c{};
            c.x = x;
            c.y = y;
            c.R = 0.5 * D;
            c.s = s;
            const double ratio = 0.20 * (1.0 - s) + 0.035 * s;
            c.rim_to_floor = ratio * D;
            c.rim_h = 0.04 * D * (1.0 - 0.85 * s);
            c.floor_below = c.rim_to_floor - c.rim_h;
            c.k_round = std::max(0.05, c.rim_h * (0.35 + 2.5 * s) + 0.02 * D * s);
            c.floor_rho = 0.45 * s * s;
            c.ejecta_end = 3.0 - 1.2 * s;
            c.e1 = rng.range(0.0, 0.05);
            const double p1 = rng.range(0.0, 2.0 * kPi);
            c.c1 = std::cos(p1);
            c.s1 = std::sin(p1);
            c.e2 = rng.range(0.0, 0.04);
            const double p2 = rng.range(0.0, 2.0 * kPi);
            c.c2 = std::cos(p2);
            c.s2 = std::sin(p2);
            c.alb_fill = s > 0.4 ? rng.range(-0.05, 0.06) : 0.0;
            c.alb_ejecta = s < 0.3 ? rng.range(0.04, 0.12) * (1.0 - s / 0.3) : 0.0;
            return c;
        };
        sc.craters.reserve(static_cast<size_t>(count) + 3);
        for (int i = 0; i < count; ++i) {
            const double x = rng.range(lo, hi), y = rng.range(lo, hi);
            const double u = rng.uniform();
            const double D = 1.0 / std::sqrt(inv2min - u * (inv2min - inv2max));
            double s = std::sqrt(rng.uniform());
            if (D > 60.0) s = 0.55 + 0.45 * s;  // large craters are old and degraded
            sc.craters.push_back(make_crater(x, y, D, s));
        }
        // A few guaranteed fresh craters with steep (>30 deg) bowl walls.
        const int fresh = 3;
        for (int i = 0; i < fresh; ++i) {
            const double D = std::min(rng.range(22.0, 42.0), 0.12 * L);
            const double x = L * rng.range(0.12, 0.88), y = L * rng.range(0.12, 0.88);
            sc.craters.push_back(make_crater(x, y, D, rng.range(0.0, 0.08)));
        }
        for (size_t i = 0; i < sc.craters.size(); ++i)
            if (sc.craters[i].s < 0.3 && sc.craters[i].R >= 7.5) sc.rocky_craters.push_back(i);
    }

    // Rocks: Golombek-Rapp cumulative fractional area F(D) = k exp(-q D), q = 1.79 + 0.152/k.
    // Differential number density n(D) = 4 k q exp(-q D) / (pi D^2).  Candidates are drawn
    // from the k_max density and thinned to the local k (n_k/n_kmax <= 1 for k <= k_max).
    {
        const double dmin = 0.3, dmax = 3.0;
        const double kmax = sc.k_max, qmax = 1.79 + 0.152 / kmax;
        const int steps = 2700;
        std::vector<double> dgrid(steps + 1), cdf(steps + 1, 0.0);
        auto nmax = [&](double D) { return 4.0 * kmax * qmax * std::exp(-qmax * D) / (kPi * D * D); };
        for (int i = 0; i <= steps; ++i) dgrid[static_cast<size_t>(i)] = dmin + (dmax - dmin) * i / steps;
        for (int i = 1; i <= steps; ++i) {
            const size_t k = static_cast<size_t>(i);
            cdf[k] = cdf[k - 1] + 0.5 * (nmax(dgrid[k - 1]) + nmax(dgrid[k])) * (dgrid[k] - dgrid[k - 1]);
        }
        const double per_m2 = cdf.back();
        const double margin = 4.0;
        const double lo = -margin, hi = L + margin;
        const int64_t count = std::llround(per_m2 * (hi - lo) * (hi - lo));
        struct Cand {
            Rock r;
            double D, accept_u;
        };
        std::vector<Cand> cand(static_cast<size_t>(count));
        for (auto& c : cand) {
            c.r.x = rng.range(lo, hi);
            c.r.y = rng.range(lo, hi);
            const double target = rng.uniform() * per_m2;
            const size_t j = static_cast<size_t>(std::upper_bound(cdf.begin(), cdf.end(), target) - cdf.begin());
            const size_t j1 = std::min(std::max<size_t>(j, 1), cdf.size() - 1);
            const double f = (target - cdf[j1 - 1]) / std::max(1e-300, cdf[j1] - cdf[j1 - 1]);
            c.D = dgrid[j1 - 1] + clamp01(f) * (dgrid[j1] - dgrid[j1 - 1]);
            c.accept_u = rng.uniform();
            const double asp = rng.range(1.0, 1.6);
            const double ang = rng.range(0.0, kPi);
            c.r.a = 0.5 * c.D * std::sqrt(asp);
            c.r.b = 0.5 * c.D / std::sqrt(asp);
            c.r.cu = std::cos(ang);
            c.r.su = std::sin(ang);
            c.r.h = c.D * rng.range(0.38, 0.62);
            c.r.alb = rng.range(1.05, 1.35);
            c.r.salt = rng.bits32();
        }
        std::vector<uint8_t> keep(cand.size(), 0);
        const int items = 256;
        const size_t per = (cand.size() + items - 1) / items;
        parallel_for(items, nthreads, [&](int it) {
            const size_t b = static_cast<size_t>(it) * per, e = std::min(cand.size(), b + per);
            for (size_t i = b; i < e; ++i) {
                const Cand& c = cand[i];
                const double k = rock_k(sc, c.r.x, c.r.y);
                const double q = 1.79 + 0.152 / k;
                const double p = (k * q) / (kmax * qmax) * std::exp(-(q - qmax) * c.D);
                keep[i] = c.accept_u < p ? 1 : 0;
            }
        });
        for (size_t i = 0; i < cand.size(); ++i)
            if (keep[i]) sc.rocks.push_back(cand[i].r);
    }
}

// ----------------------------------------------------------------------------------------
// Crater profile (height change relative to the pre-impact surface) and albedo factor.
// ----------------------------------------------------------------------------------------
inline bool crater_eval(const Crater& c, double dx, double dy, double& dz, double& dalb) {
    const double r2 = dx * dx + dy * dy;
    const double ext = c.R * c.ejecta_end * 1.1;
    if (r2 >= ext * ext) return false;
    const double r = std::sqrt(r2);
    double ct = 1.0, st = 0.0;
    if (r > 1e-9) {
        ct = dx / r;
        st = dy / r;
    }
    const double cos1 = ct * c.c1 + st * c.s1;
    const double c2t = ct * ct - st * st, s2t = 2.0 * ct * st;
    const double cos2 = c2t * c.c2 + s2t * c.s2;
    const double rho = r / (c.R * (1.0 + c.e1 * cos1 + c.e2 * cos2));
    // Bowl (parabolic, slightly steepened towards the rim) and ejecta (rho^-3).
    const double bowl = -c.floor_below + c.rim_to_floor * (0.75 * rho * rho + 0.25 * rho * rho * rho * rho);
    const double taper = 1.0 - smoothstep(0.6 * c.ejecta_end, c.ejecta_end, rho);
    const double ejecta = rho > 0.2 ? c.rim_h * taper / (rho * rho * rho) : 1e9;
    double z = smin(bowl, ejecta, c.k_round);
    if (c.floor_rho > 0.0) {
        const double fr = c.floor_rho;
        const double floor_z = -c.floor_below + c.rim_to_floor * (0.75 * fr * fr + 0.25 * fr * fr * fr * fr);
        z = smax(z, floor_z, 0.15 * c.rim_to_floor + 0.05);
    }
    dz = z;
    dalb = c.alb_fill * (1.0 - smoothstep(0.35, 0.8, rho)) +
           c.alb_ejecta * smoothstep(0.6, 1.0, rho) * (1.0 - smoothstep(1.2, c.ejecta_end, rho));
    return true;
}

// ----------------------------------------------------------------------------------------
// Rendering
// ----------------------------------------------------------------------------------------
struct Sun {
    double e, n, u;      // unit vector toward the sun (east, north, up)
    double he, hn;       // horizontal unit vector toward the sun
    double tan_el, sin_el;
};

Sun make_sun() {
    const double az = kSunAzimuthDeg * kPi / 180.0, el = kSunElevationDeg * kPi / 180.0;
    Sun s{};
    s.he = std::sin(az);
    s.hn = std::cos(az);
    s.e = std::cos(el) * s.he;
    s.n = std::cos(el) * s.hn;
    s.u = std::sin(el);
    s.tan_el = std::tan(el);
    s.sin_el = std::sin(el);
    return s;
}

struct Coarse {  // fields on a 1 m grid with a margin, sample k at (k - margin + 0.5) m
    int w = 0;
    std::vector<double> h, phase, mask, alb, cap;
};

void build_coarse(const Scene& sc, Coarse& cg, int nthreads) {
    const int w = sc.n + 2 * kCoarseMargin;
    cg.w = w;
    const size_t total = static_cast<size_t>(w) * static_cast<size_t>(w);
    cg.h.assign(total, 0.0);
    cg.phase.assign(total, 0.0);
    cg.mask.assign(total, 0.0);
    cg.alb.assign(total, 0.0);
    cg.cap.assign(total, 0.0);
    parallel_for(w, nthreads, [&](int row) {
        const double y = row - kCoarseMargin + 0.5;
        for (int col = 0; col < w; ++col) {
            const double x = col - kCoarseMargin + 0.5;
            const size_t i = static_cast<size_t>(row) * static_cast<size_t>(w) + static_cast<size_t>(col);
            const double m = ripple_mask(sc, x, y);
            const double t = scarp_t(sc, x, y);
            double h = sc.tilt_x * (x - 0.5 * sc.L) + sc.tilt_y * (y - 0.5 * sc.L);
            h += sc.relief_large(x, y) + sc.relief_small(x, y) * (1.0 - 0.75 * m);
            h += sc.sc_h * t;
            const double mh = mound_height(sc, x, y);
            h += mh;
            h += 0.35 * m * m;  // sand sheet
            cg.h[i] = h;
            cg.mask[i] = m;
            cg.phase[i] = m > 0.0 ? ripple_phase(sc, x, y) : 0.0;
            const double units = smoothstep(-0.12, 0.12, sc.albedo_units(x, y));
            double a = 1.0 + sc.albedo_lo(x, y);
            a *= 0.93 + 0.14 * units;
            a *= 1.0 - 0.14 * m;          // darker basaltic sand
            a *= 1.0 + 0.08 * t;          // brighter cap unit
            a *= 1.0 + 0.05 * std::min(1.0, mh / 3.0);
            cg.alb[i] = a;
            cg.cap[i] = t;
        }
    });
}

// Catmull-Rom weights.
inline void cr_weights(double t, double w[4]) {
    const double t2 = t * t, t3 = t2 * t;
    w[0] = 0.5 * (-t3 + 2.0 * t2 - t);
    w[1] = 0.5 * (3.0 * t3 - 5.0 * t2 + 2.0);
    w[2] = 0.5 * (-3.0 * t3 + 4.0 * t2 + t);
    w[3] = 0.5 * (t3 - t2);
}

struct Fine {
    int m = 0;                    // ortho pixels per side
    std::vector<float> h;         // relief relative to kBaseElevation, metres
    std::vector<float> v;         // albedo, later radiance
};

// Ortho coordinate i -> coarse sample coordinate: c = (i + 0.5) / 4 + margin - 0.5.
inline void coarse_tap(int i, int& k0, double w[4]) {
    const double c = (i + 0.5) * kOrthoPixel + kCoarseMargin - 0.5;
    const double f = std::floor(c);
    k0 = static_cast<int>(f) - 1;
    cr_weights(c - f, w);
}

void render_base(const Scene& sc, const Coarse& cg, Fine& fg, int nthreads) {
    const int m = fg.m, w = cg.w;
    std::vector<int> col_k0(static_cast<size_t>(m));
    std::vector<std::array<double, 4>> col_w(static_cast<size_t>(m));
    for (int j = 0; j < m; ++j) coarse_tap(j, col_k0[static_cast<size_t>(j)], col_w[static_cast<size_t>(j)].data());
    const int chunks = (m + kChunkRows - 1) / kChunkRows;
    parallel_for(chunks, nthreads, [&](int ch) {
        std::vector<double> th(static_cast<size_t>(w)), tp(static_cast<size_t>(w)), tm(static_cast<size_t>(w)),
            ta(static_cast<size_t>(w)), tf(static_cast<size_t>(w));
        for (int i = ch * kChunkRows; i < std::min(m, (ch + 1) * kChunkRows); ++i) {
            int k0;
            double wr[4];
            coarse_tap(i, k0, wr);
            for (int c = 0; c < w; ++c) {
                double sh = 0, sp = 0, sm = 0, sa = 0, sf = 0;
                for (int r = 0; r < 4; ++r) {
                    const size_t idx = static_cast<size_t>(k0 + r) * static_cast<size_t>(w) + static_cast<size_t>(c);
                    sh += wr[r] * cg.h[idx];
                    sp += wr[r] * cg.phase[idx];
                    sm += wr[r] * cg.mask[idx];
                    sa += wr[r] * cg.alb[idx];
                    sf += wr[r] * cg.cap[idx];
                }
                const size_t cc = static_cast<size_t>(c);
                th[cc] = sh;
                tp[cc] = sp;
                tm[cc] = sm;
                ta[cc] = sa;
                tf[cc] = sf;
            }
            const double y = (i + 0.5) * kOrthoPixel;
            for (int j = 0; j < m; ++j) {
                const size_t jj = static_cast<size_t>(j);
                const int c0 = col_k0[jj];
                const double* wc = col_w[jj].data();
                double h = 0, ph = 0, mk = 0, al = 0, fc = 0;
                for (int r = 0; r < 4; ++r) {
                    const size_t cc = static_cast<size_t>(c0 + r);
                    h += wc[r] * th[cc];
                    ph += wc[r] * tp[cc];
                    mk += wc[r] * tm[cc];
                    al += wc[r] * ta[cc];
                    fc += wc[r] * tf[cc];
                }
                mk = clamp01(mk);
                fc = clamp01(fc);
                const double x = (j + 0.5) * kOrthoPixel;
                h += sc.relief_fine(x, y) * (1.0 - 0.8 * mk);
                double g = 0.42;
                if (mk > 1e-4) {
                    const double c = 0.5 + 0.5 * std::cos(2.0 * kPi * ph);
                    g = c * std::sqrt(c);  // sharp crests, broad troughs
                    h += mk * sc.rp_amp * 2.0 * (g - 0.42);
                }
                al *= 1.0 + sc.albedo_fine1(x, y) + sc.albedo_fine2(x, y);
                al *= 1.0 + 0.10 * mk * (g - 0.42);
                const double face = 4.0 * fc * (1.0 - fc);
                al *= 1.0 + 0.12 * face * std::sin(2.0 * kPi * h / 1.3);  // layering on the face
                const double cap = smoothstep(0.55, 0.9, fc);
                if (cap > 0.0) {  // fractured cap rock: polygonal dark joints
                    const double expose = smoothstep(-0.1, 0.25, sc.fr_expose(x, y));
                    if (expose > 0.0) {
                        const double d = fracture_distance(x + sc.fr_warp_x(x, y), y + sc.fr_warp_y(x, y),
                                                           sc.fr_cell, sc.fr_salt);
                        const double joint = cap * expose * (1.0 - smoothstep(0.05, 0.3, d));
                        al *= 1.0 - 0.22 * joint;
                        h -= 0.08 * joint;
                        al *= 1.0 + 0.05 * cap * expose;  // bare rock is a little brighter
                    }
                }
                const size_t o = static_cast<size_t>(i) * static_cast<size_t>(m) + jj;
                fg.h[o] = static_cast<float>(h);
                fg.v[o] = static_cast<float>(al);
            }
        }
    });
}

void stamp_craters(const Scene& sc, Fine& fg, int nthreads) {
    const int m = fg.m;
    const int chunks = (m + kChunkRows - 1) / kChunkRows;
    parallel_for(chunks, nthreads, [&](int ch) {
        const int r0 = ch * kChunkRows, r1 = std::min(m, (ch + 1) * kChunkRows);
        const double y0 = r0 * kOrthoPixel, y1 = r1 * kOrthoPixel;
        for (const Crater& c : sc.craters) {
            const double ext = c.R * c.ejecta_end * 1.1;
            if (c.y + ext < y0 || c.y - ext > y1) continue;
            const int i0 = std::max(r0, static_cast<int>(std::floor((c.y - ext) / kOrthoPixel)));
            const int i1 = std::min(r1 - 1, static_cast<int>(std::ceil((c.y + ext) / kOrthoPixel)));
            const int j0 = std::max(0, static_cast<int>(std::floor((c.x - ext) / kOrthoPixel)));
            const int j1 = std::min(m - 1, static_cast<int>(std::ceil((c.x + ext) / kOrthoPixel)));
            for (int i = i0; i <= i1; ++i) {
                const double dy = (i + 0.5) * kOrthoPixel - c.y;
                for (int j = j0; j <= j1; ++j) {
                    const double dx = (j + 0.5) * kOrthoPixel - c.x;
                    double dz, da;
                    if (!crater_eval(c, dx, dy, dz, da)) continue;
                    const size_t o = static_cast<size_t>(i) * static_cast<size_t>(m) + static_cast<size_t>(j);
                    fg.h[o] = static_cast<float>(fg.h[o] + dz);
                    fg.v[o] = static_cast<float>(fg.v[o] * (1.0 + da));
                }
            }
        }
    });
}

// Direct-illumination factor, 1 on flat ground.
inline double shade_at(const Fine& fg, const Sun& sun, int i, int j) {
    const int m = fg.m;
    const int il = std::max(0, i - 1), ih = std::min(m - 1, i + 1);
    const int jl = std::max(0, j - 1), jh = std::min(m - 1, j + 1);
    auto H = [&](int a, int b) {
        return static_cast<double>(fg.h[static_cast<size_t>(a) * static_cast<size_t>(m) + static_cast<size_t>(b)]);
    };
    const double hx = (H(i, jh) - H(i, jl)) / ((jh - jl) * kOrthoPixel);  // d/d east
    const double hy = (H(ih, j) - H(il, j)) / ((ih - il) * kOrthoPixel);  // d/d south
    // Upward normal in (east, north, up): (-hx, +hy, 1).
    const double inv = 1.0 / std::sqrt(hx * hx + hy * hy + 1.0);
    const double d = (-hx * sun.e + hy * sun.n + sun.u) * inv;
    return std::max(0.0, d) / sun.sin_el;
}

void shade(Fine& fg, const Sun& sun, int nthreads) {
    const int m = fg.m;
    const int chunks = (m + kChunkRows - 1) / kChunkRows;
    parallel_for(chunks, nthreads, [&](int ch) {
        for (int i = ch * kChunkRows; i < std::min(m, (ch + 1) * kChunkRows); ++i)
            for (int j = 0; j < m; ++j) {
                const size_t o = static_cast<size_t>(i) * static_cast<size_t>(m) + static_cast<size_t>(j);
                const double s = shade_at(fg, sun, i, j);
                fg.v[o] = static_cast<float>(fg.v[o] * (kAmbient + (1.0 - kAmbient) * s));
            }
    });
}

void overlay_rocks(const Scene& sc, Fine& fg, const Sun& sun, int nthreads) {
    const int m = fg.m;
    const int chunks = (m + kChunkRows - 1) / kChunkRows;
    // Shadow direction in local (x east, y south): away from the sun.
    const double shx = -sun.he, shy = sun.hn;
    std::vector<std::vector<uint32_t>> bucket(static_cast<size_t>(chunks));
    for (size_t k = 0; k < sc.rocks.size(); ++k) {
        const Rock& r = sc.rocks[k];
        const double rm = std::max(r.a, r.b);
        const double ls = r.h / sun.tan_el;
        const double ya = std::min(r.y, r.y + ls * shy) - rm - kOrthoPixel;
        const double yb = std::max(r.y, r.y + ls * shy) + rm + kOrthoPixel;
        const int c0 = std::max(0, static_cast<int>(std::floor(ya / kOrthoPixel)) / kChunkRows);
        const int c1 = std::min(chunks - 1, static_cast<int>(std::floor(yb / kOrthoPixel)) / kChunkRows);
        if (yb < 0 || ya > m * kOrthoPixel) continue;
        for (int c = c0; c <= c1; ++c) bucket[static_cast<size_t>(c)].push_back(static_cast<uint32_t>(k));
    }
    constexpr int SS = 3;  // subsamples per axis
    parallel_for(chunks, nthreads, [&](int ch) {
        const int r0 = ch * kChunkRows, r1 = std::min(m, (ch + 1) * kChunkRows);
        for (uint32_t k : bucket[static_cast<size_t>(ch)]) {
            const Rock& r = sc.rocks[k];
            const double rm = std::max(r.a, r.b);
            const double ls = r.h / sun.tan_el;
            const double xa = std::min(r.x, r.x + ls * shx) - rm, xb = std::max(r.x, r.x + ls * shx) + rm;
            const double ya = std::min(r.y, r.y + ls * shy) - rm, yb = std::max(r.y, r.y + ls * shy) + rm;
            const int i0 = std::max(r0, static_cast<int>(std::floor(ya / kOrthoPixel)));
            const int i1 = std::min(r1 - 1, static_cast<int>(std::floor(yb / kOrthoPixel)));
            const int j0 = std::max(0, static_cast<int>(std::floor(xa / kOrthoPixel)));
            const int j1 = std::min(m - 1, static_cast<int>(std::floor(xb / kOrthoPixel)));
            // Sun direction in the rock's scaled frame, for the shadow test.
            const double DX = (sun.he * r.cu + sun.hn * r.su) / r.a;
            const double DY = (-sun.he * r.su + sun.hn * r.cu) / r.b;
            const double DZ = sun.tan_el / r.h;
            const double AQ = DX * DX + DY * DY + DZ * DZ;
            for (int i = i0; i <= i1; ++i) {
                for (int j = j0; j <= j1; ++j) {
                    int n_rock = 0, n_shadow = 0;
                    double rock_sum = 0.0;
                    for (int si = 0; si < SS; ++si) {
                        const double qy = (i + (si + 0.5) / SS) * kOrthoPixel;
                        for (int sj = 0; sj < SS; ++sj) {
                            const double qx = (j + (sj + 0.5) / SS) * kOrthoPixel;
                            const double qe = qx - r.x, qn = -(qy - r.y);
                            const double X = (qe * r.cu + qn * r.su) / r.a;
                            const double Y = (-qe * r.su + qn * r.cu) / r.b;
                            const double r2 = X * X + Y * Y;
                            if (r2 < 1.0) {
                                const double Z = std::sqrt(1.0 - r2);
                                const double gx = X / r.a, gy = Y / r.b;
                                double ne = gx * r.cu - gy * r.su, nn = gx * r.su + gy * r.cu, nu = Z / r.h;
                                // Facets: perturb the normal a little.
                                ne += 0.35 * gnoise(X * 1.7 + 3.1, Y * 1.7, r.salt) / r.a;
                                nn += 0.35 * gnoise(X * 1.7, Y * 1.7 + 5.3, r.salt ^ 0x5bd1e995u) / r.b;
                                const double inv = 1.0 / std::sqrt(ne * ne + nn * nn + nu * nu);
                                const double lit = std::max(0.0, (ne * sun.e + nn * sun.n + nu * sun.u) * inv) / sun.sin_el;
                                rock_sum += r.alb * (kAmbient * (0.6 + 0.4 * Z) + (1.0 - kAmbient) * lit);
                                ++n_rock;
                            } else {
                                const double B = X * DX + Y * DY;
                                if (B < 0.0 && B * B - AQ * (r2 - 1.0) >= 0.0) ++n_shadow;
                            }
                        }
                    }
                    if (n_rock == 0 && n_shadow == 0) continue;
                    const size_t o = static_cast<size_t>(i) * static_cast<size_t>(m) + static_cast<size_t>(j);
                    const double s = shade_at(fg, sun, i, j);
                    const double lit_fac = kAmbient + (1.0 - kAmbient) * s;
                    const double rad = fg.v[o];
                    const double alb = rad / lit_fac;  // local soil albedo
                    const double inv_n = 1.0 / (SS * SS);
                    const double f_rock = n_rock * inv_n, f_sh = n_shadow * inv_n;
                    const double v = rad * (1.0 - f_rock - f_sh) + alb * rock_sum * inv_n + alb * kAmbient * f_sh;
                    fg.v[o] = static_cast<float>(v);
                }
            }
        }
    });
}

// ----------------------------------------------------------------------------------------
// Output helpers
// ----------------------------------------------------------------------------------------
std::string g_last_gdal_error;

void CPL_STDCALL gdal_error_handler(CPLErr cls, CPLErrorNum, const char* msg) {
    if (cls >= CE_Failure) g_last_gdal_error = msg ? msg : "";
}

std::string gdal_err() { return g_last_gdal_error.empty() ? std::string("unknown GDAL error") : g_last_gdal_error; }

struct Georef {
    double x0, y0;  // upper-left corner, map metres
    double gt[6];
};

void remove_quiet(const fs::path& p) {
    std::error_code ec;
    fs::remove(p, ec);
    fs::path aux = p;
    aux += ".aux.xml";
    fs::remove(aux, ec);
}

void finish(const fs::path& tmp, const fs::path& final_path) {
    std::error_code ec;
    fs::path aux = tmp;
    aux += ".aux.xml";
    fs::remove(aux, ec);  // nothing should be in PAM; never leave a stray side file
    fs::rename(tmp, final_path, ec);
    if (ec) {
        remove_quiet(tmp);
        fail("cannot rename " + tmp.string() + " to " + final_path.string() + ": " + ec.message());
    }
}

void write_geotiff(const fs::path& final_path, int w, int h, GDALDataType type, const void* data,
                   const Georef& geo, double pixel, const std::string& wkt, char** options,
                   const std::vector<int>& overviews, bool is_dtm, uint64_t seed) {
    fs::path tmp = final_path;
    tmp += ".tmp";
    remove_quiet(tmp);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) fail("GDAL GTiff driver not available");
    g_last_gdal_error.clear();
    GDALDatasetH ds = GDALCreate(drv, tmp.string().c_str(), w, h, 1, type, options);
    if (!ds) fail("cannot create " + tmp.string() + ": " + gdal_err());
    bool ok = true;
    double gt[6] = {geo.x0, pixel, 0.0, geo.y0, 0.0, -pixel};
    ok = ok && GDALSetGeoTransform(ds, gt) == CE_None;
    ok = ok && GDALSetProjection(ds, wkt.c_str()) == CE_None;
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    const std::string seed_str = std::to_string(seed);
    GDALSetMetadataItem(ds, "TRAVERSE_SAMPLE_SEED", seed_str.c_str(), nullptr);
    GDALSetMetadataItem(ds, "TRAVERSE_SAMPLE_GENERATOR", "make_sample_site (synthetic Jezero-like site)", nullptr);
    if (is_dtm) {
        ok = ok && GDALSetRasterNoDataValue(band, static_cast<double>(hirise_nodata())) == CE_None;
        ok = ok && GDALSetRasterUnitType(band, "m") == CE_None;
        GDALSetDescription(band, "elevation");
    } else {
        GDALSetDescription(band, "red");
    }
    if (ok)
        ok = GDALRasterIO(band, GF_Write, 0, 0, w, h, const_cast<void*>(data), w, h, type, 0, 0) == CE_None;
    if (ok && !overviews.empty()) {
        std::vector<int> ov = overviews;
        ok = GDALBuildOverviews(ds, "AVERAGE", static_cast<int>(ov.size()), ov.data(), 0, nullptr, nullptr,
                                nullptr) == CE_None;
    }
    if (ok) GDALFlushCache(ds);
    GDALClose(ds);
    if (!ok || !g_last_gdal_error.empty()) {
        remove_quiet(tmp);
        fail("cannot write " + tmp.string() + ": " + gdal_err());
    }
    finish(tmp, final_path);
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

void write_pds3(const fs::path& final_path, int n, const std::vector<float>& dtm, const Georef& geo,
                uint64_t seed) {
    const float nodata = hirise_nodata();
    float vmin = std::numeric_limits<float>::max(), vmax = -std::numeric_limits<float>::max();
    for (float v : dtm)
        if (v != nodata) {
            vmin = std::min(vmin, v);
            vmax = std::max(vmax, v);
        }
    const double scale = 1.0;  // metres per pixel
    const double deg = 180.0 / kPi;
    const double coslat = std::cos(kLatTs / deg);
    const double max_lat = geo.y0 / kMarsRadius * deg;
    const double min_lat = (geo.y0 - n * scale) / kMarsRadius * deg;
    const double west_lon = kLon0 + geo.x0 / (kMarsRadius * coslat) * deg;
    const double east_lon = kLon0 + (geo.x0 + n * scale) / (kMarsRadius * coslat) * deg;
    // PDS: sample = SAMPLE_PROJECTION_OFFSET + x/scale + 1, line = LINE_PROJECTION_OFFSET - y/scale + 1
    // (1-based pixel centres), i.e. the upper-left corner is at
    //   x = -(SAMPLE_PROJECTION_OFFSET + 0.5) * scale,  y = (LINE_PROJECTION_OFFSET + 0.5) * scale.
    const double sample_off = -geo.x0 / scale - 0.5;
    const double line_off = geo.y0 / scale - 0.5;
    const int record_bytes = n * 4;

    char product_id[96];
    std::snprintf(product_id, sizeof product_id, "DTEEC_SYNTHETIC_JEZERO_S%llu_A01",
                  static_cast<unsigned long long>(seed));

    auto make_label = [&](int label_records) {
        std::string s;
        auto kv = [&](const std::string& indent, const std::string& k, const std::string& v) {
            std::string key = indent + k;
            if (key.size() < 34) key.resize(34, ' ');
            s += key + "= " + v + "\r\n";
        };
        kv("", "PDS_VERSION_ID", "PDS3");
        s += "\r\n/* Synthetic sample site written by Traverse's make_sample_site. */\r\n";
        s += "/* Not a real HiRISE product; label follows the DTEEC conventions. */\r\n\r\n";
        s += "/* FILE FORMAT AND LENGTH */\r\n";
        kv("", "RECORD_TYPE", "FIXED_LENGTH");
        kv("", "RECORD_BYTES", std::to_string(record_bytes));
        kv("", "FILE_RECORDS", std::to_string(label_records + n));
        kv("", "LABEL_RECORDS", std::to_string(label_records));
        kv("", "^IMAGE", std::to_string(label_records + 1));
        s += "\r\n/* IDENTIFICATION DATA ELEMENTS */\r\n";
        kv("", "DATA_SET_ID", "\"MRO-M-HIRISE-5-DTM-V1.0\"");
        kv("", "DATA_SET_NAME", "\"MRO MARS HIRISE DIGITAL TERRAIN MODEL V1.0\"");
        kv("", "PRODUCER_INSTITUTION_NAME", "\"TRAVERSE PROJECT (SYNTHETIC)\"");
        kv("", "PRODUCER_ID", "\"TRAVERSE\"");
        kv("", "PRODUCT_ID", std::string("\"") + product_id + "\"");
        kv("", "PRODUCT_VERSION_ID", "\"1.0\"");
        kv("", "INSTRUMENT_HOST_NAME", "\"MARS RECONNAISSANCE ORBITER\"");
        kv("", "INSTRUMENT_HOST_ID", "\"MRO\"");
        kv("", "INSTRUMENT_NAME", "\"HIGH RESOLUTION IMAGING SCIENCE EXPERIMENT\"");
        kv("", "INSTRUMENT_ID", "\"HIRISE\"");
        kv("", "TARGET_NAME", "MARS");
        kv("", "RATIONALE_DESC", "\"Synthetic Jezero crater floor sample site, seed " + std::to_string(seed) + "\"");
        kv("", "SOFTWARE_NAME", "\"make_sample_site\"");
        s += "\r\n/* DESCRIPTION OF OBJECTS CONTAINED IN THE FILE */\r\n\r\n";
        kv("", "OBJECT", "IMAGE_MAP_PROJECTION");
        const std::string in = "    ";
        kv(in, "MAP_PROJECTION_TYPE", "\"EQUIRECTANGULAR\"");
        kv(in, "PROJECTION_LATITUDE_TYPE", "PLANETOCENTRIC");
        kv(in, "A_AXIS_RADIUS", "3396.19 <KM>");
        kv(in, "B_AXIS_RADIUS", "3396.19 <KM>");
        kv(in, "C_AXIS_RADIUS", "3396.19 <KM>");
        kv(in, "COORDINATE_SYSTEM_NAME", "PLANETOCENTRIC");
        kv(in, "POSITIVE_LONGITUDE_DIRECTION", "EAST");
        kv(in, "KEYWORD_LATITUDE_TYPE", "PLANETOCENTRIC");
        kv(in, "CENTER_LATITUDE", fmt("%.1f <DEG>", kLatTs));
        kv(in, "CENTER_LONGITUDE", fmt("%.1f <DEG>", kLon0));
        kv(in, "LINE_FIRST_PIXEL", "1");
        kv(in, "LINE_LAST_PIXEL", std::to_string(n));
        kv(in, "SAMPLE_FIRST_PIXEL", "1");
        kv(in, "SAMPLE_LAST_PIXEL", std::to_string(n));
        kv(in, "MAP_PROJECTION_ROTATION", "0.0 <DEG>");
        kv(in, "MAP_RESOLUTION", fmt("%.5f <PIX/DEG>", kMarsRadius / deg / scale));
        kv(in, "MAP_SCALE", fmt("%.1f <METERS/PIXEL>", scale));
        kv(in, "MAXIMUM_LATITUDE", fmt("%.8f <DEG>", max_lat));
        kv(in, "MINIMUM_LATITUDE", fmt("%.8f <DEG>", min_lat));
        kv(in, "LINE_PROJECTION_OFFSET", fmt("%.1f <PIXEL>", line_off));
        kv(in, "SAMPLE_PROJECTION_OFFSET", fmt("%.1f <PIXEL>", sample_off));
        kv(in, "EASTERNMOST_LONGITUDE", fmt("%.8f <DEG>", east_lon));
        kv(in, "WESTERNMOST_LONGITUDE", fmt("%.8f <DEG>", west_lon));
        kv("", "END_OBJECT", "IMAGE_MAP_PROJECTION");
        s += "\r\n";
        kv("", "OBJECT", "IMAGE");
        kv(in, "LINES", std::to_string(n));
        kv(in, "LINE_SAMPLES", std::to_string(n));
        kv(in, "BANDS", "1");
        kv(in, "OFFSET", "0.0");
        kv(in, "SCALING_FACTOR", "1.0");
        kv(in, "SAMPLE_TYPE", "PC_REAL");
        kv(in, "SAMPLE_BITS", "32");
        kv(in, "SAMPLE_BIT_MASK", "2#11111111111111111111111111111111#");
        kv(in, "MISSING_CONSTANT", "16#FF7FFFFB#");
        kv(in, "VALID_MINIMUM", fmt("%.4f", static_cast<double>(vmin)));
        kv(in, "VALID_MAXIMUM", fmt("%.4f", static_cast<double>(vmax)));
        kv(in, "UNIT", "METER");
        kv("", "END_OBJECT", "IMAGE");
        s += "END\r\n";
        return s;
    };
    int label_records = 1;
    std::string label;
    for (;;) {
        label = make_label(label_records);
        const int need = static_cast<int>((label.size() + static_cast<size_t>(record_bytes) - 1) /
                                          static_cast<size_t>(record_bytes));
        if (need <= label_records) break;
        label_records = need;
    }
    label.resize(static_cast<size_t>(label_records) * static_cast<size_t>(record_bytes), ' ');

    fs::path tmp = final_path;
    tmp += ".tmp";
    remove_quiet(tmp);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail("cannot create " + tmp.string() + ": " + std::strerror(errno));
        out.write(label.data(), static_cast<std::streamsize>(label.size()));
        std::vector<unsigned char> row(static_cast<size_t>(record_bytes));
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                uint32_t b;
                std::memcpy(&b, &dtm[static_cast<size_t>(i) * static_cast<size_t>(n) + static_cast<size_t>(j)], 4);
                unsigned char* p = &row[static_cast<size_t>(j) * 4];
                p[0] = static_cast<unsigned char>(b);
                p[1] = static_cast<unsigned char>(b >> 8);
                p[2] = static_cast<unsigned char>(b >> 16);
                p[3] = static_cast<unsigned char>(b >> 24);
            }
            out.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(row.size()));
        }
        out.flush();
        if (!out) {
            out.close();
            remove_quiet(tmp);
            fail("cannot write " + tmp.string() + ": " + std::strerror(errno));
        }
    }
    finish(tmp, final_path);
}

void usage(FILE* f) {
    std::fprintf(f,
                 "usage: make_sample_site --out DIR [--seed N] [--size N] [--threads N]\n"
                 "\n"
                 "Writes Traverse's synthetic Jezero-like sample site into DIR:\n"
                 "  sample_dtm.tif    Float32 DTM, 1 m/px, N x N (GeoTIFF)\n"
                 "  sample_ortho.tif  Byte orthoimage, 0.25 m/px, 4N x 4N (GeoTIFF)\n"
                 "  sample_dtm.IMG    the same DTM as PDS3 with a HiRISE DTEEC-style label\n"
                 "\n"
                 "  --out DIR     output directory (created if missing)\n"
                 "  --seed N      random seed (default 2025); same seed, same bytes\n"
                 "  --size N      DTM pixels per side, 64..4096 (default 1024)\n"
                 "  --threads N   worker threads (default: hardware); does not change output\n");
}

bool parse_u64(const std::string& s, uint64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (errno != 0 || !end || *end != '\0') return false;
    out = v;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::string out_dir;
    uint64_t seed = 2025, size = 1024, threads = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        }
        std::string key = a, val;
        bool has_val = false;
        const size_t eq = a.find('=');
        if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
            key = a.substr(0, eq);
            val = a.substr(eq + 1);
            has_val = true;
        }
        if (key != "--out" && key != "--seed" && key != "--size" && key != "--threads")
            fail("unknown argument '" + a + "' (see --help)");
        if (!has_val) {
            if (i + 1 >= argc) fail("missing value for " + key);
            val = argv[++i];
        }
        if (key == "--out") {
            if (val.empty()) fail("empty value for --out");
            out_dir = val;
        } else if (key == "--seed") {
            if (!parse_u64(val, seed)) fail("invalid --seed '" + val + "' (expected a non-negative integer)");
        } else if (key == "--size") {
            if (!parse_u64(val, size) || size < 64 || size > 4096)
                fail("invalid --size '" + val + "' (expected an integer 64..4096)");
        } else {
            if (!parse_u64(val, threads) || threads < 1 || threads > 256)
                fail("invalid --threads '" + val + "' (expected an integer 1..256)");
        }
    }
    if (out_dir.empty()) fail("missing --out DIR (see --help)");
    int nthreads = threads ? static_cast<int>(threads) : static_cast<int>(std::thread::hardware_concurrency());
    nthreads = std::clamp(nthreads, 1, 256);

    const fs::path dir(out_dir);
    {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) fail("cannot create directory " + dir.string() + ": " + ec.message());
        if (!fs::is_directory(dir, ec)) fail("not a directory: " + dir.string());
        // Probe writability up front, before spending time on rendering.
        fs::path probe = dir / ".make_sample_site.probe";
        std::ofstream p(probe, std::ios::binary | std::ios::trunc);
        if (!p) fail("directory " + dir.string() + " is not writable: " + std::strerror(errno));
        p.close();
        fs::remove(probe, ec);
    }

    const auto t_start = std::chrono::steady_clock::now();
    GDALAllRegister();
    CPLSetErrorHandler(gdal_error_handler);

    const int n = static_cast<int>(size);
    const int m = n * kOrthoFactor;

    // --- Georeferencing ---------------------------------------------------------------
    Georef geo{};
    {
        const double deg = kPi / 180.0;
        const double xc = kMarsRadius * std::cos(kLatTs * deg) * (kSiteLon - kLon0) * deg;
        const double yc = kMarsRadius * kSiteLat * deg;
        geo.x0 = std::round(xc - 0.5 * n);
        geo.y0 = std::round(yc + 0.5 * n);
    }
    std::string wkt;
    {
        OGRSpatialReference srs;
        if (srs.importFromProj4("+proj=eqc +lat_ts=18.4 +lat_0=0 +lon_0=77.4 +x_0=0 +y_0=0 +R=3396190 +units=m "
                                "+no_defs") != OGRERR_NONE)
            fail("cannot build the Mars equirectangular CRS: " + gdal_err());
        // Same names as GDAL's PDS driver gives the HiRISE label below, so that the GeoTIFFs
        // and the .IMG compare equal with OGRSpatialReference::IsSame().
        srs.SetGeogCS("GCS_MARS", "D_MARS", "MARS_localRadius", kMarsRadius, 0.0, "Reference_Meridian", 0.0);
        srs.SetProjCS("EQUIRECTANGULAR MARS");
        char* w = nullptr;
        if (srs.exportToWkt(&w) != OGRERR_NONE || !w) fail("cannot export the CRS to WKT");
        wkt = w;
        CPLFree(w);
    }

    // --- Scene and rendering ------------------------------------------------------------
    Scene sc;
    build_scene(sc, seed, n, nthreads);
    const Sun sun = make_sun();
    Coarse cg;
    build_coarse(sc, cg, nthreads);
    Fine fg;
    fg.m = m;
    fg.h.assign(static_cast<size_t>(m) * static_cast<size_t>(m), 0.0f);
    fg.v.assign(static_cast<size_t>(m) * static_cast<size_t>(m), 0.0f);
    render_base(sc, cg, fg, nthreads);
    cg = Coarse{};
    stamp_craters(sc, fg, nthreads);

    // DTM: 4x4 block means of the fine surface, plus rock bumps, plus the nodata gap.
    std::vector<float> dtm(static_cast<size_t>(n) * static_cast<size_t>(n));
    std::vector<double> dtm_d(dtm.size());
    parallel_for(n, nthreads, [&](int I) {
        for (int J = 0; J < n; ++J) {
            double s = 0.0;
            for (int a = 0; a < kOrthoFactor; ++a)
                for (int b = 0; b < kOrthoFactor; ++b)
                    s += fg.h[static_cast<size_t>(I * kOrthoFactor + a) * static_cast<size_t>(m) +
                              static_cast<size_t>(J * kOrthoFactor + b)];
            dtm_d[static_cast<size_t>(I) * static_cast<size_t>(n) + static_cast<size_t>(J)] =
                s / (kOrthoFactor * kOrthoFactor);
        }
    });
    {
        std::vector<double> bump(dtm_d.size(), 0.0);
        for (const Rock& r : sc.rocks) {
            if (r.a + r.b < 1.0) continue;  // only rocks >= ~1 m show in a 1 m DTM
            const double rm = std::max(r.a, r.b);
            const int i0 = std::max(0, static_cast<int>(std::floor(r.y - rm)));
            const int i1 = std::min(n - 1, static_cast<int>(std::floor(r.y + rm)));
            const int j0 = std::max(0, static_cast<int>(std::floor(r.x - rm)));
            const int j1 = std::min(n - 1, static_cast<int>(std::floor(r.x + rm)));
            for (int i = i0; i <= i1; ++i)
                for (int j = j0; j <= j1; ++j) {
                    // Highest point of the rock inside the cell: nearest point to the centre.
                    const double qx = std::clamp(r.x, static_cast<double>(j), j + 1.0);
                    const double qy = std::clamp(r.y, static_cast<double>(i), i + 1.0);
                    const double qe = qx - r.x, qn = -(qy - r.y);
                    const double X = (qe * r.cu + qn * r.su) / r.a, Y = (-qe * r.su + qn * r.cu) / r.b;
                    const double r2 = X * X + Y * Y;
                    if (r2 >= 1.0) continue;
                    double& bv = bump[static_cast<size_t>(i) * static_cast<size_t>(n) + static_cast<size_t>(j)];
                    bv = std::max(bv, r.h * std::sqrt(1.0 - r2));
                }
        }
        const float nodata = hirise_nodata();
        for (int I = 0; I < n; ++I)
            for (int J = 0; J < n; ++J) {
                const size_t o = static_cast<size_t>(I) * static_cast<size_t>(n) + static_cast<size_t>(J);
                const double x = J + 0.5, y = I + 0.5;
                const double dx = x - sc.nd_x, dy = y - sc.nd_y;
                const double rho = std::sqrt(dx * dx + dy * dy) / sc.nd_r + sc.nd_noise(x, y);
                if (rho < 1.0)
                    dtm[o] = nodata;
                else
                    dtm[o] = static_cast<float>(kBaseElevation + dtm_d[o] + bump[o]);
            }
    }
    dtm_d = std::vector<double>();

    // Orthoimage.
    shade(fg, sun, nthreads);
    overlay_rocks(sc, fg, sun, nthreads);
    fg.h = std::vector<float>();
    std::vector<double> row_sum(static_cast<size_t>(m), 0.0);
    parallel_for(m, nthreads, [&](int i) {
        double s = 0.0;
        for (int j = 0; j < m; ++j) s += fg.v[static_cast<size_t>(i) * static_cast<size_t>(m) + static_cast<size_t>(j)];
        row_sum[static_cast<size_t>(i)] = s;
    });
    double total = 0.0;
    for (double s : row_sum) total += s;
    const double gain = 118.0 / (total / (static_cast<double>(m) * m));
    std::vector<uint8_t> ortho(static_cast<size_t>(m) * static_cast<size_t>(m));
    const uint32_t noise_salt = static_cast<uint32_t>(seed * 0x9E3779B1u) ^ 0xA5A5A5A5u;
    parallel_for(m, nthreads, [&](int i) {
        for (int j = 0; j < m; ++j) {
            const size_t o = static_cast<size_t>(i) * static_cast<size_t>(m) + static_cast<size_t>(j);
            // Sensor noise: ~1.2 DN rms (triangular).
            const double nz = (hash_unit(j, i, noise_salt) + hash_unit(j, i, noise_salt ^ 0x68E31DA4u) - 1.0) * 3.0;
            const double v = std::round(gain * fg.v[o] + nz);
            ortho[o] = static_cast<uint8_t>(std::clamp(v, 1.0, 255.0));
        }
    });
    fg.v = std::vector<float>();

    // --- Write ---------------------------------------------------------------------------
    {
        char** opt = nullptr;
        opt = CSLSetNameValue(opt, "TILED", "YES");
        opt = CSLSetNameValue(opt, "BLOCKXSIZE", "256");
        opt = CSLSetNameValue(opt, "BLOCKYSIZE", "256");
        opt = CSLSetNameValue(opt, "COMPRESS", "DEFLATE");
        opt = CSLSetNameValue(opt, "PREDICTOR", "3");
        write_geotiff(dir / "sample_dtm.tif", n, n, GDT_Float32, dtm.data(), geo, 1.0, wkt, opt, {2, 4, 8}, true,
                      seed);
        CSLDestroy(opt);
    }
    {
        char** opt = nullptr;
        opt = CSLSetNameValue(opt, "TILED", "YES");
        opt = CSLSetNameValue(opt, "BLOCKXSIZE", "256");
        opt = CSLSetNameValue(opt, "BLOCKYSIZE", "256");
        opt = CSLSetNameValue(opt, "COMPRESS", "JPEG");
        opt = CSLSetNameValue(opt, "JPEG_QUALITY", "90");
        opt = CSLSetNameValue(opt, "PHOTOMETRIC", "MINISBLACK");
        write_geotiff(dir / "sample_ortho.tif", m, m, GDT_Byte, ortho.data(), geo, kOrthoPixel, wkt, opt,
                      {2, 4, 8, 16}, false, seed);
        CSLDestroy(opt);
    }
    write_pds3(dir / "sample_dtm.IMG", n, dtm, geo, seed);

    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    size_t nod = 0;
    for (float v : dtm)
        if (v == hirise_nodata()) ++nod;
    std::printf("make_sample_site: seed %llu, %dx%d DTM (1 m), %dx%d ortho (0.25 m), %zu craters, %zu rocks, "
                "%zu nodata cells, %.1f s -> %s\n",
                static_cast<unsigned long long>(seed), n, n, m, m, sc.craters.size(), sc.rocks.size(), nod, secs,
                dir.string().c_str());
    return 0;
}
