#pragma once
// What a model says is parsed strictly before anything else sees it: the schema, finite numbers,
// every point inside the view's window and the site, each step at most the maximum segment length,
// candidate numbers that were offered. A failure is an AnswerError whose message is what the model is
// told when it is asked again.
#include "terrain/geometry.hpp"
#include "vlm/view_renderer.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::vlm {

enum class AskMode { Coordinates, Candidates };
std::string_view askModeName(AskMode mode);  // "coordinates", "candidates"

class AnswerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct AnswerLimits {
    AskMode mode = AskMode::Coordinates;
    LocalFrame frame;                 // the request's rover-centred frame
    double windowHalfM = 40.0;        // |east| and |north| at most this
    terrain::MapExtent site;          // every point inside
    double maxStepM = 10.0;           // from the rover to the first waypoint, and between waypoints
    int maxWaypoints = 3;
    std::vector<Candidate> candidates;  // candidates mode: the ones offered
};

struct ParsedAnswer {
    std::vector<LocalPoint> local;          // in the request's frame
    std::vector<terrain::MapPoint> waypoints;  // the same, map frame
    int candidate = 0;                      // candidates mode: the number chosen
    std::string reasoning;
};

// The JSON object in a model's text: the whole text when it is JSON, else the content of a ```json
// (or bare ```) fence, else the first balanced {...} that parses as JSON. nullopt when there is none.
std::optional<std::string> extractJsonObject(std::string_view text);

// Parses `jsonText` (the tool input or the extracted JSON) against `limits`. Throws AnswerError with
// a reason a model can act on.
ParsedAnswer parseAnswer(std::string_view jsonText, const AnswerLimits& limits);

// The JSON Schema of an answer (for a tool's input_schema or a json_schema response_format), and the
// tool's name and description.
std::string answerSchema(AskMode mode, int maxWaypoints);
std::string_view answerToolName(AskMode mode);
std::string_view answerToolDescription(AskMode mode);

}  // namespace traverse::vlm
