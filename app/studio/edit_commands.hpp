#pragma once
// The undoable edits of a PlanDocument. Each command holds what it needs to redo and undo itself
// exactly (coordinates are restored bit for bit); PlanDocument's edit methods push them.
#include "planner/plan.hpp"

#include <QUndoCommand>

#include <optional>
#include <vector>

namespace traverse::studio {

class PlanDocument;

// Base: access to the document's plan for the commands (PlanDocument's friend).
class PlanCommand : public QUndoCommand {
public:
    PlanCommand(PlanDocument& doc, const QString& text) : QUndoCommand(text), doc_(doc) {}

protected:
    planner::Plan& plan();
    void setHasStart(bool v);
    void setHasGoal(bool v);
    bool hasStart() const;
    bool hasGoal() const;
    // Tells the views; keeps the selection valid.
    void notify(unsigned parts);
    PlanDocument& doc_;
};

class SetStartCommand : public PlanCommand {
public:
    SetStartCommand(PlanDocument& doc, twin::Pose pose);
    void redo() override;
    void undo() override;

private:
    twin::Pose before_, after_;
    bool hadStart_;
};

class SetGoalCommand : public PlanCommand {
public:
    SetGoalCommand(PlanDocument& doc, terrain::MapPoint goal);
    void redo() override;
    void undo() override;

private:
    terrain::MapPoint before_, after_;
    bool hadGoal_;
};

// Adds a hand-drawn waypoint before waypoint `index` (index == count appends).
class InsertWaypointCommand : public PlanCommand {
public:
    InsertWaypointCommand(PlanDocument& doc, int index, terrain::MapPoint p);
    void redo() override;
    void undo() override;

private:
    int index_;
    planner::Segment segment_;
};

class MoveWaypointCommand : public PlanCommand {
public:
    MoveWaypointCommand(PlanDocument& doc, int index, terrain::MapPoint to);
    void redo() override;
    void undo() override;

private:
    int index_;
    terrain::MapPoint before_, after_;
};

class DeleteWaypointCommand : public PlanCommand {
public:
    DeleteWaypointCommand(PlanDocument& doc, int index);
    void redo() override;
    void undo() override;

private:
    int index_;
    planner::Segment segment_;
};

class AddZoneCommand : public PlanCommand {
public:
    AddZoneCommand(PlanDocument& doc, twin::Zone zone);
    void redo() override;
    void undo() override;

private:
    twin::Zone zone_;
};

class MoveZoneVertexCommand : public PlanCommand {
public:
    MoveZoneVertexCommand(PlanDocument& doc, int zone, int vertex, terrain::MapPoint to);
    void redo() override;
    void undo() override;

private:
    int zone_, vertex_;
    terrain::MapPoint before_, after_;
};

class DeleteZoneCommand : public PlanCommand {
public:
    DeleteZoneCommand(PlanDocument& doc, int zone);
    void redo() override;
    void undo() override;

private:
    int index_;
    twin::Zone zone_;
};

// A proposed route replaces the route; its decisions are appended to the log.
class ReplaceRouteCommand : public PlanCommand {
public:
    ReplaceRouteCommand(PlanDocument& doc, planner::Route route, std::vector<planner::Decision> decisions);
    void redo() override;
    void undo() override;

private:
    planner::Route before_, after_;
    std::size_t decisionsBefore_;
    std::vector<planner::Decision> added_;
    bool hadStart_;
};

class SetValidationCommand : public PlanCommand {
public:
    SetValidationCommand(PlanDocument& doc, std::optional<planner::ValidationRecord> validation);
    void redo() override;
    void undo() override;

private:
    std::optional<planner::ValidationRecord> before_, after_;
};

// The whole plan at once (recovery of an autosave).
class ReplacePlanCommand : public PlanCommand {
public:
    ReplacePlanCommand(PlanDocument& doc, planner::Plan plan, const QString& text);
    void redo() override;
    void undo() override;

private:
    planner::Plan before_, after_;
    bool hadStart_, hadGoal_;
};

}  // namespace traverse::studio
