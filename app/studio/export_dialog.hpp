#pragma once
// Export ▸ the validated route's sequence files (planner::exportPlan: SeqJSON, listing, GeoJSON,
// KML, checksums) into a folder. The dialog says up front why an export would be refused
// (planner::exportRefusal: no report, a failed one, or one that no longer matches the terrain, the
// plan or the rover) and then writes nothing. Exporting recomputes the validation off the UI thread
// and refuses again if it does not pass.
#include "planner/export.hpp"
#include "planner/plan.hpp"

#include <QDialog>

#include <optional>
#include <thread>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace traverse::studio {

class ExportDialog : public QDialog {
    Q_OBJECT

public:
    // `plan` is a snapshot of the plan document (with its stored validation report). `folder`: the
    // output folder offered first.
    explicit ExportDialog(planner::Plan plan, const QString& folder = {}, QWidget* parent = nullptr);
    ~ExportDialog() override;  // waits for an export in progress

    // True while the dialog checks, off the UI thread, whether the export would be refused (it
    // reads and hashes the site files, which takes a while for a large orthoimage).
    bool checking() const { return checking_; }
    // Why the export is refused (shown in the dialog), or empty when it may go ahead (valid once
    // checking() is false).
    QString refusal() const { return refusal_; }
    QString folder() const;
    QString name() const;
    void setFolder(const QString& folder);
    void setName(const QString& name);
    bool running() const { return running_; }
    // The files written by the last successful export.
    const std::optional<planner::ExportResult>& result() const { return result_; }
    // What the dialog says (the refusal, the error or the files written).
    QString message() const;

public slots:
    // Starts the export (off the UI thread); refused, with the reason shown, when exportRefusal says no.
    void startExport();

signals:
    // The check of the constructor is done: `refusal` is empty when the export may go ahead.
    void checked(const QString& refusal);
    void exported(const traverse::planner::ExportResult& result);
    void exportFailed(const QString& reason);

private:
    void showMessage(const QString& html, bool error);

    planner::Plan plan_;
    QString refusal_;
    QLineEdit* folder_;
    QLineEdit* name_;
    QLabel* message_;
    QProgressBar* busy_;
    QPushButton* export_;
    QDialogButtonBox* buttons_;
    std::optional<planner::ExportResult> result_;
    std::jthread worker_;
    bool running_ = false;
    bool checking_ = true;
};

}  // namespace traverse::studio
