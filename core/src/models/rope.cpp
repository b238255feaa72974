// Rotary position embeddings as Hugging Face computes them (see rope.h).
#include "models/rope.h"

#include <cmath>

#include "models/hf_architectures.h"

namespace attnscope {

namespace {

// rope_scaling's adjustment of the rotary frequencies: "linear" divides them by the factor;
// "llama3" divides only the low frequencies and blends the band between.
void scale_rope_frequencies(const nlohmann::json& s, std::vector<double>& freq) {
    const std::string type = config_string(s, "rope_type", config_string(s, "type", "default"));
    if (type == "default") return;
    const double factor = config_positive_float(s, "factor");
    if (type == "linear") {
        for (double& f : freq) f /= factor;
        return;
    }
    if (type != "llama3")
        throw LoadError("config.json: rope_scaling.rope_type: expected \"default\", \"linear\" or \"llama3\", got \"" + type + "\"");
    const double low = config_positive_float(s, "low_freq_factor", 1.0f), high = config_positive_float(s, "high_freq_factor", 4.0f);
    if (!(high > low)) throw LoadError("config.json: rope_scaling.high_freq_factor: expected more than low_freq_factor " + std::to_string(low));
    const double original = config_size(s, "original_max_position_embeddings", config_limits::kPositions, 8192);
    const double low_wavelen = original / low, high_wavelen = original / high;
    for (double& f : freq) {
        const double wavelen = 2 * M_PI / f;
        if (wavelen < high_wavelen) continue;  // high frequencies: unchanged
        if (wavelen > low_wavelen) { f /= factor; continue; }
        const double smooth = (original / wavelen - low) / (high - low);
        f = (1 - smooth) * f / factor + smooth * f;
    }
}

}  // namespace

std::vector<double> rope_frequencies(const nlohmann::json& cfg, int rotary_dims, const char* theta_key) {
    const double theta = config_positive_float(cfg, theta_key, 10000.0f);
    std::vector<double> freq(static_cast<std::size_t>(rotary_dims / 2));
    for (int i = 0; i < rotary_dims / 2; ++i) freq[static_cast<std::size_t>(i)] = 1.0 / std::pow(theta, 2.0 * i / rotary_dims);
    if (!cfg.contains("rope_scaling") || cfg["rope_scaling"].is_null()) return freq;

    const nlohmann::json& s = cfg["rope_scaling"];
    if (!s.is_object()) throw LoadError("config.json: rope_scaling: expected an object or null");
    // The config readers name a key as if it were top-level ("config.json: factor: missing");
    // inside rope_scaling the user must be told where it is.
    const std::string top = "config.json: ", nested = top + "rope_scaling.";
    try {
        scale_rope_frequencies(s, freq);
    } catch (const LoadError& e) {
        const std::string what = e.what();
        if (what.rfind(top, 0) != 0 || what.rfind(nested, 0) == 0) throw;
        throw LoadError(nested + what.substr(top.size()));
    }
    return freq;
}

void apply_rope(Matrix& x, int heads, int d_head, const std::vector<double>& freq, Index first) {
    const int half = static_cast<int>(freq.size());   // rotary_dims / 2
    for (Index r = 0; r < x.rows(); ++r) {
        const Index p = first + r;
        for (int i = 0; i < half; ++i) {
            const double angle = static_cast<double>(p) * freq[static_cast<std::size_t>(i)];
            const auto c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
            for (int h = 0; h < heads; ++h) {
                float& a = x(r, h * d_head + i);
                float& b = x(r, h * d_head + i + half);
                const float a0 = a, b0 = b;
                a = a0 * c - b0 * s;  // rotate_half: [-x2, x1]
                b = b0 * c + a0 * s;
            }
        }
    }
}

}  // namespace attnscope
