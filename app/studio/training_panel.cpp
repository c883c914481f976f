#include "studio/training_panel.hpp"

#include "terrain/error.hpp"

#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace traverse::studio {

TrainingPanel::TrainingPanel(QWidget* parent)
    : QWidget(parent), title_(new QLabel(tr("No scenario: Training \u25B8 Open scenario\u2026"), this)),
      scoreButton_(new QPushButton(tr("Score my plan"), this)), text_(new QPlainTextEdit(this)) {
    auto* layout = new QVBoxLayout(this);
    auto* open = new QPushButton(tr("Open scenario\u2026"), this);
    title_->setWordWrap(true);
    text_->setReadOnly(true);
    text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    text_->setLineWrapMode(QPlainTextEdit::NoWrap);
    scoreButton_->setEnabled(false);
    layout->addWidget(title_);
    layout->addWidget(open);
    layout->addWidget(scoreButton_);
    layout->addWidget(text_, 1);
    connect(open, &QPushButton::clicked, this, &TrainingPanel::openRequested);
    connect(scoreButton_, &QPushButton::clicked, this, &TrainingPanel::scoreRequested);
}

TrainingPanel::~TrainingPanel() = default;

void TrainingPanel::setScenario(planner::Scenario scenario) {
    title_->setText(tr("<b>%1</b> (%2)<br>%3")
                        .arg(QString::fromStdString(scenario.name),
                             QString::fromStdString(std::string(planner::difficultyName(scenario.difficulty))),
                             QString::fromStdString(scenario.notes).toHtmlEscaped()));
    scenario_ = std::move(scenario);
    card_.reset();
    text_->setPlainText(tr("Plan the drive from the start to the goal, then Score my plan: it is compared with "
                           "the actual traverse and the built-in proposer's route."));
    scoreButton_->setEnabled(true);
}

void TrainingPanel::score(const planner::Plan& plan) {
    if (!scenario_ || running_) return;
    running_ = true;
    scoreButton_->setEnabled(false);
    text_->setPlainText(tr("Scoring: driving the three routes in the twin\u2026"));
    worker_ = std::jthread([this, scenario = *scenario_, plan](std::stop_token stop) {
        std::optional<planner::ScoreCard> card;
        QString error;
        try {
            planner::ScoringOptions o;
            o.stop = stop;
            card = planner::scoreScenario(scenario, plan, plan.name.empty() ? "the studio's plan" : plan.name, o);
        } catch (const Error& e) {
            error = QString::fromStdString(e.what());
        }
        if (stop.stop_requested()) return;
        QMetaObject::invokeMethod(this, [this, card, error] { finish(card, error); }, Qt::QueuedConnection);
    });
}

void TrainingPanel::finish(std::optional<planner::ScoreCard> card, QString error) {
    if (worker_.joinable()) worker_.join();
    running_ = false;
    scoreButton_->setEnabled(scenario_.has_value());
    card_ = std::move(card);
    if (card_) {
        text_->setPlainText(cardText());
        emit scored(*card_);
    } else {
        text_->setPlainText(tr("Not scored: %1").arg(error));
        emit failed(error);
    }
}

QString TrainingPanel::cardText() const {
    return card_ ? QString::fromStdString(planner::scoreCardTable(*card_)) : QString();
}

}  // namespace traverse::studio
