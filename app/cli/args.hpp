#pragma once
// A small command-line parser: positional arguments, `--name value` options and `--flag`s.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace traverse::cli {

// A mistake in how the command was called: reported with the command's usage, exit status 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> values;
    std::set<std::string> flags;

    bool has(const std::string& name) const { return values.count(name) || flags.count(name); }
    std::optional<std::string> value(const std::string& name) const;
    std::string required(const std::string& name) const;  // throws UsageError when missing
    // A finite number; throws UsageError naming the option when it is not one.
    std::optional<double> number(const std::string& name) const;
};

// Parses argv[first..argc); valueOptions take a value, flagOptions do not (names without "--").
// Throws UsageError for an unknown option or a missing value.
Args parseArgs(int argc, char** argv, int first, const std::set<std::string>& valueOptions,
               const std::set<std::string>& flagOptions);

}  // namespace traverse::cli
