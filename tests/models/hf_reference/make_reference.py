#!/usr/bin/env python3
"""Independent reference for AttnScope's Hugging Face loaders.

Writes tiny random checkpoints in the real Hugging Face layouts (tensor names, Conv1D vs Linear
orientation, F32/F16/BF16, one sharded checkpoint, grouped KV heads, tied and untied heads, qwen3's per-head and
olmo2's whole-projection q/k norms, olmo2's norms after the sublayers; phi3's fused qkv_proj / gate_up_proj, gemma's
sqrt(d)-scaled embeddings and (1 + w) norms, gemma2's sandwich norms, sliding-window layers, query_pre_attn_scalar
and soft-capped scores and logits, gemma3_text's per-head q/k norms and local / global RoPE by layer, gpt_neox's
per-head interleaved query_key_value, partial rotary and parallel residual, opt's offset positions, post-LN and
project_in / project_out, roberta's positions from pad_token_id + 1 and lm_head) and,
for each, the forward pass computed here with plain numpy in float64 from the weights exactly
as stored (after rounding to F16/BF16). Written separately from the C++ code, straightforwardly.

    make_reference.py OUT_DIR             the test checkpoints + OUT_DIR/<case>/expected.json
    make_reference.py --gpt2-small DIR    a random GPT-2-small-shaped checkpoint (124M), for benchmarks
    make_reference.py --llama-1b-bf16 DIR a random 1B-parameter Llama-shaped BF16 checkpoint, for benchmarks
    make_reference.py --llama-3b-bf16 DIR a random Llama-3.2-3B-shaped BF16 checkpoint (6.4 GB), for issue 16's memory target
    make_reference.py --llama-long DIR    a random Llama-shaped checkpoint for long inputs: 8 layers, d_model 512,
                                          8 query / 4 KV heads, 16,384 positions, F32 (issue 13's 8,192-token target)
    make_reference.py --bert-base DIR     a random bert-base-shaped F16 checkpoint (110M), for benchmarks
"""
import json
import math
import os
import struct
import sys

import numpy as np

# ---------------------------------------------------------------- safetensors writing

def to_bf16_bits(a):
    """float32 -> bfloat16 bits, rounding to nearest even (as torch does)."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def stored(a, dtype):
    """The bytes a tensor is stored as, and the float64 values those bytes mean."""
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.tobytes(), a.astype(np.float64)
    if dtype == "F16":
        h = a.astype(np.float16)
        return h.tobytes(), h.astype(np.float64)
    if dtype == "BF16":
        bits = to_bf16_bits(a)
        back = (bits.astype(np.uint32) << 16).view(np.float32)
        return bits.tobytes(), back.astype(np.float64)
    raise ValueError(dtype)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype, shape, bytes). Header padded with spaces to 8 bytes, as HF does."""
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


class Checkpoint:
    """Collects tensors as they would be saved, and keeps the float64 values they round to."""

    def __init__(self, rng, dtype):
        self.rng, self.dtype, self.tensors, self.values = rng, dtype, {}, {}

    def add(self, name, shape, scale=0.5, mean=0.0):
        a = mean + scale * self.rng.standard_normal(shape)
        data, value = stored(a, self.dtype)
        self.tensors[name] = (self.dtype, shape, data)
        self.values[name] = value
        return value

    def save(self, folder, shards=1):
        os.makedirs(folder, exist_ok=True)
        names = list(self.tensors)
        if shards == 1:
            write_safetensors(os.path.join(folder, "model.safetensors"), self.tensors)
            return
        weight_map = {}
        for s in range(shards):
            file = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            part = {n: self.tensors[n] for n in names[s::shards]}
            write_safetensors(os.path.join(folder, file), part)
            weight_map.update({n: file for n in part})
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)

# ---------------------------------------------------------------- tokenizer files

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_byte_level_bpe(folder):
    """A GPT-2 style vocab.json + merges.txt: the 256 byte symbols and a few merges."""
    vocab = {s: i for i, s in enumerate(bytes_to_unicode())}
    merges = [("Ġ", "b"), ("a", "n"), ("Ġb", "an"), ("Ġban", "k"), ("t", "h"), ("th", "e"), ("Ġ", "the")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "".join("%s %s\n" % m for m in merges))
    return len(vocab)


def write_wordpiece(folder):
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "bank", "money", "river", "i", "took", "to",
             "sat", "on", "we", ".", ",", "##s", "##ing"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(words) + "\n")
    return len(words)

def write_roberta_bpe(folder):
    """RoBERTa's byte-level BPE (vocab.json + merges.txt as roberta-base ships them): the specials <s>=0, <pad>=1,
    </s>=2, <unk>=3 first, then the 256 byte symbols and the merges of write_byte_level_bpe, <mask> last."""
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for s in bytes_to_unicode():
        vocab[s] = len(vocab)
    merges = [("Ġ", "b"), ("a", "n"), ("Ġb", "an"), ("Ġban", "k"), ("t", "h"), ("th", "e"), ("Ġ", "the")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<mask>"] = len(vocab)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "".join("%s %s\n" % m for m in merges))
    return len(vocab)

# ---------------------------------------------------------------- the reference forward passes

def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def rms_norm(x, g, eps):
    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * g


def gelu_erf(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def attention(q, k, v, n_heads, n_kv, causal, scale, window=None, softcap=None):
    """q: n x (H*dh), k, v: n x (KV*dh). Returns per-head records and the concatenated output.
    window: query i sees only keys j with i - j < window (i - window + 1 ... i with causal), as HF's
    sliding_window_overlay (kv_idx > q_idx - sliding_window); None: no window.
    softcap: each score, after the scale, becomes softcap * tanh(score / softcap) (gemma2's attn_logit_softcapping),
    before the masks. The scores recorded are those values, every masked cell (causal or window) -inf."""
    n, dh = q.shape[0], q.shape[1] // n_heads
    heads, outs = [], []
    for h in range(n_heads):
        kv = h // (n_heads // n_kv)
        qh, kh, vh = q[:, h * dh:(h + 1) * dh], k[:, kv * dh:(kv + 1) * dh], v[:, kv * dh:(kv + 1) * dh]
        scores = np.zeros((n, n))
        weights = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                if (causal and j > i) or (window is not None and i - j >= window):
                    scores[i, j] = -math.inf
                    continue
                scores[i, j] = float(np.dot(qh[i], kh[j])) * scale
                if softcap is not None:
                    scores[i, j] = softcap * math.tanh(scores[i, j] / softcap)
            finite = [s for s in scores[i] if s != -math.inf]
            m = max(finite)
            e = [0.0 if s == -math.inf else math.exp(s - m) for s in scores[i]]
            weights[i] = np.array(e) / sum(e)
        heads.append({"q": qh, "k": kh, "v": vh, "scores": scores, "weights": weights})
        outs.append(weights @ vh)
    return heads, np.concatenate(outs, axis=1)


def gpt2_forward(W, p, cfg, ids):
    d, H = cfg["n_embd"], cfg["n_head"]
    x = W[p + "wte.weight"][ids] + W[p + "wpe.weight"][: len(ids)]
    layers = []
    for l in range(cfg["n_layer"]):
        g = lambda name: W["%sh.%d.%s" % (p, l, name)]
        a = layer_norm(x, g("ln_1.weight"), g("ln_1.bias"), cfg["layer_norm_epsilon"])
        qkv = a @ g("attn.c_attn.weight") + g("attn.c_attn.bias")  # Conv1D: in x out
        scale = 1 / math.sqrt(d // H)
        if cfg.get("scale_attn_by_inverse_layer_idx"):  # HF GPT2Attention: scores / sqrt(d_head) / (l + 1)
            scale /= l + 1
        heads, out = attention(qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:], H, H, True, scale)
        layers.append(heads)
        x = x + out @ g("attn.c_proj.weight") + g("attn.c_proj.bias")
        m = layer_norm(x, g("ln_2.weight"), g("ln_2.bias"), cfg["layer_norm_epsilon"])
        x = x + gelu_tanh(m @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias")) @ g("mlp.c_proj.weight") + g("mlp.c_proj.bias")
    x = layer_norm(x, W[p + "ln_f.weight"], W[p + "ln_f.bias"], cfg["layer_norm_epsilon"])
    return layers, x @ W[p + "wte.weight"].T  # tied head


def bert_forward(W, p, cfg, ids, distil):
    eps = 1e-12 if distil else cfg["layer_norm_eps"]
    H = cfg["n_heads"] if distil else cfg["num_attention_heads"]
    d = cfg["dim"] if distil else cfg["hidden_size"]
    x = W[p + "embeddings.word_embeddings.weight"][ids] + W[p + "embeddings.position_embeddings.weight"][: len(ids)]
    if not distil:
        x = x + W[p + "embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, W[p + "embeddings.LayerNorm.weight"], W[p + "embeddings.LayerNorm.bias"], eps)
    lin = lambda x, name: x @ W[name + ".weight"].T + W[name + ".bias"]  # Linear: out x in
    layers = []
    n_layers = cfg["n_layers"] if distil else cfg["num_hidden_layers"]
    for l in range(n_layers):
        if distil:
            b = "%stransformer.layer.%d." % (p, l)
            names = [b + "attention.q_lin", b + "attention.k_lin", b + "attention.v_lin", b + "attention.out_lin",
                     b + "sa_layer_norm", b + "ffn.lin1", b + "ffn.lin2", b + "output_layer_norm"]
        else:
            b = "%sencoder.layer.%d." % (p, l)
            names = [b + "attention.self.query", b + "attention.self.key", b + "attention.self.value",
                     b + "attention.output.dense", b + "attention.output.LayerNorm", b + "intermediate.dense",
                     b + "output.dense", b + "output.LayerNorm"]
        heads, out = attention(lin(x, names[0]), lin(x, names[1]), lin(x, names[2]), H, H, False, 1 / math.sqrt(d // H))
        layers.append(heads)
        x = layer_norm(x + lin(out, names[3]), W[names[4] + ".weight"], W[names[4] + ".bias"], eps)
        x = layer_norm(x + lin(gelu_erf(lin(x, names[5])), names[6]), W[names[7] + ".weight"], W[names[7] + ".bias"], eps)
    head = ("vocab_transform", "vocab_layer_norm", "vocab_projector.bias") if distil else \
           ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias")
    if head[0] + ".weight" not in W:
        return layers, None
    h = layer_norm(gelu_erf(lin(x, head[0])), W[head[1] + ".weight"], W[head[1] + ".bias"], eps)
    return layers, h @ W[p + "embeddings.word_embeddings.weight"].T + W[head[2]]


def roberta_forward(W, p, cfg, ids):
    """RoBERTa / XLM-RoBERTa (HF RobertaModel, RobertaForMaskedLM; XLMRoberta* are copies). As BERT (post-LN, exact GELU,
    token type 0 added) but position ids from create_position_ids_from_input_ids: a token that is not <pad> at index i
    takes row pad_token_id + 1 + i of position_embeddings (here no padding: rows pad + 1 ... pad + n). RobertaLMHead:
    dense, gelu, layer_norm, then decoder (tied to the word embeddings) plus lm_head.bias (decoder.bias is that same
    tensor). Every LayerNorm with the config's layer_norm_eps."""
    eps, H, d, pad = cfg["layer_norm_eps"], cfg["num_attention_heads"], cfg["hidden_size"], cfg["pad_token_id"]
    positions = [pad + 1 + i for i in range(len(ids))]
    x = W[p + "embeddings.word_embeddings.weight"][ids] + W[p + "embeddings.position_embeddings.weight"][positions] \
        + W[p + "embeddings.token_type_embeddings.weight"][0]
    ln = lambda x, name: layer_norm(x, W[name + ".weight"], W[name + ".bias"], eps)
    lin = lambda x, name: x @ W[name + ".weight"].T + W[name + ".bias"]
    x = ln(x, p + "embeddings.LayerNorm")
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        b = "%sencoder.layer.%d." % (p, l)
        q, k, v = lin(x, b + "attention.self.query"), lin(x, b + "attention.self.key"), lin(x, b + "attention.self.value")
        heads, out = attention(q, k, v, H, H, False, 1 / math.sqrt(d // H))
        layers.append(heads)
        x = ln(x + lin(out, b + "attention.output.dense"), b + "attention.output.LayerNorm")
        x = ln(x + lin(gelu_erf(lin(x, b + "intermediate.dense")), b + "output.dense"), b + "output.LayerNorm")
    if "lm_head.dense.weight" not in W:
        return layers, None
    h = ln(gelu_erf(lin(x, "lm_head.dense")), "lm_head.layer_norm")
    return layers, h @ W[p + "embeddings.word_embeddings.weight"].T + W["lm_head.bias"]


def rope(x, n_heads, dh, freqs, rot=None):
    """Rotate-half RoPE on each head's dh values. Partial rotary (gpt_neox's rotary_pct, phi3's partial_rotary_factor):
    only each head's first rot values turn, value i with value i + rot / 2 (len(freqs) == rot / 2, the frequencies of
    a rot-wide RoPE); the other dh - rot pass unchanged."""
    out = x.copy()
    half = (rot or dh) // 2
    for pos in range(x.shape[0]):
        for h in range(n_heads):
            for i in range(half):
                a, b = x[pos, h * dh + i], x[pos, h * dh + i + half]
                c, s = math.cos(pos * freqs[i]), math.sin(pos * freqs[i])
                out[pos, h * dh + i] = a * c - b * s
                out[pos, h * dh + i + half] = b * c + a * s
    return out


def rope_freqs(cfg, dh):
    freqs = [1.0 / cfg.get("rope_theta", 10000.0) ** (2 * i / dh) for i in range(dh // 2)]
    s = cfg.get("rope_scaling")
    if not s:
        return freqs
    if s["rope_type"] == "linear":
        return [f / s["factor"] for f in freqs]
    lo, hi, orig, factor = s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"], s["factor"]
    out = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < orig / hi:
            out.append(f)
        elif wavelen > orig / lo:
            out.append(f / factor)
        else:
            smooth = (orig / wavelen - lo) / (hi - lo)
            out.append((1 - smooth) * f / factor + smooth * f)
    return out


def per_head_rms_norm(x, n_heads, dh, g, eps):
    """Qwen3's q_norm / k_norm: each head's dh-vector of a token normalized on its own, one [dh] weight shared by the heads."""
    return np.concatenate([rms_norm(x[:, h * dh:(h + 1) * dh], g, eps) for h in range(n_heads)], axis=1)


def llama_forward(W, cfg, ids):
    """Llama and its kin, by model_type (a cfg without one is llama):
      llama, qwen2, mistral: x += attn(rms(x)); x += mlp(rms(x)), q and k turned by RoPE.
      qwen3: as llama, but each head's q and k RMS-normalized over its head_dim (q_norm, k_norm: [head_dim]) before RoPE.
      olmo2: no norm in front of the sublayers: x += post_attention_layernorm(attn(x)); x += post_feedforward_layernorm(mlp(x));
             q and k RMS-normalized over a token's WHOLE projection (q_norm: [H * head_dim], k_norm: [KV * head_dim]) before
             RoPE. Its config has no head_dim: hidden_size / num_attention_heads.
      phi3:  as llama with q, k, v in one matrix (HF Phi3Attention: self_attn.qkv_proj rows [Q: H*dh; K: KV*dh; V: KV*dh])
             and gate and up in one (Phi3MLP: mlp.gate_up_proj rows [gate: ff; up: ff], up * silu(gate)); head_dim is
             hidden_size / num_attention_heads. partial_rotary_factor (Phi-4-mini's 0.75; absent: 1) turns only each
             head's first int(head_dim * factor) values, with that width's frequencies.
      gemma: (Gemma 1) the embeddings times sqrt(hidden_size), rounded to float32 as HF does (GemmaModel: the normalizer
             is a tensor of the activations' dtype, float32 here); RMSNorm as x / rms(x) * (1 + w) (GemmaRMSNorm: weights
             stored around 0); the MLP gelu_tanh(gate) * up (gelu_pytorch_tanh); head_dim apart from the width.
    Gemma 2 and Gemma 3 (sandwich norms, sliding layers, soft-capping) are gemma2_forward's."""
    kind = cfg.get("model_type", "llama")
    H, eps = cfg["num_attention_heads"], cfg["rms_norm_eps"]
    KV = cfg.get("num_key_value_heads") or H  # HF: None or absent means one KV head per query head
    dh = cfg["head_dim"] if cfg.get("head_dim") else cfg["hidden_size"] // H
    rot = int(dh * (cfg.get("partial_rotary_factor") or 1.0))  # the RoPE'd values of a head: all but for partial rotary
    freqs = rope_freqs(cfg, rot)
    lin = lambda x, name: x @ W[name + ".weight"].T + (W[name + ".bias"] if name + ".bias" in W else 0)
    norm = lambda x, name: rms_norm(x, 1 + W[name] if kind == "gemma" else W[name], eps)
    x = W["model.embed_tokens.weight"][ids]
    if kind == "gemma":
        x = x * float(np.float32(math.sqrt(cfg["hidden_size"])))
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        b = "model.layers.%d." % l
        a = x if kind == "olmo2" else norm(x, b + "input_layernorm.weight")
        if kind == "phi3":
            qkv = lin(a, b + "self_attn.qkv_proj")
            q, k, v = qkv[:, :H * dh], qkv[:, H * dh:(H + KV) * dh], qkv[:, (H + KV) * dh:]
        else:
            q, k, v = lin(a, b + "self_attn.q_proj"), lin(a, b + "self_attn.k_proj"), lin(a, b + "self_attn.v_proj")
        if kind == "qwen3":
            q = per_head_rms_norm(q, H, dh, W[b + "self_attn.q_norm.weight"], eps)
            k = per_head_rms_norm(k, KV, dh, W[b + "self_attn.k_norm.weight"], eps)
        elif kind == "olmo2":
            q = rms_norm(q, W[b + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[b + "self_attn.k_norm.weight"], eps)
        q, k = rope(q, H, dh, freqs, rot), rope(k, KV, dh, freqs, rot)
        heads, out = attention(q, k, v, H, KV, True, 1 / math.sqrt(dh))
        layers.append(heads)
        out = lin(out, b + "self_attn.o_proj")
        if kind == "olmo2":
            out = rms_norm(out, W[b + "post_attention_layernorm.weight"], eps)
        x = x + out
        m = x if kind == "olmo2" else norm(x, b + "post_attention_layernorm.weight")
        if kind == "phi3":
            gate_up = lin(m, b + "mlp.gate_up_proj")
            gate, up = gate_up[:, :gate_up.shape[1] // 2], gate_up[:, gate_up.shape[1] // 2:]
        else:
            gate, up = lin(m, b + "mlp.gate_proj"), lin(m, b + "mlp.up_proj")
        act = gelu_tanh(gate) if kind == "gemma" else gate / (1 + np.exp(-gate))
        out = lin(act * up, b + "mlp.down_proj")
        if kind == "olmo2":
            out = rms_norm(out, W[b + "post_feedforward_layernorm.weight"], eps)
        x = x + out
    x = norm(x, "model.norm.weight")
    head = W["lm_head.weight"] if "lm_head.weight" in W else W["model.embed_tokens.weight"]
    return layers, x @ head.T


def gemma2_layer_kinds(cfg):
    """Which layers slide, as HF's Gemma2Config / Gemma3TextConfig decide it: "layer_types" when the config has it
    ("sliding_attention" / "full_attention"), else gemma2: layer i slides when (i + 1) % 2 != 0 (0, 2, 4, ...: even
    layers); gemma3_text: layer i slides when (i + 1) % sliding_window_pattern != 0 (pattern absent: 6)."""
    L = cfg["num_hidden_layers"]
    if cfg.get("layer_types"):
        kinds = list(cfg["layer_types"])
        assert len(kinds) == L and set(kinds) <= {"sliding_attention", "full_attention"}, kinds
        return kinds
    P = 2 if cfg["model_type"] == "gemma2" else cfg.get("sliding_window_pattern") or 6
    return ["sliding_attention" if (i + 1) % P else "full_attention" for i in range(L)]


def gemma2_forward(W, cfg, ids):
    """Gemma 2 (HF Gemma2ForCausalLM) and Gemma 3's text model (Gemma3ForCausalLM, model_type gemma3_text), eager
    attention, computed in float32 activations' terms as the other cases (HF run in float32):
      the embeddings times sqrt(hidden_size) rounded to float32 (Gemma2Model's normalizer tensor; Gemma3's
      Gemma3TextScaledWordEmbedding multiplies by embed_scale cast to the weights' dtype, float32 here);
      every RMSNorm x / sqrt(mean(x^2) + eps) * (1 + w), weights stored around 0;
      per layer ("sandwich" norms): x += post_attention_layernorm(attn(input_layernorm(x)));
                                    x += post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)));
      mlp: down(gelu_tanh(gate(m)) * up(m)); no biases; head_dim from the config; grouped KV heads;
      scores (q k^T) * query_pre_attn_scalar ** -0.5 (not head_dim's); gemma2: then, attn_logit_softcapping not null,
      c * tanh(s / c); then the causal mask and, on sliding layers (gemma2_layer_kinds), the window: query i sees
      keys i - sliding_window + 1 ... i;
      final norm, logits = x @ embed^T (tied; lm_head.weight if stored), then, final_logit_softcapping not null,
      c * tanh(logits / c).
    gemma3_text besides: q_norm / k_norm ([head_dim], (1 + w)) on each head's q and k after the projection, before
      RoPE; sliding layers turn with base rope_local_base_freq and no scaling, full layers with rope_theta and
      rope_scaling (e.g. linear: frequencies / factor). attn_logit_softcapping is NOT applied: HF's Gemma3Attention
      keeps it but never passes softcap= to the attention function (eager, sdpa, flash alike), so a config's value
      changes nothing; final_logit_softcapping is applied (Gemma3ForCausalLM)."""
    kind = cfg["model_type"]
    assert kind in ("gemma2", "gemma3_text"), kind
    H, eps, d = cfg["num_attention_heads"], cfg["rms_norm_eps"], cfg["hidden_size"]
    KV = cfg.get("num_key_value_heads") or H
    dh = cfg.get("head_dim") or d // H
    scale = cfg["query_pre_attn_scalar"] ** -0.5
    attn_cap = cfg.get("attn_logit_softcapping") if kind == "gemma2" else None
    final_cap = cfg.get("final_logit_softcapping")
    kinds = gemma2_layer_kinds(cfg)
    global_freqs = rope_freqs(cfg, dh)  # rope_theta, with rope_scaling when there is one
    local_freqs = rope_freqs({"rope_theta": cfg.get("rope_local_base_freq", 10000.0)}, dh) if kind == "gemma3_text" \
        else global_freqs  # gemma2: one RoPE for every layer
    lin = lambda x, name: x @ W[name + ".weight"].T + (W[name + ".bias"] if name + ".bias" in W else 0)
    norm = lambda x, name: rms_norm(x, 1 + W[name], eps)
    x = W["model.embed_tokens.weight"][ids] * float(np.float32(math.sqrt(d)))
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        b = "model.layers.%d." % l
        sliding = kinds[l] == "sliding_attention"
        a = norm(x, b + "input_layernorm.weight")
        q, k, v = lin(a, b + "self_attn.q_proj"), lin(a, b + "self_attn.k_proj"), lin(a, b + "self_attn.v_proj")
        if kind == "gemma3_text":
            q = per_head_rms_norm(q, H, dh, 1 + W[b + "self_attn.q_norm.weight"], eps)
            k = per_head_rms_norm(k, KV, dh, 1 + W[b + "self_attn.k_norm.weight"], eps)
        freqs = local_freqs if sliding else global_freqs
        q, k = rope(q, H, dh, freqs), rope(k, KV, dh, freqs)
        heads, out = attention(q, k, v, H, KV, True, scale, cfg["sliding_window"] if sliding else None, attn_cap)
        layers.append(heads)
        x = x + norm(lin(out, b + "self_attn.o_proj"), b + "post_attention_layernorm.weight")
        m = norm(x, b + "pre_feedforward_layernorm.weight")
        out = lin(gelu_tanh(lin(m, b + "mlp.gate_proj")) * lin(m, b + "mlp.up_proj"), b + "mlp.down_proj")
        x = x + norm(out, b + "post_feedforward_layernorm.weight")
    x = norm(x, "model.norm.weight")
    head = W["lm_head.weight"] if "lm_head.weight" in W else W["model.embed_tokens.weight"]
    logits = x @ head.T
    if final_cap is not None:
        logits = final_cap * np.tanh(logits / final_cap)
    return layers, logits


def gpt_neox_forward(W, cfg, ids):
    """GPT-NeoX / Pythia (HF GPTNeoXForCausalLM). attention.query_key_value's output, for each token, is the heads one after
    another, each [q: dh; k: dh; v: dh] (GPTNeoXAttention views it as [n, heads, 3 * dh] and splits the last axis), so its
    weight rows are per head q rows, k rows, v rows, with their biases likewise. RoPE on the first
    rotary_ndims = int(dh * rotary_pct) values of each head's q and k, rotate-half within them, base rotary_emb_base.
    Scores scaled by 1 / sqrt(dh). use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x)); else x += attn(ln1(x)),
    x += mlp(ln2(x)). MLP gelu (exact, erf) between dense_h_to_4h and dense_4h_to_h; final_layer_norm, untied embed_out."""
    d, H, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    dh = d // H
    rot = int(dh * cfg["rotary_pct"])
    freqs = [1.0 / cfg["rotary_emb_base"] ** (2 * i / rot) for i in range(rot // 2)]
    lin = lambda x, name: x @ W[name + ".weight"].T + W[name + ".bias"]
    ln = lambda x, name: layer_norm(x, W[name + ".weight"], W[name + ".bias"], eps)
    x = W["gpt_neox.embed_in.weight"][ids]
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        b = "gpt_neox.layers.%d." % l
        qkv = lin(ln(x, b + "input_layernorm"), b + "attention.query_key_value")
        part = lambda j: np.concatenate([qkv[:, (3 * h + j) * dh:(3 * h + j + 1) * dh] for h in range(H)], axis=1)
        q, k, v = rope(part(0), H, dh, freqs, rot), rope(part(1), H, dh, freqs, rot), part(2)
        heads, out = attention(q, k, v, H, H, True, 1 / math.sqrt(dh))
        layers.append(heads)
        attn = lin(out, b + "attention.dense")
        mlp = lambda y: lin(gelu_erf(lin(ln(y, b + "post_attention_layernorm"), b + "mlp.dense_h_to_4h")), b + "mlp.dense_4h_to_h")
        if cfg["use_parallel_residual"]:
            x = x + attn + mlp(x)
        else:
            x = x + attn
            x = x + mlp(x)
    x = ln(x, "gpt_neox.final_layer_norm")
    return layers, x @ W["embed_out.weight"].T


def opt_forward(W, cfg, ids):
    """OPT (HF OPTForCausalLM). Token embeddings (word_embed_proj_dim wide), through project_in when that differs from
    hidden_size, plus learned positions: position p is row p + 2 of embed_positions (OPTLearnedPositionalEmbedding's
    offset; max_position_embeddings + 2 rows). do_layer_norm_before: x += attn(ln(x)), x += fc2(relu(fc1(ln(x)))), and
    decoder.final_layer_norm at the end; else (OPT-350m) x = ln(x + attn(x)), x = ln(x + mlp(x)) and no final norm.
    Then project_out, and the head tied to embed_tokens. LayerNorms with torch's default eps 1e-5. HF multiplies q by
    1 / sqrt(dh) before q k^T; here q is the projection as it comes (with its bias) and the 1 / sqrt(dh) is in the scores."""
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    p, eps, pre = "model.decoder.", 1e-5, cfg["do_layer_norm_before"]
    lin = lambda x, name: x @ W[name + ".weight"].T + W[name + ".bias"]
    ln = lambda x, name: layer_norm(x, W[name + ".weight"], W[name + ".bias"], eps)
    x = W[p + "embed_tokens.weight"][ids]
    if p + "project_in.weight" in W:
        x = x @ W[p + "project_in.weight"].T
    x = x + W[p + "embed_positions.weight"][np.arange(len(ids)) + 2]
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        b = "%slayers.%d." % (p, l)
        a = ln(x, b + "self_attn_layer_norm") if pre else x
        heads, out = attention(lin(a, b + "self_attn.q_proj"), lin(a, b + "self_attn.k_proj"), lin(a, b + "self_attn.v_proj"),
                               H, H, True, 1 / math.sqrt(d // H))
        layers.append(heads)
        x = x + lin(out, b + "self_attn.out_proj")
        if not pre:
            x = ln(x, b + "self_attn_layer_norm")
        m = ln(x, b + "final_layer_norm") if pre else x
        x = x + lin(np.maximum(lin(m, b + "fc1"), 0), b + "fc2")
        if not pre:
            x = ln(x, b + "final_layer_norm")
    if pre:
        x = ln(x, p + "final_layer_norm")
    if p + "project_out.weight" in W:
        x = x @ W[p + "project_out.weight"].T
    return layers, x @ W[p + "embed_tokens.weight"].T

# ---------------------------------------------------------------- the checkpoints

def make_gpt2(folder, rng, dtype, prefix, n_layer=2, scale_by_layer=False):
    vocab = write_byte_level_bpe(folder)
    cfg = {"model_type": "gpt2", "n_embd": 16, "n_head": 4, "n_layer": n_layer, "n_positions": 32, "vocab_size": vocab,
           "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "n_inner": None}
    if scale_by_layer:
        cfg["scale_attn_by_inverse_layer_idx"] = True
    c, d = Checkpoint(rng, dtype), 16
    p = prefix
    c.add(p + "wte.weight", (vocab, d)); c.add(p + "wpe.weight", (32, d), 0.2)
    for l in range(n_layer):
        b = "%sh.%d." % (p, l)
        for ln in ("ln_1", "ln_2"):
            c.add(b + ln + ".weight", (d,), 0.1, 1.0); c.add(b + ln + ".bias", (d,), 0.1)
        c.add(b + "attn.c_attn.weight", (d, 3 * d)); c.add(b + "attn.c_attn.bias", (3 * d,), 0.1)
        c.add(b + "attn.c_proj.weight", (d, d)); c.add(b + "attn.c_proj.bias", (d,), 0.1)
        c.add(b + "mlp.c_fc.weight", (d, 4 * d)); c.add(b + "mlp.c_fc.bias", (4 * d,), 0.1)
        c.add(b + "mlp.c_proj.weight", (4 * d, d), 0.25); c.add(b + "mlp.c_proj.bias", (d,), 0.1)
    c.add(p + "ln_f.weight", (d,), 0.1, 1.0); c.add(p + "ln_f.bias", (d,), 0.1)
    c.save(folder)
    ids = [int(i) for i in rng.integers(0, vocab, 7)]
    return cfg, ids, gpt2_forward(c.values, p, cfg, ids)


def make_bert(folder, rng, dtype, prefix, with_head, distil=False):
    vocab = write_wordpiece(folder)
    d, ff, L = 16, 24, 2
    if distil:
        cfg = {"model_type": "distilbert", "dim": d, "n_heads": 4, "n_layers": L, "hidden_dim": ff,
               "max_position_embeddings": 32, "vocab_size": vocab, "activation": "gelu"}
    else:
        cfg = {"model_type": "bert", "hidden_size": d, "num_attention_heads": 4, "num_hidden_layers": L,
               "intermediate_size": ff, "max_position_embeddings": 32, "vocab_size": vocab, "type_vocab_size": 2,
               "layer_norm_eps": 1e-12, "hidden_act": "gelu", "position_embedding_type": "absolute"}
    c, p = Checkpoint(rng, dtype), prefix
    lin = lambda name, o, i: (c.add(name + ".weight", (o, i)), c.add(name + ".bias", (o,), 0.1))
    norm = lambda name: (c.add(name + ".weight", (d,), 0.1, 1.0), c.add(name + ".bias", (d,), 0.1))
    c.add(p + "embeddings.word_embeddings.weight", (vocab, d)); c.add(p + "embeddings.position_embeddings.weight", (32, d), 0.2)
    if not distil:
        c.add(p + "embeddings.token_type_embeddings.weight", (2, d), 0.2)
    norm(p + "embeddings.LayerNorm")
    for l in range(L):
        if distil:
            b = "%stransformer.layer.%d." % (p, l)
            for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
                lin(b + "attention." + n, d, d)
            norm(b + "sa_layer_norm"); lin(b + "ffn.lin1", ff, d); lin(b + "ffn.lin2", d, ff); norm(b + "output_layer_norm")
        else:
            b = "%sencoder.layer.%d." % (p, l)
            for n in ("query", "key", "value"):
                lin(b + "attention.self." + n, d, d)
            lin(b + "attention.output.dense", d, d); norm(b + "attention.output.LayerNorm")
            lin(b + "intermediate.dense", ff, d); lin(b + "output.dense", d, ff); norm(b + "output.LayerNorm")
    if with_head:
        if distil:
            lin("vocab_transform", d, d); norm("vocab_layer_norm"); c.add("vocab_projector.bias", (vocab,), 0.1)
        else:
            lin("cls.predictions.transform.dense", d, d); norm("cls.predictions.transform.LayerNorm")
            c.add("cls.predictions.bias", (vocab,), 0.1)
    c.save(folder)
    ids = [2] + [int(i) for i in rng.integers(5, vocab, 6)] + [3]  # [CLS] ... [SEP]
    return cfg, ids, bert_forward(c.values, p, cfg, ids, distil)


def make_roberta(folder, rng, dtype, model_type, prefix, d, H, head, decoder_written, pooler):
    """roberta / xlm-roberta: BERT's tensor names under prefix ("roberta." in RobertaForMaskedLM, bare in a saved
    XLMRobertaModel), one token type, a 20-row position table used from row pad_token_id + 1 = 2 on, layer_norm_eps 1e-5.
    head: RobertaLMHead's lm_head.dense, lm_head.layer_norm, lm_head.bias; decoder_written: also lm_head.decoder.weight
    and lm_head.decoder.bias, copies of the word embeddings and of lm_head.bias (a full state_dict; save_pretrained drops
    them as tied). pooler: pooler.dense (XLMRobertaModel's add_pooling_layer), unused by the forward pass."""
    vocab = write_roberta_bpe(folder)
    ff, L, P, pad = 2 * d, 2, 20, 1
    arch = ("Roberta" if model_type == "roberta" else "XLMRoberta") + ("ForMaskedLM" if head else "Model")
    cfg = {"model_type": model_type, "architectures": [arch],
           "hidden_size": d, "num_attention_heads": H, "num_hidden_layers": L, "intermediate_size": ff,
           "max_position_embeddings": P, "vocab_size": vocab, "type_vocab_size": 1, "layer_norm_eps": 1e-5,
           "hidden_act": "gelu", "position_embedding_type": "absolute", "pad_token_id": pad, "bos_token_id": 0,
           "eos_token_id": 2, "tie_word_embeddings": True}
    w = 1.5 / math.sqrt(d)
    c = Checkpoint(rng, dtype)
    lin = lambda name, o, i, scale: (c.add(name + ".weight", (o, i), scale), c.add(name + ".bias", (o,), 0.1))
    norm = lambda name: (c.add(name + ".weight", (d,), 0.1, 1.0), c.add(name + ".bias", (d,), 0.1))
    p = prefix
    c.add(p + "embeddings.word_embeddings.weight", (vocab, d))
    c.add(p + "embeddings.position_embeddings.weight", (P, d), 0.4)
    c.add(p + "embeddings.token_type_embeddings.weight", (1, d), 0.2)
    norm(p + "embeddings.LayerNorm")
    for l in range(L):
        b = "%sencoder.layer.%d." % (p, l)
        for n in ("query", "key", "value"):
            lin(b + "attention.self." + n, d, d, w)
        lin(b + "attention.output.dense", d, d, 0.6 / math.sqrt(d / 2)); norm(b + "attention.output.LayerNorm")
        lin(b + "intermediate.dense", ff, d, w); lin(b + "output.dense", d, ff, 0.6 / math.sqrt(ff / 2))
        norm(b + "output.LayerNorm")
    if pooler:
        lin(p + "pooler.dense", d, d, w)
    if head:
        lin("lm_head.dense", d, d, w); norm("lm_head.layer_norm")
        c.add("lm_head.bias", (vocab,), 0.1)
        if decoder_written:
            for copy, of in (("lm_head.decoder.weight", p + "embeddings.word_embeddings.weight"),
                             ("lm_head.decoder.bias", "lm_head.bias")):
                c.tensors[copy], c.values[copy] = c.tensors[of], c.values[of]
    c.save(folder)
    ids = [0] + [int(i) for i in rng.integers(4, vocab - 1, 7)] + [2]  # <s> ... </s>, neither <pad> nor <mask>
    return cfg, ids, roberta_forward(c.values, p, cfg, ids)


def make_llama(folder, rng, dtype, model_type, kv, tied, biases, rope_scaling, shards):
    vocab = write_byte_level_bpe(folder)
    d, H, dh, ff, L = 16, 4, 8, 20, 2  # head_dim 8 with 4 heads: q_proj is 32 x 16 (head_dim != d / H)
    cfg = {"model_type": model_type, "hidden_size": d, "num_attention_heads": H, "num_key_value_heads": kv,
           "head_dim": dh, "intermediate_size": ff, "num_hidden_layers": L, "vocab_size": vocab,
           "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
           "tie_word_embeddings": tied, "rope_scaling": rope_scaling}
    c = Checkpoint(rng, dtype)
    c.add("model.embed_tokens.weight", (vocab, d))
    for l in range(L):
        b = "model.layers.%d." % l
        c.add(b + "input_layernorm.weight", (d,), 0.1, 1.0); c.add(b + "post_attention_layernorm.weight", (d,), 0.1, 1.0)
        for n, o in (("q_proj", H * dh), ("k_proj", kv * dh), ("v_proj", kv * dh)):
            c.add(b + "self_attn." + n + ".weight", (o, d))
            if biases:
                c.add(b + "self_attn." + n + ".bias", (o,), 0.2)
        c.add(b + "self_attn.o_proj.weight", (d, H * dh), 0.3)
        c.add(b + "mlp.gate_proj.weight", (ff, d)); c.add(b + "mlp.up_proj.weight", (ff, d)); c.add(b + "mlp.down_proj.weight", (d, ff), 0.3)
    c.add("model.norm.weight", (d,), 0.1, 1.0)
    if not tied:
        c.add("lm_head.weight", (vocab, d))
    c.save(folder, shards)
    ids = [int(i) for i in rng.integers(0, vocab, 9)]
    return cfg, ids, llama_forward(c.values, cfg, ids)


def make_qk_normed(folder, rng, dtype, model_type, d, H, kv, dh, tied):
    """qwen3 (per-head q_norm / k_norm of [head_dim], pre-norms as llama, explicit head_dim) or olmo2 (q_norm / k_norm
    over the whole projection, norms after the sublayers, no input_layernorm, head_dim = d / H and not in its config;
    kv None leaves num_key_value_heads out of the config, HF's default then being one KV head per query head)."""
    vocab = write_byte_level_bpe(folder)
    ff, L = 2 * d, 2
    KV = kv or H
    cfg = {"model_type": model_type, "hidden_size": d, "num_attention_heads": H}
    if kv is not None:
        cfg["num_key_value_heads"] = kv
    if model_type == "qwen3":
        cfg["head_dim"] = dh
    else:
        assert dh == d // H
    cfg.update({"intermediate_size": ff, "num_hidden_layers": L, "vocab_size": vocab, "max_position_embeddings": 64,
                "rms_norm_eps": 1e-6, "rope_theta": 1000000.0 if model_type == "qwen3" else 500000.0, "hidden_act": "silu",
                "tie_word_embeddings": tied, "attention_bias": False, "rope_scaling": None})
    if model_type == "qwen3":
        cfg.update({"use_sliding_window": False, "sliding_window": None})
    w = 2 / math.sqrt(d)  # the matrices' scale: llama's 0.5 at d 16, so the projections are as large as there
    c = Checkpoint(rng, dtype)
    c.add("model.embed_tokens.weight", (vocab, d))
    norm = lambda name, n: c.add(name, (n,), 0.1, 1.0)
    # The q and k norms set q's and k's size (each head's q . k / sqrt(dh) then has std about g_q g_k): weights about
    # 1.6 each (1.6 (1 + 0.1 N(0, 1))) give scores of std about 2, so the attention is far from uniform; their spread
    # makes them matter (all-equal weights would be one factor on every score).
    qk_norm = lambda name, n: c.add(name, (n,), 0.16, 1.6)
    for l in range(L):
        b = "model.layers.%d." % l
        if model_type == "qwen3":
            norm(b + "input_layernorm.weight", d); norm(b + "post_attention_layernorm.weight", d)
        else:
            norm(b + "post_attention_layernorm.weight", d); norm(b + "post_feedforward_layernorm.weight", d)
        c.add(b + "self_attn.q_proj.weight", (H * dh, d), w)
        c.add(b + "self_attn.k_proj.weight", (KV * dh, d), w)
        c.add(b + "self_attn.v_proj.weight", (KV * dh, d), w)
        c.add(b + "self_attn.o_proj.weight", (d, H * dh), 0.6 / math.sqrt(H * dh / 2))
        per_head = model_type == "qwen3"
        qk_norm(b + "self_attn.q_norm.weight", dh if per_head else H * dh)
        qk_norm(b + "self_attn.k_norm.weight", dh if per_head else KV * dh)
        c.add(b + "mlp.gate_proj.weight", (ff, d), w); c.add(b + "mlp.up_proj.weight", (ff, d), w)
        c.add(b + "mlp.down_proj.weight", (d, ff), 0.6 / math.sqrt(ff / 2))
    norm("model.norm.weight", d)
    if not tied:
        c.add("lm_head.weight", (vocab, d))
    c.save(folder)
    ids = [int(i) for i in rng.integers(0, vocab, 9)]
    return cfg, ids, llama_forward(c.values, cfg, ids)



def make_phi3(folder, rng, dtype, d, H, kv, partial_rotary, tied):
    """phi3: fused qkv_proj and gate_up_proj, head_dim = d / H (not in its config), no biases; partial_rotary None leaves
    partial_rotary_factor out of the config (HF: 1, the whole head turned)."""
    vocab = write_byte_level_bpe(folder)
    dh, ff, L = d // H, 40, 2
    cfg = {"model_type": "phi3", "hidden_size": d, "num_attention_heads": H, "num_key_value_heads": kv,
           "intermediate_size": ff, "num_hidden_layers": L, "vocab_size": vocab, "max_position_embeddings": 64,
           "original_max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
           "tie_word_embeddings": tied, "rope_scaling": None, "sliding_window": None}
    if partial_rotary is not None:
        cfg["partial_rotary_factor"] = partial_rotary
    w = 1.5 / math.sqrt(d)  # q . k / sqrt(dh) of std about 1.5^2 = 2.25 (the normed input's entries are about 1)
    c = Checkpoint(rng, dtype)
    c.add("model.embed_tokens.weight", (vocab, d))
    for l in range(L):
        b = "model.layers.%d." % l
        c.add(b + "input_layernorm.weight", (d,), 0.1, 1.0); c.add(b + "post_attention_layernorm.weight", (d,), 0.1, 1.0)
        c.add(b + "self_attn.qkv_proj.weight", ((H + 2 * kv) * dh, d), w)
        c.add(b + "self_attn.o_proj.weight", (d, H * dh), 0.6 / math.sqrt(H * dh / 2))
        c.add(b + "mlp.gate_up_proj.weight", (2 * ff, d), w); c.add(b + "mlp.down_proj.weight", (d, ff), 0.6 / math.sqrt(ff / 2))
    c.add("model.norm.weight", (d,), 0.1, 1.0)
    if not tied:
        c.add("lm_head.weight", (vocab, d))
    c.save(folder)
    ids = [int(i) for i in rng.integers(0, vocab, 9)]
    return cfg, ids, llama_forward(c.values, cfg, ids)


def make_gemma(folder, rng, dtype, d, H, kv, dh):
    """gemma (1): head_dim dh apart from d / H, RMSNorm weights stored as offsets around 0 (the norm multiplies by 1 + w),
    the embeddings scaled by sqrt(d) in the forward pass, GeGLU (tanh GELU) MLP, the head tied to the embeddings.
    hidden_act and hidden_activation both name gelu_pytorch_tanh: HF read hidden_activation until late 2024 and reads
    hidden_act since, and Google's Gemma 1 configs say "gelu" in hidden_act; here both agree."""
    vocab = write_byte_level_bpe(folder)
    ff, L = 2 * d, 2
    cfg = {"model_type": "gemma", "hidden_size": d, "num_attention_heads": H, "num_key_value_heads": kv, "head_dim": dh,
           "intermediate_size": ff, "num_hidden_layers": L, "vocab_size": vocab, "max_position_embeddings": 64,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "gelu_pytorch_tanh",
           "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True, "attention_bias": False,
           "attention_dropout": 0.0, "rope_scaling": None}
    w = 1.5 / math.sqrt(d)
    c = Checkpoint(rng, dtype)
    c.add("model.embed_tokens.weight", (vocab, d), 1 / math.sqrt(d))  # times sqrt(d) in the forward pass: entries about 1
    offset = lambda name: c.add(name, (d,), 0.1)  # 1 + w about 1
    for l in range(L):
        b = "model.layers.%d." % l
        offset(b + "input_layernorm.weight"); offset(b + "post_attention_layernorm.weight")
        c.add(b + "self_attn.q_proj.weight", (H * dh, d), w)
        c.add(b + "self_attn.k_proj.weight", (kv * dh, d), w)
        c.add(b + "self_attn.v_proj.weight", (kv * dh, d), w)
        c.add(b + "self_attn.o_proj.weight", (d, H * dh), 0.6 / math.sqrt(H * dh / 2))
        c.add(b + "mlp.gate_proj.weight", (ff, d), w); c.add(b + "mlp.up_proj.weight", (ff, d), w)
        c.add(b + "mlp.down_proj.weight", (d, ff), 0.6 / math.sqrt(ff / 2))
    offset("model.norm.weight")
    c.save(folder)
    ids = [int(i) for i in rng.integers(0, vocab, 9)]
    return cfg, ids, llama_forward(c.values, cfg, ids)


def make_gemma2(folder, rng, dtype, model_type, d, H, kv, dh, L, window, scalar, caps, layer_types=None, gemma3=None):
    """gemma2 / gemma3_text (Gemma2ForCausalLM / Gemma3ForCausalLM): make_gemma's weights (offset norms, GeGLU, tied
    head, head_dim apart from d / H) plus the four norms of a layer (input, post_attention, pre_feedforward,
    post_feedforward) and, gemma3_text, self_attn.q_norm / k_norm of [head_dim]. caps: (attn_logit_softcapping,
    final_logit_softcapping), None written as null. layer_types None leaves the key out (HF's default by layer
    index). gemma3: (rope_theta, rope_scaling, rope_local_base_freq, sliding_window_pattern) for gemma3_text (a None
    pattern is left out of the config); gemma2 turns every layer with rope_theta 10000."""
    vocab = write_byte_level_bpe(folder)
    ff = 2 * d
    cfg = {"architectures": ["Gemma2ForCausalLM" if model_type == "gemma2" else "Gemma3ForCausalLM"],
           "model_type": model_type, "hidden_size": d, "num_attention_heads": H, "num_key_value_heads": kv,
           "head_dim": dh, "intermediate_size": ff, "num_hidden_layers": L, "vocab_size": vocab,
           "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh",
           "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True, "attention_bias": False,
           "attention_dropout": 0.0, "query_pre_attn_scalar": scalar, "sliding_window": window,
           "attn_logit_softcapping": caps[0], "final_logit_softcapping": caps[1], "initializer_range": 0.02,
           "cache_implementation": "hybrid", "use_cache": True,
           "torch_dtype": {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}[dtype]}
    if model_type == "gemma2":
        cfg["rope_theta"] = 10000.0
    else:
        theta, scaling, local_base, pattern = gemma3
        cfg.update({"rope_theta": theta, "rope_scaling": scaling, "rope_local_base_freq": local_base})
        if pattern is not None:
            cfg["sliding_window_pattern"] = pattern
    if layer_types is not None:
        cfg["layer_types"] = layer_types
    w = 1.5 / math.sqrt(d)
    c = Checkpoint(rng, dtype)
    c.add("model.embed_tokens.weight", (vocab, d), 1 / math.sqrt(d))  # times sqrt(d) in the forward pass: entries about 1
    offset = lambda name, n=d: c.add(name, (n,), 0.1)  # 1 + w about 1
    for l in range(L):
        b = "model.layers.%d." % l
        offset(b + "input_layernorm.weight")
        c.add(b + "self_attn.q_proj.weight", (H * dh, d), w)
        c.add(b + "self_attn.k_proj.weight", (kv * dh, d), w)
        c.add(b + "self_attn.v_proj.weight", (kv * dh, d), w)
        c.add(b + "self_attn.o_proj.weight", (d, H * dh), 0.6 / math.sqrt(H * dh / 2))
        if model_type == "gemma3_text":
            offset(b + "self_attn.q_norm.weight", dh); offset(b + "self_attn.k_norm.weight", dh)
        offset(b + "post_attention_layernorm.weight"); offset(b + "pre_feedforward_layernorm.weight")
        c.add(b + "mlp.gate_proj.weight", (ff, d), w); c.add(b + "mlp.up_proj.weight", (ff, d), w)
        c.add(b + "mlp.down_proj.weight", (d, ff), 0.6 / math.sqrt(ff / 2))
        offset(b + "post_feedforward_layernorm.weight")
    offset("model.norm.weight")
    c.save(folder)
    ids = [int(i) for i in rng.integers(0, vocab, 9)]
    return cfg, ids, gemma2_forward(c.values, cfg, ids)


# Gemma3TextConfig's defaults (transformers' configuration_gemma3.py): an image-text checkpoint's text_config leaves
# out every value equal to them, so a loader must know them.
GEMMA3_TEXT_DEFAULTS = {"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
                        "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
                        "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 131072, "rms_norm_eps": 1e-6,
                        "rope_theta": 1000000.0, "attention_bias": False, "query_pre_attn_scalar": 256,
                        "sliding_window": 4096, "final_logit_softcapping": None, "attn_logit_softcapping": None,
                        "rope_scaling": None, "rope_local_base_freq": 10000.0, "sliding_window_pattern": 6,
                        "tie_word_embeddings": True}


def make_gemma3_image_text(folder, rng, dtype, layout):
    """A Gemma 3 image-text checkpoint (Gemma3ForConditionalGeneration, model_type "gemma3", as the 4B-27B are saved):
    the text model of make_gemma2's gemma3_text under language_model.model.* (transformers before 4.52) or
    model.language_model.* (4.52 on), a vision tower tensor nobody reads, and the config nested in text_config with
    every value equal to Gemma3TextConfig's default left out (query_pre_attn_scalar 256, pattern 6, bases 1e6 / 1e4,
    no caps, eps 1e-6). The reference is make_gemma2's forward pass over the full config."""
    full, ids, result = make_gemma2(folder, rng, dtype, "gemma3_text", 32, 4, 2, 16, 6, 3, 256, (None, None), None,
                                    (1000000.0, None, 10000.0, None))
    path = os.path.join(folder, "model.safetensors")
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    prefix = "language_model.model." if layout == "pre452" else "model.language_model."
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[prefix + name[len("model."):]] = (info["dtype"], info["shape"], data[begin:end])
    tensors["vision_tower.vision_model.embeddings.patch_embedding.weight"] = (dtype, [4, 3, 2, 2], data[:4 * 3 * 2 * 2 * (4 if dtype == "F32" else 2)])
    write_safetensors(path, tensors)
    text = {k: v for k, v in full.items() if k in GEMMA3_TEXT_DEFAULTS and GEMMA3_TEXT_DEFAULTS[k] != v}
    text["model_type"] = "gemma3_text"
    cfg = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "text_config": text,
           "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 4, "patch_size": 2, "image_size": 4},
           "mm_tokens_per_image": 1, "torch_dtype": full["torch_dtype"]}
    return cfg, ids, result


def make_gpt_neox(folder, rng, dtype, d, H, rotary_pct, parallel, base):
    """gpt_neox (Pythia): query_key_value fused and interleaved per head, partial rotary, LayerNorms with biases,
    parallel or sequential residual, untied embed_out."""
    vocab = write_byte_level_bpe(folder)
    ff, L = 4 * d, 2
    cfg = {"model_type": "gpt_neox", "hidden_size": d, "num_attention_heads": H, "num_hidden_layers": L,
           "intermediate_size": ff, "vocab_size": vocab, "max_position_embeddings": 64, "rotary_pct": rotary_pct,
           "rotary_emb_base": base, "layer_norm_eps": 1e-5, "hidden_act": "gelu", "use_parallel_residual": parallel,
           "tie_word_embeddings": False, "attention_bias": True, "attention_dropout": 0.0, "hidden_dropout": 0.0,
           "rope_scaling": None}
    w = 1.5 / math.sqrt(d)
    c = Checkpoint(rng, dtype)
    lin = lambda name, o, i, scale: (c.add(name + ".weight", (o, i), scale), c.add(name + ".bias", (o,), 0.1))
    norm = lambda name: (c.add(name + ".weight", (d,), 0.1, 1.0), c.add(name + ".bias", (d,), 0.1))
    c.add("gpt_neox.embed_in.weight", (vocab, d))
    for l in range(L):
        b = "gpt_neox.layers.%d." % l
        norm(b + "input_layernorm"); norm(b + "post_attention_layernorm")
        lin(b + "attention.query_key_value", 3 * d, d, w)
        lin(b + "attention.dense", d, d, 0.6 / math.sqrt(d / 2))
        lin(b + "mlp.dense_h_to_4h", ff, d, w); lin(b + "mlp.dense_4h_to_h", d, ff, 0.6 / math.sqrt(ff / 2))
    norm("gpt_neox.final_layer_norm")
    c.add("embed_out.weight", (vocab, d))
    c.save(folder)
    ids = [int(i) for i in rng.integers(0, vocab, 9)]
    return cfg, ids, gpt_neox_forward(c.values, cfg, ids)


def make_opt(folder, rng, dtype, d, H, pre_ln, proj_dim):
    """opt: learned positions with the offset of 2, q/k/v/out projections and LayerNorms with biases, ReLU MLP, pre-LN
    (with decoder.final_layer_norm) or post-LN (OPT-350m: none), project_in / project_out when proj_dim != d; the head
    tied to embed_tokens (no lm_head.weight stored)."""
    vocab = write_byte_level_bpe(folder)
    ff, L, P = 4 * d, 2, 32
    cfg = {"model_type": "opt", "hidden_size": d, "num_attention_heads": H, "num_hidden_layers": L, "ffn_dim": ff,
           "max_position_embeddings": P, "vocab_size": vocab, "word_embed_proj_dim": proj_dim,
           "do_layer_norm_before": pre_ln, "_remove_final_layer_norm": False, "activation_function": "relu",
           "enable_bias": True, "layer_norm_elementwise_affine": True, "tie_word_embeddings": True, "dropout": 0.0,
           "attention_dropout": 0.0, "layerdrop": 0.0}
    w = 1.5 / math.sqrt(d)
    c, p = Checkpoint(rng, dtype), "model.decoder."
    lin = lambda name, o, i, scale: (c.add(name + ".weight", (o, i), scale), c.add(name + ".bias", (o,), 0.1))
    norm = lambda name: (c.add(name + ".weight", (d,), 0.1, 1.0), c.add(name + ".bias", (d,), 0.1))
    c.add(p + "embed_tokens.weight", (vocab, proj_dim), 1.0 if proj_dim != d else 0.8)
    c.add(p + "embed_positions.weight", (P + 2, d), 0.3)
    if proj_dim != d:
        c.add(p + "project_in.weight", (d, proj_dim), 1.0 / math.sqrt(proj_dim))
        c.add(p + "project_out.weight", (proj_dim, d), 1.0 / math.sqrt(d))
    for l in range(L):
        b = "%slayers.%d." % (p, l)
        for n in ("q_proj", "k_proj", "v_proj"):
            lin(b + "self_attn." + n, d, d, w)
        lin(b + "self_attn.out_proj", d, d, 0.6 / math.sqrt(d / 2))
        norm(b + "self_attn_layer_norm")
        lin(b + "fc1", ff, d, w); lin(b + "fc2", d, ff, 0.6 / math.sqrt(ff / 2))
        norm(b + "final_layer_norm")
    if pre_ln:
        norm(p + "final_layer_norm")
    c.save(folder)
    ids = [int(i) for i in rng.integers(0, vocab, 9)]
    return cfg, ids, opt_forward(c.values, cfg, ids)


CASES = {
    "gpt2_f32": lambda f, r: make_gpt2(f, r, "F32", "transformer."),
    "gpt2_f16_bare_names": lambda f, r: make_gpt2(f, r, "F16", ""),
    # Layer l's scores divided by sqrt(d_head) * (l + 1): three layers, three different scales.
    "gpt2_f32_scale_by_layer": lambda f, r: make_gpt2(f, r, "F32", "transformer.", 3, True),
    "bert_f32_masked_lm": lambda f, r: make_bert(f, r, "F32", "bert.", True),
    "bert_bf16_encoder_only": lambda f, r: make_bert(f, r, "BF16", "", False),
    "distilbert_f32_masked_lm": lambda f, r: make_bert(f, r, "F32", "distilbert.", True, distil=True),
    "llama_f32_gqa_untied_sharded": lambda f, r: make_llama(f, r, "F32", "llama", 2, False, False, None, 2),
    "llama_bf16_tied_llama3_rope": lambda f, r: make_llama(
        f, r, "BF16", "llama", 2, True, False,
        {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
         "original_max_position_embeddings": 64}, 1),
    "qwen2_f16_biases_one_kv_head": lambda f, r: make_llama(f, r, "F16", "qwen2", 1, False, True, None, 1),
    "mistral_f32_linear_rope": lambda f, r: make_llama(f, r, "F32", "mistral", 4, False, False,
                                                       {"rope_type": "linear", "factor": 2.0}, 1),
    # Issue 17. qwen3: per-head q/k RMSNorm before RoPE, head_dim 24 with d_model 64 and 4 heads (not 64 / 4).
    "qwen3_f32_gqa_tied": lambda f, r: make_qk_normed(f, r, "F32", "qwen3", 64, 4, 2, 24, True),
    "qwen3_bf16_untied": lambda f, r: make_qk_normed(f, r, "BF16", "qwen3", 64, 4, 4, 24, False),
    # olmo2: norms after the sublayers, q/k RMSNorm over the whole projection; olmo2_f32's config has no
    # num_key_value_heads (HF: as many as the query heads).
    "olmo2_f32": lambda f, r: make_qk_normed(f, r, "F32", "olmo2", 48, 4, None, 12, False),
    "olmo2_bf16_gqa": lambda f, r: make_qk_normed(f, r, "BF16", "olmo2", 48, 4, 2, 12, False),
    # Issue 17. phi3: q, k, v in one qkv_proj, gate and up in one gate_up_proj. phi3_bf16 as Phi-4-mini: partial rotary
    # (0.75 of head_dim 8: the first 6 values of each head turned, in pairs (i, i + 3)) and a tied head.
    "phi3_f32_gqa": lambda f, r: make_phi3(f, r, "F32", 32, 4, 2, None, False),
    "phi3_bf16": lambda f, r: make_phi3(f, r, "BF16", 32, 4, 4, 0.75, True),
    # gemma: embeddings times sqrt(d) (d 32 and 48: not whole), RMSNorm by (1 + w), GeGLU, head_dim 16 (not d / H).
    "gemma_f32_mqa": lambda f, r: make_gemma(f, r, "F32", 32, 4, 1, 16),
    "gemma_bf16": lambda f, r: make_gemma(f, r, "BF16", 48, 4, 4, 16),
    # gemma2: sandwich norms, scores times query_pre_attn_scalar 24 ** -0.5 (not head_dim 16's), then 1.5 tanh(s / 1.5);
    # no layer_types: HF's default, layers 0, 2 slide (window 3: query i sees keys i-2..i), 1 full; logits 2 tanh(z / 2).
    "gemma2_f32_window3_softcap": lambda f, r: make_gemma2(f, r, "F32", "gemma2", 32, 4, 2, 16, 3, 3, 24, (1.5, 2.0)),
    # gemma2 with layer_types written out: layer 0 slides (window 4), layer 1 full; score cap 2.5, logit cap 5.
    "gemma2_bf16_layer_types": lambda f, r: make_gemma2(f, r, "BF16", "gemma2", 48, 4, 4, 12, 2, 4, 12, (2.5, 5.0),
                                                        ["sliding_attention", "full_attention"]),
    # gemma3_text: per-head q/k norms; sliding_window_pattern 2: layers 0, 2 slide (window 3, RoPE base 100, unscaled),
    # 1, 3 full (base 1e6, linear / 4). Its attn_logit_softcapping 3.0 is in the config but HF's Gemma3 never applies it.
    "gemma3_f32_pattern2": lambda f, r: make_gemma2(f, r, "F32", "gemma3_text", 32, 4, 2, 16, 4, 3, 24, (3.0, None),
                                                    None, (1000000.0, {"rope_type": "linear", "factor": 4.0}, 100.0, 2)),
    # gemma3_text as the released 4B: layer_types written (pattern 6: layers 0-4 slide, base 1e4; 5 full, base 1e6 with
    # linear / 8), one KV head, scalar = head_dim, no caps.
    "gemma3_bf16_as_released": lambda f, r: make_gemma2(
        f, r, "BF16", "gemma3_text", 48, 4, 1, 16, 6, 3, 16, (None, None), ["sliding_attention"] * 5 + ["full_attention"],
        (1000000.0, {"rope_type": "linear", "factor": 8.0}, 10000.0, 6)),
    # gemma3 image-text checkpoints (the 4B-27B): the text model under language_model.model.* / model.language_model.*,
    # text_config without the values equal to HF's defaults (query_pre_attn_scalar 256 with head_dim 16, pattern 6).
    "gemma3_image_text_f32_pre452": lambda f, r: make_gemma3_image_text(f, r, "F32", "pre452"),
    "gemma3_image_text_bf16": lambda f, r: make_gemma3_image_text(f, r, "BF16", "452"),
    # gpt_neox: per-head interleaved query_key_value, partial rotary (0.25 of 16: 4 values; 0.5 of 8: 4 values),
    # parallel and sequential residual; rotary_emb_base 10000 and 1000.
    "gpt_neox_f32_parallel": lambda f, r: make_gpt_neox(f, r, "F32", 48, 3, 0.25, True, 10000),
    "gpt_neox_f16_sequential": lambda f, r: make_gpt_neox(f, r, "F16", 32, 4, 0.5, False, 1000),
    # opt: positions from row p + 2; pre-LN (OPT-125m's kind), and post-LN with project_in/out 24 <-> 32 (OPT-350m's).
    "opt_f32_pre_ln": lambda f, r: make_opt(f, r, "F32", 32, 4, True, 32),
    "opt_f16_post_ln_project": lambda f, r: make_opt(f, r, "F16", 32, 4, False, 24),
    # The same families in BF16 (the dtype most released checkpoints use).
    "gpt_neox_bf16_parallel": lambda f, r: make_gpt_neox(f, r, "BF16", 32, 4, 0.25, True, 10000),
    "opt_bf16_pre_ln": lambda f, r: make_opt(f, r, "BF16", 32, 4, True, 32),
    "roberta_bf16_masked_lm": lambda f, r: make_roberta(f, r, "BF16", "roberta", "roberta.", 16, 4, True, False, False),
    # Issue 17. roberta / xlm-roberta: BERT's layout with token i at position row pad_token_id + 1 + i (2 ... 10 of 20),
    # one token type, layer_norm_eps 1e-5, RobertaLMHead (lm_head.*) tied to the word embeddings.
    # roberta_f32_masked_lm: "roberta." names as save_pretrained writes them (no lm_head.decoder.*).
    "roberta_f32_masked_lm": lambda f, r: make_roberta(f, r, "F32", "roberta", "roberta.", 16, 4, True, False, False),
    # A saved XLMRobertaModel: bare names, pooler.dense present (unused), no head; d 24 with 3 heads.
    "xlm_roberta_bf16_encoder": lambda f, r: make_roberta(f, r, "BF16", "xlm-roberta", "", 24, 3, False, False, True),
    # lm_head.decoder.weight / .bias written too, as copies of the word embeddings and of lm_head.bias.
    "xlm_roberta_f16_masked_lm_decoder_written": lambda f, r: make_roberta(f, r, "F16", "xlm-roberta", "roberta.", 16, 4,
                                                                           True, True, False),
}


def matrix_json(m):
    return [[None if v == -math.inf else float(v) for v in row] for row in np.asarray(m)]


def write_case(out, name, make):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(sum(map(ord, name)))  # a fixed seed per case
    cfg, ids, (layers, logits) = make(folder, rng)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    expected = {"ids": ids, "layers": [[{k: matrix_json(v) for k, v in h.items()} for h in heads] for heads in layers],
                "logits": matrix_json(logits) if logits is not None else None}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f)


def write_big_random(folder, kind):
    """Random checkpoints of real sizes for benchmarks; weights only, no reference outputs."""
    rng = np.random.default_rng(0)
    os.makedirs(folder, exist_ok=True)
    if kind == "gpt2-small":
        d, L, V, P, dtype = 768, 12, 50257, 1024, "F32"
        cfg = {"model_type": "gpt2", "n_embd": d, "n_head": 12, "n_layer": L, "n_positions": P, "vocab_size": V,
               "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
        shapes = {"transformer.wte.weight": (V, d), "transformer.wpe.weight": (P, d),
                  "transformer.ln_f.weight": (d,), "transformer.ln_f.bias": (d,)}
        for l in range(L):
            b = "transformer.h.%d." % l
            shapes.update({b + "ln_1.weight": (d,), b + "ln_1.bias": (d,), b + "ln_2.weight": (d,), b + "ln_2.bias": (d,),
                           b + "attn.c_attn.weight": (d, 3 * d), b + "attn.c_attn.bias": (3 * d,),
                           b + "attn.c_proj.weight": (d, d), b + "attn.c_proj.bias": (d,),
                           b + "mlp.c_fc.weight": (d, 4 * d), b + "mlp.c_fc.bias": (4 * d,),
                           b + "mlp.c_proj.weight": (4 * d, d), b + "mlp.c_proj.bias": (d,)})
    elif kind == "bert-base":
        d, L, V, P, ff, dtype = 768, 12, 30522, 512, 3072, "F16"
        cfg = {"model_type": "bert", "hidden_size": d, "num_attention_heads": 12, "num_hidden_layers": L,
               "intermediate_size": ff, "max_position_embeddings": P, "vocab_size": V, "type_vocab_size": 2,
               "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
        shapes = {"bert.embeddings.word_embeddings.weight": (V, d), "bert.embeddings.position_embeddings.weight": (P, d),
                  "bert.embeddings.token_type_embeddings.weight": (2, d), "bert.embeddings.LayerNorm.weight": (d,),
                  "bert.embeddings.LayerNorm.bias": (d,), "cls.predictions.transform.dense.weight": (d, d),
                  "cls.predictions.transform.dense.bias": (d,), "cls.predictions.transform.LayerNorm.weight": (d,),
                  "cls.predictions.transform.LayerNorm.bias": (d,), "cls.predictions.bias": (V,)}
        for l in range(L):
            b = "bert.encoder.layer.%d." % l
            for n in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
                shapes.update({b + n + ".weight": (d, d), b + n + ".bias": (d,)})
            shapes.update({b + "intermediate.dense.weight": (ff, d), b + "intermediate.dense.bias": (ff,),
                           b + "output.dense.weight": (d, ff), b + "output.dense.bias": (d,)})
            for n in ("attention.output.LayerNorm", "output.LayerNorm"):
                shapes.update({b + n + ".weight": (d,), b + n + ".bias": (d,)})
    else:  # llama-1b-bf16: Llama-3.2-1B's shape; llama-long: small and wide of context
        if kind == "llama-long":
            d, L, V, H, KV, dh, ff, dtype, P = 512, 8, 32000, 8, 4, 64, 1408, "F32", 16384
        elif kind == "llama-3b-bf16":
            d, L, V, H, KV, dh, ff, dtype, P = 3072, 28, 128256, 24, 8, 128, 8192, "BF16", 8192
        else:
            d, L, V, H, KV, dh, ff, dtype, P = 2048, 16, 128256, 32, 8, 64, 8192, "BF16", 8192
        cfg = {"model_type": "llama", "hidden_size": d, "num_attention_heads": H, "num_key_value_heads": KV,
               "head_dim": dh, "intermediate_size": ff, "num_hidden_layers": L, "vocab_size": V,
               "max_position_embeddings": P, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "hidden_act": "silu",
               "tie_word_embeddings": True}
        shapes = {"model.embed_tokens.weight": (V, d), "model.norm.weight": (d,)}
        for l in range(L):
            b = "model.layers.%d." % l
            shapes.update({b + "input_layernorm.weight": (d,), b + "post_attention_layernorm.weight": (d,),
                           b + "self_attn.q_proj.weight": (H * dh, d), b + "self_attn.k_proj.weight": (KV * dh, d),
                           b + "self_attn.v_proj.weight": (KV * dh, d), b + "self_attn.o_proj.weight": (d, H * dh),
                           b + "mlp.gate_proj.weight": (ff, d), b + "mlp.up_proj.weight": (ff, d),
                           b + "mlp.down_proj.weight": (d, ff)})
    tensors = {}
    for name, shape in shapes.items():
        scale = 1.0 if len(shape) == 1 else 0.02
        a = (scale * rng.standard_normal(shape, dtype=np.float32) + (1.0 if len(shape) == 1 else 0.0)).astype(np.float32)
        tensors[name] = (dtype, shape, stored(a, dtype)[0])
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    if kind == "bert-base":
        write_wordpiece(folder)
    else:
        write_byte_level_bpe(folder)


def main(argv):
    if len(argv) == 3 and argv[1] in ("--gpt2-small", "--llama-1b-bf16", "--llama-3b-bf16", "--bert-base", "--llama-long"):
        write_big_random(argv[2], argv[1][2:])
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    for name, make in CASES.items():
        write_case(argv[1], name, make)
    print("wrote %d reference checkpoints to %s" % (len(CASES), argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
