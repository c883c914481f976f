#include "terrain/hazard_maps.hpp"

#include "terrain/error.hpp"
#include "terrain/detail/hazard_kernel.hpp"
#include "terrain/raster.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <limits>
#include <thread>
#include <type_traits>
#include <utility>
#include <memory>
#include <vector>

namespace traverse::terrain {


using detail::Kernel;
using Stats = detail::KernelStats;

namespace {

void requirePositive(double v, const char* name) {
    if (!std::isfinite(v) || v <= 0.0)
        throw Error(Error::Kind::InvalidArgument, std::string("hazard parameter ") + name + " must be a positive number");
}

}  // namespace

HazardWindows hazardWindows(const HazardParams& p, double px) {
    requirePositive(px, "pixel size");
    requirePositive(p.footprintM, "footprint");
    requirePositive(p.wheelM, "wheel diameter");
    requirePositive(p.unknownBufferM, "unknown-terrain buffer");
    requirePositive(p.limits.maxSlopeDeg, "max slope");
    requirePositive(p.limits.maxStepM, "max step");
    requirePositive(p.limits.maxRoughnessM, "max roughness");
    HazardWindows w;
    // Window sides are whole pixels: the footprint side rounded to an odd count of at least 3; the
    // wheel window at least 2 pixels, since a height difference needs two posts.
    w.roughnessRadius = std::max(1, int(std::lround((p.footprintM / px - 1.0) / 2.0)));
    w.stepSide = std::max(2, int(std::lround(p.wheelM / px)) + 1);
    w.unknownRadius = std::max({1, w.roughnessRadius, int(std::ceil(p.unknownBufferM / px - 1e-9))});
    if (w.roughnessRadius > 64 || w.stepSide > 64 || w.unknownRadius > 64)
        throw Error(Error::Kind::InvalidArgument,
                    "hazard windows larger than 64 pixels: is the DTM's pixel size (" + std::to_string(px) +
                        " m) right?");
    w.halo = std::max({1, w.roughnessRadius, w.stepSide - 1, w.unknownRadius});
    return w;
}

std::string_view layerName(HazardLayer l) {
    switch (l) {
        case HazardLayer::Slope: return "slope";
        case HazardLayer::Roughness: return "roughness";
        case HazardLayer::Step: return "step";
        case HazardLayer::Unknown: return "unknown";
        case HazardLayer::Hazard: return "hazard";
        case HazardLayer::Cost: return "cost";
    }
    return "?";
}

std::string_view layerUnit(HazardLayer l) {
    switch (l) {
        case HazardLayer::Slope: return "deg";
        case HazardLayer::Roughness:
        case HazardLayer::Step: return "m";
        default: return "";
    }
}

namespace {

// Runs the kernel over output rows [r0, r1) split among threads.
Stats runParallel(const Kernel& kernel, int r0, int r1, int threads) {
    const int rows = r1 - r0;
    const int t = std::max(1, std::min(threads, rows / 8));
    std::vector<Stats> stats(static_cast<std::size_t>(t));
    if (t == 1) {
        detail::runHazardKernel(kernel, r0, r1, stats[0]);
        return stats[0];
    }
    {
        std::vector<std::jthread> pool;
        for (int i = 1; i < t; ++i)
            pool.emplace_back([&, i] {
                detail::runHazardKernel(kernel, r0 + rows * i / t, r0 + rows * (i + 1) / t, stats[std::size_t(i)]);
            });
        detail::runHazardKernel(kernel, r0, r0 + rows / t, stats[0]);
    }
    Stats total;
    for (const auto& s : stats) total.add(s);
    return total;
}

int resolveThreads(int t) {
    return t > 0 ? t : std::max(1, int(std::thread::hardware_concurrency()));
}

// The reference elevation subtracted before the plane fits (for precision) is the DTM's first valid
// value in row order, rounded: the same however the rows are split into blocks, so that results do
// not depend on the block size. Blocks before the first valid cell produce only nodata roughness.
void updateReference(std::optional<double>& ref, const float* z, std::size_t count, const Kernel& k) {
    if (ref) return;
    for (std::size_t i = 0; i < count; ++i)
        if (!k.isInvalid(z[i])) {
            ref = std::round(double(z[i]));
            return;
        }
}

Kernel makeKernel(const DemGeometry& dem, const HazardParams& params) {
    if (dem.cols <= 0 || dem.rows <= 0) throw Error(Error::Kind::InvalidArgument, "DTM has no cells");
    requirePositive(std::abs(dem.ewres), "pixel width");
    requirePositive(std::abs(dem.nsres), "pixel height");
    Kernel k;
    k.cols = dem.cols;
    k.totalRows = dem.rows;
    // A nodata value outside float32's range can match no cell.
    k.hasNoData = dem.noData.has_value() && std::isfinite(*dem.noData) &&
                  std::abs(*dem.noData) <= double(std::numeric_limits<float>::max());
    k.noData = k.hasNoData ? float(*dem.noData) : 0.0f;
    k.invEw = float(1.0 / dem.ewres);
    k.invNs = float(1.0 / dem.nsres);
    k.win = hazardWindows(params, std::sqrt(std::abs(dem.ewres * dem.nsres)));
    k.limits = params.limits;
    return k;
}

void checkStop(const HazardRunOptions& o) {
    if (o.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "hazard computation cancelled");
}

HazardSummary summarise(const Stats& s, const DemGeometry& dem, std::chrono::steady_clock::time_point t0) {
    HazardSummary out;
    out.cells = std::int64_t(dem.cols) * dem.rows;
    out.validCells = s.valid;
    out.unknownCells = s.unknown;
    out.hazardCells = s.hazard;
    out.maxSlopeDeg = s.maxSlope;
    out.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

}  // namespace

namespace {

// A buffer left uninitialised: the pipeline's buffers are written before they are read, and zeroing
// ~90 MB up front would cost the start of every run a serial page-faulting pass.
template <class T>
struct Buffer {
    std::unique_ptr<T[]> p;
    explicit Buffer(std::size_t n) : p(new T[n]) {}
    T* data() const { return p.get(); }
};

// One block's worth of every output layer.
struct OutputBuffers {
    Buffer<float> slope, rough, step, cost;
    Buffer<std::uint8_t> unknown, hazard;
    explicit OutputBuffers(std::size_t n) : slope(n), rough(n), step(n), cost(n), unknown(n), hazard(n) {}
    void attach(Kernel& k) {
        k.slope = slope.data();
        k.roughness = rough.data();
        k.step = step.data();
        k.cost = cost.data();
        k.unknown = unknown.data();
        k.hazard = hazard.data();
    }
    HazardBlock block(int row0, int rows, int cols) const {
        return {row0, rows, cols, slope.data(), rough.data(), step.data(), cost.data(), unknown.data(), hazard.data()};
    }
};

}  // namespace

HazardSummary computeHazards(const DemGeometry& dem, const RowReader& reader, const HazardParams& params,
                             HazardSink& sink, const HazardRunOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    Kernel k = makeKernel(dem, params);
    const int H = k.win.halo;
    const int blockRows = std::max(8, options.blockRows);
    const int threads = resolveThreads(options.threads);
    const std::size_t cols = std::size_t(dem.cols);

    // A pipeline of three stages over blocks of rows: while block i is computed, block i+1 is read
    // and block i-1 is handed to the sink (which compresses and writes), each on its own thread.
    // Two input and two output buffers; memory stays proportional to the block size.
    Buffer<float> in[2] = {Buffer<float>(std::size_t(blockRows + 2 * H) * cols),
                           Buffer<float>(std::size_t(blockRows + 2 * H) * cols)};
    OutputBuffers out[2] = {OutputBuffers(std::size_t(blockRows) * cols), OutputBuffers(std::size_t(blockRows) * cols)};
    // Rows [a, b) of block i go into in[i % 2]. The rows it shares with block i - 1 (the halo) are
    // copied from that block's buffer, so the reader sees each row once, in order: a compressed
    // file then decodes each tile once, and GDAL's cache needs to hold only about one row of tiles.
    auto rowsOf = [&](int r0) {
        const int r1 = std::min(dem.rows, r0 + blockRows);
        return std::pair{std::max(0, r0 - H), std::min(dem.rows, r1 + H)};
    };
    auto readBlock = [&](int i) {
        const int r0 = i * blockRows;
        const auto [a, b] = rowsOf(r0);
        float* dst = in[i % 2].data();
        int from = a;
        if (i > 0) {
            const auto [pa, pb] = rowsOf(r0 - blockRows);
            if (pb > a) {
                std::memcpy(dst, in[(i - 1) % 2].data() + std::size_t(a - pa) * cols,
                            std::size_t(pb - a) * cols * sizeof(float));
                from = pb;
            }
        }
        if (b > from) reader(from, b - from, dst + std::size_t(from - a) * cols);
    };

    Stats total;
    std::optional<double> zRef;
    std::future<void> reading = std::async(std::launch::async, [&] { readBlock(0); });
    std::future<void> writing;
    // Whatever happens, no stage may outlive the buffers it uses.
    struct Join {
        std::future<void>& a;
        std::future<void>& b;
        ~Join() {
            if (a.valid()) a.wait();
            if (b.valid()) b.wait();
        }
    } join{reading, writing};

    for (int r0 = 0, i = 0; r0 < dem.rows; r0 += blockRows, ++i) {
        checkStop(options);
        const int r1 = std::min(dem.rows, r0 + blockRows);
        const int a = std::max(0, r0 - H), b = std::min(dem.rows, r1 + H);
        const Buffer<float>& buf = in[i % 2];
        reading.get();  // rethrows a read failure
        if (r1 < dem.rows) reading = std::async(std::launch::async, [&, i] { readBlock(i + 1); });
        k.in = buf.data();
        k.inRow0 = a;
        k.inRows = b - a;
        k.outRow0 = r0;
        out[i % 2].attach(k);
        updateReference(zRef, buf.data() + std::size_t(r0 - a) * cols, std::size_t(r1 - r0) * cols, k);
        k.zRef = zRef.value_or(0.0);
        total.add(runParallel(k, r0, r1, threads));
        if (writing.valid()) writing.get();  // the sink takes blocks in order, one at a time
        writing = std::async(std::launch::async,
                             [&, blk = out[i % 2].block(r0, r1 - r0, dem.cols)] { sink.consume(blk); });
        if (options.progress) options.progress(double(r1) / dem.rows, "hazard maps");
    }
    if (writing.valid()) writing.get();
    return summarise(total, dem, t0);
}

HazardSummary computeHazards(const Raster& dtm, const HazardParams& params, HazardSink& sink,
                             const HazardRunOptions& options) {
    const auto& i = dtm.info();
    const auto& g = i.geoTransform.coefficients();
    const DemGeometry dem{i.cols, i.rows, g[1], g[5], i.noData};
    return computeHazards(dem, [&](int row0, int rows, float* dst) { dtm.readRows(row0, rows, dst); }, params, sink,
                          options);
}

HazardMaps HazardMaps::compute(const Raster& dtm, const HazardParams& params, const HazardRunOptions& options) {
    const auto& i = dtm.info();
    Grid<float> z(i.cols, i.rows);
    dtm.readRows(0, i.rows, z.values.data());
    return compute(z, i.geoTransform, i.noData, params, options);
}

HazardMaps HazardMaps::compute(const Raster& dtm, const MapExtent& area, const HazardParams& params,
                               const HazardRunOptions& options) {
    const auto& i = dtm.info();
    const auto overlap = i.extent().intersect(area);
    if (!overlap) throw Error(Error::Kind::InvalidArgument, i.path.string() + ": the area lies outside the DTM");
    const PixelPoint a = i.geoTransform.toPixel({overlap->minE, overlap->maxN});
    const PixelPoint b = i.geoTransform.toPixel({overlap->maxE, overlap->minN});
    const int c0 = std::max(0, int(std::floor(a.col))), r0 = std::max(0, int(std::floor(a.row)));
    const int c1 = std::min(i.cols, int(std::ceil(b.col))), r1 = std::min(i.rows, int(std::ceil(b.row)));
    if (c1 - c0 < 3 || r1 - r0 < 3) throw Error(Error::Kind::InvalidArgument, i.path.string() + ": the area is too small");
    const Grid<float> z = dtm.readWindow({c0, r0, c1 - c0, r1 - r0});
    const auto& g = i.geoTransform.coefficients();
    const MapPoint origin = i.geoTransform.toMap({double(c0), double(r0)});
    return compute(z, GeoTransform({origin.e, g[1], 0.0, origin.n, 0.0, g[5]}), i.noData, params, options);
}

HazardMaps HazardMaps::compute(const Grid<float>& dtm, const GeoTransform& gt, std::optional<double> noData,
                               const HazardParams& params, const HazardRunOptions& options) {
    HazardMaps m;
    m.recompute(dtm, gt, noData, params, options);
    return m;
}

void HazardMaps::recompute(const Grid<float>& dtm, const GeoTransform& gt, std::optional<double> noData,
                           const HazardParams& params, const HazardRunOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& g = gt.coefficients();
    const DemGeometry dem{dtm.cols, dtm.rows, g[1], g[5], noData};
    Kernel k = makeKernel(dem, params);
    geoTransform = gt;
    auto fit = [&](auto& grid) {
        if (grid.cols != dtm.cols || grid.rows != dtm.rows) grid = std::decay_t<decltype(grid)>(dtm.cols, dtm.rows);
    };
    fit(slope);
    fit(roughness);
    fit(step);
    fit(cost);
    fit(unknown);
    fit(hazard);
    // The whole grid is the input; outputs are written in place, block by block.
    k.in = dtm.values.data();
    k.inRow0 = 0;
    k.inRows = dtm.rows;
    k.outRow0 = 0;
    k.slope = slope.values.data();
    k.roughness = roughness.values.data();
    k.step = step.values.data();
    k.cost = cost.values.data();
    k.unknown = unknown.values.data();
    k.hazard = hazard.values.data();
    const int blockRows = std::max(8, options.blockRows);
    const int threads = resolveThreads(options.threads);
    Stats total;
    std::optional<double> zRef;
    for (int r0 = 0; r0 < dtm.rows; r0 += blockRows) {
        checkStop(options);
        const int r1 = std::min(dtm.rows, r0 + blockRows);
        updateReference(zRef, dtm.row(r0), std::size_t(r1 - r0) * std::size_t(dtm.cols), k);
        k.zRef = zRef.value_or(0.0);
        total.add(runParallel(k, r0, r1, threads));
        if (options.progress) options.progress(double(r1) / dtm.rows, "hazard maps");
    }
    summary = summarise(total, dem, t0);
}

}  // namespace traverse::terrain
