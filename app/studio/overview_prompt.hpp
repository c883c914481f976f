#pragma once
// Asks whether to build the overviews a large raster lacks, then builds them off the UI thread with a
// progress dialog and Cancel (terrain::buildOverviews, external .ovr files: the rasters themselves
// are not modified).
#include <QString>

#include <filesystem>
#include <functional>
#include <vector>

class QWidget;

namespace traverse::studio {

// Builds overviews for each file on a worker thread, keeping the UI responsive; `onProgress` (UI
// thread) receives the share done over all files and may return false to cancel. Returns an empty
// string on success, else the reason (the message names the file; "cancelled" when stopped).
QString buildOverviewsInBackground(const std::vector<std::filesystem::path>& files,
                                   const std::function<bool(double share)>& onProgress,
                                   const QWidget* modal = nullptr);

// The dialog: a question naming the files, then a progress dialog. Returns true when overviews were
// built for all of them. Errors are shown in a message box naming the file.
bool promptToBuildOverviews(QWidget* parent, const std::vector<std::filesystem::path>& files);

}  // namespace traverse::studio
