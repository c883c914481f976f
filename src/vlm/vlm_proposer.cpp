#include "vlm/vlm_proposer.hpp"

#include "planner/segment_checker.hpp"
#include "terrain/error.hpp"
#include "vlm/prompt.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <exception>
#include <thread>

namespace traverse::vlm {

namespace {

using nlohmann::json;

// The pose after a segment, as the loop computes it (the same bearing function), so that a predicted
// pose compares equal to the one the loop reaches.
twin::Pose poseAfter(terrain::MapPoint from, terrain::MapPoint to) { return {to.e, to.n, terrain::bearingDeg(from, to)}; }

bool samePose(const twin::Pose& a, const twin::Pose& b) {
    return std::abs(a.e - b.e) < 1e-6 && std::abs(a.n - b.n) < 1e-6 &&
           std::abs(std::remainder(a.headingDeg - b.headingDeg, 360.0)) < 1e-6;
}

std::string attemptsJson(const std::vector<Attempt>& attempts) {
    json a = json::array();
    for (const auto& t : attempts) {
        json j = {{"status", t.status}, {"seconds", t.elapsedS}, {"wait_after_s", t.waitAfterS}};
        if (!t.error.empty()) j["error"] = t.error;
        a.push_back(std::move(j));
    }
    return a.dump();
}

std::string parsedJson(const ParsedAnswer& p, AskMode mode) {
    json j = {{"reasoning", p.reasoning}};
    json local = json::array(), map = json::array();
    for (const auto& l : p.local) local.push_back({{"east", l.east}, {"north", l.north}});
    for (const auto& m : p.waypoints) map.push_back({m.e, m.n});
    j["local"] = local;
    j["map"] = map;
    if (mode == AskMode::Candidates) j["candidate"] = p.candidate;
    return j.dump();
}

// One step made ready to ask: the views, the prompt, the conversation and the limits of an answer.
struct Request {
    twin::Pose pose;
    terrain::MapPoint goal;
    AskMode mode = AskMode::Coordinates;
    int maxWaypoints = 1;
    std::string prompt;
    std::vector<EncodedImage> images;
    Conversation conversation;
    AnswerLimits limits;
};

// A request sent ahead of the loop (overlap), answered on its own thread.
struct Pending {
    Request request;
    std::optional<Exchange> exchange;
    std::exception_ptr error;
    std::jthread thread;  // last: joined before the members above go
};

}  // namespace

struct VlmProposer::Impl {
    const terrain::Raster& dtm;
    const terrain::Raster* ortho;
    ModelClient client;
    VlmOptions options;
    std::unique_ptr<ViewRenderer> renderer;
    const terrain::HazardMaps* rendererMaps = nullptr;
    std::unique_ptr<TranscriptWriter> transcript;
    std::unique_ptr<Pending> pending;

    Impl(const terrain::Raster& d, const terrain::Raster* o, ProviderConfig p, VlmOptions opt)
        : dtm(d), ortho(o), client(std::move(p)), options(std::move(opt)) {}

    ~Impl() {
        if (pending) pending->thread.request_stop();
    }

    Request prepare(const planner::ProposalContext& ctx, const twin::Pose& pose, const planner::Route& route,
                    const std::vector<std::string>& refusals) {
        if (!renderer || rendererMaps != &ctx.maps) {
            renderer = std::make_unique<ViewRenderer>(dtm, ortho, ctx.maps, ctx.rover, options.view);
            rendererMaps = &ctx.maps;
        }
        Request r;
        r.pose = pose;
        r.goal = ctx.goal;
        r.mode = options.mode;
        const LocalFrame frame = renderer->frameFor(pose);
        std::vector<Candidate> candidates;
        if (r.mode == AskMode::Candidates) {
            planner::CheckLimits limits = planner::CheckLimits::fromRover(ctx.rover);
            limits.maxSegmentM = ctx.maxSegmentM;
            const planner::SegmentChecker checker(ctx.maps, ctx.rover, ctx.zones, limits);
            candidates = reachableCandidates(checker, pose, options.candidateStepFraction * ctx.maxSegmentM,
                                             options.candidateCount);
            if (candidates.empty()) r.mode = AskMode::Coordinates;  // no marker to offer: ask for coordinates
        }
        r.maxWaypoints = r.mode == AskMode::Coordinates ? options.waypointsPerRequest : 1;
        ViewScene scene{pose, ctx.goal, &route, &ctx.zones, candidates};
        r.images = renderer->render(scene);
        StepPrompt sp;
        sp.mode = r.mode;
        sp.headingDeg = pose.headingDeg;
        sp.goal = frame.toLocal(ctx.goal);
        sp.goalToleranceM = ctx.goalToleranceM;
        sp.maxWaypoints = r.maxWaypoints;
        sp.maxStepM = ctx.maxSegmentM;
        sp.extentM = options.view.extentM;
        sp.candidates = candidates;
        sp.refusals = refusals;
        r.prompt = stepText(sp);
        r.conversation.system = systemPrompt(r.mode, options.view.extentM, ctx.maxSegmentM);
        Turn user;
        user.text = r.prompt;
        user.images = r.images;
        r.conversation.turns.push_back(std::move(user));
        r.limits.mode = r.mode;
        r.limits.frame = frame;
        r.limits.windowHalfM = 0.5 * options.view.extentM;
        r.limits.site = ctx.maps.geoTransform.extent(ctx.maps.slope.cols, ctx.maps.slope.rows);
        r.limits.maxStepM = ctx.maxSegmentM;
        r.limits.maxWaypoints = r.maxWaypoints;
        r.limits.candidates = std::move(candidates);
        return r;
    }

    std::string record(const Request& r, const Exchange* ex, int step, int attempt, int answer,
                       const std::string& outcome, const std::string& parsed, bool speculative, bool discarded) {
        if (!transcript) return {};
        ExchangeRecord rec;
        rec.step = step;
        rec.attempt = attempt;
        rec.answer = answer;
        rec.pose = r.pose;
        rec.mode = std::string(askModeName(r.mode));
        rec.images = r.images;
        rec.prompt = r.prompt;
        if (ex) {
            rec.requestBody = ex->requestBody;
            rec.status = ex->status;
            rec.responseBody = ex->responseBody;
            rec.attemptsJson = attemptsJson(ex->attempts);
            rec.seconds = ex->seconds;
            rec.usedFallback = ex->usedFallback;
            rec.inputTokens = ex->reply.inputTokens;
            rec.outputTokens = ex->reply.outputTokens;
        }
        rec.speculative = speculative;
        rec.discarded = discarded;
        rec.outcome = outcome;
        rec.parsedJson = parsed;
        return transcript->writeExchange(rec, client.config().apiKey);
    }

    std::string reference(const std::string& id) const {
        return transcript && !id.empty() ? (transcript->dir() / id).string() : std::string();
    }

    // Sends the next step ahead, from where the accepted answer would leave the rover.
    void startAhead(const planner::ProposalContext& ctx, const std::vector<terrain::MapPoint>& waypoints) {
        terrain::MapPoint from{ctx.pose.e, ctx.pose.n};
        planner::Route route = ctx.routeSoFar;
        twin::Pose pose = ctx.pose;
        for (const auto& w : waypoints) {
            if (std::hypot(w.e - ctx.goal.e, w.n - ctx.goal.n) <= ctx.goalToleranceM) return;  // arrives
            pose = poseAfter(from, w);
            planner::Segment s;
            s.to = w;
            route.segments.push_back(s);
            from = w;
        }
        auto p = std::make_unique<Pending>();
        p->request = prepare(ctx, pose, route, {});
        Pending* raw = p.get();
        p->thread = std::jthread([this, raw](std::stop_token stop) {
            try {
                raw->exchange = client.ask(raw->request.conversation, raw->request.mode, raw->request.maxWaypoints,
                                           stop, options.log);
            } catch (...) {
                raw->error = std::current_exception();
            }
        });
        pending = std::move(p);
    }
};

VlmProposer::VlmProposer(const terrain::Raster& dtm, const terrain::Raster* ortho, ProviderConfig provider,
                         VlmOptions options)
    : impl_(std::make_unique<Impl>(dtm, ortho, std::move(provider), std::move(options))) {
    const auto& o = impl_->options;
    if (o.waypointsPerRequest < 1 || o.waypointsPerRequest > 20)
        throw Error(Error::Kind::InvalidArgument, "waypoints per request must be from 1 to 20");
    if (o.answerRetries < 0 || o.answerRetries > 10)
        throw Error(Error::Kind::InvalidArgument, "answer retries must be from 0 to 10");
    if (o.candidateCount < 2 || o.candidateCount > 36)
        throw Error(Error::Kind::InvalidArgument, "candidate count must be from 2 to 36");
    if (o.transcripts) {
        const auto& c = impl_->client.config();
        SessionInfo s{impl_->client.source(), std::string(providerName(c.kind)), c.model, c.url(),
                      std::string(askModeName(o.mode)), systemPrompt(o.mode, o.view.extentM, planner::kDefaultMaxSegmentM)};
        impl_->transcript = std::make_unique<TranscriptWriter>(*o.transcripts, std::move(s));
    }
}

VlmProposer::~VlmProposer() = default;

std::string VlmProposer::source() const { return impl_->client.source(); }

planner::Proposal VlmProposer::propose(const planner::ProposalContext& ctx) {
    Impl& m = *impl_;
    if (ctx.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "route building cancelled");
    const int step = int(ctx.routeSoFar.segments.size());
    Request req;
    std::optional<Exchange> ahead;
    std::exception_ptr aheadError;
    bool haveRequest = false;
    if (m.pending) {
        std::unique_ptr<Pending> p = std::move(m.pending);
        const bool usable = ctx.attempt == 1 && ctx.rejections.empty() && samePose(p->request.pose, ctx.pose) &&
                            p->request.goal.e == ctx.goal.e && p->request.goal.n == ctx.goal.n;
        if (!usable) p->thread.request_stop();
        p->thread.join();
        if (usable) {
            req = std::move(p->request);
            ahead = std::move(p->exchange);
            aheadError = p->error;
            haveRequest = true;
        } else if (p->exchange) {
            m.record(p->request, &*p->exchange, step, ctx.attempt, 1,
                     "discarded: the loop did not accept every waypoint it was asked ahead of", "", true, true);
        }
    }
    if (!haveRequest) req = m.prepare(ctx, ctx.pose, ctx.routeSoFar, ctx.rejections);

    ProposalRecord prec;
    prec.step = step;
    prec.attempt = ctx.attempt;
    prec.pose = ctx.pose;
    const bool speculative = haveRequest;
    std::string lastReason;
    for (int answer = 1; answer <= 1 + m.options.answerRetries; ++answer) {
        Exchange ex;
        try {
            if (answer == 1 && aheadError) std::rethrow_exception(aheadError);
            if (answer == 1 && ahead) ex = std::move(*ahead);
            else ex = m.client.ask(req.conversation, req.mode, req.maxWaypoints, ctx.stop, m.options.log);
        } catch (const Error& e) {
            if (e.kind() == Error::Kind::Cancelled) {
                if (ctx.stop.stop_requested()) throw;
                // The speculative request was cancelled by its own token: ask now instead.
                ex = m.client.ask(req.conversation, req.mode, req.maxWaypoints, ctx.stop, m.options.log);
            } else {
                const std::string id = m.record(req, nullptr, step, ctx.attempt, answer, std::string("error: ") + e.what(),
                                                "", speculative && answer == 1, false);
                if (!id.empty()) prec.exchanges.push_back(id);
                prec.error = e.what();
                if (m.transcript) m.transcript->addProposal(prec);
                throw;
            }
        }
        std::string reason;
        std::optional<ParsedAnswer> parsed;
        if (!ex.replyError.empty()) {
            reason = ex.replyError;
        } else {
            // Even a structured answer is looked into: some servers accept a schema and still wrap
            // the JSON in prose or a code fence.
            std::string text = ex.reply.answerText;
            if (auto j = extractJsonObject(text)) text = *j;
            else if (text.find('{') != std::string::npos)
                reason = "the answer's JSON is not valid (numbers must be finite: NaN and Infinity are not JSON)";
            else
                reason = "the answer holds no JSON object; answer with the tool's JSON only";
            if (reason.empty()) {
                try {
                    parsed = parseAnswer(text, req.limits);
                } catch (const AnswerError& e) {
                    reason = e.what();
                }
            }
        }
        const std::string id = m.record(req, &ex, step, ctx.attempt, answer,
                                        parsed ? std::string("usable") : "unusable: " + reason,
                                        parsed ? parsedJson(*parsed, req.mode) : "", speculative && answer == 1, false);
        if (!id.empty()) prec.exchanges.push_back(id);
        if (parsed) {
            planner::Proposal out;
            out.waypoints = parsed->waypoints;
            out.transcript = m.reference(id);
            out.note = parsed->reasoning;
            prec.waypoints = parsed->waypoints;
            prec.note = parsed->reasoning;
            if (m.transcript) m.transcript->addProposal(prec);
            if (m.options.overlap) m.startAhead(ctx, out.waypoints);
            return out;
        }
        lastReason = reason;
        if (m.options.log) m.options.log("unusable answer (" + reason + ")");
        // Tell the model what was wrong with what it said (after its own words when they were an API
        // message at all).
        if (ex.replyError.empty()) {
            Turn said;
            said.assistant = true;
            said.assistantJson = ex.reply.assistantJson;
            said.toolUseId = ex.reply.toolUseId;
            req.conversation.turns.push_back(std::move(said));
        }
        Turn fix;
        fix.correction = true;
        fix.text = correctionText(reason);
        req.conversation.turns.push_back(std::move(fix));
    }
    planner::Proposal out;
    out.note = "the model's answers could not be used (" + std::to_string(1 + m.options.answerRetries) +
               " tries): " + lastReason;
    out.transcript = prec.exchanges.empty() ? std::string() : m.reference(prec.exchanges.back());
    prec.note = out.note;
    if (m.transcript) m.transcript->addProposal(prec);
    return out;
}

ReplayProposer::ReplayProposer(std::filesystem::path dir)
    : dir_(std::move(dir)), transcript_(readTranscript(dir_)), source_("replay:" + dir_.string()) {}

planner::Proposal ReplayProposer::propose(const planner::ProposalContext& ctx) {
    if (next_ >= transcript_.proposals.size())
        throw Error(Error::Kind::InvalidArgument,
                    dir_.string() + ": the recorded session ends after " + std::to_string(transcript_.proposals.size()) +
                        " proposals, and the loop asked for another; the terrain, rover or options differ from the "
                        "recorded run");
    const ProposalRecord& r = transcript_.proposals[next_++];
    if (!samePose(r.pose, ctx.pose)) {
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      ": the replay diverged at proposal %zu: recorded from E %.3f N %.3f heading %.2f, asked from "
                      "E %.3f N %.3f heading %.2f; the terrain, rover or options differ from the recorded run",
                      next_, r.pose.e, r.pose.n, r.pose.headingDeg, ctx.pose.e, ctx.pose.n, ctx.pose.headingDeg);
        throw Error(Error::Kind::InvalidArgument, dir_.string() + buf);
    }
    if (!r.error.empty()) throw Error(Error::Kind::Network, "as recorded: " + r.error);
    planner::Proposal p;
    p.waypoints = r.waypoints;
    p.note = r.note;
    if (!r.exchanges.empty()) p.transcript = (dir_ / r.exchanges.back()).string();
    return p;
}

}  // namespace traverse::vlm
