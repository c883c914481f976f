#include "twin/simulator.hpp"

#include "terrain/error.hpp"
#include "twin/suspension.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace traverse::twin {

namespace {

constexpr double kDeg = M_PI / 180.0;
constexpr double kMarsGravity = 3.711;  // m/s^2

using terrain::wrapDeg;

// One simulation: the state and the stepping, command by command.
class Run {
public:
    Run(const terrain::ElevationModel& dtm, const RoverConfig& rover, const SimulationOptions& o, const Perturbation& p)
        : dtm_(dtm), rover_(rover), opt_(o), pert_(p), rules_(o.limits ? *o.limits : RuleLimits::fromRover(rover)),
          wheels_(wheelPositions(rover)), site_(dtm.extent()) {}

    SimulationResult execute(const Sequence& seq) {
        // The true heading differs from the believed one by a constant error (initial attitude
        // knowledge plus any bias); turns and steering change both alike.
        headingErrorDeg_ = pert_.startHeadingOffsetDeg + pert_.headingBiasDeg;
        truePose_ = {seq.header.start.e + pert_.startOffsetE, seq.header.start.n + pert_.startOffsetN,
                     wrapDeg(seq.header.start.headingDeg + headingErrorDeg_)};
        believed_ = seq.header.start;
        if (opt_.recordTelemetry) result_.telemetry.reserve(1024);
        sample(0);
        bool running = !stopped_;
        for (std::size_t i = 0; i < seq.commands.size() && running; ++i) {
            const int idx = int(i);
            running = std::visit([&](const auto& c) { return exec(c, idx); }, seq.commands[i]);
        }
        result_.completed = running;
        result_.verdict = rules_.verdict();
        result_.endPose = truePose_;
        result_.estimatedEndPose = believed_;
        result_.distanceM = distance_;
        result_.elapsedS = time_;
        result_.energyWh = energyWh_;
        return std::move(result_);
    }

private:
    // --- commands; each returns false when the rover stopped the sequence ---
    bool exec(const StopConditions& c, int) {
        onboardMaxTiltDeg_ = c.maxTiltDeg;
        onboardMaxTimeS_ = c.maxTimeS;
        return true;
    }
    bool exec(const TurnTo& c, int idx) { return turn(terrain::turnDeg(believed_.headingDeg, c.headingDeg), idx); }
    bool exec(const TurnBy& c, int idx) { return turn(c.angleDeg, idx); }
    bool exec(const DriveStraight& c, int idx) { return drive(c.distanceM, 0.0, DriveMode::Blind, idx); }
    bool exec(const DriveArc& c, int idx) { return drive(c.lengthM, 1.0 / c.radiusM, DriveMode::Blind, idx); }
    bool exec(const GoToWaypoint& c, int idx) {
        const double t0 = time_;
        for (int n = 0; n < 10'000'000; ++n) {  // bounded: the time limit ends it long before
            const double de = c.e - believed_.e, dn = c.n - believed_.n;
            const double dist = std::hypot(de, dn);
            if (dist <= c.toleranceM) {
                result_.events.push_back({time_, idx, "waypoint reached", EventKind::Waypoint});
                return true;
            }
            if (time_ - t0 > c.timeLimitS) {
                result_.events.push_back({time_, idx, "time limit reached before the waypoint", EventKind::Fault});
                return true;
            }
            const double bearing = wrapDeg(std::atan2(de, dn) / kDeg);
            const double turnNeeded = terrain::turnDeg(believed_.headingDeg, bearing);
            if (std::abs(turnNeeded) > 10.0) {
                if (!turn(turnNeeded, idx)) return false;
                continue;
            }
            believed_.headingDeg = bearing;  // steer continuously towards the target
            truePose_.headingDeg = wrapDeg(bearing + headingErrorDeg_);
            if (!driveStep(std::min(opt_.stepM, dist), 0.0, c.mode, idx)) return false;
        }
        return true;
    }

    bool turn(double angleDeg, int idx) {
        const int steps = std::max(1, int(std::ceil(std::abs(angleDeg) / opt_.turnStepDeg)));
        const double step = angleDeg / steps;
        const double dt = std::abs(step) / rover_.turnRateDegps;
        for (int i = 0; i < steps; ++i) {
            believed_.headingDeg = wrapDeg(believed_.headingDeg + step);
            truePose_.headingDeg = wrapDeg(truePose_.headingDeg + step);
            time_ += dt;
            energyWh_ += rover_.turnPowerW * dt / 3600.0;
            if (!sample(idx)) return false;
        }
        return true;
    }

    // Drives `length` (signed) with curvature `k` (1/m, + turns clockwise) in steps.
    bool drive(double length, double k, DriveMode mode, int idx) {
        double remaining = std::abs(length);
        const double dir = length < 0.0 ? -1.0 : 1.0;
        while (remaining > 1e-9) {
            const double ds = std::min(opt_.stepM, remaining);
            const double believedBefore = odometer_;
            if (!driveStep(dir * ds, k, mode, idx)) return false;
            remaining -= (odometer_ - believedBefore);
        }
        return true;
    }

    // One step of commanded signed length ds. The rover's belief advances by what its odometry
    // measures: wheel turns in blind mode, the true motion (within VO error) otherwise.
    bool driveStep(double ds, double k, DriveMode mode, int idx) {
        const double tanPitch = std::tan(lastPitchRad_);
        const double upSlope = std::max(0.0, (ds >= 0.0 ? tanPitch : -tanPitch));
        double slip = rover_.slipBase + rover_.slipSlopeGain * upSlope +
                      rover_.slipRoughnessGain * lastRoughnessM_ / rover_.maxRoughnessM;
        slip = std::clamp(slip * pert_.slipScale, 0.0, rover_.slipMax);
        // Wheel odometry's own scale error (wheel wear, sinkage) moves the rover more or less than
        // the wheels count; visual odometry measures the motion instead.
        const double actual = ds * (1.0 - slip) * (1.0 + pert_.wheelOdometryError);
        const double dHeading = (ds * k) / kDeg;  // steering turns the rover by the commanded arc
        auto advance = [](Pose& p, double len, double dh) {
            const double mid = (p.headingDeg + dh / 2.0) * kDeg;
            p.e += len * std::sin(mid);
            p.n += len * std::cos(mid);
            p.headingDeg = wrapDeg(p.headingDeg + dh);
        };
        advance(truePose_, actual, dHeading);
        const double measured = mode == DriveMode::Blind ? ds : actual * (1.0 + rover_.voOdometryErrorFraction);
        advance(believed_, measured, dHeading);
        odometer_ += std::abs(measured);
        const double dt = std::abs(ds) / rover_.topSpeedMps;
        const double v = std::abs(actual) / dt;
        const double climb = std::max(0.0, rover_.massKg * kMarsGravity * v * (ds >= 0.0 ? tanPitch : -tanPitch) /
                                               std::sqrt(1.0 + tanPitch * tanPitch)) / rover_.mobilityEfficiency;
        time_ += dt;
        energyWh_ += (rover_.drivePowerW + climb) * dt / 3600.0;
        distance_ += std::abs(actual);
        lastSlip_ = slip;
        result_.maxSlip = std::max(result_.maxSlip, slip);
        return sample(idx);
    }

    // --- sampling the terrain, the suspension, the rules and the telemetry at the true pose ---
    bool sample(int idx) {
        if (opt_.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "simulation cancelled");
        const double h = truePose_.headingDeg * kDeg;
        const double fe = std::sin(h), fn = std::cos(h);  // forward
        const double le = -fn, ln = fe;                    // left
        auto world = [&](double x, double y) {
            return terrain::MapPoint{truePose_.e + x * fe + y * le, truePose_.n + x * fn + y * ln};
        };
        StepState st;
        st.commandIndex = idx;
        st.e = truePose_.e;
        st.n = truePose_.n;
        const double r = rover_.wheelDiameterM / 2.0, hw = rover_.wheelWidthM / 2.0;
        std::array<double, kWheelCount> contact{};
        double maxStep = 0.0;
        const double offsets[5][2] = {{0, 0}, {r, 0}, {-r, 0}, {0, hw}, {0, -hw}};
        double fallback = std::numeric_limits<double>::quiet_NaN();
        for (int w = 0; w < kWheelCount; ++w) {
            double hi = -std::numeric_limits<double>::infinity(), lo = std::numeric_limits<double>::infinity();
            for (const auto& o : offsets) {
                const auto z = dtm_.heightAt(world(wheels_[std::size_t(w)][0] + o[0], wheels_[std::size_t(w)][1] + o[1]));
                if (!z) {
                    st.noData = true;
                    continue;
                }
                hi = std::max(hi, *z);
                lo = std::min(lo, *z);
            }
            contact[std::size_t(w)] = hi;
            if (hi > lo) maxStep = std::max(maxStep, hi - lo);
            if (std::isfinite(hi)) fallback = hi;
        }
        if (st.noData) {
            // Settle on what is known: unknown wheels take a known wheel's height.
            for (auto& c : contact)
                if (!std::isfinite(c)) c = std::isfinite(fallback) ? fallback : 0.0;
        }
        const SuspensionState s = settle(rover_, contact);
        const double tanP = std::tan(s.pitchRad), tanR = std::tan(s.rollRad);
        double clearance = std::numeric_limits<double>::infinity();
        for (int i = -1; i <= 1; ++i)
            for (int j = -1; j <= 1; ++j) {
                const double x = i * rover_.bellyLengthM / 2.0, y = j * rover_.bellyWidthM / 2.0;
                const auto z = dtm_.heightAt(world(x, y));
                if (!z) {
                    st.noData = true;
                    continue;
                }
                clearance = std::min(clearance, s.bodyZ + rover_.bellyClearanceM + x * tanP + y * tanR - *z);
            }
        if (!std::isfinite(clearance)) clearance = 0.0;
        // Roughness felt by the wheels: RMS of contacts about the body plane (for the slip model).
        double rss = 0.0;
        for (int w = 0; w < kWheelCount; ++w) {
            const double plane = s.bodyZ + wheels_[std::size_t(w)][0] * tanP + wheels_[std::size_t(w)][1] * tanR;
            rss += (contact[std::size_t(w)] - plane) * (contact[std::size_t(w)] - plane);
        }
        lastRoughnessM_ = std::sqrt(rss / double(int(kWheelCount)));
        lastPitchRad_ = s.pitchRad;

        st.timeS = time_;
        st.energyWh = energyWh_;
        st.tiltDeg = std::atan(std::sqrt(tanP * tanP + tanR * tanR)) / kDeg;
        st.rockerDeg[0] = s.rockerRad[0] / kDeg;
        st.rockerDeg[1] = s.rockerRad[1] / kDeg;
        st.bogieDeg[0] = s.bogieRad[0] / kDeg;
        st.bogieDeg[1] = s.bogieRad[1] / kDeg;
        st.minBellyClearanceM = clearance;
        st.maxWheelStepM = maxStep;
        st.outsideSite = !site_.contains({truePose_.e, truePose_.n});
        if (!opt_.zones.empty()) {
            const terrain::MapPoint corners[5] = {
                world(0, 0),
                world(rover_.bodyLengthM / 2, rover_.bodyWidthM / 2),
                world(rover_.bodyLengthM / 2, -rover_.bodyWidthM / 2),
                world(-rover_.bodyLengthM / 2, rover_.bodyWidthM / 2),
                world(-rover_.bodyLengthM / 2, -rover_.bodyWidthM / 2)};
            for (const auto& z : opt_.zones)
                for (const auto& p : corners) {
                    const bool in = insidePolygon(z.polygon, p);
                    if (z.keepIn && !in) st.outsideKeepIn = true;
                    if (!z.keepIn && in) st.inKeepOut = true;
                }
        }
        rules_.check(st);
        result_.maxTiltDeg = std::max(result_.maxTiltDeg, st.tiltDeg);
        result_.minBellyClearanceM =
            first_ ? clearance : std::min(result_.minBellyClearanceM, clearance);
        first_ = false;

        if (opt_.recordTelemetry) {
            double row[kChannelCount];
            row[kTimeS] = time_;
            row[kCommandIndex] = idx;
            row[kEastM] = truePose_.e;
            row[kNorthM] = truePose_.n;
            row[kHeadingDeg] = truePose_.headingDeg;
            row[kRollDeg] = s.rollRad / kDeg;
            row[kPitchDeg] = s.pitchRad / kDeg;
            row[kYawDeg] = truePose_.headingDeg;
            row[kBodyZM] = s.bodyZ;
            row[kRockerLeftDeg] = st.rockerDeg[0];
            row[kRockerRightDeg] = st.rockerDeg[1];
            row[kBogieLeftDeg] = st.bogieDeg[0];
            row[kBogieRightDeg] = st.bogieDeg[1];
            for (int w = 0; w < kWheelCount; ++w) {
                row[kContactLfM + w] = contact[std::size_t(w)];
                row[kLoadLf + w] = s.loadShare[std::size_t(w)];
            }
            row[kMinBellyClearanceM] = clearance;
            row[kMaxWheelStepM] = maxStep;
            row[kSlip] = lastSlip_;
            row[kOdometryErrorM] = std::hypot(believed_.e - truePose_.e, believed_.n - truePose_.n);
            row[kEstimatedEastM] = believed_.e;
            row[kEstimatedNorthM] = believed_.n;
            row[kDistanceM] = distance_;
            row[kEnergyWh] = energyWh_;
            result_.telemetry.append(row);
        }

        // The rover's own fault protection.
        if (st.tiltDeg > onboardMaxTiltDeg_) {
            result_.events.push_back(
                {time_, idx, "rover stopped: tilt " + std::to_string(st.tiltDeg) + " deg above its stop limit",
                 EventKind::Stop});
            stopped_ = true;
        } else if (time_ > onboardMaxTimeS_) {
            result_.events.push_back({time_, idx, "rover stopped: drive time above its stop limit", EventKind::Stop});
            stopped_ = true;
        }
        return !stopped_;
    }

    const terrain::ElevationModel& dtm_;
    const RoverConfig& rover_;
    const SimulationOptions& opt_;
    const Perturbation& pert_;
    FlightRuleChecker rules_;
    std::array<std::array<double, 2>, kWheelCount> wheels_;
    terrain::MapExtent site_;
    SimulationResult result_;
    Pose truePose_, believed_;
    double time_ = 0.0, energyWh_ = 0.0, distance_ = 0.0, odometer_ = 0.0;
    double lastPitchRad_ = 0.0, lastRoughnessM_ = 0.0, lastSlip_ = 0.0, headingErrorDeg_ = 0.0;
    double onboardMaxTiltDeg_ = std::numeric_limits<double>::infinity();
    double onboardMaxTimeS_ = std::numeric_limits<double>::infinity();
    bool stopped_ = false, first_ = true;
};

}  // namespace

terrain::MapExtent reachableArea(const Sequence& seq, double marginM) {
    // Every command moves the rover at most its length (or, for a go-to, to within its tolerance of
    // the target along a path no longer than the way there from anywhere reached so far).
    const Pose s = seq.header.start;
    double reach = 0.0;
    for (const auto& c : seq.commands) {
        if (const auto* d = std::get_if<DriveStraight>(&c)) reach += std::abs(d->distanceM);
        if (const auto* a = std::get_if<DriveArc>(&c)) reach += std::abs(a->lengthM);
        if (const auto* g = std::get_if<GoToWaypoint>(&c))
            reach = std::max(reach, std::hypot(g->e - s.e, g->n - s.n) + g->toleranceM);
    }
    reach = reach * 1.2 + marginM;  // slip and odometry error never add more than a fifth
    return {s.e - reach, s.n - reach, s.e + reach, s.n + reach};
}

SimulationResult simulate(const terrain::ElevationModel& dtm, const RoverConfig& rover, const Sequence& sequence,
                          const SimulationOptions& options, const Perturbation& perturbation) {
    if (!(options.stepM > 0.0 && options.stepM <= 0.05))
        throw Error(Error::Kind::InvalidArgument, "simulation step must be in (0, 0.05] m");
    if (!(options.turnStepDeg > 0.0 && options.turnStepDeg <= 10.0))
        throw Error(Error::Kind::InvalidArgument, "turn step must be in (0, 10] degrees");
    validateSequence(sequence, sequence.header.name);
    return Run(dtm, rover, options, perturbation).execute(sequence);
}

}  // namespace traverse::twin
