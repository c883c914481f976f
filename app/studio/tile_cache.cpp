#include "studio/tile_cache.hpp"

namespace traverse::studio {

const QImage* TileCache::find(const TileKey& key) {
    const auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return &it->second->image;
}

void TileCache::insert(const TileKey& key, QImage image) {
    if (const auto it = map_.find(key); it != map_.end()) {
        bytes_ -= it->second->image.sizeInBytes();
        lru_.erase(it->second);
        map_.erase(it);
    }
    bytes_ += image.sizeInBytes();
    lru_.push_front({key, std::move(image)});
    map_[key] = lru_.begin();
    // Never evict the tile just added: a frame needs it even if it alone exceeds the budget.
    while (bytes_ > maxBytes_ && lru_.size() > 1) {
        bytes_ -= lru_.back().image.sizeInBytes();
        map_.erase(lru_.back().key);
        lru_.pop_back();
    }
}

void TileCache::clear() {
    lru_.clear();
    map_.clear();
    bytes_ = 0;
}

}  // namespace traverse::studio
