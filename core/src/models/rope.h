// Rotary position embeddings (RoPE) in Hugging Face's rotate_half layout, shared by the families
// that use them (Llama kinds, GPT-NeoX). A head's first rotary_dims numbers are turned in pairs
// (i, i + rotary_dims / 2); the rest pass unchanged (GPT-NeoX's rotary_pct, Phi-3's
// partial_rotary_factor; all of them for Llama).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/matrix.h"

namespace attnscope {

// The rotary frequencies 1 / theta^(2i / rotary_dims), i < rotary_dims / 2, theta from the
// config's `theta_key` ("rope_theta"; GPT-NeoX: "rotary_emb_base"), adjusted by its rope_scaling
// ("linear" or "llama3"). Throws LoadError naming the key.
std::vector<double> rope_frequencies(const nlohmann::json& cfg, int rotary_dims, const char* theta_key = "rope_theta");

// Rotates each head's pairs (i, i + freq.size()) by position * freq[i], i < freq.size(). x: the
// rows of positions first, first + 1, ... x (heads * d_head): a pass reusing a prefix rotates
// only its new rows.
void apply_rope(Matrix& x, int heads, int d_head, const std::vector<double>& freq, Index first);

}  // namespace attnscope
