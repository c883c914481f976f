#pragma once
// Training scenarios: a site, a start pose and a goal, the traverse the rover actually drove there (a
// drive log, or a published GeoJSON traverse), notes for the trainee and a difficulty. A trainee plans
// the drive; scoring (planner/scoring.hpp) compares the plan with the actual traverse and with the
// built-in proposer's route. File format: docs/training.md. Map frame, metres; headings degrees
// clockwise from north.
#include "terrain/geometry.hpp"
#include "terrain/raster.hpp"
#include "twin/drive_log.hpp"
#include "twin/published_traverse.hpp"
#include "twin/rover_config.hpp"
#include "twin/sequence.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::planner {

inline constexpr int kScenarioFormatVersion = 1;

enum class Difficulty { Easy, Medium, Hard };
std::string_view difficultyName(Difficulty d);  // "easy", "medium", "hard"

// Where the actual traverse is and how to read it.
struct ActualTraverse {
    enum class Kind { DriveLog, GeoJson };
    Kind kind = Kind::DriveLog;
    std::filesystem::path path;  // absolute after loadScenario; as written otherwise
    // GeoJSON only: how to read the coordinates, and which sols to take.
    twin::TraverseCoordinates coordinates = twin::TraverseCoordinates::Auto;
    std::optional<int> firstSol, lastSol;
};

struct Scenario {
    std::string name;
    Difficulty difficulty = Difficulty::Easy;
    std::filesystem::path dtm;                   // absolute after loadScenario
    std::optional<std::filesystem::path> ortho;
    std::optional<std::filesystem::path> rover;  // a rover configuration file; default Perseverance-like
    twin::Pose start;
    terrain::MapPoint goal;
    double goalToleranceM = 1.0;
    ActualTraverse actual;
    std::string notes;
    std::filesystem::path file;                  // the scenario file (empty when parsed from text)
};

// Parses JSON text; `source` names it in errors; paths are kept as written. Throws Error (Format)
// naming the source and the field: malformed JSON, a repeated key, an unknown or missing field, a
// value of the wrong type or out of range, a newer version.
Scenario scenarioFromJson(const std::string& json, const std::string& source);
// The scenario as JSON text (paths as they are in memory). Throws Error (InvalidArgument) for an
// invalid scenario (non-finite numbers, negative tolerance, no DTM or actual traverse).
std::string scenarioToJson(const Scenario& scenario);

struct ScenarioLoadOptions {
    // Look for the DTM and orthoimage by file name in this folder instead of where the scenario says
    // (the bundled scenarios name ../samples/, where scripts/traverse-setup generates the sample site;
    // tests and other checkouts keep the generated site elsewhere).
    std::optional<std::filesystem::path> siteDir;
};

// Reads a scenario file; relative paths resolve against the file's folder. Throws Error naming the
// file: NotFound for a missing scenario, DTM, orthoimage, rover or actual traverse (with how to make
// the sample site), Format as scenarioFromJson.
Scenario loadScenario(const std::filesystem::path& path, const ScenarioLoadOptions& options = {});
// Writes atomically; paths inside the scenario's folder or its parent are written relative to it.
void saveScenario(const Scenario& scenario, const std::filesystem::path& path);

// The actual traverse placed on the site.
struct ActualPath {
    std::vector<terrain::MapPoint> path;        // inside the site, in order
    std::optional<twin::DriveLog> log;          // when it is a drive log
    std::vector<twin::TraversePoint> outside;   // points outside the site, reported
    std::string crsNote;                        // how a GeoJSON's coordinates were placed
    std::optional<int> sol, site, drive;        // of the first point (or the log's header)
};
// Reads the actual traverse of a loaded scenario against the DTM's CRS and extent. Throws Error naming
// the file (see readDriveLog and importTraverseGeoJson), and Format when no point lies inside the site.
ActualPath loadActualPath(const Scenario& scenario, const terrain::RasterInfo& dtm);

}  // namespace traverse::planner
