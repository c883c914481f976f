#pragma once
// A site: one DTM and, optionally, one orthoimage, in one map frame (the DTM's CRS and origin).
#include "terrain/geometry.hpp"
#include "terrain/raster.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace traverse::terrain {

// How the orthoimage was brought into the DTM's frame.
struct Coregistration {
    enum class Method { None, SameGrid, Resampled, Reprojected };
    Method method = Method::None;
    double overlapShare = 0.0;  // share of the DTM's extent covered by the orthoimage (0..1)
    std::string description;    // one line for a person
};

class Site {
public:
    // Opens a DTM and an optional orthoimage. The DTM must be georeferenced (a geotransform and a
    // CRS), single-band and north-up. The orthoimage is used as is when it lies on a grid aligned
    // with the DTM in the same CRS; otherwise it is resampled or reprojected (bilinear) on the fly
    // into the DTM's CRS on a grid aligned with the DTM's origin, at the orthoimage's own resolution.
    // Throws traverse::Error naming the file(s) and the reason: a missing or unreadable file, a file
    // without georeferencing, or an orthoimage that does not overlap the DTM.
    static Site open(const std::filesystem::path& dtm,
                     const std::optional<std::filesystem::path>& ortho = std::nullopt);

    Site(Site&&) noexcept;
    Site& operator=(Site&&) noexcept;
    ~Site();

    const Raster& dtm() const { return dtm_; }
    // The orthoimage in the DTM's frame, or nullptr when the site has none.
    const Raster* ortho() const;
    // The orthoimage file as opened (its own CRS and grid), or nullptr.
    const Raster* orthoSource() const;
    const Coregistration& coregistration() const { return coreg_; }

    const GeoTransform& geoTransform() const { return dtm_.info().geoTransform; }
    MapExtent extent() const { return dtm_.info().extent(); }
    const std::string& crsWkt() const { return dtm_.info().crsWkt; }

private:
    explicit Site(Raster dtm);
    Raster dtm_;
    std::unique_ptr<Raster> orthoSource_;  // declared before orthoFramed_: it must outlive it
    std::unique_ptr<Raster> orthoFramed_;  // null when the source is already on the DTM's grid
    Coregistration coreg_;
};

// Checks that a raster can serve as a DTM (georeferenced, north-up, one band); throws
// traverse::Error (Georeference or Format) naming the file otherwise.
void requireUsableDtm(const Raster& dtm);

}  // namespace traverse::terrain
