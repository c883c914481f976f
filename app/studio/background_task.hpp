#pragma once
// Long work (building overviews, hashing gigabytes of imagery) on a worker thread while the UI
// thread keeps the window painted and a progress dialog answering.
#include <QString>

#include <functional>
#include <stop_token>

class QProgressDialog;
class QWidget;

namespace traverse::studio {

// Runs work(report, stop) on a worker thread; report(share) passes the share done (0..1). Until it
// ends, the UI thread processes events and calls onProgress (on the UI thread) with the latest share;
// onProgress returning false requests a stop. While `modal` is given but not yet showing, user input
// waits, so that nothing else starts meanwhile (once showing, being window-modal, it keeps the rest
// of the window from doing so). Returns an empty string on success, else the reason (a
// traverse::Error's message, which names the file; "cancelled" when stopped).
QString runInBackground(const std::function<void(const std::function<void(double)>& report, std::stop_token stop)>& work,
                        const std::function<bool(double share)>& onProgress, const QWidget* modal = nullptr);

// An onProgress that moves `dialog` (range 0..1000) and answers false once it is cancelled.
std::function<bool(double share)> progressIn(QProgressDialog& dialog);

}  // namespace traverse::studio
