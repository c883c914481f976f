// The planner's day in traverse-studio, through the main window only (offscreen): open the sample
// site, place the start and the goal with the mouse, propose a route with the built-in proposer,
// validate it, export it, save the plan and open it again. The window with the validated route is
// saved as a picture (artefacts/studio-validated-route.png) and checked not to be blank.
#include "studio/export_dialog.hpp"
#include "studio/main_window.hpp"
#include "studio/map_view.hpp"
#include "studio/plan_document.hpp"
#include "studio/plot_widget.hpp"
#include "studio/propose_panel.hpp"
#include "studio/replay_overlay.hpp"
#include "studio/replay_panel.hpp"
#include "studio/route_overlay.hpp"
#include "studio/training_panel.hpp"
#include "studio/traverse_overlay.hpp"
#include "studio/validation_panel.hpp"
#include "studio/workflow_panels.hpp"

#include "planner/plan.hpp"
#include "studio_test_support.hpp"
#include "support/test_support.hpp"
#include "terrain/site.hpp"
#include "twin/drive_log.hpp"
#include "twin/drive_replay.hpp"

#include <QAction>
#include <QListWidget>
#include <QMenuBar>
#include <QMouseEvent>
#include <QSlider>
#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QUndoStack>

#include <cmath>
#include <fstream>

using namespace traverse;
using namespace traverse::studio;
using traverse::studio_test::artefact;
using traverse::studio_test::sampleDtm;
using traverse::studio_test::sampleOrtho;
namespace fs = std::filesystem;

namespace {

// Grey-level spread over a rectangle of an image: a blank map has none.
double spread(const QImage& image, const QRect& area) {
    double sum = 0, sum2 = 0;
    int n = 0;
    for (int y = area.top(); y <= area.bottom(); y += 3)
        for (int x = area.left(); x <= area.right(); x += 3) {
            const double g = qGray(image.pixel(x, y));
            sum += g;
            sum2 += g * g;
            ++n;
        }
    const double mean = sum / n;
    return std::sqrt(std::max(0.0, sum2 / n - mean * mean));
}

}  // namespace

class WorkflowTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("TraverseTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_studio_workflow"));
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, QString::fromStdString((tmp_ / "qs").string()));
        ::unsetenv("ANTHROPIC_API_KEY");
        ::unsetenv("OPENAI_API_KEY");
    }

    void planProposeValidateExportReopen() {
        MainWindow window;
        QStringList errors;
        window.setErrorReporter([&](const QString&, const QString& m) { errors << m; });
        window.setSavePrompt([](const QString&) { return MainWindow::SaveChoice::Discard; });
        window.setRecoveryPrompt([](const QString&, const QString&) { return false; });
        window.resize(1600, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openSite(test::sampleDir() / "sample_dtm.tif", test::sampleDir() / "sample_ortho.tif"));
        MapView& map = *window.mapView();
        PlanDocument& doc = *window.planDocument();

        // Start: press at the point and drag east (heading 90); goal: a click 300 m east.
        window.toolAction(RouteOverlay::Tool::SetStart)->trigger();
        const QPoint start = map.toScreen({2400.0, 1093900.0}).toPoint();
        const QPoint east = map.toScreen({2430.0, 1093900.0}).toPoint();
        QTest::mousePress(&map, Qt::LeftButton, {}, start);
        QTest::mouseMove(&map, (start + east) / 2);
        QTest::mouseMove(&map, east);
        QTest::mouseRelease(&map, Qt::LeftButton, {}, east);
        window.toolAction(RouteOverlay::Tool::SetGoal)->trigger();
        QTest::mouseClick(&map, Qt::LeftButton, {}, map.toScreen({2700.0, 1093900.0}).toPoint());
        QVERIFY(doc.hasStart() && doc.hasGoal());
        QVERIFY(std::abs(doc.plan().route.start.e - 2400.0) < 2.0);
        QVERIFY(std::abs(doc.plan().route.start.headingDeg - 90.0) < 5.0);
        QVERIFY(std::abs(doc.plan().goal.e - 2700.0) < 2.0);
        window.toolAction(RouteOverlay::Tool::Navigate)->trigger();

        // Propose with the built-in proposer (the default): the route replaces the plan's, undoably.
        ProposePanel& propose = *window.workflow()->proposePanel();
        QSignalSpy proposed(&propose, &ProposePanel::routeProposed);
        QSignalSpy grew(&propose, &ProposePanel::routeGrew);
        const int undoBefore = doc.undoStack()->count();
        propose.propose();
        QTRY_VERIFY_WITH_TIMEOUT(proposed.count() == 1, 120000);
        QVERIFY(grew.count() >= 1);
        QVERIFY(doc.plan().route.segments.size() >= 30);
        QCOMPARE(doc.undoStack()->count(), undoBefore + 1);
        const auto end = doc.plan().route.end();
        QVERIFY(std::hypot(end.e - doc.plan().goal.e, end.n - doc.plan().goal.n) <= doc.plan().goalToleranceM + 1e-9);

        // Validate: the report goes into the plan, the segments are coloured on the map.
        ValidationPanel& validate = *window.workflow()->validationPanel();
        QSignalSpy validated(&validate, &ValidationPanel::validated);
        validate.validate();
        QTRY_VERIFY_WITH_TIMEOUT(validated.count() == 1, 180000);
        QVERIFY2(validate.outcome() && validate.outcome()->pass, validate.outcome()->summary.c_str());
        QVERIFY(doc.plan().validation.has_value());
        const auto& checks = window.routeOverlay()->segmentChecks();
        QCOMPARE(checks.size(), doc.plan().route.segments.size());
        for (const auto& c : checks) QVERIFY(c.status != RouteOverlay::SegmentStatus::Fail);

        // The window as a planner sees it, zoomed on the route: not blank where the map is.
        window.centreMapOn({2550.0, 1093900.0});
        for (int i = 0; i < 3; ++i) map.zoomIn();
        window.centreMapOn({2550.0, 1093900.0});
        QTest::qWait(300);
        QVERIFY(map.waitForTiles());
        const QImage shot = window.grab().toImage();
        QVERIFY(shot.save(artefact(QStringLiteral("studio-validated-route.png"))));
        const QRect mapArea(map.mapTo(&window, QPoint(0, 0)), map.size());
        QVERIFY2(spread(shot, mapArea) > 10.0, "the map area is blank");

        // Export: the sequence files are written for the validated plan.
        const fs::path out = tmp_ / "uplink";
        {
            ExportDialog dialog(doc.plan(), QString::fromStdString(out.string()), &window);
            QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), 60000);
            QVERIFY2(dialog.refusal().isEmpty(), qPrintable(dialog.refusal()));
            dialog.setName(QStringLiteral("sol_12"));
            QSignalSpy exported(&dialog, &ExportDialog::exported);
            dialog.startExport();
            QTRY_VERIFY_WITH_TIMEOUT(!dialog.running(), 180000);
            QCOMPARE(exported.count(), 1);
        }
        QVERIFY(fs::exists(out / "sol_12.seq.json"));
        QVERIFY(fs::exists(out / "checksums.sha256"));

        // Save, open again: the same route and the validation report.
        const fs::path planFile = tmp_ / "sol_12.plan.json";
        QVERIFY(window.saveAs(planFile));
        const planner::Plan saved = doc.plan();
        QVERIFY(window.newPlan());
        QVERIFY(window.openPlan(planFile));
        QCOMPARE(doc.plan().route.segments.size(), saved.route.segments.size());
        for (std::size_t i = 0; i < saved.route.segments.size(); ++i) {
            QCOMPARE(doc.plan().route.segments[i].to.e, saved.route.segments[i].to.e);
            QCOMPARE(doc.plan().route.segments[i].to.n, saved.route.segments[i].to.n);
        }
        QVERIFY(doc.plan().validation.has_value());
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    }

    void pastTraversesOverTheMap() {
        MainWindow window;
        QStringList errors;
        window.setErrorReporter([&](const QString&, const QString& m) { errors << m; });
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // Before a site is open: nothing to draw on, said so.
        const fs::path scenarios = fs::path(TRAVERSE_SOURCE_DIR) / "data" / "scenarios";
        QVERIFY(!window.showTraverse(scenarios / "boulder-field.drive.csv"));
        QCOMPARE(errors.size(), 1);
        QVERIFY(window.openSite(test::sampleDir() / "sample_dtm.tif", test::sampleDir() / "sample_ortho.tif"));
        // A drive log (map frame) and a published traverse (lon/lat on Mars), both on the site.
        QVERIFY(window.showTraverse(scenarios / "boulder-field.drive.csv"));
        QVERIFY(window.showTraverse(scenarios / "around-the-butte.geojson"));
        const auto& tracks = window.traverses()->tracks();
        QCOMPARE(tracks.size(), std::size_t(2));
        const terrain::MapExtent site = window.site()->extent();
        for (const auto& t : tracks) {
            QVERIFY(t.points.size() >= 2);
            for (const auto& p : t.points) QVERIFY(site.contains(p));
        }
        QVERIFY(window.mapView()->waitForTiles());
        const QImage shot = window.grab().toImage();
        QVERIFY(shot.save(artefact(QStringLiteral("studio-past-traverses.png"))));
        // The drawn line is there: the track's colour at its middle point.
        const auto mid = tracks[0].points[tracks[0].points.size() / 2];
        const QPoint at = window.mapView()->mapTo(&window, window.mapView()->toScreen(mid).toPoint());
        const QColor c = shot.pixelColor(at);
        QVERIFY2(std::abs(c.red() - tracks[0].colour.red()) < 40 && std::abs(c.green() - tracks[0].colour.green()) < 40,
                 qPrintable(c.name()));
        // Not a traverse: an error naming the file; nothing added.
        const fs::path junk = tmp_ / "junk.csv";
        {
            std::ofstream(junk) << "not a drive log\n";
        }
        QVERIFY(!window.showTraverse(junk));
        QVERIFY(errors.last().contains(QStringLiteral("junk.csv")));
        QCOMPARE(window.traverses()->tracks().size(), std::size_t(2));
    }

    void replayADriveLog() {
        MainWindow window;
        QStringList errors;
        window.setErrorReporter([&](const QString&, const QString& m) { errors << m; });
        window.setSavePrompt([](const QString&) { return MainWindow::SaveChoice::Discard; });
        window.resize(1500, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openSite(test::sampleDir() / "sample_dtm.tif", test::sampleDir() / "sample_ortho.tif"));
        const fs::path logFile = fs::path(TRAVERSE_SOURCE_DIR) / "data" / "scenarios" / "boulder-field.drive.csv";
        const twin::DriveLog log = twin::readDriveLog(logFile);
        const auto track = log.track();

        // The File menu offers it.
        bool inMenu = false;
        for (QAction* a : window.menuBar()->findChildren<QAction*>())
            inMenu = inMenu || a->text().contains(QStringLiteral("Replay a"));
        QVERIFY(inMenu);

        // A plan: from the log's start straight to its end (the rover detoured round boulders).
        PlanDocument& doc = *window.planDocument();
        doc.setStart(twin::Pose{track.front().e, track.front().n, log.samples.at(0, *log.channel("heading_deg"))});
        doc.appendWaypoint({(track.front().e + track.back().e) / 2, (track.front().n + track.back().n) / 2});
        doc.setGoal(track.back());
        doc.appendWaypoint(track.back());

        QVERIFY(window.replayDriveLog(logFile));
        QVERIFY(errors.isEmpty());
        ReplayPanel& panel = *window.replayPanel();
        ReplayOverlay& overlay = *panel.overlay();
        QVERIFY(panel.hasLog());
        QCOMPARE(panel.eventList()->count(), int(log.events.size()));
        QCOMPARE(panel.attitudePlot()->seriesCount(), std::size_t(2));
        QCOMPARE(panel.attitudePlot()->pointCount(), log.size());
        const double t0 = panel.cursor()->startTime(), t1 = panel.cursor()->endTime();
        QCOMPARE(panel.time(), t0);

        // Play at 100×: time advances with the wall clock.
        panel.setSpeed(100);
        panel.play();
        QVERIFY(panel.isPlaying());
        QTest::qWait(300);
        QVERIFY2(panel.time() > t0 + 5.0, qPrintable(QString::number(panel.time())));
        panel.pause();
        QVERIFY(!panel.isPlaying());
        const double paused = panel.time();
        QTest::qWait(100);
        QCOMPARE(panel.time(), paused);
        // Deterministic ticks: 0.5 s of wall time at 20× is 10 s of drive.
        panel.setSpeed(20);
        panel.advanceWall(0.5);
        QVERIFY(std::abs(panel.time() - std::min(t1, paused + 10.0)) < 1e-9);

        // Seek to the middle: the overlay's rover is the cursor's interpolated state.
        const double mid = (t0 + t1) / 2;
        panel.seek(mid);
        QCOMPARE(panel.time(), mid);
        const twin::ReplayState expected = twin::replayStateAt(log, mid);
        const auto pose = overlay.roverPose();
        QVERIFY(pose);
        QVERIFY(std::abs(pose->position.e - expected.position.e) < 1e-9);
        QVERIFY(std::abs(pose->position.n - expected.position.n) < 1e-9);
        QVERIFY(std::abs(pose->headingDeg - expected.headingDeg) < 1e-9);
        // ... between the log's positions around it.
        const std::size_t i = expected.sample;
        QVERIFY(i + 1 < log.size());
        const auto a = log.position(i), b = log.position(i + 1);
        QVERIFY(pose->position.e >= std::min(a.e, b.e) - 1e-9 && pose->position.e <= std::max(a.e, b.e) + 1e-9);
        QVERIFY(pose->position.n >= std::min(a.n, b.n) - 1e-9 && pose->position.n <= std::max(a.n, b.n) + 1e-9);
        // The plots' cursor follows; the slider is in the middle.
        for (PlotWidget* plot : {panel.attitudePlot(), panel.clearancePlot(), panel.slipPlot()}) {
            QVERIFY(plot->cursorX());
            QCOMPARE(*plot->cursorX(), mid);
        }
        QVERIFY(std::abs(panel.slider()->value() - ReplayPanel::kSliderSteps / 2) <= 1);
        // The deviation from the plan: the distance to the planned polyline.
        const auto dev = overlay.deviation();
        QVERIFY(dev);
        QVERIFY(std::abs(dev->distanceM - twin::distanceToPolyline(pose->position, doc.plan().route.points())) < 1e-9);
        QVERIFY(std::abs(std::hypot(dev->onPlan.e - pose->position.e, dev->onPlan.n - pose->position.n) - dev->distanceM) < 1e-6);

        // Step forward and back: one sample at a time.
        panel.stepForward();
        QCOMPARE(panel.time(), log.timeS(i + 1));
        QCOMPARE(overlay.roverPose()->position.e, log.position(i + 1).e);
        QCOMPARE(*panel.attitudePlot()->cursorX(), log.timeS(i + 1));
        panel.stepBackward();
        QCOMPARE(panel.time(), log.timeS(i));
        panel.stepBackward();
        QCOMPARE(panel.time(), log.timeS(i - 1));

        // Reverse: time goes back.
        panel.seek(mid);
        panel.setReverse(true);
        panel.setSpeed(10);
        panel.advanceWall(0.5);
        QVERIFY(std::abs(panel.time() - (mid - 5.0)) < 1e-9);
        panel.play();
        QTest::qWait(200);
        panel.pause();
        QVERIFY(panel.time() < mid - 5.0);
        panel.setReverse(false);

        // Hovering a plot while paused seeks to the time under the mouse.
        {
            PlotWidget* plot = panel.clearancePlot();
            const double target = t0 + 0.25 * (t1 - t0);
            const QPointF at(plot->screenX(target), plot->plotArea().center().y());
            QMouseEvent move(QEvent::MouseMove, at, plot->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
            QCoreApplication::sendEvent(plot, &move);
            QVERIFY2(std::abs(panel.time() - target) < 0.01 * (t1 - t0), qPrintable(QString::number(panel.time())));
            QCOMPARE(*panel.attitudePlot()->cursorX(), panel.time());
        }

        // Clicking an event seeks there.
        if (panel.eventList()->count() > 1) {
            QListWidget* list = panel.eventList();
            QListWidgetItem* item = list->item(1);
            QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(item).center());
            QCOMPARE(panel.time(), std::clamp(log.events[1].timeS, t0, t1));
        }

        // A picture of the replay where the rover strayed farthest from the plan.
        const twin::PathDeviation worst = twin::pathDeviation(track, doc.plan().route.points());
        panel.seek(log.timeS(worst.maxIndex));
        QVERIFY(std::abs(overlay.deviation()->distanceM - worst.maxM) < 1e-6);
        QTest::qWait(50);
        for (int z = 0; z < 4; ++z) window.mapView()->zoomIn();
        window.centreMapOn(overlay.roverPose()->position);
        QVERIFY(window.mapView()->waitForTiles());
        QVERIFY(window.grab().toImage().save(artefact(QStringLiteral("studio-replay.png"))));

        // A malformed log: an error naming the file and the line; the replay stays.
        const fs::path bad = tmp_ / "bad.drive.csv";
        {
            std::ifstream in(logFile);
            std::ofstream out(bad);
            std::string line;
            for (int n = 1; std::getline(in, line); ++n) out << (n == 5 ? std::string("1,2,not-a-number") : line) << '\n';
        }
        const double before = panel.time();
        QVERIFY(!window.replayDriveLog(bad));
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.last().contains(QStringLiteral("bad.drive.csv")) && errors.last().contains(QStringLiteral("line 5")),
                 qPrintable(errors.last()));
        QCOMPARE(panel.time(), before);
    }

    void trainingScenarioScoresThePlan() {
        MainWindow window;
        QStringList errors;
        window.setErrorReporter([&](const QString&, const QString& m) { errors << m; });
        window.setSavePrompt([](const QString&) { return MainWindow::SaveChoice::Discard; });
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const fs::path scenarios = fs::path(TRAVERSE_SOURCE_DIR) / "data" / "scenarios";
        // The bundled scenario names ../samples/; the tests' sample site is elsewhere.
        QVERIFY(!window.openScenario(scenarios / "missing.json", test::sampleDir()));
        QVERIFY(errors.last().contains(QStringLiteral("missing.json")));
        errors.clear();
        QVERIFY(window.openScenario(scenarios / "across-the-plains.json", test::sampleDir()));
        PlanDocument& doc = *window.planDocument();
        QVERIFY(doc.hasStart() && doc.hasGoal());
        const auto& scenario = *window.trainingPanel()->scenario();
        QCOMPARE(doc.plan().route.start.e, scenario.start.e);
        QCOMPARE(doc.plan().goal.n, scenario.goal.n);
        QCOMPARE(window.traverses()->tracks().size(), std::size_t(1));  // the actual traverse

        // The trainee's plan: here the built-in proposer's, then scored against both references.
        ProposePanel& propose = *window.workflow()->proposePanel();
        QSignalSpy proposed(&propose, &ProposePanel::routeProposed);
        propose.propose();
        QTRY_VERIFY_WITH_TIMEOUT(proposed.count() == 1, 120000);
        TrainingPanel& training = *window.trainingPanel();
        QSignalSpy scored(&training, &TrainingPanel::scored);
        training.score(doc.plan());
        QTRY_VERIFY_WITH_TIMEOUT(!training.running(), 180000);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(scored.count(), 1);
        const planner::ScoreCard& card = *training.card();
        QVERIFY(card.plan.score > 0.0 && card.plan.score <= 100.0);
        QVERIFY(card.builtin.score > 0.0);
        // The same table as `traverse score` prints.
        QCOMPARE(training.cardText(), QString::fromStdString(planner::scoreCardTable(card)));
        QVERIFY(window.grab().save(artefact(QStringLiteral("studio-training.png"))));
    }

private:
    test::TempDir dir_;
    fs::path tmp_ = dir_.path();
};

QTEST_MAIN(WorkflowTest)
#include "test_workflow.moc"
