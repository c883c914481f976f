#include "studio/tile_loader.hpp"

#include "terrain/error.hpp"
#include "terrain/raster.hpp"

#include <algorithm>
#include <optional>

namespace traverse::studio {

// One generation's rasters: the originals (sources name them) and how to open each again.
struct TileLoader::Handles {
    std::uint64_t generation = 0;
    std::vector<const terrain::Raster*> originals;
    std::vector<terrain::Raster::ReopenSpec> specs;
    std::shared_ptr<const void> keepAlive;  // owns the originals (sources read their geometry)
};

namespace {

// A worker's own handles on one generation's rasters, opened on the worker's thread when needed.
struct WorkerHandles {
    const void* generation = nullptr;  // the Handles they belong to
    std::vector<std::optional<terrain::Raster>> rasters;

    template <class H>
    const terrain::Raster& get(const H& h, const terrain::Raster& original) {
        if (generation != &h) {
            rasters.clear();
            rasters.resize(h.originals.size());
            generation = &h;
        }
        for (std::size_t i = 0; i < h.originals.size(); ++i)
            if (h.originals[i] == &original) {
                if (!rasters[i]) rasters[i] = terrain::Raster::reopen(h.specs[i]);
                return *rasters[i];
            }
        return original;  // a source over a raster not registered: only safe single-threaded (tests)
    }
};

}  // namespace

TileLoader::TileLoader(Deliver deliver, int threads) : deliver_(std::move(deliver)) {
    if (threads <= 0) threads = std::clamp(int(std::thread::hardware_concurrency()), 2, 4);
    handles_ = std::make_shared<Handles>();
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this](std::stop_token stop) { work(stop); });
}

TileLoader::~TileLoader() {
    {
        std::lock_guard lock(mutex_);
        queue_.clear();
    }
    for (auto& w : workers_) w.request_stop();
    wake_.notify_all();
    workers_.clear();  // joins
}

std::uint64_t TileLoader::reset(std::vector<const terrain::Raster*> rasters, std::shared_ptr<const void> keepAlive) {
    auto h = std::make_shared<Handles>();
    h->keepAlive = std::move(keepAlive);
    for (const terrain::Raster* r : rasters)
        if (r) {
            h->originals.push_back(r);
            h->specs.push_back(r->reopenSpec());
        }
    std::uint64_t generation;
    {
        std::lock_guard lock(mutex_);
        generation = h->generation = ++generation_;
        dropped_ += std::int64_t(queue_.size());
        queue_.clear();
        handles_ = std::move(h);
    }
    wake_.notify_all();  // idle workers close their handles on the previous rasters
    return generation;
}

std::uint64_t TileLoader::generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
}

std::size_t TileLoader::request(std::vector<Job> jobs) {
    std::size_t stale = 0;
    {
        std::lock_guard lock(mutex_);
        auto same = [](const Job& a, const Job& b) { return a.layer == b.layer && a.key == b.key; };
        for (const Job& old : queue_)
            if (std::none_of(jobs.begin(), jobs.end(), [&](const Job& j) { return same(j, old); })) ++stale;
        dropped_ += std::int64_t(stale);
        queue_.clear();
        for (Job& j : jobs) {
            const bool isRunning = std::any_of(running_.begin(), running_.end(), [&](const Running& r) {
                return r.layer == j.layer && r.key == j.key;
            });
            const bool isQueued = std::any_of(queue_.begin(), queue_.end(), [&](const Job& q) { return same(q, j); });
            if (!isRunning && !isQueued) queue_.push_back(std::move(j));
        }
    }
    wake_.notify_all();
    return stale;
}

std::size_t TileLoader::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}
std::size_t TileLoader::running() const {
    std::lock_guard lock(mutex_);
    return running_.size();
}
std::int64_t TileLoader::rendered() const {
    std::lock_guard lock(mutex_);
    return rendered_;
}
std::int64_t TileLoader::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

void TileLoader::work(std::stop_token stop) {
    WorkerHandles mine;
    std::shared_ptr<Handles> held;  // keeps `mine`'s generation alive while its handles are open
    while (!stop.stop_requested()) {
        Job job;
        std::shared_ptr<Handles> handles;
        {
            std::unique_lock lock(mutex_);
            if (!wake_.wait(lock, stop, [&] { return !queue_.empty() || (held && held != handles_); })) return;
            if (queue_.empty()) {
                // A new generation and nothing to do: let go of the old rasters (and their site).
                std::shared_ptr<Handles> old = std::move(held);
                lock.unlock();
                mine = {};
                old.reset();
                continue;
            }
            job = std::move(queue_.front());
            queue_.pop_front();
            handles = handles_;
            running_.push_back({job.layer, job.key});
        }
        Result r;
        r.generation = handles->generation;
        r.layer = job.layer;
        r.key = job.key;
        try {
            if (held != handles) {
                mine = {};  // closes the previous generation's handles, on this thread
                held = handles;
            }
            const terrain::Raster& from = mine.get(*handles, job.source->raster());
            r.image = job.source->renderFrom(from, job.key.level, job.key.tx, job.key.ty);
            r.pixelsRead = job.source->tileReadCost(job.key.level);
        } catch (const Error& e) {
            r.error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            r.error = QString::fromStdString(e.what());
        }
        // Delivered before the tile leaves the running set, so that a frame in between does not
        // request it again.
        deliver_(std::move(r));
        {
            std::lock_guard lock(mutex_);
            const auto it = std::find_if(running_.begin(), running_.end(), [&](const Running& x) {
                return x.layer == job.layer && x.key == job.key;
            });
            if (it != running_.end()) running_.erase(it);
            ++rendered_;
        }
    }
}

}  // namespace traverse::studio
