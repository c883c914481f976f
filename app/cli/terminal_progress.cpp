#include "terminal_progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace traverse::cli {

TerminalProgress::TerminalProgress(bool enabled)
    : enabled_(enabled && isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

TerminalProgress::~TerminalProgress() { finish(); }

void TerminalProgress::update(double fraction, std::string_view stage) {
    if (!enabled_) return;
    const int percent = std::clamp(int(fraction * 100.0), 0, 100);
    if (percent == lastPercent_) return;
    lastPercent_ = percent;
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%-14.*s [%.*s%*s] %3d%%  %.1f s", int(stage.size()), stage.data(), filled,
                 "##############################", kWidth - filled, "", percent, secs);
    std::fflush(stderr);
    drawn_ = true;
}

void TerminalProgress::finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
}

}  // namespace traverse::cli
