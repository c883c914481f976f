#include "studio/main_window.hpp"

#include "studio/map_readout.hpp"
#include "studio/map_view.hpp"
#include "studio/open_site_dialog.hpp"

#include "terrain/error.hpp"
#include "terrain/site.hpp"

#include <QFontDatabase>
#include <QFontMetrics>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

namespace traverse::studio {

namespace {

QString fileName(const std::filesystem::path& p) { return QString::fromStdString(p.filename().string()); }

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), map_(new MapView(this)), readout_(new QLabel(this)) {
    setCentralWidget(map_);
    map_->setFocus();
    // Fixed-width digits, so that the readout does not jitter as the cursor moves.
    readout_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    readout_->setMinimumWidth(QFontMetrics(readout_->font())
                                  .horizontalAdvance(QStringLiteral("E -0000000.00 m   N -0000000.00 m   elevation -00000.00 m ")));
    statusBar()->addPermanentWidget(readout_);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open site\u2026"), this, &MainWindow::showOpenSiteDialog);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    reportError_ = [this](const QString& title, const QString& message) {
        QMessageBox::critical(this, title, message);
    };
    connect(map_, &MapView::cursorMoved, this, &MainWindow::showCursor);
    connect(map_, &MapView::cursorLeft, readout_, &QLabel::clear);
    connect(map_, &MapView::renderProblem, this,
            [this](const QString& message) { statusBar()->showMessage(message, 15000); });
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::setErrorReporter(ErrorReporter reporter) { reportError_ = std::move(reporter); }

bool MainWindow::openSite(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho) {
    try {
        auto site = std::make_shared<const terrain::Site>(terrain::Site::open(dtm, ortho));
        map_->setSite(site);
        site_ = std::move(site);
    } catch (const Error& e) {
        reportError_(tr("Cannot open the site"), QString::fromStdString(e.what()));
        return false;
    }
    dtmPath_ = dtm;
    orthoPath_ = ortho;
    readout_->clear();
    updateTitle();
    statusBar()->showMessage(ortho ? QString::fromStdString(site_->coregistration().description)
                                   : tr("No orthoimage: showing a hillshade of the DTM"),
                             10000);
    return true;
}

void MainWindow::showOpenSiteDialog() {
    OpenSiteDialog dialog(dtmPath_, orthoPath_, this);
    if (dialog.exec() == QDialog::Accepted) openSite(dialog.dtmPath(), dialog.orthoPath());
}

QString MainWindow::cursorText() const { return readout_->text(); }

void MainWindow::showCursor(const terrain::MapPoint& point) {
    if (site_) readout_->setText(formatReading(readCursor(*site_, point)));
}

void MainWindow::updateTitle() {
    const QString app = tr("Traverse Studio");
    if (!site_) {
        setWindowTitle(app);
        return;
    }
    QString site = fileName(dtmPath_);
    if (orthoPath_) site += QStringLiteral(" + ") + fileName(*orthoPath_);
    setWindowTitle(site + QStringLiteral(" \u2014 ") + app);
}

}  // namespace traverse::studio
