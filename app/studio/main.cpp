// traverse-studio [--dtm FILE] [--ortho FILE] [--plan FILE] [--layers LIST] [--screenshot PNG]
#include "studio/main_window.hpp"
#include "studio/map_view.hpp"
#include "studio/overview_prompt.hpp"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <iterator>
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
    const QCommandLineOption plan(QStringLiteral("plan"), QStringLiteral("Open this plan (and its site)."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption layers(
        QStringLiteral("layers"),
        QStringLiteral("Map layers to show, e.g. ortho,slope:0.5,hazard (ortho, hillshade, slope, roughness, step, "
                       "cost, hazard; :opacity 0..1)."),
        QStringLiteral("LIST"));
    cli.addOptions({dtm, ortho, plan, screenshot, layers});
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
        // Nobody to answer either: keep the autosave for a person, never save behind their back.
        window.setRecoveryPrompt([](const QString&, const QString&) { return false; });
        window.setSavePrompt([](const QString&) { return traverse::studio::MainWindow::SaveChoice::Discard; });
    }
    if (!headless)
        window.mapView()->setOverviewPrompt([&window](const std::vector<std::filesystem::path>& files) {
            return traverse::studio::promptToBuildOverviews(&window, files);
        });
    window.resize(1280, 800);
    window.show();

    if (cli.isSet(dtm)) {
        std::optional<std::filesystem::path> orthoPath;
        if (cli.isSet(ortho)) orthoPath = cli.value(ortho).toStdString();
        if (!window.openSite(cli.value(dtm).toStdString(), orthoPath) && headless) return 1;
    }

    if (cli.isSet(plan) && !window.openPlan(cli.value(plan).toStdString()) && headless) return 1;

    if (cli.isSet(layers)) {
        using traverse::studio::MapLayer;
        const std::pair<const char*, MapLayer> names[] = {
            {"ortho", MapLayer::Orthoimage}, {"hillshade", MapLayer::Hillshade}, {"slope", MapLayer::Slope},
            {"roughness", MapLayer::Roughness}, {"step", MapLayer::Step}, {"cost", MapLayer::Cost},
            {"hazard", MapLayer::HazardMask}};
        traverse::studio::MapView& map = *window.mapView();
        for (MapLayer l : traverse::studio::kMapLayers) map.setLayerVisible(l, false);
        for (const QString& item : cli.value(layers).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QStringList parts = item.split(QLatin1Char(':'));
            const auto it = std::find_if(std::begin(names), std::end(names),
                                         [&](const auto& n) { return parts[0].trimmed() == QLatin1String(n.first); });
            if (it == std::end(names)) {
                std::fprintf(stderr, "traverse-studio: unknown layer '%s'\n", qPrintable(parts[0]));
                return 2;
            }
            map.setLayerVisible(it->second, true);
            if (parts.size() > 1) map.setLayerOpacity(it->second, parts[1].toDouble());
        }
    }

    if (headless) {
        const QString png = cli.value(screenshot);
        QTimer::singleShot(0, &window, [&window, png] {
            // Tiles arrive from worker threads: let them all arrive first.
            window.mapView()->waitForTiles();
            QPixmap shot = window.grab();
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
