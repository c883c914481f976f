#pragma once
// The route as a table: start, waypoints and goal with their map coordinates, the length of the leg
// that reaches each point and who proposed it. It follows the plan, and edits go back through it:
// editing E, N (or the start's heading) is an undoable move; selecting a row selects the point on
// the map.
#include "studio/plan_document.hpp"

#include <QAbstractTableModel>
#include <QWidget>

class QTableView;

namespace traverse::studio {

class WaypointTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { Point, East, North, Heading, Leg, Source, ColumnCount };

    explicit WaypointTableModel(PlanDocument& doc, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

    // The plan point a row shows, and the row of a point (-1 when it is not in the table).
    PlanHandle handleAt(int row) const;
    int rowOf(const PlanHandle& h) const;

private:
    void planChanged();

    PlanDocument& doc_;
    int rows_ = 0;
};

class WaypointTable : public QWidget {
    Q_OBJECT

public:
    explicit WaypointTable(PlanDocument& doc, QWidget* parent = nullptr);

    QTableView* view() const { return view_; }
    WaypointTableModel* model() const { return model_; }

signals:
    // The planner picked a row: the map should bring the point into view.
    void centreRequested(traverse::terrain::MapPoint point);

private:
    void followSelection(const PlanHandle& h);

    PlanDocument& doc_;
    WaypointTableModel* model_;
    QTableView* view_;
    bool syncing_ = false;
};

}  // namespace traverse::studio
