#pragma once
// Runs the propose - check - repair loop (planner::buildRoute) off the UI thread for a snapshot of a
// plan. The worker opens its own terrain::Site from the site's paths (GDAL datasets are not
// thread-safe: the UI's are never shared), computes the hazard maps around the drive, builds the
// chosen proposer and runs the loop; everything it reports arrives on the UI thread as signals.
#include "planner/plan.hpp"
#include "planner/route_builder.hpp"
#include "vlm/provider.hpp"
#include "vlm/vlm_proposer.hpp"

#include <QObject>
#include <QString>

#include <filesystem>
#include <optional>
#include <stop_token>
#include <thread>

namespace traverse::studio {

// The site files a worker opens for itself.
struct SitePaths {
    std::filesystem::path dtm;
    std::optional<std::filesystem::path> ortho;
    // The plan's own site files (PlanSite paths).
    static SitePaths of(const planner::Plan& plan);
};

// Which proposer a run uses and how.
struct ProposerSpec {
    enum class Kind { Builtin, Anthropic, OpenAI, Replay };
    Kind kind = Kind::Builtin;
    std::filesystem::path replayDir;   // Replay: the recorded transcript folder
    vlm::ProviderConfig provider;      // Anthropic / OpenAI: endpoint, model, key (never logged)
    vlm::VlmOptions vlm;               // Anthropic / OpenAI: mode, waypoints per request, transcripts
    bool repair = false;               // the built-in proposer repairs stretches the proposer cannot pass
    int maxSegments = 1000;            // budgets of the loop (planner::BuildOptions)
    double timeBudgetS = 600.0;
};

class ProposalRunner : public QObject {
    Q_OBJECT

public:
    explicit ProposalRunner(QObject* parent = nullptr);
    // Cancels a run in progress and waits for its thread.
    ~ProposalRunner() override;

    // Starts a run from the plan's start pose to its goal through its via-points, with its rover,
    // keep-outs, tolerance and segment length, on `site`. Returns false (and does nothing) while a
    // run is in progress. The plan and the spec are copied: later edits do not reach the run.
    bool start(planner::Plan plan, SitePaths site, ProposerSpec spec);
    // Triggers the run's stop token: the loop (and a model request in flight) ends promptly and the
    // run reports failed(..., cancelled = true).
    void cancel();
    // True from start() until finished() or failed() has been emitted.
    bool running() const { return running_; }

signals:
    // Fraction of the straight-line distance covered (0..1) and the stage, at most every 50 ms.
    void progress(double fraction, const QString& text);
    // After every decision of the loop (accepted or refused), with the route as it stands.
    void routeGrew(const traverse::planner::Route& route, const traverse::planner::Decision& decision);
    // The loop ended (the goal reached or not; result.outcome says why; result.proposerError is set
    // when a model failed after part of the route was planned).
    void finished(const traverse::planner::BuildResult& result);
    // The run could not start or went wrong (the message names the file or the reason); `cancelled`
    // when cancel() ended it.
    void failed(const QString& message, bool cancelled);

private:
    void run(std::stop_token stop, planner::Plan plan, SitePaths site, ProposerSpec spec);

    std::jthread worker_;
    bool running_ = false;
};

}  // namespace traverse::studio
