#include "args.hpp"

#include <cmath>
#include <cstdlib>

namespace traverse::cli {

std::optional<std::string> Args::value(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
}

std::string Args::required(const std::string& name) const {
    auto v = value(name);
    if (!v) throw UsageError("missing --" + name);
    return *v;
}

std::optional<double> Args::number(const std::string& name) const {
    auto v = value(name);
    if (!v) return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !std::isfinite(d))
        throw UsageError("--" + name + " needs a number, got '" + *v + "'");
    return d;
}

Args parseArgs(int argc, char** argv, int first, const std::set<std::string>& valueOptions,
               const std::set<std::string>& flagOptions) {
    Args a;
    for (int i = first; i < argc; ++i) {
        std::string s = argv[i];
        if (s.size() > 2 && s.rfind("--", 0) == 0) {
            std::string name = s.substr(2), val;
            const auto eq = name.find('=');
            const bool inlineValue = eq != std::string::npos;
            if (inlineValue) {
                val = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            if (flagOptions.count(name) && !inlineValue) {
                a.flags.insert(name);
            } else if (valueOptions.count(name)) {
                if (!inlineValue) {
                    if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
                    val = argv[++i];
                }
                a.values[name] = val;
            } else {
                throw UsageError("unknown option --" + name);
            }
        } else if (s == "-h") {
            a.flags.insert("help");
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

}  // namespace traverse::cli
