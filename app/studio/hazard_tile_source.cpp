#include "studio/hazard_tile_source.hpp"

#include "studio/tile_cache.hpp"
#include "terrain/error.hpp"

#include <algorithm>
#include <cmath>
#include <list>
#include <exception>
#include <mutex>
#include <stop_token>

namespace traverse::studio {

namespace {

// Worst-cell values of one tile's pixels.
struct Pooled {
    int cols = 0, rows = 0;
    std::vector<float> slope, roughness, step, cost;  // NaN where nothing valid
    std::vector<std::uint8_t> hazard;                 // OR of the HazardBits
    std::vector<std::uint8_t> unknown;                // any unknown cell
};

constexpr std::size_t kCachedTiles = 24;  // ~1.2 MB each at 256 x 256

// Worst of v into acc, skipping nodata and NaN.
inline void worstInto(float& acc, float v) {
    if (v != terrain::kNoData && !std::isnan(v) && !(v <= acc)) acc = v;
}

// The hazard layers of the whole DTM, pooled to cells of `cell` x `cell` DTM pixels (worst wins).
struct Overview : Pooled {
    int cell = 1;
};

// A sink pooling the streamed blocks of the whole DTM into an Overview.
class OverviewSink final : public terrain::HazardSink {
public:
    OverviewSink(Overview& o, int cols, int rows, int cell) : o_(o) {
        o.cell = cell;
        o.cols = (cols + cell - 1) / cell;
        o.rows = (rows + cell - 1) / cell;
        const std::size_t n = std::size_t(o.cols) * std::size_t(o.rows);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        o.slope.assign(n, nan);
        o.roughness.assign(n, nan);
        o.step.assign(n, nan);
        o.cost.assign(n, nan);
        o.hazard.assign(n, 0);
        o.unknown.assign(n, 0);
    }
    void consume(const terrain::HazardBlock& b) override {
        for (int r = 0; r < b.rows; ++r) {
            const std::size_t orow = std::size_t((b.row0 + r) / o_.cell) * std::size_t(o_.cols);
            const std::size_t in = std::size_t(r) * std::size_t(b.cols);
            for (int c = 0; c < b.cols; ++c) {
                const std::size_t i = in + std::size_t(c), o = orow + std::size_t(c / o_.cell);
                worstInto(o_.slope[o], b.slope[i]);
                worstInto(o_.roughness[o], b.roughness[i]);
                worstInto(o_.step[o], b.step[i]);
                worstInto(o_.cost[o], b.cost[i]);
                o_.hazard[o] |= b.hazard[i];
                o_.unknown[o] |= b.unknown[i];
            }
        }
    }

private:
    Overview& o_;
};

}  // namespace

class HazardTileCache {
public:
    std::shared_ptr<const Pooled> find(const TileKey& k) {
        std::lock_guard lock(mutex_);
        for (auto it = entries_.begin(); it != entries_.end(); ++it)
            if (it->first == k) {
                entries_.splice(entries_.begin(), entries_, it);
                return entries_.front().second;
            }
        return nullptr;
    }
    void insert(const TileKey& k, std::shared_ptr<const Pooled> p) {
        std::lock_guard lock(mutex_);
        entries_.emplace_front(k, std::move(p));
        while (entries_.size() > kCachedTiles) entries_.pop_back();
    }

    // The overview of the whole DTM, computed by the first caller (others wait for it). A failure
    // is remembered (rethrown to later callers) unless it was a cancellation.
    std::shared_ptr<const Overview> overview(const terrain::Raster& dtm, const terrain::HazardParams& params, int cell) {
        std::lock_guard lock(overviewMutex_);
        if (overviewFailure_) std::rethrow_exception(overviewFailure_);
        if (!overview_ || overview_->cell != cell) {
            auto o = std::make_shared<Overview>();
            OverviewSink sink(*o, dtm.info().cols, dtm.info().rows, cell);
            terrain::HazardRunOptions run;  // streaming, all cores
            run.stop = stop_.get_token();
            try {
                terrain::computeHazards(dtm, params, sink, run);
            } catch (const Error& e) {
                if (e.kind() != Error::Kind::Cancelled) overviewFailure_ = std::current_exception();
                throw;
            }
            overview_ = std::move(o);
        }
        return overview_;
    }
    // Stops an overview being computed (the site or the parameters changed, the map closes).
    void cancel() { stop_.request_stop(); }

private:
    std::mutex mutex_;
    std::list<std::pair<TileKey, std::shared_ptr<const Pooled>>> entries_;
    std::mutex overviewMutex_;
    std::shared_ptr<const Overview> overview_;
    std::exception_ptr overviewFailure_;
    std::stop_source stop_;
};

void cancelHazardOverview(HazardTileCache& cache) { cache.cancel(); }

std::shared_ptr<HazardTileCache> HazardTileSource::makeCache() { return std::make_shared<HazardTileCache>(); }

HazardTileSource::HazardTileSource(const terrain::Raster& dtm, MapLayer layer, const terrain::HazardParams& params,
                                   std::shared_ptr<HazardTileCache> shared, int maxTileSide)
    : TileSource(dtm), layer_(layer), params_(params), cache_(shared ? std::move(shared) : makeCache()),
      maxTileSide_(std::max(kTileSize, maxTileSide)) {
    terrain::hazardWindows(params_, dtm.info().geoTransform.pixelWidth());  // throws on bad parameters
}

QString HazardTileSource::name() const { return layerTitle(layer_).toLower(); }

bool HazardTileSource::fromWindow(int level) const {
    const PyramidLevel& L = levels().at(std::size_t(level));
    const double factor = L.pixelSize / levels().front().pixelSize;
    return factor * kTileSize <= maxTileSide_ + 0.5;
}

std::int64_t HazardTileSource::tileReadCost(int level) const {
    const PyramidLevel& L = levels().at(std::size_t(level));
    double side = L.pixelSize / levels().front().pixelSize * kTileSize;
    if (!fromWindow(level)) side /= maxTileSide_ / kTileSize;  // cells of the overview
    return std::int64_t(side * side);
}

QImage HazardTileSource::renderFrom(const terrain::Raster& from, int level, int tx, int ty) const {
    const TileWindow t = tileWindow(level, tx, ty);
    std::shared_ptr<const Pooled> pooled = cache_->find({level, tx, ty});
    if (!pooled) {
        const terrain::RasterInfo& info = from.info();
        // The tile's window at full resolution.
        const terrain::OverviewInfo s = from.levelSize(t.rasterLevel);
        const double fx = double(info.cols) / s.cols * t.decimation, fy = double(info.rows) / s.rows * t.decimation;
        const double lx = double(info.cols) / s.cols, ly = double(info.rows) / s.rows;
        const int c0 = int(std::lround(t.window.col0 * lx)), r0 = int(std::lround(t.window.row0 * ly));
        const int c1 = std::min(info.cols, int(std::lround((t.window.col0 + t.window.cols) * lx)));
        const int r1 = std::min(info.rows, int(std::lround((t.window.row0 + t.window.rows) * ly)));

        auto p = std::make_shared<Pooled>();
        p->cols = t.outCols;
        p->rows = t.outRows;
        const std::size_t n = std::size_t(t.outCols) * std::size_t(t.outRows);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        p->slope.assign(n, nan);
        p->roughness.assign(n, nan);
        p->step.assign(n, nan);
        p->cost.assign(n, nan);
        p->hazard.assign(n, 0);
        p->unknown.assign(n, 0);
        // Each pixel of the tile pools the DTM cells [ca, cb) x [ra, rb) under it; `into(o, ...)`
        // pools them from wherever the layers are.
        auto poolPixels = [&](auto&& into) {
            for (int r = 0; r < t.outRows; ++r) {
                const int ra = std::max(r0, r0 + int(std::floor(r * fy))),
                          rb = std::min(r1, std::max(ra + 1, r0 + int(std::floor((r + 1) * fy))));
                for (int c = 0; c < t.outCols; ++c) {
                    const int ca = std::max(c0, c0 + int(std::floor(c * fx))),
                              cb = std::min(c1, std::max(ca + 1, c0 + int(std::floor((c + 1) * fx))));
                    into(std::size_t(r) * std::size_t(t.outCols) + std::size_t(c), ra, rb, ca, cb);
                }
            }
        };
        if (fromWindow(level)) {
            // A margin wide enough that every window of every layer of the tile's cells lies inside
            // what is read, and the edge of the read (unknown to the computation) stays out of the tile.
            const terrain::HazardWindows w = terrain::hazardWindows(params_, info.geoTransform.pixelWidth());
            const int m = 2 * w.halo + 2;
            const int rc0 = std::max(0, c0 - m), rr0 = std::max(0, r0 - m);
            const int rc1 = std::min(info.cols, c1 + m), rr1 = std::min(info.rows, r1 + m);
            const terrain::Grid<float> z = from.readWindow({rc0, rr0, rc1 - rc0, rr1 - rr0});
            const auto& g = info.geoTransform.coefficients();
            const terrain::MapPoint origin = info.geoTransform.toMap({double(rc0), double(rr0)});
            terrain::HazardRunOptions run;
            run.threads = 1;  // the tile workers are the parallelism
            const terrain::HazardMaps maps = terrain::HazardMaps::compute(
                z, terrain::GeoTransform({origin.e, g[1], 0.0, origin.n, 0.0, g[5]}), info.noData, params_, run);
            poolPixels([&](std::size_t o, int ra, int rb, int ca, int cb) {
                for (int rr = ra; rr < rb; ++rr)
                    for (int cc = ca; cc < cb; ++cc) {
                        const int mc = cc - rc0, mr = rr - rr0;
                        worstInto(p->slope[o], maps.slope.at(mc, mr));
                        worstInto(p->roughness[o], maps.roughness.at(mc, mr));
                        worstInto(p->step[o], maps.step.at(mc, mr));
                        worstInto(p->cost[o], maps.cost.at(mc, mr));
                        p->hazard[o] |= maps.hazard.at(mc, mr);
                        p->unknown[o] |= maps.unknown.at(mc, mr);
                    }
            });
        } else {
            const std::shared_ptr<const Overview> ov = cache_->overview(from, params_, maxTileSide_ / kTileSize);
            // Each overview cell goes to the pixel holding its centre, so that a hazard does not spread
            // into the next pixel where pixel and cell edges differ; a pixel narrower than a cell takes
            // the cell under its own centre.
            auto cellsUnder = [&](int a, int b, int count) {
                const double c = ov->cell;
                int k0 = int(std::ceil((a - c / 2) / c)), k1 = int(std::ceil((b - c / 2) / c)) - 1;
                if (k0 > k1) k0 = k1 = int(std::floor((a + b) / 2.0 / c));
                return std::pair{std::clamp(k0, 0, count - 1), std::clamp(k1, 0, count - 1)};
            };
            poolPixels([&](std::size_t o, int ra, int rb, int ca, int cb) {
                const auto [or0, or1] = cellsUnder(ra, rb, ov->rows);
                const auto [oc0, oc1] = cellsUnder(ca, cb, ov->cols);
                for (int orow = or0; orow <= or1; ++orow)
                    for (int ocol = oc0; ocol <= oc1; ++ocol) {
                        const std::size_t i = std::size_t(orow) * std::size_t(ov->cols) + std::size_t(ocol);
                        worstInto(p->slope[o], ov->slope[i]);
                        worstInto(p->roughness[o], ov->roughness[i]);
                        worstInto(p->step[o], ov->step[i]);
                        worstInto(p->cost[o], ov->cost[i]);
                        p->hazard[o] |= ov->hazard[i];
                        p->unknown[o] |= ov->unknown[i];
                    }
            });
        }
        cache_->insert({level, tx, ty}, p);
        pooled = std::move(p);
    }

    const terrain::HazardLimits& lim = params_.limits;
    constexpr std::uint8_t kHard = terrain::kHazardStep | terrain::kHazardRoughness;
    QImage img(pooled->cols, pooled->rows, QImage::Format_ARGB32_Premultiplied);
    for (int r = 0; r < pooled->rows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(r));
        for (int c = 0; c < pooled->cols; ++c) {
            const std::size_t i = std::size_t(r) * std::size_t(pooled->cols) + std::size_t(c);
            const bool unknown = pooled->unknown[i] || (pooled->hazard[i] & terrain::kHazardUnknown);
            auto scaled = [&](float v, double limit) -> QRgb {
                if (unknown || std::isnan(v)) return kUnknownColour;
                return v >= limit ? kTooSteepColour : rampColour(v / limit);
            };
            QRgb out = 0;
            switch (layer_) {
                case MapLayer::Slope: out = scaled(pooled->slope[i], lim.maxSlopeDeg); break;
                case MapLayer::Roughness: out = scaled(pooled->roughness[i], lim.maxRoughnessM); break;
                case MapLayer::Step: out = scaled(pooled->step[i], lim.maxStepM); break;
                case MapLayer::Cost: {
                    const float v = pooled->cost[i];
                    out = unknown || std::isnan(v) ? kUnknownColour : v >= 1.0f ? kHardHazardColour : rampColour(v);
                    break;
                }
                case MapLayer::HazardMask:
                    out = unknown ? kUnknownColour
                          : (pooled->hazard[i] & kHard)                  ? kHardHazardColour
                          : (pooled->hazard[i] & terrain::kHazardSlope)  ? kTooSteepColour
                                                                         : 0u;
                    break;
                default: break;
            }
            line[c] = out;
        }
    }
    return img;
}

}  // namespace traverse::studio
