#include "planner/grid_planner.hpp"

#include "terrain/error.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <tuple>
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

constexpr int kCoarse = 4;  // coarse cells per side of a fine block, for the guided search

constexpr float kInf = std::numeric_limits<float>::infinity();

[[noreturn]] void invalid(const std::string& what) { throw Error(Error::Kind::InvalidArgument, what); }
[[noreturn]] void cancelled() { throw Error(Error::Kind::Cancelled, "grid planning cancelled"); }

// 1 + weight * cost, the factor by which a cell multiplies the length driven through it.
inline float factorOf(float cost, float weight) {
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

// The optimal search's queue: a monotone priority queue over float keys >= 0 (their bit patterns order
// like the numbers), a radix heap. A key below the last one popped (rounding in g + h) is raised to it.
// Equal keys pop last-in first-out: ties go to the deeper node.
class RadixHeap {
public:
    bool empty() const { return size_ == 0; }
    void push(float key, std::uint32_t item) {
        std::uint32_t k = std::bit_cast<std::uint32_t>(key);
        k = std::max(k, last_);
        buckets_[bucketOf(k)].push_back((std::uint64_t(k) << 32) | item);
        ++size_;
    }
    bool sameBucket(float, float) const { return false; }
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

// The guided search's queue (and the coarse level's): buckets `width` wide from `base`, last-in
// first-out within a bucket, so keys closer than `width` come out in no particular order (exact for
// Dijkstra when `width` is at most the smallest edge cost). A key below the current bucket goes into
// it; keys beyond `maxBuckets` share the last bucket. Entries live in one pool of linked nodes.
class BucketQueue {
public:
    BucketQueue(float base, float width, std::size_t maxBuckets)
        : base_(base), inverse_(1.0f / width), maxBucket_(maxBuckets - 1) {}
    bool empty() const { return size_ == 0; }
    void push(float key, std::uint32_t item) {
        const std::size_t i = bucketOf(key);
        if (i >= head_.size()) grow(i);
        std::uint32_t n = free_;
        if (n != kNone) free_ = pool_[n].next;
        else {
            n = std::uint32_t(pool_.size());
            pool_.push_back({});
        }
        pool_[n] = {item, head_[i]};
        head_[i] = n;
        ++size_;
    }
    std::uint32_t pop() {
        while (head_[cur_] == kNone) ++cur_;
        const std::uint32_t n = head_[cur_];
        head_[cur_] = pool_[n].next;
        pool_[n].next = free_;
        free_ = n;
        --size_;
        return pool_[n].item;
    }
    // Whether a node whose key drops from oldKey to newKey stays in the bucket its entry is in (the
    // entry then stands for the new key too: order within a bucket is arbitrary anyway).
    bool sameBucket(float oldKey, float newKey) const { return bucketOf(oldKey) == bucketOf(newKey); }
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

private:
    std::size_t bucketOf(float key) const {
        const float b = (key - base_) * inverse_;
        return b > float(cur_) ? std::size_t(std::min(b, float(maxBucket_))) : cur_;
    }
    void grow(std::size_t i) { head_.resize(std::min(maxBucket_ + 1, std::max(i + 1, 2 * head_.size())), kNone); }
    struct Node {
        std::uint32_t item = 0, next = kNone;
    };
    float base_, inverse_;
    std::size_t maxBucket_, cur_ = 0, size_ = 0;
    std::vector<std::uint32_t> head_;
    std::vector<Node> pool_;
    std::uint32_t free_ = kNone;
};

// g values of a search as float bit patterns plus one, in zeroed memory from calloc: pages the search
// never reaches are never touched, and 0 reads as "not reached" (infinity after the minus one).
class CostTable {
public:
    explicit CostTable(std::size_t n) : p_(static_cast<std::uint32_t*>(std::calloc(n, sizeof(std::uint32_t)))) {
        if (!p_) throw std::bad_alloc();
    }
    std::uint32_t bits(std::size_t i) const { return p_[i] - 1u; }  // 0xFFFFFFFF when not reached
    float value(std::size_t i) const { return std::bit_cast<float>(bits(i)); }
    void set(std::size_t i, std::uint32_t bits) { p_[i] = bits + 1u; }

private:
    struct Free {
        void operator()(std::uint32_t* p) const { std::free(p); }
    };
    std::unique_ptr<std::uint32_t[], Free> p_;
};

// Everything the search and the smoothing read, on a grid padded with blocked cells so that no move
// and no stencil leaves the allocation. The cost layer is read in place (unpadded indices).
struct Workspace {
    Frame f;
    double radius = 0.0;        // R, metres
    double halfDiag = 0.0;      // half a cell's diagonal, metres
    int pad = 2;
    int width = 0, height = 0;  // padded
    std::vector<std::uint8_t> state;
    const float* cost = nullptr;
    float weight = 0.0f;
    float minFactor = 1.0f;

    std::array<std::int32_t, kGridMoveCount> off{}, offc{};  // padded / unpadded index offsets
    std::array<std::array<std::int32_t, 2>, kGridMoveCount> between{}, betweenc{};  // sides / cells in between
    std::array<float, kGridMoveCount> len{};
    std::array<std::vector<std::int32_t>, kGridMoveCount> stencil;  // hazard cells that must be absent
    bool anyStencil = false;

    // The coarse level of the guided search: a factor per block of kCoarse x kCoarse cells, +inf for
    // a blocked block (see CoarseBuilder).
    int ccols = 0, crows = 0;
    std::vector<float> coarse;

    std::int32_t index(long c, long r) const { return std::int32_t((r + pad) * width + (c + pad)); }
    bool inside(long c, long r) const { return c >= 0 && r >= 0 && c < f.cols && r < f.rows; }
    float factor(std::size_t i) const { return factorOf(cost[i], weight); }
    // The same for a free cell, whose cost is finite (others are hazard cells).
    float freeFactor(std::size_t i) const { return 1.0f + weight * std::min(std::max(cost[i], 0.0f), 1.0f); }

    bool moveAllowed(std::int32_t u, int k) const {
        if (state[u] & kBlocked) return false;
        std::uint8_t s = state[u + off[k]];
        if (k & 1 || k >= 8) s |= state[u + between[k][0]] | state[u + between[k][1]];
        if (s & kBlocked) return false;
        for (std::int32_t o : stencil[k])
            if (state[u + o] & kSample) return false;
        return true;
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

    // Cost of the segment (its exact integral), whether clear or not (cells outside count with cost 1).
    double legCost(PixelPoint a, PixelPoint b) const {
        double sum = 0.0;
        walkCells(a, b, f.pw, f.ph, [&](long c, long r, double lengthM) {
            sum += lengthM * double(inside(c, r) ? factor(std::size_t(r) * f.cols + std::size_t(c)) : 1.0f + weight);
            return true;
        });
        return sum;
    }

    // Cost of the segment (its exact integral), or +inf when the segment is not clear; gives up with
    // +inf as soon as the cost exceeds `budget`.
    double segmentCost(PixelPoint a, PixelPoint b, double budget = std::numeric_limits<double>::infinity()) const {
        double sum = 0.0;
        const bool ok = walkCells(a, b, f.pw, f.ph, [&](long c, long r, double lengthM) {
            if (!inside(c, r)) return false;
            const std::uint8_t s = state[index(c, r)];
            if (s & kBlocked) return false;
            if ((s & kMargin) && !clearNear(c, r, a, b)) return false;
            sum += lengthM * double(factor(std::size_t(r) * f.cols + std::size_t(c)));
            return sum <= budget;
        });
        return ok ? sum : std::numeric_limits<double>::infinity();
    }
};

// Obstacle classes by exact Euclidean distance, bounded to the radius that matters: the distance in
// rows to the nearest hazard cell of the same column (capped), then the exact minimum over the few
// columns within reach. load(r, dst) fills dst[0..cols) with 1 for the hazard cells of row r; out(r)
// gives the row's class bytes, which are OR-ed with kSample | kBlocked for hazard cells, kBlocked
// within `radius` (strictly) of one and kMargin within radius + halfDiag; rowDone(r) follows.
template <class D, class Load, class Out, class RowDone>
void classifyWith(int cols, int rows, double pw, double ph, double radius, double halfDiag, Load&& load, Out&& out,
                  RowDone&& rowDone) {
    const double reach = radius + halfDiag;
    const int ky = int(std::floor(reach / ph)), kx = int(std::floor(reach / pw));
    const D far = D(ky + 1);
    std::vector<D> dv(std::size_t(cols) * std::size_t(rows));
    std::vector<std::uint8_t> sample(cols);
    for (int r = 0; r < rows; ++r) {
        load(r, sample.data());
        const std::uint8_t* s = sample.data();
        std::uint8_t* o = out(r);
        for (int c = 0; c < cols; ++c) o[c] |= std::uint8_t(s[c] ? (kSample | kBlocked) : 0);
        D* d = dv.data() + std::size_t(r) * cols;
        if (r == 0) {
            for (int c = 0; c < cols; ++c) d[c] = s[c] ? D(0) : far;
        } else {
            const D* up = d - cols;
            for (int c = 0; c < cols; ++c) d[c] = s[c] ? D(0) : std::min(D(up[c] + 1), far);
        }
    }
    for (int r = rows - 2; r >= 0; --r) {
        D* d = dv.data() + std::size_t(r) * cols;
        const D* down = d + cols;
        for (int c = 0; c < cols; ++c) d[c] = std::min(d[c], D(std::min(down[c], far) + 1));
    }
    // Squared distances in float, the thresholds too, so that exact ties (integer distances on a 1 m
    // grid) compare exactly.
    const float r2 = float(radius * radius), m2 = float(reach * reach), ph2 = float(ph * ph);
    std::vector<float> line(std::size_t(cols) + 2 * std::size_t(kx), kInf), best(cols);
    for (int r = 0; r < rows; ++r) {
        const D* d = dv.data() + std::size_t(r) * cols;
        float* lp = line.data() + kx;
        for (int c = 0; c < cols; ++c) {
            const float v = float(d[c]);
            lp[c] = d[c] == far ? kInf : v * v * ph2;
        }
        float* b = best.data();
        std::copy(lp, lp + cols, b);
        for (int j = -kx; j <= kx; ++j) {
            if (j == 0) continue;
            const float w = float((j * pw) * (j * pw));
            const float* src = lp + j;
            for (int c = 0; c < cols; ++c) b[c] = std::min(b[c], src[c] + w);
        }
        std::uint8_t* o = out(r);
        for (int c = 0; c < cols; ++c) o[c] |= b[c] < r2 ? kBlocked : (b[c] < m2 ? kMargin : std::uint8_t(0));
        rowDone(r);
    }
}

template <class Load, class Out, class RowDone>
void classify(int cols, int rows, double pw, double ph, double radius, double halfDiag, Load&& load, Out&& out,
              RowDone&& rowDone) {
    const double reach = radius + halfDiag;
    const double cells = std::max(reach / ph, reach / pw);
    if (cells < 250.0)
        classifyWith<std::uint8_t>(cols, rows, pw, ph, radius, halfDiag, load, out, rowDone);
    else if (cells < 60000.0)
        classifyWith<std::uint16_t>(cols, rows, pw, ph, radius, halfDiag, load, out, rowDone);
    else
        invalid("the rover radius is far too large for the grid's cell size");
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

// The coarse level's factors, row by row. A block's factor is the cheapest of its straight crossings
// (a row, a column or a diagonal of the block with every cell free), as the mean factor along it: what
// a path through the block pays at least, roughly, without being as optimistic as the block's single
// cheapest cell. A block without a free crossing takes its cheapest free cell; a block with fewer than
// kMinFree free cells is blocked, so that thin walls stay closed at the coarse level.
class CoarseBuilder {
public:
    static constexpr int kMinFree = 4;
    CoarseBuilder(int cols, int rows)
        : cols_(cols), rows_(rows), ccols_((cols + kCoarse - 1) / kCoarse), colSum_(cols), rowBest_(ccols_),
          cellMin_(ccols_), diag_(2 * std::size_t(ccols_)), free_(ccols_),
          out_(std::size_t(ccols_) * ((rows + kCoarse - 1) / kCoarse), kInf) {}

    // fa: the row's factors, +inf for blocked cells.
    void addRow(int r, const float* fa) {
        const int lr = r % kCoarse;
        if (lr == 0) {
            std::fill(colSum_.begin(), colSum_.end(), 0.0f);
            std::fill(rowBest_.begin(), rowBest_.end(), kInf);
            std::fill(cellMin_.begin(), cellMin_.end(), kInf);
            std::fill(diag_.begin(), diag_.end(), 0.0f);
            std::fill(free_.begin(), free_.end(), 0);
        }
        for (int c = 0; c < cols_; ++c) colSum_[c] += fa[c];
        const int full = cols_ / kCoarse;
        for (int i = 0; i < full; ++i) {
            const float* p = fa + i * kCoarse;
            const float sum = (p[0] + p[1]) + (p[2] + p[3]);
            rowBest_[i] = std::min(rowBest_[i], sum * (1.0f / kCoarse));
            cellMin_[i] = std::min({cellMin_[i], p[0], p[1], p[2], p[3]});
            free_[i] += (p[0] < kInf) + (p[1] < kInf) + (p[2] < kInf) + (p[3] < kInf);
            diag_[2 * std::size_t(i)] += p[lr];
            diag_[2 * std::size_t(i) + 1] += p[kCoarse - 1 - lr];
        }
        if (full < ccols_) {  // a partial block at the right edge
            float sum = 0.0f;
            for (int c = full * kCoarse; c < cols_; ++c) {
                sum += fa[c];
                cellMin_[full] = std::min(cellMin_[full], fa[c]);
                free_[full] += fa[c] < kInf;
            }
            rowBest_[full] = std::min(rowBest_[full], sum / float(cols_ - full * kCoarse));
        }
        const int height = std::min(kCoarse, rows_ - (r - lr));
        if (lr + 1 < height) return;
        float* out = &out_[std::size_t(r / kCoarse) * ccols_];
        for (int i = 0; i < ccols_; ++i) {
            const int c0 = i * kCoarse, c1 = std::min(cols_, c0 + kCoarse);
            float best = rowBest_[i];
            for (int c = c0; c < c1; ++c) best = std::min(best, colSum_[c] / float(height));
            if (c1 - c0 == kCoarse && height == kCoarse)
                best = std::min({best, diag_[2 * std::size_t(i)] / kCoarse, diag_[2 * std::size_t(i) + 1] / kCoarse});
            if (!(best < kInf)) best = cellMin_[i];
            out[i] = free_[i] >= kMinFree ? best : kInf;
        }
    }
    std::vector<float> take() { return std::move(out_); }

private:
    int cols_, rows_, ccols_;
    std::vector<float> colSum_, rowBest_, cellMin_, diag_;
    std::vector<int> free_;
    std::vector<float> out_;
};

Workspace buildWorkspace(const terrain::HazardMaps& maps, const GridPlanRequest& req, bool coarse) {
    if (!std::isfinite(req.roverRadiusM) || req.roverRadiusM < 0.0)
        invalid("roverRadiusM must be a finite number >= 0");
    if (!std::isfinite(req.costWeight) || req.costWeight < 0.0) invalid("costWeight must be a finite number >= 0");
    Workspace ws;
    ws.f = frameOf(maps);
    const Frame& f = ws.f;
    ws.radius = req.roverRadiusM;
    ws.halfDiag = 0.5 * std::hypot(f.pw, f.ph);
    ws.weight = float(req.costWeight);
    ws.cost = maps.cost.values.data();
    const double reachCells = ws.radius / std::min(f.pw, f.ph);
    if (reachCells > 1000.0) invalid("the rover radius is far too large for the grid's cell size");
    ws.pad = 2 + int(std::ceil(reachCells)) + 1;
    ws.width = f.cols + 2 * ws.pad;
    ws.height = f.rows + 2 * ws.pad;
    if (double(ws.width) * double(ws.height) >= double(std::numeric_limits<std::int32_t>::max()))
        invalid("the cost grid is too large for the grid planner");

    // The padding is blocked; zones first, then the hazard classes on top.
    ws.state.assign(std::size_t(ws.width) * std::size_t(ws.height), kBlocked);
    for (int r = 0; r < f.rows; ++r) std::memset(&ws.state[ws.index(0, r)], 0, std::size_t(f.cols));
    const double zoneMargin = ws.radius + ws.halfDiag;
    for (const twin::Zone& z : req.keepOuts) rasterizeZone(ws, z, zoneMargin);

    std::optional<CoarseBuilder> builder;
    if (coarse) {
        ws.ccols = (f.cols + kCoarse - 1) / kCoarse;
        ws.crows = (f.rows + kCoarse - 1) / kCoarse;
        builder.emplace(f.cols, f.rows);
    }
    const bool hasUnknown = !maps.unknown.values.empty();
    float lo = kInf;
    std::vector<float> factorRow(f.cols);
    classify(
        f.cols, f.rows, f.pw, f.ph, ws.radius, ws.halfDiag,
        [&](int r, std::uint8_t* dst) {
            const std::uint8_t* hz = maps.hazard.row(r);
            const float* cost = maps.cost.row(r);
            for (int c = 0; c < f.cols; ++c) dst[c] = (hz[c] != 0) | !std::isfinite(cost[c]);
            if (hasUnknown) {
                const std::uint8_t* un = maps.unknown.row(r);
                for (int c = 0; c < f.cols; ++c) dst[c] |= un[c] != 0;
            }
        },
        [&](int r) { return &ws.state[ws.index(0, r)]; },
        [&](int r) {
            // The smallest factor of a free cell (the scale of the heuristics), and the coarse level.
            const std::uint8_t* s = &ws.state[ws.index(0, r)];
            const float* cost = maps.cost.row(r);
            float* fa = factorRow.data();
            const float w = ws.weight;
            // Free cells have finite costs (others are hazard cells).
            for (int c = 0; c < f.cols; ++c)
                fa[c] = (s[c] & kBlocked) ? kInf : 1.0f + w * std::min(std::max(cost[c], 0.0f), 1.0f);
            for (int c = 0; c < f.cols; ++c) lo = std::min(lo, fa[c]);
            if (builder) builder->addRow(r, fa);
        });
    ws.minFactor = std::isfinite(lo) ? lo : 1.0f;
    if (builder) ws.coarse = builder->take();

    // Moves: offsets, the cells between, lengths, and the stencil of hazard cells whose centre would
    // be within R of the move's leg although every cell the move touches is free.
    const double r2 = ws.radius * ws.radius;
    const int reach = int(std::ceil(reachCells)) + 2;
    for (int k = 0; k < kGridMoveCount; ++k) {
        const int dc = kGridMoves[k].dc, dr = kGridMoves[k].dr;
        ws.off[k] = dr * ws.width + dc;
        ws.offc[k] = dr * f.cols + dc;
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
        if (touched.size() == 4)
            for (int m = 0; m < 2; ++m) {
                ws.between[k][m] = touched[2 + m].second * ws.width + touched[2 + m].first;
                ws.betweenc[k][m] = touched[2 + m].second * f.cols + touched[2 + m].first;
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

// The 16-connected distance in cells between cells (a, b) apart on a grid of square cells.
inline float cone16(float a, float b) {
    constexpr float kS5 = 2.2360679775f, kS2 = 1.41421356237f;
    if (a < b) std::swap(a, b);
    return 2.0f * b <= a ? b * kS5 + (a - 2.0f * b) : (a - b) * kS5 + (2.0f * b - a) * kS2;
}

// The admissible, consistent heuristic: the 16-connected distance (square cells; the Euclidean one
// otherwise) times the smallest factor of a free cell.
struct Admissible {
    bool square = true;
    float scale = 1.0f, sx = 1.0f, sy = 1.0f;
    Admissible(double pw, double ph, float minFactor) {
        square = std::abs(pw - ph) <= 1e-9 * pw;
        // A hair below the bound so that rounding never makes it inadmissible.
        const double m = double(minFactor) * (1.0 - 1e-6);
        scale = float(m * pw);
        sx = float(m * pw);
        sy = float(m * ph);
    }
    float operator()(int dc, int dr) const {
        const float a = float(std::abs(dc)), b = float(std::abs(dr));
        return square ? scale * cone16(a, b) : std::hypot(sx * a, sy * b);
    }
};

// The guided search's heuristic: the coarse level's cost-to-go to the goal, interpolated bilinearly
// between block centres; the admissible one where the coarse level has no value.
struct Guide {
    Admissible adm;
    const float* cost = nullptr;  // coarse cost-to-go, padded by one block
    int cwidth = 0;               // padded coarse width
    int tc = 0, tr = 0;           // the goal cell
    float operator()(int c, int r) const {
        // Block centres sit at fine coordinate kCoarse * i + 1.5 (kCoarse = 4): floor((c - 1.5) / 4).
        static_assert(kCoarse == 4);
        constexpr float kW[4] = {0.125f, 0.375f, 0.625f, 0.875f};
        const int i0 = (c - 2) >> 2, j0 = (r - 2) >> 2;
        const float fx = kW[(c - 2) & 3], fy = kW[(r - 2) & 3];
        const float* p = cost + std::ptrdiff_t(j0 + 1) * cwidth + (i0 + 1);
        const float a = p[0] + fx * (p[1] - p[0]), b = p[cwidth] + fx * (p[cwidth + 1] - p[cwidth]);
        const float v = a + fy * (b - a);  // NaN or inf next to a block without a value
        return v < kInf ? v : adm(c - tc, r - tr);
    }
};

// The coarse level: Dijkstra from the goal's block over the graph of blocks (see CoarseBuilder), with
// the fine graph's moves and rules. It stops once it has gone well past the start's block (half as
// far again): the fine search never needs values beyond, and blocks without one fall back to the
// admissible heuristic.
std::vector<float> coarseCostToGo(const Workspace& ws, int sc, int sr, int tc, int tr, int& cwidth,
                                  const GridPlanRequest& req) {
    constexpr int kPad = 2;
    const int cw = ws.ccols + 2 * kPad, ch = ws.crows + 2 * kPad;
    std::vector<float> F(std::size_t(cw) * ch, kInf);
    for (int j = 0; j < ws.crows; ++j)
        std::copy_n(&ws.coarse[std::size_t(j) * ws.ccols], ws.ccols, &F[std::size_t(j + kPad) * cw + kPad]);
    std::array<std::int32_t, kGridMoveCount> off{};
    std::array<std::array<std::int32_t, 2>, kGridMoveCount> between{};
    std::array<float, kGridMoveCount> len{};
    for (int k = 0; k < kGridMoveCount; ++k) {
        const int dc = kGridMoves[k].dc, dr = kGridMoves[k].dr;
        off[k] = dr * cw + dc;
        len[k] = float(kCoarse) * ws.len[k];
        if (k < 8 && (k & 1)) between[k] = {dc, dr * cw};
        else if (k >= 8 && std::abs(dc) == 2) between[k] = {dc / 2, dr * cw + dc / 2};
        else if (k >= 8) between[k] = {dr / 2 * cw, dr / 2 * cw + dc};
    }
    std::vector<float> T(F.size(), kInf);
    std::vector<std::uint8_t> closed(F.size(), 0);
    const std::int32_t t = (tr / kCoarse + kPad) * cw + (tc / kCoarse + kPad);
    const std::int32_t s = (sr / kCoarse + kPad) * cw + (sc / kCoarse + kPad);
    float stopAt = kInf;
    // Buckets as wide as the cheapest move: every node in the current bucket is final (Dial).
    float cheapest = kInf, dearest = 0.0f;
    for (float fa : ws.coarse)
        if (fa < kInf) {
            cheapest = std::min(cheapest, fa);
            dearest = std::max(dearest, fa);
        }
    const float width = 0.999f * std::min(len[0], len[2]) * cheapest;
    const double span = double(dearest) * double(len[8] + len[9]) * double(ws.ccols + ws.crows);
    BucketQueue open(0.0f, width, std::size_t(std::min(span / width + 2.0, 1e7)));
    T[t] = 0.0f;
    open.push(0.0f, std::uint32_t(t));
    std::size_t settled = 0;
    while (!open.empty()) {
        const std::int32_t u = std::int32_t(open.pop());
        if (closed[u]) continue;
        closed[u] = 1;
        if ((++settled & 0xFFFF) == 0 && req.stop.stop_requested()) cancelled();
        const float tu = T[u], fu = F[u];
        if (u == s) stopAt = 1.5f * tu + width;
        if (tu > stopAt) break;
        for (int k = 0; k < kGridMoveCount; ++k) {
            const std::int32_t v = u + off[k];
            const float fv = F[v];
            if (closed[v] || !(fv < kInf)) continue;
            float w;
            if (k < 8) {
                if ((k & 1) && !(F[u + between[k][0]] < kInf && F[u + between[k][1]] < kInf)) continue;
                w = len[k] * 0.5f * (fu + fv);
            } else {
                const float fa = F[u + between[k][0]], fb = F[u + between[k][1]];
                if (!(fa < kInf && fb < kInf)) continue;
                w = len[k] * 0.25f * ((fu + fa) + (fb + fv));
            }
            const float nt = tu + w;
            if (nt < T[v]) {
                T[v] = nt;
                open.push(nt, std::uint32_t(v));
            }
        }
    }
    // Blocks without a value (blocked, or never reached) next to blocks with one take the smallest
    // neighbouring value, so that the fine cells around them are still guided.
    std::vector<float> filled = T;
    for (int j = 1; j < ch - 1; ++j)
        for (int i = 1; i < cw - 1; ++i) {
            const std::size_t u = std::size_t(j) * cw + i;
            if (T[u] < kInf) continue;
            float lo = kInf;
            for (int dj = -1; dj <= 1; ++dj)
                for (int di = -1; di <= 1; ++di) lo = std::min(lo, T[u + std::ptrdiff_t(dj) * cw + di]);
            filled[u] = lo;
        }
    T = std::move(filled);
    // Keep a one-block ring of padding (the interpolation reads one block beyond the grid).
    cwidth = ws.ccols + 2;
    std::vector<float> out(std::size_t(cwidth) * (ws.crows + 2), kInf);
    for (int j = -1; j <= ws.crows; ++j)
        std::copy_n(&T[std::size_t(j + kPad) * cw + (kPad - 1)], cwidth, &out[std::size_t(j + 1) * cwidth]);
    return out;
}

// The A* proper over the fine grid, from cell (sc, sr) to (tc, tr). Returns the path's cells (padded
// indices), start first, or nothing. Closed cells are never reopened.
template <bool kStencil, class Queue, class H>
std::vector<std::int32_t> search(Workspace& ws, int sc, int sr, int tc, int tr, const H& h, Queue& open,
                                 const GridPlanRequest& req, std::size_t& expanded) {
    const int W = ws.width, P = ws.pad, cols = ws.f.cols;
    const std::int32_t s = ws.index(sc, sr), t = ws.index(tc, tr);
    if (req.stop.stop_requested()) cancelled();
    CostTable g(ws.state.size());
    std::uint8_t* state = ws.state.data();
    g.set(s, std::bit_cast<std::uint32_t>(0.0f));
    const float h0 = std::max(h(sc, sr), 1e-6f);
    open.push(h0, std::uint32_t(s));
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
        const int r = u / W - P, c = u - (r + P) * W - P;
        if ((expanded & 0xFFFF) == 0) {
            if (req.stop.stop_requested()) cancelled();
            if (req.progress)
                req.progress(0.1 + 0.8 * std::clamp(1.0 - double(h(c, r)) / double(h0), 0.0, 1.0), "searching");
        }
        const std::size_t i = std::size_t(r) * cols + c;
        const float gu = g.value(u), fu = ws.freeFactor(i);
        for (int k = 0; k < kGridMoveCount; ++k) {
            const std::int32_t v = u + ws.off[k];
            const std::uint8_t sv = state[v];
            if (sv & (kBlocked | kClosed)) continue;
            float w;
            if (k < 8) {
                if ((k & 1) && ((state[u + ws.between[k][0]] | state[u + ws.between[k][1]]) & kBlocked)) continue;
                w = ws.len[k] * 0.5f * (fu + ws.freeFactor(i + ws.offc[k]));
            } else {
                if ((state[u + ws.between[k][0]] | state[u + ws.between[k][1]]) & kBlocked) continue;
                w = ws.len[k] * 0.25f * ((fu + ws.freeFactor(i + ws.betweenc[k][0])) +
                                         (ws.freeFactor(i + ws.betweenc[k][1]) + ws.freeFactor(i + ws.offc[k])));
            }
            if constexpr (kStencil) {
                bool hit = false;
                for (std::int32_t o : ws.stencil[k]) hit = hit || (state[u + o] & kSample);
                if (hit) continue;
            }
            const float ng = gu + w;
            const std::uint32_t nb = std::bit_cast<std::uint32_t>(ng), ob = g.bits(v);
            if (nb >= ob) continue;
            g.set(v, nb);
            state[v] = std::uint8_t((sv & 0x0F) | (k << kParentShift));
            const float f = ng + h(c + kGridMoves[k].dc, r + kGridMoves[k].dr);
            if (ob != 0xFFFFFFFFu && open.sameBucket(f + (std::bit_cast<float>(ob) - ng), f)) continue;
            open.push(f, std::uint32_t(v));
        }
    }
    if (!found) return {};
    std::vector<std::int32_t> cells{t};
    for (std::int32_t v = t; v != s;) {
        v -= ws.off[state[v] >> kParentShift];
        cells.push_back(v);
        if (cells.size() > ws.state.size()) throw std::logic_error("grid planner: broken parent chain");
    }
    std::reverse(cells.begin(), cells.end());
    return cells;
}

template <class Queue, class H>
std::vector<std::int32_t> searchWith(Workspace& ws, int sc, int sr, int tc, int tr, const H& h, Queue& open,
                                     const GridPlanRequest& req, std::size_t& expanded) {
    return ws.anyStencil ? search<true>(ws, sc, sr, tc, tr, h, open, req, expanded)
                         : search<false>(ws, sc, sr, tc, tr, h, open, req, expanded);
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
        if (req.stop.stop_requested()) cancelled();
        const std::size_t n = pts.size();
        // The legs are clear (the search's moves, or shortcuts checked before): their plain cost.
        std::vector<double> prefix(n, 0.0);
        for (std::size_t i = 1; i < n; ++i) prefix[i] = prefix[i - 1] + ws.legCost(pts[i - 1], pts[i]);
        std::vector<PixelPoint> out{pts[0]};
        std::size_t i = 0;
        while (i + 1 < n) {
            std::size_t best = i + 1;
            int misses = 0;
            for (std::size_t j = i + 2; j < n; ++j) {
                const double budget = (prefix[j] - prefix[i]) * (1.0 + 1e-12);
                if (ws.segmentCost(pts[i], pts[j], budget) <= budget) {
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
                const MapPoint a = z.polygon[j], b = z.polygon[i];
                const double d2 = segmentDist2(p.e, p.n, a.e, a.n, b.e, b.n);
                if (d2 < nearestD2) {
                    nearestD2 = d2;
                    nearest = &z;
                }
            }
        if (nearest)
            return w + " is within " + metres(ws.radius + ws.halfDiag) +
                   " (the rover's radius and half a cell) of the boundary of " +
                   (nearest->keepIn ? "keep-in" : "keep-out") + " zone '" + nearest->name + "'";
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
    const bool guided = req.search == GridSearch::Guided;
    Workspace ws = buildWorkspace(maps, req, guided);
    if (req.stop.stop_requested()) cancelled();
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
    const int sc = int(std::floor(ps.col)), sr = int(std::floor(ps.row));
    const int tc = int(std::floor(pg.col)), tr = int(std::floor(pg.row));

    const Admissible adm(ws.f.pw, ws.f.ph, ws.minFactor);
    std::vector<std::int32_t> cells;
    if (sc == tc && sr == tr) {
        cells = {ws.index(sc, sr)};
    } else if (guided) {
        report(req, 0.05, "guiding");
        Guide guide{adm, nullptr, 0, tc, tr};
        const std::vector<float> coarse = coarseCostToGo(ws, sc, sr, tc, tr, guide.cwidth, req);
        guide.cost = coarse.data();
        report(req, 0.1, "searching");
        // Keys are ordered to within 2 % of the cheapest move; at most 2^21 buckets.
        const float h0 = guide(sc, sr);
        const float cell = float(std::min(ws.f.pw, ws.f.ph));
        const float width = std::max(0.02f * ws.minFactor * cell, 4.0f * h0 / float(1 << 21));
        BucketQueue open(h0, width, std::size_t(1) << 21);
        cells = searchWith(ws, sc, sr, tc, tr, guide, open, req, res.expanded);
    } else {
        report(req, 0.1, "searching");
        RadixHeap open;
        cells = searchWith(ws, sc, sr, tc, tr, [&](int c, int r) { return adm(c - tc, r - tr); }, open, req,
                           res.expanded);
    }
    if (cells.empty()) {
        res.reason = "no path to the goal: it is cut off by hard hazards or zones (" + std::to_string(res.expanded) +
                     " cells searched)";
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
    for (std::size_t i = 1; i < pts.size(); ++i) res.searchCost += ws.legCost(pts[i - 1], pts[i]);
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
        // Evenly spaced; one piece more in the rare case where rounding puts a piece a hair over.
        for (auto pieces = std::max<std::size_t>(1, std::size_t(std::ceil(len / maxSegmentM)));; ++pieces) {
            const std::size_t mark = out.size();
            bool fits = true;
            for (std::size_t k = 1; k <= pieces; ++k) {
                const double t = double(k) / double(pieces);
                const MapPoint p = k == pieces ? b : MapPoint{a.e + t * (b.e - a.e), a.n + t * (b.n - a.n)};
                fits = fits && std::hypot(p.e - out.back().e, p.n - out.back().n) <= maxSegmentM;
                out.push_back(p);
            }
            if (fits) break;
            out.resize(mark);
        }
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
    if (blocked.values.size() != std::size_t(blocked.cols) * std::size_t(blocked.rows))
        invalid("inflateObstacles: the grid's size does not match its values");
    classify(
        blocked.cols, blocked.rows, pixelWidthM, pixelHeightM, radiusM, 0.0,
        [&](int r, std::uint8_t* dst) {
            const std::uint8_t* b = blocked.row(r);
            for (int c = 0; c < blocked.cols; ++c) dst[c] = b[c] != 0;
        },
        [&](int r) { return out.row(r); }, [](int) {});
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
    const Admissible h(pixelWidthM, pixelHeightM, minFactor);
    const int ur = u / cols, vr = v / cols;
    return h(u - ur * cols - (v - vr * cols), ur - vr);
}

GridGraph buildGridGraph(const terrain::HazardMaps& maps, const GridPlanRequest& request) {
    const Workspace ws = buildWorkspace(maps, request, false);
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
            g.factor[i] = ws.factor(i);
            std::uint16_t m = 0;
            for (int k = 0; k < kGridMoveCount; ++k)
                if (ws.moveAllowed(u, k)) m = std::uint16_t(m | (1u << k));
            g.moves[i] = m;
        }
    return g;
}

}  // namespace traverse::planner
