#pragma once
// Training: a scenario (a past sol's drive: site, start, goal, the actual traverse, notes) opened in
// the studio, the trainee's plan scored against the actual traverse and the built-in proposer's route
// — the same score card as `traverse score SCENARIO PLAN.json` prints.
#include "planner/plan.hpp"
#include "planner/scenario.hpp"
#include "planner/scoring.hpp"

#include <QWidget>

#include <optional>
#include <thread>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace traverse::studio {

class TrainingPanel : public QWidget {
    Q_OBJECT

public:
    explicit TrainingPanel(QWidget* parent = nullptr);
    ~TrainingPanel() override;

    void setScenario(planner::Scenario scenario);
    const std::optional<planner::Scenario>& scenario() const { return scenario_; }
    // Scores `plan` off the UI thread; scored() or failed() follows.
    void score(const planner::Plan& plan);
    bool running() const { return running_; }
    const std::optional<planner::ScoreCard>& card() const { return card_; }
    QString cardText() const;

signals:
    void scoreRequested();
    void openRequested();
    void scored(const traverse::planner::ScoreCard& card);
    void failed(const QString& message);

private:
    void finish(std::optional<planner::ScoreCard> card, QString error);

    std::optional<planner::Scenario> scenario_;
    std::optional<planner::ScoreCard> card_;
    QLabel* title_;
    QPushButton* scoreButton_;
    QPlainTextEdit* text_;
    bool running_ = false;
    std::jthread worker_;  // last: joined before the members above go
};

}  // namespace traverse::studio
