#include "args.hpp"
#include "commands.hpp"
#include "planner/plan.hpp"
#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"
#include "twin/drive_log.hpp"
#include "twin/drive_replay.hpp"
#include "twin/published_traverse.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace traverse::cli {

namespace {

constexpr const char* kReplayUsage =
    "usage: traverse replay LOG [--plan PLAN.json] (--summary | --at T | --every S) [options]\n"
    "\n"
    "Plays back a drive log (docs/drive-log.md): the telemetry of a past drive, real or simulated\n"
    "('traverse simulate' writes one as drive_log.csv). A malformed log is refused with the file and\n"
    "the line; --lenient loads the valid lines and lists the others.\n"
    "\n"
    "options:\n"
    "  --summary           distance, duration, max tilt, min belly clearance, slip (mean, max, 95th\n"
    "                      percentile over the samples where the rover moved), energy, events, and with\n"
    "                      --plan the deviation of the path from the planned route (max, mean along\n"
    "                      the path, end offset)\n"
    "  --plan PLAN.json    the planned route to compare with (a plan document)\n"
    "  --at T              the rover's state at T seconds, interpolated between samples\n"
    "  --every S           a table of the state every S seconds, with the events as they are passed\n"
    "  --reverse           with --every: from the end backwards\n"
    "  --lenient           skip malformed lines (listed) instead of refusing the log\n"
    "  --json FILE         write the summary as JSON\n"
    "  --geojson FILE      write the track as a published traverse: GeoJSON in longitude/latitude with\n"
    "                      the log's sol, site and drive (needs the log's map CRS, or --dtm)\n"
    "  --dtm FILE          the DTM whose CRS the log's positions are in, for --geojson\n"
    "  --write-log FILE    write the log again (with --lenient: its valid lines only)\n"
    "  --spacing M         with --write-log or --geojson: a sample every M metres of track (default:\n"
    "                      every sample for --write-log, 0.5 m for --geojson)\n"
    "  --name NAME, --sol N, --site N, --drive N\n"
    "                      label the drive (the rover motion counter) in what is written and shown,\n"
    "                      e.g. to publish a simulated drive as the sol it stands for\n"
    "  --help              this text\n";

std::string orDash(const std::optional<int>& v) { return v ? std::to_string(*v) : "-"; }

void printSummary(const std::string& logPath, const twin::DriveLog& log, const twin::ReplaySummary& s,
                  const std::string& planPath) {
    std::printf("drive log   %s: \"%s\" (sol %s, site %s, drive %s), %zu samples\n", logPath.c_str(), s.name.c_str(),
                orDash(log.info.sol).c_str(), orDash(log.info.site).c_str(), orDash(log.info.drive).c_str(), s.samples);
    std::printf("duration    %.1f s (%.1f .. %.1f)\n", s.durationS, s.startTimeS, s.endTimeS);
    std::printf("distance    %.2f m (net %.2f m, from E %.2f N %.2f to E %.2f N %.2f)\n", s.distanceM,
                s.netDisplacementM, s.start.e, s.start.n, s.end.e, s.end.n);
    std::printf("max tilt    %.2f deg at %.1f s (E %.2f N %.2f)\n", s.maxTiltDeg, s.maxTiltTimeS, s.maxTiltAt.e,
                s.maxTiltAt.n);
    if (s.minClearanceM)
        std::printf("min belly clearance %.3f m at %.1f s (E %.2f N %.2f)\n", *s.minClearanceM, s.minClearanceTimeS,
                    s.minClearanceAt.e, s.minClearanceAt.n);
    else
        std::printf("min belly clearance not in the log\n");
    if (s.slip && s.slip->samples)
        std::printf("slip        mean %.3f, max %.3f, p95 %.3f (over %zu moving samples)\n", s.slip->mean, s.slip->max,
                    s.slip->p95, s.slip->samples);
    else
        std::printf("slip        %s\n", s.slip ? "no moving samples" : "not in the log");
    if (s.energyWh) std::printf("energy      %.2f Wh\n", *s.energyWh);
    std::printf("events      ");
    bool first = true;
    for (auto k : {twin::EventKind::Fault, twin::EventKind::Stop, twin::EventKind::Rule, twin::EventKind::Waypoint,
                   twin::EventKind::Note}) {
        std::printf("%s%d %s", first ? "" : ", ", s.eventCounts[std::size_t(k)], std::string(twin::eventKindName(k)).c_str());
        first = false;
    }
    std::printf("\n");
    for (const auto& e : log.events)
        if (e.kind != twin::EventKind::Waypoint)
            std::printf("  %s at %.1f s%s: %s\n", std::string(twin::eventKindName(e.kind)).c_str(), e.timeS,
                        e.commandIndex ? (", command " + std::to_string(*e.commandIndex)).c_str() : "", e.text.c_str());
    if (s.deviation)
        std::printf("deviation from the plan %s: max %.2f m (at E %.2f N %.2f), mean %.2f m, ends %.2f m from the "
                    "plan's end\n",
                    planPath.c_str(), s.deviation->maxM, s.deviation->maxAt.e, s.deviation->maxAt.n, s.deviation->meanM,
                    s.deviation->endOffsetM);
}

void printStateHeader() {
    std::printf("%9s %11s %12s %7s %6s %6s %6s %7s %6s %4s\n", "time_s", "east_m", "north_m", "head", "roll", "pitch",
                "tilt", "clear_m", "slip", "cmd");
}

std::string value(double v, const char* f) {
    if (std::isnan(v)) return "-";
    char b[32];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

void printState(const twin::ReplayState& st) {
    std::printf("%9.2f %11.2f %12.2f %7.1f %6.2f %6.2f %6.2f %7s %6s %4d\n", st.timeS, st.position.e, st.position.n,
                st.headingDeg, st.rollDeg, st.pitchDeg, st.tiltDeg, value(st.clearanceM, "%.3f").c_str(),
                value(st.slip, "%.3f").c_str(), st.commandIndex);
}

void printEvents(const std::vector<const twin::DriveEvent*>& events, bool reverse) {
    for (const auto* e : events)
        std::printf("# %s %s at %.2f s: %s\n", reverse ? "back past" : "event", std::string(twin::eventKindName(e->kind)).c_str(),
                    e->timeS, e->text.c_str());
}

}  // namespace

int runReplay(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2,
                             {"plan", "at", "every", "json", "geojson", "dtm", "write-log", "spacing", "name", "sol",
                              "site", "drive"},
                             {"help", "summary", "reverse", "lenient"});
    if (a.has("help")) {
        std::fputs(kReplayUsage, stdout);
        return 0;
    }
    if (a.positional.size() != 1) throw UsageError(a.positional.empty() ? "give a drive log" : "give one drive log");
    const bool any = a.has("summary") || a.has("at") || a.has("every") || a.has("json") || a.has("geojson") ||
                     a.has("write-log");
    if (!any) throw UsageError("give --summary, --at T, --every S, --json, --geojson or --write-log");
    if (a.has("reverse") && !a.has("every")) throw UsageError("--reverse goes with --every");
    if (a.has("dtm") && !a.has("geojson")) throw UsageError("--dtm goes with --geojson");
    if (a.has("spacing") && !a.has("write-log") && !a.has("geojson")) throw UsageError("--spacing goes with --write-log or --geojson");
    const auto at = a.number("at");
    const auto every = a.number("every");
    if (every && !(*every > 0.0)) throw UsageError("--every needs a positive number of seconds");
    const auto spacing = a.number("spacing");
    if (spacing && !(*spacing > 0.0)) throw UsageError("--spacing needs a positive number of metres");

    const std::string logPath = a.positional[0];
    twin::DriveLogReadResult read =
        twin::readDriveLog(logPath, a.has("lenient") ? twin::ReadMode::Lenient : twin::ReadMode::Strict);
    if (auto v = a.value("name")) read.log.info.name = *v;
    for (const char* key : {"sol", "site", "drive"})
        if (auto v = a.number(key)) {
            if (!(*v >= 0 && *v <= 2147483647.0 && *v == std::floor(*v)))
                throw UsageError(std::string("--") + key + " needs a whole number from 0");
            (key[1] == 'o' ? read.log.info.sol : key[1] == 'i' ? read.log.info.site : read.log.info.drive) = int(*v);
        }
    const twin::DriveLog& log = read.log;
    if (!read.badLines.empty()) {
        std::printf("%s: %zu malformed line%s skipped (--lenient):\n", logPath.c_str(), read.badLines.size(),
                    read.badLines.size() == 1 ? "" : "s");
        for (std::size_t i = 0; i < read.badLines.size() && i < 20; ++i)
            std::printf("  line %d: %s\n", read.badLines[i].line, read.badLines[i].reason.c_str());
        if (read.badLines.size() > 20) std::printf("  ... and %zu more\n", read.badLines.size() - 20);
    }

    std::optional<std::vector<terrain::MapPoint>> planned;
    const std::string planPath = a.value("plan").value_or("");
    if (!planPath.empty()) {
        planner::LoadOptions lo;
        lo.checkTerrainExists = false;  // the route is all replay needs
        const planner::Plan plan = planner::loadPlan(planPath, lo);
        if (plan.route.segments.empty()) throw Error(Error::Kind::InvalidArgument, planPath + ": the plan has no route");
        planned = plan.route.points();
    }

    if (a.has("summary") || a.has("json")) {
        const twin::ReplaySummary s = twin::summarizeDriveLog(log, planned ? &*planned : nullptr);
        if (a.has("summary")) printSummary(logPath, log, s, planPath);
        if (auto j = a.value("json")) {
            traverse::writeFileAtomically(*j, twin::replaySummaryJson(s) + "\n");
            std::printf("wrote %s\n", j->c_str());
        }
    }
    if (at) {
        printStateHeader();
        printState(twin::replayStateAt(log, *at));
    }
    if (every) {
        twin::ReplayCursor cursor(log);
        const bool reverse = a.has("reverse");
        if (reverse) cursor.seek(cursor.endTime());
        printStateHeader();
        printState(cursor.state());
        while (reverse ? !cursor.atStart() : !cursor.atEnd()) {
            const auto crossed = cursor.advance(reverse ? -*every : *every);
            printEvents(crossed, reverse);
            printState(cursor.state());
        }
    }
    if (auto g = a.value("geojson")) {
        std::string crs = log.info.mapCrs;
        if (auto dtm = a.value("dtm")) crs = terrain::Raster::open(*dtm).info().crsWkt;
        traverse::writeFileAtomically(*g, twin::driveLogToGeoJson(log, crs, spacing.value_or(0.5)));
        std::printf("wrote %s\n", g->c_str());
    }
    if (auto w = a.value("write-log")) {
        twin::writeDriveLog(spacing ? twin::thinDriveLog(log, *spacing) : log, *w);
        std::printf("wrote %s\n", w->c_str());
    }
    return 0;
}

}  // namespace traverse::cli
