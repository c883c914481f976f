#include "studio/plan_document.hpp"

#include "studio/edit_commands.hpp"

#include <QUndoStack>

namespace traverse::studio {

PlanDocument::PlanDocument(QObject* parent) : QObject(parent), undo_(new QUndoStack(this)) {
    connect(undo_, &QUndoStack::cleanChanged, this, [this](bool clean) { emit modifiedChanged(!clean); });
}

PlanDocument::~PlanDocument() = default;

std::optional<terrain::MapPoint> PlanDocument::position(const PlanHandle& h) const {
    switch (h.kind) {
        case PlanHandle::Kind::Start:
            if (hasStart_) return terrain::MapPoint{plan_.route.start.e, plan_.route.start.n};
            break;
        case PlanHandle::Kind::Goal:
            if (hasGoal_) return plan_.goal;
            break;
        case PlanHandle::Kind::Waypoint:
            if (h.index >= 0 && h.index < waypointCount()) return waypoint(h.index);
            break;
        case PlanHandle::Kind::ZoneVertex:
            if (h.index >= 0 && h.index < int(plan_.zones.size()) && h.vertex >= 0 &&
                h.vertex < int(plan_.zones[std::size_t(h.index)].polygon.size()))
                return plan_.zones[std::size_t(h.index)].polygon[std::size_t(h.vertex)];
            break;
        case PlanHandle::Kind::None: break;
    }
    return std::nullopt;
}

void PlanDocument::setFilePath(const std::filesystem::path& path) {
    if (path == path_) return;
    path_ = path;
    emit filePathChanged();
}

bool PlanDocument::isModified() const { return !undo_->isClean(); }

void PlanDocument::markSaved() { undo_->setClean(); }

void PlanDocument::reset(planner::Plan plan, std::filesystem::path path, bool hasStartAndGoal) {
    undo_->clear();  // clean again (emits cleanChanged, hence modifiedChanged, when it was not)
    plan_ = std::move(plan);
    hasStart_ = hasGoal_ = hasStartAndGoal;
    selection_ = {};
    setFilePath(path);
    emit documentReset();
    emit planChanged(Everything);
    emit selectionChanged(selection_);
}

void PlanDocument::replacePlan(planner::Plan plan, const QString& text) {
    undo_->push(new ReplacePlanCommand(*this, std::move(plan), text));
}

void PlanDocument::setSite(planner::PlanSite site, bool markModified) {
    plan_.site = std::move(site);
    if (markModified) undo_->resetClean();
    notify(Site);
}

void PlanDocument::setStart(twin::Pose pose) { undo_->push(new SetStartCommand(*this, pose)); }
void PlanDocument::setGoal(terrain::MapPoint goal) { undo_->push(new SetGoalCommand(*this, goal)); }
void PlanDocument::appendWaypoint(terrain::MapPoint p) { insertWaypoint(waypointCount(), p); }

void PlanDocument::insertWaypoint(int index, terrain::MapPoint p) {
    if (index < 0 || index > waypointCount()) return;
    undo_->push(new InsertWaypointCommand(*this, index, p));
}

void PlanDocument::moveWaypoint(int index, terrain::MapPoint p) {
    if (index < 0 || index >= waypointCount()) return;
    undo_->push(new MoveWaypointCommand(*this, index, p));
}

void PlanDocument::deleteWaypoint(int index) {
    if (index < 0 || index >= waypointCount()) return;
    undo_->push(new DeleteWaypointCommand(*this, index));
}

void PlanDocument::moveHandle(const PlanHandle& h, terrain::MapPoint p) {
    switch (h.kind) {
        case PlanHandle::Kind::Start: {
            twin::Pose pose = plan_.route.start;
            pose.e = p.e;
            pose.n = p.n;
            setStart(pose);
            break;
        }
        case PlanHandle::Kind::Goal: setGoal(p); break;
        case PlanHandle::Kind::Waypoint: moveWaypoint(h.index, p); break;
        case PlanHandle::Kind::ZoneVertex: moveZoneVertex(h.index, h.vertex, p); break;
        case PlanHandle::Kind::None: break;
    }
}

void PlanDocument::addZone(twin::Zone zone) {
    if (zone.polygon.size() < 3) return;
    undo_->push(new AddZoneCommand(*this, std::move(zone)));
}

void PlanDocument::moveZoneVertex(int zone, int vertex, terrain::MapPoint p) {
    if (!position({PlanHandle::Kind::ZoneVertex, zone, vertex})) return;
    undo_->push(new MoveZoneVertexCommand(*this, zone, vertex, p));
}

void PlanDocument::deleteZone(int zone) {
    if (zone < 0 || zone >= int(plan_.zones.size())) return;
    undo_->push(new DeleteZoneCommand(*this, zone));
}

void PlanDocument::replaceRoute(planner::Route route, std::vector<planner::Decision> decisions) {
    undo_->push(new ReplaceRouteCommand(*this, std::move(route), std::move(decisions)));
}

void PlanDocument::setValidation(std::optional<planner::ValidationRecord> validation) {
    undo_->push(new SetValidationCommand(*this, std::move(validation)));
}

void PlanDocument::setSelection(PlanHandle h) {
    if (h.valid() && !position(h)) h = {};
    if (h == selection_) return;
    selection_ = h;
    emit selectionChanged(selection_);
}

void PlanDocument::notify(unsigned parts) {
    if (selection_.valid() && !position(selection_)) {
        selection_ = {};
        emit selectionChanged(selection_);
    }
    emit planChanged(parts);
}

}  // namespace traverse::studio
