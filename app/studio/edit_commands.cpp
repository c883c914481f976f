#include "studio/edit_commands.hpp"

#include "studio/plan_document.hpp"

#include <QCoreApplication>

namespace traverse::studio {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("EditCommands", text); }

QString coords(terrain::MapPoint p) {
    return QStringLiteral("(%1, %2)").arg(p.e, 0, 'f', 1).arg(p.n, 0, 'f', 1);
}

planner::Segment handDrawn(terrain::MapPoint p) {
    planner::Segment s;
    s.to = p;
    s.provenance.source = "planner";
    return s;
}

}  // namespace

planner::Plan& PlanCommand::plan() { return doc_.mutablePlan(); }
void PlanCommand::setHasStart(bool v) { doc_.setHasStart(v); }
void PlanCommand::setHasGoal(bool v) { doc_.setHasGoal(v); }
bool PlanCommand::hasStart() const { return doc_.hasStart(); }
bool PlanCommand::hasGoal() const { return doc_.hasGoal(); }
void PlanCommand::notify(unsigned parts) { doc_.notify(parts); }

// ---- start, goal -----------------------------------------------------------------------------------

SetStartCommand::SetStartCommand(PlanDocument& doc, twin::Pose pose)
    : PlanCommand(doc, tr("Set start %1, heading %2\u00b0").arg(coords({pose.e, pose.n})).arg(pose.headingDeg, 0, 'f', 1)),
      before_(doc.plan().route.start), after_(pose), hadStart_(doc.hasStart()) {}

void SetStartCommand::redo() {
    plan().route.start = after_;
    setHasStart(true);
    notify(PlanDocument::Start | PlanDocument::Route);
}

void SetStartCommand::undo() {
    plan().route.start = before_;
    setHasStart(hadStart_);
    notify(PlanDocument::Start | PlanDocument::Route);
}

SetGoalCommand::SetGoalCommand(PlanDocument& doc, terrain::MapPoint goal)
    : PlanCommand(doc, tr("Set goal %1").arg(coords(goal))), before_(doc.plan().goal), after_(goal),
      hadGoal_(doc.hasGoal()) {}

void SetGoalCommand::redo() {
    plan().goal = after_;
    setHasGoal(true);
    notify(PlanDocument::Goal);
}

void SetGoalCommand::undo() {
    plan().goal = before_;
    setHasGoal(hadGoal_);
    notify(PlanDocument::Goal);
}

// ---- waypoints -------------------------------------------------------------------------------------

InsertWaypointCommand::InsertWaypointCommand(PlanDocument& doc, int index, terrain::MapPoint p)
    : PlanCommand(doc, index == doc.waypointCount() ? tr("Add waypoint %1 %2").arg(index + 1).arg(coords(p))
                                                     : tr("Insert waypoint %1 %2").arg(index + 1).arg(coords(p))),
      index_(index), segment_(handDrawn(p)) {}

void InsertWaypointCommand::redo() {
    auto& segs = plan().route.segments;
    segs.insert(segs.begin() + index_, segment_);
    notify(PlanDocument::Route);
}

void InsertWaypointCommand::undo() {
    auto& segs = plan().route.segments;
    segs.erase(segs.begin() + index_);
    notify(PlanDocument::Route);
}

MoveWaypointCommand::MoveWaypointCommand(PlanDocument& doc, int index, terrain::MapPoint to)
    : PlanCommand(doc, tr("Move waypoint %1 to %2").arg(index + 1).arg(coords(to))), index_(index),
      before_(doc.waypoint(index)), after_(to) {}

void MoveWaypointCommand::redo() {
    plan().route.segments[std::size_t(index_)].to = after_;
    notify(PlanDocument::Route);
}

void MoveWaypointCommand::undo() {
    plan().route.segments[std::size_t(index_)].to = before_;
    notify(PlanDocument::Route);
}

DeleteWaypointCommand::DeleteWaypointCommand(PlanDocument& doc, int index)
    : PlanCommand(doc, tr("Delete waypoint %1").arg(index + 1)), index_(index),
      segment_(doc.plan().route.segments[std::size_t(index)]) {}

void DeleteWaypointCommand::redo() {
    auto& segs = plan().route.segments;
    segs.erase(segs.begin() + index_);
    notify(PlanDocument::Route);
}

void DeleteWaypointCommand::undo() {
    auto& segs = plan().route.segments;
    segs.insert(segs.begin() + index_, segment_);
    notify(PlanDocument::Route);
}

// ---- zones -----------------------------------------------------------------------------------------

AddZoneCommand::AddZoneCommand(PlanDocument& doc, twin::Zone zone)
    : PlanCommand(doc, zone.keepIn ? tr("Draw keep-in zone") : tr("Draw keep-out zone")), zone_(std::move(zone)) {}

void AddZoneCommand::redo() {
    plan().zones.push_back(zone_);
    notify(PlanDocument::Zones);
}

void AddZoneCommand::undo() {
    plan().zones.pop_back();
    notify(PlanDocument::Zones);
}

MoveZoneVertexCommand::MoveZoneVertexCommand(PlanDocument& doc, int zone, int vertex, terrain::MapPoint to)
    : PlanCommand(doc, tr("Move zone vertex %1").arg(coords(to))), zone_(zone), vertex_(vertex),
      before_(doc.plan().zones[std::size_t(zone)].polygon[std::size_t(vertex)]), after_(to) {}

void MoveZoneVertexCommand::redo() {
    plan().zones[std::size_t(zone_)].polygon[std::size_t(vertex_)] = after_;
    notify(PlanDocument::Zones);
}

void MoveZoneVertexCommand::undo() {
    plan().zones[std::size_t(zone_)].polygon[std::size_t(vertex_)] = before_;
    notify(PlanDocument::Zones);
}

DeleteZoneCommand::DeleteZoneCommand(PlanDocument& doc, int zone)
    : PlanCommand(doc, tr("Delete zone %1").arg(QString::fromStdString(doc.plan().zones[std::size_t(zone)].name))
                           .trimmed()),
      index_(zone), zone_(doc.plan().zones[std::size_t(zone)]) {}

void DeleteZoneCommand::redo() {
    auto& zones = plan().zones;
    zones.erase(zones.begin() + index_);
    notify(PlanDocument::Zones);
}

void DeleteZoneCommand::undo() {
    auto& zones = plan().zones;
    zones.insert(zones.begin() + index_, zone_);
    notify(PlanDocument::Zones);
}

// ---- results from the proposer and the validator ----------------------------------------------------

ReplaceRouteCommand::ReplaceRouteCommand(PlanDocument& doc, planner::Route route, std::vector<planner::Decision> decisions)
    : PlanCommand(doc, tr("Proposed route (%1 segments)").arg(route.segments.size())),
      before_(doc.plan().route), after_(std::move(route)), decisionsBefore_(doc.plan().decisions.size()),
      added_(std::move(decisions)), hadStart_(doc.hasStart()) {}

void ReplaceRouteCommand::redo() {
    plan().route = after_;
    plan().decisions.insert(plan().decisions.end(), added_.begin(), added_.end());
    setHasStart(true);
    notify(PlanDocument::Route | PlanDocument::Start | PlanDocument::Decisions);
}

void ReplaceRouteCommand::undo() {
    plan().route = before_;
    plan().decisions.resize(decisionsBefore_);
    setHasStart(hadStart_);
    notify(PlanDocument::Route | PlanDocument::Start | PlanDocument::Decisions);
}

SetValidationCommand::SetValidationCommand(PlanDocument& doc, std::optional<planner::ValidationRecord> validation)
    : PlanCommand(doc, validation ? tr("Validation report") : tr("Clear validation report")),
      before_(doc.plan().validation), after_(std::move(validation)) {}

void SetValidationCommand::redo() {
    plan().validation = after_;
    notify(PlanDocument::Validation);
}

void SetValidationCommand::undo() {
    plan().validation = before_;
    notify(PlanDocument::Validation);
}

ReplacePlanCommand::ReplacePlanCommand(PlanDocument& doc, planner::Plan plan, const QString& text)
    : PlanCommand(doc, text), before_(doc.plan()), after_(std::move(plan)), hadStart_(doc.hasStart()),
      hadGoal_(doc.hasGoal()) {}

void ReplacePlanCommand::redo() {
    plan() = after_;
    setHasStart(true);
    setHasGoal(true);
    notify(PlanDocument::Everything);
}

void ReplacePlanCommand::undo() {
    plan() = before_;
    setHasStart(hadStart_);
    setHasGoal(hadGoal_);
    notify(PlanDocument::Everything);
}

}  // namespace traverse::studio
