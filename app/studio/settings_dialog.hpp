#pragma once
// Settings ▸ provider, endpoint, model, API key, rover configuration file, units. The key is never
// shown: its field is a password field that starts empty, says where the current key comes from,
// and is locked when the key comes from the environment (which wins). A typed key is stored in the
// settings file (storeApiKey), never in QSettings.
#include "studio/studio_settings.hpp"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;

namespace traverse::studio {

class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    explicit SettingsDialog(StudioSettings current, QWidget* parent = nullptr);

    // The settings as edited (valid once accepted). The key is not part of them.
    StudioSettings settings() const;
    // The key field of a provider, for tests: masked, and read-only when the key is from the environment.
    QLineEdit* keyField(vlm::ProviderKind kind) const;
    // Why accept() refused (an unreadable rover file, a key that could not be stored), or empty.
    QString problem() const;

public slots:
    // Checks the rover file, stores a typed key, saves the settings to QSettings and closes; stays
    // open, showing the problem, when something is wrong.
    void accept() override;

private:
    StudioSettings settings_;
    QComboBox* proposer_;
    QLineEdit* anthropicEndpoint_;
    QLineEdit* anthropicModel_;
    QLineEdit* anthropicKey_;
    QLineEdit* openaiEndpoint_;
    QLineEdit* openaiModel_;
    QLineEdit* openaiKey_;
    QLineEdit* rover_;
    QComboBox* units_;
    QLabel* problem_;
};

}  // namespace traverse::studio
