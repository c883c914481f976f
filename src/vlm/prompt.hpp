#pragma once
// The words a model is given: a system prompt that explains the views and the task, and per step a
// text block whose lines follow docs/vlm.md ("Prompt contract").
#include "vlm/answer.hpp"

#include <string>
#include <vector>

namespace traverse::vlm {

struct StepPrompt {
    AskMode mode = AskMode::Coordinates;
    double headingDeg = 0.0;
    LocalPoint goal;               // in the request's frame
    double goalToleranceM = 1.0;
    int maxWaypoints = 3;
    double maxStepM = 10.0;
    double extentM = 80.0;
    std::vector<Candidate> candidates;
    std::vector<std::string> refusals;  // why earlier answers for this step were refused
};

std::string systemPrompt(AskMode mode, double extentM, double maxStepM);
std::string stepText(const StepPrompt& step);
// What the model is told after an answer it gave could not be used.
std::string correctionText(const std::string& reason);

}  // namespace traverse::vlm
