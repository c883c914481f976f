// Editing a plan in traverse-studio, driven offscreen (QT_QPA_PLATFORM=offscreen) on the sample site:
// tools with simulated mouse clicks and drags, the waypoint table, undo/redo by keyboard, save and
// reopen, autosave recovery, drag-and-drop, the measuring tool and the profile.
#include "studio/main_window.hpp"
#include "studio/map_view.hpp"
#include "studio/plan_document.hpp"
#include "studio/profile_view.hpp"
#include "studio/route_overlay.hpp"
#include "studio/waypoint_table.hpp"

#include "planner/plan.hpp"
#include "studio_test_support.hpp"
#include "support/test_support.hpp"
#include "terrain/site.hpp"

#include <QAction>
#include <QDir>
#include <QDropEvent>
#include <QMimeData>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTest>
#include <QUndoStack>
#include <QUndoView>

#include <cmath>

using namespace traverse;
using namespace traverse::studio;
using traverse::studio_test::artefact;
using traverse::studio_test::sampleDtm;
using traverse::studio_test::sampleOrtho;
using Tool = RouteOverlay::Tool;

namespace {

bool same(terrain::MapPoint a, terrain::MapPoint b) { return a.e == b.e && a.n == b.n; }

QString describe(terrain::MapPoint p) { return QStringLiteral("(%1, %2)").arg(p.e, 0, 'f', 6).arg(p.n, 0, 'f', 6); }

// A window that records errors and answers its prompts as told.
struct Fixture {
    MainWindow window;
    QStringList errors;
    int savePrompts = 0, recoveryPrompts = 0;
    MainWindow::SaveChoice saveAnswer = MainWindow::SaveChoice::Discard;
    bool recoverAnswer = true;
    bool ready = false;

    explicit Fixture(bool withSite = true) {
        window.setErrorReporter([this](const QString&, const QString& m) { errors << m; });
        window.setSavePrompt([this](const QString&) {
            ++savePrompts;
            return saveAnswer;
        });
        window.setRecoveryPrompt([this](const QString&, const QString&) {
            ++recoveryPrompts;
            return recoverAnswer;
        });
        window.setPathPrompt([](const QString&, bool) { return std::optional<std::filesystem::path>(); });
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        if (withSite) QVERIFY(window.openSite(sampleDtm(), sampleOrtho()));
        ready = true;
    }
    MapView& map() { return *window.mapView(); }
    PlanDocument& doc() { return *window.planDocument(); }
    RouteOverlay& overlay() { return *window.routeOverlay(); }
    void tool(Tool t) { window.toolAction(t)->trigger(); }

    // A map point at a share of the visible extent (0..1 from west and from south), rounded to the
    // screen pixel a click lands on, so that expected coordinates are exact.
    QPoint screenAt(double fe, double fn) {
        const terrain::MapExtent v = map().visibleExtent();
        return map().toScreen({v.minE + fe * v.width(), v.minN + fn * v.height()}).toPoint();
    }
    terrain::MapPoint mapAt(QPoint screen) { return map().toMap(QPointF(screen)); }
    void click(QPoint at) { QTest::mouseClick(&map(), Qt::LeftButton, {}, at); }
    void drag(QPoint from, QPoint to) {
        QTest::mousePress(&map(), Qt::LeftButton, {}, from);
        QTest::mouseMove(&map(), (from + to) / 2);
        QTest::mouseMove(&map(), to);
        QTest::mouseRelease(&map(), Qt::LeftButton, {}, to);
    }
    QString cell(int row, int column) {
        auto* model = window.waypointTable()->model();
        return model->data(model->index(row, column), Qt::DisplayRole).toString();
    }
};

}  // namespace

class EditingTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // recent files go to a test settings file
        QCoreApplication::setOrganizationName(QStringLiteral("TraverseTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_studio_editing"));
    }

    void mouseEditsGoThroughUndo() {
        Fixture f;
        QVERIFY(f.ready);
        QUndoStack& undo = *f.doc().undoStack();

        // Start: press, drag east to set the heading.
        f.tool(Tool::SetStart);
        QCOMPARE(f.overlay().tool(), Tool::SetStart);
        const QPoint s = f.screenAt(0.2, 0.3), sHead = s + QPoint(60, 0);
        f.drag(s, sHead);
        QVERIFY(f.doc().hasStart());
        const twin::Pose start = f.doc().plan().route.start;
        QVERIFY2(same({start.e, start.n}, f.mapAt(s)), qPrintable(describe({start.e, start.n})));
        QVERIFY(std::abs(start.headingDeg - 90.0) < 1e-9);

        // Goal: a click.
        f.tool(Tool::SetGoal);
        const QPoint g = f.screenAt(0.8, 0.7);
        f.click(g);
        QVERIFY(f.doc().hasGoal());
        QVERIFY(same(f.doc().plan().goal, f.mapAt(g)));

        // Three waypoints, appended.
        f.tool(Tool::AddWaypoint);
        const QPoint w[3] = {f.screenAt(0.35, 0.5), f.screenAt(0.5, 0.45), f.screenAt(0.65, 0.6)};
        for (const QPoint& p : w) f.click(p);
        QCOMPARE(f.doc().waypointCount(), 3);
        for (int i = 0; i < 3; ++i) {
            QVERIFY(same(f.doc().waypoint(i), f.mapAt(w[i])));
            QCOMPARE(f.doc().plan().route.segments[std::size_t(i)].provenance.source, std::string("planner"));
        }
        QCOMPARE(undo.count(), 5);

        // The table: start, three waypoints, goal.
        auto* model = f.window.waypointTable()->model();
        QCOMPARE(model->rowCount(), 5);
        QCOMPARE(f.cell(0, WaypointTableModel::Point), QStringLiteral("Start"));
        QCOMPARE(f.cell(4, WaypointTableModel::Point), QStringLiteral("Goal"));
        QCOMPARE(f.cell(2, WaypointTableModel::East), QString::number(f.mapAt(w[1]).e, 'f', 2));
        QCOMPARE(f.cell(2, WaypointTableModel::Source), QStringLiteral("planner"));
        const double leg = std::hypot(f.mapAt(w[1]).e - f.mapAt(w[0]).e, f.mapAt(w[1]).n - f.mapAt(w[0]).n);
        QCOMPARE(f.cell(2, WaypointTableModel::Leg), QString::number(leg, 'f', 2));

        // Move waypoint 2 by dragging its handle; the table follows.
        f.tool(Tool::Move);
        const terrain::MapPoint before = f.doc().waypoint(1);
        const QPoint to = w[1] + QPoint(40, -70);
        f.drag(w[1], to);
        const terrain::MapPoint after = f.mapAt(to);
        QVERIFY2(same(f.doc().waypoint(1), after), qPrintable(describe(f.doc().waypoint(1))));
        QCOMPARE(f.cell(2, WaypointTableModel::East), QString::number(after.e, 'f', 2));
        QCOMPARE(f.cell(2, WaypointTableModel::North), QString::number(after.n, 'f', 2));
        QCOMPARE(undo.count(), 6);

        // Undo and redo from the keyboard restore exact coordinates.
        f.map().setFocus();
        QTest::keyClick(&f.map(), Qt::Key_Z, Qt::ControlModifier);
        QVERIFY2(same(f.doc().waypoint(1), before), qPrintable(describe(f.doc().waypoint(1))));
        QCOMPARE(f.cell(2, WaypointTableModel::East), QString::number(before.e, 'f', 2));
        QTest::keyClick(&f.map(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(same(f.doc().waypoint(1), after));
        QTest::keyClick(&f.map(), Qt::Key_Z, Qt::ControlModifier);
        QTest::keyClick(&f.map(), Qt::Key_Z, Qt::ControlModifier);  // the third waypoint goes
        QCOMPARE(f.doc().waypointCount(), 2);
        QCOMPARE(model->rowCount(), 4);
        QTest::keyClick(&f.map(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QTest::keyClick(&f.map(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(f.doc().waypointCount(), 3);
        QVERIFY(same(f.doc().waypoint(2), f.mapAt(w[2])));
        QVERIFY(same(f.doc().waypoint(1), after));

        // Delete waypoint 1 with a click; undo brings it back where it was.
        f.tool(Tool::Delete);
        f.click(w[0]);
        QCOMPARE(f.doc().waypointCount(), 2);
        QVERIFY(same(f.doc().waypoint(0), after));
        QTest::keyClick(&f.map(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(f.doc().waypointCount(), 3);
        QVERIFY(same(f.doc().waypoint(0), f.mapAt(w[0])));

        // Insert: a click on the leg from the start to waypoint 1 puts a waypoint between them.
        f.tool(Tool::AddWaypoint);
        const QPoint mid = (s + w[0]) / 2;
        f.click(mid);
        QCOMPARE(f.doc().waypointCount(), 4);
        QVERIFY(same(f.doc().waypoint(0), f.mapAt(mid)));
        QVERIFY(same(f.doc().waypoint(1), f.mapAt(w[0])));
        QCOMPARE(f.cell(1, WaypointTableModel::Point), QStringLiteral("1"));

        // The selected waypoint goes with Del.
        f.tool(Tool::Navigate);
        f.click(mid);  // selects it
        QCOMPARE(f.doc().selection(), (PlanHandle{PlanHandle::Kind::Waypoint, 0}));
        QCOMPARE(f.window.waypointTable()->view()->currentIndex().row(), 1);
        QTest::keyClick(&f.map(), Qt::Key_Delete);
        QCOMPARE(f.doc().waypointCount(), 3);
        QVERIFY(same(f.doc().waypoint(0), f.mapAt(w[0])));

        // The history shows every edit.
        auto* history = f.window.findChild<QUndoView*>();
        QVERIFY(history);
        QCOMPARE(history->model()->rowCount(), undo.count() + 1);
        QVERIFY(f.doc().isModified());
        QVERIFY(f.errors.isEmpty());
    }

    void tableEditsAreUndoableAndSelectOnTheMap() {
        Fixture f;
        QVERIFY(f.ready);
        const terrain::MapExtent v = f.map().visibleExtent();
        f.doc().setStart({v.minE + 0.3 * v.width(), v.minN + 0.3 * v.height(), 45.0});
        f.doc().appendWaypoint({v.minE + 0.4 * v.width(), v.minN + 0.4 * v.height()});
        f.doc().appendWaypoint({v.minE + 0.5 * v.width(), v.minN + 0.45 * v.height()});
        auto* model = f.window.waypointTable()->model();
        QCOMPARE(model->rowCount(), 3);

        const terrain::MapPoint before = f.doc().waypoint(1);
        QVERIFY(model->setData(model->index(2, WaypointTableModel::East), before.e + 2.5, Qt::EditRole));
        QCOMPARE(f.doc().waypoint(1).e, before.e + 2.5);
        QCOMPARE(f.doc().waypoint(1).n, before.n);
        QVERIFY(model->setData(model->index(0, WaypointTableModel::Heading), 400.0, Qt::EditRole));
        QCOMPARE(f.doc().plan().route.start.headingDeg, 40.0);
        f.doc().undoStack()->undo();
        f.doc().undoStack()->undo();
        QVERIFY(same(f.doc().waypoint(1), before));
        QCOMPARE(f.doc().plan().route.start.headingDeg, 45.0);

        // Selecting a row selects the point on the map and brings it into view.
        for (int i = 0; i < 6; ++i) QTest::keyClick(&f.map(), Qt::Key_Plus);
        QVERIFY(!f.map().visibleExtent().contains(f.doc().waypoint(1)) ||
                f.map().visibleExtent().width() < v.width() / 5);
        f.window.waypointTable()->view()->selectRow(2);
        QCOMPARE(f.doc().selection(), (PlanHandle{PlanHandle::Kind::Waypoint, 1}));
        const terrain::MapExtent now = f.map().visibleExtent();
        QVERIFY(now.contains(f.doc().waypoint(1)));
        const QPointF c = f.map().toScreen(f.doc().waypoint(1));
        QVERIFY2(std::abs(c.x() - f.map().width() / 2.0) < 2 && std::abs(c.y() - f.map().height() / 2.0) < 2,
                 qPrintable(QStringLiteral("%1 %2").arg(c.x()).arg(c.y())));
        // Selecting on the map selects the row.
        f.doc().setSelection({PlanHandle::Kind::Start});
        QCOMPARE(f.window.waypointTable()->view()->currentIndex().row(), 0);
    }

    void drawKeepOutZones() {
        Fixture f;
        QVERIFY(f.ready);
        f.tool(Tool::DrawKeepOut);
        const QPoint a = f.screenAt(0.4, 0.4), b = f.screenAt(0.55, 0.4), c = f.screenAt(0.55, 0.55),
                     d = f.screenAt(0.4, 0.55);
        f.click(a);
        f.click(b);
        f.click(c);
        QCOMPARE(f.overlay().draftZone().size(), std::size_t(3));
        // The last vertex, double-clicked to close (a double-click is a click, then the double-click).
        f.click(d);
        QTest::mouseDClick(&f.map(), Qt::LeftButton, {}, d);
        QCOMPARE(f.doc().plan().zones.size(), std::size_t(1));
        const twin::Zone& zone = f.doc().plan().zones[0];
        QVERIFY(!zone.keepIn);
        QCOMPARE(zone.polygon.size(), std::size_t(4));
        QVERIFY(same(zone.polygon[0], f.mapAt(a)));
        QVERIFY(same(zone.polygon[3], f.mapAt(d)));
        QVERIFY(f.overlay().draftZone().empty());

        // A triangle closed with Enter; Escape drops a draft.
        f.click(f.screenAt(0.1, 0.1));
        f.click(f.screenAt(0.2, 0.1));
        f.click(f.screenAt(0.15, 0.2));
        QTest::keyClick(&f.map(), Qt::Key_Return);
        QCOMPARE(f.doc().plan().zones.size(), std::size_t(2));
        f.click(f.screenAt(0.7, 0.7));
        QTest::keyClick(&f.map(), Qt::Key_Escape);
        QVERIFY(f.overlay().draftZone().empty());
        QCOMPARE(f.doc().plan().zones.size(), std::size_t(2));

        // Move a vertex; delete a zone by clicking inside it; undo both.
        f.tool(Tool::Move);
        const QPoint to = b + QPoint(30, -20);
        f.drag(b, to);
        QVERIFY(same(f.doc().plan().zones[0].polygon[1], f.mapAt(to)));
        f.tool(Tool::Delete);
        f.click((a + c) / 2);
        QCOMPARE(f.doc().plan().zones.size(), std::size_t(1));
        f.doc().undoStack()->undo();
        f.doc().undoStack()->undo();
        QCOMPARE(f.doc().plan().zones.size(), std::size_t(2));
        QVERIFY(same(f.doc().plan().zones[0].polygon[1], f.mapAt(b)));
    }

    void measureReportsDistanceAndBearing() {
        Fixture f;
        QVERIFY(f.ready);
        f.tool(Tool::Measure);
        const QPoint a = f.screenAt(0.3, 0.5), b = a + QPoint(300, 0), c = a + QPoint(0, -400);
        f.click(a);
        f.click(b);
        const terrain::MapPoint pa = f.mapAt(a), pb = f.mapAt(b);
        const double expected = 300 * f.map().metresPerPixel();
        QVERIFY(std::abs(RouteOverlay::distanceM(pa, pb) - expected) < 1e-6);
        const QString text = QStringLiteral("%1 m, bearing 090.0\u00b0").arg(expected, 0, 'f', 2);
        QCOMPARE(f.overlay().measurementText(), text);
        QVERIFY2(f.window.statusBar()->currentMessage().contains(text), qPrintable(f.window.statusBar()->currentMessage()));
        // The profile follows the measured line.
        QVERIFY(f.window.profileView()->caption().startsWith(QStringLiteral("Measured line")));
        const auto& samples = f.window.profileView()->samples();
        QVERIFY(samples.size() > 10);
        QVERIFY(std::abs(samples.back().distanceM - expected) < 1e-6);
        QVERIFY(samples[samples.size() / 2].elevationM);

        // Due north, from a new first click.
        f.click(a);
        f.click(c);
        QVERIFY2(f.overlay().measurementText().endsWith(QStringLiteral("bearing 000.0\u00b0")),
                 qPrintable(f.overlay().measurementText()));
        QCOMPARE(RouteOverlay::bearingDeg({0, 0}, {-1, -1}), 225.0);
        QTest::keyClick(&f.map(), Qt::Key_Escape);
        QVERIFY(!f.overlay().measurement());
        QVERIFY(!f.window.profileView()->caption().startsWith(QStringLiteral("Measured line")));
    }

    void saveReopenAndCompare() {
        test::TempDir tmp;
        const auto path = tmp / "drive.json";
        planner::Plan saved;
        {
            Fixture f;
            QVERIFY(f.ready);
            const terrain::MapExtent v = f.map().visibleExtent();
            f.doc().setStart({v.minE + 0.25 * v.width(), v.minN + 0.25 * v.height(), 33.3});
            f.doc().setGoal({v.minE + 0.75 * v.width(), v.minN + 0.7 * v.height()});
            for (int i = 1; i <= 4; ++i)
                f.doc().appendWaypoint({v.minE + (0.25 + 0.1 * i) * v.width() + 0.123, v.minN + (0.3 + 0.08 * i) * v.height()});
            f.doc().addZone({"ripples", false, {{v.minE + 10, v.minN + 10}, {v.minE + 30, v.minN + 10}, {v.minE + 20, v.minN + 30}}});
            QVERIFY(f.doc().isModified());
            QVERIFY(!f.window.save());  // no path yet: asks (and the test's chooser cancels)
            QVERIFY(f.window.saveAs(path));
            QVERIFY(f.errors.isEmpty());
            QVERIFY(std::filesystem::exists(path));
            QVERIFY(!f.doc().isModified());
            QVERIFY(f.window.windowTitle().startsWith(QStringLiteral("drive.json")));
            QCOMPARE(f.window.recentFiles().value(0), QString::fromStdString(path.string()));
            saved = f.doc().plan();
        }
        Fixture g(false);
        QVERIFY(g.ready);
        QVERIFY(g.window.openPlan(path));
        QVERIFY2(g.errors.isEmpty(), qPrintable(g.errors.join('\n')));
        QCOMPARE(g.recoveryPrompts, 0);
        QVERIFY(g.window.site());  // the plan's site opened with it
        QVERIFY(g.window.windowTitle().contains(QStringLiteral("sample_ortho.tif")));
        const planner::Plan& p = g.doc().plan();
        QVERIFY(g.doc().hasStart() && g.doc().hasGoal());
        QCOMPARE(planner::planContentHash(p), planner::planContentHash(saved));
        QCOMPARE(p.route.start.headingDeg, 33.3);
        QCOMPARE(p.route.segments.size(), std::size_t(4));
        for (std::size_t i = 0; i < 4; ++i) QVERIFY(same(p.route.segments[i].to, saved.route.segments[i].to));
        QCOMPARE(p.zones.size(), std::size_t(1));
        QCOMPARE(p.zones[0].name, std::string("ripples"));
        QCOMPARE(g.window.waypointTable()->model()->rowCount(), 6);
        QVERIFY(!g.doc().isModified());
    }

    void autosaveRecoveryRestoresWork() {
        test::TempDir tmp;
        const auto path = tmp / "drive.json";
        terrain::MapPoint added;
        {
            Fixture f;
            QVERIFY(f.ready);
            const terrain::MapExtent v = f.map().visibleExtent();
            f.doc().setStart({v.minE + 0.25 * v.width(), v.minN + 0.25 * v.height(), 10.0});
            f.doc().setGoal({v.minE + 0.75 * v.width(), v.minN + 0.7 * v.height()});
            QVERIFY(f.window.saveAs(path));
            // The plan file is older than the work that follows.
            std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) - std::chrono::seconds(10));
            f.tool(Tool::AddWaypoint);
            const QPoint w = f.screenAt(0.5, 0.5);
            f.click(w);
            added = f.mapAt(w);
            f.window.autosaveNow();
            QVERIFY(std::filesystem::exists(planner::autosavePath(path)));
            // ... and the program dies without saving (no close, no prompt).
        }
        {
            Fixture g(false);
            QVERIFY(g.ready);
            g.recoverAnswer = false;
            QVERIFY(g.window.openPlan(path));
            QCOMPARE(g.recoveryPrompts, 1);
            QCOMPARE(g.doc().waypointCount(), 0);  // declined: the file as saved
            QVERIFY(std::filesystem::exists(planner::autosavePath(path)));  // kept for later
        }
        Fixture g(false);
        QVERIFY(g.ready);
        QVERIFY(g.window.openPlan(path));
        QCOMPARE(g.recoveryPrompts, 1);
        QCOMPARE(g.doc().waypointCount(), 1);
        QVERIFY(same(g.doc().waypoint(0), added));
        QVERIFY(g.doc().isModified());  // recovered work is not saved yet
        g.doc().undoStack()->undo();     // back to the plan as saved
        QCOMPARE(g.doc().waypointCount(), 0);
        g.doc().undoStack()->redo();
        QVERIFY(g.window.save());
        QVERIFY(!std::filesystem::exists(planner::autosavePath(path)));
        QCOMPARE(planner::loadPlan(path).route.segments.size(), std::size_t(1));

        // Changes dropped on purpose take their autosave with them.
        g.doc().appendWaypoint(added);
        g.window.autosaveNow();
        QVERIFY(std::filesystem::exists(planner::autosavePath(path)));
        g.saveAnswer = MainWindow::SaveChoice::Discard;
        QVERIFY(g.window.newPlan());
        QVERIFY(!std::filesystem::exists(planner::autosavePath(path)));
    }

    void promptsBeforeDroppingChanges() {
        Fixture f;
        QVERIFY(f.ready);
        f.doc().setStart({f.map().visibleExtent().minE + 50, f.map().visibleExtent().minN + 50, 0.0});
        f.saveAnswer = MainWindow::SaveChoice::Cancel;
        QVERIFY(!f.window.newPlan());
        QVERIFY(!f.window.close());
        QCOMPARE(f.savePrompts, 2);
        QVERIFY(f.doc().hasStart());
        QVERIFY(f.window.isVisible());
        f.saveAnswer = MainWindow::SaveChoice::Discard;
        QVERIFY(f.window.newPlan());
        QVERIFY(!f.doc().hasStart());
        QVERIFY(!f.doc().isModified());
        QCOMPARE(f.doc().undoStack()->count(), 0);
        QVERIFY(f.window.close());
        QCOMPARE(f.savePrompts, 3);  // nothing to save: no prompt on close
    }

    void dropPlanAndRasterFiles() {
        test::TempDir tmp;
        const auto path = tmp / "dropped.json";
        {
            Fixture f;
            QVERIFY(f.ready);
            const terrain::MapExtent v = f.map().visibleExtent();
            f.doc().setStart({v.minE + 0.25 * v.width(), v.minN + 0.25 * v.height(), 10.0});
            f.doc().setGoal({v.minE + 0.75 * v.width(), v.minN + 0.7 * v.height()});
            f.doc().appendWaypoint({v.minE + 0.5 * v.width(), v.minN + 0.5 * v.height()});
            QVERIFY(f.window.saveAs(path));
        }
        auto drop = [](QWidget& target, const QList<QUrl>& urls) {
            QMimeData mime;
            mime.setUrls(urls);
            const QPointF at(target.width() / 2.0, target.height() / 2.0);
            QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&target, &enter);
            if (!enter.isAccepted()) return false;
            QDropEvent event(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&target, &event);
            return event.isAccepted();
        };
        Fixture g(false);
        QVERIFY(g.ready);
        QVERIFY(drop(g.window, {QUrl::fromLocalFile(QString::fromStdString(path.string()))}));
        QTRY_COMPARE(g.doc().filePath(), path);
        QCOMPARE(g.doc().waypointCount(), 1);
        QVERIFY(g.window.site());
        QVERIFY(g.errors.isEmpty());

        // Rasters: a DTM alone, then an orthoimage onto it.
        Fixture h(false);
        QVERIFY(h.ready);
        QVERIFY(drop(h.window, {QUrl::fromLocalFile(QString::fromStdString(sampleDtm().string()))}));
        QTRY_VERIFY(h.window.site());
        QVERIFY(!h.window.site()->ortho());
        QVERIFY(drop(h.window, {QUrl::fromLocalFile(QString::fromStdString(sampleOrtho().string()))}));
        QTRY_VERIFY(h.window.site()->ortho());
        QVERIFY(h.window.windowTitle().contains(QStringLiteral("sample_dtm.tif + sample_ortho.tif")));
        QVERIFY(!drop(h.window, {QUrl(QStringLiteral("https://example.com/a.tif"))}));
    }

    void proposedRouteAndValidationAreUndoable() {
        Fixture f;
        QVERIFY(f.ready);
        const terrain::MapExtent v = f.map().visibleExtent();
        const twin::Pose start{v.minE + 0.3 * v.width(), v.minN + 0.3 * v.height(), 90.0};
        f.doc().setStart(start);
        f.doc().appendWaypoint({start.e + 5, start.n + 5});
        const std::size_t decisionsBefore = f.doc().plan().decisions.size();

        planner::Route route;
        route.start = start;
        for (int i = 1; i <= 3; ++i) {
            planner::Segment s;
            s.to = {start.e + 8.0 * i, start.n};
            s.provenance.source = "builtin";
            route.segments.push_back(s);
        }
        planner::Decision d;
        d.time = planner::isoTimestampUtc();
        d.source = "builtin";
        d.points = {route.segments[0].to};
        d.accepted = true;
        // While the proposer works, the route so far is a preview; at the end it joins the plan.
        f.overlay().setPreviewRoute(route);
        f.overlay().setCursorMarker(route.segments[1].to);
        QVERIFY(!f.window.grab().isNull());
        f.overlay().setPreviewRoute(std::nullopt);
        f.doc().replaceRoute(route, {d});
        QCOMPARE(f.doc().waypointCount(), 3);
        QCOMPARE(f.doc().plan().decisions.size(), decisionsBefore + 1);
        QCOMPARE(f.cell(1, WaypointTableModel::Source), QStringLiteral("builtin"));
        QCOMPARE(f.cell(2, WaypointTableModel::Leg), QStringLiteral("8.00"));

        planner::ValidationRecord record;
        record.reportJson = R"({"pass": true})";
        record.hashes = planner::validationHashesFor(f.doc().plan());
        f.doc().setValidation(record);
        QVERIFY(f.doc().plan().validation);
        QVERIFY(!planner::validationMismatch(f.doc().plan()));
        // An edit makes the report stale (the hashes tell), and undo makes it current again.
        f.doc().moveWaypoint(2, {start.e + 25, start.n + 1});
        QVERIFY(planner::validationMismatch(f.doc().plan()));
        f.doc().undoStack()->undo();
        QVERIFY(!planner::validationMismatch(f.doc().plan()));

        f.doc().undoStack()->undo();  // the validation
        QVERIFY(!f.doc().plan().validation);
        f.doc().undoStack()->undo();  // the proposal
        QCOMPARE(f.doc().waypointCount(), 1);
        QCOMPARE(f.doc().plan().decisions.size(), decisionsBefore);
        QCOMPARE(f.doc().plan().route.segments[0].provenance.source, std::string("planner"));
    }

    void checksOnHoverAndScreenshot() {
        Fixture f;
        QVERIFY(f.ready);
        const terrain::MapExtent v = f.map().visibleExtent();
        auto at = [&](double fe, double fn) { return terrain::MapPoint{v.minE + fe * v.width(), v.minN + fn * v.height()}; };
        const terrain::MapPoint s = at(0.22, 0.25);
        f.doc().setStart({s.e, s.n, 60.0});
        f.doc().setGoal(at(0.78, 0.72));
        const terrain::MapPoint wps[] = {at(0.32, 0.32), at(0.42, 0.36), at(0.5, 0.47), at(0.6, 0.55), at(0.7, 0.66)};
        for (const auto& p : wps) f.doc().appendWaypoint(p);
        f.doc().addZone({"sand ripples", false, {at(0.4, 0.5), at(0.48, 0.58), at(0.42, 0.66), at(0.33, 0.6)}});
        f.doc().addZone({"work area", true, {at(0.15, 0.15), at(0.88, 0.15), at(0.88, 0.82), at(0.15, 0.82)}});
        using S = RouteOverlay::SegmentStatus;
        f.overlay().setSegmentChecks({{S::Pass, {}}, {S::Pass, {}}, {S::Warn, QStringLiteral("tilt 24.1\u00b0 near the limit")},
                                      {S::Fail, QStringLiteral("step 0.45 m > 0.40 m")}, {S::Pass, {}}});
        f.overlay().setDispersion(wps[4], twin::DispersionEllipse{12.0, 6.0, 40.0, 0.95});
        QCOMPARE(RouteOverlay::statusOf(planner::CheckStatus::Warn), S::Warn);
        f.doc().setSelection({PlanHandle::Kind::Waypoint, 2});

        // Hover over the failing segment: its reasons.
        const QPointF mid = (f.map().toScreen(wps[2]) + f.map().toScreen(wps[3])) / 2;
        QTest::mouseMove(&f.map(), mid.toPoint());
        QVERIFY2(f.overlay().hoverText().contains(QStringLiteral("step 0.45 m")), qPrintable(f.overlay().hoverText()));
        QTest::mouseMove(&f.map(), QPoint(5, 5));
        QVERIFY(f.overlay().hoverText().isEmpty());
        // An edit of the route makes the checks stale.
        f.doc().moveWaypoint(0, at(0.31, 0.33));
        QVERIFY(f.overlay().segmentChecks().empty());
        f.doc().undoStack()->undo();
        f.overlay().setSegmentChecks({{S::Pass, {}}, {S::Pass, {}}, {S::Warn, QStringLiteral("tilt")}, {S::Fail, QStringLiteral("step")}, {S::Pass, {}}});
        ProfileView& profile = *f.window.profileView();
        profile.refresh();
        QVERIFY(profile.samples().size() > 20);
        // Hovering the profile marks the place on the map.
        QSignalSpy hovered(&profile, &ProfileView::hovered);
        profile.grab();  // lays out the plot
        QTest::mouseMove(&profile, QPoint(profile.width() / 2, profile.height() / 2));
        QCOMPARE(hovered.size(), 1);
        const auto marked = hovered.at(0).at(0).value<std::optional<terrain::MapPoint>>();
        QVERIFY(marked);
        const double along = std::hypot(marked->e - s.e, marked->n - s.n);
        QVERIFY(along > 0.0);

        QImage shot = f.window.grab().toImage();
        for (int i = 0; i < 200 && f.map().lastFrame().tilesPending > 0; ++i) shot = f.window.grab().toImage();
        const QString file = artefact(QStringLiteral("studio-editing.png"));
        QVERIFY(shot.save(file));
        qInfo("screenshot: %s", qPrintable(file));
        // The route is drawn: the start's pixel on screen is the start's green, not imagery.
        const QPoint sp = f.map().mapTo(&f.window, f.map().toScreen(s).toPoint());
        const QColor c = shot.pixelColor(sp);
        QVERIFY2(c.green() > 150 && c.red() < 150, qPrintable(c.name()));
        // Close to the start: the rover's footprint at its heading.
        f.window.centreMapOn(s);
        for (int i = 0; i < 9; ++i) QTest::keyClick(&f.map(), Qt::Key_Plus);
        f.window.centreMapOn(s);
        QVERIFY(f.map().metresPerPixel() < 0.2);
        shot = f.window.grab().toImage();
        for (int i = 0; i < 200 && f.map().lastFrame().tilesPending > 0; ++i) shot = f.window.grab().toImage();
        QVERIFY(shot.save(artefact(QStringLiteral("studio-editing-start.png"))));
        // And saved for a person: `traverse-studio --plan <artefacts>/editing-plan.json --screenshot x.png`.
        QVERIFY(f.window.saveAs(artefact(QStringLiteral("editing-plan.json")).toStdString()));
    }
};

QTEST_MAIN(EditingTest)
#include "test_editing.moc"
