#pragma once
// The list of the map's layers: for each, a check box to show it, an opacity slider and a legend with
// its colour scale. It drives a MapView and follows it (a new site, a layer changed elsewhere).
#include "studio/layer_style.hpp"

#include <QWidget>

#include <array>

class QCheckBox;
class QLabel;
class QSlider;

namespace traverse::studio {

class MapView;

// A legend drawn from a Legend description: the colour bar with its ticks, then the swatches.
class LegendWidget : public QWidget {
    Q_OBJECT

public:
    explicit LegendWidget(Legend legend, QWidget* parent = nullptr);
    const Legend& legend() const { return legend_; }
    void setLegend(Legend legend);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    Legend legend_;
};

class LayerPanel : public QWidget {
    Q_OBJECT

public:
    // Borrows the map, which must outlive the panel.
    explicit LayerPanel(MapView* map, QWidget* parent = nullptr);

    QCheckBox* checkBox(MapLayer layer) const { return rows_[std::size_t(layer)].check; }
    QSlider* opacitySlider(MapLayer layer) const { return rows_[std::size_t(layer)].opacity; }
    LegendWidget* legend(MapLayer layer) const { return rows_[std::size_t(layer)].legend; }

private:
    void sync();  // from the map

    struct Row {
        QWidget* box = nullptr;
        QCheckBox* check = nullptr;
        QSlider* opacity = nullptr;
        QLabel* percent = nullptr;
        LegendWidget* legend = nullptr;
    };
    MapView* map_;
    std::array<Row, kMapLayerCount> rows_;
};

}  // namespace traverse::studio
