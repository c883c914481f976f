#include "studio/export_dialog.hpp"

#include "planner/validation.hpp"
#include "terrain/error.hpp"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMetaObject>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace traverse::studio {

ExportDialog::ExportDialog(planner::Plan plan, const QString& folder, QWidget* parent)
    : QDialog(parent), plan_(std::move(plan)), folder_(new QLineEdit(folder, this)), name_(new QLineEdit(this)),
      message_(new QLabel(this)), busy_(new QProgressBar(this)), export_(new QPushButton(tr("Export"), this)),
      buttons_(new QDialogButtonBox(QDialogButtonBox::Close, this)) {
    setWindowTitle(tr("Export the route"));
    name_->setText(QString::fromStdString(planner::exportName(plan_)));
    name_->setToolTip(tr("Base name of the files: letters, digits, '.', '-', '_'"));
    folder_->setPlaceholderText(tr("output folder (created when missing)"));
    auto* browse = new QPushButton(tr("Browse\u2026"), this);
    auto* folderRow = new QHBoxLayout;
    folderRow->addWidget(folder_, 1);
    folderRow->addWidget(browse);
    auto* form = new QFormLayout;
    form->addRow(tr("Folder:"), folderRow);
    form->addRow(tr("Name:"), name_);
    auto* what = new QLabel(tr("Writes NAME.seq.json (the command sequence, SeqJSON), NAME.txt (a listing), NAME.geojson, "
                               "NAME.kml and checksums.sha256. The validation is recomputed and must pass again."),
                            this);
    what->setWordWrap(true);
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message_->setMinimumHeight(3 * fontMetrics().height());
    busy_->setRange(0, 0);  // busy: the recomputed validation has no progress callback
    busy_->hide();
    export_->setDefault(true);
    buttons_->addButton(export_, QDialogButtonBox::ActionRole);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(what);
    layout->addWidget(message_);
    layout->addWidget(busy_);
    layout->addWidget(buttons_);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(export_, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Export folder"), folder_->text());
        if (!d.isEmpty()) folder_->setText(d);
    });

    // Say up front when the export would be refused (reads and hashes the site files: off the UI thread).
    export_->setEnabled(false);
    busy_->show();
    showMessage(tr("Checking the validation report against the terrain files, the plan and the rover\u2026"), false);
    worker_ = std::jthread([this, plan = plan_] {
        QString refusal;
        try {
            if (auto why = planner::exportRefusal(plan)) refusal = QString::fromStdString(*why);
        } catch (const std::exception& e) {
            refusal = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, refusal] {
                checking_ = false;
                busy_->hide();
                refusal_ = refusal;
                if (!refusal_.isEmpty()) {
                    showMessage(tr("<b>Export refused:</b> %1").arg(refusal_.toHtmlEscaped()), true);
                } else {
                    showMessage(tr("The route's validation passes and matches the terrain, the plan and the rover."), false);
                    export_->setEnabled(true);
                }
                emit checked(refusal_);
            },
            Qt::QueuedConnection);
    });
    resize(620, sizeHint().height());
}

ExportDialog::~ExportDialog() {
    if (worker_.joinable()) worker_.join();
}

QString ExportDialog::folder() const { return folder_->text().trimmed(); }
QString ExportDialog::name() const { return name_->text().trimmed(); }
void ExportDialog::setFolder(const QString& folder) { folder_->setText(folder); }
void ExportDialog::setName(const QString& name) { name_->setText(name); }
QString ExportDialog::message() const { return message_->text(); }

void ExportDialog::showMessage(const QString& html, bool error) {
    message_->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
    message_->setText(html);
}

void ExportDialog::startExport() {
    if (running_ || checking_) return;
    if (!refusal_.isEmpty()) {
        showMessage(tr("<b>Export refused:</b> %1").arg(refusal_.toHtmlEscaped()), true);
        emit exportFailed(refusal_);
        return;
    }
    if (folder().isEmpty()) {
        showMessage(tr("Choose an output folder."), true);
        return;
    }
    std::string stem;
    try {
        stem = planner::exportName(plan_, name().toStdString());
    } catch (const Error& e) {
        showMessage(QString::fromStdString(e.what()).toHtmlEscaped(), true);
        return;
    }
    if (worker_.joinable()) worker_.join();
    running_ = true;
    export_->setEnabled(false);
    busy_->show();
    showMessage(tr("Recomputing the validation and writing the files\u2026"), false);
    const std::filesystem::path out = QDir::cleanPath(folder()).toStdString();
    worker_ = std::jthread([this, plan = plan_, stem, out] {
        auto post = [this](auto fn) { QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection); };
        try {
            // As `traverse export` does: the refusal checked again, the validation recomputed.
            if (auto why = planner::exportRefusal(plan)) throw Error(Error::Kind::InvalidArgument, "export refused: " + *why);
            std::string crsWkt;
            const planner::ValidationOutcome current = planner::validatePlanOnDisk(plan, {}, &crsWkt);
            if (!current.pass)
                throw Error(Error::Kind::InvalidArgument, "export refused: the validation recomputed now does not pass (" +
                                                              current.summary + "); fix the route and validate it again");
            planner::ExportResult r = planner::exportPlan(plan, {current, stem, crsWkt}, out);
            post([this, r = std::move(r)] {
                running_ = false;
                busy_->hide();
                export_->setEnabled(true);
                QStringList files;
                for (const auto& f : r.files) files << QString::fromStdString(f.filename().string()).toHtmlEscaped();
                showMessage(tr("<b>Exported</b> into %1:<br>%2")
                                .arg(QString::fromStdString(r.folder.string()).toHtmlEscaped(), files.join(QStringLiteral(", "))),
                            false);
                result_ = r;
                emit exported(r);
            });
        } catch (const std::exception& e) {
            post([this, m = QString::fromStdString(e.what())] {
                running_ = false;
                busy_->hide();
                export_->setEnabled(true);
                showMessage(tr("<b>Nothing written.</b> %1").arg(m.toHtmlEscaped()), true);
                emit exportFailed(m);
            });
        }
    });
}

}  // namespace traverse::studio
