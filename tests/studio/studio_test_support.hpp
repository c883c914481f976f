#pragma once
// What the studio's tests share: the sample site's files and where screenshots for a person go
// (TRAVERSE_STUDIO_ARTEFACTS, set for every studio test target in tests/studio/CMakeLists.txt).
#include "support/test_support.hpp"

#include <QDir>
#include <QString>

#include <filesystem>

namespace traverse::studio_test {

inline std::filesystem::path sampleDtm() { return traverse::test::sampleDir() / "sample_dtm.tif"; }
inline std::filesystem::path sampleOrtho() { return traverse::test::sampleDir() / "sample_ortho.tif"; }

// The path of a picture saved for a person to look at, in the build's artefacts folder.
inline QString artefact(const QString& name) {
    QDir().mkpath(QStringLiteral(TRAVERSE_STUDIO_ARTEFACTS));
    return QStringLiteral(TRAVERSE_STUDIO_ARTEFACTS) + QLatin1Char('/') + name;
}

}  // namespace traverse::studio_test
