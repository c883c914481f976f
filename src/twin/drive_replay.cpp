#include "twin/drive_replay.hpp"

#include "terrain/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace traverse::twin {

namespace {

constexpr double kDeg = M_PI / 180.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


double lerp(double a, double b, double f) {
    if (std::isnan(a)) return b;
    if (std::isnan(b)) return a;
    return a + (b - a) * f;
}

double tiltOf(double rollDeg, double pitchDeg) {
    const double tr = std::tan(rollDeg * kDeg), tp = std::tan(pitchDeg * kDeg);
    return std::atan(std::sqrt(tr * tr + tp * tp)) / kDeg;
}

// The columns replay reads, resolved once.
struct Columns {
    std::size_t t, cmd, e, n, heading, roll, pitch, yaw;
    std::array<std::size_t, 4> suspension;
    std::optional<std::size_t> clearance, slip, energy;

    static Columns of(const DriveLog& log) {
        auto req = [&](std::string_view name) {
            const auto c = log.channel(name);
            if (!c) throw Error(Error::Kind::InvalidArgument, "the drive log has no channel '" + std::string(name) + "'");
            return *c;
        };
        return {req("time_s"),
                req("command_index"),
                req("east_m"),
                req("north_m"),
                req("heading_deg"),
                req("roll_deg"),
                req("pitch_deg"),
                req("yaw_deg"),
                {req("rocker_left_deg"), req("rocker_right_deg"), req("bogie_left_deg"), req("bogie_right_deg")},
                log.channel(kClearanceChannel),
                log.channel(kSlipChannel),
                log.channel(kEnergyChannel)};
    }
};

void requireSamples(const DriveLog& log) {
    if (log.size() == 0) throw Error(Error::Kind::InvalidArgument, "the drive log has no samples");
}

// The state between sample i and i + 1 at time t (t within [t_i, t_i+1], or i the last sample).
ReplayState interpolate(const DriveLog& log, const Columns& c, std::size_t i, double t) {
    const Telemetry& s = log.samples;
    const std::size_t j = std::min(i + 1, log.size() - 1);
    const double ti = s.at(i, c.t), tj = s.at(j, c.t);
    double f = 0.0;
    if (j != i && tj > ti) f = std::clamp((t - ti) / (tj - ti), 0.0, 1.0);
    auto v = [&](std::size_t col) { return lerp(s.at(i, col), s.at(j, col), f); };
    auto angle = [&](std::size_t col) {
        const double a = s.at(i, col), b = s.at(j, col);
        if (std::isnan(a) || std::isnan(b)) return terrain::wrapDeg(std::isnan(a) ? b : a);
        return terrain::wrapDeg(a + f * terrain::turnDeg(a, b));
    };
    ReplayState st;
    st.timeS = t;
    st.sample = i;
    st.fraction = f;
    st.position = {v(c.e), v(c.n)};
    st.headingDeg = angle(c.heading);
    st.rollDeg = v(c.roll);
    st.pitchDeg = v(c.pitch);
    st.yawDeg = angle(c.yaw);
    st.tiltDeg = (std::isnan(st.rollDeg) || std::isnan(st.pitchDeg)) ? kNaN : tiltOf(st.rollDeg, st.pitchDeg);
    for (std::size_t k = 0; k < 4; ++k) st.suspensionDeg[k] = v(c.suspension[k]);
    const double command = s.at(i, c.cmd);  // whole and in range in any validated log; guard the rest
    st.commandIndex = command >= 0.0 && command <= 2147483647.0 ? int(command) : -1;
    st.clearanceM = c.clearance ? v(*c.clearance) : kNaN;
    st.slip = c.slip ? v(*c.slip) : kNaN;
    st.energyWh = c.energy ? v(*c.energy) : kNaN;
    return st;
}

std::size_t lastAtOrBefore(const std::vector<double>& times, double t) {
    const auto it = std::upper_bound(times.begin(), times.end(), t);
    return it == times.begin() ? 0 : std::size_t(it - times.begin()) - 1;
}

}  // namespace

// ---- polylines ----------------------------------------------------------------------------------------

double polylineLength(const std::vector<terrain::MapPoint>& line) {
    double len = 0.0;
    for (std::size_t i = 1; i < line.size(); ++i) len += std::hypot(line[i].e - line[i - 1].e, line[i].n - line[i - 1].n);
    return len;
}

double distanceToPolyline(terrain::MapPoint p, const std::vector<terrain::MapPoint>& line) {
    if (line.empty()) throw Error(Error::Kind::InvalidArgument, "distance to an empty polyline");
    double best = std::hypot(p.e - line[0].e, p.n - line[0].n);
    for (std::size_t i = 1; i < line.size(); ++i) {
        const auto a = line[i - 1], b = line[i];
        const double de = b.e - a.e, dn = b.n - a.n, len2 = de * de + dn * dn;
        double u = len2 > 0.0 ? ((p.e - a.e) * de + (p.n - a.n) * dn) / len2 : 0.0;
        u = std::clamp(u, 0.0, 1.0);
        best = std::min(best, std::hypot(p.e - (a.e + u * de), p.n - (a.n + u * dn)));
    }
    return best;
}

PathDeviation pathDeviation(const std::vector<terrain::MapPoint>& path, const std::vector<terrain::MapPoint>& reference) {
    if (path.empty()) throw Error(Error::Kind::InvalidArgument, "the path to compare is empty");
    if (reference.empty()) throw Error(Error::Kind::InvalidArgument, "the reference route is empty");
    PathDeviation d;
    std::vector<double> dist(path.size());
    double plainSum = 0.0;
    for (std::size_t i = 0; i < path.size(); ++i) {
        dist[i] = distanceToPolyline(path[i], reference);
        plainSum += dist[i];
        if (i == 0 || dist[i] > d.maxM) {
            d.maxM = dist[i];
            d.maxAt = path[i];
            d.maxIndex = i;
        }
    }
    double weighted = 0.0, length = 0.0;
    for (std::size_t i = 1; i < path.size(); ++i) {
        const double s = std::hypot(path[i].e - path[i - 1].e, path[i].n - path[i - 1].n);
        weighted += 0.5 * (dist[i - 1] + dist[i]) * s;
        length += s;
    }
    d.meanM = length > 0.0 ? weighted / length : plainSum / double(path.size());
    d.endOffsetM = std::hypot(path.back().e - reference.back().e, path.back().n - reference.back().n);
    return d;
}

// ---- the state at a time ------------------------------------------------------------------------------

ReplayState replayStateAt(const DriveLog& log, double timeS) {
    requireSamples(log);
    const Columns c = Columns::of(log);
    const auto& times = log.samples.column(c.t);
    const double t = std::clamp(timeS, times.front(), times.back());
    return interpolate(log, c, lastAtOrBefore(times, t), t);
}

double channelAt(const DriveLog& log, std::size_t channel, double timeS) {
    requireSamples(log);
    if (channel >= log.samples.channelCount())
        throw Error(Error::Kind::InvalidArgument, "the drive log has no channel " + std::to_string(channel));
    const auto& times = log.samples.column(*log.channel("time_s"));
    const double t = std::clamp(timeS, times.front(), times.back());
    const std::size_t i = lastAtOrBefore(times, t);
    const std::size_t j = std::min(i + 1, log.size() - 1);
    const double f = (j != i && times[j] > times[i]) ? (t - times[i]) / (times[j] - times[i]) : 0.0;
    return lerp(log.samples.at(i, channel), log.samples.at(j, channel), f);
}

ReplayCursor::ReplayCursor(const DriveLog& log) : log_(log) {
    requireSamples(log);
    times_ = log.samples.column(Columns::of(log).t);
    start_ = times_.front();
    end_ = times_.back();
    state_ = interpolate(log_, Columns::of(log_), 0, start_);
}

std::size_t ReplayCursor::locate(double t) const {
    std::size_t i = state_.sample;
    // Playback moves a sample or two per frame: walk from the hint, search when it is a jump.
    for (int k = 0; k < 8; ++k) {
        if (times_[i] > t) {
            if (i == 0) return 0;
            --i;
        } else if (i + 1 < times_.size() && times_[i + 1] <= t) {
            ++i;
        } else {
            return i;
        }
    }
    return lastAtOrBefore(times_, t);
}

void ReplayCursor::moveTo(double t) {
    t = std::clamp(t, start_, end_);
    state_ = interpolate(log_, Columns::of(log_), locate(t), t);
}

std::vector<const DriveEvent*> ReplayCursor::seek(double timeS) {
    const double from = state_.timeS;
    moveTo(std::isnan(timeS) ? from : timeS);
    const double to = state_.timeS;
    std::vector<const DriveEvent*> crossed;
    const auto& ev = log_.events;
    // An event is in effect from its time on; moving the cursor puts the events between the two
    // times into effect (forwards) or out of it (backwards): those with min < time <= max.
    auto timeBefore = [](double t, const DriveEvent& e) { return t < e.timeS; };
    const auto lo = std::upper_bound(ev.begin(), ev.end(), std::min(from, to), timeBefore);
    const auto hi = std::upper_bound(ev.begin(), ev.end(), std::max(from, to), timeBefore);
    if (to > from)
        for (auto it = lo; it != hi; ++it) crossed.push_back(&*it);
    else
        for (auto it = hi; it != lo;) crossed.push_back(&*--it);
    return crossed;
}

std::vector<const DriveEvent*> ReplayCursor::stepForward() {
    const std::size_t i = lastAtOrBefore(times_, state_.timeS);
    if (i + 1 >= times_.size()) return {};
    return seek(times_[i + 1]);
}

std::vector<const DriveEvent*> ReplayCursor::stepBackward() {
    const auto it = std::lower_bound(times_.begin(), times_.end(), state_.timeS);
    if (it == times_.begin()) return {};
    return seek(*(it - 1));
}

std::vector<terrain::MapPoint> ReplayCursor::trail() const {
    const Columns c = Columns::of(log_);
    std::vector<terrain::MapPoint> out;
    out.reserve(state_.sample + 2);
    for (std::size_t i = 0; i <= state_.sample; ++i) out.push_back({log_.samples.at(i, c.e), log_.samples.at(i, c.n)});
    if (state_.fraction > 0.0) out.push_back(state_.position);
    return out;
}

// ---- summary ------------------------------------------------------------------------------------------

ReplaySummary summarizeDriveLog(const DriveLog& log, const std::vector<terrain::MapPoint>* plannedRoute) {
    requireSamples(log);
    const Columns c = Columns::of(log);
    const Telemetry& s = log.samples;
    const auto track = log.track();
    ReplaySummary r;
    r.name = log.info.name;
    r.samples = log.size();
    r.startTimeS = s.at(0, c.t);
    r.endTimeS = s.at(log.size() - 1, c.t);
    r.durationS = r.endTimeS - r.startTimeS;
    r.distanceM = polylineLength(track);
    r.start = track.front();
    r.end = track.back();
    r.netDisplacementM = std::hypot(r.end.e - r.start.e, r.end.n - r.start.n);

    bool haveTilt = false;
    std::vector<double> slips;
    std::optional<double> firstEnergy, lastEnergy;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const double roll = s.at(i, c.roll), pitch = s.at(i, c.pitch);
        if (!std::isnan(roll) && !std::isnan(pitch)) {
            const double tilt = tiltOf(roll, pitch);
            if (!haveTilt || tilt > r.maxTiltDeg) {
                r.maxTiltDeg = tilt;
                r.maxTiltTimeS = s.at(i, c.t);
                r.maxTiltAt = track[i];
                haveTilt = true;
            }
        }
        if (c.clearance) {
            const double cl = s.at(i, *c.clearance);
            if (!std::isnan(cl) && (!r.minClearanceM || cl < *r.minClearanceM)) {
                r.minClearanceM = cl;
                r.minClearanceTimeS = s.at(i, c.t);
                r.minClearanceAt = track[i];
            }
        }
        if (c.slip && i > 0) {
            const double sl = s.at(i, *c.slip);
            const bool moved = track[i].e != track[i - 1].e || track[i].n != track[i - 1].n;
            if (moved && !std::isnan(sl)) slips.push_back(sl);
        }
        if (c.energy) {
            const double en = s.at(i, *c.energy);
            if (!std::isnan(en)) {
                if (!firstEnergy) firstEnergy = en;
                lastEnergy = en;
            }
        }
    }
    if (c.slip) {
        SlipStatistics st;
        st.samples = slips.size();
        if (!slips.empty()) {
            double sum = 0.0;
            for (double v : slips) sum += v;
            st.mean = sum / double(slips.size());
            std::sort(slips.begin(), slips.end());
            st.max = slips.back();
            const auto rank = std::size_t(std::ceil(0.95 * double(slips.size())));
            st.p95 = slips[std::max<std::size_t>(rank, 1) - 1];
        }
        r.slip = st;
    }
    if (firstEnergy) r.energyWh = *lastEnergy - *firstEnergy;
    for (const auto& e : log.events) ++r.eventCounts[std::size_t(e.kind)];
    if (plannedRoute) {
        if (plannedRoute->empty()) throw Error(Error::Kind::InvalidArgument, "the planned route is empty");
        r.deviation = pathDeviation(track, *plannedRoute);
    }
    return r;
}

std::string replaySummaryJson(const ReplaySummary& r) {
    using Json = nlohmann::ordered_json;
    auto pt = [](terrain::MapPoint p) { return Json{{"e", p.e}, {"n", p.n}}; };
    Json j;
    j["name"] = r.name;
    j["samples"] = r.samples;
    j["start_time_s"] = r.startTimeS;
    j["end_time_s"] = r.endTimeS;
    j["duration_s"] = r.durationS;
    j["distance_m"] = r.distanceM;
    j["net_displacement_m"] = r.netDisplacementM;
    j["start"] = pt(r.start);
    j["end"] = pt(r.end);
    j["max_tilt"] = {{"deg", r.maxTiltDeg}, {"time_s", r.maxTiltTimeS}, {"at", pt(r.maxTiltAt)}};
    if (r.minClearanceM)
        j["min_belly_clearance"] = {{"m", *r.minClearanceM}, {"time_s", r.minClearanceTimeS}, {"at", pt(r.minClearanceAt)}};
    else
        j["min_belly_clearance"] = nullptr;
    if (r.slip)
        j["slip"] = {{"samples", r.slip->samples}, {"mean", r.slip->mean}, {"max", r.slip->max}, {"p95", r.slip->p95}};
    else
        j["slip"] = nullptr;
    j["energy_wh"] = r.energyWh ? Json(*r.energyWh) : Json(nullptr);
    Json events = Json::object();
    for (EventKind k : {EventKind::Fault, EventKind::Stop, EventKind::Rule, EventKind::Waypoint, EventKind::Note})
        events[std::string(eventKindName(k))] = r.eventCounts[std::size_t(k)];
    j["events"] = events;
    if (r.deviation)
        j["deviation_from_plan"] = {{"max_m", r.deviation->maxM},
                                    {"mean_m", r.deviation->meanM},
                                    {"max_at", pt(r.deviation->maxAt)},
                                    {"end_offset_m", r.deviation->endOffsetM}};
    return j.dump(2);
}

}  // namespace traverse::twin
