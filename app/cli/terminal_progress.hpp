#pragma once
// A progress bar on the terminal (stderr), drawn only when stderr is a terminal.
#include <chrono>
#include <string>
#include <string_view>

namespace traverse::cli {

class TerminalProgress {
public:
    explicit TerminalProgress(bool enabled);
    ~TerminalProgress();
    void update(double fraction, std::string_view stage);
    void finish();

private:
    bool enabled_;
    bool drawn_ = false;
    int lastPercent_ = -1;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace traverse::cli
