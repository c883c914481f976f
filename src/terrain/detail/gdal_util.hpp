#pragma once
// GDAL plumbing shared inside the terrain module; never included outside it.
#include <cpl_error.h>

#include <string>

namespace traverse::terrain::detail {

// Registers GDAL's drivers once per process.
void ensureGdalRegistered();

// While alive, GDAL's errors on this thread are not printed to stderr but kept, so that they can be
// folded into one clear traverse::Error message.
class GdalErrorScope {
public:
    GdalErrorScope() {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
    }
    ~GdalErrorScope() { CPLPopErrorHandler(); }
    GdalErrorScope(const GdalErrorScope&) = delete;
    GdalErrorScope& operator=(const GdalErrorScope&) = delete;

    // GDAL's last message on this thread, or `fallback` when it said nothing.
    static std::string lastMessage(const std::string& fallback = "unknown GDAL error") {
        const char* m = CPLGetLastErrorMsg();
        return (m && *m) ? std::string(m) : fallback;
    }
};

}  // namespace traverse::terrain::detail
