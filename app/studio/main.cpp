// traverse-studio [--dtm FILE] [--ortho FILE] [--screenshot PNG]
#include "studio/main_window.hpp"
#include "studio/map_view.hpp"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTimer>

#include <cstdio>
#include <optional>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("traverse-studio"));
    QApplication::setOrganizationName(QStringLiteral("Traverse"));
    QApplication::setApplicationVersion(QStringLiteral(TRAVERSE_VERSION));

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Traverse Studio: Mars rover route planning workstation."));
    cli.addHelpOption();
    cli.addVersionOption();
    const QCommandLineOption dtm(QStringLiteral("dtm"), QStringLiteral("Open the site with this DTM."),
                                 QStringLiteral("FILE"));
    const QCommandLineOption ortho(QStringLiteral("ortho"), QStringLiteral("The site's orthoimage (needs --dtm)."),
                                   QStringLiteral("FILE"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Save the window to this PNG once shown, then exit."),
                                        QStringLiteral("PNG"));
    cli.addOptions({dtm, ortho, screenshot});
    cli.process(app);
    if (cli.isSet(ortho) && !cli.isSet(dtm)) {
        std::fprintf(stderr, "traverse-studio: --ortho needs --dtm\n");
        return 2;
    }

    traverse::studio::MainWindow window;
    const bool headless = cli.isSet(screenshot);
    if (headless) {
        // Nobody to click a dialog away: errors go to stderr and the exit status.
        window.setErrorReporter([](const QString&, const QString& message) {
            std::fprintf(stderr, "traverse-studio: %s\n", qPrintable(message));
        });
    }
    window.resize(1280, 800);
    window.show();

    if (cli.isSet(dtm)) {
        std::optional<std::filesystem::path> orthoPath;
        if (cli.isSet(ortho)) orthoPath = cli.value(ortho).toStdString();
        if (!window.openSite(cli.value(dtm).toStdString(), orthoPath) && headless) return 1;
    }

    if (headless) {
        const QString png = cli.value(screenshot);
        QTimer::singleShot(0, &window, [&window, png] {
            // The map reads a bounded number of tiles per paint: paint until it has them all.
            QPixmap shot = window.grab();
            for (int i = 0; i < 1000 && window.mapView()->lastFrame().tilesPending > 0; ++i) shot = window.grab();
            if (!shot.save(png, "PNG")) {
                std::fprintf(stderr, "traverse-studio: cannot write %s\n", qPrintable(png));
                QApplication::exit(1);
                return;
            }
            QApplication::exit(0);
        });
    }
    return QApplication::exec();
}
