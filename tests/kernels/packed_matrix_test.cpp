// packed_product against a plain triple loop in double precision, written here independently,
// over the shapes where a packed kernel goes wrong: rows not a multiple of the 6-row block,
// columns not a multiple of the 64-column panel (padding), depths cut into several blocks,
// a single row or column, biases, both stored layouts, and both the serial and parallel paths.
#include <gtest/gtest.h>

#include <omp.h>

#include <immintrin.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/packed_matrix.h"

namespace attnscope {
namespace {

struct Case {
    Index rows, depth, cols;
};

Matrix random_matrix(Index rows, Index cols, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    Matrix m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = uniform(rng);
    return m;
}

// y[i][j] = bias[j] + sum_k x[i][k] w[k][j], in double.
Eigen::MatrixXd reference_product(const Matrix& x, const Matrix& w, const std::vector<float>* bias) {
    Eigen::MatrixXd y(x.rows(), w.cols());
    for (Index i = 0; i < x.rows(); ++i)
        for (Index j = 0; j < w.cols(); ++j) {
            double sum = bias ? (*bias)[static_cast<std::size_t>(j)] : 0.0;
            for (Index k = 0; k < x.cols(); ++k) sum += static_cast<double>(x(i, k)) * w(k, j);
            y(i, j) = sum;
        }
    return y;
}

// Float rounding over `depth` terms of size <= 1: a few ulps per term at most.
void expect_matches(const Matrix& got, const Eigen::MatrixXd& expected, Index depth, const std::string& what) {
    ASSERT_EQ(got.rows(), expected.rows()) << what;
    ASSERT_EQ(got.cols(), expected.cols()) << what;
    const double tolerance = 1e-6 * static_cast<double>(depth) + 1e-6;
    double worst = 0.0;
    for (Index i = 0; i < got.rows(); ++i)
        for (Index j = 0; j < got.cols(); ++j) worst = std::max(worst, std::abs(got(i, j) - expected(i, j)));
    EXPECT_LT(worst, tolerance) << what;
}

const std::vector<Case> kCases = {
    {1, 1, 1},    {1, 7, 64},   {5, 3, 65},    {6, 16, 63},    {7, 33, 128},  {13, 100, 200},
    {64, 768, 130}, {3, 2100, 70}, {20, 1025, 64}, {1, 3000, 1}, {64, 64, 2304},
};

std::string describe(const Case& c) {
    return std::to_string(c.rows) + " x " + std::to_string(c.depth) + " x " + std::to_string(c.cols);
}

TEST(PackedProduct, StoredInByOutMatchesTheReference) {
    unsigned seed = 1;
    for (const Case& c : kCases) {
        const Matrix x = random_matrix(c.rows, c.depth, seed++), w = random_matrix(c.depth, c.cols, seed++);
        const PackedMatrix packed = PackedMatrix::from_in_out(w.data(), c.depth, c.cols);
        EXPECT_EQ(packed.depth(), c.depth);
        EXPECT_EQ(packed.cols(), c.cols);
        expect_matches(packed_product(x, packed), reference_product(x, w, nullptr), c.depth, describe(c));
    }
}

TEST(PackedProduct, StoredOutByInIsTransposedWhilePacking) {
    unsigned seed = 100;
    for (const Case& c : kCases) {
        const Matrix x = random_matrix(c.rows, c.depth, seed++);
        const Matrix w_out_in = random_matrix(c.cols, c.depth, seed++);  // torch.nn.Linear: out x in
        const Matrix w = w_out_in.transpose();
        const PackedMatrix packed = PackedMatrix::from_out_in(w_out_in.data(), c.cols, c.depth);
        expect_matches(packed_product(x, packed), reference_product(x, w, nullptr), c.depth, describe(c));
    }
}

TEST(PackedProduct, AddsTheBiasToEveryRowOnce) {
    unsigned seed = 200;
    for (const Case& c : kCases) {
        const Matrix x = random_matrix(c.rows, c.depth, seed++), w = random_matrix(c.depth, c.cols, seed++);
        const Matrix b = random_matrix(1, c.cols, seed++);
        const std::vector<float> bias(b.data(), b.data() + b.size());
        const PackedMatrix packed = PackedMatrix::from_in_out(w.data(), c.depth, c.cols);
        // Depths over 1,024 are computed in blocks: a bias added per block would show here.
        expect_matches(packed_product(x, packed, bias.data()), reference_product(x, w, &bias), c.depth, describe(c));
    }
}

TEST(PackedProduct, RowReadersPackTheSameMatrix) {
    const Case c{9, 70, 150};
    const Matrix x = random_matrix(c.rows, c.depth, 7), w = random_matrix(c.depth, c.cols, 8);
    const Matrix w_out_in = w.transpose();
    const auto in_out_rows = [&](Index r, float* out) { Eigen::Map<RowVector>(out, c.cols) = w.row(r); };
    const auto out_in_rows = [&](Index r, float* out) { Eigen::Map<RowVector>(out, c.depth) = w_out_in.row(r); };
    const Eigen::MatrixXd expected = reference_product(x, w, nullptr);
    expect_matches(packed_product(x, PackedMatrix::from_in_out_rows(in_out_rows, c.depth, c.cols)), expected, c.depth,
                   "in x out rows");
    expect_matches(packed_product(x, PackedMatrix::from_out_in_rows(out_in_rows, c.cols, c.depth)), expected, c.depth,
                   "out x in rows");
}

TEST(PackedProduct, GivesTheSameResultInsideAParallelRegion) {
    // Big enough for the parallel path outside; inside a region it runs on one thread.
    const Case c{64, 300, 1000};
    const Matrix x = random_matrix(c.rows, c.depth, 11), w = random_matrix(c.depth, c.cols, 12);
    const PackedMatrix packed = PackedMatrix::from_in_out(w.data(), c.depth, c.cols);
    const Eigen::MatrixXd expected = reference_product(x, w, nullptr);
    expect_matches(packed_product(x, packed), expected, c.depth, "outside");
    Matrix inside;
#pragma omp parallel num_threads(2)
#pragma omp single
    inside = packed_product(x, packed);
    expect_matches(inside, expected, c.depth, "inside");
}

TEST(PackedProduct, EmptyShapesGiveEmptyResults) {
    const PackedMatrix packed = PackedMatrix::from_in_out(nullptr, 0, 0);
    EXPECT_TRUE(packed.empty());
    EXPECT_EQ(packed_product(Matrix(3, 0), packed).size(), 0);
    const Matrix w = random_matrix(4, 5, 3);
    EXPECT_EQ(packed_product(Matrix(0, 4), PackedMatrix::from_in_out(w.data(), 4, 5)).rows(), 0);
}

TEST(PackedProduct, RefusesAMismatchedDepth) {
    const Matrix w = random_matrix(4, 5, 3);
    EXPECT_THROW(packed_product(Matrix(2, 3), PackedMatrix::from_in_out(w.data(), 4, 5)), std::invalid_argument);
}

// [SECTION] 16-bit panels

// BF16 and F16 weights packed as they are and widened by the kernel, on every kernel path this
// CPU runs, from both stored layouts and from rows at odd addresses (safetensors does not align),
// against the double product of the 16-bit values (rounded here: BF16 by truncating the float's
// bits, F16 by the hardware's round-to-nearest conversion).
TEST(PackedMatrix16, BF16AndF16PanelsMatchTheDoubleProductOnEveryKernelPath) {
    for (const auto element : {PackedMatrix::Element::BF16, PackedMatrix::Element::F16}) {
        for (const Case& c : {Case{7, 33, 130}, Case{13, 1100, 64}, Case{1, 5, 3}}) {
            Matrix w = random_matrix(c.depth, c.cols, 5);
            // The stored bytes, one byte off alignment, in out x in (Linear) and in x out (Conv1D) order.
            std::vector<std::uint8_t> out_in(1 + 2 * static_cast<std::size_t>(c.depth * c.cols)), in_out(out_in.size());
            for (Index k = 0; k < c.depth; ++k)
                for (Index j = 0; j < c.cols; ++j) {
                    std::uint16_t h;
                    if (element == PackedMatrix::Element::BF16) {
                        std::uint32_t bits;
                        std::memcpy(&bits, &w(k, j), 4);
                        h = static_cast<std::uint16_t>(bits >> 16);
                        bits = static_cast<std::uint32_t>(h) << 16;
                        std::memcpy(&w(k, j), &bits, 4);
                    } else {
                        h = _cvtss_sh(w(k, j), 0);
                        w(k, j) = _cvtsh_ss(h);
                    }
                    std::memcpy(&out_in[1 + 2 * static_cast<std::size_t>(j * c.depth + k)], &h, 2);
                    std::memcpy(&in_out[1 + 2 * static_cast<std::size_t>(k * c.cols + j)], &h, 2);
                }
            const Matrix x = random_matrix(c.rows, c.depth, 6);
            const auto expected = reference_product(x, w, nullptr);
            const auto packed_out_in = PackedMatrix::from_out_in_16(
                [&](Index j) { return out_in.data() + 1 + 2 * static_cast<std::size_t>(j * c.depth); }, element, c.cols, c.depth);
            const auto packed_in_out = PackedMatrix::from_in_out_16(
                [&](Index k) { return in_out.data() + 1 + 2 * static_cast<std::size_t>(k * c.cols); }, element, c.depth, c.cols);
            EXPECT_EQ(packed_out_in.element_bytes(), 2u);
            const KernelPath before = kernel_path();
            for (KernelPath path : supported_kernel_paths()) {
                set_kernel_path(path);
                const std::string what = describe(c) + (element == PackedMatrix::Element::BF16 ? " BF16 " : " F16 ") + kernel_path_name(path);
                expect_matches(packed_product(x, packed_out_in), expected, c.depth, what + " out x in");
                expect_matches(packed_product(x, packed_in_out), expected, c.depth, what + " in x out");
            }
            set_kernel_path(before);
        }
    }
}

}  // namespace
}  // namespace attnscope
