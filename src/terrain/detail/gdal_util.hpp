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
        CPLPushErrorHandlerEx(&GdalErrorScope::record, this);
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
    // The last message, preceded by the first failure reported in this scope when that differs:
    // the place where a failure surfaced and its cause ("write error at scanline 512; file too
    // large").
    std::string messages(const std::string& fallback = "unknown GDAL error") const {
        const std::string last = lastMessage(fallback);
        return first_.empty() || first_ == last ? last : last + "; " + first_;
    }

private:
    static void CPL_STDCALL record(CPLErr level, CPLErrorNum, const char* message) {
        auto* self = static_cast<GdalErrorScope*>(CPLGetErrorHandlerUserData());
        if (self && level >= CE_Failure && message && self->first_.empty()) self->first_ = message;
    }
    std::string first_;
};

}  // namespace traverse::terrain::detail
