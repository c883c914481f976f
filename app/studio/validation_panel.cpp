#include "studio/validation_panel.hpp"

#include "studio/plot_widget.hpp"
#include "terrain/error.hpp"
#include "twin/telemetry.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMetaObject>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace traverse::studio {

namespace {

enum Role { kPointRole = Qt::UserRole + 1, kHasPointRole };

QColor statusColor(planner::CheckStatus s) {
    switch (s) {
    case planner::CheckStatus::Pass: return QColor(30, 140, 60);
    case planner::CheckStatus::Warn: return QColor(200, 130, 0);
    case planner::CheckStatus::Fail: return QColor(200, 30, 30);
    }
    return {};
}

QString statusText(planner::CheckStatus s) { return QString::fromStdString(std::string(planner::checkStatusName(s))); }

void setPoint(QTreeWidgetItem* item, terrain::MapPoint p) {
    item->setData(0, kPointRole, QPointF(p.e, p.n));
    item->setData(0, kHasPointRole, true);
}

}  // namespace

ValidationPanel::ValidationPanel(QWidget* parent)
    : QWidget(parent), validate_(new QPushButton(tr("Validate"), this)), monteCarlo_(new QSpinBox(this)),
      summary_(new QLabel(this)), tree_(new QTreeWidget(this)) {
    monteCarlo_->setRange(0, 10000);
    monteCarlo_->setSingleStep(10);
    monteCarlo_->setSpecialValueText(tr("none"));
    monteCarlo_->setToolTip(tr("Monte Carlo runs: perturbed simulations giving the dispersion of the end position"));
    summary_->setWordWrap(true);
    summary_->setText(tr("Not validated."));
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    tree_->setColumnCount(3);
    tree_->setHeaderLabels({tr("Segment"), tr("Status"), tr("Reason")});
    tree_->setRootIsDecorated(true);
    tree_->setUniformRowHeights(true);
    tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    tree_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    tree_->header()->setStretchLastSection(true);

    auto* top = new QHBoxLayout;
    top->addWidget(validate_);
    top->addWidget(new QLabel(tr("Monte Carlo:"), this));
    top->addWidget(monteCarlo_);
    top->addStretch(1);

    auto* plotsBox = new QWidget(this);
    auto* plotsLayout = new QVBoxLayout(plotsBox);
    plotsLayout->setContentsMargins(0, 0, 0, 0);
    plotsLayout->setSpacing(2);
    for (int i = 0; i < 4; ++i) {
        auto* p = new PlotWidget(plotsBox);
        plotsLayout->addWidget(p);
        plots_.push_back(p);
        connect(p, &PlotWidget::hovered, this, [this](double x) {
            const double metres = units_ == DistanceUnits::Feet ? x * 0.3048 : x;
            for (auto* q : plots_) q->setCursorX(x);
            if (const auto i = sampleAt(metres)) {
                const auto& t = outcome_->simulation.telemetry;
                emit cursorAt(metres, {t.at(*i, twin::kEastM), t.at(*i, twin::kNorthM)});
            }
        });
    }
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(tree_);
    split->addWidget(plotsBox);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({300, 600});

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(summary_);
    layout->addWidget(split, 1);

    connect(validate_, &QPushButton::clicked, this, [this] { running_ ? cancel() : validate(); });
    connect(tree_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) { selectItem(item); });
    showPlots();
}

ValidationPanel::~ValidationPanel() {
    if (worker_.joinable()) {
        worker_.request_stop();
        worker_.join();
    }
}

void ValidationPanel::finishRun() {
    running_ = false;
    validate_->setText(tr("Validate"));
    validate_->setEnabled(true);
}

void ValidationPanel::cancel() {
    if (!running_) return;
    worker_.request_stop();
    validate_->setEnabled(false);  // until the worker has stopped
    summary_->setText(tr("Cancelling\u2026"));
}

void ValidationPanel::setPlanSource(PlanSource source) { source_ = std::move(source); }

void ValidationPanel::setUnits(DistanceUnits units) {
    units_ = units;
    showPlots();
}

void ValidationPanel::setMonteCarloRuns(int runs) { monteCarlo_->setValue(runs); }

QString ValidationPanel::summaryText() const { return summary_->text(); }

void ValidationPanel::validate() {
    std::optional<planner::Plan> plan = source_ ? source_() : std::nullopt;
    if (!plan) {
        summary_->setText(tr("No plan to validate."));
        return;
    }
    validatePlan(*plan);
}

void ValidationPanel::validatePlan(const planner::Plan& plan) {
    if (running_) return;
    if (plan.route.segments.empty()) {
        summary_->setText(tr("The plan has no route to validate."));
        emit failed(summary_->text());
        return;
    }
    if (worker_.joinable()) worker_.join();
    running_ = true;
    validate_->setText(tr("Cancel"));
    summary_->setText(tr("Validating %1 segments: checking the route and driving it in the digital twin\u2026")
                          .arg(plan.route.segments.size()));
    planner::ValidationOptions options;
    options.monteCarloRuns = monteCarlo_->value();
    worker_ = std::jthread([this, plan, options](std::stop_token stop) mutable {
        options.stop = stop;
        auto post = [this](auto fn) { QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection); };
        try {
            if (plan.site.dtm.sha256.empty())
                throw Error(Error::Kind::InvalidArgument, "the plan's site has no content hashes; open the site again");
            if (auto why = planner::siteMismatch(plan))
                throw Error(Error::Kind::InvalidArgument, *why + "; plan the route again on the current terrain");
            planner::ValidationOutcome outcome = planner::validatePlanOnDisk(plan, options);
            post([this, plan, outcome = std::move(outcome)]() mutable {
                finishRun();
                showOutcome(std::move(plan), std::move(outcome));
            });
        } catch (const Error& e) {
            if (e.kind() == Error::Kind::Cancelled) {
                post([this] {
                    finishRun();
                    summary_->setText(tr("Validation cancelled."));
                    emit failed(summary_->text());
                });
                return;
            }
            post([this, m = QString::fromStdString(e.what())] {
                finishRun();
                summary_->setText(tr("<b style='color:#b00020'>Cannot validate:</b> %1").arg(m.toHtmlEscaped()));
                emit failed(m);
            });
        } catch (const std::exception& e) {
            post([this, m = QString::fromStdString(e.what())] {
                finishRun();
                summary_->setText(tr("<b style='color:#b00020'>Cannot validate:</b> %1").arg(m.toHtmlEscaped()));
                emit failed(m);
            });
        }
    });
}

void ValidationPanel::showOutcome(planner::Plan plan, planner::ValidationOutcome outcome) {
    statuses_.clear();
    tree_->clear();
    tiltLimitDeg_ = plan.rover.maxTiltPlanningDeg;
    const auto points = plan.route.points();
    int counts[3] = {0, 0, 0};
    for (std::size_t i = 0; i < outcome.checks.size(); ++i) {
        const auto& c = outcome.checks[i];
        SegmentStatus st;
        st.status = c.status;
        st.from = points[i];
        st.to = points[i + 1];
        ++counts[int(c.status)];
        auto* item = new QTreeWidgetItem(tree_, {tr("Segment %1").arg(i + 1), statusText(c.status),
                                                 c.findings.empty() ? QString() : QString::fromStdString(c.summary())});
        item->setForeground(1, statusColor(c.status));
        item->setData(1, Qt::DecorationRole, statusColor(c.status));
        setPoint(item, {(st.from.e + st.to.e) / 2, (st.from.n + st.to.n) / 2});
        for (const auto& f : c.findings) {
            const QString reason = QString::fromStdString(f.reason);
            st.reasons << reason;
            auto* child = new QTreeWidgetItem(item, {QString::fromStdString(f.rule), statusText(f.status), reason});
            child->setForeground(1, statusColor(f.status));
            child->setToolTip(2, tr("%1\nE %2  N %3").arg(reason).arg(f.at.e, 0, 'f', 1).arg(f.at.n, 0, 'f', 1));
            setPoint(child, f.at);
        }
        item->setToolTip(2, st.reasons.join(QLatin1Char('\n')));
        statuses_.push_back(std::move(st));
    }
    const auto& verdict = outcome.simulation.verdict;
    auto* twinItem = new QTreeWidgetItem(tree_, {tr("Digital twin"), verdict.pass && outcome.simulation.completed
                                                                         ? tr("pass") : tr("fail"),
                                                 tr("%1 over %2 in %3 min, %4 Wh; max tilt %5\u00b0, min belly clearance %6, max slip %7")
                                                     .arg(outcome.sequence.commands.size() == 1 ? tr("1 command")
                                                              : tr("%1 commands").arg(outcome.sequence.commands.size()))
                                                     .arg(formatDistance(outcome.simulation.distanceM, units_))
                                                     .arg(outcome.simulation.elapsedS / 60.0, 0, 'f', 1)
                                                     .arg(outcome.simulation.energyWh, 0, 'f', 1)
                                                     .arg(outcome.simulation.maxTiltDeg, 0, 'f', 1)
                                                     .arg(formatDistance(outcome.simulation.minBellyClearanceM, units_, 2))
                                                     .arg(outcome.simulation.maxSlip, 0, 'f', 2)});
    twinItem->setForeground(1, statusColor(verdict.pass ? planner::CheckStatus::Pass : planner::CheckStatus::Fail));
    for (const auto& v : verdict.violations) {
        auto* child = new QTreeWidgetItem(twinItem, {QString::fromStdString(std::string(twin::ruleName(v.rule))), tr("fail"),
                                                     tr("%1 beyond the limit %2 at command %3 (E %4 N %5)")
                                                         .arg(v.value, 0, 'g', 3).arg(v.limit, 0, 'g', 3)
                                                         .arg(v.commandIndex + 1).arg(v.e, 0, 'f', 1).arg(v.n, 0, 'f', 1)});
        child->setForeground(1, statusColor(planner::CheckStatus::Fail));
        setPoint(child, {v.e, v.n});
    }
    twinItem->setExpanded(true);
    if (outcome.dispersion) {
        const auto& d = *outcome.dispersion;
        auto* mc = new QTreeWidgetItem(tree_, {tr("Monte Carlo"), QString::number(100.0 * d.passShare, 'f', 1) + QLatin1Char('%'),
                                               tr("%1 runs keep every rule in %2%; %3% end ellipse %4 \u00d7 %5")
                                                   .arg(d.runs).arg(100.0 * d.passShare, 0, 'f', 1)
                                                   .arg(100.0 * d.ellipse.confidence, 0, 'f', 0)
                                                   .arg(formatDistance(d.ellipse.semiMajorM, units_, 2))
                                                   .arg(formatDistance(d.ellipse.semiMinorM, units_, 2))});
        setPoint(mc, d.meanEnd);
        for (int k = 0; k < twin::kRuleCount; ++k)
            if (const int n = d.runsViolating[std::size_t(k)])
                new QTreeWidgetItem(mc, {QString::fromStdString(std::string(twin::ruleName(twin::Rule(k)))),
                                         tr("%1 runs").arg(n), tr("%1 of %2 dispersed runs broke this rule").arg(n).arg(d.runs)});
    }
    // Problems first in the reader's eye: expand what did not pass.
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        if (tree_->topLevelItem(i)->text(1) != QStringLiteral("pass")) tree_->topLevelItem(i)->setExpanded(true);

    // The report's summary starts with its verdict ("PASS: ..."), shown here in colour instead.
    QString detail = QString::fromStdString(outcome.summary);
    for (const QString& prefix : {QStringLiteral("PASS: "), QStringLiteral("FAIL: ")})
        if (detail.startsWith(prefix)) detail.remove(0, prefix.size());
    summary_->setText(QStringLiteral("<b style='color:%1'>%2</b> \u2014 %3<br>segments: %4 pass \u00b7 %5 warn \u00b7 %6 fail")
                          .arg(outcome.pass ? QStringLiteral("#1e8c3c") : QStringLiteral("#c81e1e"),
                               outcome.pass ? tr("PASS") : tr("FAIL"), detail.toHtmlEscaped())
                          .arg(counts[0]).arg(counts[1]).arg(counts[2]));
    outcome_ = std::move(outcome);
    showPlots();
    emit segmentStatusesChanged(statuses_);
    emit validated(*outcome_);
}

void ValidationPanel::showPlots() {
    const QString unit = unitSuffix(units_);
    const QString xLabel = tr("distance driven (%1)").arg(unit);
    std::vector<double> x;
    auto column = [&](int c) {
        std::vector<double> v;
        if (outcome_ && outcome_->simulation.telemetry.size() > 0) v = outcome_->simulation.telemetry.column(std::size_t(c));
        return v;
    };
    x = column(twin::kDistanceM);
    for (auto& d : x) d = toDisplayUnits(d, units_);
    std::vector<double> clearance = column(twin::kMinBellyClearanceM);
    for (auto& d : clearance) d = toDisplayUnits(d, units_);
    const double tiltLimit = tiltLimitDeg_;
    plots_[0]->setData(tr("Attitude"), xLabel, tr("deg"), x,
                       {{tr("pitch"), QColor(30, 100, 200), column(twin::kPitchDeg)},
                        {tr("roll"), QColor(220, 110, 20), column(twin::kRollDeg)}},
                       {{tr("tilt limit"), tiltLimit}, {QString(), -tiltLimit}});
    plots_[1]->setData(tr("Belly clearance"), xLabel, unit, x, {{tr("clearance"), QColor(120, 60, 170), clearance}},
                       {{tr("zero"), 0.0}});
    plots_[2]->setData(tr("Slip"), xLabel, tr("fraction"), x, {{tr("slip"), QColor(160, 100, 40), column(twin::kSlip)}});
    plots_[3]->setData(tr("Energy used"), xLabel, tr("Wh"), x, {{tr("energy"), QColor(30, 140, 60), column(twin::kEnergyWh)}});
}

std::optional<std::size_t> ValidationPanel::sampleAt(double distanceM) const {
    if (!outcome_) return std::nullopt;
    const auto& t = outcome_->simulation.telemetry;
    if (t.size() == 0) return std::nullopt;
    const auto& d = t.column(twin::kDistanceM);
    const auto it = std::lower_bound(d.begin(), d.end(), distanceM);
    std::size_t i = it == d.end() ? d.size() - 1 : std::size_t(it - d.begin());
    if (i > 0 && std::abs(d[i - 1] - distanceM) <= std::abs(d[i] - distanceM)) --i;
    return i;
}

void ValidationPanel::setCursorDistance(double distanceM) {
    for (auto* p : plots_) p->setCursorX(toDisplayUnits(distanceM, units_));
}

void ValidationPanel::markStale() {
    if (!outcome_) return;
    summary_->setText(tr("<b style='color:#c87800'>STALE</b> \u2014 the plan changed since it was validated; "
                         "validate again before exporting.<br>Shown: the previous validation."));
}

void ValidationPanel::selectItem(QTreeWidgetItem* item) {
    if (!item || !item->data(0, kHasPointRole).toBool()) return;
    const QPointF p = item->data(0, kPointRole).toPointF();
    emit jumpTo({p.x(), p.y()});
}

}  // namespace traverse::studio
