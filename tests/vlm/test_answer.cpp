// Strict parsing of a model's answer and the prompt contract (docs/vlm.md).
#include "vlm/answer.hpp"
#include "vlm/prompt.hpp"

#include <catch2/catch.hpp>

using namespace traverse;
using namespace traverse::vlm;

namespace {

AnswerLimits coordinateLimits() {
    AnswerLimits l;
    l.mode = AskMode::Coordinates;
    l.frame.origin = {1000.0, 2000.0};
    l.windowHalfM = 40.0;
    l.site = {900.0, 1900.0, 1100.0, 2100.0};
    l.maxStepM = 10.0;
    l.maxWaypoints = 3;
    return l;
}

std::string refusal(std::string_view json, const AnswerLimits& l) {
    try {
        parseAnswer(json, l);
    } catch (const AnswerError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("JSON is found in a model's text: bare, fenced, or wrapped in prose") {
    CHECK(extractJsonObject(R"({"a": 1})") == R"({"a": 1})");
    CHECK(extractJsonObject("  \n{\"a\": 1}\n ") == R"({"a": 1})");
    CHECK(extractJsonObject("```json\n{\"waypoints\": []}\n```") == R"({"waypoints": []})");
    CHECK(extractJsonObject("Here you go:\n```\n{\"b\": 2}\n```\nthanks") == R"({"b": 2})");
    CHECK(extractJsonObject("Sure! Here is the plan:\n{\"c\": \"a } brace\"}\nHope that helps.") ==
          R"({"c": "a } brace"})");
    // A brace in prose before the JSON is skipped.
    CHECK(extractJsonObject("use {curly} words, then {\"d\": [1, {\"e\": 2}]}") == R"({"d": [1, {"e": 2}]})");
    CHECK_FALSE(extractJsonObject("I think the rover should go north-east around the crater."));
    CHECK_FALSE(extractJsonObject("{\"east\": NaN}"));
    CHECK_FALSE(extractJsonObject("[1, 2]"));
}

TEST_CASE("a coordinates answer becomes map waypoints when every rule holds") {
    const auto l = coordinateLimits();
    const ParsedAnswer a =
        parseAnswer(R"({"waypoints": [{"east": 6, "north": 8}, {"east": 12, "north": 16}], "reasoning": "flat"})", l);
    REQUIRE(a.waypoints.size() == 2);
    CHECK(a.waypoints[0].e == Approx(1006.0));
    CHECK(a.waypoints[0].n == Approx(2008.0));
    CHECK(a.waypoints[1].e == Approx(1012.0));
    CHECK(a.waypoints[1].n == Approx(2016.0));
    CHECK(a.reasoning == "flat");
    // Exactly 10 m is allowed.
    CHECK_NOTHROW(parseAnswer(R"({"waypoints": [{"east": 0, "north": 10}]})", l));
}

TEST_CASE("unusable coordinate answers are refused with a reason a model can act on") {
    const auto l = coordinateLimits();
    CHECK(refusal("{\"waypoints\": [{\"east\": NaN, \"north\": 1}]}", l).find("not valid JSON") != std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": 1e999, "north": 1}]})", l).find("not valid JSON") != std::string::npos);
    CHECK(refusal(R"([1, 2])", l).find("JSON object") != std::string::npos);
    CHECK(refusal(R"({"points": []})", l).find("unexpected field \"points\"") != std::string::npos);
    CHECK(refusal(R"({"waypoints": []})", l).find("empty") != std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": "3", "north": 1}]})", l).find("\"east\" is not a number") !=
          std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": 3}]})", l).find("lacks \"north\"") != std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": 3, "north": 1, "up": 2}]})", l).find("unexpected field \"up\"") !=
          std::string::npos);
    // 30 m away: over the step limit, with the distance and the limit named.
    const std::string far = refusal(R"({"waypoints": [{"east": 30, "north": 0}]})", l);
    CHECK(far.find("30.00 m from the rover") != std::string::npos);
    CHECK(far.find("at most 10.00 m") != std::string::npos);
    // The second step measured from the first waypoint, not from the rover.
    CHECK(refusal(R"({"waypoints": [{"east": 9, "north": 0}, {"east": 9, "north": 11}]})", l)
              .find("11.00 m from waypoint 1") != std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": 5000, "north": 0}]})", l).find("outside the view") != std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": 0, "north": 0}]})", l).find("does not move") != std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": 1, "north": 0}, {"east": 2, "north": 0}, {"east": 3, "north": 0},
                      {"east": 4, "north": 0}]})",
                  l)
              .find("at most 3") != std::string::npos);
    // Inside the window but off the site's edge.
    AnswerLimits edge = l;
    edge.site = {995.0, 1900.0, 1100.0, 2100.0};
    CHECK(refusal(R"({"waypoints": [{"east": -8, "north": 0}]})", edge).find("outside the site") != std::string::npos);
    CHECK(refusal(R"({"waypoints": [{"east": 1, "north": 0}], "reasoning": 3})", l).find("reasoning") !=
          std::string::npos);
}

TEST_CASE("a candidates answer must name a candidate that was offered") {
    AnswerLimits l = coordinateLimits();
    l.mode = AskMode::Candidates;
    l.candidates = {{1, {0.0, 9.5}, {1000.0, 2009.5}}, {3, {9.5, 0.0}, {1009.5, 2000.0}}};
    const ParsedAnswer a = parseAnswer(R"({"candidate": 3, "reasoning": "east is smooth"})", l);
    CHECK(a.candidate == 3);
    REQUIRE(a.waypoints.size() == 1);
    CHECK(a.waypoints[0].e == Approx(1009.5));
    const std::string missing = refusal(R"({"candidate": 2})", l);
    CHECK(missing.find("no candidate 2") != std::string::npos);
    CHECK(missing.find("1, 3") != std::string::npos);
    CHECK(refusal(R"({"candidate": 1.5})", l).find("\"candidate\"") != std::string::npos);
    CHECK(refusal(R"({"candidate": "1"})", l).find("\"candidate\"") != std::string::npos);
}

TEST_CASE("the step prompt follows the documented contract") {
    StepPrompt p;
    p.mode = AskMode::Coordinates;
    p.headingDeg = 37.0;
    p.goal = {123.4, -56.7};
    p.maxWaypoints = 3;
    p.maxStepM = 10.0;
    p.refusals = {"waypoint 1 refused: fail: step 0.62 m > 0.40"};
    const std::string t = stepText(p);
    CHECK(t.find("Mode: coordinates\n") == 0);
    CHECK(t.find("Rover heading: 37.0 deg (clockwise from north)\n") != std::string::npos);
    CHECK(t.find("Goal: 123.4 m east, -56.7 m north of the rover (distance 135.8 m, bearing 114.7 deg)\n") !=
          std::string::npos);
    CHECK(t.find("View: 80.0 m square centred on the rover; every point within 40.0 m east and north of it\n") !=
          std::string::npos);
    CHECK(t.find("Waypoints: up to 3, each at most 10.0 m from the one before (the first from the rover)\n") !=
          std::string::npos);
    CHECK(t.find("Refused earlier for this step:\n- waypoint 1 refused: fail: step 0.62 m > 0.40\n") !=
          std::string::npos);

    p.mode = AskMode::Candidates;
    p.refusals.clear();
    p.candidates = {{1, {9.5, 0.0}, {}}, {2, {6.72, -6.72}, {}}};
    const std::string c = stepText(p);
    CHECK(c.find("Mode: candidates\n") == 0);
    CHECK(c.find("Waypoints:") == std::string::npos);
    CHECK(c.find("Candidate 1: 9.5 m east, 0.0 m north\nCandidate 2: 6.7 m east, -6.7 m north\n") != std::string::npos);
    CHECK(c.find("Refused earlier") == std::string::npos);
}
