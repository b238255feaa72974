#include "attnscope/random_model.h"

#include <cmath>
#include <random>

#include "attnscope/word_tokenizer.h"

namespace attnscope {

namespace {

class Filler {
public:
    explicit Filler(std::uint32_t seed) : m_rng(seed) {}
    Matrix matrix(Index rows, Index cols, float stddev) {
        Matrix m(rows, cols);
        for (Index i = 0; i < m.size(); ++i) m.data()[i] = stddev * m_normal(m_rng);
        return m;
    }
    RowVector vector(Index n, float mean, float stddev) {
        RowVector v(n);
        for (Index i = 0; i < n; ++i) v(i) = mean + stddev * m_normal(m_rng);
        return v;
    }

private:
    std::mt19937 m_rng;
    std::normal_distribution<float> m_normal{0.0f, 1.0f};
};

}  // namespace

std::shared_ptr<const TransformerModel> make_random_transformer(const TransformerConfig& c, int vocab_size,
                                                                std::uint32_t seed, const std::string& name) {
    Filler fill(seed);
    const Index d = c.d_model;
    const float s = 1.0f / std::sqrt(static_cast<float>(d));
    TransformerWeights w;
    w.token_embedding = fill.matrix(vocab_size, d, 1.0f);
    if (c.positional == Positional::Learned) w.position_embedding = fill.matrix(c.max_len, d, 0.5f);
    for (int l = 0; l < c.n_layers; ++l) {
        TransformerLayerWeights layer;
        layer.ln1 = {fill.vector(d, 1.0f, 0.1f), fill.vector(d, 0.0f, 0.1f)};
        layer.ln2 = {fill.vector(d, 1.0f, 0.1f), fill.vector(d, 0.0f, 0.1f)};
        layer.wq = fill.matrix(d, d, 2.0f * s);  // a little sharper than N(0, 1/d): visible patterns
        layer.wk = fill.matrix(d, d, 2.0f * s);
        layer.wv = fill.matrix(d, d, s);
        layer.wo = fill.matrix(d, d, s);
        layer.bq = fill.vector(d, 0.0f, 0.1f);
        layer.bk = fill.vector(d, 0.0f, 0.1f);
        layer.bv = fill.vector(d, 0.0f, 0.1f);
        layer.bo = fill.vector(d, 0.0f, 0.1f);
        if (c.d_ff > 0) {
            layer.w1 = fill.matrix(d, c.d_ff, s);
            layer.b1 = fill.vector(c.d_ff, 0.0f, 0.1f);
            layer.w2 = fill.matrix(c.d_ff, d, 1.0f / std::sqrt(static_cast<float>(c.d_ff)));
            layer.b2 = fill.vector(d, 0.0f, 0.1f);
        }
        w.layers.push_back(std::move(layer));
    }
    w.final_norm = {fill.vector(d, 1.0f, 0.1f), fill.vector(d, 0.0f, 0.1f)};

    std::vector<std::string> vocab = {"<unk>"};
    for (int i = 1; i < vocab_size; ++i) vocab.push_back("w" + std::to_string(i));
    ModelInfo info;
    info.name = name;
    info.description = "random weights (seed " + std::to_string(seed) + ")";
    info.source = "random";
    return std::make_shared<TransformerModel>(std::move(info), c, std::move(w),
                                              std::make_shared<WordTokenizer>(std::move(vocab), true, "<unk>"));
}

}  // namespace attnscope
