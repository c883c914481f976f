#pragma once
// The main window: wiring only. The map with the route overlay in the middle; docks with the
// waypoint table, the elevation profile and the edit history; File (plans and sites), Edit (undo,
// redo, delete), View (docks) and Tools menus; the tool bar; the status bar with the cursor's
// position and elevation. It owns the open site (the views borrow it) and the PlanDocument.
//
// Everything that would open a dialog goes through a hook that tests and headless runs replace:
// errors (ErrorReporter), "save changes?" (SavePrompt), "recover the autosave?" (RecoveryPrompt)
// and file choosers (PathPrompt).
#include "studio/route_overlay.hpp"

#include <QMainWindow>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QTimer;

namespace traverse::planner {
struct PlanSite;
}

namespace traverse::terrain {
class Site;
struct MapPoint;
}

namespace traverse::studio {

class MapView;
class PlanDocument;
class ProfileView;
class WaypointTable;
class WorkflowPanels;
class TraverseOverlay;
class TrainingPanel;
class ReplayPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    // Shows an error to the user: a dialog by default; tests and headless runs inject their own.
    using ErrorReporter = std::function<void(const QString& title, const QString& message)>;
    enum class SaveChoice { Save, Discard, Cancel };
    // Unsaved changes to `planName`: save them, drop them, or cancel what was about to happen.
    using SavePrompt = std::function<SaveChoice(const QString& planName)>;
    // The autosave of `planFile` is newer than the file: open it instead (true)?
    using RecoveryPrompt = std::function<bool(const QString& planFile, const QString& autosaveFile)>;
    // A file to open or save as (`saving`), or nothing when the planner cancels.
    using PathPrompt = std::function<std::optional<std::filesystem::path>(const QString& title, bool saving)>;

    // How often unsaved changes are written to `<plan>.autosave`, and how soon after an edit.
    static constexpr int kAutosaveIntervalMs = 30000;
    static constexpr int kAutosaveAfterEditMs = 2000;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a site and shows it. On failure, reports the error (the message names the file) and
    // keeps the site that was open. Returns whether the site was opened. The plan is now drawn on
    // this site (its files and hashes go into the plan).
    bool openSite(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho);

    // File ▸ New plan: an empty plan on the open site (after asking to save unsaved changes).
    bool newPlan();
    // File ▸ Open plan: asks to save unsaved changes, offers the autosave when it is newer than the
    // file, loads the plan and opens its site. Errors are reported; returns whether it opened.
    bool openPlan(const std::filesystem::path& path);
    // File ▸ Save: to the plan's file, or asks for one (PathPrompt). Returns whether it was saved.
    bool save();
    // File ▸ Save As with a known path.
    bool saveAs(const std::filesystem::path& path);
    // Plan files (.json) open as plans; rasters as the site's DTM, or as its orthoimage when a DTM
    // is open (two rasters at once: DTM then orthoimage). What drag-and-drop does.
    void openFiles(const QStringList& files);
    // Writes the autosave now if there are unsaved changes and the plan has a file.
    void autosaveNow();

    void setErrorReporter(ErrorReporter reporter);
    void setSavePrompt(SavePrompt prompt) { savePrompt_ = std::move(prompt); }
    void setRecoveryPrompt(RecoveryPrompt prompt) { recoveryPrompt_ = std::move(prompt); }
    void setPathPrompt(PathPrompt prompt) { pathPrompt_ = std::move(prompt); }

    // ---- seams for panels (propose, validate, export) ----
    // Adds a dock with `panel` (the window takes ownership) and its toggle to the View menu.
    QDockWidget* addDockPanel(QWidget* panel, Qt::DockWidgetArea area, const QString& title);
    PlanDocument* planDocument() const { return doc_; }
    RouteOverlay* routeOverlay() const { return overlay_.get(); }
    WaypointTable* waypointTable() const { return table_; }
    ProfileView* profileView() const { return profile_; }
    QAction* toolAction(RouteOverlay::Tool tool) const { return toolActions_.at(tool); }
    QMenu* toolsMenu() const { return toolsMenu_; }

    MapView* mapView() const { return map_; }
    // File ▸ Show a past traverse: a drive log (.csv) or a published GeoJSON traverse drawn over the
    // map. Errors are reported; returns whether it is shown.
    bool showTraverse(const std::filesystem::path& file);
    TraverseOverlay* traverses() const { return traverses_.get(); }
    // File ▸ Replay a drive log: the log in the Replay dock (its timeline, plots and events) and the
    // rover on the map, at the log's start. Errors name the file and the line; returns whether loaded.
    bool replayDriveLog(const std::filesystem::path& file);
    // File ▸ Open a training scenario: its site, a new plan with its start and goal, the actual
    // traverse on the map and the Training dock, whose Score compares the plan with the actual
    // traverse and the built-in route. `siteDir`: where the scenario's DTM and orthoimage are, by name.
    bool openScenario(const std::filesystem::path& file, const std::optional<std::filesystem::path>& siteDir = {});
    TrainingPanel* trainingPanel() const { return training_; }
    ReplayPanel* replayPanel() const { return replay_; }
    // The propose / validate / export panels and the Plan menu.
    WorkflowPanels* workflow() const { return workflow_; }
    // The open site, or nullptr.
    const terrain::Site* site() const { return site_.get(); }
    // What the status bar says about the cursor.
    QString cursorText() const;
    // Recently opened or saved plans, newest first.
    QStringList recentFiles() const;
    // Brings a map point into view (pans when it is not well inside the visible extent).
    void centreMapOn(const terrain::MapPoint& point);

public slots:
    void showOpenSiteDialog();
    void showOpenPlanDialog();
    void showOpenScenarioDialog();
    bool showSaveAsDialog();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void showCursor(const terrain::MapPoint& point);
    void updateTitle();
    bool maybeSave();
    bool writePlan(const std::filesystem::path& path);
    bool openSiteWith(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho,
                      const planner::PlanSite* known);
    void addRecent(const std::filesystem::path& path);
    void rebuildRecentMenu();
    bool planHasContent() const;
    // An empty plan with the rover of the settings.
    planner::Plan freshPlan();

    std::shared_ptr<const terrain::Site> site_;
    std::filesystem::path dtmPath_;
    std::optional<std::filesystem::path> orthoPath_;
    MapView* map_;
    QLabel* readout_;
    PlanDocument* doc_;
    std::unique_ptr<RouteOverlay> overlay_;
    WaypointTable* table_;
    ProfileView* profile_;
    WorkflowPanels* workflow_ = nullptr;
    std::unique_ptr<TraverseOverlay> traverses_;
    ReplayPanel* replay_ = nullptr;
    TrainingPanel* training_ = nullptr;
    QDockWidget* trainingDock_ = nullptr;
    QDockWidget* replayDock_ = nullptr;
    QMenu* viewMenu_ = nullptr;
    QMenu* toolsMenu_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    std::map<RouteOverlay::Tool, QAction*> toolActions_;
    QTimer* autosaveTimer_;
    QTimer* autosaveSoon_;
    bool autosavePending_ = false;
    ErrorReporter reportError_;
    SavePrompt savePrompt_;
    RecoveryPrompt recoveryPrompt_;
    PathPrompt pathPrompt_;
};

}  // namespace traverse::studio
