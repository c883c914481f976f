// The VLM proposer in the planner's loop, on the sample site, against the project's model server:
// routes planned by a "model", unusable answers sent back with the reason, checker refusals sent
// back, transcripts with no secret in them, and replays that reproduce a session with no network.
#include "planner/route_builder.hpp"
#include "planner/segment_checker.hpp"
#include "support/model_server.hpp"
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/site.hpp"
#include "vlm/vlm_proposer.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace traverse;
using namespace traverse::vlm;
using traverse::testing::Fault;
using traverse::testing::ModelServer;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kKey = "sk-ant-planted-key-0123456789";

traverse::testing::ModelServerOptions serverOptions() {
    traverse::testing::ModelServerOptions o;
    o.apiKey = kKey;
    return o;
}

struct Fixture {
    terrain::Site site = terrain::Site::open(test::sampleDir() / "sample_dtm.tif", test::sampleDir() / "sample_ortho.tif");
    twin::RoverConfig rover;
    terrain::HazardMaps maps = terrain::HazardMaps::compute(site.dtm(), {2300, 1093700, 2700, 1094100},
                                                            twin::hazardParamsFor(rover));
    std::vector<twin::Zone> zones;
    planner::SegmentChecker checker{maps, rover, zones, planner::CheckLimits::fromRover(rover)};

    planner::BuildRequest request(twin::Pose start, terrain::MapPoint goal) const {
        planner::BuildRequest r;
        r.start = start;
        r.goal = goal;
        r.goalToleranceM = 1.0;
        return r;
    }
};

ProviderConfig providerFor(const ModelServer& server, ProviderKind kind) {
    ProviderConfig c;
    c.kind = kind;
    c.endpoint = server.baseUrl();
    c.model = "test-model";
    c.apiKey = kKey;
    c.retry.initialBackoffS = 0.01;
    c.retry.seed = 1;
    return c;
}

VlmOptions optionsFor(AskMode mode, std::optional<fs::path> transcripts = std::nullopt) {
    VlmOptions o;
    o.mode = mode;
    o.view.sizePx = 512;  // smaller images: faster tests; the views are tested on their own
    o.transcripts = std::move(transcripts);
    return o;
}

Fault fault(Fault::Kind kind) {
    Fault f;
    f.kind = kind;
    return f;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A point about 9 m from `pose` whose straight segment the checker fails: into a crater or a rock.
std::optional<LocalPoint> hazardousStep(const Fixture& f, twin::Pose pose) {
    for (int k = 0; k < 72; ++k) {
        const double a = k * 5.0 * M_PI / 180.0;
        const LocalPoint p{9.0 * std::sin(a), 9.0 * std::cos(a)};
        if (f.checker.check({pose.e, pose.n}, {pose.e + p.east, pose.n + p.north}, true).status ==
            planner::CheckStatus::Fail)
            return p;
    }
    return std::nullopt;
}

// A start from which 60 m due east passes the checker in 9.5 m steps (the model server's stride),
// so that a model heading straight for the goal gets there; searched, not hard-coded, so that the
// tests follow the sample site. With `hazardNearby`, one from which some 9 m step fails.
struct Line {
    twin::Pose start;
    terrain::MapPoint goal;
};
Line clearLine(const Fixture& f, bool hazardNearby = false) {
    for (double n = 1093720; n <= 1094080; n += 10)
        for (double e = 2320; e <= 2620; e += 10) {
            bool clear = true;
            for (int k = 0; clear && k * 9.5 < 60.0; ++k) {
                const double e0 = e + k * 9.5, e1 = std::min(e + 60.0, e0 + 9.5);
                clear = f.checker.check({e0, n}, {e1, n}, k == 0).status == planner::CheckStatus::Pass;
            }
            if (clear && (!hazardNearby || hazardousStep(f, {e, n, 90.0}))) return {{e, n, 90.0}, {e + 60.0, n}};
        }
    FAIL("no clear 60 m line on the sample site");
    return {};
}

}  // namespace

TEST_CASE("a model plans a route 10 m at a time through the loop, and the transcript replays it exactly") {
    Fixture f;
    const Line line = clearLine(f);
    test::TempDir dir;
    const fs::path transcripts = dir / "transcripts";
    planner::BuildResult first;
    {
        ModelServer server(serverOptions());
        VlmProposer vlm(f.site.dtm(), f.site.ortho(), providerFor(server, ProviderKind::Anthropic),
                        optionsFor(AskMode::Coordinates, transcripts));
        CHECK(vlm.source() == "anthropic:test-model");
        first = planner::buildRoute(f.maps, f.rover, f.checker, f.request(line.start, line.goal), vlm, nullptr);
        INFO(first.outcome);
        REQUIRE(first.reachedGoal);
        CHECK(server.requestCount() >= 2);
    }
    REQUIRE(first.route.segments.size() >= 6);
    for (const auto& s : first.route.segments) {
        CHECK(s.provenance.source == "anthropic:test-model");
        CHECK(s.provenance.transcript.rfind(transcripts.string(), 0) == 0);
    }
    for (const auto& d : first.decisions) CHECK(fs::exists(d.transcript));

    // The transcript: images, prompt, request without base64 copies, raw response, parsed answer.
    const json index = json::parse(slurp(transcripts / "index.json"));
    CHECK(index["session"]["provider"] == "anthropic");
    CHECK(index["session"]["model"] == "test-model");
    REQUIRE(index["proposals"].size() == first.decisions.size());
    const fs::path ex1 = transcripts / "0001";
    for (const char* file : {"terrain.jpg", "hazard.jpg", "prompt.txt", "request.json", "response.json", "exchange.json"})
        CHECK(fs::exists(ex1 / file));
    CHECK(slurp(ex1 / "terrain.jpg").rfind("\xFF\xD8\xFF", 0) == 0);
    CHECK(slurp(ex1 / "prompt.txt").rfind("Mode: coordinates\n", 0) == 0);
    const std::string request = slurp(ex1 / "request.json");
    CHECK(request.find("@file:terrain.jpg") != std::string::npos);
    CHECK(request.size() < 20000);  // the images are files, not base64 in the request copy
    const json exchange = json::parse(slurp(ex1 / "exchange.json"));
    CHECK(exchange["status"] == 200);
    CHECK(exchange["outcome"] == "usable");
    CHECK(exchange["parsed"]["map"].size() >= 1);
    CHECK(exchange["seconds"].get<double>() > 0.0);
    for (const auto& file : test::listFiles(transcripts)) {
        INFO(file);
        CHECK(slurp(transcripts / file).find(kKey) == std::string::npos);
    }

    // Replay: the same route from the recording, with no server at all.
    ReplayProposer replay(transcripts);
    CHECK(replay.source() == "replay:" + transcripts.string());
    const auto again = planner::buildRoute(f.maps, f.rover, f.checker, f.request(line.start, line.goal), replay, nullptr);
    REQUIRE(again.reachedGoal);
    REQUIRE(again.route.segments.size() == first.route.segments.size());
    for (std::size_t i = 0; i < again.route.segments.size(); ++i) {
        CHECK(again.route.segments[i].to.e == first.route.segments[i].to.e);
        CHECK(again.route.segments[i].to.n == first.route.segments[i].to.n);
    }

    // A replay from another start diverges at once, and says so.
    ReplayProposer elsewhere(transcripts);
    const auto diverged = planner::buildRoute(f.maps, f.rover, f.checker,
                                              f.request({line.start.e + 1.0, line.start.n, 90.0}, line.goal), elsewhere, nullptr);
    CHECK_FALSE(diverged.reachedGoal);
    CHECK(diverged.proposerError.find("diverged") != std::string::npos);

    // A folder that already holds a transcript is not overwritten.
    ModelServer server(serverOptions());
    CHECK_THROWS_AS(VlmProposer(f.site.dtm(), f.site.ortho(), providerFor(server, ProviderKind::Anthropic),
                                optionsFor(AskMode::Coordinates, transcripts)),
                    Error);
}

TEST_CASE("unusable answers go back to the model with the reason; prose, fences and wrapped JSON are read") {
    Fixture f;
    const Line line = clearLine(f);
    for (ProviderKind kind : {ProviderKind::Anthropic, ProviderKind::OpenAI}) {
        ModelServer server(serverOptions());
        for (auto k : {Fault::Kind::NaNCoordinate, Fault::Kind::FarWaypoint, Fault::Kind::OutOfRange,
                       Fault::Kind::Prose, Fault::Kind::JsonInFence, Fault::Kind::JsonInProse})
            server.enqueue(fault(k));
        VlmOptions o = optionsFor(AskMode::Coordinates);
        o.answerRetries = 3;
        VlmProposer vlm(f.site.dtm(), f.site.ortho(), providerFor(server, kind), o);
        const auto r = planner::buildRoute(f.maps, f.rover, f.checker, f.request(line.start, line.goal), vlm, nullptr);
        INFO(r.outcome);
        std::string reasons;
        for (const auto& d : r.decisions) reasons += d.reason + "\n";
        INFO(reasons);
        CHECK(r.reachedGoal);
        const auto reqs = server.requests();
        REQUIRE(reqs.size() >= 7);
        // Each request after an unusable answer carries the reason the answer was refused.
        CHECK(reqs[1].body.find("could not be used") != std::string::npos);
        CHECK(reqs[2].body.find("30.00 m from the rover") != std::string::npos);
        CHECK(reqs[3].body.find("outside the view") != std::string::npos);
        if (kind == ProviderKind::Anthropic) {
            // The refused tool call answered by an is_error tool_result.
            const json body = json::parse(reqs[2].body);
            const json& last = body["messages"].back()["content"][0];
            CHECK(last["type"] == "tool_result");
            CHECK(last["is_error"] == true);
        }
        // The 4th unusable answer in a row (prose) exhausted the first proposal; the loop asked
        // again; fenced and wrapped JSON were then accepted.
        bool sawNoJson = false;
        for (const auto& d : r.decisions) sawNoJson = sawNoJson || d.reason.find("no JSON object") != std::string::npos;
        CHECK(sawNoJson);
    }
}

TEST_CASE("a path through a crater is refused by the checker and the refusal reaches the model") {
    Fixture f;
    const Line line = clearLine(f, true);
    const auto into = hazardousStep(f, line.start);
    REQUIRE(into);
    ModelServer server(serverOptions());
    Fault crater;
    crater.kind = Fault::Kind::Waypoint;
    crater.points = {{into->east, into->north}};
    server.enqueue(crater);
    VlmProposer vlm(f.site.dtm(), f.site.ortho(), providerFor(server, ProviderKind::OpenAI),
                    optionsFor(AskMode::Coordinates));
    const auto r = planner::buildRoute(f.maps, f.rover, f.checker, f.request(line.start, line.goal), vlm, nullptr);
    INFO(r.outcome);
    CHECK(r.reachedGoal);
    REQUIRE(r.decisions.size() >= 2);
    CHECK_FALSE(r.decisions[0].accepted);
    CHECK(r.decisions[0].reason.find("refused") != std::string::npos);
    const auto reqs = server.requests();
    REQUIRE(reqs.size() >= 2);
    CHECK(reqs[1].body.find("Refused earlier for this step:") != std::string::npos);
    // Nothing of the refused segment made it into the route.
    const planner::SegmentCheck c = f.checker.check({line.start.e, line.start.n}, r.route.segments[0].to, true);
    CHECK(c.status != planner::CheckStatus::Fail);
}

TEST_CASE("candidates mode: the model picks numbered markers; a number that was not offered is refused") {
    Fixture f;
    const Line line = clearLine(f);
    ModelServer server(serverOptions());
    Fault bogus;
    bogus.kind = Fault::Kind::Candidate;
    bogus.candidate = 99;
    server.enqueue(bogus);
    VlmProposer vlm(f.site.dtm(), f.site.ortho(), providerFor(server, ProviderKind::Anthropic),
                    optionsFor(AskMode::Candidates));
    planner::BuildRequest req = f.request(line.start, line.goal);
    req.goalToleranceM = 5.0;  // markers sit 9.5 m apart on a ring: arrive within a marker's reach
    const auto r = planner::buildRoute(f.maps, f.rover, f.checker, req, vlm, nullptr);
    INFO(r.outcome);
    CHECK(r.reachedGoal);
    const auto reqs = server.requests();
    REQUIRE(reqs.size() >= 2);
    CHECK(reqs[0].body.find("Mode: candidates") != std::string::npos);
    CHECK(reqs[0].body.find("Candidate 1: ") != std::string::npos);
    CHECK(reqs[1].body.find("no candidate 99") != std::string::npos);
    // Every step is one marker: about 9.5 m.
    auto pts = r.route.points();
    for (std::size_t i = 1; i + 1 < pts.size(); ++i)
        CHECK(std::hypot(pts[i].e - pts[i - 1].e, pts[i].n - pts[i - 1].n) == Approx(9.5).margin(1e-6));
}

TEST_CASE("a refused key ends the loop with the reason; nothing retried, nothing leaked") {
    Fixture f;
    const Line line = clearLine(f);
    ModelServer server(serverOptions());
    Fault unauthorized;
    unauthorized.kind = Fault::Kind::Status;
    unauthorized.status = 401;
    server.enqueue(unauthorized);
    VlmProposer vlm(f.site.dtm(), f.site.ortho(), providerFor(server, ProviderKind::Anthropic),
                    optionsFor(AskMode::Coordinates));
    const auto r = planner::buildRoute(f.maps, f.rover, f.checker, f.request(line.start, line.goal), vlm, nullptr);
    CHECK_FALSE(r.reachedGoal);
    CHECK(r.proposerError.find("HTTP 401") != std::string::npos);
    CHECK(r.proposerError.find("ANTHROPIC_API_KEY") != std::string::npos);
    CHECK(r.proposerError.find(kKey) == std::string::npos);
    CHECK(r.outcome.find("the proposer failed") != std::string::npos);
    CHECK(server.requestCount() == 1);
}

TEST_CASE("overlap: the next request goes out from where the answer leaves the rover; same route") {
    Fixture f;
    const Line line = clearLine(f);
    test::TempDir dir;
    ModelServer plain(serverOptions()), ahead(serverOptions());
    VlmOptions o = optionsFor(AskMode::Coordinates);
    o.waypointsPerRequest = 2;
    VlmProposer a(f.site.dtm(), f.site.ortho(), providerFor(plain, ProviderKind::OpenAI), o);
    o.overlap = true;
    o.transcripts = dir / "t";
    VlmProposer b(f.site.dtm(), f.site.ortho(), providerFor(ahead, ProviderKind::OpenAI), o);
    const auto ra = planner::buildRoute(f.maps, f.rover, f.checker, f.request(line.start, line.goal), a, nullptr);
    const auto rb = planner::buildRoute(f.maps, f.rover, f.checker, f.request(line.start, line.goal), b, nullptr);
    REQUIRE(ra.reachedGoal);
    REQUIRE(rb.reachedGoal);
    REQUIRE(ra.route.segments.size() == rb.route.segments.size());
    for (std::size_t i = 0; i < ra.route.segments.size(); ++i) {
        CHECK(ra.route.segments[i].to.e == Approx(rb.route.segments[i].to.e));
        CHECK(ra.route.segments[i].to.n == Approx(rb.route.segments[i].to.n));
    }
    // Asked ahead: the exchanges say so.
    int speculative = 0;
    for (const auto& file : test::listFiles(dir / "t"))
        if (file.find("exchange.json") != std::string::npos)
            speculative += json::parse(slurp(dir / "t" / file))["speculative"].get<bool>();
    CHECK(speculative >= 1);
}
