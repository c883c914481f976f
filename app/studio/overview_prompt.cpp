#include "studio/overview_prompt.hpp"

#include "studio/background_task.hpp"
#include "terrain/overviews.hpp"

#include <QMessageBox>
#include <QProgressDialog>

namespace traverse::studio {

QString buildOverviewsInBackground(const std::vector<std::filesystem::path>& files,
                                   const std::function<bool(double share)>& onProgress, const QWidget* modal) {
    return runInBackground(
        [&](const std::function<void(double)>& report, std::stop_token stop) {
            for (std::size_t i = 0; i < files.size(); ++i)
                terrain::buildOverviews(
                    files[i], {}, [&](double f, std::string_view) { report((double(i) + f) / double(files.size())); },
                    stop);
        },
        onProgress, modal);
}

bool promptToBuildOverviews(QWidget* parent, const std::vector<std::filesystem::path>& files) {
    if (files.empty()) return false;
    QStringList names;
    for (const auto& f : files) names << QString::fromStdString(f.filename().string());
    const auto answer = QMessageBox::question(
        parent, QObject::tr("Build overviews?"),
        QObject::tr("%1 has no overviews, so it cannot be shown whole without reading every pixel.\n\n"
                    "Build them now? They are written beside the file (%2.ovr); the file itself is not changed.")
            .arg(names.join(QStringLiteral(", ")), names.front()),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    if (answer != QMessageBox::Yes) return false;

    QProgressDialog progress(QObject::tr("Building overviews of %1\u2026").arg(names.join(QStringLiteral(", "))),
                             QObject::tr("Cancel"), 0, 1000, parent);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(0);
    const QString failure = buildOverviewsInBackground(files, progressIn(progress), &progress);
    progress.setValue(1000);
    if (failure == QStringLiteral("cancelled")) return false;
    if (!failure.isEmpty()) {
        QMessageBox::warning(parent, QObject::tr("Cannot build overviews"), failure);
        return false;
    }
    return true;
}

}  // namespace traverse::studio
