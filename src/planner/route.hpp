#pragma once
// A route: the start pose and segments of at most `maxSegmentM` (10 m by default), each with who
// proposed it. Map frame, metres; headings degrees clockwise from north.
#include "terrain/geometry.hpp"
#include "twin/sequence.hpp"

#include <string>
#include <vector>

namespace traverse::planner {

inline constexpr double kDefaultMaxSegmentM = 10.0;

// Who proposed a segment, and how it got into the route.
struct Provenance {
    std::string source;       // "planner" (drawn by hand), "builtin", "anthropic:<model>", "openai:<model>",
                              // "replay:<dir>"
    std::string transcript;   // reference to a VLM transcript entry, when there is one
    int attempt = 1;          // which proposal of the step was accepted (1 = first)
    bool repaired = false;    // proposed by the built-in proposer to repair a rejected stretch
};

struct Segment {
    terrain::MapPoint to;     // the segment runs from the previous segment's end (or the start)
    Provenance provenance;
};

struct Route {
    twin::Pose start;
    std::vector<Segment> segments;

    terrain::MapPoint end() const { return segments.empty() ? terrain::MapPoint{start.e, start.n} : segments.back().to; }
    double lengthM() const;
    // The polyline: start, then each segment's end.
    std::vector<terrain::MapPoint> points() const;
};

}  // namespace traverse::planner
