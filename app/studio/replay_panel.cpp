#include "studio/replay_panel.hpp"

#include "studio/plot_widget.hpp"
#include "studio/replay_overlay.hpp"

#include "terrain/error.hpp"
#include "twin/drive_log.hpp"
#include "twin/drive_replay.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QSlider>
#include <QSplitter>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace traverse::studio {

namespace {

QString clock(double s) {
    const bool neg = s < 0;
    s = std::abs(s);
    const int m = int(s / 60);
    return QStringLiteral("%1%2:%3").arg(neg ? "-" : "").arg(m).arg(s - 60 * m, 4, 'f', 1, QLatin1Char('0'));
}

std::vector<double> column(const twin::DriveLog& log, std::optional<std::size_t> ch, double scale = 1.0) {
    std::vector<double> v(log.size(), std::numeric_limits<double>::quiet_NaN());
    if (!ch) return v;
    for (std::size_t i = 0; i < log.size(); ++i) v[i] = log.samples.at(i, *ch) * scale;
    return v;
}

}  // namespace

ReplayPanel::ReplayPanel(MapView& map, const PlanDocument& doc, QWidget* parent)
    : QWidget(parent), overlay_(std::make_unique<ReplayOverlay>(map, doc)), timer_(new QTimer(this)) {
    timer_->setInterval(kTickMs);
    timer_->setTimerType(Qt::PreciseTimer);
    connect(timer_, &QTimer::timeout, this, &ReplayPanel::tick);

    title_ = new QLabel(tr("No drive log: File \u25b8 Replay a drive log\u2026"));
    title_->setWordWrap(true);
    auto button = [this](QStyle::StandardPixmap icon, const QString& tip) {
        auto* b = new QToolButton;
        b->setIcon(style()->standardIcon(icon));
        b->setToolTip(tip);
        b->setAutoRaise(true);
        return b;
    };
    stepBack_ = button(QStyle::SP_MediaSeekBackward, tr("Step back one sample"));
    playButton_ = button(QStyle::SP_MediaPlay, tr("Play / pause"));
    stepFwd_ = button(QStyle::SP_MediaSeekForward, tr("Step forward one sample"));
    reverseButton_ = new QToolButton;
    reverseButton_->setText(tr("\u25c0 Reverse"));
    reverseButton_->setCheckable(true);
    reverseButton_->setToolTip(tr("Play backwards"));
    speedBox_ = new QComboBox;
    for (double k : kSpeeds) speedBox_->addItem(QStringLiteral("%1\u00d7").arg(k), k);
    speedBox_->setCurrentIndex(3);  // 10×
    speedBox_->setToolTip(tr("Replay speed: drive seconds per wall-clock second"));
    slider_ = new QSlider(Qt::Horizontal);
    slider_->setRange(0, kSliderSteps);
    slider_->setToolTip(tr("Scrub the drive"));
    timeLabel_ = new QLabel(QStringLiteral("--:--"));
    timeLabel_->setMinimumWidth(timeLabel_->fontMetrics().horizontalAdvance(QStringLiteral("00:00.0 / 00:00.0  cmd 000")));

    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(stepBack_);
    controls->addWidget(playButton_);
    controls->addWidget(stepFwd_);
    controls->addWidget(reverseButton_);
    controls->addWidget(speedBox_);
    controls->addWidget(slider_, 1);
    controls->addWidget(timeLabel_);

    events_ = new QListWidget;
    events_->setToolTip(tr("The drive's events: click one to go there"));
    attitude_ = new PlotWidget;
    clearance_ = new PlotWidget;
    slip_ = new PlotWidget;
    auto* plots = new QSplitter(Qt::Horizontal);
    plots->addWidget(events_);
    plots->addWidget(attitude_);
    plots->addWidget(clearance_);
    plots->addWidget(slip_);
    plots->setStretchFactor(0, 1);
    for (int i = 1; i < 4; ++i) plots->setStretchFactor(i, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(title_);
    layout->addLayout(controls);
    layout->addWidget(plots, 1);

    connect(playButton_, &QToolButton::clicked, this, &ReplayPanel::togglePlay);
    connect(stepBack_, &QToolButton::clicked, this, &ReplayPanel::stepBackward);
    connect(stepFwd_, &QToolButton::clicked, this, &ReplayPanel::stepForward);
    connect(reverseButton_, &QToolButton::toggled, this, &ReplayPanel::setReverse);
    connect(speedBox_, &QComboBox::currentIndexChanged, this,
            [this](int i) { setSpeed(speedBox_->itemData(i).toDouble()); });
    connect(slider_, &QSlider::valueChanged, this, [this](int v) {
        if (updatingSlider_ || !cursor_) return;
        seek(cursor_->startTime() + cursor_->duration() * v / kSliderSteps);
    });
    connect(events_, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        if (cursor_) seek(item->data(Qt::UserRole).toDouble());
    });
    for (PlotWidget* plot : {attitude_, clearance_, slip_}) {
        connect(plot, &PlotWidget::hovered, this, [this](double x) {
            if (cursor_ && !isPlaying()) seek(x);
        });
        connect(plot, &PlotWidget::left, this, &ReplayPanel::refresh);  // the cursor back on the timeline
    }
    setControlsEnabled(false);
}

ReplayPanel::~ReplayPanel() {
    overlay_->setCursor(nullptr);
}

void ReplayPanel::setControlsEnabled(bool on) {
    for (QWidget* w : std::initializer_list<QWidget*>{stepBack_, playButton_, stepFwd_, reverseButton_, slider_})
        w->setEnabled(on);
}

void ReplayPanel::load(const std::filesystem::path& file) {
    auto log = std::make_unique<twin::DriveLog>(twin::readDriveLog(file));  // throws naming file and line
    auto cursor = std::make_unique<twin::ReplayCursor>(*log);
    pause();
    overlay_->setCursor(nullptr);
    cursor_ = std::move(cursor);
    log_ = std::move(log);
    overlay_->setCursor(cursor_.get());

    const twin::DriveLog& l = *log_;
    QString name = QString::fromStdString(l.info.name.empty() ? file.filename().string() : l.info.name);
    title_->setText(tr("<b>%1</b> \u2014 %2 samples, %3 s, %4 events")
                        .arg(name.toHtmlEscaped())
                        .arg(l.size())
                        .arg(cursor_->duration(), 0, 'f', 1)
                        .arg(l.events.size()));
    title_->setToolTip(QString::fromStdString(file.string()));

    std::vector<double> t(l.size());
    for (std::size_t i = 0; i < l.size(); ++i) t[i] = l.timeS(i);
    attitude_->setData(tr("Attitude"), tr("time (s)"), QStringLiteral("\u00b0"), t,
                       {{tr("roll"), QColor(230, 120, 30), column(l, l.channel("roll_deg"))},
                        {tr("pitch"), QColor(40, 140, 230), column(l, l.channel("pitch_deg"))}});
    clearance_->setData(tr("Belly clearance"), tr("time (s)"), QStringLiteral("m"), t,
                        {{tr("clearance"), QColor(40, 170, 90), column(l, l.channel(twin::kClearanceChannel))}});
    slip_->setData(tr("Slip"), tr("time (s)"), QString(), t,
                   {{tr("slip"), QColor(200, 60, 160), column(l, l.channel(twin::kSlipChannel))}});

    events_->clear();
    for (const twin::DriveEvent& e : l.events) {
        auto* item = new QListWidgetItem(QStringLiteral("%1  %2: %3")
                                             .arg(clock(e.timeS))
                                             .arg(QString::fromUtf8(twin::eventKindName(e.kind)))
                                             .arg(QString::fromStdString(e.text)));
        item->setData(Qt::UserRole, e.timeS);
        item->setToolTip(item->text());
        events_->addItem(item);
    }
    setControlsEnabled(true);
    refresh();
}

bool ReplayPanel::isPlaying() const { return timer_->isActive(); }

double ReplayPanel::time() const { return cursor_ ? cursor_->time() : 0.0; }

QString ReplayPanel::timeText() const { return timeLabel_->text(); }

void ReplayPanel::play() {
    if (!cursor_) return;
    // Playing from an end that cannot move goes back to the other end first.
    if (!reverse_ && cursor_->atEnd()) cursor_->seek(cursor_->startTime());
    if (reverse_ && cursor_->atStart()) cursor_->seek(cursor_->endTime());
    wall_.start();
    timer_->start();
    playButton_->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    refresh();
}

void ReplayPanel::pause() {
    timer_->stop();
    playButton_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
}

void ReplayPanel::togglePlay() { isPlaying() ? pause() : play(); }

void ReplayPanel::setSpeed(double factor) {
    if (!(factor > 0)) return;
    speed_ = factor;
    for (int i = 0; i < speedBox_->count(); ++i)
        if (speedBox_->itemData(i).toDouble() == factor && speedBox_->currentIndex() != i) speedBox_->setCurrentIndex(i);
}

void ReplayPanel::setReverse(bool reverse) {
    reverse_ = reverse;
    if (reverseButton_->isChecked() != reverse) reverseButton_->setChecked(reverse);
}

void ReplayPanel::seek(double timeS) {
    if (!cursor_) return;
    cursor_->seek(timeS);  // a jump: events are not reported
    refresh();
}

void ReplayPanel::stepForward() {
    if (!cursor_) return;
    pause();
    crossed(cursor_->stepForward());
    refresh();
}

void ReplayPanel::stepBackward() {
    if (!cursor_) return;
    pause();
    crossed(cursor_->stepBackward());
    refresh();
}

void ReplayPanel::advanceWall(double wallS) {
    if (!cursor_) return;
    crossed(cursor_->advance((reverse_ ? -1.0 : 1.0) * speed_ * wallS));
    if ((!reverse_ && cursor_->atEnd()) || (reverse_ && cursor_->atStart())) pause();
    refresh();
}

void ReplayPanel::tick() {
    const double wallS = double(wall_.restart()) / 1000.0;
    advanceWall(wallS);
}

void ReplayPanel::crossed(const std::vector<const twin::DriveEvent*>& events) {
    if (events.empty() || !log_) return;
    QStringList texts;
    for (const twin::DriveEvent* e : events) {
        texts << QStringLiteral("%1: %2").arg(QString::fromUtf8(twin::eventKindName(e->kind))).arg(QString::fromStdString(e->text));
        const auto row = int(e - log_->events.data());
        if (row >= 0 && row < events_->count()) events_->setCurrentRow(row);
    }
    emit eventsCrossed(texts);
}

void ReplayPanel::refresh() {
    if (!cursor_) return;
    const double t = cursor_->time();
    const twin::ReplayState& s = cursor_->state();
    timeLabel_->setText(QStringLiteral("%1 / %2  cmd %3").arg(clock(t - cursor_->startTime())).arg(clock(cursor_->duration())).arg(s.commandIndex));
    updatingSlider_ = true;
    slider_->setValue(cursor_->duration() > 0 ? int(std::lround((t - cursor_->startTime()) / cursor_->duration() * kSliderSteps)) : 0);
    updatingSlider_ = false;
    for (PlotWidget* plot : {attitude_, clearance_, slip_}) plot->setCursorX(t);
    overlay_->update();
    emit moved(t);
}

}  // namespace traverse::studio
