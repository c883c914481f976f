#pragma once
// Writing a file so that a crash or an error never leaves it half-written: the one implementation
// every module uses for documents (plans, sequences, rover configurations, reports).
#include <filesystem>
#include <string_view>

namespace traverse {

// Writes a temporary file in the target's folder (so that the rename cannot cross file systems),
// fsyncs it, renames it over the target (keeping the replaced file's permissions) and fsyncs the
// folder. The target is replaced whole or not at all. Throws Error (Io, or NotFound when the folder
// does not exist) naming the file and the cause; the temporary file is removed on failure.
void writeFileAtomically(const std::filesystem::path& path, std::string_view text);

}  // namespace traverse
