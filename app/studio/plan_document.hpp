#pragma once
// The open plan as a Qt model: a planner::Plan, the file it lives in, and a QUndoStack through which
// every edit goes (edit_commands). Views (the route overlay, the waypoint table, the profile, the
// propose/validate panels) read plan() and follow planChanged(); they never change the plan but
// through the methods below. The modified flag is the undo stack's clean state.
//
// Waypoints are the route's segment ends: waypoint i is plan().route.segments[i] (0-based; shown
// numbered from 1). Hand-drawn ones have provenance source "planner".
#include "planner/plan.hpp"

#include <QObject>

#include <filesystem>
#include <optional>
#include <vector>

class QUndoStack;

namespace traverse::studio {

// Something on the map the planner can select, drag or delete.
struct PlanHandle {
    enum class Kind { None, Start, Waypoint, Goal, ZoneVertex };
    Kind kind = Kind::None;
    int index = -1;   // waypoint index, or zone index for ZoneVertex
    int vertex = -1;  // ZoneVertex only
    bool operator==(const PlanHandle&) const = default;
    bool valid() const { return kind != Kind::None; }
};

class PlanDocument : public QObject {
    Q_OBJECT

public:
    // What an edit touched (flags), for views that redraw only part of themselves.
    enum Part : unsigned {
        Start = 1u << 0,
        Goal = 1u << 1,
        Route = 1u << 2,
        Zones = 1u << 3,
        Validation = 1u << 4,
        Decisions = 1u << 5,
        Site = 1u << 6,
        Everything = 0xffu,
    };

    explicit PlanDocument(QObject* parent = nullptr);
    ~PlanDocument() override;

    const planner::Plan& plan() const { return plan_; }
    // A new plan has neither start nor goal until the planner sets them; a loaded plan has both
    // (the file format requires them).
    bool hasStart() const { return hasStart_; }
    bool hasGoal() const { return hasGoal_; }
    int waypointCount() const { return int(plan_.route.segments.size()); }
    terrain::MapPoint waypoint(int i) const { return plan_.route.segments.at(std::size_t(i)).to; }
    // The map position of a handle (start, waypoint, goal, zone vertex); nothing if it does not exist.
    std::optional<terrain::MapPoint> position(const PlanHandle& h) const;

    QUndoStack* undoStack() const { return undo_; }
    // The plan file; empty for a plan never saved.
    const std::filesystem::path& filePath() const { return path_; }
    void setFilePath(const std::filesystem::path& path);
    // Unsaved changes: the undo stack is not at its clean index.
    bool isModified() const;
    // The document now matches its file (after a save).
    void markSaved();

    // Replaces everything (File ▸ New / Open): clears the history, the selection and the file path,
    // which becomes `path`. `hasStartAndGoal` is false for a new, empty plan.
    void reset(planner::Plan plan, std::filesystem::path path, bool hasStartAndGoal);
    // Replaces the whole plan as one undoable edit (recovering an autosave: undo returns to the
    // plan as it was saved).
    void replacePlan(planner::Plan plan, const QString& text);

    // The terrain the plan is drawn on (files and hashes). Not an undoable edit: it follows the site
    // open in the window. Leaves the clean state when `markModified` (a plan with content moved
    // to other terrain must be saved again).
    void setSite(planner::PlanSite site, bool markModified);

    // ---- edits (each one undoable command) ----
    void setStart(twin::Pose pose);
    void setGoal(terrain::MapPoint goal);
    void appendWaypoint(terrain::MapPoint p);
    // Inserts before waypoint `index` (0 ≤ index ≤ waypointCount(); index == count appends).
    void insertWaypoint(int index, terrain::MapPoint p);
    void moveWaypoint(int index, terrain::MapPoint p);
    void deleteWaypoint(int index);
    // Moves any handle (start keeps its heading).
    void moveHandle(const PlanHandle& h, terrain::MapPoint p);
    void addZone(twin::Zone zone);
    void moveZoneVertex(int zone, int vertex, terrain::MapPoint p);
    void deleteZone(int zone);
    // A route from a proposer, with the decisions that made it (appended to the log): one command.
    void replaceRoute(planner::Route route, std::vector<planner::Decision> decisions);
    // The latest validation report (nothing clears it): one command.
    void setValidation(std::optional<planner::ValidationRecord> validation);

    // ---- selection (view state shared by the map and the table; not part of the plan) ----
    PlanHandle selection() const { return selection_; }
    void setSelection(PlanHandle h);

signals:
    // The plan changed (an edit, its undo or redo, a reset); `parts` is a combination of Part.
    void planChanged(unsigned parts);
    // reset() was called: views drop their state about the previous plan.
    void documentReset();
    void modifiedChanged(bool modified);
    void filePathChanged();
    void selectionChanged(traverse::studio::PlanHandle selection);

private:
    friend class PlanCommand;  // commands apply their changes through the members below
    planner::Plan& mutablePlan() { return plan_; }
    void setHasStart(bool v) { hasStart_ = v; }
    void setHasGoal(bool v) { hasGoal_ = v; }
    void notify(unsigned parts);

    planner::Plan plan_;
    bool hasStart_ = false;
    bool hasGoal_ = false;
    std::filesystem::path path_;
    QUndoStack* undo_;
    PlanHandle selection_;
};

}  // namespace traverse::studio
