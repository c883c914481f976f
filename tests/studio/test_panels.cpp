// The propose / validate / export / settings panels of traverse-studio, driven offscreen on the
// sample site: the built-in proposer run from the panel, a model proposer (the project's model
// server) cancelled mid-run and recorded in a transcript the transcript panel shows, validation with
// per-segment statuses and plots, export of a validated plan and its refusal for an unvalidated one,
// and the settings dialog's handling of API keys. Screenshots of each panel go to the artefacts.
#include "studio/export_dialog.hpp"
#include "studio/plot_widget.hpp"
#include "studio/proposal_runner.hpp"
#include "studio/propose_panel.hpp"
#include "studio/settings_dialog.hpp"
#include "studio/studio_settings.hpp"
#include "studio/transcript_panel.hpp"
#include "studio/validation_panel.hpp"
#include "twin/telemetry.hpp"

#include "support/model_server.hpp"
#include "studio_test_support.hpp"
#include "support/test_support.hpp"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLineEdit>
#include <QListWidget>
#include <QMouseEvent>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTreeWidget>

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>

using namespace traverse;
using namespace traverse::studio;
using traverse::studio_test::artefact;
using traverse::studio_test::sampleDtm;
using traverse::studio_test::sampleOrtho;
namespace fs = std::filesystem;

Q_DECLARE_METATYPE(traverse::planner::Route)
Q_DECLARE_METATYPE(traverse::planner::Decision)
Q_DECLARE_METATYPE(traverse::terrain::MapPoint)

namespace {

constexpr const char* kServerKey = "sk-test-panels-key-7c1e";

// A plan on the sample site: 300 m due east, known to be plannable by the built-in proposer.
planner::Plan samplePlan(twin::Pose start = {2400, 1093900, 90}, terrain::MapPoint goal = {2700, 1093900}) {
    static const planner::PlanSite site =
        planner::hashSite(test::sampleDir() / "sample_dtm.tif", test::sampleDir() / "sample_ortho.tif");
    planner::Plan plan;
    plan.name = "panels test";
    plan.site = site;
    plan.route.start = start;
    plan.goal = goal;
    return plan;
}

// Settings that reach the model server, with a key file that does not exist (nothing of the
// user's own settings is read).
StudioSettings serverSettings(const testing::ModelServer& server, const fs::path& keyFile) {
    StudioSettings s;
    s.openaiEndpoint = s.anthropicEndpoint = QString::fromStdString(server.baseUrl());
    s.openaiModel = s.anthropicModel = QStringLiteral("test-model");
    s.keyFile = QString::fromStdString(keyFile.string());
    return s;
}

bool onlyOwnerMayRead(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && (st.st_mode & 0777) == 0600;
}

}  // namespace

class PanelsTest : public QObject {
    Q_OBJECT

    test::TempDir tmp_;
    std::optional<planner::Plan> proposed_;  // the built-in proposer's plan, reused by validation
    std::optional<planner::Plan> validated_;  // with a passing validation record, reused by export

private slots:
    void initTestCase() {
        qRegisterMetaType<traverse::planner::Route>();
        qRegisterMetaType<traverse::planner::Decision>();
        qRegisterMetaType<traverse::terrain::MapPoint>();
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                           QString::fromStdString((tmp_ / "qsettings").string()));
        ::unsetenv("ANTHROPIC_API_KEY");
        ::unsetenv("OPENAI_API_KEY");
        ::unsetenv("OPENAI_BASE_URL");
    }

    void builtinProposerPlansFromThePanel() {
        ProposePanel panel;
        panel.resize(520, 700);
        panel.setPlanSource([] { return samplePlan(); });
        panel.setProposer(ProposerSpec::Kind::Builtin);
        QSignalSpy grew(&panel, &ProposePanel::routeGrew);
        QSignalSpy proposed(&panel, &ProposePanel::routeProposed);
        QSignalSpy failed(&panel, &ProposePanel::proposalFailed);
        double lastProgress = -1.0;
        connect(panel.runner(), &ProposalRunner::progress, this, [&](double f, const QString&) { lastProgress = f; });
        panel.show();
        panel.propose();
        QVERIFY(panel.running());
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 180000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QCOMPARE(proposed.count(), 1);
        QVERIFY(grew.count() > 0);
        QCOMPARE(lastProgress, 1.0);
        QCOMPARE(panel.progressBar()->value(), panel.progressBar()->maximum());
        const auto route = proposed.first().at(0).value<planner::Route>();
        const auto decisions = proposed.first().at(1).value<std::vector<planner::Decision>>();
        QVERIFY(route.segments.size() >= 30);  // 300 m in segments of at most 10 m
        QVERIFY(std::hypot(route.end().e - 2700, route.end().n - 1093900) <= 1.0 + 1e-9);
        QCOMPARE(int(decisions.size()), panel.decisionList()->count());
        QCOMPARE(std::size_t(grew.count()), decisions.size());
        // The live route grew one accepted segment at a time.
        const auto lastLive = grew.last().at(0).value<planner::Route>();
        QCOMPARE(lastLive.segments.size(), route.segments.size());
        for (const auto& s : route.segments) QCOMPARE(QString::fromStdString(s.provenance.source), QStringLiteral("builtin"));

        // A decision without a transcript says so.
        panel.decisionList()->setCurrentRow(0);
        QVERIFY(panel.transcriptPanel()->headerText().contains(QStringLiteral("No transcript")));
        QVERIFY(panel.grab().save(artefact(QStringLiteral("panels-propose-builtin.png"))));

        planner::Plan plan = samplePlan();
        plan.route = route;
        plan.decisions = decisions;
        proposed_ = plan;
    }

    void aSlowModelRunIsCancelledPromptly() {
        testing::ModelServerOptions so;
        so.apiKey = kServerKey;
        so.latencyS = 0.4;
        testing::ModelServer server(so);
        ::setenv("OPENAI_API_KEY", kServerKey, 1);
        ProposePanel panel;
        panel.setSettings(serverSettings(server, tmp_ / "no-settings.json"));
        panel.setProposer(ProposerSpec::Kind::OpenAI);
        panel.setTranscriptsFolder({});
        panel.setPlanSource([] { return samplePlan(); });
        QSignalSpy grew(&panel, &ProposePanel::routeGrew);
        QSignalSpy failed(&panel, &ProposePanel::proposalFailed);
        QSignalSpy proposed(&panel, &ProposePanel::routeProposed);
        QSignalSpy runnerFailed(panel.runner(), &ProposalRunner::failed);
        panel.propose();
        // 300 m at 0.4 s a request takes well over 10 s: cancel once the first segments are in.
        QTRY_VERIFY_WITH_TIMEOUT(grew.count() >= 2, 60000);
        QVERIFY(panel.running());
        QElapsedTimer t;
        t.start();
        panel.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 10000);
        QVERIFY2(t.elapsed() < 3000, qPrintable(QStringLiteral("cancel took %1 ms").arg(t.elapsed())));
        QCOMPARE(runnerFailed.count(), 1);
        QCOMPARE(runnerFailed.first().at(1).toBool(), true);  // cancelled
        QCOMPARE(proposed.count(), 0);
        QCOMPARE(failed.count(), 1);
        QVERIFY(panel.statusText().contains(QStringLiteral("Cancelled")));
        ::unsetenv("OPENAI_API_KEY");
    }

    void theTranscriptPanelShowsWhatTheModelWasSentAndAnswered() {
        testing::ModelServerOptions so;
        so.apiKey = kServerKey;
        testing::ModelServer server(so);
        ::setenv("ANTHROPIC_API_KEY", kServerKey, 1);
        ProposePanel panel;
        panel.resize(640, 900);
        panel.setSettings(serverSettings(server, tmp_ / "no-settings.json"));
        panel.setProposer(ProposerSpec::Kind::Anthropic);
        const fs::path transcripts = tmp_ / "transcripts";
        panel.setTranscriptsFolder(QString::fromStdString(transcripts.string()));
        // 60 m due east on benign ground (as the CLI's model tests).
        panel.setPlanSource([] { return samplePlan({2420, 1093720, 90}, {2480, 1093720}); });
        QSignalSpy proposed(&panel, &ProposePanel::routeProposed);
        QSignalSpy failed(&panel, &ProposePanel::proposalFailed);
        panel.show();
        panel.propose();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 120000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QCOMPARE(proposed.count(), 1);
        QVERIFY(panel.lastTranscriptDir().startsWith(QString::fromStdString(transcripts.string())));
        QVERIFY(QFile::exists(panel.lastTranscriptDir() + QStringLiteral("/index.json")));

        int row = -1;
        for (std::size_t i = 0; i < panel.decisions().size(); ++i)
            if (!panel.decisions()[i].transcript.empty()) {
                row = int(i);
                break;
            }
        QVERIFY(row >= 0);
        panel.decisionList()->setCurrentRow(row);
        TranscriptPanel& tp = *panel.transcriptPanel();
        QCOMPARE(tp.imageCount(), 2);
        QVERIFY(tp.imageName(0).startsWith(QStringLiteral("terrain")));
        QVERIFY(tp.imageName(1).startsWith(QStringLiteral("hazard")));
        QVERIFY(tp.promptText().contains(QStringLiteral("Mode: coordinates")));
        QVERIFY(tp.answerText().contains(QStringLiteral("waypoints")));
        QVERIFY(tp.parsedText().contains(QStringLiteral("Waypoint 1:")));
        QVERIFY(tp.headerText().contains(QStringLiteral("test-model")));
        QVERIFY(!tp.answerText().contains(QString::fromLatin1(kServerKey)));
        QVERIFY(panel.grab().save(artefact(QStringLiteral("panels-propose-transcript.png"))));

        // A folder that is not an exchange: said so, nothing shown.
        QVERIFY(!tp.showExchange(tmp_ / "nowhere"));
        QCOMPARE(tp.imageCount(), 0);
        ::unsetenv("ANTHROPIC_API_KEY");

        // The recording, replayed from the panel with no network: the same route.
        const auto first = proposed.first().at(0).value<planner::Route>();
        const std::size_t asked = server.requestCount();
        panel.setProposer(ProposerSpec::Kind::Replay, panel.lastTranscriptDir());
        panel.propose();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QCOMPARE(proposed.count(), 2);
        QCOMPARE(server.requestCount(), asked);
        const auto replayed = proposed.last().at(0).value<planner::Route>();
        QCOMPARE(replayed.segments.size(), first.segments.size());
        for (std::size_t i = 0; i < first.segments.size(); ++i) {
            QCOMPARE(replayed.segments[i].to.e, first.segments[i].to.e);
            QCOMPARE(replayed.segments[i].to.n, first.segments[i].to.n);
        }
        // Its decisions point at the recorded exchanges: the transcript panel shows them too.
        panel.decisionList()->setCurrentRow(0);
        QCOMPARE(tp.imageCount(), 2);
    }

    void candidatesModeAsksForNumberedMarkers() {
        testing::ModelServerOptions so;
        so.apiKey = kServerKey;
        testing::ModelServer server(so);
        ::setenv("OPENAI_API_KEY", kServerKey, 1);
        ProposePanel panel;
        panel.setSettings(serverSettings(server, tmp_ / "no-settings.json"));
        panel.setProposer(ProposerSpec::Kind::OpenAI);
        panel.setAskMode(vlm::AskMode::Candidates);
        panel.setTranscriptsFolder(QString::fromStdString((tmp_ / "candidates").string()));
        panel.setPlanSource([] {
            planner::Plan plan = samplePlan({2420, 1093720, 90}, {2450, 1093720});
            plan.goalToleranceM = 5.0;  // markers sit 9.5 m apart on a ring: arrive within a marker's reach
            return plan;
        });
        QSignalSpy proposed(&panel, &ProposePanel::routeProposed);
        QSignalSpy failed(&panel, &ProposePanel::proposalFailed);
        panel.propose();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 120000);
        ::unsetenv("OPENAI_API_KEY");
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QCOMPARE(proposed.count(), 1);
        QVERIFY(panel.statusText().startsWith(QStringLiteral("goal reached")));
        panel.decisionList()->setCurrentRow(0);
        QVERIFY(panel.transcriptPanel()->promptText().contains(QStringLiteral("Mode: candidates")));
        QVERIFY(panel.transcriptPanel()->parsedText().contains(QStringLiteral("Candidate chosen")));
        QVERIFY(server.requests().front().path.find("/chat/completions") != std::string::npos);

        // With a 1 m tolerance the markers never settle on the goal: the run stops after a segment
        // budget in proportion to the 30 m drive, not after 1000 segments.
        panel.setPlanSource([] { return samplePlan({2420, 1093720, 90}, {2450, 1093720}); });
        ::setenv("OPENAI_API_KEY", kServerKey, 1);
        panel.propose();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 120000);
        ::unsetenv("OPENAI_API_KEY");
        QCOMPARE(proposed.count(), 2);
        const auto wandering = proposed.last().at(0).value<planner::Route>();
        QVERIFY(wandering.segments.size() <= 32);
        QVERIFY(panel.statusText().contains(QStringLiteral("budget")));
    }

    void validationShowsSegmentStatusesAndPlots() {
        QVERIFY(proposed_);
        ValidationPanel panel;
        panel.resize(640, 900);
        panel.setPlanSource([this] { return proposed_; });
        QSignalSpy validated(&panel, &ValidationPanel::validated);
        QSignalSpy statuses(&panel, &ValidationPanel::segmentStatusesChanged);
        QSignalSpy jump(&panel, &ValidationPanel::jumpTo);
        QSignalSpy cursor(&panel, &ValidationPanel::cursorAt);
        panel.show();
        panel.validate();
        QVERIFY(panel.running());
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 180000);
        QCOMPARE(validated.count(), 1);
        QCOMPARE(statuses.count(), 1);
        const auto& outcome = *panel.outcome();
        QVERIFY2(outcome.pass, outcome.summary.c_str());
        QCOMPARE(panel.segmentStatuses().size(), proposed_->route.segments.size());
        for (const auto& s : panel.segmentStatuses()) QVERIFY(s.status != planner::CheckStatus::Fail);
        QVERIFY(panel.summaryText().contains(QStringLiteral("PASS")));
        // One row per segment and one for the twin.
        QVERIFY(panel.findings()->topLevelItemCount() >= int(proposed_->route.segments.size()) + 1);

        // The plots have the twin's telemetry.
        QCOMPARE(int(panel.plots().size()), 4);
        for (PlotWidget* p : panel.plots()) QVERIFY(p->pointCount() > 10);
        QCOMPARE(panel.plots()[0]->seriesCount(), std::size_t(2));  // pitch and roll

        // Selecting a segment jumps the map to it.
        panel.findings()->setCurrentItem(panel.findings()->topLevelItem(3));
        QCOMPARE(jump.count(), 1);
        const auto at = jump.first().first().value<terrain::MapPoint>();
        const auto& s3 = panel.segmentStatuses()[3];
        QVERIFY(std::abs(at.e - (s3.from.e + s3.to.e) / 2) < 1e-6);

        // Hovering a plot reports the distance and where the rover was; the map can move the cursor.
        PlotWidget* plot = panel.plots()[1];
        const QRectF area = plot->plotArea();
        const QPointF mid(area.left() + area.width() / 2, area.center().y());
        QMouseEvent move(QEvent::MouseMove, mid, plot->mapToGlobal(mid), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(plot, &move);
        QCOMPARE(cursor.count(), 1);
        const double d = cursor.first().at(0).toDouble();
        const auto where = cursor.first().at(1).value<terrain::MapPoint>();
        QVERIFY(d > 100 && d < 200);  // the middle of a ~300 m drive
        QVERIFY(where.e > 2450 && where.e < 2650);
        for (PlotWidget* p : panel.plots()) QVERIFY(p->cursorX() && std::abs(*p->cursorX() - d) < 1e-9);
        panel.setCursorDistance(42.0);
        for (PlotWidget* p : panel.plots()) QCOMPARE(*p->cursorX(), 42.0);
        QVERIFY(panel.grab().save(artefact(QStringLiteral("panels-validation.png"))));

        planner::Plan plan = *proposed_;
        plan.validation = outcome.record;
        validated_ = plan;

        // Stale once the plan changes.
        panel.markStale();
        QVERIFY(panel.summaryText().contains(QStringLiteral("STALE")));
    }

    void aRouteIntoACraterFailsWithReasonsAndCannotBeExported() {
        // Drawn by hand, straight west from benign ground into the crater beside it.
        planner::Plan plan = samplePlan({2420, 1093720, 270}, {2360, 1093720});
        for (int i = 1; i <= 6; ++i) {
            planner::Segment s;
            s.to = {2420.0 - 10.0 * i, 1093720};
            s.provenance.source = "planner";
            plan.route.segments.push_back(s);
        }
        ValidationPanel panel;
        panel.resize(640, 900);
        QSignalSpy validated(&panel, &ValidationPanel::validated);
        QSignalSpy jump(&panel, &ValidationPanel::jumpTo);
        panel.show();
        panel.validatePlan(plan);
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 180000);
        QCOMPARE(validated.count(), 1);
        const auto& outcome = *panel.outcome();
        QVERIFY(!outcome.pass);
        QVERIFY(panel.summaryText().contains(QStringLiteral("FAIL")));
        int failing = -1;
        for (std::size_t i = 0; i < panel.segmentStatuses().size(); ++i)
            if (panel.segmentStatuses()[i].status == planner::CheckStatus::Fail) {
                failing = int(i);
                QVERIFY(!panel.segmentStatuses()[i].reasons.isEmpty());
                break;
            }
        QVERIFY(failing >= 0);
        // A finding: its row jumps to where it applies.
        QTreeWidgetItem* seg = panel.findings()->topLevelItem(failing);
        QVERIFY(seg->isExpanded() && seg->childCount() > 0);
        panel.findings()->setCurrentItem(seg->child(0));
        QVERIFY(jump.count() >= 1);
        const auto at = jump.last().first().value<terrain::MapPoint>();
        QVERIFY(at.e <= 2420.5 && at.e >= 2359.5 && std::abs(at.n - 1093720) < 3.0);
        QVERIFY(panel.grab().save(artefact(QStringLiteral("panels-validation-fail.png"))));

        plan.validation = outcome.record;
        ExportDialog dialog(plan, QString::fromStdString((tmp_ / "failed").string()));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), 60000);
        QVERIFY(!dialog.refusal().isEmpty());
        dialog.startExport();
        QVERIFY(!fs::exists(tmp_ / "failed"));
    }

    void theRunnerReportsASiteItCannotOpenAndRunsOneJobAtATime() {
        ProposalRunner runner;
        QSignalSpy failed(&runner, &ProposalRunner::failed);
        planner::Plan plan = samplePlan();
        SitePaths missing{tmp_ / "no-such-dtm.tif", std::nullopt};
        QVERIFY(runner.start(plan, missing, {}));
        QVERIFY(!runner.start(plan, missing, {}));  // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(!runner.running(), 30000);
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.first().at(0).toString().contains(QStringLiteral("no-such-dtm.tif")));
        QCOMPARE(failed.first().at(1).toBool(), false);
        // A goal off the DTM is named.
        plan.goal = {-1e6, 0};
        QVERIFY(runner.start(plan, SitePaths::of(plan), {}));
        QTRY_VERIFY_WITH_TIMEOUT(!runner.running(), 30000);
        QCOMPARE(failed.count(), 2);
        QVERIFY(failed.last().at(0).toString().contains(QStringLiteral("outside the DTM")));
    }

    void validationPlotsFollowTheUnits() {
        QVERIFY(validated_);
        ValidationPanel panel;
        panel.resize(640, 900);
        panel.show();
        panel.validatePlan(*validated_);
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 180000);
        QVERIFY(panel.outcome());
        const double metres = panel.outcome()->simulation.telemetry.column(twin::kDistanceM).back();
        panel.setUnits(DistanceUnits::Feet);
        PlotWidget* p = panel.plots()[0];
        QSignalSpy cursor(&panel, &ValidationPanel::cursorAt);
        const QRectF area = p->plotArea();
        const QPointF end(area.right() - 0.5, area.center().y());
        QMouseEvent move(QEvent::MouseMove, end, p->mapToGlobal(end), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(p, &move);
        QCOMPARE(cursor.count(), 1);
        // The plot is in feet; what it reports is in metres.
        QVERIFY2(std::abs(cursor.first().at(0).toDouble() - metres) < 0.02 * metres, qPrintable(QStringLiteral("%1 vs %2, plot %3").arg(cursor.first().at(0).toDouble()).arg(metres).arg(*p->cursorX())));
        QVERIFY(*p->cursorX() > 3.0 * metres);
    }

    void aValidationInProgressCanBeCancelled() {
        QVERIFY(proposed_);
        ValidationPanel panel;
        panel.setPlanSource([this] { return proposed_; });
        panel.setMonteCarloRuns(panel.findChild<QSpinBox*>()->maximum());  // long enough to cancel
        QSignalSpy validated(&panel, &ValidationPanel::validated);
        QSignalSpy failed(&panel, &ValidationPanel::failed);
        auto* button = panel.findChild<QPushButton*>();
        QVERIFY(button);
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(panel.running());
        QCOMPARE(button->text(), QStringLiteral("Cancel"));
        QTest::qWait(200);
        QTest::mouseClick(button, Qt::LeftButton);  // Cancel
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 20000);
        QCOMPARE(validated.count(), 0);
        QCOMPARE(failed.count(), 1);
        QVERIFY2(panel.summaryText().contains(QStringLiteral("cancelled")), qPrintable(panel.summaryText()));
        QCOMPARE(button->text(), QStringLiteral("Validate"));
        QVERIFY(button->isEnabled());
    }

    void validationWithoutARouteSaysSo() {
        ValidationPanel panel;
        QSignalSpy failed(&panel, &ValidationPanel::failed);
        panel.validatePlan(samplePlan());
        QCOMPARE(failed.count(), 1);
        QVERIFY(!panel.running());
    }

    void exportWritesAValidatedPlanAndRefusesAnUnvalidatedOne() {
        QVERIFY(proposed_ && validated_);
        // Unvalidated: refused with the reason, nothing written.
        {
            const fs::path out = tmp_ / "refused";
            ExportDialog dialog(*proposed_, QString::fromStdString(out.string()));
            QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), 60000);
            QVERIFY(dialog.refusal().contains(QStringLiteral("no validation report")));
            QVERIFY(dialog.message().contains(QStringLiteral("Export refused")));
            QSignalSpy failed(&dialog, &ExportDialog::exportFailed);
            dialog.startExport();
            QCOMPARE(failed.count(), 1);
            QVERIFY(!dialog.running());
            QVERIFY(!fs::exists(out));
            dialog.show();
            QVERIFY(dialog.grab().save(artefact(QStringLiteral("panels-export-refused.png"))));
        }
        // Validated, then edited (stale): refused too.
        {
            planner::Plan stale = *validated_;
            stale.goal.e += 0.5;
            ExportDialog dialog(stale, QString::fromStdString((tmp_ / "stale").string()));
            QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), 60000);
            QVERIFY(!dialog.refusal().isEmpty());
        }
        // Validated: the files are written.
        const fs::path out = tmp_ / "export";
        ExportDialog dialog(*validated_, QString::fromStdString(out.string()));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.checking(), 60000);
        QVERIFY2(dialog.refusal().isEmpty(), qPrintable(dialog.refusal()));
        dialog.setName(QStringLiteral("drive_1"));
        QSignalSpy exported(&dialog, &ExportDialog::exported);
        QSignalSpy failed(&dialog, &ExportDialog::exportFailed);
        dialog.show();
        dialog.startExport();
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.running(), 180000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QCOMPARE(exported.count(), 1);
        for (const char* f : {"drive_1.seq.json", "drive_1.txt", "drive_1.geojson", "drive_1.kml", "checksums.sha256"})
            QVERIFY2(fs::exists(out / f), f);
        QVERIFY(dialog.message().contains(QStringLiteral("Exported")));
        QVERIFY(dialog.grab().save(artefact(QStringLiteral("panels-export-done.png"))));
    }

    void settingsMaskTheKeyAndPreferTheEnvironment() {
        const fs::path keyFile = tmp_ / "config" / "traverse" / "settings.json";
        StudioSettings s;
        s.keyFile = QString::fromStdString(keyFile.string());
        ::unsetenv("ANTHROPIC_API_KEY");
        {
            SettingsDialog dialog(s);
            QLineEdit* key = dialog.keyField(vlm::ProviderKind::Anthropic);
            QCOMPARE(key->echoMode(), QLineEdit::Password);
            QVERIFY(!key->isReadOnly());
            QVERIFY(key->text().isEmpty());
            QTest::keyClicks(key, QStringLiteral("sk-ant-typed-key-123"));
            dialog.accept();
            QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
            QCOMPARE(dialog.result(), int(QDialog::Accepted));
            QVERIFY(key->text().isEmpty());  // gone from the widget once stored
        }
        // Stored where vlm::loadProviderConfig reads it, readable by the owner only; not in QSettings.
        QVERIFY(onlyOwnerMayRead(keyFile));
        QCOMPARE(vlm::loadProviderConfig(vlm::ProviderKind::Anthropic, keyFile).apiKey, std::string("sk-ant-typed-key-123"));
        QCOMPARE(s.providerConfig(vlm::ProviderKind::Anthropic).apiKey, std::string("sk-ant-typed-key-123"));
        {
            QSettings qs(QStringLiteral("Traverse"), QStringLiteral("traverse-studio"));
            QFile ini(qs.fileName());
            QVERIFY(ini.open(QIODevice::ReadOnly));
            QVERIFY(!ini.readAll().contains("sk-ant-typed-key-123"));
            QCOMPARE(StudioSettings::load().keyFile, s.keyFile);
        }
        {
            SettingsDialog dialog(s);
            QLineEdit* key = dialog.keyField(vlm::ProviderKind::Anthropic);
            QVERIFY(key->text().isEmpty());  // never loaded into the widget
            QVERIFY(key->placeholderText().contains(QStringLiteral("settings file")));
            dialog.show();
            QVERIFY(dialog.grab().save(artefact(QStringLiteral("panels-settings.png"))));
        }
        // The environment wins, and its key is neither shown nor editable.
        ::setenv("ANTHROPIC_API_KEY", "sk-ant-from-env-456", 1);
        {
            SettingsDialog dialog(s);
            QLineEdit* key = dialog.keyField(vlm::ProviderKind::Anthropic);
            QCOMPARE(key->echoMode(), QLineEdit::Password);
            QVERIFY(key->isReadOnly());
            QVERIFY(!key->isEnabled());
            QVERIFY(key->text().isEmpty());
            QCOMPARE(key->placeholderText(), QStringLiteral("from ANTHROPIC_API_KEY"));
            QCOMPARE(apiKeySource(vlm::ProviderKind::Anthropic, keyFile).kind, KeySource::Kind::Environment);
            QCOMPARE(s.providerConfig(vlm::ProviderKind::Anthropic).apiKey, std::string("sk-ant-from-env-456"));
            // The OpenAI field is independent of it.
            QVERIFY(!dialog.keyField(vlm::ProviderKind::OpenAI)->isReadOnly());
            dialog.show();
            QVERIFY(dialog.grab().save(artefact(QStringLiteral("panels-settings-env.png"))));
        }
        ::unsetenv("ANTHROPIC_API_KEY");

        // Settings round-trip through QSettings.
        StudioSettings t;
        t.units = DistanceUnits::Feet;
        t.proposer = QStringLiteral("openai");
        t.openaiEndpoint = QStringLiteral("http://localhost:11434/v1");
        t.save();
        const StudioSettings back = StudioSettings::load();
        QCOMPARE(back.units, DistanceUnits::Feet);
        QCOMPARE(back.proposer, QStringLiteral("openai"));
        QCOMPARE(back.openaiEndpoint, QStringLiteral("http://localhost:11434/v1"));
        QCOMPARE(formatDistance(3.048, DistanceUnits::Feet), QStringLiteral("10.0 ft"));
    }

    void plotTicksAreRound() {
        const auto t = niceTicks(0.0, 287.0, 5);
        QVERIFY(t.size() >= 4 && t.size() <= 8);
        QCOMPARE(t.front(), 0.0);
        QCOMPARE(t[1] - t[0], 50.0);
    }
};

QTEST_MAIN(PanelsTest)
#include "test_panels.moc"
