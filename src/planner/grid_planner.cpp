#include "planner/grid_planner.hpp"

#include "terrain/error.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

namespace traverse::planner {

namespace {

using terrain::MapPoint;
using terrain::PixelPoint;

// Per-cell state of the padded work grid, one byte: the cell's class, then the search's bookkeeping.
constexpr std::uint8_t kBlocked = 1;  // may not be entered or crossed (inflated hazard, zone, outside)
constexpr std::uint8_t kMargin = 2;   // free, but closer than R + half a diagonal to a hazard centre
constexpr std::uint8_t kSample = 4;   // a hard-hazard cell itself
constexpr std::uint8_t kClosed = 8;   // expanded by the search
constexpr int kParentShift = 4;       // bits 4..7: the move that reached the cell

constexpr float kInf = std::numeric_limits<float>::infinity();

[[noreturn]] void invalid(const std::string& what) { throw Error(Error::Kind::InvalidArgument, what); }

float factorOf(float cost, float weight) {
    if (!std::isfinite(cost)) return 1.0f + weight;
    return 1.0f + weight * std::clamp(cost, 0.0f, 1.0f);
}

std::string metres(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f m", v);
    return buf;
}

// The grid's geometry as the planner needs it: pixel sizes along orthogonal axes.
struct Frame {
    int cols = 0, rows = 0;
    double pw = 1.0, ph = 1.0;
    terrain::GeoTransform gt;
};

Frame frameOf(const terrain::HazardMaps& maps) {
    Frame f;
    f.cols = maps.cost.cols;
    f.rows = maps.cost.rows;
    f.gt = maps.geoTransform;
    if (f.cols <= 0 || f.rows <= 0) invalid("the hazard maps are empty");
    const std::size_t n = std::size_t(f.cols) * std::size_t(f.rows);
    if (maps.cost.values.size() != n || maps.hazard.cols != f.cols || maps.hazard.rows != f.rows ||
        maps.hazard.values.size() != n)
        invalid("the hazard maps' cost and hazard layers differ in size");
    if (!maps.unknown.values.empty() &&
        (maps.unknown.cols != f.cols || maps.unknown.rows != f.rows || maps.unknown.values.size() != n))
        invalid("the hazard maps' unknown layer differs in size from the cost layer");
    const auto& g = f.gt.coefficients();
    f.pw = f.gt.pixelWidth();
    f.ph = f.gt.pixelHeight();
    if (!(f.pw > 0.0) || !(f.ph > 0.0) || !std::isfinite(f.pw) || !std::isfinite(f.ph))
        throw Error(Error::Kind::Georeference, "the hazard maps' geotransform has no usable pixel size");
    if (std::abs(g[1] * g[2] + g[4] * g[5]) > 1e-9 * f.pw * f.ph)
        throw Error(Error::Kind::Georeference, "the grid planner needs a geotransform with orthogonal pixel axes");
    return f;
}

bool isHazardCell(const terrain::HazardMaps& maps, std::size_t i) {
    return maps.hazard.values[i] != 0 || (!maps.unknown.values.empty() && maps.unknown.values[i] != 0) ||
           !std::isfinite(maps.cost.values[i]);
}

// Squared distance from p to the segment ab (all in metres).
double segmentDist2(double px, double py, double ax, double ay, double bx, double by) {
    const double dx = bx - ax, dy = by - ay;
    const double l2 = dx * dx + dy * dy;
    double t = l2 > 0.0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const double ex = ax + t * dx - px, ey = ay + t * dy - py;
    return ex * ex + ey * ey;
}

// Walks the cells a segment passes through (pixel coordinates), calling visit(col, row, lengthM) in
// order; visit returns false to stop. Where the segment passes through a cell corner (within rounding)
// the two cells beside the corner are visited too, with length 0. Returns false when stopped.
template <class Visit>
bool walkCells(PixelPoint a, PixelPoint b, double pw, double ph, Visit&& visit) {
    const double dx = b.col - a.col, dy = b.row - a.row;
    const double lengthM = std::hypot(dx * pw, dy * ph);
    long c = long(std::floor(a.col)), r = long(std::floor(a.row));
    const long cEnd = long(std::floor(b.col)), rEnd = long(std::floor(b.row));
    const int sx = dx > 0 ? 1 : (dx < 0 ? -1 : 0);
    const int sy = dy > 0 ? 1 : (dy < 0 ? -1 : 0);
    const double inf = std::numeric_limits<double>::infinity();
    const double tdx = sx ? 1.0 / std::abs(dx) : inf, tdy = sy ? 1.0 / std::abs(dy) : inf;
    double tmx = sx > 0 ? (double(c) + 1.0 - a.col) / dx : (sx < 0 ? (a.col - double(c)) / -dx : inf);
    double tmy = sy > 0 ? (double(r) + 1.0 - a.row) / dy : (sy < 0 ? (a.row - double(r)) / -dy : inf);
    constexpr double kCorner = 1e-9;
    double t = 0.0;
    long budget = std::labs(cEnd - c) + std::labs(rEnd - r) + 4;
    for (;;) {
        const double tn = std::min({tmx, tmy, 1.0});
        if (!visit(c, r, (tn - t) * lengthM)) return false;
        if (tn >= 1.0 || --budget < 0) return true;
        if (std::abs(tmx - tmy) <= kCorner) {
            if (!visit(c + sx, r, 0.0) || !visit(c, r + sy, 0.0)) return false;
            c += sx;
            r += sy;
            t = tn;
            tmx += tdx;
            tmy += tdy;
        } else if (tmx < tmy) {
            c += sx;
            t = tmx;
            tmx += tdx;
        } else {
            r += sy;
            t = tmy;
            tmy += tdy;
        }
    }
}

// A monotone priority queue over float keys >= 0 (their bit patterns order like the numbers): a radix
// heap. Keys below the last one popped (rounding in g + h) are raised to it. Equal keys pop last-in
// first-out, which breaks ties towards the deeper node.
class RadixHeap {
public:
    bool empty() const { return size_ == 0; }
    void push(float key, std::uint32_t item) {
        std::uint32_t k = std::bit_cast<std::uint32_t>(key);
        k = std::max(k, last_);
        buckets_[bucketOf(k)].push_back((std::uint64_t(k) << 32) | item);
        ++size_;
    }
    std::uint32_t pop() {
        if (buckets_[0].empty()) {
            int i = 1;
            while (buckets_[i].empty()) ++i;
            auto& from = buckets_[i];
            std::uint64_t lo = from[0];
            for (std::uint64_t e : from) lo = std::min(lo, e);
            last_ = std::uint32_t(lo >> 32);
            for (std::uint64_t e : from) buckets_[bucketOf(std::uint32_t(e >> 32))].push_back(e);
            from.clear();
        }
        const std::uint64_t e = buckets_[0].back();
        buckets_[0].pop_back();
        --size_;
        return std::uint32_t(e);
    }

private:
    int bucketOf(std::uint32_t k) const { return std::bit_width(k ^ last_); }
    std::array<std::vector<std::uint64_t>, 33> buckets_;
    std::uint32_t last_ = 0;
    std::size_t size_ = 0;
};

// Everything the search and the smoothing read, on a grid padded with blocked cells so that no move
// and no stencil leaves the allocation.
struct Workspace {
    Frame f;
    double radius = 0.0;      // R, metres
    double halfDiag = 0.0;    // half a cell's diagonal, metres
    int pad = 2;
    int width = 0, height = 0;  // padded
    std::vector<std::uint8_t> state;
    std::vector<float> factor;
    float minFactor = 1.0f;
    float weight = 0.0f;

    std::array<std::int32_t, kGridMoveCount> off{};
    std::array<std::array<std::int32_t, 2>, kGridMoveCount> between{};  // sides / intermediate cells
    std::array<float, kGridMoveCount> len{};
    std::array<std::vector<std::int32_t>, kGridMoveCount> stencil;       // hazard cells that must be absent
    bool anyStencil = false;

    std::int32_t index(long c, long r) const { return std::int32_t((r + pad) * width + (c + pad)); }
    bool inside(long c, long r) const { return c >= 0 && r >= 0 && c < f.cols && r < f.rows; }

    bool moveAllowed(std::int32_t u, int k) const {
        if (state[u] & kBlocked) return false;
        std::uint8_t s = state[u + off[k]];
        if (k & 1 || k >= 8) s |= state[u + between[k][0]] | state[u + between[k][1]];
        if (s & kBlocked) return false;
        for (std::int32_t o : stencil[k])
            if (state[u + o] & kSample) return false;
        return true;
    }

    float edgeCost(std::int32_t u, int k) const {
        const std::int32_t v = u + off[k];
        if (k < 8) return len[k] * 0.5f * (factor[u] + factor[v]);
        return len[k] * 0.25f * ((factor[u] + factor[u + between[k][0]]) + (factor[u + between[k][1]] + factor[v]));
    }

    // Exact clearance of the segment from the centres of hazard cells near cell (c, r).
    bool clearNear(long c, long r, PixelPoint a, PixelPoint b) const {
        const double reach = radius + halfDiag;
        const long kx = long(std::floor(reach / f.pw)), ky = long(std::floor(reach / f.ph));
        const double r2 = radius * radius;
        const double ax = a.col * f.pw, ay = a.row * f.ph, bx = b.col * f.pw, by = b.row * f.ph;
        for (long y = std::max(0L, r - ky); y <= std::min(long(f.rows) - 1, r + ky); ++y)
            for (long x = std::max(0L, c - kx); x <= std::min(long(f.cols) - 1, c + kx); ++x)
                if ((state[index(x, y)] & kSample) &&
                    segmentDist2((double(x) + 0.5) * f.pw, (double(y) + 0.5) * f.ph, ax, ay, bx, by) < r2)
                    return false;
        return true;
    }

    // Cost of the segment (its exact integral), or +inf when the segment is not clear; gives up with
    // +inf as soon as the cost exceeds `budget`.
    double segmentCost(PixelPoint a, PixelPoint b, double budget = std::numeric_limits<double>::infinity()) const {
        double sum = 0.0;
        const bool ok = walkCells(a, b, f.pw, f.ph, [&](long c, long r, double lengthM) {
            if (!inside(c, r)) return false;
            const std::int32_t i = index(c, r);
            const std::uint8_t s = state[i];
            if (s & kBlocked) return false;
            if ((s & kMargin) && !clearNear(c, r, a, b)) return false;
            sum += lengthM * double(factor[i]);
            return sum <= budget;
        });
        return ok ? sum : std::numeric_limits<double>::infinity();
    }
};

// Marks in `dst` (classes over the unpadded grid) the cells whose centres are closer than R to a
// hazard cell's centre (kBlocked) or closer than R + halfDiag (kMargin), plus the hazard cells
// themselves (kSample | kBlocked). Exact Euclidean distances, bounded to the radius that matters:
// vertical distances to the nearest hazard cell in each column (capped), then the exact minimum over
// the few columns within reach.
void classify(const Frame& f, const std::vector<std::uint8_t>& sample, double radius, double halfDiag,
              std::vector<std::uint8_t>& dst) {
    const int cols = f.cols, rows = f.rows;
    const double reach = radius + halfDiag;
    const long kyL = long(std::floor(reach / f.ph)), kxL = long(std::floor(reach / f.pw));
    if (kyL > 60000 || kxL > 60000) invalid("the rover radius is far too large for the grid's cell size");
    const int ky = int(kyL), kx = int(kxL);
    const std::uint16_t far = std::uint16_t(ky + 1);
    std::vector<std::uint16_t> dv(std::size_t(cols) * std::size_t(rows));
    for (int r = 0; r < rows; ++r) {
        const std::uint8_t* s = sample.data() + std::size_t(r) * cols;
        std::uint16_t* d = dv.data() + std::size_t(r) * cols;
        if (r == 0) {
            for (int c = 0; c < cols; ++c) d[c] = s[c] ? 0 : far;
        } else {
            const std::uint16_t* up = d - cols;
            for (int c = 0; c < cols; ++c) {
                const std::uint16_t v = std::uint16_t(std::min<int>(up[c] + 1, far));
                d[c] = s[c] ? std::uint16_t(0) : v;
            }
        }
    }
    for (int r = rows - 2; r >= 0; --r) {
        std::uint16_t* d = dv.data() + std::size_t(r) * cols;
        const std::uint16_t* down = d + cols;
        for (int c = 0; c < cols; ++c) d[c] = std::uint16_t(std::min<int>(d[c], down[c] + 1));
    }
    // Squared distances in float; the thresholds too, so that exact ties (integer distances on a 1 m
    // grid) compare exactly.
    const float r2 = float(radius * radius), m2 = float(reach * reach);
    std::vector<float> col2(std::size_t(ky) + 2);
    for (int i = 0; i <= ky; ++i) col2[i] = float((i * f.ph) * (i * f.ph));
    col2[std::size_t(ky) + 1] = kInf;
    std::vector<float> row2(2 * std::size_t(kx) + 1);
    for (int j = -kx; j <= kx; ++j) row2[std::size_t(j + kx)] = float((j * f.pw) * (j * f.pw));
    std::vector<float> line(std::size_t(cols) + 2 * std::size_t(kx), kInf), best(cols);
    for (int r = 0; r < rows; ++r) {
        const std::uint16_t* d = dv.data() + std::size_t(r) * cols;
        float* lp = line.data() + kx;
        for (int c = 0; c < cols; ++c) lp[c] = col2[d[c]];
        std::copy(lp, lp + cols, best.begin());
        for (int j = -kx; j <= kx; ++j) {
            if (j == 0) continue;
            const float w = row2[std::size_t(j + kx)];
            const float* src = lp + j;
            float* b = best.data();
            for (int c = 0; c < cols; ++c) b[c] = std::min(b[c], src[c] + w);
        }
        const std::uint8_t* s = sample.data() + std::size_t(r) * cols;
        std::uint8_t* o = dst.data() + std::size_t(r) * cols;
        for (int c = 0; c < cols; ++c) {
            const float v = best[c];
            o[c] = s[c] ? std::uint8_t(kSample | kBlocked) : (v < r2 ? kBlocked : (v < m2 ? kMargin : 0));
        }
    }
}

// Blocks the cells a zone rules out: for a keep-out, those inside it or with their centre within
// `margin` metres of its boundary; for a keep-in, those outside it or within `margin` of its boundary.
void rasterizeZone(Workspace& ws, const twin::Zone& zone, double margin) {
    const Frame& f = ws.f;
    if (zone.polygon.size() < 3) invalid("zone '" + zone.name + "' has fewer than 3 vertices");
    std::vector<PixelPoint> poly;
    poly.reserve(zone.polygon.size());
    for (const MapPoint& p : zone.polygon) {
        if (!std::isfinite(p.e) || !std::isfinite(p.n)) invalid("zone '" + zone.name + "' has a non-finite vertex");
        poly.push_back(f.gt.toPixel(p));
    }
    const std::size_t nv = poly.size();
    const double mx = margin / f.pw, my = margin / f.ph, m2 = margin * margin;
    double minY = poly[0].row, maxY = poly[0].row;
    for (const auto& p : poly) {
        minY = std::min(minY, p.row);
        maxY = std::max(maxY, p.row);
    }
    auto block = [&](long c, long r) { ws.state[ws.index(c, r)] |= kBlocked; };

    // Inside or outside, row by row (even-odd crossings of the line through the cell centres).
    std::vector<double> xs;
    long r0 = 0, r1 = f.rows - 1;
    if (!zone.keepIn) {
        r0 = std::max(0L, long(std::floor(minY)) - 1);
        r1 = std::min(long(f.rows) - 1, long(std::ceil(maxY)) + 1);
    }
    for (long r = r0; r <= r1; ++r) {
        const double y = double(r) + 0.5;
        xs.clear();
        for (std::size_t i = 0, j = nv - 1; i < nv; j = i++) {
            const PixelPoint& a = poly[i];
            const PixelPoint& b = poly[j];
            if ((a.row > y) != (b.row > y)) xs.push_back(a.col + (y - a.row) * (b.col - a.col) / (b.row - a.row));
        }
        std::sort(xs.begin(), xs.end());
        // Cells whose centre c + 0.5 lies in [xs[2i], xs[2i+1]) are inside.
        long c = 0;
        for (std::size_t i = 0; i + 1 < xs.size(); i += 2) {
            const long in0 = std::clamp(long(std::ceil(xs[i] - 0.5)), 0L, long(f.cols));
            const long in1 = std::clamp(long(std::ceil(xs[i + 1] - 0.5)), 0L, long(f.cols));
            if (zone.keepIn)
                for (; c < in0; ++c) block(c, r);
            else
                for (long x = in0; x < in1; ++x) block(x, r);
            c = std::max(c, in1);
        }
        if (zone.keepIn)
            for (; c < f.cols; ++c) block(c, r);
    }

    // Near the boundary: each edge's band of +-margin, row by row.
    for (std::size_t i = 0, j = nv - 1; i < nv; j = i++) {
        const PixelPoint a = poly[j], b = poly[i];
        const long ra = std::max(0L, long(std::floor(std::min(a.row, b.row) - my - 0.5)));
        const long rb = std::min(long(f.rows) - 1, long(std::ceil(std::max(a.row, b.row) + my)));
        for (long r = ra; r <= rb; ++r) {
            const double y = double(r) + 0.5;
            // The part of the edge whose rows lie within the band around y.
            double t0 = 0.0, t1 = 1.0;
            const double dy = b.row - a.row;
            if (dy != 0.0) {
                double u0 = (y - my - a.row) / dy, u1 = (y + my - a.row) / dy;
                if (u0 > u1) std::swap(u0, u1);
                t0 = std::max(t0, u0);
                t1 = std::min(t1, u1);
                if (t0 > t1) continue;
            } else if (std::abs(a.row - y) > my) {
                continue;
            }
            const double xa = a.col + t0 * (b.col - a.col), xb = a.col + t1 * (b.col - a.col);
            const long c0 = std::max(0L, long(std::floor(std::min(xa, xb) - mx - 0.5)));
            const long c1 = std::min(long(f.cols) - 1, long(std::ceil(std::max(xa, xb) + mx)));
            for (long c = c0; c <= c1; ++c)
                if (segmentDist2((double(c) + 0.5) * f.pw, y * f.ph, a.col * f.pw, a.row * f.ph, b.col * f.pw,
                                 b.row * f.ph) < m2)
                    block(c, r);
        }
    }
}

void checkRequest(const GridPlanRequest& req) {
    if (!std::isfinite(req.roverRadiusM) || req.roverRadiusM < 0.0)
        invalid("roverRadiusM must be a finite number >= 0");
    if (!std::isfinite(req.costWeight) || req.costWeight < 0.0) invalid("costWeight must be a finite number >= 0");
}

Workspace buildWorkspace(const terrain::HazardMaps& maps, const GridPlanRequest& req) {
    checkRequest(req);
    Workspace ws;
    ws.f = frameOf(maps);
    const Frame& f = ws.f;
    ws.radius = req.roverRadiusM;
    ws.halfDiag = 0.5 * std::hypot(f.pw, f.ph);
    ws.weight = float(req.costWeight);
    const double reachCells = ws.radius / std::min(f.pw, f.ph);
    if (reachCells > 1000.0) invalid("the rover radius is far too large for the grid's cell size");
    ws.pad = 2 + int(std::ceil(reachCells)) + 1;
    ws.width = f.cols + 2 * ws.pad;
    ws.height = f.rows + 2 * ws.pad;
    if (double(ws.width) * double(ws.height) >= double(std::numeric_limits<std::int32_t>::max()))
        invalid("the cost grid is too large for the grid planner");

    // Classes over the unpadded grid, then copied into the padded one.
    const std::size_t n = std::size_t(f.cols) * std::size_t(f.rows);
    std::vector<std::uint8_t> cls(n);
    {
        std::vector<std::uint8_t> sample(n);
        for (std::size_t i = 0; i < n; ++i) sample[i] = isHazardCell(maps, i) ? 1 : 0;
        classify(f, sample, ws.radius, ws.halfDiag, cls);
    }
    ws.state.assign(std::size_t(ws.width) * std::size_t(ws.height), kBlocked);
    ws.factor.assign(ws.state.size(), 1.0f + ws.weight);
    for (int r = 0; r < f.rows; ++r) {
        std::memcpy(&ws.state[ws.index(0, r)], cls.data() + std::size_t(r) * f.cols, std::size_t(f.cols));
        const float* cost = maps.cost.row(r);
        float* out = &ws.factor[ws.index(0, r)];
        for (int c = 0; c < f.cols; ++c) out[c] = factorOf(cost[c], ws.weight);
    }
    cls = {};

    const double zoneMargin = ws.radius + ws.halfDiag;
    for (const twin::Zone& z : req.keepOuts) rasterizeZone(ws, z, zoneMargin);

    float lo = kInf;
    for (int r = 0; r < f.rows; ++r) {
        const std::uint8_t* s = &ws.state[ws.index(0, r)];
        const float* fa = &ws.factor[ws.index(0, r)];
        for (int c = 0; c < f.cols; ++c) lo = (s[c] & kBlocked) ? lo : std::min(lo, fa[c]);
    }
    ws.minFactor = std::isfinite(lo) ? lo : 1.0f;

    // Moves: offsets, the cells between, lengths, and the stencil of hazard cells whose centre would
    // be within R of the move's leg although every cell the move touches is free.
    const double r2 = ws.radius * ws.radius;
    const int reach = int(std::ceil(reachCells)) + 2;
    for (int k = 0; k < kGridMoveCount; ++k) {
        const int dc = kGridMoves[k].dc, dr = kGridMoves[k].dr;
        ws.off[k] = dr * ws.width + dc;
        ws.len[k] = float(std::hypot(dc * f.pw, dr * f.ph));
        std::vector<std::pair<int, int>> touched{{0, 0}, {dc, dr}};
        if (k < 8 && (k & 1)) {
            touched.push_back({dc, 0});
            touched.push_back({0, dr});
        } else if (k >= 8) {
            if (std::abs(dc) == 2) {
                touched.push_back({dc / 2, 0});
                touched.push_back({dc / 2, dr});
            } else {
                touched.push_back({0, dr / 2});
                touched.push_back({dc, dr / 2});
            }
        }
        if (touched.size() == 4) {
            ws.between[k][0] = touched[2].second * ws.width + touched[2].first;
            ws.between[k][1] = touched[3].second * ws.width + touched[3].first;
        }
        for (int y = -reach; y <= reach; ++y)
            for (int x = -reach; x <= reach; ++x) {
                if (segmentDist2(x * f.pw, y * f.ph, 0.0, 0.0, dc * f.pw, dr * f.ph) >= r2) continue;
                bool covered = false;
                for (const auto& [tx, ty] : touched) {
                    const double ex = (x - tx) * f.pw, ey = (y - ty) * f.ph;
                    covered = covered || ex * ex + ey * ey < r2 || (x == tx && y == ty);
                }
                if (!covered) ws.stencil[k].push_back(y * ws.width + x);
            }
        ws.anyStencil = ws.anyStencil || !ws.stencil[k].empty();
    }
    return ws;
}

// Lower bound of the 16-connected distance in cells between cells dc, dr apart (square cells).
inline float cone16(float a, float b) {
    constexpr float kS5 = 2.2360679775f, kS2 = 1.41421356237f;
    if (a < b) std::swap(a, b);
    return 2.0f * b <= a ? b * kS5 + (a - 2.0f * b) : (a - b) * kS5 + (2.0f * b - a) * kS2;
}

struct Heuristic {
    bool square = true;
    float scale = 1.0f;       // minFactor * cell size (square cells)
    float sx = 1.0f, sy = 1.0f;  // minFactor * pw, minFactor * ph (otherwise)
    Heuristic(const Frame& f, float minFactor) {
        square = std::abs(f.pw - f.ph) <= 1e-9 * f.pw;
        // A hair below the bound so that rounding never makes it inadmissible.
        const float m = minFactor * (1.0f - 1e-6f);
        scale = float(m * f.pw);
        sx = float(m * f.pw);
        sy = float(m * f.ph);
    }
    float operator()(int dc, int dr) const {
        const float a = float(std::abs(dc)), b = float(std::abs(dr));
        return square ? scale * cone16(a, b) : std::hypot(sx * a, sy * b);
    }
};

// The A* proper. Returns the cells of the path (padded indices), start first, or nothing.
template <bool kStencil>
std::vector<std::int32_t> search(Workspace& ws, std::int32_t s, std::int32_t t, const GridPlanRequest& req,
                                 std::size_t& expanded) {
    const int W = ws.width;
    const long tc = t % W, tr = t / W;
    const Heuristic h(ws.f, ws.minFactor);
    std::vector<float> g(ws.state.size(), kInf);
    std::uint8_t* state = ws.state.data();
    const float* F = ws.factor.data();
    RadixHeap open;
    g[s] = 0.0f;
    open.push(h(int(s % W - tc), int(s / W - tr)), std::uint32_t(s));
    const float h0 = std::max(h(int(s % W - tc), int(s / W - tr)), 1e-6f);
    float bestH = h0;
    expanded = 0;
    bool found = false;
    while (!open.empty()) {
        const std::int32_t u = std::int32_t(open.pop());
        if (state[u] & kClosed) continue;
        state[u] |= kClosed;
        ++expanded;
        if (u == t) {
            found = true;
            break;
        }
        const int ur = u / W, uc = u - ur * W;
        if ((expanded & 0xFFFF) == 0) {
            if (req.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "grid planning cancelled");
            if (req.progress) {
                bestH = std::min(bestH, h(int(uc - tc), int(ur - tr)));
                req.progress(0.1 + 0.8 * (1.0 - double(bestH) / double(h0)), "searching");
            }
        }
        const float gu = g[u], fu = F[u];
        auto relax = [&](int k, std::int32_t v, float w) {
            const float ng = gu + w;
            if (ng < g[v]) {
                g[v] = ng;
                state[v] = std::uint8_t((state[v] & 0x0F) | (k << kParentShift));
                open.push(ng + h(int(uc + kGridMoves[k].dc - tc), int(ur + kGridMoves[k].dr - tr)), std::uint32_t(v));
            }
        };
        for (int k = 0; k < kGridMoveCount; ++k) {
            const std::int32_t v = u + ws.off[k];
            std::uint8_t sv = state[v];
            if (sv & (kBlocked | kClosed)) continue;
            float w;
            if (k < 8) {
                if (k & 1) {
                    if ((state[u + ws.between[k][0]] | state[u + ws.between[k][1]]) & kBlocked) continue;
                }
                w = ws.len[k] * 0.5f * (fu + F[v]);
            } else {
                const std::int32_t a = u + ws.between[k][0], b = u + ws.between[k][1];
                if ((state[a] | state[b]) & kBlocked) continue;
                w = ws.len[k] * 0.25f * ((fu + F[a]) + (F[b] + F[v]));
            }
            if constexpr (kStencil) {
                bool hit = false;
                for (std::int32_t o : ws.stencil[k]) hit = hit || (state[u + o] & kSample);
                if (hit) continue;
            }
            relax(k, v, w);
        }
    }
    if (!found) return {};
    std::vector<std::int32_t> cells{t};
    for (std::int32_t v = t; v != s;) {
        const int k = state[v] >> kParentShift;
        v -= ws.off[k];
        cells.push_back(v);
        if (cells.size() > ws.state.size()) throw std::logic_error("grid planner: broken parent chain");
    }
    std::reverse(cells.begin(), cells.end());
    return cells;
}

PixelPoint centreOf(const Workspace& ws, std::int32_t i) {
    const long r = i / ws.width, c = i - r * ws.width;
    return {double(c - ws.pad) + 0.5, double(r - ws.pad) + 0.5};
}

// Shortcuts: from each kept vertex, the farthest later vertex reachable by a clear leg that costs no
// more than the stretch it replaces. Repeated until nothing changes.
std::vector<PixelPoint> smooth(const Workspace& ws, std::vector<PixelPoint> pts, const GridPlanRequest& req) {
    constexpr int kMaxMisses = 24;
    for (int pass = 0; pass < 4 && pts.size() > 2; ++pass) {
        if (req.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "grid planning cancelled");
        const std::size_t n = pts.size();
        std::vector<double> prefix(n, 0.0);
        for (std::size_t i = 1; i < n; ++i) {
            const double leg = ws.segmentCost(pts[i - 1], pts[i]);
            // An unclear leg here would be a bug upstream; price it so that it is replaced if possible.
            prefix[i] = prefix[i - 1] + (std::isfinite(leg) ? leg : 1e30);
        }
        std::vector<PixelPoint> out{pts[0]};
        std::size_t i = 0;
        while (i + 1 < n) {
            std::size_t best = i + 1;
            int misses = 0;
            for (std::size_t j = i + 2; j < n; ++j) {
                const double budget = prefix[j] - prefix[i];
                const double c = ws.segmentCost(pts[i], pts[j], budget * (1.0 + 1e-12));
                if (c <= budget * (1.0 + 1e-12)) {
                    best = j;
                    misses = 0;
                } else if (++misses >= kMaxMisses) {
                    break;
                }
            }
            out.push_back(pts[best]);
            i = best;
        }
        const bool changed = out.size() != pts.size();
        pts = std::move(out);
        if (!changed) break;
    }
    return pts;
}

// Why a point cannot be a start or goal, or "" when it can.
std::string blockedReason(const Workspace& ws, const GridPlanRequest& req, MapPoint p, PixelPoint px,
                          const char* which) {
    const std::string w = which;
    const Frame& f = ws.f;
    if (!(px.col >= 0.0 && px.row >= 0.0 && px.col < f.cols && px.row < f.rows))
        return w + " is outside the cost grid";
    const long c = long(std::floor(px.col)), r = long(std::floor(px.row));
    const std::uint8_t s = ws.state[ws.index(c, r)];
    if (s & kSample) return w + " is on a hard-hazard cell";
    // Within R of a hazard cell's centre: the cell's centre, or the point itself.
    bool nearHazard = false;
    const long kx = long(std::ceil((ws.radius + ws.halfDiag) / f.pw)) + 1;
    const long ky = long(std::ceil((ws.radius + ws.halfDiag) / f.ph)) + 1;
    const double r2 = ws.radius * ws.radius;
    for (long y = std::max(0L, r - ky); y <= std::min(long(f.rows) - 1, r + ky); ++y)
        for (long x = std::max(0L, c - kx); x <= std::min(long(f.cols) - 1, c + kx); ++x) {
            if (!(ws.state[ws.index(x, y)] & kSample)) continue;
            const double ex = (double(x) + 0.5 - px.col) * f.pw, ey = (double(y) + 0.5 - px.row) * f.ph;
            const double fx = double(x - c) * f.pw, fy = double(y - r) * f.ph;
            nearHazard = nearHazard || ex * ex + ey * ey < r2 || fx * fx + fy * fy < r2;
        }
    if (nearHazard) return w + " is within " + metres(ws.radius) + " (the rover's radius) of a hard hazard";
    if (s & kBlocked) {
        for (const twin::Zone& z : req.keepOuts) {
            const bool in = twin::insidePolygon(z.polygon, p);
            if (!z.keepIn && in) return w + " is inside keep-out zone '" + z.name + "'";
            if (z.keepIn && !in) return w + " is outside keep-in zone '" + z.name + "'";
        }
        // Blocked by the margin along a zone's boundary: name the nearest zone.
        const twin::Zone* nearest = nullptr;
        double nearestD2 = std::numeric_limits<double>::infinity();
        for (const twin::Zone& z : req.keepOuts)
            for (std::size_t i = 0, j = z.polygon.size() - 1; i < z.polygon.size(); j = i++) {
                const double d2 = segmentDist2(p.e, p.n, z.polygon[j].e, z.polygon[j].n, z.polygon[i].e, z.polygon[i].n);
                if (d2 < nearestD2) {
                    nearestD2 = d2;
                    nearest = &z;
                }
            }
        if (nearest)
            return w + " is within " + metres(ws.radius + ws.halfDiag) + " (the rover's radius and half a cell) of the " +
                   "boundary of " + (nearest->keepIn ? "keep-in" : "keep-out") + " zone '" + nearest->name + "'";
        return w + " is in a blocked cell";
    }
    return {};
}

void report(const GridPlanRequest& req, double fraction, std::string_view stage) {
    if (req.progress) req.progress(fraction, stage);
}

}  // namespace

GridPlanResult planOnGrid(const terrain::HazardMaps& maps, const GridPlanRequest& req) {
    if (!std::isfinite(req.start.e) || !std::isfinite(req.start.n) || !std::isfinite(req.goal.e) ||
        !std::isfinite(req.goal.n))
        invalid("the start and the goal must be finite map coordinates");
    report(req, 0.0, "inflating obstacles");
    Workspace ws = buildWorkspace(maps, req);
    if (req.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "grid planning cancelled");
    GridPlanResult res;

    const PixelPoint ps = ws.f.gt.toPixel(req.start), pg = ws.f.gt.toPixel(req.goal);
    for (auto [p, px, which] : {std::tuple{req.start, ps, "start"}, std::tuple{req.goal, pg, "goal"}}) {
        std::string why = blockedReason(ws, req, p, px, which);
        if (why.empty()) {
            // The cell is free and the point clear of hazards; its way to the cell's centre must be too.
            const PixelPoint centre{std::floor(px.col) + 0.5, std::floor(px.row) + 0.5};
            if (!std::isfinite(ws.segmentCost(px, centre)))
                why = std::string(which) + " is within " + metres(ws.radius) + " (the rover's radius) of a hard hazard";
        }
        if (!why.empty()) {
            res.reason = why;
            return res;
        }
    }
    const std::int32_t s = ws.index(long(std::floor(ps.col)), long(std::floor(ps.row)));
    const std::int32_t t = ws.index(long(std::floor(pg.col)), long(std::floor(pg.row)));

    report(req, 0.1, "searching");
    std::vector<std::int32_t> cells = ws.anyStencil ? search<true>(ws, s, t, req, res.expanded)
                                                    : search<false>(ws, s, t, req, res.expanded);
    if (cells.empty()) {
        res.reason = "no path from the start to the goal: the goal is cut off by hard hazards or zones (" +
                     std::to_string(res.expanded) + " cells searched)";
        return res;
    }

    // The cell path as legs of repeated moves, between the exact start and goal.
    report(req, 0.9, "smoothing");
    std::vector<PixelPoint> pts{ps};
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const bool turn = i == 0 || i + 1 == cells.size() || cells[i] - cells[i - 1] != cells[i + 1] - cells[i];
        if (turn) pts.push_back(centreOf(ws, cells[i]));
    }
    pts.push_back(pg);
    for (std::size_t i = 1; i < pts.size(); ++i) res.searchCost += ws.segmentCost(pts[i - 1], pts[i]);
    pts = smooth(ws, std::move(pts), req);
    // Drop zero-length legs (a start or goal at its cell's centre).
    std::vector<PixelPoint> clean;
    for (const PixelPoint& p : pts)
        if (clean.empty() || p.col != clean.back().col || p.row != clean.back().row) clean.push_back(p);
    if (clean.size() == 1) clean.push_back(clean.front());

    res.found = true;
    res.path.reserve(clean.size());
    for (const PixelPoint& p : clean) res.path.push_back(ws.f.gt.toMap(p));
    res.path.front() = req.start;
    res.path.back() = req.goal;
    res.costOfPath = costOfPolyline(maps, res.path, req.costWeight);
    res.lengthM = polylineLength(res.path);
    report(req, 1.0, "done");
    return res;
}

std::vector<MapPoint> cutIntoSegments(const std::vector<MapPoint>& path, double maxSegmentM) {
    if (!std::isfinite(maxSegmentM) || maxSegmentM <= 0.0) invalid("maxSegmentM must be a finite number > 0");
    std::vector<MapPoint> out;
    if (path.empty()) return out;
    out.push_back(path.front());
    for (std::size_t i = 1; i < path.size(); ++i) {
        const MapPoint a = path[i - 1], b = path[i];
        const double len = std::hypot(b.e - a.e, b.n - a.n);
        if (len == 0.0) continue;
        auto pieces = std::max<std::size_t>(1, std::size_t(std::ceil(len / maxSegmentM)));
        while (len / double(pieces) > maxSegmentM) ++pieces;
        for (std::size_t k = 1; k < pieces; ++k) {
            const double t = double(k) / double(pieces);
            out.push_back({a.e + t * (b.e - a.e), a.n + t * (b.n - a.n)});
        }
        out.push_back(b);
    }
    return out;
}

double costOfPolyline(const terrain::HazardMaps& maps, const std::vector<MapPoint>& path, double costWeight) {
    if (path.size() < 2) return 0.0;
    const Frame f = frameOf(maps);
    const float w = float(costWeight);
    double sum = 0.0;
    for (std::size_t i = 1; i < path.size(); ++i)
        walkCells(f.gt.toPixel(path[i - 1]), f.gt.toPixel(path[i]), f.pw, f.ph, [&](long c, long r, double lengthM) {
            const bool in = c >= 0 && r >= 0 && c < f.cols && r < f.rows;
            sum += lengthM * double(in ? factorOf(maps.cost.at(int(c), int(r)), w) : 1.0f + w);
            return true;
        });
    return sum;
}

double polylineLength(const std::vector<MapPoint>& path) {
    double sum = 0.0;
    for (std::size_t i = 1; i < path.size(); ++i)
        sum += std::hypot(path[i].e - path[i - 1].e, path[i].n - path[i - 1].n);
    return sum;
}

terrain::Grid<std::uint8_t> inflateObstacles(const terrain::Grid<std::uint8_t>& blocked, double pixelWidthM,
                                             double pixelHeightM, double radiusM) {
    if (!(pixelWidthM > 0.0) || !(pixelHeightM > 0.0) || !std::isfinite(pixelWidthM) || !std::isfinite(pixelHeightM))
        invalid("inflateObstacles: pixel sizes must be finite and positive");
    if (!std::isfinite(radiusM) || radiusM < 0.0) invalid("inflateObstacles: the radius must be finite and >= 0");
    terrain::Grid<std::uint8_t> out(blocked.cols, blocked.rows);
    if (blocked.cols <= 0 || blocked.rows <= 0) return out;
    Frame f;
    f.cols = blocked.cols;
    f.rows = blocked.rows;
    f.pw = pixelWidthM;
    f.ph = pixelHeightM;
    std::vector<std::uint8_t> sample(blocked.values.size());
    for (std::size_t i = 0; i < sample.size(); ++i) sample[i] = blocked.values[i] ? 1 : 0;
    classify(f, sample, radiusM, 0.0, out.values);
    for (auto& v : out.values) v = (v & kBlocked) ? 1 : 0;
    return out;
}

float GridGraph::edgeCost(std::int32_t u, int k) const {
    const int r = u / cols, c = u - r * cols;
    const int dc = kGridMoves[k].dc, dr = kGridMoves[k].dr;
    const std::int32_t v = node(c + dc, r + dr);
    if (k < 8) return moveLengthM[k] * 0.5f * (factor[u] + factor[v]);
    const std::int32_t a = std::abs(dc) == 2 ? node(c + dc / 2, r) : node(c, r + dr / 2);
    const std::int32_t b = std::abs(dc) == 2 ? node(c + dc / 2, r + dr) : node(c + dc, r + dr / 2);
    return moveLengthM[k] * 0.25f * ((factor[u] + factor[a]) + (factor[b] + factor[v]));
}

float GridGraph::heuristic(std::int32_t u, std::int32_t v) const {
    Frame f;
    f.pw = pixelWidthM;
    f.ph = pixelHeightM;
    const Heuristic h(f, minFactor);
    const int ur = u / cols, vr = v / cols;
    return h(u - ur * cols - (v - vr * cols), ur - vr);
}

GridGraph buildGridGraph(const terrain::HazardMaps& maps, const GridPlanRequest& request) {
    const Workspace ws = buildWorkspace(maps, request);
    GridGraph g;
    g.cols = ws.f.cols;
    g.rows = ws.f.rows;
    g.pixelWidthM = ws.f.pw;
    g.pixelHeightM = ws.f.ph;
    g.minFactor = ws.minFactor;
    g.moveLengthM = ws.len;
    const std::size_t n = std::size_t(g.cols) * std::size_t(g.rows);
    g.moves.assign(n, 0);
    g.factor.assign(n, 0.0f);
    for (int r = 0; r < g.rows; ++r)
        for (int c = 0; c < g.cols; ++c) {
            const std::int32_t u = ws.index(c, r);
            const std::size_t i = std::size_t(r) * g.cols + c;
            g.factor[i] = ws.factor[u];
            std::uint16_t m = 0;
            for (int k = 0; k < kGridMoveCount; ++k)
                if (ws.moveAllowed(u, k)) m = std::uint16_t(m | (1u << k));
            g.moves[i] = m;
        }
    return g;
}

}  // namespace traverse::planner
