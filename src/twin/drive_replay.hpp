#pragma once
// Replay of a drive log: the rover's state at any time (interpolated between samples), a cursor a
// timeline drives forwards or backwards (play at any speed, scrub, step, reverse), and the summary of a
// drive with its deviation from a planned route. Map frame metres; angles degrees; time seconds.
#include "terrain/geometry.hpp"
#include "twin/drive_log.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace traverse::twin {

// ---- polylines ----------------------------------------------------------------------------------------

double polylineLength(const std::vector<terrain::MapPoint>& line);
// Shortest distance from a point to a polyline (to the point itself when the line has one point).
// Throws Error (InvalidArgument) for an empty line.
double distanceToPolyline(terrain::MapPoint p, const std::vector<terrain::MapPoint>& line);

// How far a path strays from a reference polyline, measured from each point of the path.
struct PathDeviation {
    double maxM = 0.0;
    double meanM = 0.0;       // weighted by length along the path (trapezoids between its points); the
                              // plain mean of its points when the path does not move
    terrain::MapPoint maxAt;  // the path's point farthest from the reference
    std::size_t maxIndex = 0;
    double endOffsetM = 0.0;  // from the path's last point to the reference's last point
};
// Throws Error (InvalidArgument) when either is empty.
PathDeviation pathDeviation(const std::vector<terrain::MapPoint>& path, const std::vector<terrain::MapPoint>& reference);

// ---- the state at a time ------------------------------------------------------------------------------

struct ReplayState {
    double timeS = 0.0;
    std::size_t sample = 0;      // the last sample at or before timeS
    double fraction = 0.0;       // 0..1 of the way to the next sample
    terrain::MapPoint position;
    double headingDeg = 0.0;     // 0..360, clockwise from north (interpolated the short way round)
    double rollDeg = 0.0, pitchDeg = 0.0, yawDeg = 0.0;
    double tiltDeg = 0.0;        // of the body from the roll and pitch: atan(sqrt(tan²roll + tan²pitch))
    std::array<double, 4> suspensionDeg{};  // rocker left, rocker right, bogie left, bogie right
    int commandIndex = 0;        // of the sample at or before timeS (commands do not blend); -1 if unusable
    // NaN when the log lacks the channel or the samples around do not report it.
    double clearanceM = 0.0, slip = 0.0, energyWh = 0.0;
};

// The state at time t (clamped to the log's first and last sample times): linear interpolation between
// the two samples around t; headings and yaw the short way round. A channel missing on one side takes
// the other side's value. Throws Error (InvalidArgument) for an empty log.
ReplayState replayStateAt(const DriveLog& log, double timeS);
// Any channel at time t, for plots that follow the timeline (NaN where it is not reported).
double channelAt(const DriveLog& log, std::size_t channel, double timeS);

// A timeline's cursor over a log: seeking, playing forwards or backwards at any speed, stepping sample by
// sample, with the events crossed on the way (for the UI to flash or list). Moving by small steps is
// O(1) per step; a jump is O(log n). The log must outlive the cursor. Not thread-safe (one per view).
class ReplayCursor {
public:
    // At the log's start. Throws Error (InvalidArgument) for an empty log.
    explicit ReplayCursor(const DriveLog& log);

    double startTime() const { return start_; }
    double endTime() const { return end_; }
    double duration() const { return end_ - start_; }
    double time() const { return state_.timeS; }
    bool atStart() const { return state_.timeS <= start_; }
    bool atEnd() const { return state_.timeS >= end_; }
    const ReplayState& state() const { return state_; }

    // Moves to time t (clamped). Returns the events crossed, in the order met. An event is in effect from
    // its time on: moving forwards crosses those with from < time <= to, backwards (in reverse order)
    // those with to < time <= from, so that playing a stretch and playing it back meet the same events.
    std::vector<const DriveEvent*> seek(double timeS);
    // Moves by dt seconds of drive time (negative: in reverse); a timeline playing at speed k advances by
    // k times the wall-clock interval.
    std::vector<const DriveEvent*> advance(double dtS) { return seek(state_.timeS + dtS); }
    // To the next sample's time after the cursor (the previous one before it); nothing at the ends.
    std::vector<const DriveEvent*> stepForward();
    std::vector<const DriveEvent*> stepBackward();

    // The trail: every sample position from the start up to the cursor, then the cursor's position.
    std::vector<terrain::MapPoint> trail() const;

private:
    std::size_t locate(double t) const;  // last sample with time <= t, searching from the hint
    void moveTo(double t);

    const DriveLog& log_;
    std::vector<double> times_;
    double start_ = 0.0, end_ = 0.0;
    ReplayState state_;
};

// ---- summary ------------------------------------------------------------------------------------------

struct SlipStatistics {
    std::size_t samples = 0;  // moving samples with a slip value
    double mean = 0.0, max = 0.0, p95 = 0.0;  // p95: nearest rank, the ceil(0.95 n)-th smallest
};

struct ReplaySummary {
    std::string name;
    std::size_t samples = 0;
    double startTimeS = 0.0, endTimeS = 0.0, durationS = 0.0;
    double distanceM = 0.0;           // length of the track (sum of the distances between samples)
    double netDisplacementM = 0.0;    // start to end, straight
    terrain::MapPoint start, end;
    double maxTiltDeg = 0.0;
    double maxTiltTimeS = 0.0;
    terrain::MapPoint maxTiltAt;
    std::optional<double> minClearanceM;  // when the log has min_belly_clearance_m
    double minClearanceTimeS = 0.0;
    terrain::MapPoint minClearanceAt;
    std::optional<SlipStatistics> slip;   // when the log has slip; over the samples where the rover
                                          // moved since the previous sample
    std::optional<double> energyWh;       // last minus first energy_wh, when the log has it
    std::array<int, 5> eventCounts{};     // by EventKind
    std::optional<PathDeviation> deviation;  // of the track from the planned route, when given one
};

// Throws Error (InvalidArgument) for an empty log or an empty planned route.
ReplaySummary summarizeDriveLog(const DriveLog& log, const std::vector<terrain::MapPoint>* plannedRoute = nullptr);
// The summary as a JSON object (numbers in SI units as named).
std::string replaySummaryJson(const ReplaySummary& summary);

}  // namespace traverse::twin
