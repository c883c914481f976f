#pragma once
// The replay timeline of a drive log (twin::DriveLog): play and pause, speed (1× to 100×), reverse,
// a scrub slider, step one sample forwards or back, the time, the log's events (a click seeks to
// one) and plots of attitude, belly clearance and slip whose cursor follows the timeline (hovering a
// plot while paused seeks). A QTimer advances a twin::ReplayCursor by the wall-clock interval times
// the speed (negative in reverse). The rover, its trail and its deviation from the plan are drawn on
// the map by a ReplayOverlay the panel owns.
#include <QWidget>

#include <QElapsedTimer>

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSlider;
class QTimer;
class QToolButton;

namespace traverse::twin {
struct DriveLog;
struct DriveEvent;
class ReplayCursor;
}  // namespace traverse::twin

namespace traverse::studio {

class MapView;
class PlanDocument;
class PlotWidget;
class ReplayOverlay;

class ReplayPanel : public QWidget {
    Q_OBJECT

public:
    static constexpr int kTickMs = 33;
    static constexpr int kSliderSteps = 1000;
    static constexpr double kSpeeds[] = {1, 2, 5, 10, 20, 50, 100};

    ReplayPanel(MapView& map, const PlanDocument& doc, QWidget* parent = nullptr);
    ~ReplayPanel() override;

    // Reads a drive log (strict) and shows it at its start, paused. Throws traverse::Error naming the
    // file and the line; the log shown before stays.
    void load(const std::filesystem::path& file);
    bool hasLog() const { return cursor_ != nullptr; }
    const twin::DriveLog* log() const { return log_.get(); }
    const twin::ReplayCursor* cursor() const { return cursor_.get(); }
    ReplayOverlay* overlay() const { return overlay_.get(); }

    bool isPlaying() const;
    double speed() const { return speed_; }
    bool isReverse() const { return reverse_; }
    double time() const;

    PlotWidget* attitudePlot() const { return attitude_; }
    PlotWidget* clearancePlot() const { return clearance_; }
    PlotWidget* slipPlot() const { return slip_; }
    QListWidget* eventList() const { return events_; }
    QSlider* slider() const { return slider_; }
    QString timeText() const;

public slots:
    void play();
    void pause();
    void togglePlay();
    void setSpeed(double factor);
    void setReverse(bool reverse);
    void seek(double timeS);
    void stepForward();
    void stepBackward();
    // Advances as a timer tick of `wallS` seconds would (for tests and the timer).
    void advanceWall(double wallS);

signals:
    // The cursor moved (to `timeS`).
    void moved(double timeS);
    // Events crossed while playing or stepping, as text.
    void eventsCrossed(const QStringList& events);

private:
    void tick();
    void refresh();
    void crossed(const std::vector<const twin::DriveEvent*>& events);
    void setControlsEnabled(bool on);

    std::unique_ptr<twin::DriveLog> log_;
    std::unique_ptr<twin::ReplayCursor> cursor_;
    std::unique_ptr<ReplayOverlay> overlay_;
    QTimer* timer_;
    QElapsedTimer wall_;
    double speed_ = 10.0;
    bool reverse_ = false;
    bool updatingSlider_ = false;

    QLabel* title_;
    QToolButton* stepBack_;
    QToolButton* playButton_;
    QToolButton* stepFwd_;
    QToolButton* reverseButton_;
    QComboBox* speedBox_;
    QSlider* slider_;
    QLabel* timeLabel_;
    QListWidget* events_;
    PlotWidget* attitude_;
    PlotWidget* clearance_;
    PlotWidget* slip_;
};

}  // namespace traverse::studio
