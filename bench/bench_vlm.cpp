// Benchmarks of the VLM proposer (issue "VLM proposer"):
//  1. client-side work per request at 1024 px: render both views, encode them, build the request
//     (base64 + JSON) and parse an answer; target under 25 ms. Reference in the same run: encoding
//     one 1024 px view alone, the least any client sending an image must do.
//  2. planning a 250 m route against the project's model server answering with 2 s of latency:
//     one waypoint per request, several per request, and overlapping requests; target under 20 s.
//     Reference: the latency floor (requests x latency) of each run.
// usage: bench_vlm [--samples DIR] [--latency S] [--runs K] [--only client|route]
#include "planner/route_builder.hpp"
#include "support/model_server.hpp"
#include "terrain/site.hpp"
#include "vlm/answer.hpp"
#include "vlm/provider.hpp"
#include "vlm/view_renderer.hpp"
#include "vlm/vlm_proposer.hpp"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace traverse;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

fs::path ensureSamples(const char* dirArg) {
    const fs::path dir = dirArg ? fs::path(dirArg) : fs::temp_directory_path() / "traverse-bench-vlm";
    if (!fs::exists(dir / "sample_dtm.tif")) {
        const std::string cmd = std::string("'") + TRAVERSE_MAKE_SAMPLE + "' --out '" + dir.string() + "' --seed 2025";
        if (std::system(cmd.c_str()) != 0) {
            std::fprintf(stderr, "bench_vlm: cannot generate the sample site (%s)\n", cmd.c_str());
            std::exit(1);
        }
    }
    return dir;
}

void benchClient(const terrain::Site& site, const terrain::HazardMaps& maps, int runs) {
    const twin::RoverConfig rover;
    for (vlm::ImageFormat format : {vlm::ImageFormat::Png, vlm::ImageFormat::Jpeg}) {
        vlm::ViewOptions vo;
        vo.sizePx = 1024;
        vo.format = format;
        const vlm::ViewRenderer renderer(site.dtm(), site.ortho(), maps, rover, vo);
        vlm::ProviderConfig pc;
        pc.model = "bench";
        planner::Route route;
        route.start = {2500, 1093900, 90};
        std::vector<double> total, render, build, parse;
        std::size_t bytes = 0;
        for (int i = 0; i < runs; ++i) {
            const twin::Pose pose{2450.0 + 7.3 * i, 1093900.0 + 3.1 * i, 90.0};
            vlm::ViewScene scene{pose, {2700, 1093950}, &route, nullptr, {}};
            const auto t0 = Clock::now();
            const auto images = renderer.render(scene);
            const double tRender = seconds(t0);
            vlm::Conversation conv;
            conv.system = "system";
            vlm::Turn t;
            t.text = "Mode: coordinates\n";
            t.images = images;
            conv.turns.push_back(std::move(t));
            const auto t1 = Clock::now();
            const std::string body = vlm::buildRequestBody(pc, conv, vlm::AskMode::Coordinates, 3, true);
            const double tBuild = seconds(t1);
            const auto t2 = Clock::now();
            const vlm::ModelReply reply = vlm::parseReply(
                pc, R"({"id":"m","type":"message","role":"assistant","model":"bench","content":[{"type":"tool_use","id":"t1","name":"propose_waypoints","input":{"waypoints":[{"east":6,"north":7},{"east":12,"north":14}],"reasoning":"r"}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}})");
            vlm::AnswerLimits limits;
            limits.frame = {{pose.e, pose.n}};
            limits.site = site.extent();
            (void)vlm::parseAnswer(*vlm::extractJsonObject(reply.answerText), limits);
            const double tParse = seconds(t2);
            total.push_back(seconds(t0));
            render.push_back(tRender);
            build.push_back(tBuild);
            parse.push_back(tParse);
            bytes = body.size();
        }
        // Reference: encoding one rendered 1024 px view again, alone.
        const auto last = renderer.render({{2500, 1093900, 90}, {2700, 1093950}, &route, nullptr, {}});
        const cv::Mat view = cv::imdecode(cv::Mat(1, int(last[0].bytes.size()), CV_8U, (void*)last[0].bytes.data()),
                                          cv::IMREAD_COLOR);
        std::vector<double> ref;
        for (int i = 0; i < runs; ++i) {
            std::vector<unsigned char> out;
            const auto t0 = Clock::now();
            if (format == vlm::ImageFormat::Png) cv::imencode(".png", view, out, {cv::IMWRITE_PNG_COMPRESSION, 1});
            else cv::imencode(".jpg", view, out, {cv::IMWRITE_JPEG_QUALITY, vo.jpegQuality});
            ref.push_back(seconds(t0));
        }
        const char* name = format == vlm::ImageFormat::Png ? "PNG " : "JPEG";
        std::printf("client work per request, 1024 px, %s: %.1f ms median (render+encode %.1f, build %.1f, parse "
                    "%.2f); request %.1f MB; reference (encode one view) %.1f ms; ratio %.1f   [target < 25 ms]\n",
                    name, 1e3 * median(total), 1e3 * median(render), 1e3 * median(build), 1e3 * median(parse),
                    bytes / 1e6, 1e3 * median(ref), median(total) / median(ref));
    }
}

struct RouteRun {
    double seconds = 0;
    int requests = 0;
    bool reached = false;
    std::size_t segments = 0;
    double lengthM = 0;
};

RouteRun planOnce(const terrain::Site& site, const terrain::HazardMaps& maps, const planner::SegmentChecker& checker,
                  const planner::BuildRequest& req, traverse::testing::ModelServer& server, int waypoints, bool overlap) {
    vlm::ProviderConfig pc;
    pc.kind = vlm::ProviderKind::OpenAI;
    pc.endpoint = server.baseUrl();
    pc.model = "bench";
    pc.apiKey = "test-key-not-secret";
    vlm::VlmOptions vo;
    vo.waypointsPerRequest = waypoints;
    vo.overlap = overlap;
    vlm::VlmProposer proposer(site.dtm(), site.ortho(), pc, vo);
    const std::size_t before = server.requestCount();
    const auto t0 = Clock::now();
    const auto r = planner::buildRoute(maps, twin::RoverConfig{}, checker, req, proposer, nullptr);
    RouteRun out;
    out.seconds = seconds(t0);
    out.requests = int(server.requestCount() - before);
    out.reached = r.reachedGoal;
    out.segments = r.route.segments.size();
    out.lengthM = r.route.lengthM();
    return out;
}

void benchRoute(const terrain::Site& site, const terrain::HazardMaps& maps, double latency, int runs) {
    const twin::RoverConfig rover;
    const planner::SegmentChecker checker(maps, rover, {}, planner::CheckLimits::fromRover(rover));
    traverse::testing::ModelServer server;
    // A straight 250 m line that passes the checker in the server's 9.5 m steps: the figure is the
    // protocol's and the client's, not the test model's skill at finding a way round hazards.
    planner::BuildRequest req;
    bool found = false;
    auto clear = [&](double e, double n, double de, double dn) {
        for (double d = 0; d < 250.0; d += 9.5) {
            const double d1 = std::min(250.0, d + 9.5);
            if (checker.check({e + de * d, n + dn * d}, {e + de * d1, n + dn * d1}, d == 0).status ==
                planner::CheckStatus::Fail)
                return false;
        }
        return true;
    };
    for (double n = 1093150; n <= 1094080 && !found; n += 10)
        for (double e = 2350; e <= 3270 && !found; e += 10)
            for (const auto [de, dn, h] : {std::array<double, 3>{1, 0, 90}, std::array<double, 3>{0, 1, 0}})
                if (!found && clear(e, n, de, dn)) {
                    req.start = {e, n, h};
                    req.goal = {e + 250.0 * de, n + 250.0 * dn};
                    found = true;
                }
    if (!found) {
        std::printf("route: no clear 250 m line on the sample site\n");
        return;
    }
    std::printf("route: E %.0f N %.0f -> E %.0f N %.0f (250 m, clear in a straight line), model server latency "
                "%.1f s per answer\n",
                req.start.e, req.start.n, req.goal.e, req.goal.n, latency);
    server.setLatency(latency);
    struct Config {
        int waypoints;
        bool overlap;
    };
    for (const Config c : {Config{1, false}, Config{1, true}, Config{3, false}, Config{3, true}, Config{5, false},
                           Config{5, true}}) {
        std::vector<double> wall;
        RouteRun last;
        for (int i = 0; i < runs; ++i) {
            last = planOnce(site, maps, checker, req, server, c.waypoints, c.overlap);
            wall.push_back(last.seconds);
        }
        std::printf("  %d waypoint(s)/request, overlap %-3s: %6.2f s median, %2d requests, floor %5.1f s, "
                    "ratio %.2f, %zu segments, %.1f m, %s   [target < 20 s]\n",
                    c.waypoints, c.overlap ? "on" : "off", median(wall), last.requests, last.requests * latency,
                    median(wall) / std::max(1e-9, last.requests * latency), last.segments, last.lengthM,
                    last.reached ? "goal reached" : "GOAL NOT REACHED");
    }
}

}  // namespace

int main(int argc, char** argv) {
    const char* samples = nullptr;
    const char* only = nullptr;
    double latency = 2.0;
    int runs = 1;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--samples") && i + 1 < argc) samples = argv[++i];
        else if (!std::strcmp(argv[i], "--latency") && i + 1 < argc) latency = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else {
            std::fprintf(stderr, "usage: bench_vlm [--samples DIR] [--latency S] [--runs K] [--only client|route]\n");
            return 2;
        }
    }
    const fs::path dir = ensureSamples(samples);
    const terrain::Site site = terrain::Site::open(dir / "sample_dtm.tif", dir / "sample_ortho.tif");
    const twin::RoverConfig rover;
    const terrain::HazardMaps maps = terrain::HazardMaps::compute(site.dtm(), twin::hazardParamsFor(rover));
    if (!only || !std::strcmp(only, "client")) benchClient(site, maps, std::max(runs, 30));
    if (!only || !std::strcmp(only, "route")) benchRoute(site, maps, latency, runs);
    return 0;
}
