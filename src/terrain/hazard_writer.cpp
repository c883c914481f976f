#include "terrain/hazard_writer.hpp"

#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"

#include <gdal.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <optional>
#include <cstdlib>
#include <random>
#include <sstream>

namespace traverse::terrain {

namespace fs = std::filesystem;

Compression parseCompression(const std::string& name) {
    if (name == "deflate") return Compression::Deflate;
    if (name == "zstd") return Compression::Zstd;
    if (name == "lzw") return Compression::Lzw;
    if (name == "none") return Compression::None;
    throw Error(Error::Kind::InvalidArgument, "unknown compression '" + name + "' (deflate, zstd, lzw or none)");
}

struct HazardGeoTiffWriter::Impl {
    // A block's layers, encoded, owned by the writer until every layer of it is in its file.
    struct Encoded {
        int row0 = 0, rows = 0, cols = 0;
        bool tiled = false;  // layers laid out as the file's tiles (a row of them), else row by row
        std::array<std::vector<std::uint8_t>, 6> layer;  // stored values (UInt16 as host-order bytes)
        std::array<bool, 6> taken{}, written{};
    };
    fs::path outDir, tmpDir;
    int rows = 0;
    bool createdOutDir = false;
    bool committed = false;
    std::array<GDALDatasetH, 6> ds{};
    std::array<fs::path, 6> names;

    // Compression runs on worker threads, one layer of one block at a time; a layer's blocks go
    // out in order, and no two threads touch one file (GDAL handles are not shared).
    std::mutex m;
    std::condition_variable changed;
    std::deque<std::unique_ptr<Encoded>> queue;  // oldest first
    std::vector<std::unique_ptr<Encoded>> spare;  // recycled buffers
    std::array<bool, 6> busy{};
    std::exception_ptr failure;
    bool stopping = false;
    std::vector<std::thread> workers;

    void work();
    void write(std::size_t layer, const Encoded& e);
    void stopWorkers() {
        {
            std::lock_guard lock(m);
            stopping = true;
        }
        changed.notify_all();
        for (auto& w : workers) w.join();
        workers.clear();
    }

    ~Impl() {
        stopWorkers();
        detail::GdalErrorScope quiet;  // what is left is discarded; its errors were reported already
        for (auto& d : ds)
            if (d) GDALClose(d);
        if (!committed) {
            std::error_code ec;
            fs::remove_all(tmpDir, ec);
            if (createdOutDir) fs::remove(outDir, ec);  // only removed when still empty
        }
    }
};

namespace {

// The layers by index in kAllHazardLayers, the costliest to compress first (step, roughness, cost,
// slope, hazard, unknown).
constexpr std::array<std::size_t, 6> kLayersByCost = {2, 1, 5, 0, 4, 3};

// How each layer is stored: slope in hundredths of a degree, roughness and step in millimetres, as
// UInt16 (65535 = nodata); cost as 0..254 in a byte (254 = 1.0 = hard hazard). Each file carries its
// scale, so GDAL and QGIS read degrees and metres. Rounding costs at most 0.005 degree, 0.5 mm or
// 0.002 of cost; in exchange the files are far smaller than float32 and compress several times
// faster, which is most of the time spent writing.
struct Storage {
    GDALDataType type;
    double scale = 1.0;
    std::optional<double> noData;
};

constexpr std::uint16_t kU16NoData = 65535;
constexpr int kTile = 256;  // the files' tiles are kTile x kTile

Storage storageOf(HazardLayer layer) {
    switch (layer) {
        case HazardLayer::Slope: return {GDT_UInt16, 0.01, double(kU16NoData)};
        case HazardLayer::Roughness:
        case HazardLayer::Step: return {GDT_UInt16, 0.001, double(kU16NoData)};
        case HazardLayer::Cost: return {GDT_Byte, 1.0 / 254.0, std::nullopt};
        default: return {GDT_Byte, 1.0, std::nullopt};
    }
}

// Whole units of 1/perUnit (kNoData -> 65535), rounded to nearest; branch-free so it vectorises.
void encodeU16(const float* in, std::size_t n, float perUnit, std::uint16_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        const float v = in[i] == kNoData ? 65535.0f : std::min(std::max(in[i] * perUnit + 0.5f, 0.0f), 65534.0f);
        out[i] = std::uint16_t(std::int32_t(v));
    }
}

void encodeCost(const float* in, std::size_t n, std::uint8_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        const float v = std::min(std::max(in[i] * 254.0f + 0.5f, 0.0f), 254.0f);
        out[i] = std::uint8_t(std::int32_t(v));  // 1.0 (hard hazard) is 254; traversable cells <= 251
    }
}

fs::path uniqueTempDir(const fs::path& parent) {
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::ostringstream n;
        n << ".traverse-tmp-" << std::hex << rd();
        fs::path p = parent / n.str();
        std::error_code ec;
        if (fs::create_directory(p, ec)) return p;
        if (ec) throw Error(Error::Kind::Io, parent.string() + ": cannot write in output folder (" + ec.message() + ")");
    }
    throw Error(Error::Kind::Io, parent.string() + ": cannot create a temporary folder");
}

}  // namespace

HazardGeoTiffWriter::HazardGeoTiffWriter(const fs::path& outDir, const Raster& dtm, const HazardParams& params,
                                         Compression compression)
    : impl_(std::make_unique<Impl>()) {
    detail::ensureGdalRegistered();
    impl_->outDir = outDir;
    std::error_code ec;
    if (fs::exists(outDir, ec) && !fs::is_directory(outDir, ec))
        throw Error(Error::Kind::Io, outDir.string() + ": output path exists and is not a folder");
    if (!fs::exists(outDir, ec)) {
        fs::create_directories(outDir, ec);
        if (ec) throw Error(Error::Kind::Io, outDir.string() + ": cannot create output folder (" + ec.message() + ")");
        impl_->createdOutDir = true;
    }
    impl_->tmpDir = uniqueTempDir(outDir);
    impl_->rows = dtm.info().rows;

    const auto& info = dtm.info();
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    const char* comp = compression == Compression::Deflate ? "DEFLATE"
                       : compression == Compression::Zstd  ? "ZSTD"
                       : compression == Compression::Lzw   ? "LZW"
                                                           : "NONE";
    std::ostringstream limits;
    limits << "max_slope_deg=" << params.limits.maxSlopeDeg << " max_step_m=" << params.limits.maxStepM
           << " max_roughness_m=" << params.limits.maxRoughnessM << " footprint_m=" << params.footprintM
           << " wheel_m=" << params.wheelM << " unknown_buffer_m=" << params.unknownBufferM;
    const std::string limitsText = limits.str();

    for (std::size_t i = 0; i < std::size(kAllHazardLayers); ++i) {
        const HazardLayer layer = kAllHazardLayers[i];
        const Storage st = storageOf(layer);
        impl_->names[i] = fs::path(std::string(layerName(layer)) + ".tif");
        const fs::path p = impl_->tmpDir / impl_->names[i];
        std::vector<std::string> opts = {"TILED=YES", "BLOCKXSIZE=" + std::to_string(kTile),
                                         "BLOCKYSIZE=" + std::to_string(kTile),
                                         std::string("COMPRESS=") + comp, "BIGTIFF=IF_SAFER"};
        if (compression == Compression::Deflate) opts.push_back("ZLEVEL=1");
        if (compression == Compression::Zstd) opts.push_back("ZSTD_LEVEL=1");
        std::vector<char*> copts;
        for (auto& o : opts) copts.push_back(o.data());
        copts.push_back(nullptr);
        detail::GdalErrorScope scope;
        GDALDatasetH d = GDALCreate(drv, p.c_str(), info.cols, info.rows, 1, st.type, copts.data());
        if (!d)
            throw Error(Error::Kind::Io, p.string() + ": cannot create (" + detail::GdalErrorScope::lastMessage() + ")");
        impl_->ds[i] = d;
        GDALSetGeoTransform(d, const_cast<double*>(info.geoTransform.coefficients().data()));
        GDALSetProjection(d, info.crsWkt.c_str());
        GDALRasterBandH b = GDALGetRasterBand(d, 1);
        if (st.noData) GDALSetRasterNoDataValue(b, *st.noData);
        if (st.scale != 1.0) {
            GDALSetRasterScale(b, st.scale);
            GDALSetRasterOffset(b, 0.0);
        }
        GDALSetDescription(b, std::string(layerName(layer)).c_str());
        GDALSetRasterUnitType(b, std::string(layerUnit(layer)).c_str());
        GDALSetMetadataItem(d, "TRAVERSE_LAYER", std::string(layerName(layer)).c_str(), nullptr);
        GDALSetMetadataItem(d, "TRAVERSE_SOURCE_DTM", info.path.string().c_str(), nullptr);
        GDALSetMetadataItem(d, "TRAVERSE_PARAMETERS", limitsText.c_str(), nullptr);
        if (layer == HazardLayer::Hazard)
            GDALSetMetadataItem(d, "TRAVERSE_HAZARD_BITS", "1=slope 2=step 4=roughness 8=unknown", nullptr);
        if (layer == HazardLayer::Cost)
            GDALSetMetadataItem(d, "TRAVERSE_COST_ENCODING", "cost = value / 254; 254 = hard hazard", nullptr);
        GDALFlushCache(d);
    }
}

HazardGeoTiffWriter::~HazardGeoTiffWriter() = default;

namespace {
// Blocks encoded and waiting for their layers to be written, at most (memory stays bounded: 9 bytes
// a cell for each).
constexpr std::size_t kMaxQueued = 2;
}  // namespace

void HazardGeoTiffWriter::Impl::write(std::size_t i, const Encoded& e) {
    detail::GdalErrorScope scope;
    GDALRasterBandH band = GDALGetRasterBand(ds[i], 1);
    const GDALDataType type = storageOf(kAllHazardLayers[i]).type;
    // Written and compressed at once, on this thread: GDAL's own compression threads cost more in
    // handing tiles over than they gain here. A row of tiles goes straight to the file, bypassing
    // GDAL's block cache (no copy, no tile waiting there for another thread to evict it).
    bool ok = true;
    if (e.tiled) {
        const std::size_t tileBytes = std::size_t(kTile) * kTile * std::size_t(GDALGetDataTypeSizeBytes(type));
        const int across = (e.cols + kTile - 1) / kTile;
        for (int t = 0; t < across && ok; ++t)
            ok = GDALWriteBlock(band, t, e.row0 / kTile,
                                const_cast<std::uint8_t*>(e.layer[i].data()) + std::size_t(t) * tileBytes) == CE_None;
    } else {
        ok = GDALRasterIO(band, GF_Write, 0, e.row0, e.cols, e.rows, const_cast<std::uint8_t*>(e.layer[i].data()),
                          e.cols, e.rows, type, 0, 0) == CE_None &&
             GDALFlushRasterCache(band) == CE_None;
    }
    if (!ok) throw Error(Error::Kind::Io, (outDir / names[i]).string() + ": write failed (" + scope.messages() + ")");
}

void HazardGeoTiffWriter::Impl::work() {
    std::unique_lock lock(m);
    for (;;) {
        if (stopping || failure) return;
        // The oldest block's costliest layer that no thread is writing.
        Encoded* block = nullptr;
        std::size_t layer = 0;
        for (auto& e : queue) {
            for (const std::size_t i : kLayersByCost)
                if (!e->taken[i] && !busy[i]) {
                    block = e.get();
                    layer = i;
                    break;
                }
            if (block) break;
        }
        if (!block) {
            changed.wait(lock);
            continue;
        }
        block->taken[layer] = true;
        busy[layer] = true;
        lock.unlock();
        std::exception_ptr error;
        try {
            write(layer, *block);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        busy[layer] = false;
        block->written[layer] = true;
        if (error && !failure) failure = error;
        while (!queue.empty() && std::all_of(queue.front()->written.begin(), queue.front()->written.end(),
                                             [](bool w) { return w; })) {
            spare.push_back(std::move(queue.front()));
            queue.pop_front();
        }
        changed.notify_all();
    }
}

void HazardGeoTiffWriter::consume(const HazardBlock& b) {
    const std::size_t n = std::size_t(b.rows) * std::size_t(b.cols);
    std::unique_ptr<Impl::Encoded> e;
    {
        std::unique_lock lock(impl_->m);
        impl_->changed.wait(lock, [&] { return impl_->failure || impl_->queue.size() < kMaxQueued; });
        if (impl_->failure) std::rethrow_exception(impl_->failure);
        if (impl_->workers.empty()) {
            const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
            for (unsigned t = 0; t < std::min(cores, 6u); ++t) impl_->workers.emplace_back([this] { impl_->work(); });
        }
        if (!impl_->spare.empty()) {
            e = std::move(impl_->spare.back());
            impl_->spare.pop_back();
        }
    }
    if (!e) e = std::make_unique<Impl::Encoded>();
    // Encoded on the caller's thread (kAllHazardLayers order: slope, roughness, step, unknown,
    // hazard, cost), so that the caller may reuse the block as soon as this returns. A block that is
    // a row of tiles is laid out as the tiles, padded past the raster's edge as GDAL pads them (with
    // nodata, or 0).
    e->row0 = b.row0;
    e->rows = b.rows;
    e->cols = b.cols;
    // (A last block taller than a tile goes the general way: only one row of tiles is laid out.)
    e->tiled = b.row0 % kTile == 0 && (b.rows == kTile || (b.rows < kTile && b.row0 + b.rows == impl_->rows));
    e->taken = {};
    e->written = {};
    const int across = (b.cols + kTile - 1) / kTile;
    const std::size_t cells = e->tiled ? std::size_t(across) * kTile * kTile : n;
    const std::size_t stride = std::size_t(b.cols);
    // Calls put(row, col0, count, out) for each piece of a row that goes into one place.
    auto layout = [&](std::size_t i, auto* out, auto fill, auto put) {
        e->layer[i].resize(cells * sizeof(*out));
        out = reinterpret_cast<decltype(out)>(e->layer[i].data());
        if (!e->tiled) {
            for (int r = 0; r < b.rows; ++r) put(std::size_t(r) * stride, std::size_t(b.cols), out + std::size_t(r) * stride);
            return;
        }
        for (int r = 0; r < kTile; ++r)
            for (int t = 0; t < across; ++t) {
                auto* dst = out + (std::size_t(t) * kTile + std::size_t(r)) * kTile;
                const int valid = r < b.rows ? std::min(kTile, b.cols - t * kTile) : 0;
                if (valid > 0) put(std::size_t(r) * stride + std::size_t(t) * kTile, std::size_t(valid), dst);
                std::fill(dst + valid, dst + kTile, fill);
            }
    };
    auto scaled = [&](const float* v, float perUnit) {
        return [=](std::size_t at, std::size_t count, std::uint16_t* out) { encodeU16(v + at, count, perUnit, out); };
    };
    auto copied = [](const std::uint8_t* v) {
        return [=](std::size_t at, std::size_t count, std::uint8_t* out) { std::copy_n(v + at, count, out); };
    };
    layout(0, static_cast<std::uint16_t*>(nullptr), kU16NoData, scaled(b.slope, 100.0f));
    layout(1, static_cast<std::uint16_t*>(nullptr), kU16NoData, scaled(b.roughness, 1000.0f));
    layout(2, static_cast<std::uint16_t*>(nullptr), kU16NoData, scaled(b.step, 1000.0f));
    layout(3, static_cast<std::uint8_t*>(nullptr), std::uint8_t(0), copied(b.unknown));
    layout(4, static_cast<std::uint8_t*>(nullptr), std::uint8_t(0), copied(b.hazard));
    layout(5, static_cast<std::uint8_t*>(nullptr), std::uint8_t(0),
           [&](std::size_t at, std::size_t count, std::uint8_t* out) { encodeCost(b.cost + at, count, out); });
    {
        std::lock_guard lock(impl_->m);
        impl_->queue.push_back(std::move(e));
    }
    impl_->changed.notify_all();
}

std::vector<fs::path> HazardGeoTiffWriter::commit() {
    {
        std::unique_lock lock(impl_->m);
        impl_->changed.wait(lock, [&] { return impl_->failure || impl_->queue.empty(); });
    }
    impl_->stopWorkers();
    if (impl_->failure) std::rethrow_exception(impl_->failure);
    for (std::size_t i = 0; i < impl_->ds.size(); ++i) {
        detail::GdalErrorScope scope;
        GDALDatasetH d = impl_->ds[i];
        impl_->ds[i] = nullptr;
        GDALClose(d);  // flushes the last tiles; GDAL reports a failed write as an error
        if (CPLGetLastErrorType() == CE_Failure)
            throw Error(Error::Kind::Io,
                        (impl_->outDir / impl_->names[i]).string() + ": write failed (" + scope.messages() + ")");
    }
    std::vector<fs::path> out;
    for (const auto& n : impl_->names) {
        std::error_code ec;
        fs::rename(impl_->tmpDir / n, impl_->outDir / n, ec);
        if (ec) throw Error(Error::Kind::Io, (impl_->outDir / n).string() + ": cannot move into place (" + ec.message() + ")");
        out.push_back(impl_->outDir / n);
    }
    impl_->committed = true;
    std::error_code ec;
    fs::remove(impl_->tmpDir, ec);
    return out;
}

}  // namespace traverse::terrain
