// Sections: [SECTION] Editing  [SECTION] Computing  [SECTION] Files
#include "attnscope/playground.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "attnscope/json_model.h"
#include "attnscope/transformer.h"
#include "attnscope/word_tokenizer.h"

namespace attnscope {

namespace {

constexpr const char* kNormalisationNames[] = {"softmax", "plain"};
static_assert(std::size(kNormalisationNames) == static_cast<std::size_t>(Normalisation::Count), "name every normalisation");

RowVector vec(std::initializer_list<float> values) {
    RowVector v(static_cast<Index>(values.size()));
    Index c = 0;
    for (float x : values) v[c++] = x;
    return v;
}

RowVector resized(const RowVector& v, int d) {
    RowVector out = RowVector::Zero(d);
    const Index keep = std::min<Index>(d, v.size());
    out.head(keep) = v.head(keep);
    return out;
}

}  // namespace

const char* normalisation_name(Normalisation n) { return kNormalisationNames[static_cast<int>(n)]; }

// [SECTION] Editing

float Playground::default_scale() const { return 1.0f / std::sqrt(static_cast<float>(d)); }

void Playground::set_dim(int new_d) {
    d = std::clamp(new_d, kPlaygroundMinDim, kPlaygroundMaxDim);
    for (PlaygroundToken& t : tokens) {
        t.q = resized(t.q, d);
        t.k = resized(t.k, d);
        t.v = resized(t.v, d);
    }
}

void Playground::add_token() {
    if (static_cast<int>(tokens.size()) >= kPlaygroundMaxTokens) return;
    // The next unused capital letter: A, B, C, D, ...
    std::string name;
    for (char c = 'A'; c <= 'Z' && name.empty(); ++c) {
        const bool used = std::any_of(tokens.begin(), tokens.end(), [&](const PlaygroundToken& t) { return t.name == std::string(1, c); });
        if (!used) name = std::string(1, c);
    }
    tokens.push_back({name, RowVector::Zero(d), RowVector::Zero(d), RowVector::Zero(d)});
}

void Playground::remove_token(int t) {
    if (tokens.size() <= 1 || t < 0 || t >= static_cast<int>(tokens.size())) return;
    tokens.erase(tokens.begin() + t);
    if (query > t || query >= static_cast<int>(tokens.size())) query = std::max(0, query - 1);
}

Playground abc_playground() {
    Playground p;
    p.d = 3;
    p.tokens = {{"A", vec({1, 2, -1}), vec({3, -1, 0}), vec({1, 0, 1})},
                {"B", vec({0, 1, 1}), vec({3, -1, -1}), vec({-1, 2, 0})},
                {"C", vec({1, 0, 1}), vec({0, 1, -3}), vec({1, 1, 1})}};
    p.query = 0;
    p.scale = p.default_scale();
    return p;
}

// [SECTION] Computing

namespace {

// exps: n, the unnormalised weights; returns them divided by their sum (1/n each when it is 0).
std::vector<float> normalised(std::vector<float> exps) {
    float sum = 0.0f;
    for (float e : exps) sum += e;
    for (float& e : exps) e = sum > 0.0f ? e / sum : 1.0f / static_cast<float>(exps.size());
    return exps;
}

// Softmax: exp(s - max s) so exp cannot overflow; the max cancels in the division. Plain: max(s, 0).
std::vector<float> unnormalised(const std::vector<float>& scores, Normalisation n) {
    std::vector<float> out(scores.size());
    const float top = *std::max_element(scores.begin(), scores.end());
    for (std::size_t j = 0; j < scores.size(); ++j)
        out[j] = n == Normalisation::Softmax ? std::exp(scores[j] - top) : std::max(scores[j], 0.0f);
    return out;
}

}  // namespace

PlaygroundResult compute_playground(const Playground& p) {
    PlaygroundResult r;
    if (p.tokens.empty()) return r;
    const RowVector& q = p.tokens[static_cast<std::size_t>(std::clamp(p.query, 0, static_cast<int>(p.tokens.size()) - 1))].q;
    for (const PlaygroundToken& t : p.tokens) {
        r.raw.push_back(q.dot(t.k));
        r.scores.push_back(r.raw.back() * p.scale);
    }
    r.weights = normalised(unnormalised(r.scores, p.normalisation));
    r.weights_unscaled = normalised(unnormalised(r.raw, p.normalisation));
    // Shown as exp(score) itself, not shifted, for the formula on screen (scores here are small).
    for (float s : r.scores) r.exps.push_back(p.normalisation == Normalisation::Softmax ? std::exp(s) : std::max(s, 0.0f));
    r.out = RowVector::Zero(p.d);
    for (std::size_t j = 0; j < p.tokens.size(); ++j) r.out += r.weights[j] * p.tokens[j].v;
    return r;
}

// [SECTION] Files

namespace {

bool is_word(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
}

// Checks the names before anything is built: one word each, all different, not "<unk>".
std::optional<Error> check_names(const Playground& p) {
    std::set<std::string> seen;
    for (const PlaygroundToken& t : p.tokens) {
        if (!is_word(t.name)) return Error{"token name \"" + t.name + "\": expected one word of letters and digits"};
        if (!seen.insert(t.name).second) return Error{"token name \"" + t.name + "\": expected every name to be different"};
    }
    return std::nullopt;
}

std::string describe(const Playground& p) {
    return "AttnScope playground: d=" + std::to_string(p.d) + ", query=" + std::to_string(p.query) +
           ", normalisation=" + normalisation_name(p.normalisation);
}

// "key=<int>" inside the description, or `fallback`.
int described_int(const std::string& text, const std::string& key, int fallback) {
    const std::size_t at = text.find(key + "=");
    if (at == std::string::npos) return fallback;
    try { return std::stoi(text.substr(at + key.size() + 1)); } catch (const std::exception&) { return fallback; }
}

TransformerWeights playground_weights(const Playground& p, int d_model) {
    const int n = static_cast<int>(p.tokens.size());
    TransformerWeights w;
    w.token_embedding = Matrix::Zero(n + 1, d_model);  // row 0: <unk>, contributes nothing
    TransformerLayerWeights l;
    l.wq = l.wk = l.wv = Matrix::Zero(d_model, d_model);
    for (int t = 0; t < n; ++t) {
        w.token_embedding(t + 1, t) = 1.0f;  // one-hot: token t reads row t of each W
        const PlaygroundToken& tok = p.tokens[static_cast<std::size_t>(t)];
        l.wq.row(t).head(p.d) = tok.q;
        l.wk.row(t).head(p.d) = tok.k;
        l.wv.row(t).head(p.d) = tok.v;
    }
    l.bq = l.bk = l.bv = l.bo = RowVector::Zero(d_model);
    l.wo = Matrix::Identity(d_model, d_model);
    l.has_wo = false;
    w.layers.push_back(std::move(l));
    return w;
}

}  // namespace

Result<std::string> write_playground_json(const Playground& p) {
    if (auto bad = check_names(p)) return *bad;
    const int d_model = std::max(static_cast<int>(p.tokens.size()), p.d);
    TransformerConfig c;
    c.d_model = d_model;
    c.n_heads = 1;
    c.n_layers = 1;
    c.d_ff = 0;
    c.max_len = 64;
    c.causal = false;
    c.positional = Positional::None;
    c.norm = Norm::None;
    c.attn_scale = p.scale;
    std::vector<std::string> vocab = {"<unk>"};
    for (const PlaygroundToken& t : p.tokens) vocab.push_back(t.name);
    ModelInfo info;
    info.name = "playground";
    info.description = describe(p);
    const TransformerModel model(info, c, playground_weights(p, d_model),
                                 std::make_shared<WordTokenizer>(std::move(vocab), false, "<unk>"));
    return write_json_model(model);
}

namespace {

// The highest column any q, k or v uses, plus one.
int used_width(const Matrix& q, const Matrix& k, const Matrix& v) {
    int width = 0;
    for (Index c = 0; c < q.cols(); ++c)
        if (q.col(c).any() || k.col(c).any() || v.col(c).any()) width = static_cast<int>(c) + 1;
    return width;
}

}  // namespace

Result<Playground> read_playground_json(const std::string& text, const std::string& source) {
    auto loaded = load_json_model_text(text, source);
    if (!loaded.ok()) return loaded.error();
    const auto* model = dynamic_cast<const TransformerModel*>(loaded.value().get());
    const auto* tokenizer = model ? dynamic_cast<const WordTokenizer*>(&model->tokenizer()) : nullptr;
    if (!model || !tokenizer) return Error{source + ": expected an own-format model with a word tokenizer"};
    const TransformerConfig& c = model->config();
    if (c.n_layers != 1 || c.n_heads != 1)
        return Error{source + ": expected 1 layer with 1 head, got " + std::to_string(c.n_layers) + " layers with " +
                     std::to_string(c.n_heads) + " heads"};
    // Each token's q, k, v: its embedding times W (+ b), exactly what the forward pass computes.
    const TransformerWeights& w = model->weights();
    const TransformerLayerWeights& l = w.layers[0];
    Matrix q, k, v;
    std::vector<std::string> names;
    for (int r = 0; r < tokenizer->vocab_size(); ++r) {
        if (tokenizer->vocab()[static_cast<std::size_t>(r)] == tokenizer->unk()) continue;
        names.push_back(tokenizer->vocab()[static_cast<std::size_t>(r)]);
        const RowVector e = w.token_embedding.row(r);
        q.conservativeResize(static_cast<Index>(names.size()), c.d_model);
        k.conservativeResize(q.rows(), c.d_model);
        v.conservativeResize(q.rows(), c.d_model);
        q.row(q.rows() - 1) = e * l.wq + l.bq;
        k.row(k.rows() - 1) = e * l.wk + l.bk;
        v.row(v.rows() - 1) = e * l.wv + l.bv;
    }
    if (names.empty() || static_cast<int>(names.size()) > kPlaygroundMaxTokens)
        return Error{source + ": expected 1 to " + std::to_string(kPlaygroundMaxTokens) + " tokens besides " +
                     tokenizer->unk() + ", got " + std::to_string(names.size())};
    const int width = used_width(q, k, v);
    Playground p;
    p.d = std::clamp(described_int(model->info().description, "d", width), kPlaygroundMinDim, kPlaygroundMaxDim);
    if (width > p.d)
        return Error{source + ": expected vectors of at most " + std::to_string(kPlaygroundMaxDim) +
                     " numbers, got " + std::to_string(width)};
    for (std::size_t t = 0; t < names.size(); ++t) {
        const Index r = static_cast<Index>(t);
        p.tokens.push_back({names[t], q.row(r).head(p.d), k.row(r).head(p.d), v.row(r).head(p.d)});
    }
    p.query = std::clamp(described_int(model->info().description, "query", 0), 0, static_cast<int>(names.size()) - 1);
    p.normalisation = model->info().description.find("normalisation=plain") != std::string::npos ? Normalisation::Plain
                                                                                                 : Normalisation::Softmax;
    p.scale = c.scale();
    return p;
}

}  // namespace attnscope
