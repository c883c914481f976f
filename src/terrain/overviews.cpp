#include "terrain/overviews.hpp"

#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"

#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <system_error>

namespace traverse::terrain {

namespace {

// Sets a GDAL configuration option for this thread while alive, then restores what it was.
class ThreadOption {
public:
    ThreadOption(const char* key, const char* value) : key_(key) {
        if (const char* old = CPLGetThreadLocalConfigOption(key, nullptr)) old_ = old;
        CPLSetThreadLocalConfigOption(key, value);
    }
    ~ThreadOption() { CPLSetThreadLocalConfigOption(key_, old_ ? old_->c_str() : nullptr); }
    ThreadOption(const ThreadOption&) = delete;
    ThreadOption& operator=(const ThreadOption&) = delete;

private:
    const char* key_;
    std::optional<std::string> old_;
};

struct ProgressState {
    const ProgressFn* progress;
    std::stop_token stop;
    bool cancelled = false;
};

int CPL_STDCALL onProgress(double fraction, const char*, void* data) {
    auto* s = static_cast<ProgressState*>(data);
    if (s->stop.stop_requested()) {
        s->cancelled = true;
        return FALSE;
    }
    if (*s->progress) (*s->progress)(std::clamp(fraction, 0.0, 1.0), "building overviews");
    return TRUE;
}

}  // namespace

std::vector<int> defaultOverviewFactors(int cols, int rows, int smallestSide) {
    std::vector<int> f;
    const int side = std::max(cols, rows);
    for (int k = 2; side / (k / 2) > std::max(1, smallestSide) && k <= (1 << 20); k *= 2) f.push_back(k);
    return f;
}

void buildOverviews(const std::filesystem::path& path, const OverviewOptions& options, const ProgressFn& progress,
                    std::stop_token stop) {
    detail::ensureGdalRegistered();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(Error::Kind::NotFound, path.string() + ": no such file");
    const std::filesystem::path ovr = path.string() + ".ovr";

    detail::GdalErrorScope scope;
    // Read-only: GDAL writes external overviews (FILE.ovr) and leaves the file alone.
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | (options.external ? GDAL_OF_READONLY : GDAL_OF_UPDATE),
                                 nullptr, nullptr, nullptr);
    if (!ds)
        throw Error(options.external ? Error::Kind::Format : Error::Kind::Io,
                    path.string() + ": cannot open to build overviews (" +
                        detail::GdalErrorScope::lastMessage("no driver recognises it") + ")");
    std::vector<int> factors = options.factors.empty()
                                   ? defaultOverviewFactors(GDALGetRasterXSize(ds), GDALGetRasterYSize(ds),
                                                            options.smallestSide)
                                   : options.factors;
    if (factors.empty()) {
        GDALClose(ds);
        if (progress) progress(1.0, "building overviews");
        return;
    }
    if (options.external && std::filesystem::exists(ovr, ec)) {
        // Replace, not extend: GDAL would otherwise keep levels of an older .ovr.
        GDALClose(ds);
        std::filesystem::remove(ovr, ec);
        ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
        if (!ds) throw Error(Error::Kind::Format, path.string() + ": cannot reopen to build overviews");
    }

    ProgressState state{&progress, stop};
    CPLErr err;
    {
        // Compressed, and BigTIFF when needed: overviews of a 20,000 x 50,000 image exceed 4 GB otherwise.
        ThreadOption compress("COMPRESS_OVERVIEW", "DEFLATE");
        ThreadOption big("BIGTIFF_OVERVIEW", "IF_SAFER");
        err = GDALBuildOverviews(ds, options.resampling.c_str(), int(factors.size()), factors.data(), 0, nullptr,
                                 onProgress, &state);
    }
    const std::string message = detail::GdalErrorScope::lastMessage("unknown GDAL error");
    GDALClose(ds);
    if (state.cancelled || (err != CE_None && stop.stop_requested())) {
        if (options.external) std::filesystem::remove(ovr, ec);
        throw Error(Error::Kind::Cancelled, path.string() + ": building overviews cancelled");
    }
    if (err != CE_None) {
        if (options.external) std::filesystem::remove(ovr, ec);
        throw Error(Error::Kind::Io, path.string() + ": cannot build overviews (" + message + ")");
    }
    if (progress) progress(1.0, "building overviews");
}

}  // namespace traverse::terrain
