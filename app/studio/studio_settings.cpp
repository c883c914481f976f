#include "studio/studio_settings.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace traverse::studio {

namespace {

constexpr double kMetresPerFoot = 0.3048;

QString providerKey(vlm::ProviderKind kind) { return QString::fromStdString(std::string(vlm::providerName(kind))); }

std::filesystem::path resolvedKeyFile(const std::optional<std::filesystem::path>& keyFile) {
    return keyFile ? *keyFile : vlm::settingsPath();
}

// The settings file as a JSON object (empty when the file does not exist). Throws Error (Format, Io).
QJsonObject readSettingsObject(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return {};
    QFile f(QString::fromStdString(path.string()));
    if (!f.open(QIODevice::ReadOnly)) throw Error(Error::Kind::Io, path.string() + ": cannot read the settings file");
    const QByteArray bytes = f.readAll();
    if (bytes.trimmed().isEmpty()) return {};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes);
    if (!doc.isObject()) throw Error(Error::Kind::Format, path.string() + ": not a JSON object");
    return doc.object();
}

}  // namespace

StudioSettings StudioSettings::load(QSettings& s) {
    StudioSettings out;
    out.proposer = s.value(QStringLiteral("propose/proposer"), out.proposer).toString();
    out.anthropicEndpoint = s.value(QStringLiteral("providers/anthropic/endpoint")).toString();
    out.anthropicModel = s.value(QStringLiteral("providers/anthropic/model")).toString();
    out.openaiEndpoint = s.value(QStringLiteral("providers/openai/endpoint")).toString();
    out.openaiModel = s.value(QStringLiteral("providers/openai/model")).toString();
    out.roverConfigPath = s.value(QStringLiteral("rover/config")).toString();
    out.units = s.value(QStringLiteral("display/units")).toString() == QStringLiteral("feet") ? DistanceUnits::Feet
                                                                                            : DistanceUnits::Metres;
    out.keyFile = s.value(QStringLiteral("providers/key_file")).toString();
    if (out.proposer != QStringLiteral("anthropic") && out.proposer != QStringLiteral("openai"))
        out.proposer = QStringLiteral("builtin");
    return out;
}

void StudioSettings::save(QSettings& s) const {
    s.setValue(QStringLiteral("propose/proposer"), proposer);
    s.setValue(QStringLiteral("providers/anthropic/endpoint"), anthropicEndpoint);
    s.setValue(QStringLiteral("providers/anthropic/model"), anthropicModel);
    s.setValue(QStringLiteral("providers/openai/endpoint"), openaiEndpoint);
    s.setValue(QStringLiteral("providers/openai/model"), openaiModel);
    s.setValue(QStringLiteral("rover/config"), roverConfigPath);
    s.setValue(QStringLiteral("display/units"), units == DistanceUnits::Feet ? QStringLiteral("feet") : QStringLiteral("metres"));
    if (keyFile.isEmpty()) s.remove(QStringLiteral("providers/key_file"));
    else s.setValue(QStringLiteral("providers/key_file"), keyFile);
    s.sync();
}

StudioSettings StudioSettings::load() {
    QSettings s(QStringLiteral("Traverse"), QStringLiteral("traverse-studio"));
    return load(s);
}

void StudioSettings::save() const {
    QSettings s(QStringLiteral("Traverse"), QStringLiteral("traverse-studio"));
    save(s);
}

std::optional<std::filesystem::path> StudioSettings::keyFilePath() const {
    if (keyFile.isEmpty()) return std::nullopt;
    return std::filesystem::path(keyFile.toStdString());
}

vlm::ProviderConfig StudioSettings::providerConfig(vlm::ProviderKind kind) const {
    const auto file = keyFilePath();
    std::error_code ec;
    vlm::ProviderConfig c = file && !std::filesystem::exists(*file, ec) ? vlm::ProviderConfig::defaults(kind)
                                                                        : vlm::loadProviderConfig(kind, file);
    const bool anthropic = kind == vlm::ProviderKind::Anthropic;
    const QString endpoint = anthropic ? anthropicEndpoint : openaiEndpoint;
    const QString model = anthropic ? anthropicModel : openaiModel;
    if (!endpoint.trimmed().isEmpty()) c.endpoint = endpoint.trimmed().toStdString();
    if (!model.trimmed().isEmpty()) c.model = model.trimmed().toStdString();
    return c;
}

QString keyEnvironmentVariable(vlm::ProviderKind kind) {
    return kind == vlm::ProviderKind::Anthropic ? QStringLiteral("ANTHROPIC_API_KEY") : QStringLiteral("OPENAI_API_KEY");
}

KeySource apiKeySource(vlm::ProviderKind kind, const std::optional<std::filesystem::path>& keyFile) {
    const QString var = keyEnvironmentVariable(kind);
    if (const char* v = std::getenv(var.toLatin1().constData()); v && *v) return {KeySource::Kind::Environment, var};
    const auto path = resolvedKeyFile(keyFile);
    if (path.empty()) return {};
    try {
        const QJsonObject root = readSettingsObject(path);
        const QString key = root.value("providers").toObject().value(providerKey(kind)).toObject().value("api_key").toString();
        if (!key.isEmpty()) return {KeySource::Kind::SettingsFile, QString::fromStdString(path.string())};
    } catch (const Error&) {
        // An unreadable file holds no usable key; loadProviderConfig reports it when a run starts.
    }
    return {};
}

void storeApiKey(vlm::ProviderKind kind, const std::string& key, const std::optional<std::filesystem::path>& keyFile) {
    const auto path = resolvedKeyFile(keyFile);
    if (path.empty()) throw Error(Error::Kind::Io, "no settings file: neither TRAVERSE_SETTINGS, XDG_CONFIG_HOME nor HOME is set");
    QJsonObject root = readSettingsObject(path);
    QJsonObject providers = root.value("providers").toObject();
    QJsonObject provider = providers.value(providerKey(kind)).toObject();
    if (key.empty()) provider.remove("api_key");
    else provider.insert("api_key", QString::fromStdString(key));
    providers.insert(providerKey(kind), provider);
    root.insert("providers", providers);

    std::error_code ec;
    const auto folder = path.parent_path();
    if (!folder.empty() && !std::filesystem::exists(folder, ec)) {
        std::filesystem::create_directories(folder, ec);
        if (ec) throw Error(Error::Kind::Io, folder.string() + ": cannot create folder (" + ec.message() + ")");
        std::filesystem::permissions(folder, std::filesystem::perms::owner_all, ec);
    }
    // writeFileAtomically keeps the permissions of the file it replaces: make sure that file exists
    // and is 0600 before any key is written, so that no copy of the key is ever readable by others.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(Error::Kind::Io, path.string() + ": cannot create the settings file");
    ::fchmod(fd, 0600);
    ::close(fd);
    writeFileAtomically(path, QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString());
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
}

double toDisplayUnits(double metres, DistanceUnits units) {
    return units == DistanceUnits::Feet ? metres / kMetresPerFoot : metres;
}

QString unitSuffix(DistanceUnits units) { return units == DistanceUnits::Feet ? QStringLiteral("ft") : QStringLiteral("m"); }

QString formatDistance(double metres, DistanceUnits units, int decimals) {
    return QString::number(toDisplayUnits(metres, units), 'f', decimals) + QLatin1Char(' ') + unitSuffix(units);
}

}  // namespace traverse::studio
