#include "studio/propose_panel.hpp"

#include "studio/transcript_panel.hpp"
#include "terrain/error.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace traverse::studio {

namespace {

QWidget* folderRow(QLineEdit* edit, const QString& title, QWidget* parent) {
    auto* row = new QWidget(parent);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(edit, 1);
    auto* browse = new QPushButton(QObject::tr("Browse\u2026"), row);
    h->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, row, [edit, title, row] {
        const QString d = QFileDialog::getExistingDirectory(row, title, edit->text());
        if (!d.isEmpty()) edit->setText(d);
    });
    return row;
}

}  // namespace

ProposePanel::ProposePanel(QWidget* parent)
    : QWidget(parent), runner_(new ProposalRunner(this)), proposer_(new QComboBox(this)), replayDir_(new QLineEdit(this)),
      mode_(new QComboBox(this)), waypoints_(new QSpinBox(this)), transcripts_(new QLineEdit(this)),
      repair_(new QCheckBox(tr("Repair refused stretches with the built-in planner"), this)),
      propose_(new QPushButton(tr("Propose"), this)), cancel_(new QPushButton(tr("Cancel"), this)),
      progress_(new QProgressBar(this)), status_(new QLabel(this)), list_(new QListWidget(this)),
      transcript_(new TranscriptPanel(this)) {
    proposer_->addItem(tr("Built-in planner (offline)"), int(ProposerSpec::Kind::Builtin));
    proposer_->addItem(tr("Anthropic"), int(ProposerSpec::Kind::Anthropic));
    proposer_->addItem(tr("OpenAI-compatible"), int(ProposerSpec::Kind::OpenAI));
    proposer_->addItem(tr("Replay a recorded transcript"), int(ProposerSpec::Kind::Replay));
    mode_->addItem(tr("Coordinates (waypoints in metres)"), int(vlm::AskMode::Coordinates));
    mode_->addItem(tr("Candidates (numbered markers)"), int(vlm::AskMode::Candidates));
    waypoints_->setRange(1, 20);
    waypoints_->setValue(vlm::VlmOptions{}.waypointsPerRequest);
    replayDir_->setPlaceholderText(tr("a transcript folder (holds index.json)"));
    transcripts_->setPlaceholderText(tr("not recorded"));
    const QString data = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    if (!data.isEmpty()) transcripts_->setText(QDir(data).filePath(QStringLiteral("transcripts")));
    transcripts_->setToolTip(tr("Every model run records its exchanges (images, prompt, answers) in a new subfolder here"));
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    cancel_->setEnabled(false);

    auto* form = new QFormLayout;
    form->addRow(tr("Proposer:"), proposer_);
    replayRow_ = folderRow(replayDir_, tr("Recorded transcript"), this);
    form->addRow(tr("Replay folder:"), replayRow_);
    modelBox_ = new QWidget(this);
    auto* modelForm = new QFormLayout(modelBox_);
    modelForm->setContentsMargins(0, 0, 0, 0);
    modelForm->addRow(tr("Ask for:"), mode_);
    modelForm->addRow(tr("Waypoints per request:"), waypoints_);
    modelForm->addRow(tr("Record transcripts in:"), folderRow(transcripts_, tr("Transcripts folder"), modelBox_));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(propose_);
    buttons->addWidget(cancel_);
    buttons->addWidget(progress_, 1);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(list_);
    split->addWidget(transcript_);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(modelBox_);
    layout->addWidget(repair_);
    layout->addLayout(buttons);
    layout->addWidget(status_);
    layout->addWidget(split, 1);

    connect(proposer_, &QComboBox::currentIndexChanged, this, [this] { updateControls(); });
    connect(propose_, &QPushButton::clicked, this, &ProposePanel::propose);
    connect(cancel_, &QPushButton::clicked, this, &ProposePanel::cancel);
    connect(list_, &QListWidget::currentRowChanged, this, &ProposePanel::showDecision);
    connect(runner_, &ProposalRunner::progress, this, [this](double f, const QString& text) {
        progress_->setValue(int(std::lround(1000.0 * std::clamp(f, 0.0, 1.0))));
        status_->setText(text);
    });
    connect(runner_, &ProposalRunner::routeGrew, this, [this](const planner::Route& r, const planner::Decision& d) {
        addDecision(d);
        emit routeGrew(r, d);
    });
    connect(runner_, &ProposalRunner::finished, this, [this](const planner::BuildResult& r) {
        updateControls();
        QString text = tr("%1: %2 segments, %3 m, %4 decisions, %5 requests")
                           .arg(QString::fromStdString(r.outcome))
                           .arg(r.route.segments.size())
                           .arg(r.route.lengthM(), 0, 'f', 1)
                           .arg(r.decisions.size())
                           .arg(r.requests);
        if (!r.proposerError.empty()) text += QStringLiteral("\n") + QString::fromStdString(r.proposerError);
        status_->setText(text);
        if (r.reachedGoal) progress_->setValue(progress_->maximum());
        decisions_ = r.decisions;  // the loop's own record (the same decisions, complete)
        if (r.route.segments.empty()) {
            emit proposalFailed(text);
            return;
        }
        emit routeProposed(r.route, r.decisions);
    });
    connect(runner_, &ProposalRunner::failed, this, [this](const QString& message, bool) {
        updateControls();
        status_->setText(message);
        emit proposalFailed(message);
    });
    updateControls();
}

void ProposePanel::setPlanSource(PlanSource source) { source_ = std::move(source); }
void ProposePanel::setSitePaths(std::optional<SitePaths> site) { site_ = std::move(site); }

void ProposePanel::setSettings(const StudioSettings& settings) {
    settings_ = settings;
    if (settings.proposer == QStringLiteral("anthropic")) setProposer(ProposerSpec::Kind::Anthropic);
    else if (settings.proposer == QStringLiteral("openai")) setProposer(ProposerSpec::Kind::OpenAI);
    else setProposer(ProposerSpec::Kind::Builtin);
}

void ProposePanel::setProposer(ProposerSpec::Kind kind, const QString& replayDir) {
    proposer_->setCurrentIndex(proposer_->findData(int(kind)));
    if (!replayDir.isEmpty()) replayDir_->setText(replayDir);
    updateControls();
}

ProposerSpec::Kind ProposePanel::proposer() const { return ProposerSpec::Kind(proposer_->currentData().toInt()); }
void ProposePanel::setAskMode(vlm::AskMode mode) { mode_->setCurrentIndex(mode_->findData(int(mode))); }
void ProposePanel::setWaypointsPerRequest(int n) { waypoints_->setValue(n); }
void ProposePanel::setTranscriptsFolder(const QString& folder) { transcripts_->setText(folder); }
QString ProposePanel::statusText() const { return status_->text(); }

void ProposePanel::updateControls() {
    const auto kind = proposer();
    const bool model = kind == ProposerSpec::Kind::Anthropic || kind == ProposerSpec::Kind::OpenAI;
    replayRow_->setEnabled(kind == ProposerSpec::Kind::Replay);
    modelBox_->setEnabled(model);
    const bool busy = runner_->running();
    propose_->setEnabled(!busy);
    cancel_->setEnabled(busy);
    proposer_->setEnabled(!busy);
}

std::optional<ProposerSpec> ProposePanel::spec(QString* problem) {
    ProposerSpec s;
    s.kind = proposer();
    s.repair = repair_->isChecked();
    if (s.kind == ProposerSpec::Kind::Replay) {
        if (replayDir_->text().trimmed().isEmpty()) {
            *problem = tr("Choose the transcript folder to replay.");
            return std::nullopt;
        }
        s.replayDir = replayDir_->text().trimmed().toStdString();
    }
    if (s.kind == ProposerSpec::Kind::Anthropic || s.kind == ProposerSpec::Kind::OpenAI) {
        const auto kind = s.kind == ProposerSpec::Kind::Anthropic ? vlm::ProviderKind::Anthropic : vlm::ProviderKind::OpenAI;
        try {
            s.provider = settings_.providerConfig(kind);
        } catch (const Error& e) {
            *problem = QString::fromStdString(e.what());
            return std::nullopt;
        }
        s.vlm.mode = vlm::AskMode(mode_->currentData().toInt());
        s.vlm.waypointsPerRequest = waypoints_->value();
        lastTranscriptDir_.clear();
        if (const QString folder = transcripts_->text().trimmed(); !folder.isEmpty()) {
            // A transcript folder holds one session: each run gets its own.
            QString run = QDir(folder).filePath(QStringLiteral("run-") +
                                                QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss")));
            for (int i = 2; QDir(run).exists(); ++i) run = run.section(QLatin1Char('~'), 0, 0) + QStringLiteral("~%1").arg(i);
            lastTranscriptDir_ = run;
            s.vlm.transcripts = run.toStdString();
        }
    }
    return s;
}

void ProposePanel::propose() {
    std::optional<planner::Plan> plan = source_ ? source_() : std::nullopt;
    if (!plan) {
        status_->setText(tr("No plan: open a site and set the start and the goal."));
        emit proposalFailed(status_->text());
        return;
    }
    proposeFor(*plan);
}

void ProposePanel::proposeFor(const planner::Plan& plan) {
    if (runner_->running()) return;
    QString problem;
    const auto s = spec(&problem);
    if (!s) {
        status_->setText(problem);
        emit proposalFailed(problem);
        return;
    }
    // A segment budget in proportion to the drive: a proposer that wanders (a model that cannot
    // settle within the goal tolerance) stops after a few times the straight-line number of
    // segments instead of the loop's 1000.
    ProposerSpec run = *s;
    double straight = 0.0;
    terrain::MapPoint from{plan.route.start.e, plan.route.start.n};
    std::vector<terrain::MapPoint> legs = plan.viaPoints;
    legs.push_back(plan.goal);
    for (const auto& p : legs) {
        straight += std::hypot(p.e - from.e, p.n - from.n);
        from = p;
    }
    run.maxSegments = int(std::clamp(std::ceil(4.0 * straight / std::max(plan.maxSegmentM, 0.1)) + 20.0, 20.0, 1000.0));
    decisions_.clear();
    list_->clear();
    transcript_->clear();
    progress_->setValue(0);
    status_->setText(tr("Starting\u2026"));
    runner_->start(plan, site_ ? *site_ : SitePaths::of(plan), run);
    updateControls();
}

void ProposePanel::cancel() {
    runner_->cancel();
    status_->setText(tr("Cancelling\u2026"));
}

void ProposePanel::addDecision(const planner::Decision& d) {
    decisions_.push_back(d);
    const int n = int(d.points.size());
    QString text = QStringLiteral("%1  ").arg(d.accepted ? QStringLiteral("\u2714") : QStringLiteral("\u2718")) +
                   tr("step %1, try %2 \u00b7 %3 \u00b7 ").arg(d.step + 1).arg(d.attempt).arg(QString::fromStdString(d.source)) +
                   (d.accepted ? (n == 1 ? tr("1 waypoint accepted") : tr("%1 waypoints accepted").arg(n)) : tr("refused"));
    if (!d.reason.empty()) text += QStringLiteral(": ") + QString::fromStdString(d.reason);
    auto* item = new QListWidgetItem(text, list_);
    item->setForeground(d.accepted ? QColor(30, 130, 60) : QColor(190, 30, 30));
    item->setToolTip(QString::fromStdString(d.reason) +
                     (d.transcript.empty() ? QString() : QStringLiteral("\n") + QString::fromStdString(d.transcript)));
    list_->scrollToBottom();
}

void ProposePanel::showDecision(int row) {
    if (row < 0 || std::size_t(row) >= decisions_.size()) return;
    const planner::Decision& d = decisions_[std::size_t(row)];
    if (d.transcript.empty())
        transcript_->clear(tr("No transcript: %1 did not ask a model.").arg(QString::fromStdString(d.source)));
    else
        transcript_->showExchange(d.transcript);
    if (!d.points.empty()) emit jumpTo(d.points.front());
}

}  // namespace traverse::studio
