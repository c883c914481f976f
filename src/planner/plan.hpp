#pragma once
// The plan document: everything a rover planner saves about one drive — the site (files and their
// SHA-256 content hashes), the rover configuration, start, goal, via-points, keep-out/keep-in zones,
// the route with provenance, the log of every proposal decision and the latest validation report.
// File format: docs/plan-format.md, schema resources/schemas/plan.schema.json.
// Map frame, metres; headings degrees clockwise from north.
#include "planner/route.hpp"
#include "terrain/geometry.hpp"
#include "twin/flight_rules.hpp"
#include "twin/rover_config.hpp"

#include <chrono>
#include <filesystem>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::planner {

inline constexpr int kPlanFormatVersion = 1;
inline constexpr double kDefaultGoalToleranceM = 1.0;

// A terrain file and the SHA-256 of its bytes (64 lowercase hex digits).
struct SiteFile {
    std::filesystem::path path;  // absolute after loadPlan; in memory, relative means to the working folder
    std::string sha256;
};

struct PlanSite {
    SiteFile dtm;
    std::optional<SiteFile> ortho;
};

// One decision of the propose–check–repair loop: a proposal and whether it joined the route.
struct Decision {
    std::string time;                       // ISO-8601 UTC, e.g. "2025-03-01T12:34:56.789Z"
    int step = 0;                           // index of the route segment being proposed (0-based)
    std::string source;                     // proposer, as in Provenance::source
    std::vector<terrain::MapPoint> points;  // the proposed point(s)
    bool accepted = false;
    std::string reason;                     // why it was rejected, or a note on acceptance
    int attempt = 1;                        // which proposal for this step (1 = the first)
    std::string transcript;                 // reference to a recorded model exchange, if any
};

// The hashes a validation report was computed for; see terrainHash, planContentHash, roverHash.
struct ValidationHashes {
    std::string terrainSha256;
    std::string planSha256;
    std::string roverSha256;
    bool operator==(const ValidationHashes&) const = default;
};

struct ValidationRecord {
    std::string reportJson;   // the report as a JSON object, opaque to the plan document
    ValidationHashes hashes;  // what it was computed for
};

struct Plan {
    std::string name;
    PlanSite site;
    twin::RoverConfig rover;
    Route route;                            // route.start is the plan's start pose
    terrain::MapPoint goal;
    double goalToleranceM = kDefaultGoalToleranceM;
    std::vector<terrain::MapPoint> viaPoints;  // drawn by the planner, in order
    std::vector<twin::Zone> zones;          // keep-out and keep-in polygons
    std::vector<Decision> decisions;        // oldest first
    double maxSegmentM = kDefaultMaxSegmentM;
    std::optional<ValidationRecord> validation;  // the latest report, if any

    const twin::Pose& start() const { return route.start; }
};

// --- JSON ------------------------------------------------------------------------------------------

// The plan as JSON text ({"format": "traverse-plan", "version": 1, ...}); site paths as they are in
// memory. Throws Error (InvalidArgument) naming the field when the plan is invalid (validatePlan).
std::string planToJson(const Plan& plan);
// Parses JSON text; `source` names it in errors. Site paths are kept as written (relative ones are
// not resolved). Throws Error (Format) naming the JSON path and the reason.
Plan planFromJson(const std::string& json, const std::string& source);
// Throws Error (InvalidArgument) naming the first invalid field: a number that is not finite, a
// non-positive max segment length, a negative tolerance, a hash that is not 64 lowercase hex digits,
// a zone with fewer than 3 vertices, a malformed time stamp, a report that is not a JSON object, an
// invalid rover configuration.
void validatePlan(const Plan& plan, const std::string& source);

// --- Files -----------------------------------------------------------------------------------------

struct LoadOptions {
    bool checkTerrainExists = true;
};

// Reads a plan file. Relative site paths resolve against the plan file's folder; the returned paths
// are absolute. Never writes anything. Throws Error naming the file: NotFound (no plan file, or a
// missing DTM/orthoimage when options.checkTerrainExists), Format (corrupt JSON, not a plan, a newer
// version, a missing field or one of the wrong type or value, named by its JSON path), Io.
Plan loadPlan(const std::filesystem::path& path, const LoadOptions& options = {});
// Writes the plan atomically (temporary file in the same folder, fsync, rename, fsync of the
// folder), then removes `<path>.autosave` if it is not newer than the saved plan. Site paths inside
// the plan's folder or its parent folder are written relative to the plan's folder, others absolute.
// On failure the previous file is untouched. Throws Error (InvalidArgument, Io, NotFound).
void savePlan(const Plan& plan, const std::filesystem::path& path);
// Writes `<planPath>.autosave` atomically, with the same path rules as savePlan.
void autosavePlan(const Plan& plan, const std::filesystem::path& planPath);
std::filesystem::path autosavePath(const std::filesystem::path& planPath);
// The autosave file when it exists and is newer than the plan file (or the plan file does not
// exist): the work to offer for recovery. Open it with loadPlan.
std::optional<std::filesystem::path> recoveryFile(const std::filesystem::path& planPath);

// --- Hashes ----------------------------------------------------------------------------------------

// SHA-256 (FIPS 180-4) as 64 lowercase hex digits.
std::string sha256Hex(std::string_view bytes);
// Of a file's bytes, read in blocks. Throws Error (NotFound, Io) naming the file.
std::string sha256File(const std::filesystem::path& path);
// Told the bytes hashed so far and the total; returning false stops the hashing.
using HashProgress = std::function<bool(std::uint64_t done, std::uint64_t total)>;
// A site with the content hashes of its files. Throws Error (NotFound, Io) naming the file, and
// Cancelled when `progress` returns false.
PlanSite hashSite(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho = std::nullopt,
                  const HashProgress& progress = {});

// What defines the plan for validation, hashed from canonical JSON: site hashes, rover, start, goal,
// tolerance, via-points, zones, route (with provenance), max segment length. Not the name, the site
// paths, the decision log or the validation report.
std::string planContentHash(const Plan& plan);
// Of the site's content hashes (DTM and orthoimage).
std::string terrainHash(const PlanSite& site);
std::string roverHash(const twin::RoverConfig& rover);
ValidationHashes validationHashesFor(const Plan& plan);

// Why the stored validation report no longer applies to the plan (no report; the terrain, plan or
// rover changed), or nothing when it still matches. Compares hashes held in the plan only.
std::optional<std::string> validationMismatch(const Plan& plan);
// Whether the site files on disk still have the hashes recorded in the plan: the reason they do not
// (a file changed or is missing), or nothing. Reads and hashes every site file.
std::optional<std::string> siteMismatch(const Plan& plan);

// ISO-8601 UTC with milliseconds, "YYYY-MM-DDThh:mm:ss.sssZ", for Decision::time.
std::string isoTimestampUtc(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

}  // namespace traverse::planner
