#include "twin/telemetry.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace traverse::twin {

namespace {

constexpr const char* kChannelNames[kChannelCount] = {
    "time_s", "command_index", "east_m", "north_m", "heading_deg", "roll_deg", "pitch_deg", "yaw_deg", "body_z_m",
    "rocker_left_deg", "rocker_right_deg", "bogie_left_deg", "bogie_right_deg",
    "contact_lf_m", "contact_lm_m", "contact_lr_m", "contact_rf_m", "contact_rm_m", "contact_rr_m",
    "load_lf", "load_lm", "load_lr", "load_rf", "load_rm", "load_rr",
    "min_belly_clearance_m", "max_wheel_step_m", "slip", "odometry_error_m", "estimated_east_m",
    "estimated_north_m", "distance_m", "energy_wh"};

}  // namespace

std::string_view channelName(int c) { return (c >= 0 && c < kChannelCount) ? kChannelNames[c] : "?"; }

Telemetry::Telemetry() : Telemetry(std::vector<std::string>(kChannelNames, kChannelNames + kChannelCount)) {}

Telemetry::Telemetry(std::vector<std::string> names) : names_(std::move(names)), columns_(names_.size()) {}

std::size_t Telemetry::index(std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return i;
    throw Error(Error::Kind::InvalidArgument, "telemetry has no channel '" + std::string(name) + "'");
}

void Telemetry::reserve(std::size_t steps) {
    for (auto& c : columns_) c.reserve(steps);
}

void Telemetry::append(const double* values) {
    for (std::size_t i = 0; i < columns_.size(); ++i) columns_[i].push_back(values[i]);
}

void Telemetry::writeCsv(const std::filesystem::path& path) const {
    std::string out;
    out.reserve((size() + 1) * names_.size() * 12);
    for (std::size_t c = 0; c < names_.size(); ++c) {
        if (c) out += ',';
        out += names_[c];
    }
    out += '\n';
    char buf[32];
    for (std::size_t s = 0; s < size(); ++s) {
        for (std::size_t c = 0; c < names_.size(); ++c) {
            if (c) out += ',';
            // Shortest text that reads back to the same double.
            const auto r = std::to_chars(buf, buf + sizeof buf, columns_[c][s]);
            out.append(buf, r.ptr);
        }
        out += '\n';
    }
    traverse::writeFileAtomically(path, out);
}

Telemetry Telemetry::readCsv(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw Error(Error::Kind::NotFound, path.string() + ": cannot open");
    std::string line;
    if (!std::getline(in, line) || line.empty())
        throw Error(Error::Kind::Format, path.string() + ": line 1: no header of channel names");
    std::vector<std::string> names;
    {
        std::stringstream ss(line);
        std::string name;
        while (std::getline(ss, name, ',')) names.push_back(name);
    }
    Telemetry t(names);
    std::vector<double> row(names.size());
    int lineNo = 1;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.empty()) continue;
        std::size_t c = 0;
        const char* p = line.data();
        const char* end = line.data() + line.size();
        while (true) {
            if (c >= names.size())
                throw Error(Error::Kind::Format, path.string() + ": line " + std::to_string(lineNo) + ": more values than the " +
                                                     std::to_string(names.size()) + " channels");
            const auto r = std::from_chars(p, end, row[c]);
            if (r.ec != std::errc() || (r.ptr != end && *r.ptr != ','))
                throw Error(Error::Kind::Format, path.string() + ": line " + std::to_string(lineNo) + ": value " +
                                                     std::to_string(c + 1) + " (" + names[c] + ") is not a number");
            ++c;
            if (r.ptr == end) break;
            p = r.ptr + 1;
        }
        if (c != names.size())
            throw Error(Error::Kind::Format, path.string() + ": line " + std::to_string(lineNo) + ": " + std::to_string(c) +
                                                 " values for " + std::to_string(names.size()) + " channels");
        t.append(row.data());
    }
    return t;
}

}  // namespace traverse::twin
