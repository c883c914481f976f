#pragma once
// JSON parsing that refuses a key repeated in one object. JSON parsers silently keep one of two
// equal keys, which would hide an edit that had no effect; every document Traverse reads (rover
// configurations, sequences, plans) is parsed through this.
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>

namespace traverse::twin {

// Called for a repeated key with the path of the object holding it ("" at the top level, then
// "a.b[3].c" style) and the key; it is expected to throw the caller's error.
using DuplicateKeyHandler = std::function<void(const std::string& objectPath, const std::string& key)>;

// Parses `text`; nlohmann's exceptions (malformed JSON) pass through for the caller to word. The
// ordered form keeps the file's key order (for documents written back as they were read).
nlohmann::json parseStrictJson(const std::string& text, const DuplicateKeyHandler& onDuplicate);
nlohmann::ordered_json parseStrictOrderedJson(const std::string& text, const DuplicateKeyHandler& onDuplicate);

}  // namespace traverse::twin
