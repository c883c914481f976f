#include "studio/workflow_panels.hpp"

#include "studio/export_dialog.hpp"
#include "studio/main_window.hpp"
#include "studio/plan_document.hpp"
#include "studio/propose_panel.hpp"
#include "studio/route_overlay.hpp"
#include "studio/settings_dialog.hpp"
#include "studio/studio_settings.hpp"
#include "studio/validation_panel.hpp"

#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>

namespace traverse::studio {

WorkflowPanels::WorkflowPanels(MainWindow& window)
    : QObject(&window), window_(window), propose_(new ProposePanel), validate_(new ValidationPanel) {
    PlanDocument* doc = window.planDocument();
    RouteOverlay* overlay = window.routeOverlay();
    const StudioSettings settings = StudioSettings::load();
    // A plan exists to propose for or validate once the site and both ends are set.
    auto planSource = [doc, &window]() -> std::optional<planner::Plan> {
        if (!window.site() || !doc->hasStart() || !doc->hasGoal()) return std::nullopt;
        return doc->plan();
    };
    propose_->setPlanSource(planSource);
    propose_->setSettings(settings);
    validate_->setPlanSource(planSource);
    validate_->setUnits(settings.units);
    QDockWidget* proposeDock = window.addDockPanel(propose_, Qt::RightDockWidgetArea, tr("Propose"));
    QDockWidget* validateDock = window.addDockPanel(validate_, Qt::RightDockWidgetArea, tr("Validate"));
    window.tabifyDockWidget(proposeDock, validateDock);
    proposeDock->raise();

    // Proposals: growing on the map as they arrive, then one undoable replacement of the route.
    connect(propose_, &ProposePanel::routeGrew, overlay,
            [overlay](const planner::Route& route, const planner::Decision&) { overlay->setPreviewRoute(route); });
    connect(propose_, &ProposePanel::routeProposed, doc,
            [doc, overlay](const planner::Route& route, const std::vector<planner::Decision>& decisions) {
                overlay->setPreviewRoute(std::nullopt);
                doc->replaceRoute(route, decisions);
            });
    connect(propose_, &ProposePanel::proposalFailed, this, [this, overlay](const QString& message) {
        overlay->setPreviewRoute(std::nullopt);
        window_.statusBar()->showMessage(message, 10000);
    });
    connect(propose_, &ProposePanel::jumpTo, this, [this](const terrain::MapPoint& p) { window_.centreMapOn(p); });

    // Validation: the record into the plan (so that export can check it), colours and reasons on
    // the map, the Monte Carlo ellipse, the plots' cursor as a marker.
    connect(validate_, &ValidationPanel::validated, doc, [doc, overlay](const planner::ValidationOutcome& out) {
        doc->setValidation(out.record);
        if (out.dispersion) overlay->setDispersion(out.dispersion->meanEnd, out.dispersion->ellipse);
        else overlay->setDispersionEllipse(std::nullopt);
    });
    connect(validate_, &ValidationPanel::segmentStatusesChanged, overlay,
            [overlay](const std::vector<SegmentStatus>& statuses) {
                std::vector<RouteOverlay::SegmentCheck> checks;
                for (const auto& s : statuses)
                    checks.push_back({RouteOverlay::statusOf(s.status), s.reasons.join(QLatin1Char('\n'))});
                overlay->setSegmentChecks(std::move(checks));
            });
    connect(validate_, &ValidationPanel::jumpTo, this, [this](const terrain::MapPoint& p) { window_.centreMapOn(p); });
    connect(validate_, &ValidationPanel::cursorAt, overlay,
            [overlay](double, const terrain::MapPoint& p) { overlay->setCursorMarker(p); });
    connect(validate_, &ValidationPanel::failed, this,
            [this](const QString& message) { window_.statusBar()->showMessage(message, 10000); });
    // The plan's content changed (not its validation record or decision log): the report is stale.
    connect(doc, &PlanDocument::planChanged, validate_, [this](unsigned parts) {
        if (parts & (PlanDocument::Start | PlanDocument::Goal | PlanDocument::Route | PlanDocument::Zones |
                     PlanDocument::Site))
            validate_->markStale();
    });

    QMenu* plan = window.menuBar()->addMenu(tr("&Plan"));
    QAction* proposeAction = plan->addAction(tr("&Propose route"), propose_, &ProposePanel::propose);
    proposeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    QAction* validateAction = plan->addAction(tr("&Validate"), validate_, &ValidationPanel::validate);
    validateAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    export_ = plan->addAction(tr("&Export for uplink..."), this, &WorkflowPanels::showExportDialog);
    export_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    plan->addSeparator();
    plan->addAction(tr("&Settings..."), this, &WorkflowPanels::showSettingsDialog);
}

void WorkflowPanels::showExportDialog() {
    PlanDocument* doc = window_.planDocument();
    if (!doc->hasStart() || !doc->hasGoal()) {
        window_.statusBar()->showMessage(tr("Nothing to export: set the start and the goal, propose and validate."),
                                         10000);
        return;
    }
    ExportDialog dialog(doc->plan(), {}, &window_);
    dialog.exec();
}

void WorkflowPanels::showSettingsDialog() {
    SettingsDialog dialog(StudioSettings::load(), &window_);
    if (dialog.exec() != QDialog::Accepted) return;
    propose_->setSettings(dialog.settings());
    validate_->setUnits(dialog.settings().units);
}

}  // namespace traverse::studio
