#include "studio/tile_source.hpp"

#include "terrain/error.hpp"
#include "terrain/grid.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace traverse::studio {

namespace {

constexpr double kLevelTolerance = 1.2;  // accept level pixels up to 20% larger than screen pixels
constexpr int kMaxDecimation = 1 << 16;
constexpr int kStretchSampleSide = 1024;

int ceilDiv(int a, int b) { return (a + b - 1) / b; }

}  // namespace

terrain::Grid<float> TileSource::readDecimated(const terrain::Raster& raster, int level, int band, int col0, int row0,
                                   int outCols, int outRows, int d, int border) {
    const int w = outCols + 2 * border, h = outRows + 2 * border;
    terrain::Grid<float> out(w, h, std::numeric_limits<float>::quiet_NaN());
    const terrain::OverviewInfo size = raster.levelSize(level);
    const int c0 = col0 - border * d, r0 = row0 - border * d;
    const int cs = std::max(0, c0), rs = std::max(0, r0);
    const int ce = std::min(size.cols, c0 + w * d), re = std::min(size.rows, r0 + h * d);
    if (ce <= cs || re <= rs) return out;

    const terrain::Grid<float> src = raster.readWindow({cs, rs, ce - cs, re - rs}, level, band);
    const auto& noData = raster.info().noData;
    if (d == 1) {
        for (int r = 0; r < src.rows; ++r)
            for (int c = 0; c < src.cols; ++c) {
                const float v = src.at(c, r);
                if (!terrain::isNoData(v, noData)) out.at(cs - c0 + c, rs - r0 + r) = v;
            }
        return out;
    }
    std::vector<double> sum(out.values.size(), 0.0);
    std::vector<int> count(out.values.size(), 0);
    for (int r = 0; r < src.rows; ++r) {
        const std::size_t orow = std::size_t((rs - r0 + r) / d) * std::size_t(w);
        for (int c = 0; c < src.cols; ++c) {
            const float v = src.at(c, r);
            if (terrain::isNoData(v, noData)) continue;
            const std::size_t o = orow + std::size_t((cs - c0 + c) / d);
            sum[o] += v;
            ++count[o];
        }
    }
    for (std::size_t i = 0; i < out.values.size(); ++i)
        if (count[i]) out.values[i] = float(sum[i] / count[i]);
    return out;
}

namespace {

// The value at a share q (0..1) of the sorted values; `v` is reordered.
double percentile(std::vector<float>& v, double q) {
    const auto k = std::size_t(std::clamp(q, 0.0, 1.0) * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return v[k];
}

}  // namespace

// ---- TileSource ------------------------------------------------------------------------------

TileSource::TileSource(const terrain::Raster& raster) : raster_(raster) {
    for (int i = 0; i < raster.levelCount(); ++i) {
        const terrain::OverviewInfo s = raster.levelSize(i);
        const double px = raster.levelGeoTransform(i).pixelWidth();
        // Overviews come finest first; one that is not coarser than the last adds nothing.
        if (!levels_.empty() && px <= levels_.back().pixelSize) continue;
        levels_.push_back({i, 1, s.cols, s.rows, px});
    }
    // Beyond the file's coarsest level, decimate in memory until the whole raster fits one tile,
    // so that zooming out never has to draw more tiles than fit on a screen.
    const PyramidLevel top = levels_.back();
    for (int d = 2; std::max(levels_.back().cols, levels_.back().rows) > kTileSize && d <= kMaxDecimation; d *= 2)
        levels_.push_back({top.rasterLevel, d, ceilDiv(top.cols, d), ceilDiv(top.rows, d), top.pixelSize * d});
}

int TileSource::levelFor(double metresPerDevicePixel) const {
    int best = 0;
    for (int i = 0; i < int(levels_.size()); ++i)
        if (levels_[std::size_t(i)].pixelSize <= metresPerDevicePixel * kLevelTolerance) best = i;
    return best;
}

int TileSource::tilesAcross(int level) const { return ceilDiv(levels_.at(std::size_t(level)).cols, kTileSize); }
int TileSource::tilesDown(int level) const { return ceilDiv(levels_.at(std::size_t(level)).rows, kTileSize); }

TileSource::TileRange TileSource::tilesIn(int level, const terrain::MapExtent& e) const {
    const PyramidLevel& L = levels_.at(std::size_t(level));
    const terrain::GeoTransform gt = raster_.levelGeoTransform(L.rasterLevel);
    const terrain::PixelPoint a = gt.toPixel({e.minE, e.maxN});
    const terrain::PixelPoint b = gt.toPixel({e.maxE, e.minN});
    const double span = double(kTileSize) * L.decimation;
    auto clampTo = [](double v, int hi) { return int(std::clamp(v, 0.0, double(hi))); };
    TileRange r;
    r.x0 = clampTo(std::floor(std::min(a.col, b.col) / span), tilesAcross(level));
    r.x1 = clampTo(std::ceil(std::max(a.col, b.col) / span), tilesAcross(level));
    r.y0 = clampTo(std::floor(std::min(a.row, b.row) / span), tilesDown(level));
    r.y1 = clampTo(std::ceil(std::max(a.row, b.row) / span), tilesDown(level));
    return r;
}

TileSource::TileWindow TileSource::tileWindow(int level, int tx, int ty) const {
    const PyramidLevel& L = levels_.at(std::size_t(level));
    const terrain::OverviewInfo size = raster_.levelSize(L.rasterLevel);
    const int span = kTileSize * L.decimation;
    TileWindow t;
    t.rasterLevel = L.rasterLevel;
    t.decimation = L.decimation;
    t.window.col0 = tx * span;
    t.window.row0 = ty * span;
    t.window.cols = std::min(span, size.cols - t.window.col0);
    t.window.rows = std::min(span, size.rows - t.window.row0);
    t.outCols = ceilDiv(t.window.cols, L.decimation);
    t.outRows = ceilDiv(t.window.rows, L.decimation);
    return t;
}

terrain::MapExtent TileSource::tileExtent(int level, int tx, int ty) const {
    const TileWindow t = tileWindow(level, tx, ty);
    const terrain::GeoTransform gt = raster_.levelGeoTransform(t.rasterLevel);
    const terrain::MapPoint a = gt.toMap({double(t.window.col0), double(t.window.row0)});
    const terrain::MapPoint b =
        gt.toMap({double(t.window.col0 + t.window.cols), double(t.window.row0 + t.window.rows)});
    return {std::min(a.e, b.e), std::min(a.n, b.n), std::max(a.e, b.e), std::max(a.n, b.n)};
}

std::int64_t TileSource::tileReadCost(int level) const {
    const std::int64_t span = std::int64_t(kTileSize) * levels_.at(std::size_t(level)).decimation;
    return span * span;
}

// ---- ImageryTileSource -----------------------------------------------------------------------

ImageryTileSource::ImageryTileSource(const terrain::Raster& image) : TileSource(image) {
    const auto& info = image.info();
    bandCount_ = info.bands >= 3 ? 3 : 1;
    bytes_ = info.dataType == "Byte";
    if (bytes_) return;
    // Stretch from a central sample of the coarsest level: cheap, and representative of the scene.
    const int level = image.levelCount() - 1;
    const terrain::OverviewInfo s = image.levelSize(level);
    const int cols = std::min(s.cols, kStretchSampleSide), rows = std::min(s.rows, kStretchSampleSide);
    const terrain::PixelWindow w{(s.cols - cols) / 2, (s.rows - rows) / 2, cols, rows};
    for (int b = 0; b < bandCount_; ++b) {
        terrain::Grid<float> g = image.readWindow(w, level, b + 1);
        std::vector<float> valid;
        valid.reserve(g.values.size());
        for (const float v : g.values)
            if (!terrain::isNoData(v, info.noData)) valid.push_back(v);
        if (valid.empty()) continue;
        Stretch& st = stretch_[std::size_t(b)];
        st.lo = percentile(valid, 0.005);
        st.hi = percentile(valid, 0.995);
        if (!(st.hi > st.lo)) st.hi = st.lo + 1.0;
    }
}

QImage ImageryTileSource::renderFrom(const terrain::Raster& from, int level, int tx, int ty) const {
    const TileWindow t = tileWindow(level, tx, ty);
    const auto& info = raster_.info();
    const std::size_t n = std::size_t(t.outCols) * std::size_t(t.outRows);
    std::array<std::vector<std::uint8_t>, 3> band;
    std::vector<std::uint8_t> valid(n, 1);

    if (bytes_) {
        const bool byteNoData = info.noData && *info.noData >= 0.0 && *info.noData <= 255.0 &&
                                *info.noData == std::floor(*info.noData);
        terrain::PixelWindow full = t.window;  // the tile's window in full-resolution pixels
        if (t.rasterLevel > 0) {
            const terrain::OverviewInfo s = raster_.levelSize(t.rasterLevel);
            const double fx = double(info.cols) / s.cols, fy = double(info.rows) / s.rows;
            full.col0 = int(std::lround(t.window.col0 * fx));
            full.row0 = int(std::lround(t.window.row0 * fy));
            full.cols = std::min(info.cols, int(std::lround((t.window.col0 + t.window.cols) * fx))) - full.col0;
            full.rows = std::min(info.rows, int(std::lround((t.window.row0 + t.window.rows) * fy))) - full.row0;
        }
        for (int b = 0; b < bandCount_; ++b) {
            // At a file level, read it as is; beyond the coarsest, let GDAL average (it picks the
            // coarsest overview for the full-resolution window).
            terrain::Grid<std::uint8_t> g =
                t.decimation == 1 ? from.readWindowBytes(t.window, t.rasterLevel, b + 1)
                                  : from.readResampledBytes(full, t.outCols, t.outRows, b + 1);
            band[std::size_t(b)] = std::move(g.values);
        }
        if (byteNoData) {
            const auto nd = std::uint8_t(*info.noData);
            for (std::size_t i = 0; i < n; ++i) {
                bool all = true;
                for (int b = 0; b < bandCount_; ++b) all = all && band[std::size_t(b)][i] == nd;
                if (all) valid[i] = 0;
            }
        }
    } else {
        for (int b = 0; b < bandCount_; ++b) {
            const terrain::Grid<float> g = readDecimated(from, t.rasterLevel, b + 1, t.window.col0,
                                                         t.window.row0, t.outCols, t.outRows, t.decimation, 0);
            const Stretch& st = stretch_[std::size_t(b)];
            const double scale = 255.0 / (st.hi - st.lo);
            auto& out = band[std::size_t(b)];
            out.resize(n);
            for (std::size_t i = 0; i < n; ++i) {
                const float v = g.values[i];
                if (std::isnan(v)) {
                    valid[i] = 0;
                    continue;
                }
                out[i] = std::uint8_t(std::clamp((v - st.lo) * scale, 0.0, 255.0));
            }
        }
    }

    QImage img(t.outCols, t.outRows, QImage::Format_ARGB32_Premultiplied);
    for (int r = 0; r < t.outRows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(r));
        for (int c = 0; c < t.outCols; ++c) {
            const std::size_t i = std::size_t(r) * std::size_t(t.outCols) + std::size_t(c);
            if (!valid[i]) {
                line[c] = 0;
            } else if (bandCount_ == 1) {
                const int g = band[0][i];
                line[c] = qRgb(g, g, g);
            } else {
                line[c] = qRgb(band[0][i], band[1][i], band[2][i]);
            }
        }
    }
    return img;
}

// ---- HillshadeTileSource ---------------------------------------------------------------------

HillshadeTileSource::HillshadeTileSource(const terrain::Raster& dtm) : TileSource(dtm) {}

QImage HillshadeTileSource::renderFrom(const terrain::Raster& from, int level, int tx, int ty) const {
    const TileWindow t = tileWindow(level, tx, ty);
    // One cell of border so that edge cells have neighbours from the next tile (no seams).
    const terrain::Grid<float> z = readDecimated(from, t.rasterLevel, 1, t.window.col0, t.window.row0,
                                                 t.outCols, t.outRows, t.decimation, 1);
    const terrain::GeoTransform gt = raster_.levelGeoTransform(t.rasterLevel);
    const double px = gt.pixelWidth() * t.decimation, py = gt.pixelHeight() * t.decimation;

    // Sun direction (east, north, up): azimuth 315 degrees clockwise from north, altitude 45.
    constexpr double kAz = 315.0 * std::numbers::pi / 180.0, kAlt = 45.0 * std::numbers::pi / 180.0;
    const double sunE = std::sin(kAz) * std::cos(kAlt), sunN = std::cos(kAz) * std::cos(kAlt),
                 sunU = std::sin(kAlt);

    QImage img(t.outCols, t.outRows, QImage::Format_ARGB32_Premultiplied);
    for (int r = 0; r < t.outRows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(r));
        for (int c = 0; c < t.outCols; ++c) {
            const float z0 = z.at(c + 1, r + 1);
            if (std::isnan(z0)) {
                line[c] = 0;
                continue;
            }
            auto at = [&](int dc, int dr) {
                const float v = z.at(c + 1 + dc, r + 1 + dr);
                return double(std::isnan(v) ? z0 : v);
            };
            // Horn's gradient; rows grow southwards.
            const double dzdE = ((at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))) / (8 * px);
            const double dzdS = ((at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))) / (8 * py);
            const double nE = -dzdE, nN = dzdS, nU = 1.0;
            const double shade = std::max(0.0, (nE * sunE + nN * sunN + nU * sunU) / std::sqrt(nE * nE + nN * nN + 1.0));
            const int g = int(std::lround(30.0 + 225.0 * shade));
            line[c] = qRgb(g, g, g);
        }
    }
    return img;
}

}  // namespace traverse::studio
