#!/usr/bin/env python3
"""Independent reference for AttnScope's encoder-decoder (seq2seq) Hugging Face loaders: T5, BART, Marian.

Writes tiny random checkpoints in the real Hugging Face layouts (tensor names, Linear weights stored
out x in, F32/F16 rounding) and, for each, the forward pass computed here with plain numpy in float64
from the weights exactly as stored. Written from the transformers modelling code (modeling_t5.py,
modeling_bart.py, modeling_marian.py), separately from the C++ code.

    make_seq2seq_reference.py OUT_DIR      OUT_DIR/<case>/{config.json, model.safetensors, expected.json}
                                           and OUT_DIR/README.txt

expected.json (one per case):
    source_ids      encoder input ids
    target_ids      decoder input ids; target_ids[0] == config decoder_start_token_id
    encoder         [layer][head] {"q", "k", "v": src x d_head, "scores", "weights": src x src}
    decoder         [layer][head] {"q", "k", "v": tgt x d_head, "scores", "weights": tgt x tgt}   (causal self-attention)
    cross           [layer][head] {"q": tgt x d_head, "k", "v": src x d_head, "scores", "weights": tgt x src}
    encoder_output  src x d_model: the encoder's last hidden state, i.e. what the cross-attention k/v projections
                    read (T5: after encoder.final_layer_norm; BART/Marian: output of the last encoder layer, which
                    already ends in its post-LN final_layer_norm; there is no extra encoder norm)
    logits          tgt x vocab

Conventions of the per-head records:
  * "q", "k", "v" are the projections exactly as the Linear layers produce them, split per head:
        q = x Wq^T (+ bq), k = x Wk^T (+ bk), v = x Wv^T (+ bv), head h = columns [h*d_head, (h+1)*d_head).
    They are NOT scaled: for BART/Marian the head_dim**-0.5 factor is not folded into q.
  * "scores" are the values that go into the softmax, before any masking:
        T5:          scores = q.k + position_bias      (NO 1/sqrt(d) scaling; bias only in self-attention,
                                                        none in cross-attention)
        BART/Marian: scores = (q.k) * head_dim**-0.5
    For the decoder's causal self-attention the cells above the diagonal (key j > query i) hold this same
    unmasked value (for T5 including the bias of its bucket, which is bucket 0 for every future key); their
    "weights" are exactly 0.
  * "weights" = softmax over the unmasked cells of each row (rows sum to 1).
  * d_head: T5 d_kv (independent of d_model / num_heads); BART/Marian d_model / (encoder|decoder)_attention_heads.

Stored tensors (what model.safetensors holds; the loader must not need anything else):
  T5:     shared.weight, encoder.block.{i}.layer.0.SelfAttention.{q,k,v,o}.weight,
          encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight (num_buckets x num_heads, block 0 only,
          shared by all blocks of its stack), encoder.block.{i}.layer.0.layer_norm.weight,
          encoder.block.{i}.layer.1.DenseReluDense.{wi,wo}.weight (relu) or .{wi_0,wi_1,wo}.weight (gated),
          encoder.block.{i}.layer.1.layer_norm.weight, encoder.final_layer_norm.weight;
          decoder.block.{i}.layer.0.SelfAttention.*, decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight,
          decoder.block.{i}.layer.1.EncDecAttention.{q,k,v,o}.weight, decoder.block.{i}.layer.1.layer_norm.weight,
          decoder.block.{i}.layer.2.DenseReluDense.*, decoder.block.{i}.layer.2.layer_norm.weight,
          decoder.final_layer_norm.weight.
          t5_relu_f32 ALSO stores encoder.embed_tokens.weight and decoder.embed_tokens.weight (bit-identical copies of
          shared.weight, as older checkpoints have them); t5_gated_f16 omits them (as save_pretrained does).
          Tied case (t5_relu_f32): no lm_head.weight; logits = (decoder_out * d_model**-0.5) @ shared^T.
          Untied case (t5_gated_f16): lm_head.weight stored; logits = decoder_out @ lm_head^T (no rescale).
  BART:   model.shared.weight, model.{encoder,decoder}.embed_positions.weight ((max_position_embeddings + 2) x d_model;
          position p uses row p + 2), model.{encoder,decoder}.layernorm_embedding.{weight,bias},
          model.encoder.layers.{i}.self_attn.{q,k,v,out}_proj.{weight,bias}, .self_attn_layer_norm.{weight,bias},
          .fc1.{weight,bias}, .fc2.{weight,bias}, .final_layer_norm.{weight,bias}; decoder layers likewise plus
          .encoder_attn.{q,k,v,out}_proj.{weight,bias} and .encoder_attn_layer_norm.{weight,bias};
          final_logits_bias (1 x vocab, nonzero random). No lm_head.weight (tied to model.shared.weight), no
          model.{encoder,decoder}.embed_tokens.weight. logits = decoder_out @ shared^T + final_logits_bias.
  Marian: as BART but no layernorm_embedding and sinusoidal positions:
          marian_f32 stores model.encoder.embed_positions.weight and model.decoder.embed_positions.weight
          (max_position_embeddings x d_model, the sinusoid table rounded to float32, identical for both), as the
          2020-era Helsinki-NLP opus-mt checkpoints (converted before transformers stopped saving them) do;
          marian_f16_no_pos_table does not store them (as transformers' save_pretrained writes Marian today:
          _keys_to_ignore_on_save), so the loader must build the table itself.
          Table layout (MarianSinusoidalPositionalEmbedding._init_weight): for i < d/2,
          row p column i = sin(p / 10000**(2i/d)), column d/2 + i = cos(p / 10000**(2i/d)) (halves, NOT
          interleaved); position ids start at 0 (no offset).

Where the scalings are applied:
  T5:     no embedding scale; no attention scale; decoder output * d_model**-0.5 before the lm head iff
          tie_word_embeddings (true by default when the key is absent).
  BART:   token embedding * sqrt(d_model) iff scale_embedding; then + learned position; then layernorm_embedding.
          attention scores * head_dim**-0.5. post-LN layers; no final encoder/decoder norm (add_final_layer_norm
          and normalize_before are config keys HF BART ignores; here false as in real bart configs).
  Marian: token embedding * sqrt(d_model) (scale_embedding true) + sinusoid; no layernorm_embedding;
          attention scores * head_dim**-0.5; post-LN; activation swish (SiLU).
  nn.LayerNorm eps is 1e-5 for BART/Marian (not a config key); T5 RMS norm eps is layer_norm_epsilon.

Numerics: everything in float64 from the stored (F32/F16-rounded) values. The Marian table, when not stored, is
the float64 sinusoid (torch would hold it in float32: differences ~1e-8). T5 bucket numbers are computed in float64;
torch computes the log part in float32 and truncates, so the bucket function refuses relative positions whose value
lies within 1e-4 of an integer boundary (none occur in these cases; the self-check compares it against a float32
transcription of the torch code over -300..300 for several settings).

Checks run every time: self_check() (hand-worked T5 buckets, the Marian table vs a transcription of
_init_weight, attend() vs make_reference.attention), then per case: rows sum to 1, causal cells 0, attention
clearly non-uniform, and the whole forward recomputed from the written config.json + model.safetensors.
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_reference  # noqa: E402  (its attention() is used by the self-check)
from make_reference import Checkpoint, stored, layer_norm, rms_norm, gelu_erf, gelu_tanh  # noqa: E402

LN_EPS = 1e-5  # torch.nn.LayerNorm default, used by BART and Marian

# ---------------------------------------------------------------- helpers


def put(c, name, values):
    """Store given values (not random ones) in checkpoint c, with its dtype; returns the stored float64 values."""
    data, value = stored(values, c.dtype)
    c.tensors[name] = (c.dtype, tuple(np.shape(values)), data)
    c.values[name] = value
    return value


def relu(x):
    return np.maximum(x, 0.0)


def silu(x):
    return x / (1.0 + np.exp(-x))


def softmax_row(scores, allowed):
    m = max(s for s, a in zip(scores, allowed) if a)
    e = np.array([math.exp(s - m) if a else 0.0 for s, a in zip(scores, allowed)])
    return e / e.sum()


def attend(q, k, v, n_heads, d_head, scale, bias=None, causal=False):
    """q: nq x (H*dh), k, v: nk x (H*dh), unscaled. bias: H x nq x nk or None.
    Returns per-head records (raw unmasked scores) and the concatenated nq x (H*dh) output."""
    nq, nk = q.shape[0], k.shape[0]
    heads, outs = [], []
    for h in range(n_heads):
        sl = slice(h * d_head, (h + 1) * d_head)
        qh, kh, vh = q[:, sl], k[:, sl], v[:, sl]
        scores = (qh @ kh.T) * scale
        if bias is not None:
            scores = scores + bias[h]
        weights = np.zeros((nq, nk))
        for i in range(nq):
            allowed = [not (causal and j > i) for j in range(nk)]
            weights[i] = softmax_row(scores[i], allowed)
        heads.append({"q": qh, "k": kh, "v": vh, "scores": scores, "weights": weights})
        outs.append(weights @ vh)
    return heads, np.concatenate(outs, axis=1)

# ---------------------------------------------------------------- T5


def t5_relative_position_bucket(rel, bidirectional, num_buckets, max_distance):
    """T5Attention._relative_position_bucket for one relative position rel = key_pos - query_pos."""
    bucket = 0
    if bidirectional:
        num_buckets //= 2
        if rel > 0:
            bucket += num_buckets
        n = abs(rel)
    else:
        n = -min(rel, 0)  # keys after the query (rel > 0) all fall in bucket 0
    max_exact = num_buckets // 2
    if n < max_exact:
        return bucket + n
    v = math.log(n / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    # torch computes this in float32 and truncates; refuse inputs where float32 vs float64 could round differently
    k = round(v)
    if n > max_exact and abs(v - k) < 1e-4 and max_exact + k - 1 < num_buckets - 1:
        raise ValueError("relative position %d sits on a bucket boundary; pick other bucket settings" % rel)
    return bucket + min(max_exact + int(v), num_buckets - 1)


def t5_position_bias(table, nq, nk, bidirectional, num_buckets, max_distance):
    """table: num_buckets x H (relative_attention_bias.weight). Returns H x nq x nk."""
    H = table.shape[1]
    bias = np.zeros((H, nq, nk))
    for i in range(nq):
        for j in range(nk):
            bias[:, i, j] = table[t5_relative_position_bucket(j - i, bidirectional, num_buckets, max_distance)]
    return bias


def t5_ff(W, p, x, cfg):
    lin = lambda x, name: x @ W[p + name + ".weight"].T
    if cfg["feed_forward_proj"].startswith("gated-"):
        act = {"gelu": gelu_tanh, "relu": relu, "silu": silu}[cfg["feed_forward_proj"][6:]]  # gated-gelu -> gelu_new
        return lin(act(lin(x, "wi_0")) * lin(x, "wi_1"), "wo")
    assert cfg["feed_forward_proj"] == "relu"
    return lin(relu(lin(x, "wi")), "wo")


def t5_forward(W, cfg, src, tgt):
    H, dkv, eps = cfg["num_heads"], cfg["d_kv"], cfg["layer_norm_epsilon"]
    nb, md = cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"]
    lin = lambda x, name: x @ W[name + ".weight"].T  # T5 Linear layers have no biases
    emb = W["shared.weight"]

    x = emb[src]  # no embedding scale
    bias = t5_position_bias(W["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"],
                            len(src), len(src), True, nb, md)
    enc_layers = []
    for l in range(cfg["num_layers"]):
        p = "encoder.block.%d.layer." % l
        h = rms_norm(x, W[p + "0.layer_norm.weight"], eps)
        a = p + "0.SelfAttention."
        heads, out = attend(lin(h, a + "q"), lin(h, a + "k"), lin(h, a + "v"), H, dkv, 1.0, bias)
        enc_layers.append(heads)
        x = x + lin(out, a + "o")
        x = x + t5_ff(W, p + "1.DenseReluDense.", rms_norm(x, W[p + "1.layer_norm.weight"], eps), cfg)
    enc_out = rms_norm(x, W["encoder.final_layer_norm.weight"], eps)

    y = emb[tgt]
    bias = t5_position_bias(W["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"],
                            len(tgt), len(tgt), False, nb, md)
    dec_layers, cross_layers = [], []
    for l in range(cfg["num_decoder_layers"]):
        p = "decoder.block.%d.layer." % l
        h = rms_norm(y, W[p + "0.layer_norm.weight"], eps)
        a = p + "0.SelfAttention."
        heads, out = attend(lin(h, a + "q"), lin(h, a + "k"), lin(h, a + "v"), H, dkv, 1.0, bias, causal=True)
        dec_layers.append(heads)
        y = y + lin(out, a + "o")
        h = rms_norm(y, W[p + "1.layer_norm.weight"], eps)
        a = p + "1.EncDecAttention."
        heads, out = attend(lin(h, a + "q"), lin(enc_out, a + "k"), lin(enc_out, a + "v"), H, dkv, 1.0)  # no bias
        cross_layers.append(heads)
        y = y + lin(out, a + "o")
        y = y + t5_ff(W, p + "2.DenseReluDense.", rms_norm(y, W[p + "2.layer_norm.weight"], eps), cfg)
    dec_out = rms_norm(y, W["decoder.final_layer_norm.weight"], eps)
    if cfg["tie_word_embeddings"]:
        logits = (dec_out * cfg["d_model"] ** -0.5) @ emb.T
    else:
        logits = dec_out @ W["lm_head.weight"].T
    return enc_layers, dec_layers, cross_layers, enc_out, logits


def make_t5(folder, rng, dtype, gated):
    V = 40
    if gated:  # T5 v1.1 / FLAN-T5 style, encoder deeper than decoder, d_kv * num_heads == d_model
        d, dkv, H, ff, L, Ld, nb, md = 16, 8, 2, 32, 3, 2, 16, 32
        cfg = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "d_model": d, "d_kv": dkv,
               "d_ff": ff, "num_heads": H, "num_layers": L, "num_decoder_layers": Ld,
               "relative_attention_num_buckets": nb, "relative_attention_max_distance": md,
               "layer_norm_epsilon": 1e-6, "feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu_new",
               "is_gated_act": True, "tie_word_embeddings": False, "decoder_start_token_id": 0, "pad_token_id": 0,
               "eos_token_id": 1, "vocab_size": V, "dropout_rate": 0.1, "initializer_factor": 1.0,
               "is_encoder_decoder": True, "n_positions": 512, "output_past": True, "use_cache": True,
               "torch_dtype": "float16"}
    else:  # T5 v1.0 (t5-small) style; d_kv * num_heads = 24 != d_model = 20
        d, dkv, H, ff, L, Ld, nb, md = 20, 8, 3, 32, 2, 2, 8, 20
        cfg = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "d_model": d, "d_kv": dkv,
               "d_ff": ff, "num_heads": H, "num_layers": L, "num_decoder_layers": Ld,
               "relative_attention_num_buckets": nb, "relative_attention_max_distance": md,
               "layer_norm_epsilon": 1e-6, "feed_forward_proj": "relu", "tie_word_embeddings": True,
               "decoder_start_token_id": 0, "pad_token_id": 0, "eos_token_id": 1, "vocab_size": V,
               "dropout_rate": 0.1, "initializer_factor": 1.0, "is_encoder_decoder": True, "n_positions": 512,
               "output_past": True}
    inner = H * dkv
    c = Checkpoint(rng, dtype)
    shared = c.add("shared.weight", (V, d), 1.0)
    if not gated:
        put(c, "encoder.embed_tokens.weight", shared)
        put(c, "decoder.embed_tokens.weight", shared)

    def attn(prefix, rel_bias):
        for n in ("q", "k"):
            c.add(prefix + n + ".weight", (inner, d), 0.2)
        c.add(prefix + "v.weight", (inner, d), 0.4)
        c.add(prefix + "o.weight", (d, inner), 0.3)
        if rel_bias:
            c.add(prefix + "relative_attention_bias.weight", (nb, H), 0.8)

    def ff_block(prefix):
        if gated:
            c.add(prefix + "wi_0.weight", (ff, d), 0.3); c.add(prefix + "wi_1.weight", (ff, d), 0.3)
        else:
            c.add(prefix + "wi.weight", (ff, d), 0.3)
        c.add(prefix + "wo.weight", (d, ff), 0.2)

    norm = lambda name: c.add(name, (d,), 0.1, 1.0)
    for l in range(L):
        p = "encoder.block.%d.layer." % l
        attn(p + "0.SelfAttention.", l == 0); norm(p + "0.layer_norm.weight")
        ff_block(p + "1.DenseReluDense."); norm(p + "1.layer_norm.weight")
    norm("encoder.final_layer_norm.weight")
    for l in range(Ld):
        p = "decoder.block.%d.layer." % l
        attn(p + "0.SelfAttention.", l == 0); norm(p + "0.layer_norm.weight")
        attn(p + "1.EncDecAttention.", False); norm(p + "1.layer_norm.weight")
        ff_block(p + "2.DenseReluDense."); norm(p + "2.layer_norm.weight")
    norm("decoder.final_layer_norm.weight")
    if gated:  # untied head; when tied, lm_head is shared.weight and is not stored
        c.add("lm_head.weight", (V, d), 1.0)
    c.save(folder)
    n_src = 9 if gated else 8
    src = [int(i) for i in rng.integers(2, V, n_src - 1)] + [cfg["eos_token_id"]]
    tgt = [cfg["decoder_start_token_id"]] + [int(i) for i in rng.integers(2, V, 5 if gated else 4)]
    return cfg, src, tgt, t5_forward(c.values, cfg, src, tgt)

# ---------------------------------------------------------------- BART and Marian


def marian_sinusoid_table(n_pos, dim):
    """MarianSinusoidalPositionalEmbedding: sin in columns [0, dim/2), cos in [dim/2, dim), same frequencies."""
    assert dim % 2 == 0
    half = dim // 2
    table = np.zeros((n_pos, dim))
    for p in range(n_pos):
        for i in range(half):
            angle = p / 10000.0 ** (2 * i / dim)
            table[p, i] = math.sin(angle)
            table[p, half + i] = math.cos(angle)
    return table


def bart_forward(W, cfg, src, tgt, marian):
    d = cfg["d_model"]
    Henc, Hdec = cfg["encoder_attention_heads"], cfg["decoder_attention_heads"]
    act = {"gelu": gelu_erf, "swish": silu, "silu": silu, "relu": relu, "gelu_new": gelu_tanh}[cfg["activation_function"]]
    lin = lambda x, name: x @ W[name + ".weight"].T + W[name + ".bias"]
    ln = lambda x, name: layer_norm(x, W[name + ".weight"], W[name + ".bias"], LN_EPS)
    embed_scale = math.sqrt(d) if cfg["scale_embedding"] else 1.0
    emb = W["model.shared.weight"]

    def positions(stack, n):
        if marian:
            name = "model.%s.embed_positions.weight" % stack
            table = W[name] if name in W else marian_sinusoid_table(cfg["max_position_embeddings"], d)
            return table[:n]  # position ids 0..n-1
        return W["model.%s.embed_positions.weight" % stack][2:2 + n]  # BartLearnedPositionalEmbedding offset 2

    def self_attn(x, p, H, causal):
        dh = d // H
        heads, out = attend(lin(x, p + "q_proj"), lin(x, p + "k_proj"), lin(x, p + "v_proj"), H, dh, dh ** -0.5,
                            causal=causal)
        return heads, lin(out, p + "out_proj")

    x = emb[src] * embed_scale + positions("encoder", len(src))
    if not marian:
        x = ln(x, "model.encoder.layernorm_embedding")
    enc_layers = []
    for l in range(cfg["encoder_layers"]):
        p = "model.encoder.layers.%d." % l
        heads, out = self_attn(x, p + "self_attn.", Henc, False)
        enc_layers.append(heads)
        x = ln(x + out, p + "self_attn_layer_norm")
        x = ln(x + lin(act(lin(x, p + "fc1")), p + "fc2"), p + "final_layer_norm")
    enc_out = x

    y = emb[tgt] * embed_scale + positions("decoder", len(tgt))
    if not marian:
        y = ln(y, "model.decoder.layernorm_embedding")
    dec_layers, cross_layers = [], []
    dh = d // Hdec
    for l in range(cfg["decoder_layers"]):
        p = "model.decoder.layers.%d." % l
        heads, out = self_attn(y, p + "self_attn.", Hdec, True)
        dec_layers.append(heads)
        y = ln(y + out, p + "self_attn_layer_norm")
        a = p + "encoder_attn."
        heads, out = attend(lin(y, a + "q_proj"), lin(enc_out, a + "k_proj"), lin(enc_out, a + "v_proj"),
                            Hdec, dh, dh ** -0.5)
        cross_layers.append(heads)
        y = ln(y + lin(out, a + "out_proj"), p + "encoder_attn_layer_norm")
        y = ln(y + lin(act(lin(y, p + "fc1")), p + "fc2"), p + "final_layer_norm")
    logits = y @ emb.T + W["final_logits_bias"][0]  # lm_head tied to model.shared
    return enc_layers, dec_layers, cross_layers, enc_out, logits


def make_bart(folder, rng, dtype, marian, d, Henc, Hdec, ffe, ffd, Le, Ld, scale_embedding, store_pos_table=True):
    V, P = 40, 32
    if marian:  # shaped like /work/shared/models/opus_mt_en_mg/config.json (a real Helsinki-NLP config)
        pad = V - 1  # Marian: pad is the last id and is also decoder_start_token_id
        cfg = {"_num_labels": 3, "activation_dropout": 0.0, "activation_function": "swish", "add_bias_logits": False,
               "add_final_layer_norm": False, "architectures": ["MarianMTModel"], "attention_dropout": 0.0,
               "bad_words_ids": [[pad]], "bos_token_id": 0, "classif_dropout": 0.0, "d_model": d,
               "decoder_attention_heads": Hdec, "decoder_ffn_dim": ffd, "decoder_layerdrop": 0.0,
               "decoder_layers": Ld, "decoder_start_token_id": pad, "dropout": 0.1, "encoder_attention_heads": Henc,
               "encoder_ffn_dim": ffe, "encoder_layerdrop": 0.0, "encoder_layers": Le, "eos_token_id": 0,
               "init_std": 0.02, "is_encoder_decoder": True, "max_length": 512, "max_position_embeddings": P,
               "model_type": "marian", "normalize_before": False, "normalize_embedding": False, "num_beams": 4,
               "num_hidden_layers": Le, "pad_token_id": pad, "scale_embedding": scale_embedding,
               "static_position_embeddings": True, "vocab_size": V}
        src_body, eos, start = (1, V - 1), 0, pad
    else:  # shaped like facebook/bart-base's config.json
        cfg = {"activation_dropout": 0.1, "activation_function": "gelu", "add_bias_logits": False,
               "add_final_layer_norm": False, "architectures": ["BartForConditionalGeneration"],
               "attention_dropout": 0.1, "bos_token_id": 0, "classif_dropout": 0.1, "classifier_dropout": 0.0,
               "d_model": d, "decoder_attention_heads": Hdec, "decoder_ffn_dim": ffd, "decoder_layerdrop": 0.0,
               "decoder_layers": Ld, "decoder_start_token_id": 2, "dropout": 0.1, "encoder_attention_heads": Henc,
               "encoder_ffn_dim": ffe, "encoder_layerdrop": 0.0, "encoder_layers": Le, "eos_token_id": 2,
               "forced_bos_token_id": 0, "forced_eos_token_id": 2, "init_std": 0.02, "is_encoder_decoder": True,
               "max_position_embeddings": P, "model_type": "bart", "normalize_before": False,
               "normalize_embedding": True, "num_hidden_layers": Le, "pad_token_id": 1,
               "scale_embedding": scale_embedding, "use_cache": True, "vocab_size": V}
        src_body, eos, start = (4, V), 2, 2
    c = Checkpoint(rng, dtype)
    c.add("model.shared.weight", (V, d), 0.3 if marian else 0.5)  # Marian has no embedding layer norm
    lin = lambda name, o, i, s=0.3: (c.add(name + ".weight", (o, i), s), c.add(name + ".bias", (o,), 0.1))
    norm = lambda name: (c.add(name + ".weight", (d,), 0.1, 1.0), c.add(name + ".bias", (d,), 0.1))

    qk = 0.25 if marian else 0.35  # enough to make attention clearly non-uniform without saturating it

    def attn(prefix):
        lin(prefix + "q_proj", d, d, qk); lin(prefix + "k_proj", d, d, qk)
        lin(prefix + "v_proj", d, d); lin(prefix + "out_proj", d, d)

    for stack in ("encoder", "decoder"):
        if marian:
            if store_pos_table:
                table = marian_sinusoid_table(P, d).astype(np.float32)  # torch.FloatTensor(np.sin(...)), as saved
                put(c, "model.%s.embed_positions.weight" % stack, table)
        else:
            c.add("model.%s.embed_positions.weight" % stack, (P + 2, d), 0.3)
            norm("model.%s.layernorm_embedding" % stack)
        n_layers, ff = (Le, ffe) if stack == "encoder" else (Ld, ffd)
        for l in range(n_layers):
            p = "model.%s.layers.%d." % (stack, l)
            attn(p + "self_attn."); norm(p + "self_attn_layer_norm")
            if stack == "decoder":
                attn(p + "encoder_attn."); norm(p + "encoder_attn_layer_norm")
            lin(p + "fc1", ff, d); lin(p + "fc2", d, ff, 0.2); norm(p + "final_layer_norm")
    c.add("final_logits_bias", (1, V), 0.5)
    c.save(folder)
    src = [int(i) for i in rng.integers(src_body[0], src_body[1], 6 if marian else 7)] + [eos]
    if not marian:
        src = [0] + src  # <s> ... </s>
    tgt = [start] + [int(i) for i in rng.integers(src_body[0], src_body[1], 5)]
    return cfg, src, tgt, bart_forward(c.values, cfg, src, tgt, marian)

# ---------------------------------------------------------------- cases and output


CASES = {
    # T5 v1.0: relu FF, tied head with d_model**-0.5 rescale, d_kv*heads (24) != d_model (20), 8 buckets / max 20,
    # stores encoder/decoder.embed_tokens.weight copies of shared.weight.
    "t5_relu_f32": lambda f, r: make_t5(f, r, "F32", gated=False),
    # T5 v1.1 / FLAN: gated-gelu (gelu_new) FF, untied lm_head.weight, 3 encoder / 2 decoder blocks, 16 buckets / max 32.
    "t5_gated_f16": lambda f, r: make_t5(f, r, "F16", gated=True),
    # BART: d 24, 3 heads, 2 + 2 layers, scale_embedding false.
    "bart_f32": lambda f, r: make_bart(f, r, "F32", False, 24, 3, 3, 32, 32, 2, 2, False),
    # BART: d 16, 2 encoder heads / 4 decoder heads, ffn 32 / 28, 2 encoder / 3 decoder layers, scale_embedding true.
    "bart_f16": lambda f, r: make_bart(f, r, "F16", False, 16, 2, 4, 32, 28, 2, 3, True),
    # Marian: d 16, 2 heads, swish, scale_embedding, sinusoid table stored (as 2020 Helsinki-NLP checkpoints).
    "marian_f32": lambda f, r: make_bart(f, r, "F32", True, 16, 2, 2, 32, 32, 2, 2, True),
    # Marian: d 20, 2 heads (d_head 10), table NOT stored (as current save_pretrained), 1 encoder / 2 decoder layers.
    "marian_f16_no_pos_table": lambda f, r: make_bart(f, r, "F16", True, 20, 2, 2, 32, 32, 1, 2, True,
                                                      store_pos_table=False),
}


def matrix_json(m):
    return [[float(v) for v in row] for row in np.asarray(m)]


def heads_json(layers):
    return [[{k: matrix_json(v) for k, v in h.items()} for h in heads] for heads in layers]


def write_case(out, name, make):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(sum(map(ord, name)) + 1000)  # a fixed seed per case
    cfg, src, tgt, (enc, dec, cross, enc_out, logits) = make(folder, rng)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    # A model folder needs a tokenizer to load; the test feeds ids, so any vocabulary of the
    # right size does: a WordPiece vocab.txt of vocab_size made-up words.
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        f.write("\n".join(specials + ["w%d" % i for i in range(len(specials), cfg["vocab_size"])]) + "\n")
    expected = {"source_ids": src, "target_ids": tgt, "encoder": heads_json(enc), "decoder": heads_json(dec),
                "cross": heads_json(cross), "encoder_output": matrix_json(enc_out), "logits": matrix_json(logits)}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f)
    return expected


def read_safetensors(path):
    """name -> float64 array, parsed independently of the writer."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        buf = raw[8 + n + a:8 + n + b]
        if t["dtype"] == "BF16":
            arr = (np.frombuffer(buf, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(buf, {"F32": np.float32, "F16": np.float16}[t["dtype"]])
        out[name] = arr.astype(np.float64).reshape(t["shape"])
    return out


def recompute_from_files(folder):
    """The forward pass again, from config.json + model.safetensors as written (what a loader sees)."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "expected.json")) as f:
        e = json.load(f)
    W = read_safetensors(os.path.join(folder, "model.safetensors"))
    if cfg["model_type"] == "t5":
        for stack in ("encoder", "decoder"):  # copies, when stored, must equal shared.weight
            if stack + ".embed_tokens.weight" in W:
                assert np.array_equal(W[stack + ".embed_tokens.weight"], W["shared.weight"])
        r = t5_forward(W, cfg, e["source_ids"], e["target_ids"])
    else:
        if cfg["model_type"] == "marian" and "model.encoder.embed_positions.weight" in W:
            table = marian_sinusoid_table(cfg["max_position_embeddings"], cfg["d_model"])
            assert np.allclose(W["model.encoder.embed_positions.weight"], table, atol=1e-7)
            assert np.array_equal(W["model.decoder.embed_positions.weight"], W["model.encoder.embed_positions.weight"])
        r = bart_forward(W, cfg, e["source_ids"], e["target_ids"], cfg["model_type"] == "marian")
    enc, dec, cross, enc_out, logits = r
    again = {"encoder": heads_json(enc), "decoder": heads_json(dec), "cross": heads_json(cross),
             "encoder_output": matrix_json(enc_out), "logits": matrix_json(logits)}
    for k, v in again.items():
        assert v == e[k], (folder, k)


def check_expected(name, e):
    """Sanity of what was written: rows sum to 1, causal cells 0, attention clearly not uniform, shapes agree."""
    ns, nt = len(e["source_ids"]), len(e["target_ids"])
    spread = []
    for kind, nq, nk, causal in (("encoder", ns, ns, False), ("decoder", nt, nt, True), ("cross", nt, ns, False)):
        for heads in e[kind]:
            for h in heads:
                w, s = np.array(h["weights"]), np.array(h["scores"])
                assert w.shape == (nq, nk) and s.shape == (nq, nk), (name, kind)
                assert len(h["q"]) == nq and len(h["k"]) == nk and len(h["v"]) == nk
                assert np.allclose(w.sum(1), 1.0, atol=1e-12), (name, kind)
                if causal:
                    assert np.all(w[np.triu_indices(nq, 1)] == 0.0), (name, kind)
                    assert np.all(np.isfinite(s)), (name, kind)
                rows = range(1, nq) if causal else range(nq)  # row 0 of causal attention is trivially [1]
                spread.extend(w[i, :(i + 1 if causal else nk)].max() - w[i, :(i + 1 if causal else nk)].min()
                              for i in rows)
    assert np.mean(spread) > 0.1, (name, "attention too uniform", np.mean(spread))
    assert np.array(e["logits"]).shape[0] == nt
    return float(np.mean(spread)), float(np.max(spread))


def self_check():
    # T5 buckets, worked by hand for the t5-small settings (32 buckets, max distance 128).
    # Bidirectional (encoder): 16 buckets per direction, max_exact 8; keys after the query get +16.
    #   |rel| < 8 -> |rel|; rel=-9 -> 8 + int(ln(9/8)/ln(16)*8 = 0.34) = 8; rel=-20 -> 8 + int(ln 2.5/ln 16*8 = 2.64) = 10;
    #   rel=-200 -> 8 + int(9.29) = 17, capped at 15.
    bi = lambda r: t5_relative_position_bucket(r, True, 32, 128)
    assert [bi(r) for r in (0, -1, 1, -7, 7, -9, 9, -20, 20, -200, 200)] == [0, 1, 17, 7, 23, 8, 24, 10, 26, 15, 31]
    # Unidirectional (decoder): all 32 buckets for the past, max_exact 16; future keys -> 0.
    #   rel=-20 -> 16 + int(ln 1.25/ln 8*16 = 1.72) = 17; rel=-100 -> 16 + int(ln 6.25/ln 8*16 = 14.1) = 30;
    #   rel=-127 -> 16 + int(15.94) = 31; rel=-1000 -> capped 31.
    uni = lambda r: t5_relative_position_bucket(r, False, 32, 128)
    assert [uni(r) for r in (0, 1, 5, -1, -15, -16, -20, -100, -127, -1000)] == [0, 0, 0, 1, 15, 16, 17, 30, 31, 31]
    # The small settings used by the cases: 8 buckets / max 20 and 16 buckets / max 32.
    assert [t5_relative_position_bucket(r, True, 8, 20) for r in (-1, 1, -2, -6, -7, 7, -8)] == [1, 5, 2, 2, 3, 7, 3]
    assert [t5_relative_position_bucket(r, False, 8, 20) for r in (2, -3, -4, -5, -7, -8)] == [0, 3, 4, 4, 5, 5]
    assert [t5_relative_position_bucket(r, True, 16, 32) for r in (-3, 3, -4, -6, -7, 8)] == [3, 11, 4, 4, 5, 13]

    # Sweep: the scalar function must agree with a literal numpy transcription of the torch code, which computes
    # the logarithmic part in float32 (positions where the two could round differently raise and are skipped).
    for bidirectional in (True, False):
        for nb, md in ((32, 128), (8, 20), (16, 32), (32, 64)):
            rel = np.arange(-300, 301)
            buckets = np.zeros_like(rel)
            n_b = nb
            if bidirectional:
                n_b //= 2
                buckets += (rel > 0).astype(rel.dtype) * n_b
                n = np.abs(rel)
            else:
                n = -np.minimum(rel, np.zeros_like(rel))
            max_exact = n_b // 2
            with np.errstate(divide="ignore", invalid="ignore"):  # log(0) at n = 0, replaced by np.where
                large = max_exact + (np.log(n.astype(np.float32) / np.float32(max_exact))
                                     / np.float32(math.log(md / max_exact)) * np.float32(n_b - max_exact)).astype(np.int64)
            large = np.minimum(large, np.full_like(large, n_b - 1))
            buckets += np.where(n < max_exact, n, large)
            checked = 0
            for r, b in zip(rel, buckets):
                try:
                    ours = t5_relative_position_bucket(int(r), bidirectional, nb, md)
                except ValueError:
                    continue
                assert ours == b, (bidirectional, nb, md, r, ours, b)
                checked += 1
            assert checked > 590

    # Marian sinusoids: the table must equal a transcription of MarianSinusoidalPositionalEmbedding._init_weight.
    for n_pos, dim in ((32, 16), (32, 20), (7, 6)):
        position_enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
        ref = np.empty((n_pos, dim))
        sentinel = dim // 2 if dim % 2 == 0 else (dim // 2) + 1
        ref[:, 0:sentinel] = np.sin(position_enc[:, 0::2])
        ref[:, sentinel:] = np.cos(position_enc[:, 1::2])
        assert np.allclose(marian_sinusoid_table(n_pos, dim), ref, rtol=0, atol=1e-12)
    t = marian_sinusoid_table(4, 8)
    assert np.all(t[0, :4] == 0) and np.all(t[0, 4:] == 1)              # position 0: sin 0 | cos 0
    assert t[1, 0] == math.sin(1) and t[1, 4] == math.cos(1)             # column 0 / 4: frequency 1
    assert abs(t[3, 1] - math.sin(3 / 10)) < 1e-15 and abs(t[3, 5] - math.cos(3 / 10)) < 1e-15  # 10000**(2/8) = 10

    # attend() without bias / causal must agree with make_reference.attention (the decoder-only reference).
    rng = np.random.default_rng(7)
    q, k, v = rng.standard_normal((3, 5, 12))
    for causal in (False, True):
        ours, out = attend(q, k, v, 3, 4, 0.5, causal=causal)
        theirs, out2 = make_reference.attention(q, k, v, 3, 3, causal, 0.5)
        assert np.allclose(out, out2, atol=1e-12)
        for a, b in zip(ours, theirs):
            assert np.allclose(a["weights"], b["weights"], atol=1e-12)
            mask = np.isfinite(b["scores"])
            assert np.allclose(a["scores"][mask], b["scores"][mask], atol=1e-12)


README = """Seq2seq reference checkpoints written by tests/models/hf_reference/make_seq2seq_reference.py.
Each folder: config.json, model.safetensors, expected.json (conventions in the script's docstring).

%s
"""


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    self_check()
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    lines = []
    for name, make in CASES.items():
        e = write_case(out, name, make)
        mean_spread, max_spread = check_expected(name, e)
        recompute_from_files(os.path.join(out, name))
        print("%-26s src %d tgt %d  attention max-min per row: mean %.2f max %.2f" %
              (name, len(e["source_ids"]), len(e["target_ids"]), mean_spread, max_spread))
    descriptions = {
        "t5_relu_f32": "T5 v1.0: relu FF, tied head (decoder output * d_model**-0.5), d_kv*heads != d_model, "
                       "embed_tokens copies stored, F32",
        "t5_gated_f16": "T5 v1.1/FLAN: gated-gelu (gelu_new) FF, untied lm_head.weight, 3 encoder / 2 decoder blocks, F16",
        "bart_f32": "BART: learned positions (offset 2), layernorm_embedding, gelu, scale_embedding false, F32",
        "bart_f16": "BART: scale_embedding true, 2 encoder / 4 decoder heads, 2 encoder / 3 decoder layers, F16",
        "marian_f32": "Marian: sinusoid positions (table stored, sin|cos halves), swish, scale_embedding, F32",
        "marian_f16_no_pos_table": "Marian: sinusoid table not stored, 1 encoder / 2 decoder layers, F16",
    }
    for name in CASES:
        lines.append("%-26s %s" % (name, descriptions[name]))
    with open(os.path.join(out, "README.txt"), "w") as f:
        f.write(README % "\n".join(lines))
    print("wrote %d seq2seq reference checkpoints to %s" % (len(CASES), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
