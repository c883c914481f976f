#pragma once
// A least-recently-used cache of rendered tiles, bounded in bytes.
#include <QImage>

#include <cstdint>
#include <list>
#include <unordered_map>

namespace traverse::studio {

struct TileKey {
    int level = 0, tx = 0, ty = 0;
    bool operator==(const TileKey&) const = default;
};

class TileCache {
public:
    explicit TileCache(std::int64_t maxBytes) : maxBytes_(maxBytes) {}

    // The tile, marked as most recently used, or nullptr. The pointer is valid until the next insert.
    const QImage* find(const TileKey& key);
    bool contains(const TileKey& key) const { return map_.count(key) != 0; }
    // Adds (or replaces) a tile, then evicts the least recently used ones beyond the budget.
    void insert(const TileKey& key, QImage image);
    void clear();

    std::int64_t bytes() const { return bytes_; }
    std::size_t size() const { return map_.size(); }

private:
    struct Hash {
        std::size_t operator()(const TileKey& k) const noexcept {
            return std::hash<std::uint64_t>()((std::uint64_t(std::uint32_t(k.level)) << 48) ^
                                              (std::uint64_t(std::uint32_t(k.tx)) << 24) ^ std::uint32_t(k.ty));
        }
    };
    struct Entry {
        TileKey key;
        QImage image;
    };
    std::int64_t maxBytes_;
    std::int64_t bytes_ = 0;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<TileKey, std::list<Entry>::iterator, Hash> map_;
};

}  // namespace traverse::studio
