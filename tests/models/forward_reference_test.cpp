// The forward pass against a reference written separately: plain loops over std::vector<double>,
// no Eigen, reading the weights straight from the JSON text (so the loader is checked too).
// Compares every layer's and head's q, k, v, scores and weights, and the logits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "attnscope/forward.h"
#include "attnscope/json_model.h"
#include "test_models.h"

namespace attnscope {
namespace {

using Mat = std::vector<std::vector<double>>;
using Vec = std::vector<double>;
using Json = nlohmann::json;

// [SECTION] The reference

Mat mat(const Json& j) { return j.get<Mat>(); }
Vec vec(const Json& j, std::size_t n) { return j.is_null() ? Vec(n, 0.0) : j.get<Vec>(); }

Mat matmul(const Mat& a, const Mat& b) {
    Mat c(a.size(), Vec(b[0].size(), 0.0));
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t k = 0; k < b.size(); ++k)
            for (std::size_t j = 0; j < b[0].size(); ++j) c[i][j] += a[i][k] * b[k][j];
    return c;
}

void add_bias(Mat& m, const Vec& b) {
    for (auto& row : m)
        for (std::size_t j = 0; j < row.size(); ++j) row[j] += b[j];
}

Mat layernorm(const Mat& x, const Json& p, double eps) {
    Mat y = x;
    const Vec g = p["gamma"].get<Vec>(), b = p["beta"].get<Vec>();
    for (std::size_t i = 0; i < x.size(); ++i) {
        double mean = 0, var = 0;
        for (double v : x[i]) mean += v;
        mean /= x[i].size();
        for (double v : x[i]) var += (v - mean) * (v - mean);
        var /= x[i].size();
        for (std::size_t j = 0; j < x[i].size(); ++j) y[i][j] = (x[i][j] - mean) / std::sqrt(var + eps) * g[j] + b[j];
    }
    return y;
}

double activate(double v, const std::string& kind) {
    if (kind == "relu") return v > 0 ? v : 0;
    if (kind == "gelu_tanh") return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
}

struct RefHead { Mat q, k, v, scores, weights; };
struct RefOut { std::vector<std::vector<RefHead>> layers; Mat logits; };

// The sizes and switches of the config, read once.
struct RefConfig {
    int d, H, dh, d_ff;
    bool norm, causal;
    double eps, scale;
    std::string positional, activation;
};

RefConfig ref_config(const Json& c) {
    RefConfig r;
    r.d = c["d_model"];
    r.H = c["n_heads"];
    r.dh = r.d / r.H;
    r.d_ff = c["d_ff"];
    r.norm = c["norm"] == "layernorm";
    r.causal = c["causal"].get<bool>();
    r.eps = c["norm_eps"];
    r.scale = c["attn_scale"].is_null() ? 1 / std::sqrt(double(r.dh)) : c["attn_scale"].get<double>();
    r.positional = c["positional"];
    r.activation = c["activation"];
    return r;
}

Mat ref_embed(const Json& w, const RefConfig& c, const std::vector<int>& ids) {
    const int n = static_cast<int>(ids.size());
    Mat x(n, Vec(c.d));
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < c.d; ++j) {
            x[i][j] = w["token_embedding"][ids[i]][j].get<double>();
            if (c.positional == "learned") x[i][j] += w["position_embedding"][i][j].get<double>();
            if (c.positional == "sinusoidal") {
                const double angle = i / std::pow(10000.0, (j / 2 * 2) / double(c.d));
                x[i][j] += j % 2 == 0 ? std::sin(angle) : std::cos(angle);
            }
        }
    return x;
}

// One head: its q, k, v slices, scores, weights; adds weights v into its columns of `concat`.
RefHead ref_head(const Mat& Q, const Mat& K, const Mat& V, int h, const RefConfig& c, Mat& concat) {
    const int n = static_cast<int>(Q.size()), dh = c.dh;
    RefHead r;
    r.q.assign(n, Vec(dh)); r.k.assign(n, Vec(dh)); r.v.assign(n, Vec(dh));
    for (int i = 0; i < n; ++i)
        for (int e = 0; e < dh; ++e) { r.q[i][e] = Q[i][h * dh + e]; r.k[i][e] = K[i][h * dh + e]; r.v[i][e] = V[i][h * dh + e]; }
    r.scores.assign(n, Vec(n)); r.weights.assign(n, Vec(n));
    for (int i = 0; i < n; ++i) {
        double mx = -1e300;
        for (int j = 0; j < n; ++j) {
            double s = 0;
            for (int e = 0; e < dh; ++e) s += r.q[i][e] * r.k[j][e];
            s *= c.scale;
            if (c.causal && j > i) s = -std::numeric_limits<double>::infinity();
            r.scores[i][j] = s;
            mx = std::max(mx, s);
        }
        double total = 0;
        for (int j = 0; j < n; ++j) total += r.weights[i][j] = std::exp(r.scores[i][j] - mx);
        for (int j = 0; j < n; ++j) r.weights[i][j] /= total;
        for (int e = 0; e < dh; ++e)
            for (int j = 0; j < n; ++j) concat[i][h * dh + e] += r.weights[i][j] * r.v[j][e];
    }
    return r;
}

void ref_add(Mat& x, const Mat& y) {
    for (std::size_t i = 0; i < x.size(); ++i) for (std::size_t j = 0; j < x[i].size(); ++j) x[i][j] += y[i][j];
}

// One block: x += Attn(LN1(x)), then x += MLP(LN2(x)); returns the heads.
std::vector<RefHead> ref_layer(const Json& L, const RefConfig& c, Mat& x) {
    const int n = static_cast<int>(x.size()), d = c.d;
    const Mat a = c.norm ? layernorm(x, L["ln1"], c.eps) : x;
    Mat Q = matmul(a, mat(L["wq"])), K = matmul(a, mat(L["wk"])), V = matmul(a, mat(L["wv"]));
    add_bias(Q, vec(L.value("bq", Json()), d));
    add_bias(K, vec(L.value("bk", Json()), d));
    add_bias(V, vec(L.value("bv", Json()), d));
    std::vector<RefHead> heads;
    Mat concat(n, Vec(d, 0.0));
    for (int h = 0; h < c.H; ++h) heads.push_back(ref_head(Q, K, V, h, c, concat));
    Mat attn = L.contains("wo") ? matmul(concat, mat(L["wo"])) : concat;
    add_bias(attn, vec(L.value("bo", Json()), d));
    ref_add(x, attn);
    if (c.d_ff > 0) {
        Mat hid = matmul(c.norm ? layernorm(x, L["ln2"], c.eps) : x, mat(L["w1"]));
        add_bias(hid, vec(L.value("b1", Json()), c.d_ff));
        for (auto& row : hid) for (double& v : row) v = activate(v, c.activation);
        Mat ff = matmul(hid, mat(L["w2"]));
        add_bias(ff, vec(L.value("b2", Json()), d));
        ref_add(x, ff);
    }
    return heads;
}

RefOut reference_forward(const Json& model, const std::vector<int>& ids) {
    const RefConfig c = ref_config(model["config"]);
    const Json& w = model["weights"];
    Mat x = ref_embed(w, c, ids);
    RefOut out;
    for (const Json& L : w["layers"]) out.layers.push_back(ref_layer(L, c, x));
    const Mat xf = c.norm ? layernorm(x, w["final_norm"], c.eps) : x;
    if (w.contains("lm_head")) {
        out.logits = matmul(xf, mat(w["lm_head"]));
    } else {  // tied: logits = xf E^T
        const Mat e = mat(w["token_embedding"]);
        out.logits.assign(x.size(), Vec(e.size(), 0.0));
        for (std::size_t i = 0; i < x.size(); ++i) for (std::size_t t = 0; t < e.size(); ++t) for (int j = 0; j < c.d; ++j) out.logits[i][t] += xf[i][j] * e[t][j];
    }
    return out;
}

// [SECTION] Comparison

// Largest |a - b| / (1 + |b|) over a matrix; -inf must meet -inf.
double max_error(const Matrix& got, const Mat& want, const std::string& what) {
    EXPECT_EQ(got.rows(), static_cast<Index>(want.size())) << what;
    double worst = 0;
    for (Index i = 0; i < got.rows(); ++i)
        for (Index j = 0; j < got.cols(); ++j) {
            const double w = want[i][j], g = got(i, j);
            if (std::isinf(w)) { EXPECT_EQ(g, w) << what << " (" << i << "," << j << ")"; continue; }
            worst = std::max(worst, std::abs(g - w) / (1 + std::abs(w)));
        }
    return worst;
}

struct Case {
    const char* name;
    testing::TinyShape shape;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ForwardReference : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardReference, MatchesThePlainLoopReferenceInEveryField) {
    const Json json = testing::random_model_json(GetParam().shape, 1234);
    const auto model = load_json_model_text(json.dump(), "reference.json");
    ASSERT_TRUE(model.ok()) << model.error().message;
    const std::string text = "I took the money to the bank .";
    const auto trace = compute_trace(*model.value(), text);
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    std::vector<int> ids;
    for (const Token& t : trace.value()->tokens) ids.push_back(t.id);
    ASSERT_EQ(ids, (std::vector<int>{5, 8, 1, 3, 9, 1, 2, 10})) << "tokenizer ids";

    const RefOut ref = reference_forward(json, ids);
    double worst = 0;
    for (std::size_t l = 0; l < ref.layers.size(); ++l)
        for (std::size_t h = 0; h < ref.layers[l].size(); ++h) {
            const HeadTrace& got = trace.value()->head(static_cast<int>(l), static_cast<int>(h));
            const RefHead& want = ref.layers[l][h];
            const std::string where = "layer " + std::to_string(l) + " head " + std::to_string(h);
            worst = std::max({worst, max_error(got.q, want.q, where + " q"), max_error(got.k, want.k, where + " k"),
                              max_error(got.v, want.v, where + " v"), max_error(got.scores, want.scores, where + " scores"),
                              max_error(got.weights, want.weights, where + " weights")});
        }
    // compute_trace asks a decoder for its last token's logits only (its next-token prediction)
    const Trace& t = *trace.value();
    EXPECT_EQ(t.logits.rows(), GetParam().shape.causal ? 1 : t.n_tokens());
    const Mat ref_rows(ref.logits.begin() + t.logits_first_token, ref.logits.end());
    const double logits_error = max_error(t.logits, ref_rows, "logits");
    // float32 against double through three layers: 1e-4 is the project's tolerance for F32.
    // Without a norm the residual stream grows layer by layer and the scores are dot products of
    // large, partly cancelling terms, so float32's rounding shows more: the order Eigen sums in
    // decides how much (6.8e-5 with AVX-512, 1.7e-4 with the AVX2 baseline build).
    const double tolerance = std::string(GetParam().shape.norm) == "none" ? 3e-4 : 1e-4;
    EXPECT_LT(worst, tolerance) << "largest relative error in q, k, v, scores, weights";
    EXPECT_LT(logits_error, 1e-4);
    std::printf("[ %s ] max relative error: fields %.2e, logits %.2e\n", GetParam().name, worst, logits_error);
}

testing::TinyShape shape(std::function<void(testing::TinyShape&)> edit) {
    testing::TinyShape s;
    s.d_model = 12;
    s.n_heads = 3;
    s.n_layers = 3;
    s.d_ff = 20;
    edit(s);
    return s;
}

INSTANTIATE_TEST_SUITE_P(
    Forward, ForwardReference,
    ::testing::Values(
        Case{"CausalLearnedLayerNormGelu", shape([](auto&) {})},
        Case{"BidirectionalSinusoidalNoNormRelu",
             shape([](auto& s) { s.causal = false; s.positional = "sinusoidal"; s.norm = "none"; s.activation = "relu"; })},
        Case{"CausalNoPositionsGeluTanhUntiedHead",
             shape([](auto& s) { s.positional = "none"; s.activation = "gelu_tanh"; s.lm_head = true; })},
        Case{"BidirectionalNoMlpNoBiasesNoWo",
             shape([](auto& s) { s.causal = false; s.d_ff = 0; s.biases = false; s.wo = false; })},
        Case{"CausalCustomScaleOneHead", shape([](auto& s) { s.n_heads = 1; s.attn_scale = 0.3; })}),
    [](const auto& info) { return std::string(info.param.name); });

// Finite weights can still overflow float32: q = k = 3e38 makes q . k infinite and softmax NaN.
// The trace is refused with a message naming where, instead of showing NaN to a student.
TEST(ForwardOverflow, IsRefusedNamingTheLayerAndHead) {
    const std::string text = R"({"format": "attnscope-model", "version": 1, "name": "overflow",
        "config": {"d_model": 1, "n_heads": 1, "n_layers": 1, "d_ff": 0, "max_len": 4, "causal": false,
                   "positional": "none", "norm": "none"},
        "tokenizer": {"type": "word", "unk": "<unk>", "vocab": ["<unk>", "a"]},
        "weights": {"token_embedding": [[1], [1]], "layers": [{"wq": [[WQ]], "wk": [[3e38]], "wv": [[1]]}]}})";
    const auto with_wq = [&](const std::string& wq) {
        std::string t = text;
        return t.replace(t.find("WQ"), 2, wq);
    };
    const auto overflowing = load_json_model_text(with_wq("3e38"), "overflow.json");
    ASSERT_TRUE(overflowing.ok()) << overflowing.error().message;  // every weight is a finite float
    const auto refused = compute_trace(*overflowing.value(), "a a");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("overflowed at layer 0, head 0"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("too large for 32-bit floats"), std::string::npos) << refused.error().message;

    // Overflowing the other way, q . k = -infinity: weight 0 and a finite output, but the heatmap
    // would draw an unmasked cell as masked.
    const auto negative = load_json_model_text(with_wq("-3e38"), "negative.json");
    ASSERT_TRUE(negative.ok()) << negative.error().message;
    const auto refused_too = compute_trace(*negative.value(), "a a");
    ASSERT_FALSE(refused_too.ok());
    EXPECT_NE(refused_too.error().message.find("overflowed at layer 0, head 0"), std::string::npos);

    const auto fine = load_json_model_text(with_wq("1e-38"), "fine.json");  // the same model, small q
    ASSERT_TRUE(fine.ok()) << fine.error().message;
    EXPECT_TRUE(compute_trace(*fine.value(), "a a").ok());
}

}  // namespace
}  // namespace attnscope
