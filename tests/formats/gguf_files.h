// GGUF files built byte by byte for the reader's tests (gguf_test.cpp, gguf_hostile_test.cpp):
// the expected values come from the bytes written, not from the reader.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "formats/gguf.h"
#include "safetensors_files.h"

namespace attnscope::testing {

// Little-endian fields appended to a byte string.
struct Bytes {
    std::string s;
    template <class T>
    Bytes& put(T value) {
        char buf[sizeof(T)];
        std::memcpy(buf, &value, sizeof(T));   // x86-64 is little-endian, as the format
        s.append(buf, sizeof(T));
        return *this;
    }
    Bytes& u8(std::uint8_t v) { return put(v); }
    Bytes& u32(std::uint32_t v) { return put(v); }
    Bytes& u64(std::uint64_t v) { return put(v); }
    Bytes& str(const std::string& text) {
        u64(text.size());
        s += text;
        return *this;
    }
};

// Value type ids from the spec (gguf_metadata_value_type).
enum : std::uint32_t { kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kStr = 8, kArr = 9, kU64 = 10, kI64 = 11, kF64 = 12 };
// ggml type ids (ggml.h).
enum : std::uint32_t { kTypeF32 = 0, kTypeF16 = 1, kTypeQ4_0 = 2, kTypeQ8_0 = 8, kTypeQ4_K = 12, kTypeF64 = 28, kTypeBF16 = 30 };

// A GGUF file: header, metadata pairs, tensor infos, zero padding to `alignment`, data. Counts are
// those of what was added unless overridden, so a test can make the header lie.
struct GgufWriter {
    std::uint32_t version = 3;
    std::uint32_t alignment = 32;   // used for the padding only; add general.alignment to change the file's
    std::optional<std::uint64_t> kv_count, tensor_count;
    Bytes kvs, infos, data;
    std::uint64_t n_kv = 0, n_tensors = 0;

    // A key and a value already encoded (type id first).
    GgufWriter& kv(const std::string& key, const Bytes& typed_value) {
        kvs.str(key);
        kvs.s += typed_value.s;
        ++n_kv;
        return *this;
    }
    GgufWriter& kv_u32(const std::string& key, std::uint32_t v) { return kv(key, Bytes().u32(kU32).u32(v)); }
    GgufWriter& kv_str(const std::string& key, const std::string& v) { return kv(key, Bytes().u32(kStr).str(v)); }
    GgufWriter& tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type, std::uint64_t offset) {
        infos.str(name).u32(static_cast<std::uint32_t>(dims.size()));
        for (std::uint64_t d : dims) infos.u64(d);
        infos.u32(type).u64(offset);
        ++n_tensors;
        return *this;
    }
    // A tensor whose bytes are appended to the data section at the next aligned offset.
    GgufWriter& tensor_with_data(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type,
                                 const std::string& bytes) {
        while (data.s.size() % alignment != 0) data.s += '\0';
        tensor(name, std::move(dims), type, data.s.size());
        data.s += bytes;
        return *this;
    }
    std::string header() const {
        Bytes h;
        h.s = "GGUF";
        h.u32(version).u64(tensor_count.value_or(n_tensors)).u64(kv_count.value_or(n_kv));
        return h.s;
    }
    std::string bytes() const {
        std::string out = header() + kvs.s + infos.s;
        while (out.size() % alignment != 0) out += '\0';
        return out + data.s;
    }
};

// A typed metadata value: an array of strings (tokenizer.ggml.tokens, merges).
inline Bytes strings(const std::vector<std::string>& items) {
    Bytes b;
    b.u32(kArr).u32(kStr).u64(items.size());
    for (const std::string& s : items) b.str(s);
    return b;
}

inline std::string f32_bytes(std::initializer_list<float> values) {
    Bytes b;
    for (float v : values) b.put(v);
    return b.s;
}

inline Result<GgufFile> open_bytes(const TempDir& dir, const std::string& bytes, const std::string& name = "model.gguf") {
    return GgufFile::open(dir.write(name, bytes));
}

// The message of a file that must be refused; it must start with the file's path.
inline std::string open_error(const std::string& bytes) {
    const TempDir dir;
    const std::filesystem::path file = dir.write("bad.gguf", bytes);
    const Result<GgufFile> result = GgufFile::open(file);
    EXPECT_FALSE(result.ok()) << "a malformed file was accepted";
    if (result.ok()) return "<opened>";
    EXPECT_THAT(result.error().message, ::testing::StartsWith(file.string() + ": "));
    return result.error().message;
}

// A minimal valid file to start hostile variants from: one key, one F32 tensor [2].
inline GgufWriter small_file() {
    GgufWriter w;
    w.kv_str("general.architecture", "llama");
    w.tensor_with_data("w", {2}, kTypeF32, f32_bytes({1.0f, 2.0f}));
    return w;
}

// Every scalar type at values that show a wrong width or sign, strings, and arrays of each kind.
inline GgufWriter every_type_file() {
    GgufWriter w;
    w.kv("t.u8", Bytes().u32(kU8).u8(255))
        .kv("t.i8", Bytes().u32(kI8).put<std::int8_t>(-128))
        .kv("t.u16", Bytes().u32(kU16).put<std::uint16_t>(65535))
        .kv("t.i16", Bytes().u32(kI16).put<std::int16_t>(-32768))
        .kv("t.u32", Bytes().u32(kU32).u32(4294967295u))
        .kv("t.i32", Bytes().u32(kI32).put<std::int32_t>(-2147483647 - 1))
        .kv("t.f32", Bytes().u32(kF32).put(0.1f))
        .kv("t.true", Bytes().u32(kBool).u8(1))
        .kv("t.false", Bytes().u32(kBool).u8(0))
        .kv("t.str", Bytes().u32(kStr).str("caf\xc3\xa9 \xe2\x96\x81"))
        .kv("t.empty", Bytes().u32(kStr).str(""))
        .kv("t.u64", Bytes().u32(kU64).u64(18446744073709551615ull))
        .kv("t.i64", Bytes().u32(kI64).put<std::int64_t>(std::numeric_limits<std::int64_t>::min()))
        .kv("t.f64", Bytes().u32(kF64).put(2.718281828459045))
        .kv("t.strings", Bytes().u32(kArr).u32(kStr).u64(3).str("<s>").str("").str("\xe2\x96\x81the"))
        .kv("t.floats", Bytes().u32(kArr).u32(kF32).u64(3).put(-1.5f).put(0.0f).put(1e30f))
        .kv("t.i32s", Bytes().u32(kArr).u32(kI32).u64(2).put<std::int32_t>(-7).put<std::int32_t>(3))
        .kv("t.bools", Bytes().u32(kArr).u32(kBool).u64(2).u8(1).u8(0))
        .kv("t.none", Bytes().u32(kArr).u32(kU8).u64(0))
        .kv("t.nested", Bytes().u32(kArr).u32(kArr).u64(2)
                            .u32(kU16).u64(2).put<std::uint16_t>(1).put<std::uint16_t>(2)
                            .u32(kStr).u64(1).str("x"));
    w.tensor_with_data("a.weight", {3, 2}, kTypeF32, f32_bytes({1, 2, 3, 4, 5, 6}));
    std::string q8(2 * 34, '\0');   // two Q8_0 blocks: [32, 2]
    for (std::size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<char>(i);
    w.tensor_with_data("b.weight", {32, 2}, kTypeQ8_0, q8);
    return w;
}

}  // namespace attnscope::testing
