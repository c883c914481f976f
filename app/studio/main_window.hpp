#pragma once
// The main window: a map, a status bar with the cursor's position and elevation, and File ▸ Open
// site… / Quit. It owns the open site; the views borrow it.
#include <QMainWindow>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

class QLabel;

namespace traverse::terrain {
class Site;
struct MapPoint;
}

namespace traverse::studio {

class MapView;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    // Shows an error to the user: a dialog by default; tests and headless runs inject their own.
    using ErrorReporter = std::function<void(const QString& title, const QString& message)>;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a site and shows it. On failure, reports the error (the message names the file) and
    // keeps the site that was open. Returns whether the site was opened.
    bool openSite(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho);

    void setErrorReporter(ErrorReporter reporter);
    MapView* mapView() const { return map_; }
    // The open site, or nullptr.
    const terrain::Site* site() const { return site_.get(); }
    // What the status bar says about the cursor.
    QString cursorText() const;

public slots:
    void showOpenSiteDialog();

private:
    void showCursor(const terrain::MapPoint& point);
    void updateTitle();

    std::shared_ptr<const terrain::Site> site_;
    std::filesystem::path dtmPath_;
    std::optional<std::filesystem::path> orthoPath_;
    MapView* map_;
    QLabel* readout_;
    ErrorReporter reportError_;
};

}  // namespace traverse::studio
