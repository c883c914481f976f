// The hazard kernel's code, included once per instruction set (hazard_kernel.cpp,
// hazard_kernel_avx2.cpp and hazard_kernel_avx512.cpp) inside a namespace of its own, TRAVERSE_KERNEL_NS, with the entry point
// TRAVERSE_KERNEL_ENTRY. Every standard header it needs is included before the including file
// switches the target, so that no out-of-line library code is ever built for the wider instruction set.
// No include guard: this file is meant to be included more than once.
#include "terrain/detail/hazard_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace traverse::terrain::detail::TRAVERSE_KERNEL_NS {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kRadToDeg = 57.295779513082320876f;

// atan for t >= 0, branch-free so that the slope loop vectorises; absolute error below 2e-7 rad
// (1e-5 degree). Range reduction at tan(pi/8) and tan(3pi/8), then an odd polynomial on
// |x| <= tan(pi/8) (the classic single-precision scheme).
inline float atanNonNegative(float t) {
    const bool big = t > 2.414213562373095f;
    const bool mid = t > 0.4142135623730950f;
    // One division: x = -1/t, (t-1)/(t+1) or t/1 by range.
    const float num = big ? -1.0f : (mid ? t - 1.0f : t);
    const float den = big ? t + 1e-30f : (mid ? t + 1.0f : 1.0f);
    const float x = num / den;
    const float y0 = big ? 1.5707963267948966f : (mid ? 0.7853981633974483f : 0.0f);
    const float z = x * x;
    const float p = (((8.05374449538e-2f * z - 1.38776856032e-1f) * z + 1.99777106478e-1f) * z -
                     3.33329491539e-1f) * z * x + x;
    return y0 + p;
}

constexpr int kStripCols = 1024;

// Scratch rows for one thread: horizontal partial results of the last `ring` input rows.
struct Scratch {
    int ring = 0, cols = 0, pad = 0;
    std::vector<std::uint8_t> inv;          // padded invalid flags of the row being processed
    std::vector<double> zp;                 // padded z - zRef (invalid -> 0), general roughness window
    std::vector<float> zf;                  // the same in float, 3x3 roughness window
    std::vector<float> vmax, vmin;          // padded, invalid -> -inf / +inf
    std::vector<std::uint8_t> or1, orK, orU;  // ring rows: OR of invalid over radius 1, k, u
    std::vector<double> h0, h1, h2;         // ring rows: sums of z', x z', z'^2 over radius k
    std::vector<float> f0, f1, f2;          // ring rows, 3x3 window: contrasts (1,1,1), (-1,0,1), (1,-2,1)
    std::vector<float> hmax, hmin;          // ring rows: max/min over [c, c + w)
    std::vector<float> range;               // ring rows: anchored window ranges
    std::vector<double> sS, sX, sY, sZZ;    // vertical accumulators, one row
    std::vector<std::uint8_t> accOr;
    std::vector<float> accStep;

    // c: local columns of a strip (with its extension), p: padding for the horizontal windows.
    Scratch(int ringRows, int c, int p)
        : ring(ringRows), cols(c), pad(p), inv(std::size_t(c + 2 * p)), zp(std::size_t(c + 2 * p)),
          zf(std::size_t(c + 2 * p)),
          vmax(std::size_t(c + 2 * p)), vmin(std::size_t(c + 2 * p)), or1(std::size_t(ring) * c),
          orK(std::size_t(ring) * c), orU(std::size_t(ring) * c), h0(std::size_t(ring) * c),
          h1(std::size_t(ring) * c), h2(std::size_t(ring) * c), f0(std::size_t(ring) * c),
          f1(std::size_t(ring) * c), f2(std::size_t(ring) * c), hmax(std::size_t(ring) * c),
          hmin(std::size_t(ring) * c), range(std::size_t(ring) * c), sS(std::size_t(c)), sX(std::size_t(c)),
          sY(std::size_t(c)), sZZ(std::size_t(c)), accOr(std::size_t(c)), accStep(std::size_t(c) + std::size_t(p)) {}
    std::size_t slot(int j) const { return std::size_t(((j % ring) + ring) % ring) * std::size_t(cols); }
};

struct Runner : Kernel {
    explicit Runner(const Kernel& k) : Kernel(k) {}
    void run(int rBegin, int rEnd, KernelStats& st) const;
    void runStrip(int rBegin, int rEnd, int cBegin, int cEnd, int ext, Scratch& s, KernelStats& st) const;
};

// Local __restrict pointers throughout: byte stores may alias anything, and without them the compiler
// reloads every array pointer per cell instead of vectorising.
#define TRV_R __restrict

void horizontalOr(const std::uint8_t* TRV_R padded, int pad, int cols, int radius, std::uint8_t* TRV_R out) {
    std::memcpy(out, padded + pad, std::size_t(cols));
    for (int d = 1; d <= radius; ++d) {
        const std::uint8_t* TRV_R l = padded + pad - d;
        const std::uint8_t* TRV_R r = padded + pad + d;
        for (int c = 0; c < cols; ++c) out[c] = std::uint8_t(out[c] | l[c] | r[c]);
    }
}

void Runner::run(int rBegin, int rEnd, KernelStats& st) const {
    // Column strips keep every scratch row in the core's cache (a full 8000-column row of all the
    // partial sums would not fit); each strip carries `ext` extra columns on both sides so that its
    // results do not depend on where the strips are cut.
    const int k = win.roughnessRadius, w = win.stepSide, u = win.unknownRadius, H = win.halo;
    const int pad = std::max({k, w, u, 1});
    const int ext = pad;
    const int strip = std::min(cols, kStripCols);
    Scratch s(2 * H + 2, strip + 2 * ext, pad);
    for (int cBegin = 0; cBegin < cols; cBegin += strip)
        runStrip(rBegin, rEnd, cBegin, std::min(cols, cBegin + strip), ext, s, st);
}

void Runner::runStrip(int rBegin, int rEnd, int cBegin, int cEnd, int ext, Scratch& s, KernelStats& st) const {
    const int k = win.roughnessRadius, w = win.stepSide, u = win.unknownRadius, H = win.halo;
    const int pad = s.pad;
    const int L = (cEnd - cBegin) + 2 * ext;  // local columns; local c is global cBegin - ext + c
    const int g0 = cBegin - ext;
    const int lo = ext, hi = ext + (cEnd - cBegin);  // local range of the strip's own columns

    auto computeHorizontal = [&](int j) {
        const std::size_t o = s.slot(j);
        const bool inside = j >= 0 && j < totalRows;
        std::uint8_t* TRV_R inv = s.inv.data();
        double* TRV_R zp = s.zp.data();
        float* TRV_R zf = s.zf.data();
        float* TRV_R vmax = s.vmax.data();
        float* TRV_R vmin = s.vmin.data();
        const int P = L + 2 * pad;  // padded local columns; padded p is global g0 - pad + p
        std::fill(inv, inv + P, std::uint8_t(1));
        if (k == 1)
            std::fill(zf, zf + P, 0.0f);
        else
            std::fill(zp, zp + P, 0.0);
        std::fill(vmax, vmax + P, -kInf);
        std::fill(vmin, vmin + P, kInf);
        if (inside) {
            const int gA = std::max(0, g0 - pad), gB = std::min(cols, g0 - pad + P);
            const float* TRV_R z = inRow(j) + gA;
            const int off = gA - (g0 - pad);
            const float nd = noData;
            const bool hasNd = hasNoData;
            const double ref = zRef;
            for (int c = 0; c < gB - gA; ++c) {
                const float v = z[c];
                const bool bad = (v != v) | (hasNd & (v == nd));
                inv[off + c] = bad;
                vmax[off + c] = bad ? -kInf : v;
                vmin[off + c] = bad ? kInf : v;
            }
            if (k == 1) {
                const float refF = float(ref);  // a whole number of metres: exact in float
                for (int c = 0; c < gB - gA; ++c) zf[off + c] = inv[off + c] ? 0.0f : z[c] - refF;
            } else {
                for (int c = 0; c < gB - gA; ++c) zp[off + c] = inv[off + c] ? 0.0 : double(z[c]) - ref;
            }
        }
        horizontalOr(inv, pad, L, 1, &s.or1[o]);
        if (k != 1) horizontalOr(inv, pad, L, k, &s.orK[o]);  // for k == 1, or1 serves
        horizontalOr(inv, pad, L, u, &s.orU[o]);

        if (k == 1) {
            float* TRV_R b0 = &s.f0[o];
            float* TRV_R b1 = &s.f1[o];
            float* TRV_R b2 = &s.f2[o];
            const float* TRV_R zc = zf + pad;
            for (int c = 0; c < L; ++c) {
                const float l = zc[c - 1], m = zc[c], r = zc[c + 1];
                b0[c] = l + m + r;
                b1[c] = r - l;
                b2[c] = l - 2.0f * m + r;
            }
        } else {
        double* TRV_R a0 = &s.h0[o];
        double* TRV_R a1 = &s.h1[o];
        double* TRV_R a2 = &s.h2[o];
        std::fill(a0, a0 + L, 0.0);
        std::fill(a1, a1 + L, 0.0);
        std::fill(a2, a2 + L, 0.0);
        for (int d = -k; d <= k; ++d) {
            const double* TRV_R zz = zp + pad + d;
            const double dd = d;
            for (int c = 0; c < L; ++c) {
                const double v = zz[c];
                a0[c] += v;
                a1[c] += dd * v;
                a2[c] += v * v;
            }
        }
        }
        float* TRV_R mx = &s.hmax[o];
        float* TRV_R mn = &s.hmin[o];
        std::memcpy(mx, vmax + pad, sizeof(float) * std::size_t(L));
        std::memcpy(mn, vmin + pad, sizeof(float) * std::size_t(L));
        for (int d = 1; d < w; ++d) {
            const float* TRV_R vx = vmax + pad + d;
            const float* TRV_R vn = vmin + pad + d;
            for (int c = 0; c < L; ++c) {
                mx[c] = std::max(mx[c], vx[c]);
                mn[c] = std::min(mn[c], vn[c]);
            }
        }
    };

    // Range of the w x w window whose top-left cell is (j, c); 0 when it has < 2 valid cells.
    auto computeRange = [&](int j) {
        float* TRV_R rg = &s.range[s.slot(j)];
        const float* TRV_R mx0 = &s.hmax[s.slot(j)];
        const float* TRV_R mn0 = &s.hmin[s.slot(j)];
        float* TRV_R mx = s.accStep.data();  // reused as the running maximum
        float* TRV_R mn = s.vmin.data();     // reused as the running minimum
        std::copy(mx0, mx0 + L, mx);
        std::copy(mn0, mn0 + L, mn);
        for (int d = 1; d < w; ++d) {
            const float* TRV_R mxd = &s.hmax[s.slot(j + d)];
            const float* TRV_R mnd = &s.hmin[s.slot(j + d)];
            for (int c = 0; c < L; ++c) {
                mx[c] = std::max(mx[c], mxd[c]);
                mn[c] = std::min(mn[c], mnd[c]);
            }
        }
        for (int c = 0; c < L; ++c) {
            const float r = mx[c] - mn[c];
            rg[c] = r >= 0.0f ? r : 0.0f;  // -inf - +inf (no valid cell) gives -inf
        }
    };

    const double n = double(2 * k + 1) * double(2 * k + 1);
    const double sxx = double(2 * k + 1) * double(k) * double(k + 1) * double(2 * k + 1) / 3.0;
    const float maxSlope = float(limits.maxSlopeDeg), maxStep = float(limits.maxStepM),
                maxRough = float(limits.maxRoughnessM);
    const float invMaxSlope2 = 1.0f / (maxSlope * maxSlope), invMaxStep = 1.0f / maxStep,
                invMaxRough = 1.0f / maxRough;

    int nextH = rBegin - H;
    int nextR = rBegin - (w - 1);
    for (int r = rBegin; r < rEnd; ++r) {
        while (nextH <= r + H) computeHorizontal(nextH++);
        while (nextR <= r) computeRange(nextR++);
        // Output pointers shifted so that they take local column indices.
        const std::ptrdiff_t oo = std::ptrdiff_t(r - outRow0) * cols + g0;
        float* TRV_R oSlope = slope + oo;
        float* TRV_R oRough = roughness + oo;
        float* TRV_R oStep = step + oo;
        float* TRV_R oCost = cost + oo;
        std::uint8_t* TRV_R oUnknown = unknown + oo;
        std::uint8_t* TRV_R oHazard = hazard + oo;

        // Slope: Horn, summing the window in float in gdaldem's order; the border ring is nodata
        // (its windows reach outside the DTM, which counts as invalid in or1).
        {
            const int cA = std::max(lo, 1 - g0), cB = std::min(hi, cols - 1 - g0);
            for (int c = lo; c < hi; ++c) oSlope[c] = kNoData;
            if (r >= 1 && r + 1 < totalRows && cA < cB) {
                const float* TRV_R zm = inRow(r - 1) + g0;
                const float* TRV_R z0 = inRow(r) + g0;
                const float* TRV_R zq = inRow(r + 1) + g0;
                const std::uint8_t* TRV_R om = &s.or1[s.slot(r - 1)];
                const std::uint8_t* TRV_R o0 = &s.or1[s.slot(r)];
                const std::uint8_t* TRV_R oq = &s.or1[s.slot(r + 1)];
                const float ew = invEw, ns = invNs;
                for (int c = cA; c < cB; ++c) {
                    const float a = zm[c - 1], b = zm[c], cc = zm[c + 1];
                    const float d = z0[c - 1], f = z0[c + 1];
                    const float g = zq[c - 1], h = zq[c], i = zq[c + 1];
                    const float sx = (((a + d) + d) + g) - (((cc + f) + f) + i);
                    const float sy = (((g + h) + h) + i) - (((a + b) + b) + cc);
                    const float dx = sx * ew, dy = sy * ns;
                    const float t = std::sqrt(dx * dx + dy * dy) * 0.125f;
                    const float deg = atanNonNegative(t) * kRadToDeg;
                    oSlope[c] = (om[c] | o0[c] | oq[c]) ? kNoData : deg;
                }
            }
        }

        // Roughness: RMS residual of the plane fit over the window.
        std::uint8_t* TRV_R accOr = s.accOr.data();
        if (k == 1) {
            // 3x3: the residual of the plane is the projection of the window on the six discrete
            // orthogonal polynomials beyond 1, x, y (products of (1,1,1), (-1,0,1), (1,-2,1) in x and
            // y, norms 3, 2, 6). Each is a difference of nearby heights, so float keeps precision.
            const std::size_t oa = s.slot(r - 1), ob = s.slot(r), oc = s.slot(r + 1);
            const float* TRV_R a0 = &s.f0[oa];
            const float* TRV_R a1 = &s.f1[oa];
            const float* TRV_R a2 = &s.f2[oa];
            const float* TRV_R b0 = &s.f0[ob];
            const float* TRV_R b1 = &s.f1[ob];
            const float* TRV_R b2 = &s.f2[ob];
            const float* TRV_R c0 = &s.f0[oc];
            const float* TRV_R c1 = &s.f1[oc];
            const float* TRV_R c2 = &s.f2[oc];
            const std::uint8_t* TRV_R ka = &s.or1[oa];
            const std::uint8_t* TRV_R kb = &s.or1[ob];
            const std::uint8_t* TRV_R kc = &s.or1[oc];
            for (int c = lo; c < hi; ++c) {
                const float v20 = a2[c] + b2[c] + c2[c];
                const float v02 = a0[c] - 2.0f * b0[c] + c0[c];
                const float v11 = c1[c] - a1[c];
                const float v21 = c2[c] - a2[c];
                const float v12 = a1[c] - 2.0f * b1[c] + c1[c];
                const float v22 = a2[c] - 2.0f * b2[c] + c2[c];
                const float rss = (v20 * v20 + v02 * v02) * (1.0f / 18.0f) + v11 * v11 * 0.25f +
                                  (v21 * v21 + v12 * v12) * (1.0f / 12.0f) + v22 * v22 * (1.0f / 36.0f);
                oRough[c] = std::sqrt(rss * (1.0f / 9.0f));
            }
            // The nodata mask in loops of their own: GCC does not vectorise the mixed loop.
            for (int c = lo; c < hi; ++c) accOr[c] = std::uint8_t(ka[c] | kb[c] | kc[c]);
            for (int c = lo; c < hi; ++c) oRough[c] = accOr[c] ? kNoData : oRough[c];
        } else {
            double* TRV_R sS = s.sS.data();
            double* TRV_R sX = s.sX.data();
            double* TRV_R sY = s.sY.data();
            double* TRV_R sZZ = s.sZZ.data();
            std::fill(sS + lo, sS + hi, 0.0);
            std::fill(sX + lo, sX + hi, 0.0);
            std::fill(sY + lo, sY + hi, 0.0);
            std::fill(sZZ + lo, sZZ + hi, 0.0);
            std::fill(accOr + lo, accOr + hi, std::uint8_t(0));
            for (int dy = -k; dy <= k; ++dy) {
                const std::size_t o = s.slot(r + dy);
                const double* TRV_R a0 = &s.h0[o];
                const double* TRV_R a1 = &s.h1[o];
                const double* TRV_R a2 = &s.h2[o];
                const std::uint8_t* TRV_R ok = &s.orK[o];
                const double ddy = dy;
                for (int c = lo; c < hi; ++c) {
                    sS[c] += a0[c];
                    sX[c] += a1[c];
                    sY[c] += ddy * a0[c];
                    sZZ[c] += a2[c];
                }
                for (int c = lo; c < hi; ++c) accOr[c] |= ok[c];
            }
            const double invN = 1.0 / n, invSxx = 1.0 / sxx;
            for (int c = lo; c < hi; ++c) {
                const double S = sS[c], X = sX[c], Y = sY[c];
                const double rss = sZZ[c] - S * S * invN - (X * X + Y * Y) * invSxx;
                const float rough = float(std::sqrt(std::max(rss, 0.0) * invN));
                oRough[c] = accOr[c] ? kNoData : rough;
            }
        }

        // Step: the largest range among the w x w windows containing the cell.
        float* TRV_R acc = s.accStep.data();
        std::fill(acc, acc + L, 0.0f);
        for (int d = 0; d < w; ++d) {
            const float* TRV_R rg = &s.range[s.slot(r - d)];
            for (int c = 0; c < L; ++c) acc[c] = std::max(acc[c], rg[c]);
        }
        for (int c = lo; c < hi; ++c) oStep[c] = acc[c];
        for (int d = 1; d < w; ++d)
            for (int c = lo; c < hi; ++c) oStep[c] = std::max(oStep[c], acc[c - d]);

        // Unknown terrain: nodata within u cells (or the edge of the DTM).
        std::fill(accOr + lo, accOr + hi, std::uint8_t(0));
        for (int dy = -u; dy <= u; ++dy) {
            const std::uint8_t* TRV_R ou = &s.orU[s.slot(r + dy)];
            for (int c = lo; c < hi; ++c) accOr[c] |= ou[c];
        }

        // Hard hazards and cost.
        const float* TRV_R zr = inRow(r) + g0;  // r is always inside the DTM
        const float nd = noData;
        const bool hasNd = hasNoData;
        // Split by element type so that each loop vectorises (mixed float/byte loops do not).
        for (int c = lo; c < hi; ++c) {
            const float v = zr[c];
            const bool centreBad = (v != v) | (hasNd & (v == nd));
            oStep[c] = centreBad ? kNoData : oStep[c];
        }
        for (int c = lo; c < hi; ++c) {
            const float sl = oSlope[c], ro = oRough[c], stp = oStep[c];
            const float c0 = 0.5f * sl * sl * invMaxSlope2 + 0.25f * ro * invMaxRough + 0.25f * stp * invMaxStep;
            const bool hard = (sl > maxSlope) | (stp > maxStep) | (ro > maxRough);
            oCost[c] = hard ? 1.0f : std::min(std::max(c0, 0.0f), 0.99f);
        }
        for (int c = lo; c < hi; ++c) {
            const std::uint8_t s1 = oSlope[c] > maxSlope ? kHazardSlope : 0;
            const std::uint8_t s2 = oStep[c] > maxStep ? kHazardStep : 0;
            const std::uint8_t s3 = oRough[c] > maxRough ? kHazardRoughness : 0;
            oHazard[c] = std::uint8_t(s1 | s2 | s3);
        }
        for (int c = lo; c < hi; ++c) {
            const std::uint8_t un = accOr[c];
            oUnknown[c] = un;
            oHazard[c] = std::uint8_t(oHazard[c] | (un ? kHazardUnknown : 0));
        }
        for (int c = lo; c < hi; ++c) oCost[c] = accOr[c] ? 1.0f : oCost[c];
        // Counts as separate simple reductions, which vectorise. The slope maximum compares the
        // float bits as integers: valid slopes are >= 0 and kNoData is negative, so the order holds.
        int valid = 0, unk = 0, haz = 0;
        std::int32_t maxBits = 0;
        for (int c = lo; c < hi; ++c) {
            const float v = zr[c];
            valid += !((v != v) | (hasNd & (v == nd)));
        }
        for (int c = lo; c < hi; ++c) unk += oUnknown[c];
        for (int c = lo; c < hi; ++c) haz += oHazard[c] != 0;
        for (int c = lo; c < hi; ++c) {
            std::int32_t b;
            std::memcpy(&b, &oSlope[c], sizeof b);
            maxBits = std::max(maxBits, b);
        }
        float mxs;
        std::memcpy(&mxs, &maxBits, sizeof mxs);
        st.valid += valid;
        st.unknown += unk;
        st.hazard += haz;
        st.maxSlope = std::max(st.maxSlope, mxs);
    }
}

}  // namespace
}  // namespace traverse::terrain::detail::TRAVERSE_KERNEL_NS

namespace traverse::terrain::detail {
void TRAVERSE_KERNEL_ENTRY(const Kernel& kernel, int rBegin, int rEnd, KernelStats& stats) {
    TRAVERSE_KERNEL_NS::Runner(kernel).run(rBegin, rEnd, stats);
}
}  // namespace traverse::terrain::detail
