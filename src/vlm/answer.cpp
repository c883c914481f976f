#include "vlm/answer.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace traverse::vlm {

namespace {

using nlohmann::json;

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::optional<json> parseJson(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

void onlyKeys(const json& obj, std::initializer_list<const char*> keys, const std::string& where) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool known = false;
        for (const char* k : keys) known = known || it.key() == k;
        if (!known) throw AnswerError(where + " has an unexpected field \"" + it.key() + "\"");
    }
}

double number(const json& obj, const char* key, const std::string& where) {
    const auto it = obj.find(key);
    if (it == obj.end()) throw AnswerError(where + " lacks \"" + key + "\"");
    if (!it->is_number()) throw AnswerError(where + " \"" + key + "\" is not a number");
    const double v = it->get<double>();
    if (!std::isfinite(v)) throw AnswerError(where + " \"" + key + "\" is not a finite number");
    return v;
}

}  // namespace

std::string_view askModeName(AskMode mode) { return mode == AskMode::Coordinates ? "coordinates" : "candidates"; }

std::optional<std::string> extractJsonObject(std::string_view text) {
    auto isObject = [](std::string_view t) {
        auto j = parseJson(t);
        return j && j->is_object();
    };
    auto trim = [](std::string_view t) {
        const auto b = t.find_first_not_of(" \t\r\n");
        if (b == std::string_view::npos) return std::string_view();
        return t.substr(b, t.find_last_not_of(" \t\r\n") - b + 1);
    };
    if (isObject(trim(text))) return std::string(trim(text));
    // A code fence: ```json ... ``` or ``` ... ```
    for (std::size_t f = text.find("```"); f != std::string_view::npos; f = text.find("```", f + 3)) {
        std::size_t body = text.find('\n', f);
        if (body == std::string_view::npos) break;
        const std::size_t close = text.find("```", body);
        if (close == std::string_view::npos) break;
        const auto inner = trim(text.substr(body + 1, close - body - 1));
        if (isObject(inner)) return std::string(inner);
        f = close;
    }
    // The first balanced {...} that parses (braces inside strings respected).
    for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
        int depth = 0;
        bool inString = false, escaped = false;
        for (std::size_t i = open; i < text.size(); ++i) {
            const char c = text[i];
            if (inString) {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c == '{') ++depth;
            else if (c == '}' && --depth == 0) {
                const auto candidate = text.substr(open, i - open + 1);
                if (isObject(candidate)) return std::string(candidate);
                break;
            }
        }
    }
    return std::nullopt;
}

ParsedAnswer parseAnswer(std::string_view jsonText, const AnswerLimits& limits) {
    const auto parsed = parseJson(jsonText);
    if (!parsed) throw AnswerError("the answer is not valid JSON (numbers must be finite; NaN and Infinity are not JSON)");
    const json& j = *parsed;
    if (!j.is_object()) throw AnswerError("the answer must be a JSON object");
    ParsedAnswer out;
    if (auto r = j.find("reasoning"); r != j.end()) {
        if (!r->is_string()) throw AnswerError("\"reasoning\" must be a string");
        out.reasoning = r->get<std::string>();
    }
    auto place = [&](LocalPoint p, const std::string& what) {
        if (std::abs(p.east) > limits.windowHalfM + 1e-9 || std::abs(p.north) > limits.windowHalfM + 1e-9)
            throw AnswerError(what + " (" + fmt(p.east) + " m east, " + fmt(p.north) +
                              " m north) lies outside the view, which spans +/-" + fmt(limits.windowHalfM) + " m");
        const terrain::MapPoint m = limits.frame.toMap(p);
        if (!limits.site.contains(m))
            throw AnswerError(what + " (" + fmt(p.east) + " m east, " + fmt(p.north) +
                              " m north) lies outside the site (the dark grey area)");
        return m;
    };
    if (limits.mode == AskMode::Coordinates) {
        onlyKeys(j, {"waypoints", "reasoning"}, "the answer");
        const auto w = j.find("waypoints");
        if (w == j.end() || !w->is_array()) throw AnswerError("the answer needs \"waypoints\": an array of {\"east\", \"north\"}");
        if (w->empty()) throw AnswerError("\"waypoints\" is empty; propose at least one waypoint");
        if (int(w->size()) > limits.maxWaypoints)
            throw AnswerError("\"waypoints\" has " + std::to_string(w->size()) + " entries; at most " +
                              std::to_string(limits.maxWaypoints) + " are allowed");
        LocalPoint prev{0.0, 0.0};
        for (std::size_t i = 0; i < w->size(); ++i) {
            const std::string where = "waypoint " + std::to_string(i + 1);
            const json& p = (*w)[i];
            if (!p.is_object()) throw AnswerError(where + " is not an object {\"east\", \"north\"}");
            onlyKeys(p, {"east", "north"}, where);
            const LocalPoint lp{number(p, "east", where), number(p, "north", where)};
            const terrain::MapPoint m = place(lp, where);
            const double step = std::hypot(lp.east - prev.east, lp.north - prev.north);
            if (step > limits.maxStepM + 1e-6)
                throw AnswerError(where + " is " + fmt(step) + " m from " +
                                  (i == 0 ? std::string("the rover") : "waypoint " + std::to_string(i)) +
                                  "; each step must be at most " + fmt(limits.maxStepM) + " m");
            if (step < 0.05) throw AnswerError(where + " does not move the rover (" + fmt(step) + " m)");
            out.local.push_back(lp);
            out.waypoints.push_back(m);
            prev = lp;
        }
    } else {
        onlyKeys(j, {"candidate", "reasoning"}, "the answer");
        const auto c = j.find("candidate");
        if (c == j.end() || !c->is_number_integer())
            throw AnswerError("the answer needs \"candidate\": the number of one of the markers");
        const long long n = c->get<long long>();
        const Candidate* chosen = nullptr;
        for (const auto& cand : limits.candidates)
            if (cand.number == n) chosen = &cand;
        if (!chosen) {
            std::string offered;
            for (const auto& cand : limits.candidates) offered += (offered.empty() ? "" : ", ") + std::to_string(cand.number);
            throw AnswerError("there is no candidate " + std::to_string(n) + "; choose one of " +
                              (offered.empty() ? std::string("(none)") : offered));
        }
        out.candidate = chosen->number;
        out.local.push_back(chosen->local);
        out.waypoints.push_back(place(chosen->local, "candidate " + std::to_string(n)));
    }
    return out;
}

std::string answerSchema(AskMode mode, int maxWaypoints) {
    json s;
    if (mode == AskMode::Coordinates) {
        const json point = {{"type", "object"},
                            {"properties",
                             {{"east", {{"type", "number"}, {"description", "metres east of the rover"}}},
                              {"north", {{"type", "number"}, {"description", "metres north of the rover"}}}}},
                            {"required", {"east", "north"}},
                            {"additionalProperties", false}};
        s = {{"type", "object"},
             {"properties",
              {{"waypoints",
                {{"type", "array"}, {"minItems", 1}, {"maxItems", maxWaypoints}, {"items", point},
                 {"description", "in order, each in the rover-centred frame of this request"}}},
               {"reasoning", {{"type", "string"}, {"description", "why this way, in a sentence or two"}}}}},
             {"required", {"waypoints", "reasoning"}},
             {"additionalProperties", false}};
    } else {
        s = {{"type", "object"},
             {"properties",
              {{"candidate", {{"type", "integer"}, {"description", "the number of the chosen marker"}}},
               {"reasoning", {{"type", "string"}, {"description", "why this one, in a sentence or two"}}}}},
             {"required", {"candidate", "reasoning"}},
             {"additionalProperties", false}};
    }
    return s.dump();
}

std::string_view answerToolName(AskMode mode) {
    return mode == AskMode::Coordinates ? "propose_waypoints" : "choose_candidate";
}

std::string_view answerToolDescription(AskMode mode) {
    return mode == AskMode::Coordinates
               ? "Propose the rover's next waypoints, in metres east and north of the rover."
               : "Choose the numbered marker the rover should drive to next.";
}

}  // namespace traverse::vlm
