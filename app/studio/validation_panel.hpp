#pragma once
// Validate: the segment checker over the whole route and the digital twin driving the generated
// sequence (planner::validatePlanOnDisk), off the UI thread, on a snapshot of the plan. Shows
// pass / warn / fail per segment with the reasons (selecting one jumps the map there), the twin's
// flight-rule violations, and plots of pitch, roll, belly clearance, slip and energy against the
// distance driven, with a cursor linked to the map.
//
// The plan need not have been saved: validation reads the terrain from the plan's site paths
// (PlanSite, the DTM on disk, as the CLI and export do), not the plan file. The site must carry its
// content hashes (planner::hashSite), which the run checks against the files first.
#include "planner/plan.hpp"
#include "planner/segment_checker.hpp"
#include "planner/validation.hpp"
#include "studio/studio_settings.hpp"
#include "terrain/geometry.hpp"

#include <QStringList>
#include <QWidget>

#include <functional>
#include <optional>
#include <thread>
#include <vector>

class QLabel;
class QPushButton;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace traverse::studio {

class PlotWidget;

// What the map's route overlay needs to colour a segment and explain it on hover.
struct SegmentStatus {
    planner::CheckStatus status = planner::CheckStatus::Pass;
    QStringList reasons;          // one per finding (empty when it passes)
    terrain::MapPoint from, to;   // map frame, metres
};

class ValidationPanel : public QWidget {
    Q_OBJECT

public:
    // The plan to validate, taken when Validate is pressed (nothing: no plan open).
    using PlanSource = std::function<std::optional<planner::Plan>()>;

    explicit ValidationPanel(QWidget* parent = nullptr);
    ~ValidationPanel() override;  // stops a validation in progress and waits for it

    void setPlanSource(PlanSource source);
    void setUnits(DistanceUnits units);
    void setMonteCarloRuns(int runs);
    bool running() const { return running_; }

    // The last result (for tests and the lead): per-segment statuses, the plots.
    const std::vector<SegmentStatus>& segmentStatuses() const { return statuses_; }
    const std::optional<planner::ValidationOutcome>& outcome() const { return outcome_; }
    QTreeWidget* findings() const { return tree_; }
    std::vector<PlotWidget*> plots() const { return plots_; }
    QString summaryText() const;

public slots:
    // Validates the plan source's plan.
    void validate();
    // Validates `plan` (a snapshot). Ignored while a validation runs.
    void validatePlan(const traverse::planner::Plan& plan);
    // Stops the validation in progress (the button reads Cancel meanwhile); the panel says so.
    void cancel();
    // Moves the plots' cursor to a distance along the drive (metres), e.g. from the map.
    void setCursorDistance(double distanceM);
    // The plan changed: the results shown no longer apply (kept, marked stale).
    void markStale();

signals:
    void validated(const traverse::planner::ValidationOutcome& outcome);
    void segmentStatusesChanged(const std::vector<traverse::studio::SegmentStatus>& statuses);
    void jumpTo(const traverse::terrain::MapPoint& point);
    // The plots' cursor moved to `distanceM` along the drive, where the twin's rover was at `point`.
    void cursorAt(double distanceM, const traverse::terrain::MapPoint& point);
    void failed(const QString& message);

private:
    void showOutcome(planner::Plan plan, planner::ValidationOutcome outcome);
    void showPlots();
    void selectItem(QTreeWidgetItem* item);
    std::optional<std::size_t> sampleAt(double distanceM) const;

    PlanSource source_;
    DistanceUnits units_ = DistanceUnits::Metres;
    double tiltLimitDeg_ = 30.0;  // the validated plan's rover: planning tilt limit
    QPushButton* validate_;
    QSpinBox* monteCarlo_;
    QLabel* summary_;
    QTreeWidget* tree_;
    std::vector<PlotWidget*> plots_;
    std::optional<planner::ValidationOutcome> outcome_;
    std::vector<SegmentStatus> statuses_;
    std::jthread worker_;
    bool running_ = false;
    void finishRun();  // the button back to Validate, on the UI thread
};

}  // namespace traverse::studio
