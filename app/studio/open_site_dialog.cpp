#include "studio/open_site_dialog.hpp"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace traverse::studio {

namespace {

QString toQString(const std::filesystem::path& p) { return QString::fromStdString(p.string()); }

}  // namespace

OpenSiteDialog::OpenSiteDialog(const std::filesystem::path& dtm,
                               const std::optional<std::filesystem::path>& ortho, QWidget* parent)
    : QDialog(parent), dtm_(new QLineEdit(toQString(dtm), this)),
      ortho_(new QLineEdit(ortho ? toQString(*ortho) : QString(), this)) {
    setWindowTitle(tr("Open site"));
    dtm_->setMinimumWidth(420);
    dtm_->setPlaceholderText(tr("GeoTIFF, PDS .IMG, ISIS cube\u2026 (required)"));
    ortho_->setPlaceholderText(tr("optional; without one the map shows a hillshade of the DTM"));

    auto row = [this](QLineEdit* field, const QString& caption) {
        auto* box = new QHBoxLayout;
        auto* browse = new QPushButton(tr("Browse\u2026"), this);
        connect(browse, &QPushButton::clicked, this, [this, field, caption] { this->browse(field, caption); });
        box->addWidget(field, 1);
        box->addWidget(browse);
        return box;
    };
    auto label = [this](const QString& text, QLineEdit* buddy) {
        auto* l = new QLabel(text, this);
        l->setBuddy(buddy);  // Alt+letter focuses the field
        return l;
    };
    auto* form = new QFormLayout;
    form->addRow(label(tr("&DTM:"), dtm_), row(dtm_, tr("Choose the DTM")));
    form->addRow(label(tr("&Orthoimage:"), ortho_), row(ortho_, tr("Choose the orthoimage")));

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, this);
    ok_ = buttons->button(QDialogButtonBox::Open);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(dtm_, &QLineEdit::textChanged, this, &OpenSiteDialog::updateOk);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    updateOk();
}

std::filesystem::path OpenSiteDialog::dtmPath() const { return dtm_->text().trimmed().toStdString(); }

std::optional<std::filesystem::path> OpenSiteDialog::orthoPath() const {
    const QString t = ortho_->text().trimmed();
    if (t.isEmpty()) return std::nullopt;
    return std::filesystem::path(t.toStdString());
}

void OpenSiteDialog::browse(QLineEdit* field, const QString& caption) {
    QString start = field->text().trimmed();
    if (start.isEmpty() && field != dtm_) start = QFileInfo(dtm_->text().trimmed()).path();
    const QString file = QFileDialog::getOpenFileName(this, caption, start, tr("Rasters (*.tif *.tiff *.TIF *.img *.IMG *.jp2 *.JP2 *.cub *.CUB *.vrt);;All files (*)"));
    if (!file.isEmpty()) field->setText(file);
}

void OpenSiteDialog::updateOk() { ok_->setEnabled(!dtm_->text().trimmed().isEmpty()); }

}  // namespace traverse::studio
