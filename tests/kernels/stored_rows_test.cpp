// stored_rows_product (kernels/stored_rows.h) for every weight type it reads and every kernel path
// this CPU runs (ATTNSCOPE_KERNELS's choices), against a float64 product of the same dequantized
// weights (dequantize_row is checked against ggml's values separately, by the GGUF reference
// tests). Shapes cover the edges: rows not a multiple of the 16-row tile, x rows not a multiple
// of 6, depth past one 2,048-value stretch and, for 16-bit types, not a multiple of 16.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "formats/ggml_dequantize.h"
#include "formats/safetensors.h"
#include "kernels/cpu_features.h"
#include "kernels/stored_rows.h"

namespace attnscope {
namespace {

// Random well-formed bytes of `rows` rows of `depth` values: every byte random, then each block's
// float16 scales set to finite values of a sensible size (random bytes there could be NaN or 60,000).
std::vector<std::uint8_t> random_rows(GgmlType type, Index rows, Index depth, std::mt19937& rng) {
    const GgmlTypeInfo& info = ggml_type_info(type);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(rows) * ggml_row_bytes(type, static_cast<std::size_t>(depth)));
    std::uniform_int_distribution<int> byte(0, 255);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(byte(rng));
    std::uniform_int_distribution<int> half_scale(0x1C00, 0x2C00);   // 2^-8 .. 2^-4, positive
    const auto set_half = [&](std::uint8_t* p) {
        const auto h = static_cast<std::uint16_t>(half_scale(rng));
        std::memcpy(p, &h, 2);
    };
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    const std::size_t blocks = bytes.size() / info.block_bytes;
    for (std::size_t i = 0; i < blocks; ++i) {
        std::uint8_t* b = bytes.data() + i * info.block_bytes;
        switch (type) {
            case GgmlType::F16: {
                const float v = value(rng);
                std::uint16_t h = 0;   // float -> half through the F16C-free path: a small exact value
                h = static_cast<std::uint16_t>(0x3800 | (static_cast<std::uint16_t>((v + 1.0f) * 511) & 0x3FF));
                if (v < 0) h |= 0x8000;
                std::memcpy(b, &h, 2);
                break;
            }
            case GgmlType::BF16: {
                const float v = value(rng);
                std::uint32_t bits;
                std::memcpy(&bits, &v, 4);
                const auto h = static_cast<std::uint16_t>(bits >> 16);
                std::memcpy(b, &h, 2);
                break;
            }
            case GgmlType::Q4_1:
            case GgmlType::Q5_1:
            case GgmlType::Q4_K:
            case GgmlType::Q5_K:
                set_half(b);
                set_half(b + 2);
                break;
            case GgmlType::Q6_K: set_half(b + 208); break;
            default: set_half(b);   // Q8_0, Q4_0, Q5_0: d first
        }
    }
    return bytes;
}

struct Case {
    GgmlType type;
    Index rows, depth;
};

class StoredRowsProduct : public ::testing::TestWithParam<Case> {};

TEST_P(StoredRowsProduct, EveryKernelPathMatchesAFloat64ProductOfTheDequantizedWeights) {
    const Case c = GetParam();
    std::mt19937 rng(static_cast<unsigned>(c.rows * 131 + c.depth + static_cast<int>(c.type)));
    const auto bytes = random_rows(c.type, c.rows, c.depth, rng);
    const std::size_t row_bytes = ggml_row_bytes(c.type, static_cast<std::size_t>(c.depth));
    std::vector<std::int32_t> order(static_cast<std::size_t>(c.rows));
    for (Index j = 0; j < c.rows; ++j) order[static_cast<std::size_t>(j)] = static_cast<std::int32_t>((j * 7 + 3) % c.rows);
    const bool permuted = std::gcd(7, static_cast<int>(c.rows)) == 1;

    // W as floats (rows x depth, in the order the product uses), then the float64 reference.
    Eigen::MatrixXd w(c.rows, c.depth);
    std::vector<float> row(static_cast<std::size_t>(c.depth));
    for (Index j = 0; j < c.rows; ++j) {
        const Index stored = permuted ? order[static_cast<std::size_t>(j)] : j;
        dequantize_row(c.type, bytes.data() + static_cast<std::size_t>(stored) * row_bytes, row.size(), row.data());
        for (Index k = 0; k < c.depth; ++k) w(j, k) = row[static_cast<std::size_t>(k)];
    }
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Matrix x(13, c.depth);
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
    RowVector bias(c.rows);
    for (Index j = 0; j < c.rows; ++j) bias(j) = normal(rng);
    Eigen::MatrixXd want = x.cast<double>() * w.transpose();
    want.rowwise() += bias.cast<double>();

    const StoredRows stored{c.type, bytes.data(), c.rows, c.depth, row_bytes, permuted ? order.data() : nullptr};
    const KernelPath before = kernel_path();
    for (KernelPath path : supported_kernel_paths()) {
        set_kernel_path(path);
        const Matrix got = stored_rows_product(x, stored, bias.data());
        ASSERT_EQ(got.rows(), 13);
        ASSERT_EQ(got.cols(), c.rows);
        const double scale = want.cwiseAbs().maxCoeff() + 1.0;
        const double worst = (got.cast<double>() - want).cwiseAbs().maxCoeff();
        EXPECT_LE(worst / scale, 2e-6) << ggml_type_name(c.type) << " on the " << kernel_path_name(path) << " path";
    }
    set_kernel_path(before);
}

INSTANTIATE_TEST_SUITE_P(EveryType, StoredRowsProduct,
                         ::testing::Values(Case{GgmlType::F16, 37, 75}, Case{GgmlType::BF16, 16, 2100}, Case{GgmlType::F16, 5, 4099},
                                           Case{GgmlType::Q8_0, 21, 96}, Case{GgmlType::Q4_0, 33, 2080}, Case{GgmlType::Q4_1, 17, 64},
                                           Case{GgmlType::Q5_0, 19, 160}, Case{GgmlType::Q5_1, 16, 32}, Case{GgmlType::Q4_K, 23, 2304},
                                           Case{GgmlType::Q5_K, 9, 512}, Case{GgmlType::Q6_K, 41, 768}),
                         [](const auto& info) {
                             return std::string(ggml_type_name(info.param.type)) + "_" + std::to_string(info.param.rows) + "x" +
                                    std::to_string(info.param.depth);
                         });

TEST(KernelPaths, TheGenericPathIsAlwaysThereAndTheChoiceIsOneOfThePathsSupported) {
    const auto paths = supported_kernel_paths();
    ASSERT_FALSE(paths.empty());
    EXPECT_EQ(paths.front(), KernelPath::Generic);
    EXPECT_THAT(paths, ::testing::Contains(kernel_path()));
    EXPECT_THROW(set_kernel_path(static_cast<KernelPath>(99)), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope
