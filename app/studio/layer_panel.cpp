#include "studio/layer_panel.hpp"

#include "studio/map_view.hpp"

#include <QCheckBox>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QLinearGradient>
#include <QPainter>
#include <QSignalBlocker>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <vector>

namespace traverse::studio {

namespace {

constexpr int kBarHeight = 12;
constexpr int kSwatch = 12;
constexpr int kPad = 4;

}  // namespace

// ---- LegendWidget ------------------------------------------------------------------------------

LegendWidget::LegendWidget(Legend legend, QWidget* parent) : QWidget(parent), legend_(std::move(legend)) {
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    setToolTip(legend_.title);
}

void LegendWidget::setLegend(Legend legend) {
    legend_ = std::move(legend);
    setToolTip(legend_.title);
    updateGeometry();
    update();
}

QSize LegendWidget::sizeHint() const {
    const QFontMetrics fm(font());
    int h = 0;
    if (!legend_.bar.empty()) h += kBarHeight + 3 + fm.height() + kPad;
    h += int(legend_.swatches.size()) * (fm.height() + 2);
    if (!legend_.note.isEmpty()) h += fm.height();
    return {220, std::max(h, 4)};
}

void LegendWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QFontMetrics fm(font());
    const QColor text = palette().color(QPalette::WindowText);
    int y = 0;
    if (!legend_.bar.empty()) {
        const int x0 = fm.horizontalAdvance(QStringLiteral("0")) / 2 + 2;
        const int x1 = width() - fm.horizontalAdvance(legend_.ticks.empty() ? QString() : legend_.ticks.back().label) / 2 - 2;
        const QRect bar(x0, y, std::max(10, x1 - x0), kBarHeight);
        QLinearGradient g(bar.topLeft(), bar.topRight());
        for (const Legend::Stop& s : legend_.bar) g.setColorAt(std::clamp(s.at, 0.0, 1.0), s.colour);
        p.fillRect(bar, g);
        p.setPen(text);
        p.drawRect(bar.adjusted(0, 0, -1, -1));
        // Labels from the last (the limit) back, skipping one that would overlap a label drawn.
        std::vector<QRect> drawn;
        for (auto it = legend_.ticks.rbegin(); it != legend_.ticks.rend(); ++it) {
            const int x = bar.left() + int(std::lround(it->at * (bar.width() - 1)));
            p.drawLine(x, bar.bottom(), x, bar.bottom() + 3);
            const int w = fm.horizontalAdvance(it->label);
            const int tx = std::clamp(x - w / 2, 0, std::max(0, width() - w));
            const QRect box(tx - 3, bar.bottom() + 3, w + 6, fm.height());
            if (std::any_of(drawn.begin(), drawn.end(), [&](const QRect& d) { return d.intersects(box); })) continue;
            drawn.push_back(box);
            p.drawText(tx, bar.bottom() + 3 + fm.ascent(), it->label);
        }
        y += kBarHeight + 3 + fm.height() + kPad;
    }
    for (const Legend::Swatch& s : legend_.swatches) {
        const QRect sw(2, y + (fm.height() - kSwatch) / 2, kSwatch, kSwatch);
        p.fillRect(sw, s.colour);
        p.setPen(text);
        p.drawRect(sw.adjusted(0, 0, -1, -1));
        p.drawText(sw.right() + 6, y + fm.ascent(), fm.elidedText(s.label, Qt::ElideRight, width() - sw.right() - 8));
        y += fm.height() + 2;
    }
    if (!legend_.note.isEmpty()) {
        QFont f = font();
        f.setItalic(true);
        p.setFont(f);
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(2, y + fm.ascent(), QFontMetrics(f).elidedText(legend_.note, Qt::ElideRight, width() - 4));
    }
}

// ---- LayerPanel --------------------------------------------------------------------------------

LayerPanel::LayerPanel(MapView* map, QWidget* parent) : QWidget(parent), map_(map) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(8);
    // Top of the stack first, as a planner reads a layer list.
    for (auto it = kMapLayers.rbegin(); it != kMapLayers.rend(); ++it) {
        const MapLayer which = *it;
        Row& row = rows_[std::size_t(which)];
        row.box = new QWidget(this);
        auto* v = new QVBoxLayout(row.box);
        v->setContentsMargins(0, 0, 0, 0);
        v->setSpacing(3);
        auto* top = new QHBoxLayout;
        row.check = new QCheckBox(layerTitle(which), row.box);
        row.opacity = new QSlider(Qt::Horizontal, row.box);
        row.opacity->setRange(0, 100);
        row.opacity->setMaximumWidth(90);
        row.opacity->setToolTip(tr("Opacity of the %1 layer").arg(layerTitle(which).toLower()));
        row.percent = new QLabel(row.box);
        row.percent->setMinimumWidth(QFontMetrics(row.percent->font()).horizontalAdvance(QStringLiteral("100%")));
        row.percent->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        top->addWidget(row.check, 1);
        top->addWidget(row.opacity);
        top->addWidget(row.percent);
        v->addLayout(top);
        row.legend = new LegendWidget(legendFor(which, map_->hazardParams().limits), row.box);
        row.legend->setContentsMargins(20, 0, 0, 0);
        auto* indent = new QHBoxLayout;
        indent->addSpacing(20);
        indent->addWidget(row.legend, 1);
        v->addLayout(indent);
        layout->addWidget(row.box);

        connect(row.check, &QCheckBox::toggled, this, [this, which](bool on) { map_->setLayerVisible(which, on); });
        connect(row.opacity, &QSlider::valueChanged, this, [this, which](int v) {
            map_->setLayerOpacity(which, v / 100.0);
        });
    }
    layout->addStretch(1);
    connect(map_, &MapView::layersChanged, this, &LayerPanel::sync);
    sync();
}

void LayerPanel::sync() {
    for (MapLayer which : kMapLayers) {
        Row& row = rows_[std::size_t(which)];
        const QSignalBlocker b1(row.check), b2(row.opacity);
        const bool has = map_->hasLayer(which);
        row.box->setEnabled(has);
        row.box->setToolTip(has ? QString() : tr("This site has no %1").arg(layerTitle(which).toLower()));
        row.check->setChecked(map_->layerVisible(which));
        const int percent = int(std::lround(map_->layerOpacity(which) * 100.0));
        row.opacity->setValue(percent);
        row.percent->setText(QStringLiteral("%1%").arg(percent));
        row.legend->setLegend(legendFor(which, map_->hazardParams().limits));  // the rover's limits
    }
}

}  // namespace traverse::studio
