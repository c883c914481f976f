#include "studio/main_window.hpp"

#include "studio/background_task.hpp"
#include "studio/layer_panel.hpp"
#include "studio/propose_panel.hpp"
#include "studio/training_panel.hpp"
#include "studio/traverse_overlay.hpp"
#include "studio/replay_panel.hpp"
#include "studio/studio_settings.hpp"
#include "studio/workflow_panels.hpp"
#include "twin/rover_config.hpp"

#include "studio/map_readout.hpp"
#include "studio/map_view.hpp"
#include "studio/open_site_dialog.hpp"
#include "studio/plan_document.hpp"
#include "studio/profile_view.hpp"
#include "studio/waypoint_table.hpp"

#include "planner/plan.hpp"
#include "twin/drive_replay.hpp"
#include "terrain/error.hpp"
#include "terrain/site.hpp"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFontMetrics>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QMouseEvent>
#include <QProgressDialog>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>
#include <QUndoView>

namespace traverse::studio {

namespace {

constexpr int kMaxRecent = 8;
const char* const kRecentKey = "recentPlans";

QString fileName(const std::filesystem::path& p) { return QString::fromStdString(p.filename().string()); }
QString qpath(const std::filesystem::path& p) { return QString::fromStdString(p.string()); }

bool isPlanFile(const QString& path) { return path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive); }

struct ToolInfo {
    RouteOverlay::Tool tool;
    const char* text;
    const char* shortcut;
};

constexpr ToolInfo kTools[] = {
    {RouteOverlay::Tool::Navigate, QT_TRANSLATE_NOOP("MainWindow", "&Navigate"), "N"},
    {RouteOverlay::Tool::SetStart, QT_TRANSLATE_NOOP("MainWindow", "Set &start"), "S"},
    {RouteOverlay::Tool::SetGoal, QT_TRANSLATE_NOOP("MainWindow", "Set &goal"), "G"},
    {RouteOverlay::Tool::AddWaypoint, QT_TRANSLATE_NOOP("MainWindow", "Add &waypoint"), "W"},
    {RouteOverlay::Tool::Move, QT_TRANSLATE_NOOP("MainWindow", "&Move"), "M"},
    {RouteOverlay::Tool::Delete, QT_TRANSLATE_NOOP("MainWindow", "&Delete"), "D"},
    {RouteOverlay::Tool::DrawKeepOut, QT_TRANSLATE_NOOP("MainWindow", "Draw &keep-out"), "K"},
    {RouteOverlay::Tool::Measure, QT_TRANSLATE_NOOP("MainWindow", "Mea&sure"), "R"},
};

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), map_(new MapView(this)), readout_(new QLabel(this)), doc_(new PlanDocument(this)),
      overlay_(std::make_unique<RouteOverlay>(*doc_, *map_)), table_(new WaypointTable(*doc_, this)),
      profile_(new ProfileView(*doc_, this)), autosaveTimer_(new QTimer(this)), autosaveSoon_(new QTimer(this)) {
    setCentralWidget(map_);
    map_->setFocus();
    setAcceptDrops(true);
    setDockNestingEnabled(true);
    // Fixed-width digits, so that the readout does not jitter as the cursor moves.
    readout_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    readout_->setMinimumWidth(QFontMetrics(readout_->font())
                                  .horizontalAdvance(QStringLiteral("E -0000000.00 m   N -0000000.00 m   elevation -00000.00 m ")));
    statusBar()->addPermanentWidget(readout_);

    reportError_ = [this](const QString& title, const QString& message) {
        QMessageBox::critical(this, title, message);
    };
    savePrompt_ = [this](const QString& name) {
        const auto answer = QMessageBox::warning(
            this, tr("Unsaved changes"), tr("The plan \u201c%1\u201d has unsaved changes. Save them?").arg(name),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        return answer == QMessageBox::Save ? SaveChoice::Save
               : answer == QMessageBox::Discard ? SaveChoice::Discard : SaveChoice::Cancel;
    };
    recoveryPrompt_ = [this](const QString& plan, const QString& autosave) {
        return QMessageBox::question(this, tr("Recover unsaved work"),
                                     tr("%1 has unsaved work from an earlier session (%2), newer than the file. "
                                        "Open the recovered work?")
                                         .arg(plan, autosave),
                                     QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes) == QMessageBox::Yes;
    };
    pathPrompt_ = [this](const QString& title, bool saving) -> std::optional<std::filesystem::path> {
        const QString filter = tr("Plans (*.json)");
        QString chosen = saving ? QFileDialog::getSaveFileName(this, title, {}, filter)
                                : QFileDialog::getOpenFileName(this, title, {}, filter);
        if (chosen.isEmpty()) return std::nullopt;
        if (saving && QFileInfo(chosen).suffix().isEmpty()) chosen += QStringLiteral(".json");
        return chosen.toStdString();
    };

    // Docks: the waypoint table on the right (panels added later stack below it), the profile and
    // the history below the map.
    table_->setMinimumHeight(170);
    QDockWidget* tableDock = addDockPanel(table_, Qt::RightDockWidgetArea, tr("Waypoints"));
    QDockWidget* profileDock = addDockPanel(profile_, Qt::BottomDockWidgetArea, tr("Profile"));
    auto* history = new QUndoView(doc_->undoStack());
    history->setEmptyLabel(tr("<opened>"));
    QDockWidget* historyDock = addDockPanel(history, Qt::BottomDockWidgetArea, tr("History"));
    splitDockWidget(profileDock, historyDock, Qt::Horizontal);
    resizeDocks({tableDock}, {430}, Qt::Horizontal);
    resizeDocks({profileDock, historyDock}, {900, 320}, Qt::Horizontal);
    resizeDocks({profileDock}, {210}, Qt::Vertical);
    buildMenus();
    // The map's layers with their legends on the left; propose and validate on the right.
    addDockPanel(new LayerPanel(map_), Qt::LeftDockWidgetArea, tr("Layers"));
    workflow_ = new WorkflowPanels(*this);
    traverses_ = std::make_unique<TraverseOverlay>(*map_);
    // Training: a tab beside Propose and Validate, shown when a scenario opens.
    training_ = new TrainingPanel;
    trainingDock_ = addDockPanel(training_, Qt::RightDockWidgetArea, tr("Training"));
    if (auto* proposeDock = qobject_cast<QDockWidget*>(workflow_->proposePanel()->parentWidget()))
        tabifyDockWidget(proposeDock, trainingDock_);
    trainingDock_->hide();
    // The replay timeline of a drive log: a tab beside the profile, the profile in front.
    connect(training_, &TrainingPanel::openRequested, this, &MainWindow::showOpenScenarioDialog);
    connect(training_, &TrainingPanel::scoreRequested, this, [this] { training_->score(doc_->plan()); });
    connect(training_, &TrainingPanel::failed, this,
            [this](const QString& m) { reportError_(tr("Cannot score the plan"), m); });
    replay_ = new ReplayPanel(*map_, *doc_);
    replayDock_ = addDockPanel(replay_, Qt::BottomDockWidgetArea, tr("Replay"));
    tabifyDockWidget(profileDock, replayDock_);
    profileDock->raise();
    // The hazard layers follow the plan's rover (its footprint, wheels and limits).
    connect(doc_, &PlanDocument::documentReset, this,
            [this] { map_->setHazardParams(twin::hazardParamsFor(doc_->plan().rover)); });
    doc_->reset(freshPlan(), {}, false);

    connect(map_, &MapView::cursorMoved, this, &MainWindow::showCursor);
    connect(map_, &MapView::cursorLeft, readout_, &QLabel::clear);
    connect(map_, &MapView::renderProblem, this,
            [this](const QString& message) { statusBar()->showMessage(message, 15000); });
    connect(table_, &WaypointTable::centreRequested, this, &MainWindow::centreMapOn);
    connect(overlay_.get(), &RouteOverlay::toolChanged, this, [this](RouteOverlay::Tool tool) {
        toolActions_.at(tool)->setChecked(true);
        statusBar()->showMessage(RouteOverlay::toolHint(tool));
    });
    connect(overlay_.get(), &RouteOverlay::measured, this,
            [this](const QString& text, terrain::MapPoint a, terrain::MapPoint b) {
                statusBar()->showMessage(tr("Measured: %1").arg(text));
                profile_->setLine(std::pair{a, b});
            });
    connect(overlay_.get(), &RouteOverlay::measurementCleared, this, [this] { profile_->setLine(std::nullopt); });
    connect(profile_, &ProfileView::hovered, overlay_.get(), &RouteOverlay::setCursorMarker);
    connect(doc_, &PlanDocument::modifiedChanged, this, [this] { updateTitle(); });
    connect(doc_, &PlanDocument::filePathChanged, this, [this] { updateTitle(); });

    // Autosave: shortly after each edit, and on a timer while changes are unsaved.
    autosaveSoon_->setSingleShot(true);
    autosaveSoon_->setInterval(kAutosaveAfterEditMs);
    connect(autosaveSoon_, &QTimer::timeout, this, &MainWindow::autosaveNow);
    autosaveTimer_->setInterval(kAutosaveIntervalMs);
    connect(autosaveTimer_, &QTimer::timeout, this, &MainWindow::autosaveNow);
    autosaveTimer_->start();
    connect(doc_->undoStack(), &QUndoStack::indexChanged, this, [this] {
        autosavePending_ = true;
        if (!doc_->filePath().empty()) autosaveSoon_->start();
    });
    updateTitle();
}

MainWindow::~MainWindow() {
    // The children (the plan document among them) are deleted after this body, when this object is
    // only a QWidget any more: none of their signals may reach the window's slots then (the undo
    // stack emits indexChanged while it is cleared).
    doc_->undoStack()->disconnect(this);
    doc_->disconnect(this);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New plan"), QKeySequence::New, this, [this] { newPlan(); });
    file->addAction(tr("&Open plan\u2026"), QKeySequence::Open, this, &MainWindow::showOpenPlanDialog);
    recentMenu_ = file->addMenu(tr("Open &recent"));
    connect(recentMenu_, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    file->addAction(tr("Open &site\u2026"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this,
                    &MainWindow::showOpenSiteDialog);
    file->addAction(tr("Show a past &traverse\u2026"), this, [this] {
        const QString chosen = QFileDialog::getOpenFileName(
            this, tr("Show a past traverse"), {}, tr("Drive logs and published traverses (*.csv *.geojson *.json)"));
        if (!chosen.isEmpty()) showTraverse(chosen.toStdString());
    });
    file->addAction(tr("Clear past traverses"), this, [this] { traverses_->clear(); });
    file->addAction(tr("Replay a &drive log\u2026"), this, [this] {
        const QString chosen =
            QFileDialog::getOpenFileName(this, tr("Replay a drive log"), {}, tr("Drive logs (*.csv);;All files (*)"));
        if (!chosen.isEmpty()) replayDriveLog(chosen.toStdString());
    });
    file->addAction(tr("Open a training &scenario\u2026"), this, &MainWindow::showOpenScenarioDialog);
    file->addSeparator();
    file->addAction(tr("&Save"), QKeySequence::Save, this, [this] { save(); });
    file->addAction(tr("Save &as\u2026"), QKeySequence::SaveAs, this, [this] { showSaveAsDialog(); });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = doc_->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = doc_->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    QAction* del = edit->addAction(tr("&Delete selected point"), this, [this] {
        const PlanHandle s = doc_->selection();
        if (s.kind == PlanHandle::Kind::Waypoint) doc_->deleteWaypoint(s.index);
        if (s.kind == PlanHandle::Kind::ZoneVertex) doc_->deleteZone(s.index);
    });
    del->setShortcut(QKeySequence::Delete);

    toolsMenu_ = menuBar()->addMenu(tr("&Tools"));
    QToolBar* toolbar = addToolBar(tr("Tools"));
    toolbar->setObjectName(QStringLiteral("toolsToolBar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto* group = new QActionGroup(this);
    for (const ToolInfo& t : kTools) {
        QAction* a = group->addAction(tr(t.text));
        a->setCheckable(true);
        a->setShortcut(QKeySequence(QString::fromLatin1(t.shortcut)));
        a->setToolTip(QStringLiteral("%1 (%2)\n%3").arg(a->text().remove(QLatin1Char('&')), QString::fromLatin1(t.shortcut),
                                                         RouteOverlay::toolHint(t.tool)));
        a->setChecked(t.tool == RouteOverlay::Tool::Navigate);
        connect(a, &QAction::triggered, this, [this, tool = t.tool] { overlay_->setTool(tool); });
        toolActions_[t.tool] = a;
        toolbar->addAction(a);
        toolsMenu_->addAction(a);
    }
    // Short labels on the tool bar; the menu's entries name the edit ("Undo Move waypoint 2").
    toolbar->addSeparator();
    QUndoStack* stack = doc_->undoStack();
    QAction* undoButton = toolbar->addAction(tr("Undo"), stack, &QUndoStack::undo);
    QAction* redoButton = toolbar->addAction(tr("Redo"), stack, &QUndoStack::redo);
    undoButton->setEnabled(false);
    redoButton->setEnabled(false);
    connect(stack, &QUndoStack::canUndoChanged, undoButton, &QAction::setEnabled);
    connect(stack, &QUndoStack::canRedoChanged, redoButton, &QAction::setEnabled);
    connect(stack, &QUndoStack::undoTextChanged, undoButton, [undoButton](const QString& t) { undoButton->setToolTip(tr("Undo %1 (Ctrl+Z)").arg(t)); });
    connect(stack, &QUndoStack::redoTextChanged, redoButton, [redoButton](const QString& t) { redoButton->setToolTip(tr("Redo %1 (Ctrl+Shift+Z)").arg(t)); });

    viewMenu_ = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : findChildren<QDockWidget*>()) viewMenu_->addAction(dock->toggleViewAction());
}

QDockWidget* MainWindow::addDockPanel(QWidget* panel, Qt::DockWidgetArea area, const QString& title) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(title + QStringLiteral("Dock"));
    dock->setWidget(panel);
    addDockWidget(area, dock);
    if (viewMenu_) viewMenu_->addAction(dock->toggleViewAction());
    return dock;
}

bool MainWindow::showTraverse(const std::filesystem::path& file) {
    if (!site_) {
        reportError_(tr("Cannot show the traverse"), tr("Open a site first: the traverse is drawn on its map."));
        return false;
    }
    try {
        const TraverseOverlay::Track& t = traverses_->load(file, *site_);
        statusBar()->showMessage(tr("%1: %2 positions").arg(t.name).arg(t.points.size()), 10000);
        return true;
    } catch (const Error& e) {
        reportError_(tr("Cannot show the traverse"), QString::fromStdString(e.what()));
        return false;
    }
}

void MainWindow::showOpenScenarioDialog() {
    const QString chosen =
        QFileDialog::getOpenFileName(this, tr("Open a training scenario"), {}, tr("Scenarios (*.json)"));
    if (!chosen.isEmpty()) openScenario(chosen.toStdString());
}

bool MainWindow::openScenario(const std::filesystem::path& file, const std::optional<std::filesystem::path>& siteDir) {
    planner::Scenario scenario;
    try {
        scenario = planner::loadScenario(file, {siteDir});
    } catch (const Error& e) {
        reportError_(tr("Cannot open the scenario"), QString::fromStdString(e.what()));
        return false;
    }
    if (!maybeSave() || !openSite(scenario.dtm, scenario.ortho)) return false;
    planner::Plan plan = freshPlan();
    plan.site = doc_->plan().site;
    plan.name = scenario.name;
    if (scenario.rover) {
        try {
            plan.rover = twin::loadRoverConfig(*scenario.rover);
        } catch (const Error& e) {
            reportError_(tr("Cannot use the scenario's rover"), QString::fromStdString(e.what()));
        }
    }
    plan.goalToleranceM = scenario.goalToleranceM;
    doc_->reset(std::move(plan), {}, false);
    doc_->setStart(scenario.start);
    doc_->setGoal(scenario.goal);
    traverses_->clear();
    showTraverse(scenario.actual.path);
    training_->setScenario(std::move(scenario));
    trainingDock_->show();
    trainingDock_->raise();
    updateTitle();
    return true;
}

bool MainWindow::replayDriveLog(const std::filesystem::path& file) {
    try {
        replay_->load(file);
    } catch (const Error& e) {
        reportError_(tr("Cannot replay the drive log"), QString::fromStdString(e.what()));
        return false;
    }
    replayDock_->show();
    replayDock_->raise();
    resizeDocks({replayDock_}, {280}, Qt::Vertical);  // room for the plots
    QTimer::singleShot(0, this, [this] { resizeDocks({replayDock_}, {280}, Qt::Vertical); });
    if (site_ && replay_->cursor()) centreMapOn(replay_->cursor()->state().position);
    statusBar()->showMessage(tr("Replaying %1").arg(QString::fromStdString(file.filename().string())), 10000);
    return true;
}

void MainWindow::setErrorReporter(ErrorReporter reporter) { reportError_ = std::move(reporter); }

// ---- sites -----------------------------------------------------------------------------------------

bool MainWindow::openSite(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho) {
    return openSiteWith(dtm, ortho, nullptr);
}

bool MainWindow::openSiteWith(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho,
                              const planner::PlanSite* known) {
    planner::PlanSite files;
    try {
        auto site = std::make_shared<const terrain::Site>(terrain::Site::open(dtm, ortho));
        // The plan records the terrain's content hashes; a plan being opened already has them.
        if (known) {
            files = *known;
        } else {
            // Gigabytes of imagery take a while to read: off the UI thread, with progress and Cancel.
            QProgressDialog progress(tr("Reading the site's files to fingerprint them (SHA-256)\u2026"), tr("Cancel"), 0,
                                     1000, this);
            progress.setWindowModality(Qt::WindowModal);
            progress.setMinimumDuration(400);
            const QString failure = runInBackground(
                [&](const std::function<void(double)>& report, std::stop_token stop) {
                    files = planner::hashSite(dtm, ortho, [&](std::uint64_t done, std::uint64_t total) {
                        report(total ? double(done) / double(total) : 1.0);
                        return !stop.stop_requested();
                    });
                },
                progressIn(progress), &progress);
            if (failure == QStringLiteral("cancelled")) return false;
            if (!failure.isEmpty()) throw Error(Error::Kind::Io, failure.toStdString());
        }
        map_->setSite(site);
        site_ = std::move(site);
    } catch (const Error& e) {
        reportError_(tr("Cannot open the site"), QString::fromStdString(e.what()));
        return false;
    }
    dtmPath_ = dtm;
    orthoPath_ = ortho;
    profile_->setSite(site_.get());
    const bool sameTerrain = files.dtm.sha256 == doc_->plan().site.dtm.sha256 &&
                             (files.ortho ? files.ortho->sha256 : std::string()) ==
                                 (doc_->plan().site.ortho ? doc_->plan().site.ortho->sha256 : std::string());
    doc_->setSite(files, !known && !sameTerrain && planHasContent());
    readout_->clear();
    updateTitle();
    statusBar()->showMessage(ortho ? QString::fromStdString(site_->coregistration().description)
                                   : tr("No orthoimage: showing a hillshade of the DTM"),
                             10000);
    return true;
}

void MainWindow::showOpenSiteDialog() {
    OpenSiteDialog dialog(dtmPath_, orthoPath_, this);
    if (dialog.exec() == QDialog::Accepted) openSite(dialog.dtmPath(), dialog.orthoPath());
}

// ---- plans -----------------------------------------------------------------------------------------

bool MainWindow::planHasContent() const {
    const planner::Plan& p = doc_->plan();
    return doc_->hasStart() || doc_->hasGoal() || !p.route.segments.empty() || !p.zones.empty();
}

bool MainWindow::maybeSave() {
    if (!doc_->isModified()) return true;
    const QString name = doc_->filePath().empty() ? tr("Untitled") : fileName(doc_->filePath());
    switch (savePrompt_(name)) {
        case SaveChoice::Save: return save();
        case SaveChoice::Discard:
            // Dropped on purpose: the autosave must not offer it back next time.
            if (!doc_->filePath().empty()) {
                std::error_code ec;
                std::filesystem::remove(planner::autosavePath(doc_->filePath()), ec);
            }
            return true;
        case SaveChoice::Cancel: return false;
    }
    return false;
}

planner::Plan MainWindow::freshPlan() {
    planner::Plan plan;
    // The rover of the settings (Plan ▸ Settings), or the built-in Perseverance-like one.
    const QString rover = StudioSettings::load().roverConfigPath;
    if (!rover.isEmpty()) {
        try {
            plan.rover = twin::loadRoverConfig(rover.toStdString());
        } catch (const Error& e) {
            reportError_(tr("Cannot use the rover of the settings"), QString::fromStdString(e.what()));
        }
    }
    return plan;
}

bool MainWindow::newPlan() {
    if (!maybeSave()) return false;
    planner::Plan plan = freshPlan();
    plan.site = doc_->plan().site;  // drawn on the open site
    doc_->reset(std::move(plan), {}, false);
    updateTitle();
    return true;
}

bool MainWindow::openPlan(const std::filesystem::path& path) {
    if (!maybeSave()) return false;
    const planner::LoadOptions noTerrainCheck{.checkTerrainExists = false};  // the site reports it
    std::optional<planner::Plan> saved, recovered;
    std::optional<std::string> savedError;
    const std::optional<std::filesystem::path> autosave = planner::recoveryFile(path);
    try {
        if (std::filesystem::exists(path) || !autosave) saved = planner::loadPlan(path, noTerrainCheck);
    } catch (const Error& e) {
        savedError = e.what();
    }
    if (autosave && recoveryPrompt_(qpath(path), qpath(*autosave))) {
        try {
            recovered = planner::loadPlan(*autosave, noTerrainCheck);
        } catch (const Error& e) {
            reportError_(tr("Cannot recover the autosave"), QString::fromStdString(e.what()));
        }
    }
    if (!saved && !recovered) {
        if (savedError) reportError_(tr("Cannot open the plan"), QString::fromStdString(*savedError));
        return false;
    }
    const bool onDisk = saved.has_value();
    doc_->reset(saved ? std::move(*saved) : planner::Plan{}, path, onDisk);
    // Recovered work is an edit on top of the saved plan: undo shows what was saved.
    if (recovered) doc_->replacePlan(std::move(*recovered), tr("Recover unsaved work"));
    addRecent(path);

    const planner::PlanSite site = doc_->plan().site;
    const std::optional<std::filesystem::path> ortho =
        site.ortho ? std::optional<std::filesystem::path>(site.ortho->path) : std::nullopt;
    if (!site_ || site.dtm.path != dtmPath_ || ortho != orthoPath_) openSiteWith(site.dtm.path, ortho, &site);
    updateTitle();
    statusBar()->showMessage(recovered ? tr("Recovered unsaved work of %1").arg(fileName(path))
                                       : tr("Opened %1").arg(fileName(path)),
                             10000);
    return true;
}

void MainWindow::showOpenPlanDialog() {
    if (const auto path = pathPrompt_(tr("Open plan"), false)) openPlan(*path);
}

bool MainWindow::save() {
    if (doc_->filePath().empty()) return showSaveAsDialog();
    return writePlan(doc_->filePath());
}

bool MainWindow::showSaveAsDialog() {
    const auto path = pathPrompt_(tr("Save plan as"), true);
    return path && saveAs(*path);
}

bool MainWindow::saveAs(const std::filesystem::path& path) { return writePlan(path); }

bool MainWindow::writePlan(const std::filesystem::path& path) {
    if (!doc_->hasStart() || !doc_->hasGoal()) {
        reportError_(tr("Cannot save the plan"), tr("Set the start and the goal first: a plan file holds both."));
        return false;
    }
    if (doc_->plan().site.dtm.path.empty()) {
        reportError_(tr("Cannot save the plan"), tr("Open a site first: a plan is drawn on a DTM."));
        return false;
    }
    try {
        planner::savePlan(doc_->plan(), path);
    } catch (const Error& e) {
        reportError_(tr("Cannot save the plan"), QString::fromStdString(e.what()));
        return false;
    }
    doc_->setFilePath(path);
    doc_->markSaved();
    autosavePending_ = false;
    addRecent(path);
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(qpath(path)), 5000);
    return true;
}

void MainWindow::autosaveNow() {
    if (!autosavePending_ || !doc_->isModified() || doc_->filePath().empty()) return;
    if (!doc_->hasStart() || !doc_->hasGoal() || doc_->plan().site.dtm.path.empty()) return;
    try {
        planner::autosavePlan(doc_->plan(), doc_->filePath());
        autosavePending_ = false;
    } catch (const Error& e) {
        // Not a dialog every few seconds: the status bar says it, and the next edit tries again.
        statusBar()->showMessage(tr("Autosave failed: %1").arg(QString::fromStdString(e.what())), 15000);
    }
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (maybeSave())
        event->accept();
    else
        event->ignore();
}

// ---- recent files, drag and drop -------------------------------------------------------------------

QStringList MainWindow::recentFiles() const { return QSettings().value(QString::fromLatin1(kRecentKey)).toStringList(); }

void MainWindow::addRecent(const std::filesystem::path& path) {
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    const QString p = qpath(ec ? path : absolute.lexically_normal());
    QStringList list = recentFiles();
    list.removeAll(p);
    list.prepend(p);
    while (list.size() > kMaxRecent) list.removeLast();
    QSettings().setValue(QString::fromLatin1(kRecentKey), list);
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    const QStringList list = recentFiles();
    for (int i = 0; i < list.size(); ++i) {
        const QString path = list[i];
        recentMenu_->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(path), this,
                               [this, path] { openPlan(path.toStdString()); });
    }
    recentMenu_->setEnabled(!list.isEmpty());
}

void MainWindow::openFiles(const QStringList& files) {
    QStringList rasters;
    for (const QString& f : files) {
        if (isPlanFile(f))
            openPlan(f.toStdString());
        else
            rasters << f;
    }
    if (rasters.size() >= 2)
        openSite(rasters[0].toStdString(), rasters[1].toStdString());
    else if (rasters.size() == 1 && site_)
        openSite(dtmPath_, rasters[0].toStdString());
    else if (rasters.size() == 1)
        openSite(rasters[0].toStdString(), std::nullopt);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const QMimeData* mime = event->mimeData();
    if (!mime || !mime->hasUrls()) return;
    for (const QUrl& url : mime->urls())
        if (!url.isLocalFile()) return;
    event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList files;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) files << url.toLocalFile();
    if (files.isEmpty()) return;
    event->acceptProposedAction();
    // Not inside the drop: opening may show dialogs, and the drag source waits for us to return.
    QTimer::singleShot(0, this, [this, files] { openFiles(files); });
}

// ---- the map, the status bar, the title ---------------------------------------------------------------

void MainWindow::centreMapOn(const terrain::MapPoint& point) {
    if (!site_) return;
    const terrain::MapExtent v = map_->visibleExtent();
    const double mx = v.width() * 0.15, my = v.height() * 0.15;
    if (point.e > v.minE + mx && point.e < v.maxE - mx && point.n > v.minN + my && point.n < v.maxN - my) return;
    // MapView has no programmatic pan: drag it, with the route overlay ignoring the mouse meanwhile.
    const QPointF from = map_->toScreen(point);
    const QPointF to = QRectF(map_->rect()).center();
    const QPointF global = map_->mapToGlobal(QPoint(0, 0));
    overlay_->setPassive(true);
    QMouseEvent press(QEvent::MouseButtonPress, from, global + from, Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(map_, &press);
    QMouseEvent move(QEvent::MouseMove, to, global + to, Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(map_, &move);
    QMouseEvent release(QEvent::MouseButtonRelease, to, global + to, Qt::LeftButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(map_, &release);
    overlay_->setPassive(false);
}

QString MainWindow::cursorText() const { return readout_->text(); }

void MainWindow::showCursor(const terrain::MapPoint& point) {
    if (site_) readout_->setText(formatReading(readCursor(*site_, point)));
}

void MainWindow::updateTitle() {
    const QString app = tr("Traverse Studio");
    QStringList parts;
    if (!doc_->filePath().empty())
        parts << fileName(doc_->filePath()) + QStringLiteral("[*]");
    else if (planHasContent() || doc_->isModified())
        parts << tr("Untitled plan") + QStringLiteral("[*]");
    if (site_) {
        QString site = fileName(dtmPath_);
        if (orthoPath_) site += QStringLiteral(" + ") + fileName(*orthoPath_);
        parts << site;
    }
    parts << app;
    setWindowTitle(parts.join(QStringLiteral(" \u2014 ")));
    setWindowModified(doc_->isModified());
}

}  // namespace traverse::studio
