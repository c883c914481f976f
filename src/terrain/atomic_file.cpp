#include "terrain/atomic_file.hpp"

#include "terrain/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace traverse {

namespace fs = std::filesystem;

namespace {

// Best effort: makes the rename itself durable. Some file systems refuse fsync on a folder; the
// file's contents are already safe by then, so that is not an error.
void syncFolder(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

}  // namespace

void writeFileAtomically(const fs::path& path, std::string_view text) {
    const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    static std::atomic<unsigned> counter{0};
    fs::path tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) about "." + std::string.
        std::string name = ".";
        name += path.filename().string();
        name += ".tmp.";
        name += std::to_string(::getpid());
        name += '.';
        name += std::to_string(counter++);
        tmp = dir / name;
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
            const int err = errno;
            throw Error(err == ENOENT ? Error::Kind::NotFound : Error::Kind::Io,
                        path.string() + ": cannot write in " + dir.string() + " (" + std::strerror(err) + ")");
        }
    }
    if (fd < 0) throw Error(Error::Kind::Io, path.string() + ": cannot create a temporary file in " + dir.string());
    auto fail = [&](const std::string& what) {
        const std::string why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw Error(Error::Kind::Io, path.string() + ": " + what + " (" + why + ")");
    };
    struct stat old {};
    if (::stat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode)) (void)::fchmod(fd, old.st_mode & 07777);
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write failed");
        }
        p += n;
        left -= std::size_t(n);
    }
    if (::fsync(fd) != 0) fail("fsync failed");
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) fail("write failed on close");
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot move into place");
    syncFolder(dir);
}

}  // namespace traverse
