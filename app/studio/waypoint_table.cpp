#include "studio/waypoint_table.hpp"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace traverse::studio {

namespace {

double legLength(terrain::MapPoint a, terrain::MapPoint b) { return std::hypot(b.e - a.e, b.n - a.n); }

}  // namespace

WaypointTableModel::WaypointTableModel(PlanDocument& doc, QObject* parent) : QAbstractTableModel(parent), doc_(doc) {
    rows_ = rowCount();
    connect(&doc_, &PlanDocument::planChanged, this, [this] { planChanged(); });
}

void WaypointTableModel::planChanged() {
    const int rows = (doc_.hasStart() ? 1 : 0) + doc_.waypointCount() + (doc_.hasGoal() ? 1 : 0);
    if (rows != rows_) {
        // Rows come and go: reset (a cell editor is never open across this, the edit was a move).
        beginResetModel();
        rows_ = rows;
        endResetModel();
    } else if (rows > 0) {
        emit dataChanged(index(0, 0), index(rows - 1, ColumnCount - 1));
    }
}

int WaypointTableModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid()) return 0;
    return (doc_.hasStart() ? 1 : 0) + doc_.waypointCount() + (doc_.hasGoal() ? 1 : 0);
}

int WaypointTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

PlanHandle WaypointTableModel::handleAt(int row) const {
    if (row < 0) return {};
    if (doc_.hasStart()) {
        if (row == 0) return {PlanHandle::Kind::Start};
        --row;
    }
    if (row < doc_.waypointCount()) return {PlanHandle::Kind::Waypoint, row};
    if (row == doc_.waypointCount() && doc_.hasGoal()) return {PlanHandle::Kind::Goal};
    return {};
}

int WaypointTableModel::rowOf(const PlanHandle& h) const {
    const int first = doc_.hasStart() ? 1 : 0;
    switch (h.kind) {
        case PlanHandle::Kind::Start: return doc_.hasStart() ? 0 : -1;
        case PlanHandle::Kind::Waypoint: return h.index >= 0 && h.index < doc_.waypointCount() ? first + h.index : -1;
        case PlanHandle::Kind::Goal: return doc_.hasGoal() ? first + doc_.waypointCount() : -1;
        default: return -1;
    }
}

QVariant WaypointTableModel::data(const QModelIndex& index, int role) const {
    const PlanHandle h = handleAt(index.row());
    const auto p = doc_.position(h);
    if (!p) return {};
    const planner::Plan& plan = doc_.plan();
    // The leg that reaches this point: from the previous waypoint (or the start); for the goal, from
    // the route's end.
    std::optional<double> leg;
    std::optional<terrain::MapPoint> from;
    if (h.kind == PlanHandle::Kind::Waypoint) {
        if (h.index > 0)
            from = doc_.waypoint(h.index - 1);
        else if (doc_.hasStart())
            from = terrain::MapPoint{plan.route.start.e, plan.route.start.n};
    } else if (h.kind == PlanHandle::Kind::Goal && (doc_.hasStart() || doc_.waypointCount() > 0)) {
        from = plan.route.end();
    }
    if (from) leg = legLength(*from, *p);

    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        const bool edit = role == Qt::EditRole;
        switch (index.column()) {
            case Point:
                if (h.kind == PlanHandle::Kind::Start) return tr("Start");
                if (h.kind == PlanHandle::Kind::Goal) return tr("Goal");
                return QString::number(h.index + 1);
            case East: return edit ? QVariant(p->e) : QVariant(QString::number(p->e, 'f', 2));
            case North: return edit ? QVariant(p->n) : QVariant(QString::number(p->n, 'f', 2));
            case Heading:
                if (h.kind != PlanHandle::Kind::Start) return {};
                return edit ? QVariant(plan.route.start.headingDeg) : QVariant(QString::number(plan.route.start.headingDeg, 'f', 1));
            case Leg: return leg ? QVariant(QString::number(*leg, 'f', 2)) : QVariant();
            case Source:
                if (h.kind == PlanHandle::Kind::Waypoint) {
                    const auto& prov = plan.route.segments[std::size_t(h.index)].provenance;
                    QString s = QString::fromStdString(prov.source);
                    if (prov.repaired) s += tr(" (repair)");
                    if (prov.attempt > 1) s += tr(", attempt %1").arg(prov.attempt);
                    return s;
                }
                return {};
            default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != Point && index.column() != Source)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    // A waypoint leg longer than the plan allows: the checker will refuse it.
    if (role == Qt::ForegroundRole && index.column() == Leg && h.kind == PlanHandle::Kind::Waypoint && leg &&
        *leg > plan.maxSegmentM + 1e-9)
        return QColor(200, 30, 30);
    if (role == Qt::ToolTipRole && index.column() == Leg && h.kind == PlanHandle::Kind::Waypoint && leg &&
        *leg > plan.maxSegmentM + 1e-9)
        return tr("Longer than the maximum segment (%1 m)").arg(plan.maxSegmentM, 0, 'f', 1);
    return {};
}

QVariant WaypointTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
        case Point: return tr("Point");
        case East: return tr("E (m)");
        case North: return tr("N (m)");
        case Heading: return tr("Heading (\u00b0)");
        case Leg: return tr("Leg (m)");
        case Source: return tr("Source");
        default: return {};
    }
}

Qt::ItemFlags WaypointTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    const PlanHandle h = handleAt(index.row());
    if (index.column() == East || index.column() == North || (index.column() == Heading && h.kind == PlanHandle::Kind::Start))
        f |= Qt::ItemIsEditable;
    return f;
}

bool WaypointTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole) return false;
    const PlanHandle h = handleAt(index.row());
    auto p = doc_.position(h);
    bool ok = false;
    const double v = value.toDouble(&ok);
    if (!p || !ok || !std::isfinite(v)) return false;
    if (index.column() == Heading && h.kind == PlanHandle::Kind::Start) {
        twin::Pose pose = doc_.plan().route.start;
        double heading = std::fmod(v, 360.0);
        if (heading < 0) heading += 360.0;
        if (heading == pose.headingDeg) return true;
        pose.headingDeg = heading;
        doc_.setStart(pose);
        return true;
    }
    if (index.column() == East) {
        if (v == p->e) return true;
        p->e = v;
    } else if (index.column() == North) {
        if (v == p->n) return true;
        p->n = v;
    } else {
        return false;
    }
    doc_.moveHandle(h, *p);
    return true;
}

WaypointTable::WaypointTable(PlanDocument& doc, QWidget* parent)
    : QWidget(parent), doc_(doc), model_(new WaypointTableModel(doc, this)), view_(new QTableView(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view_);
    view_->setModel(model_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::SingleSelection);
    view_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                           QAbstractItemView::AnyKeyPressed);
    view_->verticalHeader()->hide();
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view_->setAlternatingRowColors(true);

    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (syncing_) return;
                const PlanHandle h = model_->handleAt(current.row());
                syncing_ = true;
                doc_.setSelection(h);
                syncing_ = false;
                if (const auto p = doc_.position(h)) emit centreRequested(*p);
            });
    connect(&doc_, &PlanDocument::selectionChanged, this, [this](const PlanHandle& h) { followSelection(h); });
    connect(model_, &QAbstractItemModel::modelReset, this, [this] { followSelection(doc_.selection()); });
}

void WaypointTable::followSelection(const PlanHandle& h) {
    if (syncing_) return;
    syncing_ = true;
    const int row = model_->rowOf(h);
    if (row < 0) {
        view_->selectionModel()->clearSelection();
        view_->selectionModel()->setCurrentIndex({}, QItemSelectionModel::NoUpdate);
    } else {
        const QModelIndex index = model_->index(row, 0);
        view_->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        view_->scrollTo(index);
    }
    syncing_ = false;
}

}  // namespace traverse::studio
