#include "twin/sequence.hpp"

#include "twin/strict_json.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <variant>

#include <fcntl.h>
#include <unistd.h>

namespace traverse::twin {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Kind = Error::Kind;

constexpr std::string_view kJsonFormat = "traverse-sequence";
constexpr int kJsonVersion = 1;

// An argument's value: a number (floats, and integers held exactly) or a word (enums, strings).
using Value = std::variant<double, std::string>;

// Where a problem is, for the one-line message "source: where: reason".
struct Where {
    const std::string& source;
    std::string where;
    Kind kind = Kind::Format;

    [[noreturn]] void fail(const std::string& reason) const {
        throw Error(kind, where.empty() ? source + ": " + reason : source + ": " + where + ": " + reason);
    }
};

std::string lineWhere(std::size_t line) { return "line " + std::to_string(line); }
std::string commandWhere(std::size_t index) { return "commands[" + std::to_string(index) + "]"; }

// ---- Numbers ------------------------------------------------------------------------------------

// The shortest text that reads back as exactly the same double.
std::string formatNumber(double v) {
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), r.ptr);
}

// Reads a whole token as a double (an optional '+' is allowed); `tooLarge` tells a number that does
// not fit a double from text that is not a number.
std::optional<double> parseNumber(std::string_view s, bool& tooLarge) {
    tooLarge = false;
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
        if (!s.empty() && s.front() == '-') return std::nullopt;
    }
    if (s.empty()) return std::nullopt;
    double v = 0.0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (end != s.data() + s.size()) return std::nullopt;
    tooLarge = ec == std::errc::result_out_of_range;
    if (ec != std::errc()) return std::nullopt;
    return v;
}

bool looksLikeInteger(std::string_view s) {
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---- Argument specs and checks -------------------------------------------------------------------

bool unbounded(const ArgumentSpec& a) {
    return a.min == std::numeric_limits<double>::lowest() && a.max == std::numeric_limits<double>::max();
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
    return out;
}

std::string withUnit(const std::string& text, const ArgumentSpec& a) {
    return a.unit.empty() ? text : text + " " + a.unit;
}

// The allowed values, as a person would write them: "-100..100 m, nonzero".
std::string rangeText(const ArgumentSpec& a) {
    if (a.type == "enum") return "one of " + join(a.values, ", ");
    if (unbounded(a)) return a.unit.empty() ? "any finite value" : "any finite value in " + a.unit;
    if (a.minMagnitude > 0.0)
        return withUnit(formatNumber(a.min) + ".." + formatNumber(-a.minMagnitude) + " or " +
                            formatNumber(a.minMagnitude) + ".." + formatNumber(a.max),
                        a);
    std::string r = withUnit(formatNumber(a.min) + ".." + formatNumber(a.max), a);
    if (a.nonZero) r += ", nonzero";
    return r;
}

// Why `v` is not an allowed value of `a`, or nothing when it is.
std::optional<std::string> checkValue(const ArgumentSpec& a, const Value& v) {
    if (a.type == "enum" || a.type == "string") {
        const auto* word = std::get_if<std::string>(&v);
        if (!word) return a.name + " must be a word, not a number";
        if (a.type == "enum" && std::find(a.values.begin(), a.values.end(), *word) == a.values.end())
            return a.name + " = '" + *word + "' is not " + rangeText(a);
        return std::nullopt;
    }
    const auto* number = std::get_if<double>(&v);
    if (!number) return a.name + " must be a number";
    const double x = *number;
    if (!std::isfinite(x)) return a.name + " = " + formatNumber(x) + " is not finite";
    const bool inRange = x >= a.min && x <= a.max && !(a.nonZero && x == 0.0) &&
                         !(a.minMagnitude > 0.0 && std::abs(x) < a.minMagnitude);
    if (!inRange) return a.name + " = " + withUnit(formatNumber(x), a) + " is out of range " + rangeText(a);
    if (a.type == "integer" && x != std::floor(x)) return a.name + " = " + formatNumber(x) + " is not an integer";
    return std::nullopt;
}

ArgumentSpec spec(std::string name, std::string type, std::string unit, double min, double max) {
    ArgumentSpec a;
    a.name = std::move(name);
    a.type = std::move(type);
    a.unit = std::move(unit);
    a.min = min;
    a.max = max;
    return a;
}

// The header's fields, described like command arguments so that both file forms check them alike.
// Index order: SEQUENCE name sol rover; START e n heading_deg.
const std::vector<ArgumentSpec>& sequenceSpecs() {
    static const std::vector<ArgumentSpec> specs = {
        spec("name", "string", "", 0, 0),
        spec("sol", "integer", "", 0, std::numeric_limits<int>::max()),
        spec("rover", "string", "", 0, 0),
    };
    return specs;
}
const std::vector<ArgumentSpec>& startSpecs() {
    static const std::vector<ArgumentSpec> specs = {
        spec("e", "float", "m", std::numeric_limits<double>::lowest(), std::numeric_limits<double>::max()),
        spec("n", "float", "m", std::numeric_limits<double>::lowest(), std::numeric_limits<double>::max()),
        spec("heading_deg", "float", "deg", 0.0, 360.0),
    };
    return specs;
}

// "what: " before a reason, or nothing when the location already says what it is.
std::string prefix(const std::string& what) { return what.empty() ? std::string() : what + ": "; }

std::optional<std::size_t> findStem(std::string_view stem) {
    const auto& d = commandDictionary();
    for (std::size_t i = 0; i < d.size(); ++i)
        if (d[i].stem == stem) return i;
    return std::nullopt;
}

std::string unknownStemReason(const std::string& stem) {
    std::string upper = stem;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    std::string reason = "unknown command stem '" + stem + "'";
    if (upper != stem && (findStem(upper) || upper == "SEQUENCE" || upper == "START"))
        return reason + " (stems are upper case: " + upper + ")";
    std::vector<std::string> known;
    for (const auto& c : commandDictionary()) known.push_back(c.stem);
    return reason + " (known stems: " + join(known, ", ") + ")";
}

// Collects name=value pairs against `specs`: unknown and duplicate names are errors, each value is
// converted by `convert(spec, raw)` (which reports values that are not of the right type) and then
// checked against the spec's range. Missing names are left empty for the caller to judge.
template <class Raw, class Convert>
std::vector<std::optional<Value>> collect(const std::string& what, const std::vector<ArgumentSpec>& specs,
                                          const std::vector<std::pair<std::string, Raw>>& args,
                                          Convert convert, const Where& where) {
    std::vector<std::optional<Value>> values(specs.size());
    for (const auto& [name, raw] : args) {
        const auto it = std::find_if(specs.begin(), specs.end(), [&](const ArgumentSpec& a) { return a.name == name; });
        if (it == specs.end()) {
            std::vector<std::string> names;
            for (const auto& a : specs) names.push_back(a.name);
            where.fail(prefix(what) + "unknown argument '" + name + "' (expected " + join(names, ", ") + ")");
        }
        auto& slot = values[std::size_t(it - specs.begin())];
        if (slot) where.fail(prefix(what) + "duplicate argument '" + name + "'");
        Value v = convert(*it, raw);
        if (const auto why = checkValue(*it, v)) where.fail(prefix(what) + *why);
        slot = std::move(v);
    }
    return values;
}

void requireAll(const std::string& what, const std::vector<ArgumentSpec>& specs,
                const std::vector<std::optional<Value>>& values, const Where& where,
                std::string_view optionalName = {}) {
    for (std::size_t k = 0; k < specs.size(); ++k)
        if (!values[k] && specs[k].name != optionalName)
            where.fail(prefix(what) + "missing argument '" + specs[k].name + "'");
}

double number(const std::optional<Value>& v) { return std::get<double>(*v); }
std::string word(const std::optional<Value>& v) { return v ? std::get<std::string>(*v) : std::string(); }

DriveMode modeFromName(const std::string& name) {
    for (DriveMode m : {DriveMode::Blind, DriveMode::VisualOdometry, DriveMode::AutoNav})
        if (driveModeName(m) == name) return m;
    throw std::logic_error("unchecked drive mode " + name);
}

// Commands to and from their argument values, in dictionary order (the dictionary follows the
// order of the Command variant's alternatives).
Command makeCommand(std::size_t index, const std::vector<std::optional<Value>>& v) {
    switch (index) {
        case 0: return TurnTo{number(v[0])};
        case 1: return TurnBy{number(v[0])};
        case 2: return DriveStraight{number(v[0])};
        case 3: return DriveArc{number(v[0]), number(v[1])};
        case 4: {
            GoToWaypoint g;
            g.e = number(v[0]);
            g.n = number(v[1]);
            g.toleranceM = number(v[2]);
            g.timeLimitS = number(v[3]);
            g.mode = modeFromName(word(v[4]));
            return g;
        }
        case 5: return StopConditions{number(v[0]), number(v[1])};
        default: throw std::logic_error("command index out of the dictionary");
    }
}

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

std::vector<Value> commandValues(const Command& command) {
    return std::visit(
        Overloaded{
            [](const TurnTo& c) { return std::vector<Value>{c.headingDeg}; },
            [](const TurnBy& c) { return std::vector<Value>{c.angleDeg}; },
            [](const DriveStraight& c) { return std::vector<Value>{c.distanceM}; },
            [](const DriveArc& c) { return std::vector<Value>{c.radiusM, c.lengthM}; },
            [](const GoToWaypoint& c) {
                return std::vector<Value>{c.e, c.n, c.toleranceM, c.timeLimitS, std::string(driveModeName(c.mode))};
            },
            [](const StopConditions& c) { return std::vector<Value>{c.maxTiltDeg, c.maxTimeS}; },
        },
        command);
}

// ---- Text form ------------------------------------------------------------------------------------

bool needsQuotes(const std::string& s) {
    if (s.empty()) return true;
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f || c == '"' || c == '#' || c == '=' || c == '\\';
    });
}

std::string quoted(const std::string& s) {
    if (!needsQuotes(s)) return s;
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "\\x%02x", unsigned(u));
                    out += hex;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One word of a line; `eq` is where an unquoted '=' split it into name and value.
struct Token {
    std::string text;
    std::optional<std::size_t> eq;
};

std::vector<Token> tokenize(std::string_view line, const Where& where) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    const std::size_t n = line.size();
    for (;;) {
        while (i < n && isBlank(line[i])) ++i;
        if (i >= n || line[i] == '#') break;
        Token t;
        while (i < n && !isBlank(line[i]) && line[i] != '#') {
            const char c = line[i++];
            if (c == '=' && !t.eq) {
                t.eq = t.text.size();
            } else if (c != '"') {
                t.text += c;
            } else {
                bool closed = false;
                while (i < n) {
                    const char q = line[i++];
                    if (q == '"') {
                        closed = true;
                        break;
                    }
                    if (q != '\\') {
                        t.text += q;
                        continue;
                    }
                    if (i >= n) break;
                    const char e = line[i++];
                    switch (e) {
                        case '"': t.text += '"'; break;
                        case '\\': t.text += '\\'; break;
                        case 'n': t.text += '\n'; break;
                        case 'r': t.text += '\r'; break;
                        case 't': t.text += '\t'; break;
                        case 'x': {
                            const int hi = i < n ? hexDigit(line[i]) : -1;
                            const int lo = i + 1 < n ? hexDigit(line[i + 1]) : -1;
                            if (hi < 0 || lo < 0) where.fail("bad escape '\\x' in a quoted value (expected two hex digits)");
                            t.text += static_cast<char>(hi * 16 + lo);
                            i += 2;
                            break;
                        }
                        default: where.fail(std::string("unknown escape '\\") + e + "' in a quoted value");
                    }
                }
                if (!closed) where.fail("unterminated quoted value (missing closing \")");
            }
        }
        tokens.push_back(std::move(t));
    }
    return tokens;
}

Value textValue(const std::string& what, const ArgumentSpec& a, const std::string& raw, const Where& where) {
    if (a.type == "enum" || a.type == "string") return raw;
    if (a.type == "integer" && !looksLikeInteger(raw))
        where.fail(prefix(what) + a.name + " = '" + raw + "' is not an integer");
    bool tooLarge = false;
    const auto v = parseNumber(raw, tooLarge);
    if (tooLarge) where.fail(prefix(what) + a.name + " = '" + raw + "' does not fit a double");
    if (!v) where.fail(prefix(what) + a.name + " = '" + raw + "' is not a number");
    return *v;
}

std::string argumentText(const ArgumentSpec& a, const Value& v) {
    if (const auto* d = std::get_if<double>(&v)) return a.name + "=" + formatNumber(*d);
    return a.name + "=" + quoted(std::get<std::string>(v));
}

// ---- JSON form ------------------------------------------------------------------------------------


Value jsonValue(const std::string& what, const ArgumentSpec& a, const Json* raw, const Where& where) {
    if (a.type == "enum" || a.type == "string") {
        if (!raw->is_string()) where.fail(prefix(what) + a.name + " = " + raw->dump() + " is not a string");
        return raw->get<std::string>();
    }
    if (a.type == "integer" && !raw->is_number_integer())
        where.fail(prefix(what) + a.name + " = " + raw->dump() + " is not an integer");
    if (!raw->is_number()) where.fail(prefix(what) + a.name + " = " + raw->dump() + " is not a number");
    return raw->get<double>();
}

std::vector<std::pair<std::string, const Json*>> members(const Json& object) {
    std::vector<std::pair<std::string, const Json*>> out;
    for (auto it = object.begin(); it != object.end(); ++it) out.emplace_back(it.key(), &it.value());
    return out;
}

const Json& requireMember(const Json& object, const std::string& key, const Where& where) {
    const auto it = object.find(key);
    if (it == object.end()) where.fail("missing \"" + key + "\"");
    return *it;
}

void rejectUnknownKeys(const Json& object, std::initializer_list<std::string_view> known, const Where& where) {
    for (auto it = object.begin(); it != object.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
            std::string list;
            for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
            where.fail("unknown key '" + it.key() + "' (expected " + list + ")");
        }
}

// ---- Files ----------------------------------------------------------------------------------------

bool isJsonPath(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".json";
}

[[noreturn]] void throwErrno(const fs::path& path, const std::string& what, int err) {
    throw Error(err == ENOENT ? Kind::NotFound : Kind::Io, path.string() + ": " + what + ": " + std::strerror(err));
}

}  // namespace

// ---- Public -----------------------------------------------------------------------------------------

std::string sequenceToJson(const Sequence& s) {
    using Ordered = nlohmann::ordered_json;
    Ordered j;
    j["format"] = kJsonFormat;
    j["version"] = kJsonVersion;
    Ordered header;
    header["name"] = s.header.name;
    header["sol"] = s.header.sol;
    header["start"]["e"] = s.header.start.e;
    header["start"]["n"] = s.header.start.n;
    header["start"]["heading_deg"] = s.header.start.headingDeg;
    header["rover"] = s.header.rover;
    j["header"] = std::move(header);
    j["commands"] = Ordered::array();
    for (const Command& c : s.commands) {
        const CommandSpec& spec = commandDictionary().at(c.index());
        const std::vector<Value> values = commandValues(c);
        Ordered cmd;
        cmd["stem"] = spec.stem;
        cmd["args"] = Ordered::object();
        for (std::size_t k = 0; k < values.size(); ++k) {
            if (const auto* d = std::get_if<double>(&values[k])) cmd["args"][spec.arguments[k].name] = *d;
            else cmd["args"][spec.arguments[k].name] = std::get<std::string>(values[k]);
        }
        j["commands"].push_back(std::move(cmd));
    }
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Sequence sequenceFromJson(const std::string& json, const std::string& source) {
    Json j;
    try {
        // A sequence for uplink must not depend on which of two equal keys a parser keeps.
        j = parseStrictJson(json, [&](const std::string& where, const std::string& key) {
            Where{source, where.empty() ? "top level" : where}.fail("duplicate key '" + key + "'");
        });
    } catch (const Json::exception& e) {
        throw Error(Kind::Format, source + ": malformed JSON: " + e.what());
    }
    const Where top{source, {}};
    if (!j.is_object()) top.fail("not a sequence: expected a JSON object with \"format\": \"traverse-sequence\"");
    const Json& format = requireMember(j, "format", top);
    if (!format.is_string() || format.get<std::string>() != kJsonFormat)
        top.fail("\"format\" is " + format.dump() + ", expected \"" + std::string(kJsonFormat) + "\"");
    const Json& version = requireMember(j, "version", top);
    if (!version.is_number_integer() || version.get<long long>() < 1)
        top.fail("\"version\" is " + version.dump() + ", expected " + std::to_string(kJsonVersion));
    if (version.get<long long>() > kJsonVersion)
        top.fail("version " + version.dump() + " is newer than this program reads (up to " +
                 std::to_string(kJsonVersion) + ")");
    rejectUnknownKeys(j, {"format", "version", "header", "commands"}, top);

    Sequence s;
    const Json& header = requireMember(j, "header", top);
    const Where hw{source, "header"};
    if (!header.is_object()) hw.fail("expected an object");
    rejectUnknownKeys(header, {"name", "sol", "start", "rover"}, hw);
    auto fields = members(header);
    std::erase_if(fields, [](const auto& f) { return f.first == "start"; });
    const auto convert = [&](const ArgumentSpec& a, const Json* raw) { return jsonValue("", a, raw, hw); };
    const auto hv = collect("", sequenceSpecs(), fields, convert, hw);
    requireAll("", sequenceSpecs(), hv, hw, "rover");
    s.header.name = word(hv[0]);
    s.header.sol = static_cast<int>(number(hv[1]));
    s.header.rover = word(hv[2]);

    const Json& start = requireMember(header, "start", hw);
    const Where sw{source, "header.start"};
    if (!start.is_object()) sw.fail("expected an object");
    const auto convertStart = [&](const ArgumentSpec& a, const Json* raw) { return jsonValue("", a, raw, sw); };
    const auto sv = collect("", startSpecs(), members(start), convertStart, sw);
    requireAll("", startSpecs(), sv, sw);
    s.header.start = Pose{number(sv[0]), number(sv[1]), number(sv[2])};

    const Json& commands = requireMember(j, "commands", top);
    if (!commands.is_array()) Where{source, "commands"}.fail("expected an array");
    for (std::size_t i = 0; i < commands.size(); ++i) {
        const Where cw{source, commandWhere(i)};
        const Json& c = commands[i];
        if (!c.is_object()) cw.fail("expected an object with \"stem\" and \"args\"");
        rejectUnknownKeys(c, {"stem", "args"}, cw);
        const Json& stem = requireMember(c, "stem", cw);
        if (!stem.is_string()) cw.fail("\"stem\" is " + stem.dump() + ", expected a command stem");
        const auto index = findStem(stem.get<std::string>());
        if (!index) cw.fail(unknownStemReason(stem.get<std::string>()));
        const CommandSpec& spec = commandDictionary()[*index];
        std::vector<std::pair<std::string, const Json*>> args;
        if (const auto a = c.find("args"); a != c.end()) {
            if (!a->is_object()) cw.fail(spec.stem + ": \"args\" is " + a->dump() + ", expected an object");
            args = members(*a);
        }
        const auto convertArg = [&](const ArgumentSpec& a, const Json* raw) { return jsonValue(spec.stem, a, raw, cw); };
        const auto values = collect(spec.stem, spec.arguments, args, convertArg, cw);
        requireAll(spec.stem, spec.arguments, values, cw);
        s.commands.push_back(makeCommand(*index, values));
    }
    return s;
}

std::string sequenceToText(const Sequence& s) {
    const auto& seq = sequenceSpecs();
    const auto& start = startSpecs();
    std::string out = "# Traverse drive sequence (docs/commands.md)\n";
    out += "SEQUENCE " + argumentText(seq[0], s.header.name) + " " + argumentText(seq[1], double(s.header.sol)) + " " +
           argumentText(seq[2], s.header.rover) + "\n";
    out += "START " + argumentText(start[0], s.header.start.e) + " " + argumentText(start[1], s.header.start.n) + " " +
           argumentText(start[2], s.header.start.headingDeg) + "\n";
    for (const Command& c : s.commands) {
        const CommandSpec& spec = commandDictionary().at(c.index());
        const std::vector<Value> values = commandValues(c);
        out += spec.stem;
        for (std::size_t k = 0; k < values.size(); ++k) {
            out += ' ';
            out += argumentText(spec.arguments[k], values[k]);
        }
        out += "\n";
    }
    return out;
}

Sequence sequenceFromText(const std::string& text, const std::string& source) {
    Sequence s;
    std::size_t sequenceLine = 0, startLine = 0;
    std::size_t lineNumber = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        ++lineNumber;

        const Where where{source, lineWhere(lineNumber)};
        const std::vector<Token> tokens = tokenize(line, where);
        if (tokens.empty()) continue;
        if (tokens[0].eq) where.fail("expected a command stem at the start of the line, got '" + std::string(line) + "'");
        const std::string& keyword = tokens[0].text;
        std::vector<std::pair<std::string, std::string>> args;
        for (std::size_t t = 1; t < tokens.size(); ++t) {
            const Token& tok = tokens[t];
            if (!tok.eq) where.fail(keyword + ": expected name=value, got '" + tok.text + "'");
            if (*tok.eq == 0) where.fail(keyword + ": missing argument name before '='");
            args.emplace_back(tok.text.substr(0, *tok.eq), tok.text.substr(*tok.eq));
        }

        if (keyword == "SEQUENCE") {
            if (sequenceLine) where.fail("second SEQUENCE header (the first is on " + lineWhere(sequenceLine) + ")");
            const auto convert = [&](const ArgumentSpec& a, const std::string& raw) {
                return textValue(keyword, a, raw, where);
            };
            const auto v = collect(keyword, sequenceSpecs(), args, convert, where);
            requireAll(keyword, sequenceSpecs(), v, where, "rover");
            s.header.name = word(v[0]);
            s.header.sol = static_cast<int>(number(v[1]));
            s.header.rover = word(v[2]);
            sequenceLine = lineNumber;
        } else if (keyword == "START") {
            if (startLine) where.fail("second START header (the first is on " + lineWhere(startLine) + ")");
            const auto convert = [&](const ArgumentSpec& a, const std::string& raw) {
                return textValue(keyword, a, raw, where);
            };
            const auto v = collect(keyword, startSpecs(), args, convert, where);
            requireAll(keyword, startSpecs(), v, where);
            s.header.start = Pose{number(v[0]), number(v[1]), number(v[2])};
            startLine = lineNumber;
        } else {
            const auto index = findStem(keyword);
            if (!index) where.fail(unknownStemReason(keyword));
            if (!sequenceLine) where.fail("missing SEQUENCE header before the first command " + keyword);
            if (!startLine) where.fail("missing START header before the first command " + keyword);
            const CommandSpec& spec = commandDictionary()[*index];
            const auto convert = [&](const ArgumentSpec& a, const std::string& raw) {
                return textValue(keyword, a, raw, where);
            };
            const auto values = collect(keyword, spec.arguments, args, convert, where);
            requireAll(keyword, spec.arguments, values, where);
            s.commands.push_back(makeCommand(*index, values));
        }
    }
    const Where file{source, {}};
    if (!sequenceLine) file.fail("missing SEQUENCE header line (SEQUENCE name=... sol=... rover=...)");
    if (!startLine) file.fail("missing START header line (START e=... n=... heading_deg=...)");
    return s;
}

Sequence loadSequence(const std::filesystem::path& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) throw Error(Kind::NotFound, path.string() + ": no such sequence file");
    if (fs::is_directory(status)) throw Error(Kind::Io, path.string() + ": is a folder, not a sequence file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throwErrno(path, "cannot open", errno);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(Kind::Io, path.string() + ": read failed");
    return isJsonPath(path) ? sequenceFromJson(text, path.string()) : sequenceFromText(text, path.string());
}

void saveSequence(const Sequence& s, const std::filesystem::path& path) {
    validateSequence(s, path.string());
    traverse::writeFileAtomically(path, isJsonPath(path) ? sequenceToJson(s) : sequenceToText(s));
}

void validateSequence(const Sequence& s, const std::string& source) {
    const Where hw{source, "header", Kind::InvalidArgument};
    if (const auto why = checkValue(sequenceSpecs()[1], double(s.header.sol))) hw.fail(*why);
    const Where sw{source, "header.start", Kind::InvalidArgument};
    const std::array<double, 3> start = {s.header.start.e, s.header.start.n, s.header.start.headingDeg};
    for (std::size_t k = 0; k < start.size(); ++k)
        if (const auto why = checkValue(startSpecs()[k], start[k])) sw.fail(*why);
    for (std::size_t i = 0; i < s.commands.size(); ++i) {
        const Command& c = s.commands[i];
        const Where cw{source, commandWhere(i), Kind::InvalidArgument};
        if (c.valueless_by_exception()) cw.fail("empty command");
        const CommandSpec& spec = commandDictionary().at(c.index());
        const std::vector<Value> values = commandValues(c);
        for (std::size_t k = 0; k < values.size(); ++k)
            if (const auto why = checkValue(spec.arguments[k], values[k])) cw.fail(spec.stem + ": " + *why);
    }
}

}  // namespace traverse::twin
