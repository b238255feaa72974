// MappedFile (declared in safetensors.h): a whole file mapped read-only, and the madvise hints
// the weight readers give about its pages. Shared by the safetensors and GGUF readers.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "formats/safetensors.h"
#include "attnscope/text.h"
#include "util/file_read.h"

namespace attnscope {

MappedFile MappedFile::map_or_throw(const std::filesystem::path& path) {
    const std::string where = path.string() + ": ";
    OpenedFile opened;
    try {
        opened = open_regular_file(path);  // never blocks on a FIFO; names a folder or a device
    } catch (const LoadError& e) {
        throw LoadError(where + e.what());
    }
    const int fd = opened.fd;
    MappedFile file;
    file.m_size = static_cast<std::size_t>(opened.size);
    if (file.m_size > 0) {   // mmap refuses a length of 0; an empty file maps to nothing
        void* p = ::mmap(nullptr, file.m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw LoadError(where + "cannot map into memory (" + std::strerror(err) + ")");
        }
        file.m_data = static_cast<std::uint8_t*>(p);
    }
    ::close(fd);   // the mapping keeps the file open
    return file;
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
    try {
        return map_or_throw(path);
    } catch (const LoadError& e) {
        return Error{valid_utf8(e.what())};
    }
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        if (m_data) ::munmap(m_data, m_size);
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

MappedFile::~MappedFile() {
    if (m_data) ::munmap(m_data, m_size);
}

void MappedFile::advise_will_need(std::size_t offset, std::size_t length) const {
    if (!m_data || offset >= m_size) return;
    length = std::min(length, m_size - offset);
    // madvise wants a page-aligned start; the mapping itself starts on a page.
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t start = offset - offset % page;
    ::madvise(m_data + start, length + (offset - start), MADV_WILLNEED);   // a hint: failure is harmless
}

void MappedFile::release_pages(const std::uint8_t* begin, std::size_t length) {
    const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
    const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(begin) + length) / page * page;
    if (end > first) ::madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);   // failure is harmless
}

void MappedFile::populate(const std::uint8_t* begin, std::size_t length) {
    const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t first = reinterpret_cast<std::uintptr_t>(begin) / page * page;
    const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(begin) + length;
    if (end <= first) return;
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22   // Linux 5.14
#endif
    if (::madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_READ) != 0)
        ::madvise(reinterpret_cast<void*>(first), end - first, MADV_WILLNEED);   // older kernels: a hint; failure is harmless
}

}  // namespace attnscope
