#include "studio/background_task.hpp"

#include "terrain/error.hpp"

#include <QCoreApplication>
#include <QProgressDialog>
#include <QThread>

#include <atomic>
#include <mutex>
#include <thread>

namespace traverse::studio {

QString runInBackground(const std::function<void(const std::function<void(double)>& report, std::stop_token stop)>& work,
                        const std::function<bool(double share)>& onProgress, const QWidget* modal) {
    std::atomic<double> share{0.0};
    std::atomic<bool> done{false};
    std::mutex mutex;
    QString failure;
    std::jthread worker([&](std::stop_token stop) {
        try {
            work([&](double f) { share = f; }, stop);
        } catch (const Error& e) {
            std::lock_guard lock(mutex);
            failure = e.kind() == Error::Kind::Cancelled ? QStringLiteral("cancelled") : QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex);
            failure = QString::fromStdString(e.what());
        } catch (...) {
            std::lock_guard lock(mutex);
            failure = QStringLiteral("unexpected failure");
        }
        done = true;
    });
    while (!done) {
        if (onProgress && !onProgress(share)) worker.request_stop();
        const bool holdInput = modal && !modal->isVisible();
        QCoreApplication::processEvents(holdInput ? QEventLoop::ExcludeUserInputEvents : QEventLoop::AllEvents, 50);
        QThread::msleep(20);
    }
    worker.join();
    std::lock_guard lock(mutex);
    return failure;
}

std::function<bool(double share)> progressIn(QProgressDialog& dialog) {
    return [&dialog](double share) {
        dialog.setValue(int(share * 1000));
        return !dialog.wasCanceled();
    };
}

}  // namespace traverse::studio
