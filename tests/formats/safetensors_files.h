// Safetensors files built byte by byte for the reader's tests (safetensors_test.cpp and
// safetensors_checkpoint_test.cpp): an 8-byte little-endian header length, a header typed by
// hand, and data written from known bit patterns.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <system_error>

#include "test_scratch.h"

namespace attnscope::testing {

// A fresh folder per test (in the process's scratch folder), removed afterwards.
class TempDir {
public:
    TempDir() : m_path(test_scratch_dir()) {}
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    const std::filesystem::path& path() const { return m_path; }

    std::filesystem::path write(const std::string& name, const std::string& bytes) const {
        const std::filesystem::path file = m_path / name;
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return file;
    }

private:
    std::filesystem::path m_path;
};

inline std::string le_bytes(std::uint64_t value, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    return out;
}

inline std::string u64_le(std::uint64_t value) { return le_bytes(value, 8); }

// A whole file: the header length, the header, the data section.
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
    return u64_le(header.size()) + header + data;
}

inline std::string f32_le(std::initializer_list<float> values) {
    std::string out;
    for (float v : values) {
        std::uint32_t bits;
        std::memcpy(&bits, &v, 4);
        out += le_bytes(bits, 4);
    }
    return out;
}

inline std::string u16_le(std::initializer_list<std::uint16_t> values) {
    std::string out;
    for (std::uint16_t v : values) out += le_bytes(v, 2);
    return out;
}

}  // namespace attnscope::testing
