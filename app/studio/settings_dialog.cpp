#include "studio/settings_dialog.hpp"

#include "terrain/error.hpp"
#include "twin/rover_config.hpp"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace traverse::studio {

namespace {

// The key field: masked, empty, and saying where the key in use comes from.
QLineEdit* keyEdit(vlm::ProviderKind kind, const StudioSettings& s, QWidget* parent) {
    auto* e = new QLineEdit(parent);
    e->setEchoMode(QLineEdit::Password);
    const KeySource src = apiKeySource(kind, s.keyFilePath());
    switch (src.kind) {
    case KeySource::Kind::Environment:
        e->setPlaceholderText(QObject::tr("from %1").arg(src.where));
        e->setReadOnly(true);
        e->setEnabled(false);
        e->setToolTip(QObject::tr("The key in the environment variable %1 is used; unset it to store one here.")
                          .arg(src.where));
        break;
    case KeySource::Kind::SettingsFile:
        e->setPlaceholderText(QObject::tr("stored in the settings file \u2014 type to replace"));
        e->setToolTip(src.where);
        break;
    case KeySource::Kind::None:
        e->setPlaceholderText(QObject::tr("not set \u2014 type a key or set %1").arg(keyEnvironmentVariable(kind)));
        break;
    }
    return e;
}

}  // namespace

SettingsDialog::SettingsDialog(StudioSettings current, QWidget* parent)
    : QDialog(parent), settings_(std::move(current)), proposer_(new QComboBox(this)),
      anthropicEndpoint_(new QLineEdit(settings_.anthropicEndpoint, this)),
      anthropicModel_(new QLineEdit(settings_.anthropicModel, this)),
      anthropicKey_(keyEdit(vlm::ProviderKind::Anthropic, settings_, this)),
      openaiEndpoint_(new QLineEdit(settings_.openaiEndpoint, this)),
      openaiModel_(new QLineEdit(settings_.openaiModel, this)), openaiKey_(keyEdit(vlm::ProviderKind::OpenAI, settings_, this)),
      rover_(new QLineEdit(settings_.roverConfigPath, this)), units_(new QComboBox(this)), problem_(new QLabel(this)) {
    setWindowTitle(tr("Settings"));
    proposer_->addItem(tr("Built-in planner (offline)"), QStringLiteral("builtin"));
    proposer_->addItem(tr("Anthropic"), QStringLiteral("anthropic"));
    proposer_->addItem(tr("OpenAI-compatible"), QStringLiteral("openai"));
    proposer_->setCurrentIndex(std::max(0, proposer_->findData(settings_.proposer)));
    units_->addItem(tr("Metres"), QStringLiteral("metres"));
    units_->addItem(tr("Feet"), QStringLiteral("feet"));
    units_->setCurrentIndex(settings_.units == DistanceUnits::Feet ? 1 : 0);

    const auto anthropic = vlm::ProviderConfig::defaults(vlm::ProviderKind::Anthropic);
    const auto openai = vlm::ProviderConfig::defaults(vlm::ProviderKind::OpenAI);
    anthropicEndpoint_->setPlaceholderText(QString::fromStdString(anthropic.endpoint));
    anthropicModel_->setPlaceholderText(QString::fromStdString(anthropic.model));
    openaiEndpoint_->setPlaceholderText(QString::fromStdString(openai.endpoint) + tr("  (Ollama: http://localhost:11434/v1)"));
    openaiModel_->setPlaceholderText(QString::fromStdString(openai.model));

    auto* general = new QFormLayout;
    general->addRow(tr("Default proposer:"), proposer_);
    auto* roverRow = new QHBoxLayout;
    rover_->setPlaceholderText(tr("built-in Perseverance-like rover"));
    roverRow->addWidget(rover_, 1);
    auto* browse = new QPushButton(tr("Browse\u2026"), this);
    roverRow->addWidget(browse);
    general->addRow(tr("Rover configuration:"), roverRow);
    general->addRow(tr("Distances in:"), units_);

    auto* aBox = new QGroupBox(tr("Anthropic"), this);
    auto* aForm = new QFormLayout(aBox);
    aForm->addRow(tr("Endpoint:"), anthropicEndpoint_);
    aForm->addRow(tr("Model:"), anthropicModel_);
    aForm->addRow(tr("API key:"), anthropicKey_);
    auto* oBox = new QGroupBox(tr("OpenAI-compatible (OpenAI, Ollama, llama.cpp, vLLM)"), this);
    auto* oForm = new QFormLayout(oBox);
    oForm->addRow(tr("Endpoint:"), openaiEndpoint_);
    oForm->addRow(tr("Model:"), openaiModel_);
    oForm->addRow(tr("API key:"), openaiKey_);
    auto* note = new QLabel(tr("Keys are stored in %1 (readable by you only), never in a plan, a log or a transcript. "
                               "A key in the environment is used first.")
                                .arg(QString::fromStdString(settings_.keyFilePath().value_or(vlm::settingsPath()).string())),
                            this);
    note->setWordWrap(true);
    problem_->setWordWrap(true);
    problem_->setStyleSheet(QStringLiteral("color: #b00020;"));
    problem_->hide();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(general);
    layout->addWidget(aBox);
    layout->addWidget(oBox);
    layout->addWidget(note);
    layout->addWidget(problem_);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Rover configuration"), rover_->text(),
                                                       tr("Rover configuration (*.json);;All files (*)"));
        if (!f.isEmpty()) rover_->setText(f);
    });
    resize(560, sizeHint().height());
}

StudioSettings SettingsDialog::settings() const {
    StudioSettings s = settings_;
    s.proposer = proposer_->currentData().toString();
    s.anthropicEndpoint = anthropicEndpoint_->text().trimmed();
    s.anthropicModel = anthropicModel_->text().trimmed();
    s.openaiEndpoint = openaiEndpoint_->text().trimmed();
    s.openaiModel = openaiModel_->text().trimmed();
    s.roverConfigPath = rover_->text().trimmed();
    s.units = units_->currentData().toString() == QStringLiteral("feet") ? DistanceUnits::Feet : DistanceUnits::Metres;
    return s;
}

QLineEdit* SettingsDialog::keyField(vlm::ProviderKind kind) const {
    return kind == vlm::ProviderKind::Anthropic ? anthropicKey_ : openaiKey_;
}

QString SettingsDialog::problem() const { return problem_->text(); }

void SettingsDialog::accept() {
    const StudioSettings s = settings();
    problem_->clear();
    try {
        for (const QString& url : {s.anthropicEndpoint, s.openaiEndpoint})
            if (!url.isEmpty() && !url.startsWith(QStringLiteral("http://")) && !url.startsWith(QStringLiteral("https://")))
                throw Error(Error::Kind::InvalidArgument, "the endpoint must be an http:// or https:// URL, not '" +
                                                              url.toStdString() + "'");
        if (!s.roverConfigPath.isEmpty()) (void)twin::loadRoverConfig(s.roverConfigPath.toStdString());
        for (auto kind : {vlm::ProviderKind::Anthropic, vlm::ProviderKind::OpenAI}) {
            QLineEdit* field = keyField(kind);
            if (field->isReadOnly() || field->text().isEmpty()) continue;
            storeApiKey(kind, field->text().trimmed().toStdString(), s.keyFilePath());
            field->clear();  // the key leaves the widget as soon as it is stored
        }
    } catch (const Error& e) {
        problem_->setText(QString::fromStdString(e.what()));
        problem_->show();
        return;
    }
    settings_ = s;
    s.save();
    QDialog::accept();
}

}  // namespace traverse::studio
