#pragma once
// The project's one exception hierarchy: thrown at I/O and parsing boundaries only.
// Results that are data (a failed check, a violated rule) are values, never exceptions.
#include <stdexcept>
#include <string>

namespace traverse {

class Error : public std::runtime_error {
public:
    enum class Kind {
        NotFound,       // a file or folder that does not exist
        Io,             // a read or write that failed (truncated file, disk full, permissions)
        Format,         // a file that is not what it should be (not a raster, corrupt)
        Georeference,   // missing or unusable georeferencing, frames that cannot be matched
        InvalidArgument,// a parameter out of range, a bad command-line value
        Cancelled,      // the caller's stop token was triggered
        Network,        // a server that cannot be reached, times out or refuses (HTTP errors)
    };

    Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

}  // namespace traverse
