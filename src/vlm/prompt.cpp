#include "vlm/prompt.hpp"

#include <cmath>
#include <cstdio>

namespace traverse::vlm {

namespace {

std::string f1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return std::string(buf) == "-0.0" ? "0.0" : buf;
}

}  // namespace

std::string systemPrompt(AskMode mode, double extentM, double maxStepM) {
    std::string s =
        "You are a Mars rover driver planning a drive across terrain seen from orbit (HiRISE "
        "orthoimage and elevation model). You see two views of the same square window, " + f1(extentM) +
        " m on a side, centred on the rover:\n"
        "1. the orthoimage, with a metric grid in metres of a rover-centred frame (east to the right, "
        "north up), a scale bar and a north arrow; the rover's footprint and heading; the goal (or an "
        "arrow at the edge with its distance and bearing when it is outside the window); the route so "
        "far; keep-out zones in red;\n"
        "2. the same window as a hazard map over a hillshade: slope from green (flat) to red (at or "
        "above the rover's tilt limit), magenta cells are hard hazards (steps or rocks too high), dark "
        "blue is unknown terrain, dark grey is outside the site.\n"
        "Drive toward the goal while keeping well away from red, magenta, dark blue and dark grey "
        "areas, crater rims and keep-out zones. Prefer smooth, gentle ground even if the route is "
        "longer. Every answer is checked for slope, tilt, clearance, steps and keep-outs before the "
        "rover drives it; a refused answer comes back to you with the reason.\n";
    if (mode == AskMode::Coordinates)
        s += "Answer with the tool: waypoints in metres east and north of the rover (the grid's frame; "
             "every waypoint relative to the rover, not to the previous waypoint), each at most " +
             f1(maxStepM) + " m from the one before (the first from the rover).\n";
    else
        s += "Numbered markers on the first view show places about one step away that the rover can "
             "reach. Answer with the tool: the number of the marker to drive to next.\n";
    return s;
}

std::string stepText(const StepPrompt& p) {
    const double dist = std::hypot(p.goal.east, p.goal.north);
    double bearing = std::atan2(p.goal.east, p.goal.north) * 180.0 / M_PI;
    if (bearing < 0) bearing += 360.0;
    std::string s = "Mode: " + std::string(askModeName(p.mode)) + "\n";
    s += "Rover heading: " + f1(p.headingDeg) + " deg (clockwise from north)\n";
    s += "Goal: " + f1(p.goal.east) + " m east, " + f1(p.goal.north) + " m north of the rover (distance " + f1(dist) +
         " m, bearing " + f1(bearing) + " deg)\n";
    s += "View: " + f1(p.extentM) + " m square centred on the rover; every point within " + f1(0.5 * p.extentM) +
         " m east and north of it\n";
    if (p.mode == AskMode::Coordinates)
        s += "Waypoints: up to " + std::to_string(p.maxWaypoints) + ", each at most " + f1(p.maxStepM) +
             " m from the one before (the first from the rover)\n";
    else
        for (const auto& c : p.candidates)
            s += "Candidate " + std::to_string(c.number) + ": " + f1(c.local.east) + " m east, " + f1(c.local.north) +
                 " m north\n";
    if (!p.refusals.empty()) {
        s += "Refused earlier for this step:\n";
        for (const auto& r : p.refusals) s += "- " + r + "\n";
    }
    s += "The goal counts as reached within " + f1(p.goalToleranceM) + " m. ";
    s += p.mode == AskMode::Coordinates ? "Propose the next waypoints." : "Choose the next marker.";
    return s + "\n";
}

std::string correctionText(const std::string& reason) {
    return "That answer could not be used: " + reason + ". Answer again with the tool, following the rules.";
}

}  // namespace traverse::vlm
