#pragma once
// File ▸ Open site…: a DTM (required) and an orthoimage (optional), each with a Browse button.
#include <QDialog>

#include <filesystem>
#include <optional>

class QLineEdit;
class QPushButton;

namespace traverse::studio {

class OpenSiteDialog : public QDialog {
    Q_OBJECT

public:
    // Starts with the given paths (e.g. the site open now).
    OpenSiteDialog(const std::filesystem::path& dtm, const std::optional<std::filesystem::path>& ortho,
                   QWidget* parent = nullptr);

    std::filesystem::path dtmPath() const;
    // Empty field: no orthoimage.
    std::optional<std::filesystem::path> orthoPath() const;

private:
    void browse(QLineEdit* field, const QString& caption);
    void updateOk();

    QLineEdit* dtm_;
    QLineEdit* ortho_;
    QPushButton* ok_ = nullptr;
};

}  // namespace traverse::studio
