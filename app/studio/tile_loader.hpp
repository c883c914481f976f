#pragma once
// Renders map tiles on a small pool of worker threads, so that the UI thread only ever draws tiles
// that are ready. GDAL handles are not thread-safe: each worker reads through its own handle of each
// raster (terrain::Raster::reopen: what to open is taken on the thread that calls reset(), the handle
// opened by the worker itself on its first tile of that raster). Requests are replaced as
// a whole by each frame: a tile no longer visible is dropped before it starts. Results are handed to
// a callback on the worker thread (MapView posts them to the UI thread).
#include "studio/tile_cache.hpp"
#include "studio/tile_source.hpp"

#include <QImage>
#include <QString>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace traverse::terrain {
class Raster;
}

namespace traverse::studio {

class TileLoader {
public:
    struct Job {
        int layer = 0;  // the caller's layer id
        TileKey key;
        std::shared_ptr<const TileSource> source;
    };
    struct Result {
        std::uint64_t generation = 0;
        int layer = 0;
        TileKey key;
        QImage image;         // null when the read failed
        QString error;        // the failure, naming the file
        std::int64_t pixelsRead = 0;
    };
    using Deliver = std::function<void(Result)>;

    // `threads` workers (0: 2..4 depending on the machine). `deliver` runs on a worker thread.
    explicit TileLoader(Deliver deliver, int threads = 0);
    ~TileLoader();  // drops queued jobs, waits for running ones
    TileLoader(const TileLoader&) = delete;
    TileLoader& operator=(const TileLoader&) = delete;

    // Starts a new generation reading `rasters` (sources render from them); queued jobs are dropped
    // and results of older generations still running carry the old number. Call it on the thread
    // that uses `rasters`; each worker opens its own handles on them when it first needs them (a
    // failure to open shows as the tile's error). `keepAlive` owns the rasters. Throws
    // traverse::Error when a raster cannot be described for reopening. Returns the new generation.
    std::uint64_t reset(std::vector<const terrain::Raster*> rasters, std::shared_ptr<const void> keepAlive);
    std::uint64_t generation() const;

    // Replaces the queued jobs by `jobs` (first first). Jobs for tiles already being rendered are
    // not queued again. Returns how many queued jobs were dropped as stale.
    std::size_t request(std::vector<Job> jobs);

    int threadCount() const { return int(workers_.size()); }
    std::size_t queued() const;
    std::size_t running() const;
    // Totals since construction.
    std::int64_t rendered() const;
    std::int64_t dropped() const;

private:
    struct Handles;
    struct Running {
        int layer;
        TileKey key;
    };
    void work(std::stop_token stop);

    Deliver deliver_;
    mutable std::mutex mutex_;
    std::condition_variable_any wake_;
    std::deque<Job> queue_;
    std::vector<Running> running_;
    std::shared_ptr<Handles> handles_;
    std::uint64_t generation_ = 0;
    std::int64_t rendered_ = 0, dropped_ = 0;
    std::vector<std::jthread> workers_;  // last: stopped and joined first
};

}  // namespace traverse::studio
