#pragma once
// A drive sequence: a header and an ordered list of commands. Round-trips through JSON and through a
// human-readable text form (docs/commands.md). Bad input is an Error naming the line (text) or the
// command index (JSON) and the reason: unknown command, argument out of range, missing argument.
#include "twin/command.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace traverse::twin {

struct Pose {
    double e = 0.0, n = 0.0;    // map frame, metres
    double headingDeg = 0.0;    // clockwise from north
};

struct SequenceHeader {
    std::string name;
    int sol = 0;
    Pose start;
    std::string rover;          // rover configuration name or file
};

struct Sequence {
    SequenceHeader header;
    std::vector<Command> commands;
};

std::string sequenceToJson(const Sequence& s);
Sequence sequenceFromJson(const std::string& json, const std::string& source);
std::string sequenceToText(const Sequence& s);
Sequence sequenceFromText(const std::string& text, const std::string& source);
// By extension: .json → JSON, anything else → text. Throws Error naming the file.
Sequence loadSequence(const std::filesystem::path& path);
void saveSequence(const Sequence& s, const std::filesystem::path& path);  // atomic

// Throws Error (InvalidArgument) naming the command index and argument when a value is out of the
// dictionary's range or not finite.
void validateSequence(const Sequence& s, const std::string& source);

}  // namespace traverse::twin
