#pragma once
// Telemetry: named channels sampled at every simulation step, stored by column. Written as CSV (one
// header line of channel names, then one line a step) and read back.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::twin {

// The channels the simulator records, in column order. Units are in the names' suffixes.
enum Channel : int {
    kTimeS, kCommandIndex, kEastM, kNorthM, kHeadingDeg, kRollDeg, kPitchDeg, kYawDeg, kBodyZM,
    kRockerLeftDeg, kRockerRightDeg, kBogieLeftDeg, kBogieRightDeg,
    kContactLfM, kContactLmM, kContactLrM, kContactRfM, kContactRmM, kContactRrM,
    kLoadLf, kLoadLm, kLoadLr, kLoadRf, kLoadRm, kLoadRr,
    kMinBellyClearanceM, kMaxWheelStepM, kSlip, kOdometryErrorM, kEstimatedEastM, kEstimatedNorthM,
    kDistanceM, kEnergyWh,
    kChannelCount
};
std::string_view channelName(int channel);  // e.g. "roll_deg"

class Telemetry {
public:
    Telemetry();
    // Columns with arbitrary names (for logs read back from CSV).
    explicit Telemetry(std::vector<std::string> names);

    std::size_t channelCount() const { return names_.size(); }
    std::size_t size() const { return columns_.empty() ? 0 : columns_[0].size(); }
    const std::vector<std::string>& names() const { return names_; }
    // Column index of a channel name; throws Error (InvalidArgument) naming it when absent.
    std::size_t index(std::string_view name) const;
    const std::vector<double>& column(std::size_t c) const { return columns_[c]; }
    double at(std::size_t step, std::size_t c) const { return columns_[c][step]; }

    void reserve(std::size_t steps);
    // Appends one step; `values` holds one value per channel.
    void append(const double* values);

    // CSV, written atomically (temporary file, then rename).
    void writeCsv(const std::filesystem::path& path) const;
    // Throws Error naming the file and the line for a malformed file.
    static Telemetry readCsv(const std::filesystem::path& path);

private:
    std::vector<std::string> names_;
    std::vector<std::vector<double>> columns_;
};

}  // namespace traverse::twin
