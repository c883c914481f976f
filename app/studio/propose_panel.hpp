#pragma once
// Propose: choose the proposer (built-in, Anthropic, OpenAI-compatible, a recorded transcript) and
// how to ask, run it off the UI thread (ProposalRunner) with a progress bar and Cancel, list every
// decision as it arrives (accepted, or refused with the reason), and show for the selected decision
// what the model was sent and answered (TranscriptPanel).
#include "planner/plan.hpp"
#include "studio/proposal_runner.hpp"
#include "studio/studio_settings.hpp"

#include <QWidget>

#include <functional>
#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace traverse::studio {

class TranscriptPanel;

class ProposePanel : public QWidget {
    Q_OBJECT

public:
    // The plan to propose a route for, taken when Propose is pressed: its start pose, goal,
    // via-points, keep-outs, rover and site (nothing: no plan open).
    using PlanSource = std::function<std::optional<planner::Plan>()>;

    explicit ProposePanel(QWidget* parent = nullptr);

    void setPlanSource(PlanSource source);
    // The site files the run opens; by default the plan's own (SitePaths::of).
    void setSitePaths(std::optional<SitePaths> site);
    // Providers' endpoints, models and key file, and the proposer selected at first.
    void setSettings(const StudioSettings& settings);

    // The controls, for the main window's menus and for tests.
    void setProposer(ProposerSpec::Kind kind, const QString& replayDir = {});
    ProposerSpec::Kind proposer() const;
    void setAskMode(vlm::AskMode mode);
    void setWaypointsPerRequest(int n);
    // Each model run records into a new subfolder "run-YYYYMMDD-hhmmss" of this folder; empty: not recorded.
    void setTranscriptsFolder(const QString& folder);
    QString lastTranscriptDir() const { return lastTranscriptDir_; }

    bool running() const { return runner_->running(); }
    ProposalRunner* runner() const { return runner_; }
    TranscriptPanel* transcriptPanel() const { return transcript_; }
    QListWidget* decisionList() const { return list_; }
    QProgressBar* progressBar() const { return progress_; }
    QString statusText() const;
    const std::vector<planner::Decision>& decisions() const { return decisions_; }

public slots:
    void propose();
    // Proposes for `plan` (a snapshot). Ignored while a run is in progress.
    void proposeFor(const traverse::planner::Plan& plan);
    void cancel();

signals:
    // A run ended with a route (the goal reached or not): the lead replaces the plan's route and
    // decision log with these, undoably.
    void routeProposed(const traverse::planner::Route& route, const std::vector<traverse::planner::Decision>& decisions);
    // After every decision of a run in progress, with the route so far (for live display).
    void routeGrew(const traverse::planner::Route& route, const traverse::planner::Decision& decision);
    // A run could not start, failed or was cancelled, with the reason.
    void proposalFailed(const QString& message);
    // A decision was selected: its first proposed point.
    void jumpTo(const traverse::terrain::MapPoint& point);

private:
    void updateControls();
    void addDecision(const planner::Decision& d);
    void showDecision(int row);
    std::optional<ProposerSpec> spec(QString* problem);

    PlanSource source_;
    std::optional<SitePaths> site_;
    StudioSettings settings_;
    ProposalRunner* runner_;
    QComboBox* proposer_;
    QLineEdit* replayDir_;
    QWidget* replayRow_;
    QComboBox* mode_;
    QSpinBox* waypoints_;
    QLineEdit* transcripts_;
    QWidget* modelBox_;
    QCheckBox* repair_;
    QPushButton* propose_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    QListWidget* list_;
    TranscriptPanel* transcript_;
    std::vector<planner::Decision> decisions_;
    QString lastTranscriptDir_;
};

}  // namespace traverse::studio
