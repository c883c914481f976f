#include "studio/proposal_runner.hpp"

#include "planner/builtin_proposer.hpp"
#include "planner/segment_checker.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/site.hpp"

#include <QMetaObject>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

namespace traverse::studio {

SitePaths SitePaths::of(const planner::Plan& plan) {
    SitePaths s;
    s.dtm = plan.site.dtm.path;
    if (plan.site.ortho) s.ortho = plan.site.ortho->path;
    return s;
}

ProposalRunner::ProposalRunner(QObject* parent) : QObject(parent) {}

ProposalRunner::~ProposalRunner() {
    // The worker posts to this object: stop it and wait before the QObject goes (posted events die
    // with it).
    if (worker_.joinable()) {
        worker_.request_stop();
        worker_.join();
    }
}

bool ProposalRunner::start(planner::Plan plan, SitePaths site, ProposerSpec spec) {
    if (running_) return false;
    if (worker_.joinable()) worker_.join();  // the previous run has posted its last signal
    running_ = true;
    worker_ = std::jthread([this, plan = std::move(plan), site = std::move(site), spec = std::move(spec)](
                               std::stop_token stop) mutable { run(stop, std::move(plan), std::move(site), std::move(spec)); });
    return true;
}

void ProposalRunner::cancel() {
    if (running_) worker_.request_stop();
}

void ProposalRunner::run(std::stop_token stop, planner::Plan plan, SitePaths sitePaths, ProposerSpec spec) {
    // Everything reaches the UI thread through queued calls on this object.
    auto post = [this](auto fn) { QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection); };
    auto lastProgress = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto report = [&](double f, std::string_view stage, bool force = false) {
        const auto now = std::chrono::steady_clock::now();
        if (!force && now - lastProgress < std::chrono::milliseconds(50)) return;
        lastProgress = now;
        post([this, f, text = QString::fromUtf8(stage.data(), qsizetype(stage.size()))] { emit progress(f, text); });
    };
    try {
        report(0.0, "opening the site", true);
        const terrain::Site site = terrain::Site::open(sitePaths.dtm, sitePaths.ortho);
        std::vector<terrain::MapPoint> points = {{plan.route.start.e, plan.route.start.n}, plan.goal};
        points.insert(points.end(), plan.viaPoints.begin(), plan.viaPoints.end());
        for (const auto& p : points)
            if (!site.extent().contains(p))
                throw Error(Error::Kind::InvalidArgument, "E " + std::to_string(p.e) + " N " + std::to_string(p.n) +
                                                              " lies outside the DTM " + sitePaths.dtm.string());
        report(0.0, "computing hazard maps", true);
        terrain::HazardRunOptions hro;
        hro.stop = stop;
        const terrain::HazardMaps maps =
            terrain::HazardMaps::compute(site.dtm(), planner::planningArea(plan.route.start, plan.goal, plan.viaPoints), twin::hazardParamsFor(plan.rover), hro);
        planner::CheckLimits limits = planner::CheckLimits::fromRover(plan.rover);
        limits.maxSegmentM = plan.maxSegmentM;
        const planner::SegmentChecker checker(maps, plan.rover, plan.zones, limits);

        planner::BuiltinProposer builtin, repairer;
        std::unique_ptr<planner::Proposer> chosen;
        switch (spec.kind) {
        case ProposerSpec::Kind::Builtin: break;
        case ProposerSpec::Kind::Replay: chosen = std::make_unique<vlm::ReplayProposer>(spec.replayDir); break;
        case ProposerSpec::Kind::Anthropic:
        case ProposerSpec::Kind::OpenAI:
            spec.provider.kind = spec.kind == ProposerSpec::Kind::Anthropic ? vlm::ProviderKind::Anthropic
                                                                            : vlm::ProviderKind::OpenAI;
            if (spec.provider.kind == vlm::ProviderKind::Anthropic && spec.provider.apiKey.empty())
                throw Error(Error::Kind::InvalidArgument,
                            "no Anthropic API key: set ANTHROPIC_API_KEY or enter one in Settings");
            chosen = std::make_unique<vlm::VlmProposer>(site.dtm(), site.ortho(), spec.provider, spec.vlm);
            break;
        }
        planner::Proposer& proposer = chosen ? *chosen : builtin;

        planner::BuildRequest req{plan.route.start, plan.goal,          plan.viaPoints,
                                  plan.goalToleranceM, plan.maxSegmentM, plan.zones};
        planner::BuildOptions opt;
        opt.maxSegments = spec.maxSegments;
        opt.timeBudgetS = spec.timeBudgetS;
        opt.stop = stop;
        opt.progress = [&](double f, std::string_view s) { report(f, s); };
        opt.onDecision = [&](const planner::Route& route, const planner::Decision& d) {
            post([this, route, d] { emit routeGrew(route, d); });
        };
        planner::BuildResult result =
            planner::buildRoute(maps, plan.rover, checker, req, proposer, spec.repair ? &repairer : nullptr, opt);
        report(1.0, result.outcome, true);
        post([this, result = std::move(result)] {
            running_ = false;
            emit finished(result);
        });
    } catch (const Error& e) {
        const bool cancelled = e.kind() == Error::Kind::Cancelled || stop.stop_requested();
        post([this, m = QString::fromStdString(e.what()), cancelled] {
            running_ = false;
            emit failed(cancelled ? tr("Cancelled") : m, cancelled);
        });
    } catch (const std::exception& e) {
        post([this, m = QString::fromStdString(e.what())] {
            running_ = false;
            emit failed(m, false);
        });
    }
}

}  // namespace traverse::studio
