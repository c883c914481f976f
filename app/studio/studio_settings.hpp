#pragma once
// The studio's preferences, kept in QSettings (organisation "Traverse", application
// "traverse-studio"), and the API keys, which are not: a key typed in the studio goes into the
// settings file vlm::loadProviderConfig reads (vlm::settingsPath(), JSON, written atomically with
// permissions 0600), so that the CLI and the studio share it and it never lies in a plain registry
// or INI file. A key in the environment (ANTHROPIC_API_KEY / OPENAI_API_KEY) wins over the file's.
#include "vlm/provider.hpp"

#include <QString>

#include <filesystem>
#include <optional>

class QSettings;

namespace traverse::studio {

enum class DistanceUnits { Metres, Feet };

struct StudioSettings {
    // The proposer the Propose panel starts with: "builtin", "anthropic", "openai".
    QString proposer = QStringLiteral("builtin");
    // Per provider: empty means the provider's default (vlm::ProviderConfig::defaults).
    QString anthropicEndpoint, anthropicModel;
    QString openaiEndpoint, openaiModel;
    QString roverConfigPath;   // empty: the built-in Perseverance-like rover
    DistanceUnits units = DistanceUnits::Metres;
    // The settings file with the keys; empty: vlm::settingsPath()'s default (tests point it elsewhere).
    QString keyFile;

    static StudioSettings load(QSettings& settings);
    void save(QSettings& settings) const;
    // From / to QSettings("Traverse", "traverse-studio").
    static StudioSettings load();
    void save() const;

    // The provider's configuration: its defaults, the key file, then the endpoint and model set here.
    // Throws traverse::Error (Format) for a key file that cannot be parsed.
    vlm::ProviderConfig providerConfig(vlm::ProviderKind kind) const;
    std::optional<std::filesystem::path> keyFilePath() const;
};

// Where a provider's API key comes from, without the key itself.
struct KeySource {
    enum class Kind { None, Environment, SettingsFile };
    Kind kind = Kind::None;
    QString where;  // "ANTHROPIC_API_KEY", or the settings file's path
};
QString keyEnvironmentVariable(vlm::ProviderKind kind);  // "ANTHROPIC_API_KEY" / "OPENAI_API_KEY"
KeySource apiKeySource(vlm::ProviderKind kind, const std::optional<std::filesystem::path>& keyFile = std::nullopt);

// Stores `key` (empty: removes it) under providers.<kind>.api_key in the settings file (keyFile, or
// vlm::settingsPath()), keeping everything else in it. The folder is created (0700) when missing;
// the file is written atomically and is readable by its owner only (0600) from its first byte.
// Throws traverse::Error (Io, Format) naming the file; the message never holds the key.
void storeApiKey(vlm::ProviderKind kind, const std::string& key,
                 const std::optional<std::filesystem::path>& keyFile = std::nullopt);

// A distance for display in the chosen units ("12.3 m", "40.4 ft").
QString formatDistance(double metres, DistanceUnits units, int decimals = 1);
double toDisplayUnits(double metres, DistanceUnits units);
QString unitSuffix(DistanceUnits units);  // "m" / "ft"

}  // namespace traverse::studio
