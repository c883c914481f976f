#include "twin/strict_json.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <vector>

namespace traverse::twin {

namespace {

template <class Json>
Json parseStrict(const std::string& text, const DuplicateKeyHandler& onDuplicate) {
    struct Frame {
        bool array;
        std::string key;  // the object's current key
        long index;       // the array's current element
        std::set<std::string> keys;
    };
    std::vector<Frame> stack;
    auto countElement = [&] {
        if (!stack.empty() && stack.back().array) ++stack.back().index;
    };
    // The path of the innermost object: its ancestors' keys and indices.
    auto objectPath = [&] {
        std::string p;
        // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) about "[" + std::string.
        for (std::size_t i = 0; i + 1 < stack.size(); ++i) {
            if (stack[i].array) {
                p += '[';
                p += std::to_string(stack[i].index);
                p += ']';
            } else {
                if (!p.empty()) p += '.';
                p += stack[i].key;
            }
        }
        return p;
    };
    return Json::parse(text, [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
        using E = Json::parse_event_t;
        switch (event) {
            case E::object_start: countElement(); stack.push_back({false, {}, -1, {}}); break;
            case E::array_start: countElement(); stack.push_back({true, {}, -1, {}}); break;
            case E::object_end:
            case E::array_end: stack.pop_back(); break;
            case E::key: {
                Frame& f = stack.back();
                std::string key = parsed.template get<std::string>();
                if (!f.keys.insert(key).second) onDuplicate(objectPath(), key);
                f.key = std::move(key);
                break;
            }
            case E::value: countElement(); break;
        }
        return true;
    });
}

}  // namespace

nlohmann::json parseStrictJson(const std::string& text, const DuplicateKeyHandler& onDuplicate) {
    return parseStrict<nlohmann::json>(text, onDuplicate);
}

nlohmann::ordered_json parseStrictOrderedJson(const std::string& text, const DuplicateKeyHandler& onDuplicate) {
    return parseStrict<nlohmann::ordered_json>(text, onDuplicate);
}

}  // namespace traverse::twin
