#include "args.hpp"
#include "commands.hpp"
#include "planner/builtin_proposer.hpp"
#include "planner/plan.hpp"
#include "planner/route_builder.hpp"
#include "planner/validation.hpp"
#include "terminal_progress.hpp"
#include "terrain/elevation_model.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"
#include "terrain/site.hpp"
#include "twin/flight_rules.hpp"
#include "twin/rover_config.hpp"
#include "vlm/vlm_proposer.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace traverse::cli {

namespace {

constexpr const char* kPlanUsage =
    "usage: traverse plan --dtm FILE [--ortho FILE] --start E,N[,HEADING] --goal E,N --out PLAN.json [options]\n"
    "\n"
    "Builds a route from the start to the goal in segments of at most 10 m: a proposer suggests the\n"
    "next waypoints, the segment checker accepts or refuses each (the reason goes back to the\n"
    "proposer), the built-in proposer repairs refused stretches. Writes the plan document (route,\n"
    "provenance of every segment, every decision). Exits 3 when the goal was not reached (the plan is\n"
    "still written, to show how far it got).\n"
    "\n"
    "options:\n"
    "  --dtm FILE, --ortho FILE   the site (the orthoimage is checked to match the DTM)\n"
    "  --start E,N[,HEADING]      start position (map frame, m) and heading (deg from north, default 0)\n"
    "  --goal E,N                 goal position (map frame, m)\n"
    "  --goal-tolerance M         how close counts as arrived (default 1.0)\n"
    "  --via E,N[;E,N...]         via-points to pass, in order, before the goal\n"
    "  --keep-out FILE            GeoJSON polygons to stay out of (map frame)\n"
    "  --keep-in FILE             GeoJSON polygons to stay inside\n"
    "  --rover FILE               rover configuration (default: Perseverance-like)\n"
    "  --proposer NAME            builtin (default; offline), anthropic, openai (any OpenAI-compatible\n"
    "                             server: OpenAI, Ollama, llama.cpp, vLLM) or replay:DIR (a recorded\n"
    "                             transcript, no network)\n"
    "  --repair                   let the built-in proposer repair stretches the proposer cannot pass\n"
    "  --max-segment M            longest segment (default 10)\n"
    "  --name NAME                plan name (default: the output file's stem)\n"
    "  --out PLAN.json            the plan document to write\n"
    "  --quiet                    no progress display\n"
    "  --help                     this text\n"
    "\n"
    "model options (anthropic, openai; the key comes from ANTHROPIC_API_KEY / OPENAI_API_KEY or the\n"
    "settings file, ~/.config/traverse/settings.json, and is never written anywhere):\n"
    "  --model NAME               model (default claude-sonnet-4-5 / gpt-4o)\n"
    "  --endpoint URL             base URL (default https://api.anthropic.com / https://api.openai.com/v1;\n"
    "                             e.g. http://localhost:11434/v1 for Ollama)\n"
    "  --ask MODE                 coordinates (default: waypoints in metres) or candidates (numbered\n"
    "                             reachable markers on the image)\n"
    "  --waypoints N              waypoints per request in coordinates mode (default 3)\n"
    "  --overlap                  ask for the next step while this one is checked\n"
    "  --view-extent M            side of the views around the rover (default 80)\n"
    "  --view-size PX             side of each image (default 1024, at most 1568)\n"
    "  --image-format F           jpeg (default) or png\n"
    "  --temperature T            sampling temperature (default 0)\n"
    "  --timeout S                one request (default 120)\n"
    "  --deadline S               one proposal, retries included (default 300)\n"
    "  --attempts N               HTTP attempts per request on 429/5xx/529 (default 5)\n"
    "  --transcripts DIR          record every exchange (images, prompt, answers, timing) in DIR\n"
    "  --settings FILE            settings file to read instead of the default\n";

constexpr const char* kValidateUsage =
    "usage: traverse validate PLAN.json [--monte-carlo N] [--seed N]\n"
    "\n"
    "Checks every segment of the plan's route and drives the command sequence generated from it in\n"
    "the digital twin; stores the report in the plan, bound by hash to the terrain, the plan and the\n"
    "rover. Exits 0 when it passes, 3 when it does not. Refuses a plan whose terrain files changed.\n"
    "\n"
    "options:\n"
    "  --monte-carlo N   add N perturbed simulations (dispersion of the end position)\n"
    "  --seed N          Monte Carlo seed (default 1)\n"
    "  --help            this text\n";

std::vector<double> numbers(const std::string& text, const std::string& option) {
    std::vector<double> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        char* end = nullptr;
        const double v = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0' || !std::isfinite(v))
            throw UsageError("--" + option + " needs numbers separated by commas, got '" + text + "'");
        out.push_back(v);
    }
    return out;
}

std::vector<twin::Zone> zonesFrom(const Args& a) {
    std::vector<twin::Zone> zones;
    for (const char* kind : {"keep-out", "keep-in"})
        if (auto f = a.value(kind))
            for (auto& z : twin::loadZonesGeoJson(*f, std::string(kind) == "keep-in")) zones.push_back(std::move(z));
    return zones;
}

double bounded(const Args& a, const char* name, double lo, double hi, double fallback) {
    const auto v = a.number(name);
    if (!v) return fallback;
    if (*v < lo || *v > hi)
        throw UsageError("--" + std::string(name) + " must be from " + std::to_string(lo).substr(0, 6) + " to " +
                         std::to_string(hi).substr(0, 8));
    return *v;
}

std::unique_ptr<planner::Proposer> modelProposer(const Args& a, const std::string& name, const terrain::Site& site) {
    const auto kind = name == "anthropic" ? vlm::ProviderKind::Anthropic : vlm::ProviderKind::OpenAI;
    std::optional<std::filesystem::path> settings;
    if (auto s = a.value("settings")) settings = *s;
    vlm::ProviderConfig pc = vlm::loadProviderConfig(kind, settings);
    if (auto m = a.value("model")) pc.model = *m;
    if (auto e = a.value("endpoint")) pc.endpoint = *e;
    pc.temperature = bounded(a, "temperature", 0.0, 2.0, pc.temperature);
    pc.retry.requestTimeoutS = bounded(a, "timeout", 0.1, 3600.0, pc.retry.requestTimeoutS);
    pc.retry.deadlineS = bounded(a, "deadline", 0.1, 86400.0, pc.retry.deadlineS);
    pc.retry.maxAttempts = int(bounded(a, "attempts", 1, 20, pc.retry.maxAttempts));
    if (pc.model.empty()) throw UsageError("--model is empty");
    if (pc.endpoint.rfind("http://", 0) != 0 && pc.endpoint.rfind("https://", 0) != 0)
        throw UsageError("--endpoint must be an http:// or https:// URL, not '" + pc.endpoint + "'");
    vlm::VlmOptions vo;
    if (auto m = a.value("ask")) {
        if (*m == "coordinates") vo.mode = vlm::AskMode::Coordinates;
        else if (*m == "candidates") vo.mode = vlm::AskMode::Candidates;
        else throw UsageError("--ask must be coordinates or candidates");
    }
    vo.waypointsPerRequest = int(bounded(a, "waypoints", 1, 20, vo.waypointsPerRequest));
    vo.view.extentM = bounded(a, "view-extent", 10, 2000, vo.view.extentM);
    vo.view.sizePx = int(bounded(a, "view-size", 64, 1568, vo.view.sizePx));
    if (auto f = a.value("image-format")) {
        if (*f == "png") vo.view.format = vlm::ImageFormat::Png;
        else if (*f == "jpeg" || *f == "jpg") vo.view.format = vlm::ImageFormat::Jpeg;
        else throw UsageError("--image-format must be png or jpeg");
    }
    vo.overlap = a.has("overlap");
    if (auto t = a.value("transcripts")) vo.transcripts = *t;
    if (!a.has("quiet")) vo.log = [](const std::string& line) { std::fprintf(stderr, "\n  %s\n", line.c_str()); };
    if (kind == vlm::ProviderKind::Anthropic && pc.apiKey.empty())
        throw Error(Error::Kind::InvalidArgument, "no Anthropic API key: set ANTHROPIC_API_KEY or \"api_key\" under "
                                                  "providers.anthropic in " + vlm::settingsPath(settings).string());
    return std::make_unique<vlm::VlmProposer>(site.dtm(), site.ortho(), std::move(pc), std::move(vo));
}

}  // namespace

int runPlan(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2,
                             {"dtm", "ortho", "start", "goal", "via", "goal-tolerance", "keep-out", "keep-in", "rover",
                              "proposer", "max-segment", "name", "out", "model", "endpoint", "ask", "waypoints",
                              "view-extent", "view-size", "image-format", "temperature", "timeout", "deadline",
                              "attempts", "transcripts", "settings"},
                             {"help", "quiet", "overlap", "repair"});
    if (a.has("help")) {
        std::fputs(kPlanUsage, stdout);
        return 0;
    }
    if (!a.positional.empty()) throw UsageError("unexpected argument '" + a.positional.front() + "'");
    const std::string dtmPath = a.required("dtm"), outPath = a.required("out");
    const auto start = numbers(a.required("start"), "start");
    const auto goal = numbers(a.required("goal"), "goal");
    if (start.size() < 2 || start.size() > 3) throw UsageError("--start needs E,N or E,N,HEADING");
    if (goal.size() != 2) throw UsageError("--goal needs E,N");
    const std::string proposerName = a.value("proposer").value_or("builtin");
    const bool model = proposerName == "anthropic" || proposerName == "openai";
    if (!model && proposerName != "builtin" && proposerName.rfind("replay:", 0) != 0)
        throw UsageError("--proposer must be builtin, anthropic, openai or replay:DIR, not '" + proposerName + "'");
    if (!model)
        for (const char* o : {"model", "endpoint", "ask", "waypoints", "view-extent", "view-size", "image-format",
                              "temperature", "timeout", "deadline", "attempts", "transcripts", "settings", "overlap"})
            if (a.has(o)) throw UsageError(std::string("--") + o + " applies to --proposer anthropic or openai");

    planner::Plan plan;
    plan.name = a.value("name").value_or(std::filesystem::path(outPath).stem().string());
    plan.rover = a.value("rover") ? twin::loadRoverConfig(*a.value("rover")) : twin::RoverConfig{};
    plan.route.start = {start[0], start[1], start.size() == 3 ? start[2] : 0.0};
    plan.goal = {goal[0], goal[1]};
    if (auto v = a.number("goal-tolerance")) plan.goalToleranceM = *v;
    if (auto v = a.number("max-segment")) plan.maxSegmentM = *v;
    if (!(plan.maxSegmentM > 0.0 && plan.maxSegmentM <= 100.0)) throw UsageError("--max-segment must be in (0, 100] m");
    plan.zones = zonesFrom(a);
    if (auto via = a.value("via")) {
        std::stringstream ss(*via);
        std::string item;
        while (std::getline(ss, item, ';')) {
            const auto v = numbers(item, "via");
            if (v.size() != 2) throw UsageError("--via needs E,N pairs separated by ';'");
            plan.viaPoints.push_back({v[0], v[1]});
        }
    }

    const terrain::Site site = terrain::Site::open(dtmPath, a.value("ortho"));
    const auto& dtm = site.dtm();
    std::vector<terrain::MapPoint> points = {{plan.route.start.e, plan.route.start.n}, plan.goal};
    points.insert(points.end(), plan.viaPoints.begin(), plan.viaPoints.end());
    for (const auto& p : points)
        if (!site.extent().contains(p))
            throw Error(Error::Kind::InvalidArgument, "E " + std::to_string(p.e) + " N " + std::to_string(p.n) +
                                                          " lies outside the DTM " + dtmPath);
    plan.site = planner::hashSite(dtmPath, a.value("ortho"));

    const auto area = planner::planningArea(plan.route.start, plan.goal, plan.viaPoints);
    const terrain::HazardMaps maps = terrain::HazardMaps::compute(dtm, area, twin::hazardParamsFor(plan.rover));
    planner::CheckLimits limits = planner::CheckLimits::fromRover(plan.rover);
    limits.maxSegmentM = plan.maxSegmentM;
    const planner::SegmentChecker checker(maps, plan.rover, plan.zones, limits);
    planner::BuiltinProposer builtin;
    std::unique_ptr<planner::Proposer> chosen;
    if (model) chosen = modelProposer(a, proposerName, site);
    else if (proposerName != "builtin") chosen = std::make_unique<vlm::ReplayProposer>(proposerName.substr(7));
    planner::Proposer& proposer = chosen ? *chosen : builtin;
    planner::BuiltinProposer repairer;
    planner::BuildRequest req{plan.route.start, plan.goal, plan.viaPoints, plan.goalToleranceM, plan.maxSegmentM,
                              plan.zones};
    TerminalProgress progress(!a.has("quiet"));
    planner::BuildOptions opt;
    opt.progress = [&](double f, std::string_view s) { progress.update(f, s); };
    planner::BuildResult r = planner::buildRoute(maps, plan.rover, checker, req, proposer,
                                                 a.has("repair") ? &repairer : nullptr, opt);
    progress.finish();
    if (!r.proposerError.empty() && r.route.segments.empty())  // nothing planned: no plan to write
        throw Error(Error::Kind::Network, r.proposerError);
    plan.route = std::move(r.route);
    plan.decisions = std::move(r.decisions);
    if (const auto parent = std::filesystem::path(outPath).parent_path(); !parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) throw Error(Error::Kind::Io, parent.string() + ": cannot create folder (" + ec.message() + ")");
    }
    planner::savePlan(plan, outPath);
    std::printf("%s: %s; %zu segments, %.1f m, %zu decisions\n", outPath.c_str(), r.outcome.c_str(),
                plan.route.segments.size(), plan.route.lengthM(), plan.decisions.size());
    if (!r.proposerError.empty())  // the route so far is in the plan; the cause is the error
        throw Error(Error::Kind::Network, r.proposerError);
    return r.reachedGoal ? 0 : 3;
}

int runValidate(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2, {"monte-carlo", "seed"}, {"help"});
    if (a.has("help")) {
        std::fputs(kValidateUsage, stdout);
        return 0;
    }
    if (a.positional.size() != 1) throw UsageError("give one PLAN.json");
    const std::string planPath = a.positional[0];
    planner::Plan plan = planner::loadPlan(planPath);
    if (auto why = planner::siteMismatch(plan))
        throw Error(Error::Kind::InvalidArgument, planPath + ": " + *why + "; plan the route again on the new terrain");
    planner::ValidationOptions vo;
    if (auto v = a.number("monte-carlo")) {
        if (*v < 0 || *v > 1e6) throw UsageError("--monte-carlo needs a run count from 0 to 1000000");
        vo.monteCarloRuns = int(*v);
    }
    if (auto v = a.number("seed")) vo.seed = std::uint64_t(*v);
    if (plan.route.segments.empty()) throw Error(Error::Kind::InvalidArgument, planPath + ": the plan has no route");
    const planner::ValidationOutcome out = planner::validatePlanOnDisk(plan, vo);
    plan.validation = out.record;
    planner::savePlan(plan, planPath);
    std::printf("%s: %s\n", planPath.c_str(), out.summary.c_str());
    for (std::size_t i = 0; i < out.checks.size(); ++i)
        if (out.checks[i].status != planner::CheckStatus::Pass)
            std::printf("  segment %zu: %s\n", i, out.checks[i].summary().c_str());
    for (const auto& v : out.simulation.verdict.violations)
        std::printf("  twin: %s at command %d (E %.1f N %.1f)\n", std::string(twin::ruleName(v.rule)).c_str(),
                    v.commandIndex, v.e, v.n);
    if (out.dispersion)
        std::printf("  Monte Carlo %d runs: %.1f%% keep every rule; %.0f%% end ellipse %.2f x %.2f m\n",
                    out.dispersion->runs, 100.0 * out.dispersion->passShare, 100.0 * out.dispersion->ellipse.confidence,
                    out.dispersion->ellipse.semiMajorM, out.dispersion->ellipse.semiMinorM);
    if (out.dispersion && out.dispersion->runsPassing < out.dispersion->runs)
        std::printf("    runs that broke each rule: %s\n", twin::describeViolations(*out.dispersion).c_str());
    return out.pass ? 0 : 3;
}

}  // namespace traverse::cli
