#pragma once
// Drive logs: the telemetry of one drive (a past sol, real or simulated) as one file, for replay and
// training. CSV with a JSON header line (docs/drive-log.md):
//
//   #traverse-drive-log {"version":1,"name":"...","sol":12,"site":3,"drive":1204,...}
//   time_s,command_index,east_m,north_m,heading_deg,roll_deg,pitch_deg,yaw_deg,rocker_left_deg,...
//   0,0,2400,1093900,90,0.4,-1.2,90,0.1,...
//   #event {"time_s":12.5,"command_index":3,"kind":"stop","text":"rover stopped: tilt 31.2 deg"}
//
// Map frame metres, headings and angles degrees (units are the channel names' suffixes), time in
// seconds from the start of the drive. An empty field is a value the rover did not report.
#include "terrain/geometry.hpp"
#include "twin/sequence.hpp"
#include "twin/simulator.hpp"
#include "twin/telemetry.hpp"

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::twin {

inline constexpr int kDriveLogVersion = 1;
inline constexpr std::string_view kDriveLogSignature = "#traverse-drive-log";

// The channels every drive log has (in any column order): time, the command being executed, the
// pose, the attitude and the suspension angles. Others (clearance, slip, energy, ...) are optional.
inline constexpr std::array<std::string_view, 12> kDriveLogRequiredChannels = {
    "time_s",        "command_index",    "east_m",          "north_m",        "heading_deg",    "roll_deg",
    "pitch_deg",     "yaw_deg",          "rocker_left_deg", "rocker_right_deg", "bogie_left_deg", "bogie_right_deg"};
// The optional channels replay and scoring understand when present.
inline constexpr std::string_view kClearanceChannel = "min_belly_clearance_m";
inline constexpr std::string_view kSlipChannel = "slip";
inline constexpr std::string_view kEnergyChannel = "energy_wh";
inline constexpr std::string_view kWheelStepChannel = "max_wheel_step_m";

// Who wrote the log and about what: the header line.
struct DriveLogInfo {
    std::string name;                 // e.g. "sol 0012 drive 3"
    std::optional<int> sol, site, drive;  // the rover motion counter (sol, site and drive numbers)
    std::string rover;                // rover configuration name
    std::string source;               // what produced it: "traverse simulate", "rover", ...
    std::string mapCrs;               // the map frame's CRS (WKT or PROJ), empty when unknown
    std::string crsNote;              // for a person: how the positions were brought into the map frame
    std::string dtm;                  // the DTM the positions refer to (a file name), if known
    std::string startUtc;             // ISO-8601 UTC time of time_s = 0, if known
    std::string notes;
    bool operator==(const DriveLogInfo&) const = default;
};

// EventKind (twin/simulator.hpp) by name:
std::string_view eventKindName(EventKind kind);  // "fault", "stop", "rule", "waypoint", "note"
std::optional<EventKind> eventKindFromName(std::string_view name);

// Something that happened at an instant: a fault, a stop, a flight rule broken, a waypoint reached.
struct DriveEvent {
    double timeS = 0.0;
    std::optional<int> commandIndex;
    EventKind kind = EventKind::Note;
    std::string text;
    std::optional<terrain::MapPoint> at;
    bool operator==(const DriveEvent& o) const;
};

struct DriveLog {
    DriveLogInfo info;
    Telemetry samples{std::vector<std::string>{}};  // one column per channel; NaN = not reported
    std::vector<DriveEvent> events;                 // in time order

    std::size_t size() const { return samples.size(); }
    // Column of a channel, or nothing when the log does not have it.
    std::optional<std::size_t> channel(std::string_view name) const;
    double timeS(std::size_t i) const;
    terrain::MapPoint position(std::size_t i) const;
    // The track: one point per sample.
    std::vector<terrain::MapPoint> track() const;
};

// A new, empty log with the required channels (in the documented order) and `extra` after them.
DriveLog makeDriveLog(DriveLogInfo info, const std::vector<std::string>& extra = {});

// The log of a simulated drive: every telemetry channel, the simulator's events (waypoints reached,
// stops, time limits) and the first step of each violated flight rule. `info.source` defaults to
// "traverse twin", `info.name`, `info.sol` and `info.rover` to the sequence's header.
DriveLog driveLogFromSimulation(const SimulationResult& result, const Sequence& sequence, DriveLogInfo info = {});

// Checks what a log must hold to be written and read back: the required channels, finite times in
// non-decreasing order, finite poses, whole non-negative command indices, valid names. Throws Error
// (InvalidArgument) naming `source`, the sample and the channel.
void validateDriveLog(const DriveLog& log, const std::string& source);

// The file's text; numbers in their shortest exact form, so that reading gives back the same doubles.
std::string driveLogToText(const DriveLog& log);
// Writes atomically (temporary file, fsync, rename). Throws Error (InvalidArgument) for an invalid log,
// Io / NotFound for the file.
void writeDriveLog(const DriveLog& log, const std::filesystem::path& path);

// A line of a log that could not be read, and why.
struct BadLine {
    int line = 0;  // 1-based
    std::string reason;
};

struct DriveLogReadResult {
    DriveLog log;
    std::vector<BadLine> badLines;  // empty in strict mode
};

enum class ReadMode {
    Strict,   // the first malformed line is an Error (Format) naming the file and the line
    Lenient,  // malformed sample and event lines are skipped and listed; the header must be sound
};

// Parses a log's text; `source` names it in errors. Throws Error (Format) "SOURCE: line N: reason" for
// a malformed header (lines 1 and 2) in either mode, for any malformed line in strict mode, and when
// no sample line is valid.
DriveLogReadResult parseDriveLog(const std::string& text, const std::string& source, ReadMode mode = ReadMode::Strict);
// Reads a file (Error NotFound when it does not exist).
DriveLog readDriveLog(const std::filesystem::path& path);
DriveLogReadResult readDriveLog(const std::filesystem::path& path, ReadMode mode);

// A copy keeping the first and last samples, every sample at least `spacingM` of track (or
// `maxGapS` of time) after the last one kept, and the samples where the command index changes:
// for publishing or committing a log at a lower rate. Events are kept. spacingM > 0.
DriveLog thinDriveLog(const DriveLog& log, double spacingM, double maxGapS = 60.0);

}  // namespace traverse::twin
