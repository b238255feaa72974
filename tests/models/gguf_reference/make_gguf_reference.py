#!/usr/bin/env python3
"""Independent reference for AttnScope's GGUF reader.

Writes tiny GGUF v3 files of architectures `llama`, `gpt2` and `bert` (the metadata keys, tensor names,
ggml dimension order, llama's q/k row permutation and GPT-2's transposed Conv1D weights that llama.cpp's
convert_hf_to_gguf.py writes; SentencePiece, byte-level BPE and phantom-space WordPiece tokenizer
metadata) and, for each, the forward pass computed here with plain numpy in float64 from the
DEQUANTIZED weights, in the Hugging Face convention (Llama: q/k rows un-permuted, rotate_half RoPE;
GPT-2: Conv1D weights transposed back, x @ W + b; BERT: post-LayerNorm encoder, no mask). The GGUF
writer, the quantizers (ggml's *_ref algorithms; they write the bytes ggml's do), the dequantizers
(straight from ggml's block layouts) and the tokenizers are written here, separately from the C++.

A llama (d_model 256, 2 layers, 4 query / 2 KV heads of 64, d_ff 512, 326 tokens) in 11 cases:
llama_f32_untied, llama_f32_tied (no output.weight), llama_f16, llama_bf16, llama_q8_0, llama_q4_0,
llama_q5_0, llama_q4_k, llama_q5_k, llama_q6_k (every 2-D weight in that type, norms F32) and
llama_q4_k_m (Q4_K, with Q6_K for attn_v, ffn_down and output). A GPT-2 (d_model 256, 2 layers, 4 heads
of 64, d_ff 1024, 278 tokens) in 3: gpt2_f32 (tied: no output.weight), gpt2_q8_0 (with output.weight, a
copy of token_embd, as older converters wrote) and gpt2_q4_k (Q4_K, Q6_K for attn_qkv and ffn_down; tied).
A BERT (the same sizes, d_ff 512, 72 tokens, no head) in 3: bert_f32, bert_f16, bert_q8_0. 1-D tensors
(norms, biases) and position_embd / token_types are F32 in every file, as llama.cpp keeps them.
Quantized tensors mix real blocks with random well-formed ones (random bytes, finite d/dmin; one
subnormal d per tensor).

    make_gguf_reference.py OUT_DIR                 OUT_DIR/<case>/{model.gguf, expected.json, dequant.json}
    make_gguf_reference.py --self-test [OUT_DIR]   the same (into a temporary folder without OUT_DIR), then checks:
                                                   quantize/dequantize error bounds, ggml's bytes, two dequantizers
                                                   agree, permute/unpermute and RoPE, the BPE and WordPiece ids,
                                                   the forward passes against ../hf_reference/make_reference.py,
                                                   the files parse back; --convert-hf on /work/shared/models'
                                                   fake_gpt2 and bert_tiniest (skipped when absent) and on
                                                   checkpoints it writes, read back and compared with the sources;
                                                   on every Llama-family checkpoint ../hf_reference/make_reference.py
                                                   writes (tensors, metadata, tokenizer, and a llama.cpp-style
                                                   forward from each file alone against its expected.json), on
                                                   folders it must refuse, on stories260K against llama.cpp's own
                                                   stories260K.gguf, on tokenizer.json pre-tokenizers and (with the
                                                   sentencepiece module) on tokenizer.model files; on its gpt_neox,
                                                   gemma2 and gemma3_text checkpoints (converted ones: tensors,
                                                   metadata in order, make_reference's forward over the tensors read
                                                   back; the ones llama.cpp cannot represent refused for the reasons
                                                   worked out apart from the converter) and variants of them
    make_gguf_reference.py --convert-hf HF_DIR OUT.gguf
                                                   a Hugging Face GPT2LMHeadModel, BERT, GPTNeoXForCausalLM,
                                                   LlamaForCausalLM, MistralForCausalLM (written as llama),
                                                   Qwen2ForCausalLM, Qwen3ForCausalLM, Olmo2ForCausalLM,
                                                   Phi3ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM or
                                                   Gemma3ForCausalLM (or Gemma3ForConditionalGeneration's text model)
                                                   folder (config.json, by "architectures" or else model_type;
                                                   model.safetensors or its shards; tokenizer files) -> OUT.gguf as
                                                   llama.cpp's convert_hf_to_gguf.py --outtype f32 writes it: its
                                                   tensor names, Conv1D weights transposed, llama's q/k rows
                                                   permuted, gpt_neox's query_key_value rows regrouped [q; k; v], the
                                                   Gemmas' norm weights + 1, phi3's qkv / gate_up kept fused,
                                                   metadata keys, a llama3 RoPE's rope_freqs, tokenizer (BERT's in
                                                   phantom-space form); every tensor F32 (F16 / BF16 widened
                                                   exactly). A folder whose file llama.cpp would read as a different
                                                   model (a setting the converter drops and llama.cpp assumes
                                                   otherwise) is refused with the reasons
    make_gguf_reference.py --llama-8b-q4km DIR     DIR/model.gguf: a Llama-3.1-8B-shaped Q4_K_M-like file (5.2 GB)
                                                   of random well-formed blocks (dequantized std ~0.02), vocabulary
                                                   padded to 128256 pieces, for memory / speed benchmarks; then
                                                   reads it back and checks header, tensors, offsets, size, blocks
"""
import hashlib
import json
import math
import mmap
import os
import re
import struct
import sys
import tempfile

import numpy as np

# ---------------------------------------------------------------- ggml types

# name -> (ggml type id, elements per block, bytes per block)
GGML_TYPES = {
    "F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q5_0": (6, 32, 22), "Q8_0": (8, 32, 34),
    "Q4_K": (12, 256, 144), "Q5_K": (13, 256, 176), "Q6_K": (14, 256, 210), "BF16": (30, 1, 2),
}
TYPE_NAMES = {v[0]: k for k, v in GGML_TYPES.items()}
QUANTIZED = ("Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q5_K", "Q6_K")


def tensor_nbytes(ttype, dims):
    _, blk, size = GGML_TYPES[ttype]
    n = int(np.prod(dims))
    assert dims[0] % blk == 0, (ttype, dims)
    return n // blk * size


def f16_bits(a):
    """float32 -> IEEE half bits, round to nearest even (numpy does what GGML_FP32_TO_FP16 does)."""
    return np.asarray(a, dtype=np.float32).astype(np.float16).view(np.uint16)


def f16_value(bits):
    return np.asarray(bits, dtype=np.uint16).view(np.float16).astype(np.float64)


def bf16_bits(a):
    """float32 -> bfloat16 bits, round to nearest even (ggml_compute_fp32_to_bf16 for finite values)."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_value(bits):
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def nearest_int(a):
    """ggml's nearest_int: round to nearest, ties to even (the 1.5 * 2^23 trick)."""
    return np.rint(a).astype(np.int64)


def fsum(a):
    """Row sums accumulated left to right in float32, as ggml's loops add (numpy's sum is pairwise)."""
    return np.cumsum(a, axis=1, dtype=np.float32)[:, -1]


def roundf(a):
    """C roundf: halves away from zero."""
    a = np.asarray(a, dtype=np.float64)
    return (np.sign(a) * np.floor(np.abs(a) + 0.5)).astype(np.int64)


def half_bytes(values):
    """float32 values -> (n, 2) uint8, the little-endian half each block starts with."""
    return f16_bits(np.atleast_1d(values)).astype("<u2").view(np.uint8).reshape(-1, 2)


def read_half(raw, at):
    """(n, size) uint8 blocks -> the half stored at byte offset `at`, as float64."""
    return f16_value(raw[:, at].astype(np.uint16) | (raw[:, at + 1].astype(np.uint16) << 8))

# ---------------------------------------------------------------- quantizers (ggml's *_ref algorithms)
# Each takes x: (rows, cols) float32 and returns (rows, cols / block * block_bytes) uint8.


def quantize_q8_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    d = (np.abs(b).max(1) / np.float32(127)).astype(np.float32)
    inv = np.where(d != 0, np.float32(1) / np.where(d != 0, d, np.float32(1)), np.float32(0)).astype(np.float32)
    q = roundf(b * inv[:, None])
    out = np.zeros((b.shape[0], 34), np.uint8)
    out[:, 0:2] = half_bytes(d)
    out[:, 2:] = q.astype(np.int8).view(np.uint8)
    return out.reshape(x.shape[0], -1)


def _signed_max(b):
    """The value of largest magnitude in each row (the first one on ties), as ggml's loops find it."""
    return b[np.arange(b.shape[0]), np.abs(b).argmax(1)]


def quantize_q4_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    d = (_signed_max(b) / np.float32(-8)).astype(np.float32)
    inv = np.where(d != 0, np.float32(1) / np.where(d != 0, d, np.float32(1)), np.float32(0)).astype(np.float32)
    q = np.minimum(15, np.trunc((b * inv[:, None]).astype(np.float32) + np.float32(8.5)).astype(np.int64))
    out = np.zeros((b.shape[0], 18), np.uint8)
    out[:, 0:2] = half_bytes(d)
    out[:, 2:] = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    return out.reshape(x.shape[0], -1)


def quantize_q5_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    d = (_signed_max(b) / np.float32(-16)).astype(np.float32)
    inv = np.where(d != 0, np.float32(1) / np.where(d != 0, d, np.float32(1)), np.float32(0)).astype(np.float32)
    q = np.minimum(31, np.trunc((b * inv[:, None]).astype(np.float32) + np.float32(16.5)).astype(np.int64))
    qh = ((q >> 4) & 1) << np.arange(32)  # bit j: the 5th bit of element j
    qh = qh.sum(1).astype("<u4")
    out = np.zeros((b.shape[0], 22), np.uint8)
    out[:, 0:2] = half_bytes(d)
    out[:, 2:6] = qh.view(np.uint8).reshape(-1, 4)
    out[:, 6:] = ((q[:, :16] & 15) | ((q[:, 16:] & 15) << 4)).astype(np.uint8)
    return out.reshape(x.shape[0], -1)


def make_qkx2_quants(x, w, nmax, rmin, rdelta, nstep):
    """ggml's make_qkx2_quants on many groups at once (rows of x): scale, min (>= 0) and levels."""
    x, w = x.astype(np.float32), w.astype(np.float32)
    mn = np.minimum(x.min(1), np.float32(0))
    mx = x.max(1)
    sum_w = fsum(w)
    sum_x = fsum(w * x)
    flat = mx == mn
    span = np.where(flat, np.float32(1), mx - mn)
    iscale = np.float32(nmax) / span
    scale = np.float32(1) / iscale
    L = np.clip(nearest_int(iscale[:, None] * (x - mn[:, None])), 0, nmax)
    diff = scale[:, None] * L.astype(np.float32) + mn[:, None] - x
    best = fsum(w * (diff * diff))
    for step in range(nstep + 1):
        span = np.where(flat, np.float32(1), mx - mn)  # later tries start from the best min so far, as ggml's do
        iscale = (np.float32(rmin) + np.float32(rdelta) * np.float32(step) + np.float32(nmax)) / span
        La = np.clip(nearest_int(iscale[:, None] * (x - mn[:, None])), 0, nmax)
        Lf = La.astype(np.float32)
        sum_l, sum_l2, sum_xl = fsum(w * Lf), fsum(w * Lf * Lf), fsum(w * Lf * x)
        D = sum_w * sum_l2 - sum_l * sum_l
        ok = D > 0
        Ds = np.where(ok, D, np.float32(1))
        this_scale = (sum_w * sum_xl - sum_x * sum_l) / Ds
        this_min = (sum_l2 * sum_x - sum_l * sum_xl) / Ds
        positive = this_min > 0
        this_min = np.where(positive, np.float32(0), this_min)
        this_scale = np.where(positive, sum_xl / np.where(sum_l2 > 0, sum_l2, np.float32(1)), this_scale)
        diff = this_scale[:, None] * Lf + this_min[:, None] - x
        cur = fsum(w * (diff * diff))
        better = ok & (cur < best)
        L[better] = La[better]
        best = np.where(better, cur, best)
        scale = np.where(better, this_scale, scale)
        mn = np.where(better, this_min, mn)
    scale = np.where(flat, np.float32(0), scale)
    L[flat] = 0
    return scale.astype(np.float32), (-mn).astype(np.float32), L


def _pack_k4_scales(ls, lm):
    """8 six-bit scales and 8 six-bit mins -> the 12 bytes get_scale_min_k4 reads."""
    s = np.zeros((ls.shape[0], 12), np.int64)
    s[:, 0:4] = ls[:, 0:4]
    s[:, 4:8] = lm[:, 0:4]
    s[:, 8:12] = (ls[:, 4:8] & 15) | ((lm[:, 4:8] & 15) << 4)
    s[:, 0:4] |= (ls[:, 4:8] >> 4) << 6
    s[:, 4:8] |= (lm[:, 4:8] >> 4) << 6
    return s.astype(np.uint8)


def unpack_k4_scales(s):
    """get_scale_min_k4 for j = 0..7: (n, 12) uint8 -> scales (n, 8), mins (n, 8)."""
    s = s.astype(np.int64)
    sc = np.concatenate([s[:, 0:4] & 63, (s[:, 8:12] & 15) | ((s[:, 0:4] >> 6) << 4)], axis=1)
    m = np.concatenate([s[:, 4:8] & 63, (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)], axis=1)
    return sc, m


def _quantize_k_superblocks(x, nmax, rmin, nstep):
    """The shared part of quantize_row_q4_K_ref / q5_K_ref: d, dmin, packed scales, levels L (n, 256)."""
    b = x.reshape(-1, 8, 32).astype(np.float32)
    nb = b.shape[0]
    av_x = np.sqrt(fsum((b * b).reshape(-1, 32)).reshape(nb, 8) / np.float32(32))
    weights = av_x[:, :, None] + np.abs(b)
    scales, mins, L = make_qkx2_quants(b.reshape(-1, 32), weights.reshape(-1, 32), nmax, rmin, 0.1, nstep)
    scales, mins, L = scales.reshape(nb, 8), mins.reshape(nb, 8), L.reshape(nb, 8, 32)
    max_scale = np.maximum(scales.max(1), np.float32(0))
    max_min = np.maximum(mins.max(1), np.float32(0))
    inv_scale = np.where(max_scale > 0, np.float32(63) / np.where(max_scale > 0, max_scale, 1), 0).astype(np.float32)
    inv_min = np.where(max_min > 0, np.float32(63) / np.where(max_min > 0, max_min, 1), 0).astype(np.float32)
    ls = np.minimum(63, nearest_int(inv_scale[:, None] * scales) & 0xFF)  # (uint8_t) then MIN(63, .)
    lm = np.minimum(63, nearest_int(inv_min[:, None] * mins) & 0xFF)
    packed = _pack_k4_scales(ls, lm)
    d = (max_scale / np.float32(63)).astype(np.float32)
    dmin = (max_min / np.float32(63)).astype(np.float32)
    d16, dmin16 = f16_value(f16_bits(d)).astype(np.float32), f16_value(f16_bits(dmin)).astype(np.float32)
    sc, m = unpack_k4_scales(packed)
    dd = d16[:, None] * sc.astype(np.float32)
    dm = dmin16[:, None] * m.astype(np.float32)
    requant = np.clip(nearest_int((b + dm[:, :, None]) / np.where(dd != 0, dd, 1)[:, :, None]), 0, nmax)
    L = np.where((dd != 0)[:, :, None], requant, L)  # a zero sub-block scale keeps make_qkx2's levels
    return d, dmin, packed, L.reshape(nb, 256)


def quantize_q4_k(x):
    d, dmin, packed, L = _quantize_k_superblocks(x, 15, -1.0, 20)
    out = np.zeros((L.shape[0], 144), np.uint8)
    out[:, 0:2], out[:, 2:4], out[:, 4:16] = half_bytes(d), half_bytes(dmin), packed
    for c in range(4):  # 64 values per 32 bytes: low nibbles the first 32, high nibbles the next 32
        out[:, 16 + 32 * c:48 + 32 * c] = (L[:, 64 * c:64 * c + 32] | (L[:, 64 * c + 32:64 * c + 64] << 4)).astype(np.uint8)
    return out.reshape(x.shape[0], -1)


def quantize_q5_k(x):
    d, dmin, packed, L = _quantize_k_superblocks(x, 31, -0.5, 15)
    out = np.zeros((L.shape[0], 176), np.uint8)
    out[:, 0:2], out[:, 2:4], out[:, 4:16] = half_bytes(d), half_bytes(dmin), packed
    qh = np.zeros((L.shape[0], 32), np.int64)
    for c in range(4):
        lo, hi = L[:, 64 * c:64 * c + 32], L[:, 64 * c + 32:64 * c + 64]
        qh |= (lo >> 4) << (2 * c)
        qh |= (hi >> 4) << (2 * c + 1)
        out[:, 48 + 32 * c:80 + 32 * c] = ((lo & 15) | ((hi & 15) << 4)).astype(np.uint8)
    out[:, 16:48] = qh.astype(np.uint8)
    return out.reshape(x.shape[0], -1)


def make_qx_quants(x, nmax):
    """ggml's make_qx_quants(n, nmax, x, L, rmse_type = 1, NULL) on many groups: scale and levels (0..2*nmax-1)."""
    x = x.astype(np.float32)
    amax = np.abs(x).max(1)
    zero = amax < np.float32(1e-15)
    mx = np.where(zero, np.float32(1), _signed_max(x))
    w = x * x

    def attempt(iscale):
        l = np.clip(nearest_int(iscale[:, None] * x), -nmax, nmax - 1)
        lf = l.astype(np.float32)
        return l, fsum(w * x * lf), fsum(w * lf * lf)

    l, sumlx, suml2 = attempt((np.float32(-nmax) / mx).astype(np.float32))
    L = l + nmax
    scale = np.where(suml2 != 0, sumlx / np.where(suml2 != 0, suml2, 1), np.float32(0)).astype(np.float32)
    best = scale * sumlx
    for step in range(-9, 10):
        if step == 0:
            continue
        l, sumlx, suml2 = attempt((-(np.float32(nmax) + np.float32(0.1) * np.float32(step)) / mx).astype(np.float32))
        better = (suml2 > 0) & (sumlx * sumlx > best * suml2)
        L[better] = l[better] + nmax
        scale = np.where(better, sumlx / np.where(suml2 > 0, suml2, 1), scale).astype(np.float32)
        best = np.where(better, scale * sumlx, best)  # only a better try moves the bar
    scale = np.where(zero, np.float32(0), scale)
    L[zero] = 0
    return scale, L


def quantize_q6_k(x):
    b = x.reshape(-1, 16, 16).astype(np.float32)
    nb = b.shape[0]
    scales, L = make_qx_quants(b.reshape(-1, 16), 32)
    scales, L = scales.reshape(nb, 16), L.reshape(nb, 16, 16)
    max_scale = _signed_max(scales)
    empty = np.abs(max_scale) < np.float32(1e-15)
    iscale = (np.float32(-128) / np.where(empty, np.float32(1), max_scale)).astype(np.float32)
    d = (np.float32(1) / iscale).astype(np.float32)
    sc = np.minimum(127, nearest_int(iscale[:, None] * scales))
    d16 = f16_value(f16_bits(d)).astype(np.float32)
    dd = d16[:, None] * sc.astype(np.float32)
    requant = np.clip(nearest_int(b / np.where(dd != 0, dd, 1)[:, :, None]), -32, 31) + 32
    L = np.where((dd != 0)[:, :, None], requant, L).reshape(nb, 256)
    out = np.zeros((nb, 210), np.uint8)
    for h in range(2):  # two halves of 128 values: ql 64 bytes, qh 32 bytes each
        q = [L[:, 128 * h + 32 * i:128 * h + 32 * i + 32] for i in range(4)]
        out[:, 64 * h:64 * h + 32] = ((q[0] & 15) | ((q[2] & 15) << 4)).astype(np.uint8)
        out[:, 64 * h + 32:64 * h + 64] = ((q[1] & 15) | ((q[3] & 15) << 4)).astype(np.uint8)
        out[:, 128 + 32 * h:160 + 32 * h] = ((q[0] >> 4) | ((q[1] >> 4) << 2) | ((q[2] >> 4) << 4) | ((q[3] >> 4) << 6)).astype(np.uint8)
    out[:, 192:208] = sc.astype(np.int8).view(np.uint8)
    out[:, 208:210] = half_bytes(d)
    out[empty] = 0
    return out.reshape(x.shape[0], -1)


QUANTIZERS = {"Q8_0": quantize_q8_0, "Q4_0": quantize_q4_0, "Q5_0": quantize_q5_0,
              "Q4_K": quantize_q4_k, "Q5_K": quantize_q5_k, "Q6_K": quantize_q6_k}

# ---------------------------------------------------------------- dequantizers (from the block layouts)
# Each takes the raw blocks (n, block_bytes) uint8 and returns (n, block_elements) float64 holding the
# float32 values ggml's dequantize_row_* produce. Every product below is exact in float32 (a half times
# a small integer times a small integer); Q4_K and Q5_K subtract once, rounded once to float32 here.


def dequantize_q8_0(raw):
    d = read_half(raw, 0)
    return raw[:, 2:34].view(np.int8).astype(np.float64) * d[:, None]


def dequantize_q4_0(raw):
    d = read_half(raw, 0)
    qs = raw[:, 2:18].astype(np.int64)
    q = np.concatenate([qs & 15, qs >> 4], axis=1) - 8  # element j: low nibble of byte j; j + 16: high nibble
    return q * d[:, None]


def dequantize_q5_0(raw):
    d = read_half(raw, 0)
    qh = raw[:, 2:6].copy().view("<u4").astype(np.int64)  # (n, 1): bit j is the 5th bit of element j
    qs = raw[:, 6:22].astype(np.int64)
    low = np.concatenate([qs & 15, qs >> 4], axis=1)
    high = (qh >> np.arange(32)) & 1
    return ((low | (high << 4)) - 16) * d[:, None]


def _k4_values(raw, q):
    """q: (n, 256) levels in Q4_K/Q5_K order -> d * sc * q - dmin * m per 32-value sub-block, as float32."""
    d, dmin = read_half(raw, 0), read_half(raw, 2)
    sc, m = unpack_k4_scales(raw[:, 4:16])
    scale = np.repeat(d[:, None] * sc, 32, axis=1)  # exact
    minus = np.repeat(dmin[:, None] * m, 32, axis=1)  # exact
    return (scale * q - minus).astype(np.float32).astype(np.float64)


def dequantize_q4_k(raw):
    qs = raw[:, 16:144].astype(np.int64).reshape(-1, 4, 32)
    q = np.stack([qs & 15, qs >> 4], axis=2).reshape(-1, 256)  # per 64: 32 low nibbles, then 32 high
    return _k4_values(raw, q)


def dequantize_q5_k(raw):
    qh = raw[:, 16:48].astype(np.int64)
    qs = raw[:, 48:176].astype(np.int64).reshape(-1, 4, 32)
    q = np.stack([qs & 15, qs >> 4], axis=2).reshape(-1, 8, 32)  # sub-block s = 2c (+1 for high nibbles)
    high = np.stack([(qh >> s) & 1 for s in range(8)], axis=1)  # sub-block s takes bit s of qh[l]
    return _k4_values(raw, (q + 16 * high).reshape(-1, 256))


def dequantize_q6_k(raw):
    ql = raw[:, 0:128].astype(np.int64)
    qh = raw[:, 128:192].astype(np.int64)
    sc = raw[:, 192:208].view(np.int8).astype(np.int64)
    d = read_half(raw, 208)
    q = np.zeros((raw.shape[0], 256), np.int64)
    for h in range(2):
        a, b, hh = ql[:, 64 * h:64 * h + 32], ql[:, 64 * h + 32:64 * h + 64], qh[:, 32 * h:32 * h + 32]
        q[:, 128 * h + 0:128 * h + 32] = (a & 15) | (((hh >> 0) & 3) << 4)
        q[:, 128 * h + 32:128 * h + 64] = (b & 15) | (((hh >> 2) & 3) << 4)
        q[:, 128 * h + 64:128 * h + 96] = (a >> 4) | (((hh >> 4) & 3) << 4)
        q[:, 128 * h + 96:128 * h + 128] = (b >> 4) | (((hh >> 6) & 3) << 4)
    return d[:, None] * np.repeat(sc, 16, axis=1) * (q - 32)  # 16 scales, one per 16 values; exact


DEQUANTIZERS = {"Q8_0": dequantize_q8_0, "Q4_0": dequantize_q4_0, "Q5_0": dequantize_q5_0,
                "Q4_K": dequantize_q4_k, "Q5_K": dequantize_q5_k, "Q6_K": dequantize_q6_k}


def encode(ttype, a):
    """A float32 matrix (rows, cols) -> its stored bytes as a (rows, row_bytes) uint8 array."""
    a = np.asarray(a, dtype=np.float32)
    if ttype == "F32":
        return a.astype("<f4").view(np.uint8).reshape(a.shape[0], -1)
    if ttype == "F16":
        return f16_bits(a).astype("<u2").view(np.uint8).reshape(a.shape[0], -1)
    if ttype == "BF16":
        return bf16_bits(a).astype("<u2").view(np.uint8).reshape(a.shape[0], -1)
    return QUANTIZERS[ttype](a)


def decode(ttype, data, dims):
    """Stored bytes -> float64 values, shape (rows, dims[0]) with rows = product of the other dims."""
    cols = dims[0]
    rows = int(np.prod(dims)) // cols
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    if ttype == "F32":
        return raw.view("<f4").astype(np.float64).reshape(rows, cols)
    if ttype == "F16":
        return f16_value(raw.view("<u2")).reshape(rows, cols)
    if ttype == "BF16":
        return bf16_value(raw.view("<u2")).reshape(rows, cols)
    _, blk, size = GGML_TYPES[ttype]
    return DEQUANTIZERS[ttype](raw.reshape(-1, size)).reshape(rows, cols)

# ---------------------------------------------------------------- random well-formed blocks


def scramble_blocks(ttype, raw, rng, forced):
    """Replaces some blocks of a quantized tensor (rows, row_bytes) with random bytes whose halves are
    finite: d (and dmin) near the real block's, a random sign where the format allows one; the last
    forced block gets a subnormal d. Returns the new bytes and the indices of the replaced blocks."""
    _, blk, size = GGML_TYPES[ttype]
    blocks = raw.reshape(-1, size).copy()
    nb = blocks.shape[0]
    chosen = set(int(i) for i in np.nonzero(rng.random(nb) < 0.04)[0]) | set(forced)
    chosen = sorted(i for i in chosen if i >= 0)
    d_at = {"Q6_K": 208}.get(ttype, 0)
    for i in chosen:
        real_d = abs(float(read_half(blocks[i:i + 1], d_at)[0])) or 1e-3
        blocks[i] = rng.integers(0, 256, size, dtype=np.uint8)
        if ttype in ("Q4_K", "Q5_K"):
            real_dmin = abs(float(read_half(raw.reshape(-1, size)[i:i + 1], 2)[0])) or 1e-3
            blocks[i, 0:2] = half_bytes(np.float32(real_d * rng.uniform(0.5, 2.0)))[0]
            blocks[i, 2:4] = half_bytes(np.float32(real_dmin * rng.uniform(0.5, 2.0)))[0]
        else:
            sign = -1.0 if rng.random() < 0.5 else 1.0
            blocks[i, d_at:d_at + 2] = half_bytes(np.float32(sign * real_d * rng.uniform(0.5, 2.0)))[0]
        if forced and i == forced[-1]:  # a subnormal half: 0x0001..0x03ff
            sub = int(rng.integers(1, 0x400))
            blocks[i, d_at:d_at + 2] = [sub & 0xFF, sub >> 8]
    return blocks.reshape(raw.shape), chosen

# ---------------------------------------------------------------- GGUF writing

VALUE_TYPES = {"uint8": 0, "int8": 1, "uint16": 2, "int16": 3, "uint32": 4, "int32": 5, "float32": 6,
               "bool": 7, "string": 8, "array": 9, "uint64": 10, "int64": 11, "float64": 12}
SCALAR_FORMATS = {"uint8": "<B", "int8": "<b", "uint16": "<H", "int16": "<h", "uint32": "<I", "int32": "<i",
                  "float32": "<f", "bool": "<B", "uint64": "<Q", "int64": "<q", "float64": "<d"}
ALIGNMENT = 32


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_value(vtype, value):
    """vtype: a scalar type name, "string", or "array:<element type>"."""
    if vtype == "string":
        return gguf_string(value)
    if vtype.startswith("array:"):
        element = vtype[len("array:"):]
        return struct.pack("<IQ", VALUE_TYPES[element], len(value)) + b"".join(gguf_value(element, v) for v in value)
    return struct.pack(SCALAR_FORMATS[vtype], int(value) if vtype == "bool" else value)


def align(n, a=ALIGNMENT):
    return n + (a - n % a) % a


def gguf_header(metadata, specs):
    """metadata: [(key, vtype, value)]; specs: [(name, type name, dims in ggml order)]. Returns the header
    (padded to ALIGNMENT, so the data section starts right after it) and the tensor infos (name, type, dims,
    offset relative to the data section, nbytes); each tensor's data is padded to ALIGNMENT."""
    out = bytearray(b"GGUF")
    out += struct.pack("<IQQ", 3, len(specs), len(metadata))
    for key, vtype, value in metadata:
        out += gguf_string(key) + struct.pack("<I", VALUE_TYPES[vtype.split(":")[0]]) + gguf_value(vtype, value)
    infos, offset = [], 0
    for name, ttype, dims in specs:
        nbytes = tensor_nbytes(ttype, dims)
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", GGML_TYPES[ttype][0], offset)
        infos.append({"name": name, "type": ttype, "dims": list(dims), "offset": offset, "nbytes": nbytes})
        offset = align(offset + nbytes)
    out += b"\0" * (align(len(out)) - len(out))
    return bytes(out), infos


def write_gguf(path, metadata, tensors):
    """metadata: [(key, vtype, value)]; tensors: [(name, type name, dims in ggml order, bytes)].
    Returns the tensor infos as written (name, type, dims, offset relative to the data section)."""
    for name, ttype, dims, data in tensors:
        assert len(data) == tensor_nbytes(ttype, dims), name
    header, infos = gguf_header(metadata, [t[:3] for t in tensors])
    with open(path, "wb") as f:
        f.write(header)
        for _, _, _, data in tensors:
            f.write(data)
            f.write(b"\0" * (align(len(data)) - len(data)))
    return infos

# ---------------------------------------------------------------- a small GGUF reader (for the self-test)


class GGUFReader:
    """Reads a GGUF v2/v3 file with struct only: metadata {key: (vtype, value)}, tensor infos, bytes.
    The file is memory-mapped (read only), so a multi-GB file costs only the pages looked at."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.pos = 0
        if self.buf[:4] != b"GGUF":
            raise ValueError("bad magic")
        self.pos = 4
        self.version, n_tensors, n_kv = self.take("<I"), self.take("<Q"), self.take("<Q")
        self.metadata = {}
        for _ in range(n_kv):
            key = self.string()
            vtype = self.take("<I")
            if key in self.metadata:
                raise ValueError("duplicate key " + key)
            self.metadata[key] = self.value(vtype)
        self.tensors = {}
        for _ in range(n_tensors):
            name = self.string()
            dims = [self.take("<Q") for _ in range(self.take("<I"))]
            ttype, offset = self.take("<I"), self.take("<Q")
            self.tensors[name] = (TYPE_NAMES[ttype], dims, offset)
        alignment = self.metadata.get("general.alignment", ("uint32", ALIGNMENT))[1]
        self.data_start = align(self.pos, alignment)
        self.alignment = alignment

    def take(self, fmt):
        (v,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.buf[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, vtype):
        names = {v: k for k, v in VALUE_TYPES.items()}
        name = names[vtype]
        if name == "string":
            return ("string", self.string())
        if name == "array":
            element, n = self.take("<I"), self.take("<Q")
            items = [self.value(element) for _ in range(n)]
            return ("array:" + names[element], [v for _, v in items])
        v = self.take(SCALAR_FORMATS[name])
        if name == "bool":
            if v not in (0, 1):
                raise ValueError("bad bool")
            v = bool(v)
        return (name, v)

    def tensor_bytes(self, name):
        ttype, dims, offset = self.tensors[name]
        start = self.data_start + offset
        return self.buf[start:start + tensor_nbytes(ttype, dims)]

# ---------------------------------------------------------------- the llama model and its vocabulary

D_MODEL, N_LAYERS, N_HEADS, N_KV, D_HEAD, D_FF = 256, 2, 4, 2, 64, 512
CONTEXT, FREQ_BASE, RMS_EPS = 128, 10000.0, float(np.float32(1e-5))
TEXT = "i took the money to the bank. café"


def vocabulary():
    """SentencePiece-style: <unk> <s> </s>, the 256 byte pieces, then "▁" pieces. Only whole-word
    prefixes ("▁b", "▁ba", "▁ban", "▁bank") are multi-character pieces, so every SPM merge is forced."""
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    pieces = ["▁"] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + [".", ","]
    for word in ["the", "bank", "money", "river", "took", "sat", "on", "we", "caf", "i", "and", "near"]:
        for k in range(1, len(word) + 1):
            if "▁" + word[:k] not in pieces:
                pieces.append("▁" + word[:k])
    scores = [0.0] * len(tokens) + [-float(i) for i in range(len(pieces))]
    return tokens + pieces, scores, types + [1] * len(pieces)


def text_ids(tokens):
    """BOS, then TEXT as llama.cpp's SPM tokenizer splits it (é falls back to its UTF-8 bytes)."""
    index = {t: i for i, t in enumerate(tokens)}
    ids = [1] + [index["▁" + w] for w in ["i", "took", "the", "money", "to", "the", "bank"]] + [index["."], index["▁caf"]]
    return ids + [index["<0x%02X>" % b] for b in "é".encode("utf-8")]


def decode_pieces(tokens, ids):
    out = b""
    for i in ids:
        t = tokens[i]
        if t.startswith("<0x") and len(t) == 6:
            out += bytes([int(t[3:5], 16)])
        elif t not in ("<s>", "</s>", "<unk>"):
            out += t.replace("▁", " ").encode("utf-8")
    return out.decode("utf-8")[1:]  # the space SentencePiece put in front


def random_matrix(rng, rows, cols, std):
    a = rng.standard_normal((rows, cols))
    a *= np.where(rng.random((rows, cols)) < 0.01, 4.0, 1.0)  # a few outliers, as real weights have
    return (std * a).astype(np.float32)


def random_weights(vocab):
    """The float32 weights in Hugging Face layout (out x in). q/k scaled so scores have std ~2.5."""
    rng = np.random.default_rng(20240601)

    def mat(rows, cols, std):
        return random_matrix(rng, rows, cols, std)

    def norm():
        return (1.0 + 0.1 * rng.standard_normal(D_MODEL)).astype(np.float32)

    W = {"token_embd": mat(vocab, D_MODEL, 1.0)}
    for l in range(N_LAYERS):
        W.update({"%d.attn_norm" % l: norm(), "%d.q" % l: mat(N_HEADS * D_HEAD, D_MODEL, 0.1),
                  "%d.k" % l: mat(N_KV * D_HEAD, D_MODEL, 0.1), "%d.v" % l: mat(N_KV * D_HEAD, D_MODEL, 0.0625),
                  "%d.o" % l: mat(D_MODEL, N_HEADS * D_HEAD, 0.04), "%d.ffn_norm" % l: norm(),
                  "%d.gate" % l: mat(D_FF, D_MODEL, 0.0625), "%d.up" % l: mat(D_FF, D_MODEL, 0.0625),
                  "%d.down" % l: mat(D_MODEL, D_FF, 0.03)})
    W["output_norm"] = norm()
    W["output"] = mat(vocab, D_MODEL, 0.1)
    return W


def permute(w, n_head):
    """convert_hf_to_gguf.py LlamaModel.permute: within each head, HF rows (i, i + half) -> rows (2i, 2i + 1)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_tensor_list(W, tied):
    """(GGUF name, kind, HF-order matrix, GGUF-order matrix) in the order the file holds them."""
    out = [("token_embd.weight", "matrix", W["token_embd"])]
    for l in range(N_LAYERS):
        b = "blk.%d." % l
        out += [(b + "attn_norm.weight", "norm", W["%d.attn_norm" % l]),
                (b + "attn_q.weight", "matrix", permute(W["%d.q" % l], N_HEADS)),
                (b + "attn_k.weight", "matrix", permute(W["%d.k" % l], N_KV)),
                (b + "attn_v.weight", "matrix", W["%d.v" % l]),
                (b + "attn_output.weight", "matrix", W["%d.o" % l]),
                (b + "ffn_norm.weight", "norm", W["%d.ffn_norm" % l]),
                (b + "ffn_gate.weight", "matrix", W["%d.gate" % l]),
                (b + "ffn_up.weight", "matrix", W["%d.up" % l]),
                (b + "ffn_down.weight", "matrix", W["%d.down" % l])]
    out.append(("output_norm.weight", "norm", W["output_norm"]))
    if not tied:
        out.append(("output.weight", "matrix", W["output"]))
    return out

# ---------------------------------------------------------------- the llama forward pass (HF convention)


def rms_norm(x, g, eps):
    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * g


def rope_rotate_half(x, n_heads, dh, base):
    """HF Llama: per head, (x[i], x[i + dh/2]) rotated by pos * base^(-2i/dh)."""
    n = x.shape[0]
    inv_freq = 1.0 / base ** (np.arange(0, dh, 2, dtype=np.float64) / dh)
    ang = np.arange(n, dtype=np.float64)[:, None] * inv_freq[None, :]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    h = x.reshape(n, n_heads, dh)
    a, b = h[:, :, :dh // 2], h[:, :, dh // 2:]
    return np.concatenate([a * c - b * s, b * c + a * s], axis=2).reshape(n, n_heads * dh)


def rope_adjacent(x, n_heads, dh, base):
    """llama.cpp's LLAMA_ROPE_TYPE_NORM: per head, (x[2i], x[2i + 1]) rotated (used by the self-test only)."""
    n = x.shape[0]
    inv_freq = 1.0 / base ** (np.arange(0, dh, 2, dtype=np.float64) / dh)
    ang = np.arange(n, dtype=np.float64)[:, None] * inv_freq[None, :]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    h = x.reshape(n, n_heads, dh // 2, 2)
    a, b = h[..., 0], h[..., 1]
    return np.stack([a * c - b * s, b * c + a * s], axis=3).reshape(n, n_heads * dh)


def attention(q, k, v, n_heads, n_kv, scale, causal=True):
    n, dh = q.shape[0], q.shape[1] // n_heads
    heads, outs = [], []
    mask = np.triu(np.ones((n, n), bool), 1) if causal else np.zeros((n, n), bool)
    for h in range(n_heads):
        kv = h // (n_heads // n_kv)
        qh, kh, vh = q[:, h * dh:(h + 1) * dh], k[:, kv * dh:(kv + 1) * dh], v[:, kv * dh:(kv + 1) * dh]
        scores = qh @ kh.T * scale
        masked = np.where(mask, -np.inf, scores)
        e = np.exp(masked - masked.max(1, keepdims=True))
        weights = e / e.sum(1, keepdims=True)
        heads.append({"q": qh, "k": kh, "v": vh, "scores": np.where(mask, -np.inf, scores), "weights": weights})
        outs.append(weights @ vh)
    return heads, np.concatenate(outs, axis=1)


def llama_forward(V, ids):
    """V: GGUF tensor name -> dequantized float64 values, (rows, dims[0]) as stored."""
    x = V["token_embd.weight"][ids]
    layers = []
    for l in range(N_LAYERS):
        g = lambda name: V["blk.%d.%s.weight" % (l, name)]
        a = rms_norm(x, g("attn_norm")[0], RMS_EPS)
        wq, wk = unpermute(g("attn_q"), N_HEADS), unpermute(g("attn_k"), N_KV)  # back to HF row order
        q = rope_rotate_half(a @ wq.T, N_HEADS, D_HEAD, FREQ_BASE)
        k = rope_rotate_half(a @ wk.T, N_KV, D_HEAD, FREQ_BASE)
        heads, out = attention(q, k, a @ g("attn_v").T, N_HEADS, N_KV, 1 / math.sqrt(D_HEAD))
        layers.append(heads)
        x = x + out @ g("attn_output").T
        m = rms_norm(x, g("ffn_norm")[0], RMS_EPS)
        gate = m @ g("ffn_gate").T
        x = x + (gate / (1 + np.exp(-gate)) * (m @ g("ffn_up").T)) @ g("ffn_down").T
    x = rms_norm(x, V["output_norm.weight"][0], RMS_EPS)
    head = V.get("output.weight", V["token_embd.weight"])
    return layers, x @ head.T

# ---------------------------------------------------------------- shared by GPT-2 and BERT


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu_tanh(z):
    """GPT-2's gelu_new."""
    return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3)))


ERF = np.vectorize(math.erf)


def gelu_erf(z):
    """BERT's gelu (the exact one)."""
    return 0.5 * z * (1 + ERF(z / math.sqrt(2)))


def random_vector(rng, n, std, mean=0.0):
    return (mean + std * rng.standard_normal(n)).astype(np.float32)


def hf_from_file(values, names):
    """The Hugging Face tensors back from a file's dequantized values: names is [(GGUF name, HF name, kind,
    transposed)]; 1-D tensors (stored as one row) become vectors, transposed ones are transposed back."""
    hf = {}
    for gguf_name, hf_name, kind, transposed in names:
        if gguf_name in values:
            v = values[gguf_name]
            hf[hf_name] = v[0] if kind == "vector" else (v.T if transposed else v)
    return hf


def file_tensors(W, names):
    """(GGUF name, kind, matrix as the file holds it) for [(GGUF name, HF name, kind, transposed)] of W (HF names)."""
    return [(g, kind, np.ascontiguousarray(W[h].T) if transposed else W[h]) for g, h, kind, transposed in names]

# ---------------------------------------------------------------- GPT-2 (architecture gpt2)
# llama.cpp's convert_hf_to_gguf.py (GPT2Model) writes the Conv1D weights (in x out in Hugging Face's
# checkpoint) transposed, out x in like every other GGUF matrix; position_embd stays F32 whatever the
# file type (the converter and llama-quantize both keep POS_EMBD and TOKEN_TYPES in F32). Byte-level
# BPE tokenizer: tokens in GPT-2's bytes_to_unicode alphabet ("Ġ" for a space), merges "a b" by rank.

GPT2_D_FF = 4 * D_MODEL
GPT2_EPS = float(np.float32(1e-5))
GPT2_WORDS = ("took", "the", "money", "bank", "caf")  # " took" etc. one token each: "Ġ t", "Ġt o", ... one merge a step
# Ranked after every word merge: within TEXT they could only apply if a tokenizer took a later merge before an
# earlier one (" bank" -> "Ġb" "an" "k" if "a n" went first), so they test that the lowest rank goes first.
GPT2_LATE_MERGES = (("o", "n"), ("e", "y"), ("a", "n"))
GPT2_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
GPT2_MIX_SIX = (".attn_qkv.weight", ".ffn_down.weight")  # Q6_K in gpt2_q4_k; the other matrices Q4_K


def bytes_to_unicode():
    """GPT-2's byte -> character table, as (byte, character) pairs in its order: the printable bytes
    (! .. ~, ¡ .. ¬, ® .. ÿ) stand for themselves, the other 68 take U+0100 onwards in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = list(bs), 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


def gpt2_vocabulary():
    """The 256 byte symbols in bytes_to_unicode order (as GPT-2's vocab.json numbers them), the merge
    results in merge order, then <|endoftext|> (control) last. Returns tokens, token types, merges."""
    merges = []
    for word in GPT2_WORDS:
        sym = "Ġ"
        for ch in word:
            if (sym, ch) not in merges:
                merges.append((sym, ch))
            sym += ch
    merges += list(GPT2_LATE_MERGES)
    tokens = [c for _, c in bytes_to_unicode()] + [a + b for a, b in merges] + ["<|endoftext|>"]
    assert len(set(tokens)) == len(tokens)
    types = [1] * (len(tokens) - 1) + [3]
    return tokens, types, ["%s %s" % m for m in merges]


def gpt2_pretokenize(text):
    """GPT-2's pre-tokenizer, 's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+,
    by hand (Python's re has no \\p{L}): a letter is str.isalpha, a digit str.isnumeric."""
    def kind(c):
        return "L" if c.isalpha() else "N" if c.isnumeric() else "S" if c.isspace() else "P"

    pieces, i, n = [], 0, len(text)
    while i < n:
        c = next((c for c in GPT2_CONTRACTIONS if text.startswith(c, i)), None)
        if c:
            pieces.append(c)
            i += len(c)
            continue
        j = i + 1 if text[i] == " " and i + 1 < n and kind(text[i + 1]) != "S" else i  # the optional leading space
        k, end = kind(text[j]), j
        while end < n and kind(text[end]) == k:
            end += 1
        if k == "S" and end < n and end - i > 1:
            end -= 1  # \s+(?!\S): the last space goes with the word after it
        pieces.append(text[i:end])
        i = end
    return pieces


def bpe(symbols, ranks):
    """Byte-level BPE: merge the adjacent pair of lowest rank (the leftmost of equals) until none is a merge."""
    symbols = list(symbols)
    while True:
        pairs = [(ranks[p], i) for i, p in enumerate(zip(symbols, symbols[1:])) if p in ranks]
        if not pairs:
            return symbols
        _, i = min(pairs)
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]


def gpt2_tokenize(tokens, merges, text):
    """text -> ids with a GGUF's tokens and merges: pre-tokenize, bytes to symbols, BPE per piece. No special
    tokens (GPT-2 adds none)."""
    index = {t: i for i, t in enumerate(tokens)}
    ranks = {tuple(m.split(" ", 1)): r for r, m in enumerate(merges)}
    alphabet = dict(bytes_to_unicode())
    return [index[s] for piece in gpt2_pretokenize(text) for s in bpe([alphabet[b] for b in piece.encode("utf-8")], ranks)]


def gpt2_decode(tokens, ids):
    back = {c: b for b, c in bytes_to_unicode()}
    return bytes(back[c] for i in ids for c in tokens[i]).decode("utf-8")


def weight_and_bias(gguf_name, hf_name, kind, transposed=False):
    """Name table rows (GGUF name, Hugging Face name, kind, written transposed) for a weight and its bias. kind
    "matrix" takes the case's weight type, "f32" is a matrix kept F32, "vector" a 1-D F32 tensor."""
    return [(gguf_name + ".weight", hf_name + ".weight", kind, transposed),
            (gguf_name + ".bias", hf_name + ".bias", "vector", False)]


# per layer, GGUF names after "blk.N.", Hugging Face ones after "h.N." ("transformer." dropped)
GPT2_LAYER_NAMES = (weight_and_bias("attn_norm", "ln_1", "vector")
                    + weight_and_bias("attn_qkv", "attn.c_attn", "matrix", True)
                    + weight_and_bias("attn_output", "attn.c_proj", "matrix", True)
                    + weight_and_bias("ffn_norm", "ln_2", "vector")
                    + weight_and_bias("ffn_up", "mlp.c_fc", "matrix", True)
                    + weight_and_bias("ffn_down", "mlp.c_proj", "matrix", True))


def gpt2_names(output_copy):
    names = [("token_embd.weight", "wte.weight", "matrix", False), ("position_embd.weight", "wpe.weight", "f32", False)]
    for l in range(N_LAYERS):
        names += [("blk.%d.%s" % (l, g), "h.%d.%s" % (l, h), kind, t) for g, h, kind, t in GPT2_LAYER_NAMES]
    names += weight_and_bias("output_norm", "ln_f", "vector")
    if output_copy:  # older converters wrote token_embd a second time as output.weight
        names.append(("output.weight", "lm_head.weight", "matrix", False))
    return names


def gpt2_weights(vocab):
    """float32 weights in Hugging Face GPT2LMHeadModel layout (Conv1D: in x out; c_attn's columns [Q | K | V]).
    Q and K scaled so scores have std ~2; biases std 0.1; LayerNorm weights 1 + 0.1 N(0, 1)."""
    rng = np.random.default_rng(20240602)
    d = D_MODEL
    W = {"wte.weight": random_matrix(rng, vocab, d, 0.5), "wpe.weight": random_matrix(rng, CONTEXT, d, 0.2)}
    for l in range(N_LAYERS):
        h = "h.%d." % l
        W[h + "ln_1.weight"], W[h + "ln_1.bias"] = random_vector(rng, d, 0.1, 1.0), random_vector(rng, d, 0.1)
        W[h + "attn.c_attn.weight"] = np.concatenate(
            [random_matrix(rng, d, d, 0.09), random_matrix(rng, d, d, 0.09), random_matrix(rng, d, d, 0.06)], axis=1)
        W[h + "attn.c_attn.bias"] = random_vector(rng, 3 * d, 0.1)
        W[h + "attn.c_proj.weight"], W[h + "attn.c_proj.bias"] = random_matrix(rng, d, d, 0.04), random_vector(rng, d, 0.1)
        W[h + "ln_2.weight"], W[h + "ln_2.bias"] = random_vector(rng, d, 0.1, 1.0), random_vector(rng, d, 0.1)
        W[h + "mlp.c_fc.weight"] = random_matrix(rng, d, GPT2_D_FF, 0.0625)
        W[h + "mlp.c_fc.bias"] = random_vector(rng, GPT2_D_FF, 0.1)
        W[h + "mlp.c_proj.weight"] = random_matrix(rng, GPT2_D_FF, d, 0.03)
        W[h + "mlp.c_proj.bias"] = random_vector(rng, d, 0.1)
    W["ln_f.weight"], W["ln_f.bias"] = random_vector(rng, d, 0.1, 1.0), random_vector(rng, d, 0.1)
    W["lm_head.weight"] = W["wte.weight"]  # what output.weight holds when a file has one: a copy
    return W


def gpt2_forward(W, ids):
    """Hugging Face GPT2LMHeadModel in float64. W: Hugging Face names (no "transformer.") -> values, Conv1D
    weights in x out (x @ W + b); lm_head.weight if the file had output.weight, else the tied wte."""
    d = D_MODEL
    x = W["wte.weight"][ids] + W["wpe.weight"][:len(ids)]
    layers = []
    for l in range(N_LAYERS):
        g = lambda name: W["h.%d.%s" % (l, name)]
        a = layer_norm(x, g("ln_1.weight"), g("ln_1.bias"), GPT2_EPS)
        qkv = a @ g("attn.c_attn.weight") + g("attn.c_attn.bias")
        heads, out = attention(qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:], N_HEADS, N_HEADS, 1 / math.sqrt(D_HEAD))
        layers.append(heads)
        x = x + out @ g("attn.c_proj.weight") + g("attn.c_proj.bias")
        m = layer_norm(x, g("ln_2.weight"), g("ln_2.bias"), GPT2_EPS)
        x = x + gelu_tanh(m @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias")) @ g("mlp.c_proj.weight") + g("mlp.c_proj.bias")
    x = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], GPT2_EPS)
    return layers, x @ W.get("lm_head.weight", W["wte.weight"]).T


def gpt2_metadata(name, file_type, tokens, types, merges):
    eot = len(tokens) - 1
    return [("general.architecture", "string", "gpt2"), ("general.name", "string", name),
            ("gpt2.context_length", "uint32", CONTEXT), ("gpt2.embedding_length", "uint32", D_MODEL),
            ("gpt2.feed_forward_length", "uint32", GPT2_D_FF), ("gpt2.block_count", "uint32", N_LAYERS),
            ("gpt2.attention.head_count", "uint32", N_HEADS),
            ("gpt2.attention.layer_norm_epsilon", "float32", GPT2_EPS),
            ("general.file_type", "uint32", file_type), ("general.quantization_version", "uint32", 2),
            ("tokenizer.ggml.model", "string", "gpt2"), ("tokenizer.ggml.pre", "string", "gpt-2"),
            ("tokenizer.ggml.tokens", "array:string", tokens), ("tokenizer.ggml.token_type", "array:int32", types),
            ("tokenizer.ggml.merges", "array:string", merges), ("tokenizer.ggml.bos_token_id", "uint32", eot),
            ("tokenizer.ggml.eos_token_id", "uint32", eot), ("tokenizer.ggml.add_bos_token", "bool", False)]

# ---------------------------------------------------------------- BERT (architecture bert)
# convert_hf_to_gguf.py (BertModel) drops the "bert." prefix, the pooler and the cls.* (MLM) head; Linear
# weights stay out x in, q/k rows are NOT permuted; token_types and position_embd stay F32. The WordPiece
# vocabulary is written in llama.cpp's "phantom space" form: a word-initial piece "took" as "▁took", a
# continuation "##e" as "e", the control tokens as they are.

BERT_D_FF = 512
BERT_EPS = float(np.float32(1e-12))
BERT_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0..4
BERT_WORDS = ["took", "the", "money", "to", "bank", "caf", "river", "sat", "on", "we", "near"]  # "i": a letter


def bert_wordpiece_vocabulary():
    """The vocabulary as a bert vocab.txt lists it: specials, the letters (word-initial), "##" + each letter
    (continuations), ".", ",", whole words and two suffixes. No "cafe", so "café" -> "caf" "##e"."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    return BERT_SPECIAL + letters + ["##" + c for c in letters] + [".", ","] + BERT_WORDS + ["##ing", "##ed"]


def phantom(token):
    """convert_hf_to_gguf.py BertModel.set_vocab's spelling of a WordPiece token."""
    if token in BERT_SPECIAL:
        return token
    return token[2:] if token.startswith("##") else "▁" + token


def unphantom(token):
    if token in BERT_SPECIAL:
        return token
    return token[1:] if token.startswith("▁") else "##" + token


def bert_vocabulary():
    wordpiece = bert_wordpiece_vocabulary()
    tokens = [phantom(t) for t in wordpiece]
    assert len(set(tokens)) == len(tokens) and "▁cafe" not in tokens
    return tokens, [3 if t in BERT_SPECIAL else 1 for t in wordpiece]


def bert_basic_tokenize(text):
    """BertTokenizer's basic step for an uncased model: lowercase, strip accents (NFD, drop marks), split on
    whitespace and punctuation (each punctuation character a word of its own)."""
    import unicodedata
    text = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    words = []
    for chunk in text.split():
        word = ""
        for c in chunk:
            if unicodedata.category(c).startswith("P") or (c.isascii() and not c.isalnum()):
                words += [word, c] if word else [c]
                word = ""
            else:
                word += c
        if word:
            words.append(word)
    return words


def wordpiece(word, vocab):
    """Greedy longest match first; continuations looked up with "##"; a word that cannot be split is [UNK]."""
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                break
        else:
            return ["[UNK]"]
        pieces.append(sub)
        start = end
    return pieces


def bert_tokenize(wordpiece_tokens, text):
    """text -> ids as an uncased Hugging Face BertTokenizer makes them: [CLS] ... [SEP]."""
    index = {t: i for i, t in enumerate(wordpiece_tokens)}
    pieces = [p for w in bert_basic_tokenize(text) for p in wordpiece(w, index)]
    return [index["[CLS]"]] + [index[p] for p in pieces] + [index["[SEP]"]]


def bert_decode(tokens, ids):
    """Phantom-space pieces -> text, control tokens dropped: words joined by spaces, continuations glued on."""
    return "".join(tokens[i].replace("▁", " ") for i in ids if tokens[i] not in BERT_SPECIAL).lstrip(" ")


def bert_normalized_text(text):
    return " ".join(bert_basic_tokenize(text))


# per layer, GGUF names after "blk.N.", Hugging Face ones after "encoder.layer.N." ("bert." dropped)
BERT_LAYER_NAMES = (weight_and_bias("attn_q", "attention.self.query", "matrix")
                    + weight_and_bias("attn_k", "attention.self.key", "matrix")
                    + weight_and_bias("attn_v", "attention.self.value", "matrix")
                    + weight_and_bias("attn_output", "attention.output.dense", "matrix")
                    + weight_and_bias("attn_output_norm", "attention.output.LayerNorm", "vector")
                    + weight_and_bias("ffn_up", "intermediate.dense", "matrix")
                    + weight_and_bias("ffn_down", "output.dense", "matrix")
                    + weight_and_bias("layer_output_norm", "output.LayerNorm", "vector"))


def bert_names():
    names = [("token_embd.weight", "embeddings.word_embeddings.weight", "matrix", False),
             ("token_types.weight", "embeddings.token_type_embeddings.weight", "f32", False),
             ("position_embd.weight", "embeddings.position_embeddings.weight", "f32", False)]
    names += weight_and_bias("token_embd_norm", "embeddings.LayerNorm", "vector")
    for l in range(N_LAYERS):
        names += [("blk.%d.%s" % (l, g), "encoder.layer.%d.%s" % (l, h), kind, t) for g, h, kind, t in BERT_LAYER_NAMES]
    return names


def bert_weights(vocab):
    """float32 weights in Hugging Face BertModel layout (Linear: out x in). Q and K scaled so scores have std ~2."""
    rng = np.random.default_rng(20240603)
    d = D_MODEL
    W = {"embeddings.word_embeddings.weight": random_matrix(rng, vocab, d, 0.5),
         "embeddings.token_type_embeddings.weight": random_matrix(rng, 2, d, 0.2),
         "embeddings.position_embeddings.weight": random_matrix(rng, CONTEXT, d, 0.2),
         "embeddings.LayerNorm.weight": random_vector(rng, d, 0.1, 1.0),
         "embeddings.LayerNorm.bias": random_vector(rng, d, 0.1)}
    shapes = {"attention.self.query": (d, d, 0.09), "attention.self.key": (d, d, 0.09), "attention.self.value": (d, d, 0.06),
              "attention.output.dense": (d, d, 0.04), "intermediate.dense": (BERT_D_FF, d, 0.0625),
              "output.dense": (d, BERT_D_FF, 0.03)}
    for l in range(N_LAYERS):
        b = "encoder.layer.%d." % l
        for name, (rows, cols, std) in shapes.items():
            W[b + name + ".weight"] = random_matrix(rng, rows, cols, std)
            W[b + name + ".bias"] = random_vector(rng, rows, 0.1)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            W[b + name + ".weight"], W[b + name + ".bias"] = random_vector(rng, d, 0.1, 1.0), random_vector(rng, d, 0.1)
    return W


def bert_forward(W, ids):
    """Hugging Face BertModel in float64, token_type_ids all 0, no attention mask. W: Hugging Face names (no
    "bert.") -> values, Linear weights out x in (x @ W^T + b). No logits (the file has no head)."""
    lin = lambda x, name: x @ W[name + ".weight"].T + W[name + ".bias"]
    norm = lambda x, name: layer_norm(x, W[name + ".weight"], W[name + ".bias"], BERT_EPS)
    x = (W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:len(ids)]
         + W["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    layers = []
    for l in range(N_LAYERS):
        b = "encoder.layer.%d." % l
        q, k, v = (lin(x, b + "attention.self." + n) for n in ("query", "key", "value"))
        heads, out = attention(q, k, v, N_HEADS, N_HEADS, 1 / math.sqrt(D_HEAD), causal=False)
        layers.append(heads)
        x = norm(x + lin(out, b + "attention.output.dense"), b + "attention.output.LayerNorm")
        x = norm(x + lin(gelu_erf(lin(x, b + "intermediate.dense")), b + "output.dense"), b + "output.LayerNorm")
    return layers, None


def bert_metadata(name, file_type, tokens, types):
    return [("general.architecture", "string", "bert"), ("general.name", "string", name),
            ("bert.context_length", "uint32", CONTEXT), ("bert.embedding_length", "uint32", D_MODEL),
            ("bert.feed_forward_length", "uint32", BERT_D_FF), ("bert.block_count", "uint32", N_LAYERS),
            ("bert.attention.head_count", "uint32", N_HEADS),
            ("bert.attention.layer_norm_epsilon", "float32", BERT_EPS), ("bert.attention.causal", "bool", False),
            ("bert.pooling_type", "uint32", 2), ("general.file_type", "uint32", file_type),
            ("general.quantization_version", "uint32", 2),
            ("tokenizer.ggml.model", "string", "bert"), ("tokenizer.ggml.pre", "string", "default"),
            ("tokenizer.ggml.tokens", "array:string", tokens), ("tokenizer.ggml.token_type", "array:int32", types),
            ("tokenizer.ggml.token_type_count", "uint32", 2),
            # current gguf-py writes [CLS] as bos and [SEP] as eos too (it falls back to cls/sep for them), and
            # current llama.cpp takes [CLS] from bos_token_id only (cls_token_id is no longer read)
            ("tokenizer.ggml.bos_token_id", "uint32", 2), ("tokenizer.ggml.eos_token_id", "uint32", 3),
            ("tokenizer.ggml.unknown_token_id", "uint32", 1), ("tokenizer.ggml.cls_token_id", "uint32", 2),
            ("tokenizer.ggml.seperator_token_id", "uint32", 3), ("tokenizer.ggml.padding_token_id", "uint32", 0),
            ("tokenizer.ggml.mask_token_id", "uint32", 4), ("tokenizer.ggml.add_bos_token", "bool", True),
            ("tokenizer.ggml.add_eos_token", "bool", False), ("tokenizer.ggml.add_sep_token", "bool", True)]

# ---------------------------------------------------------------- cases

FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7, "Q5_0": 8, "Q4_K": 14, "Q4_K_M": 15, "Q5_K": 16,
              "Q6_K": 18, "BF16": 32}
Q4_K_M_SIX = (".attn_v.weight", ".ffn_down.weight")  # and output.weight (not attn_output.weight)

# name -> (architecture, weight type, tied, write general.alignment). tied: no output.weight (a gpt2 file with
# one holds a copy of token_embd, scrambled apart from it in a few blocks); bert files have no head at all.
CASES = {
    "llama_f32_untied": ("llama", "F32", False, True),
    "llama_f32_tied": ("llama", "F32", True, False),
    "llama_f16": ("llama", "F16", False, False),
    "llama_bf16": ("llama", "BF16", False, False),
    "llama_q8_0": ("llama", "Q8_0", False, False),
    "llama_q4_0": ("llama", "Q4_0", False, False),
    "llama_q5_0": ("llama", "Q5_0", False, False),
    "llama_q4_k": ("llama", "Q4_K", False, False),
    "llama_q5_k": ("llama", "Q5_K", False, False),
    "llama_q6_k": ("llama", "Q6_K", False, False),
    "llama_q4_k_m": ("llama", "Q4_K_M", False, False),
    "gpt2_f32": ("gpt2", "F32", True, False),
    "gpt2_q8_0": ("gpt2", "Q8_0", False, False),
    "gpt2_q4_k": ("gpt2", "Q4_K_M", True, False),  # Q4_K, with Q6_K for attn_qkv and ffn_down
    "bert_f32": ("bert", "F32", False, False),
    "bert_f16": ("bert", "F16", False, False),
    "bert_q8_0": ("bert", "Q8_0", False, False),
}
DEQUANT_TENSORS = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                   "blk.1.ffn_down.weight", "output.weight"]
GPT2_DEQUANT_TENSORS = ["token_embd.weight", "position_embd.weight", "blk.0.attn_qkv.weight", "blk.0.attn_output.weight",
                        "blk.0.ffn_up.weight", "blk.1.ffn_down.weight", "output.weight"]
BERT_DEQUANT_TENSORS = ["token_embd.weight", "token_types.weight", "position_embd.weight", "blk.0.attn_q.weight",
                        "blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.1.ffn_down.weight"]

# Keys of every scalar value type and a few arrays, in a namespace of our own (llama.cpp ignores them).
TEST_METADATA = [
    ("attnscope.test.uint8", "uint8", 200), ("attnscope.test.int8", "int8", -100),
    ("attnscope.test.uint16", "uint16", 60000), ("attnscope.test.int16", "int16", -30000),
    ("attnscope.test.uint32", "uint32", 4000000000), ("attnscope.test.int32", "int32", -2000000000),
    ("attnscope.test.float32", "float32", -2.5), ("attnscope.test.bool", "bool", False),
    ("attnscope.test.string", "string", "héllo ▁wörld"), ("attnscope.test.uint64", "uint64", (1 << 40) + 7),
    ("attnscope.test.int64", "int64", -(1 << 40) - 7), ("attnscope.test.float64", "float64", 3.141592653589793),
    ("attnscope.test.array_uint8", "array:uint8", [0, 1, 255]),
    ("attnscope.test.array_int16", "array:int16", [-32768, 0, 32767]),
    ("attnscope.test.array_uint64", "array:uint64", [1, 1 << 33]),
    ("attnscope.test.array_float64", "array:float64", [0.5, -0.25]),
    ("attnscope.test.array_bool", "array:bool", [True, False, True]),
    ("attnscope.test.array_string_empty", "array:string", []),
]


def case_types(wtype, name, arch="llama"):
    if wtype == "Q4_K_M" and arch == "gpt2":
        return "Q6_K" if name.endswith(GPT2_MIX_SIX) else "Q4_K"
    if wtype == "Q4_K_M":
        return "Q6_K" if name.endswith(Q4_K_M_SIX) or name == "output.weight" else "Q4_K"
    return wtype


TINY_HPARAMS = {"context": CONTEXT, "d_model": D_MODEL, "n_layers": N_LAYERS, "d_ff": D_FF, "n_heads": N_HEADS,
                "n_kv": N_KV, "d_head": D_HEAD, "freq_base": FREQ_BASE, "rms_eps": RMS_EPS}


def llama_metadata(name, file_type, hp, tokens, scores, types, write_alignment=False):
    """The llama.* hyperparameters of hp (a dict like TINY_HPARAMS) and the SentencePiece tokenizer keys."""
    md = [("general.architecture", "string", "llama"), ("general.name", "string", name)]
    if write_alignment:
        md.append(("general.alignment", "uint32", ALIGNMENT))
    md += [("llama.vocab_size", "uint32", len(tokens)), ("llama.context_length", "uint32", hp["context"]),
           ("llama.embedding_length", "uint32", hp["d_model"]), ("llama.block_count", "uint32", hp["n_layers"]),
           ("llama.feed_forward_length", "uint32", hp["d_ff"]), ("llama.attention.head_count", "uint32", hp["n_heads"]),
           ("llama.attention.head_count_kv", "uint32", hp["n_kv"]), ("llama.rope.dimension_count", "uint32", hp["d_head"]),
           ("llama.rope.freq_base", "float32", hp["freq_base"]),
           ("llama.attention.layer_norm_rms_epsilon", "float32", hp["rms_eps"]),
           ("general.file_type", "uint32", file_type), ("general.quantization_version", "uint32", 2),
           ("tokenizer.ggml.model", "string", "llama"), ("tokenizer.ggml.tokens", "array:string", tokens),
           ("tokenizer.ggml.scores", "array:float32", scores), ("tokenizer.ggml.token_type", "array:int32", types),
           ("tokenizer.ggml.bos_token_id", "uint32", 1), ("tokenizer.ggml.eos_token_id", "uint32", 2),
           ("tokenizer.ggml.unknown_token_id", "uint32", 0), ("tokenizer.ggml.add_bos_token", "bool", True),
           ("tokenizer.ggml.add_eos_token", "bool", False)]
    return md


def metadata_for(case, wtype, tied, write_alignment, tokens, scores, types):
    return llama_metadata("attnscope-" + case.replace("_", "-"), FILE_TYPES[wtype], TINY_HPARAMS, tokens, scores, types,
                          write_alignment) + TEST_METADATA


def matrix_json(m):
    return [[None if v == -math.inf else float(v) for v in row] for row in np.asarray(m)]


class LlamaModel:
    """What the llama cases share: vocabulary, weights, ids of TEXT, tensor list, metadata, forward pass."""
    arch, causal, special_ids, d_ff, dequant_tensors = "llama", True, True, D_FF, DEQUANT_TENSORS
    n_kv, extra, decoded_text = N_KV, {"rope_freq_base": FREQ_BASE, "rms_eps": RMS_EPS}, TEXT

    def __init__(self):
        self.tokens, self.scores, self.types = vocabulary()
        self.W = random_weights(len(self.tokens))
        self.ids = text_ids(self.tokens)

    def tensor_list(self, tied):
        return gguf_tensor_list(self.W, tied)

    def metadata(self, case, wtype, tied, write_alignment):
        return metadata_for(case, wtype, tied, write_alignment, self.tokens, self.scores, self.types)

    def forward(self, values):
        return llama_forward(values, self.ids)

    def decode(self, tokens, ids):
        return decode_pieces(tokens, ids)


class Gpt2Model:
    """The gpt2 cases' model; ids with no special tokens."""
    arch, causal, special_ids, d_ff, dequant_tensors = "gpt2", True, False, GPT2_D_FF, GPT2_DEQUANT_TENSORS
    n_kv, extra, decoded_text = N_HEADS, {"layer_norm_eps": GPT2_EPS}, TEXT

    def __init__(self):
        self.tokens, self.types, self.merges = gpt2_vocabulary()
        self.W = gpt2_weights(len(self.tokens))
        self.ids = gpt2_tokenize(self.tokens, self.merges, TEXT)

    def tensor_list(self, tied):
        return file_tensors(self.W, gpt2_names(not tied))

    def metadata(self, case, wtype, tied, write_alignment):
        return gpt2_metadata("attnscope-" + case.replace("_", "-"), FILE_TYPES[wtype], self.tokens, self.types, self.merges)

    def forward(self, values):
        """From the file's values: Conv1D weights transposed back to in x out, then Hugging Face's forward."""
        return gpt2_forward(hf_from_file(values, gpt2_names("output.weight" in values)), self.ids)

    def decode(self, tokens, ids):
        return gpt2_decode(tokens, ids)


class BertModel:
    """The bert cases' model; ids with [CLS] and [SEP]; no head, so forward gives no logits."""
    arch, causal, special_ids, d_ff, dequant_tensors = "bert", False, True, BERT_D_FF, BERT_DEQUANT_TENSORS
    n_kv, extra, decoded_text = N_HEADS, {"layer_norm_eps": BERT_EPS}, bert_normalized_text(TEXT)

    def __init__(self):
        self.tokens, self.types = bert_vocabulary()
        self.W = bert_weights(len(self.tokens))
        self.ids = bert_tokenize(bert_wordpiece_vocabulary(), TEXT)

    def tensor_list(self, tied):
        return file_tensors(self.W, bert_names())

    def metadata(self, case, wtype, tied, write_alignment):
        return bert_metadata("attnscope-" + case.replace("_", "-"), FILE_TYPES[wtype], self.tokens, self.types)

    def forward(self, values):
        return bert_forward(hf_from_file(values, bert_names()), self.ids)

    def decode(self, tokens, ids):
        return bert_decode(tokens, ids)


class Maker:
    """Quantizes each base tensor at most once per type; cases scramble their own copies."""

    def __init__(self):
        self.models = {m.arch: m() for m in (LlamaModel, Gpt2Model, BertModel)}
        self.clean = {}

    def stored(self, key, ttype, matrix):
        key = key + (ttype,)
        if key not in self.clean:
            self.clean[key] = encode(ttype, matrix)
        return self.clean[key]

    def make(self, folder, case):
        arch, wtype, tied, write_alignment = CASES[case]
        model = self.models[arch]
        rng = np.random.default_rng(sum(map(ord, case)))
        tensors, values, scrambled = [], {}, {}
        for name, kind, matrix in model.tensor_list(tied):
            if kind in ("norm", "vector"):  # 1-D: F32 always
                ttype, dims, raw = "F32", [matrix.shape[0]], encode("F32", matrix[None, :])
            else:  # "matrix" in the case's type; "f32" (position_embd, token_types) F32 as llama.cpp keeps them
                ttype = "F32" if kind == "f32" else case_types(wtype, name, arch)
                dims = [matrix.shape[1], matrix.shape[0]]
                raw = self.stored((arch, name), ttype, matrix)
                if ttype in QUANTIZED:
                    per_row = raw.shape[1] // GGML_TYPES[ttype][2]
                    # row 1's first block and the last block are random (the last with a subnormal d)
                    raw, chosen = scramble_blocks(ttype, raw, rng, [per_row, raw.size // GGML_TYPES[ttype][2] - 1])
                    scrambled[name] = chosen
            data = raw.tobytes()
            tensors.append((name, ttype, dims, data))
            values[name] = decode(ttype, data, dims)
        md = model.metadata(case, wtype, tied, write_alignment)
        os.makedirs(folder, exist_ok=True)
        infos = write_gguf(os.path.join(folder, "model.gguf"), md, tensors)

        ids = model.ids
        layers, logits = model.forward(values)
        expected = {
            "case": case, "file": "model.gguf", "architecture": arch, "weight_type": wtype,
            "file_type": FILE_TYPES[wtype], "tied": tied, "ids": ids, "text": TEXT,
            "pieces": [model.tokens[i] for i in ids], "special_ids": model.special_ids, "causal": model.causal,
            "n_layers": N_LAYERS, "n_heads": N_HEADS, "n_kv_heads": model.n_kv, "d_head": D_HEAD, "d_model": D_MODEL,
            "d_ff": model.d_ff, "vocab_size": len(model.tokens), "context_length": CONTEXT}
        expected.update(model.extra)
        expected.update({
            "scale": 1 / math.sqrt(D_HEAD),
            "tensors": [{k: t[k] for k in ("name", "type", "dims", "offset")} for t in infos],
            "metadata": {k: {"type": vt, "value": v} for k, vt, v in md},
            "layers": [{"heads": [{k: matrix_json(v) for k, v in h.items()} for h in heads]} for heads in layers]})
        if logits is not None:
            expected["logits_last"] = [float(v) for v in logits[-1]]
        with open(os.path.join(folder, "expected.json"), "w") as f:
            json.dump(expected, f)
        dequant = {"case": case, "tensors": []}
        for name in model.dequant_tensors:
            if name not in values:
                continue
            info = next(t for t in infos if t["name"] == name)
            v = values[name]
            blocks_per_row = info["dims"][0] // GGML_TYPES[info["type"]][1]
            rows = sorted({0, 1, v.shape[0] - 1})
            dequant["tensors"].append({
                "name": name, "type": info["type"], "ggml_type": GGML_TYPES[info["type"]][0], "dims": info["dims"],
                "random_blocks": [int(b) for b in scrambled.get(name, []) if b // blocks_per_row in rows],
                "blocks_per_row": blocks_per_row,
                "rows": [{"row": r, "values": [float(x) for x in v[r]]} for r in rows]})
        with open(os.path.join(folder, "dequant.json"), "w") as f:
            json.dump(dequant, f)
        return {"values": values, "metadata": md, "infos": infos, "expected": expected, "tensors": tensors,
                "layers": layers, "logits": logits}

# ---------------------------------------------------------------- a Llama-3.1-8B-shaped benchmark file
# For memory / speed benchmarks only: the shapes, types and metadata of a Q4_K_M Llama-3.1-8B, with random
# well-formed blocks made directly in block form (quantizing ~8e9 floats here would take far too long).
# Every attn_v and ffn_down is Q6_K (llama.cpp's own Q4_K_M makes only about half of them Q6_K), so the
# file is a little larger than llama.cpp's 4.92 GB.

LLAMA_8B = {"context": 8192, "d_model": 4096, "n_layers": 32, "d_ff": 14336, "n_heads": 32, "n_kv": 8,
            "d_head": 128, "freq_base": 500000.0, "rms_eps": RMS_EPS, "vocab": 128256}
BENCH_STD = 0.02  # the std of the dequantized weights, about a trained model's
BENCH_D_SIGMA = 0.2  # d varies from block to block by a log-normal factor
BENCH_CHUNK = 1 << 16  # blocks made and written at a time (at most 13.8 MB of bytes)


def padded_vocabulary(n):
    """vocabulary(), then pieces "▁w<id>" (normal, score -1000 - k) up to n tokens: every id below n is a piece."""
    tokens, scores, types = vocabulary()
    extra = range(len(tokens), n)
    return (tokens + ["▁w%d" % i for i in extra], scores + [-1000.0 - k for k in range(len(extra))],
            types + [1] * len(extra))


def llama_8b_specs(hp):
    """(name, type, dims in ggml order) in gguf_tensor_list's order; 2-D types as llama_q4_k_m's, norms F32."""
    d, ff, vocab = hp["d_model"], hp["d_ff"], hp["vocab"]
    q, kv = hp["n_heads"] * hp["d_head"], hp["n_kv"] * hp["d_head"]
    shapes = [("token_embd.weight", [d, vocab])]
    for l in range(hp["n_layers"]):
        b = "blk.%d." % l
        shapes += [(b + "attn_norm.weight", [d]), (b + "attn_q.weight", [d, q]), (b + "attn_k.weight", [d, kv]),
                   (b + "attn_v.weight", [d, kv]), (b + "attn_output.weight", [q, d]), (b + "ffn_norm.weight", [d]),
                   (b + "ffn_gate.weight", [d, ff]), (b + "ffn_up.weight", [d, ff]), (b + "ffn_down.weight", [ff, d])]
    shapes += [("output_norm.weight", [d]), ("output.weight", [d, vocab])]
    return [(name, "F32" if len(dims) == 1 else case_types("Q4_K_M", name), dims) for name, dims in shapes]


def random_k_blocks(rng, ttype, n, std):
    """n random well-formed Q4_K or Q6_K blocks, (n, block bytes) uint8: random quant bytes; finite positive
    half d (dmin); random 6-bit (Q4_K) or int8 (Q6_K) sub-block scales in the upper half of their range, as
    ggml's quantizers leave them. The dequantized values have mean ~0 and std ~std."""
    size = GGML_TYPES[ttype][2]
    out = rng.integers(0, 256, (n, size), dtype=np.uint8)
    spread = np.exp(BENCH_D_SIGMA * rng.standard_normal(n) - BENCH_D_SIGMA ** 2)  # E[spread^2] = 1
    if ttype == "Q4_K":
        # value = d sc q - dmin m, q uniform on 0..15 (variance 255/12); m makes dmin m ~ d sc 7.5 (mean ~0)
        sc = rng.integers(32, 64, (n, 8), dtype=np.uint8)
        d = std / (math.sqrt(255 / 12) * math.sqrt(np.mean(np.arange(32, 64) ** 2))) * spread
        ratio = (7.5 * f16_value(f16_bits(d)) / f16_value(f16_bits(8 * d))).astype(np.float32)
        m = np.clip(np.rint(sc * ratio[:, None]), 0, 63).astype(np.uint8)
        out[:, 0:2], out[:, 2:4] = half_bytes(d), half_bytes(8 * d)
        # _pack_k4_scales in uint8 (it works in int64, which made this 3x slower)
        out[:, 4:8] = sc[:, 0:4] | ((sc[:, 4:8] >> 4) << 6)
        out[:, 8:12] = m[:, 0:4] | ((m[:, 4:8] >> 4) << 6)
        out[:, 12:16] = (sc[:, 4:8] & 15) | ((m[:, 4:8] & 15) << 4)
    elif ttype == "Q6_K":
        # value = d sc (q - 32), q uniform on 0..63 (mean square of q - 32: 341.5); sc of either sign
        # (d comes out ~1.1e-5, a subnormal half, as in real Q6_K tensors of weights this small)
        sc = rng.integers(64, 128, (n, 16)) * (2 * rng.integers(0, 2, (n, 16)) - 1)
        d = std / (math.sqrt(341.5) * math.sqrt(np.mean(np.arange(64, 128) ** 2))) * spread
        out[:, 192:208], out[:, 208:210] = sc.astype(np.int8).view(np.uint8), half_bytes(d)
    else:
        raise ValueError(ttype)
    return out


def write_llama_8b_q4km(folder, seed=8):
    """Writes folder/model.gguf one chunk at a time. Returns (path, metadata, header length, tensor infos)."""
    hp = LLAMA_8B
    tokens, scores, types = padded_vocabulary(hp["vocab"])
    md = llama_metadata("attnscope-random-llama-3.1-8b-q4_k_m", FILE_TYPES["Q4_K_M"], hp, tokens, scores, types)
    header, infos = gguf_header(md, llama_8b_specs(hp))
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.gguf")
    with open(path, "wb") as f:
        f.write(header)
        for info in infos:
            assert f.tell() == len(header) + info["offset"], info["name"]
            if info["type"] == "F32":
                f.write((1.0 + 0.1 * rng.standard_normal(info["dims"][0])).astype("<f4"))
            else:
                size = GGML_TYPES[info["type"]][2]
                nblocks = info["nbytes"] // size
                for start in range(0, nblocks, BENCH_CHUNK):
                    f.write(random_k_blocks(rng, info["type"], min(BENCH_CHUNK, nblocks - start), BENCH_STD))
            f.write(b"\0" * (align(info["nbytes"]) - info["nbytes"]))
    return path, md, len(header), infos


def read_blocks(g, fd, name, first, n):
    """Blocks first..first + n - 1 of a quantized tensor, (n, block bytes) uint8. With pread, not through the
    reader's mapping: each fault on the mapping maps a whole large folio of page cache (MBs) into the RSS."""
    ttype, _, off = g.tensors[name]
    size = GGML_TYPES[ttype][2]
    return np.frombuffer(os.pread(fd, n * size, g.data_start + off + int(first) * size), np.uint8).reshape(n, size)


def check_llama_8b_q4km(path, md, header_len, infos, blocks_per_tensor=64, seed=9):
    """Reads the file back with GGUFReader (mmap) and checks it; samples blocks_per_tensor blocks of each
    quantized tensor (4 runs of 16) and dequantizes them. Returns the failures."""
    failures = []

    def check(ok, what):
        print(("  ok    " if ok else "  FAIL  ") + what)
        if not ok:
            failures.append(what)

    hp = LLAMA_8B
    g = GGUFReader(path)
    check(g.version == 3 and g.alignment == ALIGNMENT and g.data_start == header_len and g.data_start % ALIGNMENT == 0,
          "GGUF v3, alignment %d, data section at %d" % (g.alignment, g.data_start))
    want = {k: (vt, float(np.float32(v)) if vt == "float32" else
                [float(np.float32(x)) for x in v] if vt == "array:float32" else v) for k, vt, v in md}
    check(g.metadata == want, "%d metadata keys read back equal to those written" % len(g.metadata))
    m = {k: v for k, (_, v) in g.metadata.items()}
    tokens = m["tokenizer.ggml.tokens"]
    check(m["llama.embedding_length"] == 4096 and m["llama.block_count"] == 32 and m["llama.attention.head_count"] == 32
          and m["llama.attention.head_count_kv"] == 8 and m["llama.feed_forward_length"] == 14336
          and m["llama.context_length"] == 8192 and m["llama.rope.freq_base"] == 500000.0
          and m["llama.attention.layer_norm_rms_epsilon"] == float(np.float32(1e-5)) and m["general.file_type"] == 15
          and m["llama.vocab_size"] == 128256 and m["llama.rope.dimension_count"] == 128,
          "hyperparameters: 4096 / 32 layers / 32 heads / 8 KV heads / ff 14336 / ctx 8192 / base 5e5 / eps 1e-5 / ftype 15")
    check(len(tokens) == len(set(tokens)) == 128256 == len(m["tokenizer.ggml.scores"]) == len(m["tokenizer.ggml.token_type"])
          and m["tokenizer.ggml.model"] == "llama" and tokens[m["tokenizer.ggml.bos_token_id"]] == "<s>"
          and tokens[m["tokenizer.ggml.eos_token_id"]] == "</s>" and tokens[128255] == "▁w128255",
          "tokenizer: 128256 distinct pieces (last %r), scores, types, bos <s>, eos </s>" % tokens[-1])

    specs = llama_8b_specs(hp)
    expect_types = {"token_embd.weight": "Q4_K", "output.weight": "Q6_K", "output_norm.weight": "F32"}
    for l in range(hp["n_layers"]):
        expect_types.update({"blk.%d.%s.weight" % (l, n): t for n, t in (
            ("attn_norm", "F32"), ("ffn_norm", "F32"), ("attn_q", "Q4_K"), ("attn_k", "Q4_K"), ("attn_output", "Q4_K"),
            ("ffn_gate", "Q4_K"), ("ffn_up", "Q4_K"), ("attn_v", "Q6_K"), ("ffn_down", "Q6_K"))})
    got = [(name, t, d) for name, (t, d, _) in g.tensors.items()]
    check(len(g.tensors) == 291 and got == [tuple(s) for s in specs]
          and all(expect_types[name] == t for name, t, _ in got),
          "291 tensors, names, types (Q4_K %d, Q6_K %d, F32 %d) and dims as specified" % tuple(
              sum(t == x for _, t, _ in got) for x in ("Q4_K", "Q6_K", "F32")))
    end, ok = 0, True
    for (name, t, dims, off), info in zip([(n,) + v for n, v in g.tensors.items()], infos):
        ok = ok and off % ALIGNMENT == 0 and off == align(end) and off == info["offset"]
        end = off + tensor_nbytes(t, dims)
    size = os.path.getsize(path)
    check(ok and size == g.data_start + align(end) == len(g.buf),
          "offsets contiguous and %d-aligned; file size %d = data start + %d bytes of data" % (ALIGNMENT, size, align(end)))

    rng = np.random.default_rng(seed)
    fd = os.open(path, os.O_RDONLY)
    per_type, worst, norms = {}, [], []
    for name, (t, dims, off) in g.tensors.items():
        if t == "F32":
            norms.append(np.frombuffer(os.pread(fd, tensor_nbytes(t, dims), g.data_start + off), "<f4"))
            continue
        nb = tensor_nbytes(t, dims) // GGML_TYPES[t][2]
        starts = rng.integers(0, nb - 16, blocks_per_tensor // 16)
        starts[0], starts[-1] = 0, nb - 16  # the first and last blocks too
        raw = np.concatenate([read_blocks(g, fd, name, s, 16) for s in starts])
        v = DEQUANTIZERS[t](raw)
        std = float(v.std())
        per_type.setdefault(t, []).append(v)
        worst.append((abs(std - BENCH_STD), name, std, bool(np.all(np.isfinite(v)))))
    norms = np.concatenate(norms)
    check(norms.size == 65 * 4096 and np.all(np.isfinite(norms)) and abs(norms.mean() - 1) < 0.01,
          "65 F32 norms: finite, mean %.4f, std %.4f" % (norms.mean(), norms.std()))
    worst.sort()
    check(all(fin and 0.016 < s < 0.024 for _, _, s, fin in worst),
          "%d quantized tensors x %d sampled blocks: finite, per-tensor std in %.4f..%.4f (farthest from 0.02: %s)"
          % (len(worst), blocks_per_tensor, min(s for _, _, s, _ in worst), max(s for _, _, s, _ in worst), worst[-1][1]))
    for t, vs in sorted(per_type.items()):
        v = np.concatenate([x.ravel() for x in vs])
        check(abs(v.std() - BENCH_STD) < 0.001 and abs(v.mean()) < 0.001 and np.abs(v).max() < 0.2,
              "%s: %d values, mean %+.2e, std %.5f, max |v| %.4f" % (t, v.size, v.mean(), v.std(), np.abs(v).max()))
    q4 = np.concatenate([read_blocks(g, fd, name, 0, 4096) for name in ("token_embd.weight", "blk.31.ffn_up.weight")])
    q6 = read_blocks(g, fd, "output.weight", 0, 4096)
    sc, mn = unpack_k4_scales(q4[:, 4:16])
    d, dmin, d6 = read_half(q4, 0), read_half(q4, 2), read_half(q6, 208)
    s6 = q6[:, 192:208].view(np.int8).astype(np.int64)
    check(sc.min() >= 32 and sc.max() <= 63 and mn.min() >= 0 and mn.max() <= 63 and np.all(d > 0) and np.all(dmin > 0)
          and np.all(np.isfinite(d)) and np.all(np.isfinite(dmin)) and np.abs(s6).min() >= 64 and np.all(d6 > 0)
          and np.all(np.isfinite(d6)),
          "scales of 8192 Q4_K blocks: sc %d..%d, m %d..%d, d %.2e..%.2e, dmin %.2e..%.2e; "
          "of 4096 Q6_K: |sc| %d..%d, d %.2e..%.2e"
          % (sc.min(), sc.max(), mn.min(), mn.max(), d.min(), d.max(), dmin.min(), dmin.max(), np.abs(s6).min(),
             np.abs(s6).max(), d6.min(), d6.max()))
    for t in ("Q4_K", "Q6_K"):  # the two dequantizers agree on a few of the random blocks
        name = "blk.0.attn_q.weight" if t == "Q4_K" else "blk.0.ffn_down.weight"
        raw = read_blocks(g, fd, name, 0, 8)
        check(np.array_equal(DEQUANTIZERS[t](raw), np.stack([scalar_dequantize(t, b) for b in raw])),
              "%s: the vectorized and the loop dequantizer agree on %s's first 8 blocks" % (t, name))
    os.close(fd)
    return failures


def make_llama_8b_q4km(folder):
    import time
    t0 = time.time()
    path, md, header_len, infos = write_llama_8b_q4km(folder)
    t1 = time.time()
    size = os.path.getsize(path)
    print("wrote %s: %d bytes (%.2f GB, %.2f GiB), %d tensors, header %d bytes, in %.1f s"
          % (path, size, size / 1e9, size / 2 ** 30, len(infos), header_len, t1 - t0))
    failures = check_llama_8b_q4km(path, md, header_len, infos)
    print("check (%.1f s): %s" % (time.time() - t1, "all passed" if not failures else "%d FAILED" % len(failures)))
    return 1 if failures else 0

# ---------------------------------------------------------------- --convert-hf: a Hugging Face folder -> GGUF
# What llama.cpp's convert_hf_to_gguf.py (GPT2Model, BertModel, get_vocab_base, gguf-py's SpecialVocab) writes
# for a GPT2LMHeadModel or BERT checkpoint with --outtype f32: every tensor F32 (F16 / BF16 sources widened,
# exactly), general.file_type 0 (ALL_F32), tensors in the sorted order safetensors lists them. Not written here
# (the loader needs none of it): general.size_label / basename / license and the like from the model card;
# tokenizer.ggml.pre for BERT is "default" (llama.cpp writes the name of the hash its chktxt tokenizes to, which
# llama.cpp does not read for a WordPiece vocabulary). Token types as get_vocab_base gives them: every special added
# token CONTROL (BERT's [UNK] too, not UNKNOWN), ids missing from the vocabulary "[PAD<id>]" UNUSED (older converters:
# USER_DEFINED); bert.pooling_type only when sentence-transformers' modules.json names a pooling (else no key).

SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
                      "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "u1"}
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED = 1, 2, 3, 4, 5
# SpecialVocab's token types -> the GGUF key of the id (llama.cpp's spelling, "seperator" included)
SPECIAL_ID_KEYS = {"bos": "bos_token_id", "eos": "eos_token_id", "unk": "unknown_token_id", "sep": "seperator_token_id",
                   "pad": "padding_token_id", "cls": "cls_token_id", "mask": "mask_token_id", "eot": "eot_token_id",
                   "eom": "eom_token_id"}
POOLING_TYPES = {"pooling_mode_mean_tokens": 1, "pooling_mode_cls_token": 2, "pooling_mode_lasttoken": 3}


class ConvertError(Exception):
    pass


def read_safetensors(path):
    """One .safetensors file -> {name: numpy array}: F32 as stored, F16 and BF16 widened to float32 (every value
    exactly), integer and F64 tensors as stored (the converter drops or refuses those)."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ConvertError("%s: too short for a safetensors file" % path)
        (n,) = struct.unpack("<Q", raw)
        size = os.fstat(f.fileno()).st_size
        if n > size - 8:
            raise ConvertError("%s: header of %d bytes in a file of %d" % (path, n, size))
        header = json.loads(f.read(n).decode("utf-8"))
        start = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype, shape, (begin, end) = info["dtype"], [int(d) for d in info["shape"]], info["data_offsets"]
            if dtype not in SAFETENSORS_DTYPES:
                raise ConvertError("%s: tensor %s has dtype %s (not supported here)" % (path, name, dtype))
            np_type = np.dtype(SAFETENSORS_DTYPES[dtype])
            count = int(np.prod(shape)) if shape else 1
            if end - begin != count * np_type.itemsize or start + end > size:
                raise ConvertError("%s: tensor %s: %d bytes at %d..%d for %s %s" % (path, name, end - begin, begin, end,
                                                                                   dtype, shape))
            f.seek(start + begin)
            a = np.frombuffer(f.read(end - begin), dtype=np_type).reshape(shape)
            if dtype == "BF16":
                a = (a.astype(np.uint32) << 16).view(np.float32)
            elif dtype in ("F16", "F32"):
                a = a.astype(np.float32)
            out[name] = a
    return out


def read_checkpoint(folder):
    """model.safetensors, or the shards model.safetensors.index.json names -> {name: array} in the order the converter
    meets them, so the order it writes the tensors in: the shards in sorted file-name order, each one's tensors sorted
    by name (gguf-py's SafetensorsLocal sorts a file's names as safetensors' safe_open.keys() does). Every tensor the
    index names must be in its shard, and no shard may hold one the index does not name (the converter's check)."""
    single = os.path.join(folder, "model.safetensors")
    index = single + ".index.json"
    weight_map = None
    if os.path.isfile(single):
        files = [single]
    elif os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            weight_map = json.load(f).get("weight_map")
        if not isinstance(weight_map, dict):
            raise ConvertError("%s: no weight_map in model.safetensors.index.json" % folder)
        files = [os.path.join(folder, p) for p in sorted(set(weight_map.values()))]
    else:
        raise ConvertError("%s: no model.safetensors (nor model.safetensors.index.json)" % folder)
    tensors = {}
    for path in files:
        if not os.path.isfile(path):
            raise ConvertError("%s: the shard %s named in model.safetensors.index.json is missing"
                               % (folder, os.path.basename(path)))
        part = read_safetensors(path)
        for name in sorted(part):
            if name in tensors:
                raise ConvertError("%s: tensor %s is in two shards" % (folder, name))
            tensors[name] = part[name]
    if weight_map is not None and set(weight_map) != set(tensors):
        raise ConvertError("%s: the index and the shards disagree: missing %s, not in the index %s"
                           % (folder, sorted(set(weight_map) - set(tensors))[:5], sorted(set(tensors) - set(weight_map))[:5]))
    return tensors


def read_json(folder, name):
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# GPT-2: Hugging Face names (after "transformer.", "h.N." inside a layer) -> GGUF names (after "blk.N.")
GPT2_MODEL_TENSORS = {"wte": "token_embd", "wpe": "position_embd", "ln_f": "output_norm"}
GPT2_LAYER_TENSORS = {"ln_1": "attn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output", "ln_2": "ffn_norm",
                      "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}
GPT2_CONV1D_WEIGHTS = (".c_attn.weight", ".c_proj.weight", ".c_fc.weight")  # in x out in the checkpoint
BERT_MODEL_TENSORS = {"embeddings.word_embeddings": "token_embd", "embeddings.position_embeddings": "position_embd",
                      "embeddings.token_type_embeddings": "token_types", "embeddings.LayerNorm": "token_embd_norm"}
BERT_LAYER_TENSORS = {"attention.self.query": "attn_q", "attention.self.key": "attn_k", "attention.self.value": "attn_v",
                      "attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
                      "intermediate.dense": "ffn_up", "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm"}


def map_tensor_name(name, model, layer_prefix, layer, n_layers):
    """"<stem>.weight|bias" -> the GGUF name through the model-wide or the per-layer table; ConvertError when the
    name is in neither (llama.cpp: "Can not map tensor")."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in ("weight", "bias"):
        if stem in model:
            return model[stem] + "." + suffix
        if stem.startswith(layer_prefix):
            n, _, rest = stem[len(layer_prefix):].partition(".")
            if n.isdigit() and int(n) < n_layers and rest in layer:
                return "blk.%d.%s.%s" % (int(n), layer[rest], suffix)
    raise ConvertError("can not map tensor %r" % name)


def gpt2_convert_tensors(hf, config):
    """GPT2Model.modify_tensors: (GGUF name, Hugging Face name, array as written). The attention-mask buffers are
    dropped, the Conv1D weights transposed to out x in; lm_head.weight, when the file has one, is dropped if it is
    wte (tied) and written as output.weight if not."""
    out = []
    for hf_name, a in hf.items():
        name = hf_name[len("transformer."):] if hf_name.startswith("transformer.") else hf_name
        if name.endswith((".attn.bias", ".attn.masked_bias")):
            continue
        if name == "lm_head.weight":
            wte = hf.get("transformer.wte.weight", hf.get("wte.weight"))
            if wte is not None and np.array_equal(wte, a):
                continue
            out.append(("output.weight", hf_name, a))
            continue
        gguf_name = map_tensor_name(name, GPT2_MODEL_TENSORS, "h.", GPT2_LAYER_TENSORS, config["n_layer"])
        out.append((gguf_name, hf_name, np.ascontiguousarray(a.T) if name.endswith(GPT2_CONV1D_WEIGHTS) else a))
    return out


def bert_convert_tensors(hf, config):
    """BertModel.filter_tensors: "bert." stripped, LayerNorm gamma / beta renamed weight / bias, position_ids, the
    pooler and the cls.* heads dropped; no transposes, no q/k permutation."""
    out = []
    for hf_name, a in hf.items():
        name = hf_name[len("bert."):] if hf_name.startswith("bert.") else hf_name
        if name.endswith(".gamma"):
            name = name[:-len(".gamma")] + ".weight"
        if name.endswith(".beta"):
            name = name[:-len(".beta")] + ".bias"
        if name == "embeddings.position_ids" or name.startswith(("pooler.", "cls.predictions", "cls.seq_relationship")):
            continue
        gguf_name = map_tensor_name(name, BERT_MODEL_TENSORS, "encoder.layer.", BERT_LAYER_TENSORS,
                                    config["num_hidden_layers"])
        out.append((gguf_name, hf_name, a))
    return out


def does_token_look_special(token):
    """TextModel.does_token_look_special: added tokens some models forget to mark special."""
    return (token in ("<pad>", "<mask>", "<2mass>", "[@BOS@]") or (token.startswith("<|") and token.endswith("|>"))
            or (token.startswith("<｜") and token.endswith("｜>")) or (token.startswith("<unused") and token.endswith(">")))


def hf_vocab_base(folder, config, base_vocab):
    """TextModel.get_vocab_base without transformers: ids 0..vocab_size-1 -> (tokens, types). base_vocab {token: id}
    (vocab.json / vocab.txt / tokenizer.json's model.vocab); the added tokens from tokenizer.json (or
    tokenizer_config.json's added_tokens_decoder) are CONTROL when special (or looking special), else USER_DEFINED
    with any "▁" turned into a space; the rest NORMAL; ids nobody names "[PAD<id>]", UNUSED."""
    tokenizer = read_json(folder, "tokenizer.json") or {}
    added = {t["content"]: (t["id"], t.get("special", False)) for t in tokenizer.get("added_tokens", [])}
    if not added:
        decoder = (read_json(folder, "tokenizer_config.json") or {}).get("added_tokens_decoder", {})
        added = {t["content"]: (int(i), t.get("special", False)) for i, t in decoder.items()}
    vocab = dict(base_vocab)
    vocab.update({content: i for content, (i, _) in added.items()})
    vocab_size = config.get("vocab_size", len(vocab))
    if max(vocab.values()) >= vocab_size:
        raise ConvertError("%s: token id %d, but vocab_size is %d" % (folder, max(vocab.values()), vocab_size))
    reverse = {i: t for t, i in vocab.items()}
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append("[PAD%d]" % i)
            types.append(TOKEN_UNUSED)
            continue
        token = reverse[i]
        if token in added:
            if added[token][1] or does_token_look_special(token):
                types.append(TOKEN_CONTROL)
            else:
                token = token.replace("▁", " ")
                types.append(TOKEN_USER_DEFINED)
        else:
            types.append(TOKEN_NORMAL)
        tokens.append(token)
    return tokens, types


def _content(entry):
    return entry.get("content") if isinstance(entry, dict) else entry


def special_vocab(folder, n_vocab, load_merges):
    """gguf-py's SpecialVocab: merges (tokenizer.json, else merges.txt), the special token ids (tokenizer_config.json's
    *_token looked up in tokenizer.json's added_tokens, [CLS] / [SEP] standing in for a missing bos / eos; then
    config.json's *_token_id), add_*_token (tokenizer_config.json, or guessed from tokenizer.json's post-processor),
    chat template, lowercase normalizer. Returns (merges, {type: id}, {type: add}, chat template, lowercase)."""
    types = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"]
    ids, add, merges, lowercase = {}, {}, [], False

    def set_id(typ, tid):
        if not isinstance(tid, int) or isinstance(tid, bool):
            return
        if tid < 0:
            raise ConvertError("invalid value for special token type %s: %d" % (typ, tid))
        if (n_vocab is None or tid < n_vocab) and typ not in ids:
            ids[typ] = tid

    def lowercases(norm):
        t = norm.get("type")
        return (t == "Lowercase" or (t == "BertNormalizer" and norm.get("lowercase", True))
                or (t == "Sequence" and any(lowercases(n) for n in norm.get("normalizers", []))))

    tokenizer = read_json(folder, "tokenizer.json")
    added_tokens = []
    if tokenizer:
        if load_merges:
            m = tokenizer.get("model", {}).get("merges")
            if isinstance(m, list) and m:
                if isinstance(m[0], str):
                    merges = list(m)
                else:  # [["a", "b"], ...] since transformers 4.45; a space inside a part written as U+0120
                    merges = [" ".join("".join(chr(ord(c) + 256) if c == " " else c for c in part) for part in pair)
                              for pair in m]
        lowercase = bool(tokenizer.get("normalizer")) and lowercases(tokenizer["normalizer"])
        added_tokens = tokenizer.get("added_tokens", [])
    tc = read_json(folder, "tokenizer_config.json")
    if tokenizer:
        bos, cls, eos, sep = ((tc or {}).get(k) for k in ("bos_token", "cls_token", "eos_token", "sep_token"))
        if not bos and cls and tc:
            tc["bos_token"] = bos = cls
        if not eos and sep and tc:
            tc["eos_token"] = eos = sep
        post = tokenizer.get("post_processor") or {}
        for proc in (post.get("processors", [post]) if post else []):
            if proc.get("type") == "RobertaProcessing":
                add.update({"bos": True, "eos": True, "sep": True})
                if not cls and tc:
                    tc["cls_token"] = cls = proc.get("cls", [bos])[0]
                if not sep and tc:
                    tc["sep_token"] = sep = proc.get("sep", [eos])[0]
                continue
            if proc.get("type") != "TemplateProcessing":
                continue
            single, pair = proc.get("single", []), proc.get("pair", [])
            first = last = None
            if len(single) > 1:
                first = single[0].get("SpecialToken", {}).get("id")
                if first:
                    if not tc:
                        bos = first
                    add["bos"] = first in (bos, cls)
                last = single[-1].get("SpecialToken", {}).get("id")
                if last:
                    if not tc:
                        eos = last
                    elif last != eos:
                        extra = "eot" if "eot" not in types else "eom" if "eom" not in types else None
                        if extra:
                            types.append(extra)
                            tc[extra + "_token"] = eos
                        tc["eos_token"] = eos = last
                    add["eos"] = last == eos
            if pair:
                start = 1 if first and pair[0].get("SpecialToken", {}).get("id") == first else 0
                stop = -1 if last and pair[-1].get("SpecialToken", {}).get("id") == last else None
                pair = pair[start:stop]
                if pair:
                    a, b = pair[0].get("Sequence", {}).get("id"), pair[-1].get("Sequence", {}).get("id")
                    middle = pair[1:-1]
                    if a == "A" and b == "B" and middle:
                        add_sep = False
                        entry = middle[0].get("SpecialToken", {}).get("id")
                        if entry and entry in (sep, eos) and not last:
                            add_sep = True
                        if len(middle) == 2:
                            entry = middle[1].get("SpecialToken", {}).get("id")
                            if entry and entry in (sep, eos):
                                add_sep = True
                        add["sep"] = add_sep
                        if add_sep and not sep and tc:
                            tc["sep_token"] = eos
    chat_template = None
    if tc:
        chat_template = tc.get("chat_template") if isinstance(tc.get("chat_template"), str) else None
        for typ in types:
            if isinstance(tc.get("add_%s_token" % typ), bool):
                add[typ] = tc["add_%s_token" % typ]
            content = _content(tc.get("%s_token" % typ))
            if isinstance(content, str):
                set_id(typ, next((t.get("id") for t in added_tokens if t.get("content") == content), None))
    config = read_json(folder, "config.json") or {}
    for typ in types:
        set_id(typ, config.get("%s_token_id" % typ))
    if load_merges and not merges and os.path.isfile(os.path.join(folder, "merges.txt")):
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[0].strip().startswith("#"):
            lines = lines[1:]
        merges = [" ".join(p) for p in (line.strip().split(None, 3) for line in lines) if len(p) == 2]
    return merges, ids, add, chat_template, lowercase


def special_metadata(merges, ids, add, chat_template, lowercase):
    """SpecialVocab.add_to_gguf, in its order."""
    md = [("tokenizer.ggml.merges", "array:string", merges)] if merges else []
    md += [("tokenizer.ggml." + SPECIAL_ID_KEYS[t], "uint32", i) for t, i in ids.items() if t in SPECIAL_ID_KEYS]
    md += [("tokenizer.ggml.add_%s_token" % t, "bool", v) for t, v in add.items() if t in ("bos", "eos", "sep")]
    if chat_template is not None:
        md.append(("tokenizer.chat_template", "string", chat_template))
    if lowercase:
        md.append(("tokenizer.ggml.normalizer.lowercase", "bool", True))
    return md


def gpt2_convert_metadata(folder, config, name):
    n_embd = config["n_embd"]
    if config.get("n_inner") not in (None, 4 * n_embd):
        print("warning: %s: n_inner %s, but the converter writes gpt2.feed_forward_length = 4 * n_embd = %d"
              % (folder, config["n_inner"], 4 * n_embd), file=sys.stderr)
    md = [("general.architecture", "string", "gpt2"), ("general.type", "string", "model"), ("general.name", "string", name),
          ("gpt2.block_count", "uint32", config["n_layer"]),
          ("gpt2.context_length", "uint32", config.get("n_ctx", config.get("n_positions"))),
          ("gpt2.embedding_length", "uint32", n_embd), ("gpt2.feed_forward_length", "uint32", 4 * n_embd),
          ("gpt2.attention.head_count", "uint32", config["n_head"]),
          ("gpt2.attention.layer_norm_epsilon", "float32", config["layer_norm_epsilon"]),
          ("general.file_type", "uint32", 0), ("general.quantization_version", "uint32", 2)]
    base = read_json(folder, "vocab.json")
    if base is None:
        base = (read_json(folder, "tokenizer.json") or {}).get("model", {}).get("vocab")
    if not base:
        raise ConvertError("%s: no vocab.json (nor a tokenizer.json with a vocabulary)" % folder)
    tokens, types = hf_vocab_base(folder, config, base)
    md += [("tokenizer.ggml.model", "string", "gpt2"), ("tokenizer.ggml.pre", "string", "gpt-2"),
           ("tokenizer.ggml.tokens", "array:string", tokens), ("tokenizer.ggml.token_type", "array:int32", types)]
    return md + special_metadata(*special_vocab(folder, None, True))


def bert_phantom(token, ttype):
    """BertModel.set_vocab: control tokens as they are, "##x" -> "x", any other token -> "▁" + token."""
    if ttype == TOKEN_CONTROL:
        return token
    return token[2:] if token.startswith("##") else "▁" + token


def bert_convert_metadata(folder, config, name):
    md = [("general.architecture", "string", "bert"), ("general.type", "string", "model"), ("general.name", "string", name),
          ("bert.block_count", "uint32", config["num_hidden_layers"]),
          ("bert.context_length", "uint32", config["max_position_embeddings"]),
          ("bert.embedding_length", "uint32", config["hidden_size"]),
          ("bert.feed_forward_length", "uint32", config["intermediate_size"]),
          ("bert.attention.head_count", "uint32", config["num_attention_heads"])]
    eps = next((config[k] for k in ("layer_norm_eps", "layer_norm_epsilon", "norm_epsilon") if k in config), None)
    if eps is not None:
        md.append(("bert.attention.layer_norm_epsilon", "float32", eps))
    md += [("general.file_type", "uint32", 0), ("bert.attention.causal", "bool", False)]
    modules = read_json(folder, "modules.json") or []
    pool = next((m["path"] for m in modules if m.get("type") == "sentence_transformers.models.Pooling"), None)
    if pool is not None:  # sentence-transformers' pooling; without modules.json the converter writes no pooling type
        pooling = read_json(os.path.join(folder, pool), "config.json") or {}
        kind = next((v for k, v in POOLING_TYPES.items() if pooling.get(k)), None)
        if kind is None:
            raise ConvertError("%s: only MEAN, CLS and LAST pooling are supported" % folder)
        md.append(("bert.pooling_type", "uint32", kind))
    md.append(("general.quantization_version", "uint32", 2))
    path = os.path.join(folder, "vocab.txt")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:  # as BertTokenizer's load_vocab reads it: a token a line
            base = {}
            for i, line in enumerate(f.readlines()):
                base[line.rstrip("\n")] = i
    else:
        base = (read_json(folder, "tokenizer.json") or {}).get("model", {}).get("vocab")
    if not base:
        raise ConvertError("%s: no vocab.txt (nor a tokenizer.json with a vocabulary)" % folder)
    tokens, types = hf_vocab_base(folder, config, base)
    tokens = [bert_phantom(t, k) for t, k in zip(tokens, types)]
    md += [("tokenizer.ggml.token_type_count", "uint32", config.get("type_vocab_size", 1)),
           ("tokenizer.ggml.model", "string", "bert"), ("tokenizer.ggml.pre", "string", "default"),
           ("tokenizer.ggml.tokens", "array:string", tokens), ("tokenizer.ggml.token_type", "array:int32", types)]
    return md + special_metadata(*special_vocab(folder, len(tokens), False))


# ---------------------------------------------------------------- --convert-hf: the Llama family
# What convert_hf_to_gguf.py writes with --outtype f32 for LlamaForCausalLM and MistralForCausalLM (LlamaModel:
# architecture "llama", Mistral written as llama), Qwen2ForCausalLM (Qwen2Model: "qwen2"), Qwen3ForCausalLM (Qwen3Model:
# "qwen3") and Olmo2ForCausalLM (Olmo2Model: "olmo2"). "model." is dropped from the names; only LlamaModel permutes
# q_proj / k_proj rows (weights and biases; LlamaModel.permute with num_attention_heads for q, num_key_value_heads for
# k), so a llama file's q/k rows pair as llama.cpp's adjacent-pair RoPE (LLAMA_ROPE_TYPE_NORM) wants them; qwen2, qwen3
# and olmo2 keep Hugging Face's rotate_half order (llama.cpp turns them with LLAMA_ROPE_TYPE_NEOX). Olmo2 has no
# input_layernorm and its post_attention_layernorm is a norm AFTER the attention (post_attention_norm), not ffn_norm.
# Metadata in TextModel.set_gguf_parameters' order; only LlamaModel adds <arch>.vocab_size and rope.dimension_count.
# A llama3 rope_scaling is written as LlamaModel.generate_extra_tensors writes it: no scaling type, a rope_freqs.weight
# F32 tensor of head_dim / 2 divisors first in the file, computed in float32 as its torch code does. One deliberate
# difference: the converter reads original_max_position_embeddings from the top level of the config
# (self.hparams.get("original_max_position_embeddings", 8192)), where a Hugging Face config does not have it (it is
# inside rope_scaling), so it computes the divisors for 8192 whatever the model says; here it is read from
# rope_scaling, as transformers' _compute_llama3_parameters reads it (the two agree for Llama 3.1 / 3.2, whose value is
# 8192). A config without "architectures" (the converter refuses it) is taken by model_type, as for gpt2 and bert.
#
# Tokenizer, as each class's set_vocab picks it (LlamaModel: tokenizer.model, else a SentencePiece-style
# tokenizer.json, else byte-level BPE; Qwen2Model / Qwen3Model: tokenizer.model, else byte-level BPE; Olmo2Model:
# byte-level BPE):
# - tokenizer.model -> tokenizer.ggml.model "llama", pre "default", tokens / scores / types as
#   _create_vocab_sentencepiece gives them (the ModelProto read here with a few lines of protobuf decoding).
# - tokenizer.json with a BPE model with byte_fallback (Llama 2 / Mistral / TinyLlama style, LlamaHfVocab) -> "llama".
#   Tokens, types (<0xXX> BYTE, the tokenizer's special tokens CONTROL) as LlamaHfVocab; the SCORES are not its
#   placeholder -1000.0 for every token (with all scores equal llama.cpp's SentencePiece tokenizer merges the leftmost
#   pair first instead of by merge rank, and so splits some words differently from the Hugging Face tokenizer): a
#   token made by a merge scores minus the rank of the first merge that makes it, every other token 0.
# - byte-level BPE -> "gpt2": tokens and merges as _set_vocab_gpt2 / get_vocab_base / SpecialVocab. tokenizer.ggml.pre
#   is named from the tokenizer's split regex (the converter hashes the ids its fixed check text gives, which only a
#   published tokenizer matches): GPT-2's -> "gpt-2", Llama 3's -> "llama-bpe", Qwen2's -> "qwen2"; any other
#   pre-tokenizer is refused. A folder with vocab.json + merges.txt and no tokenizer.json (the make_reference.py
#   checkpoints) holds no regex: it is GPT-2's byte-level BPE, GPT-2's regex ("gpt-2"), as GPT2Tokenizer and AttnScope
#   read such a folder (transformers' AutoTokenizer would give a qwen2 / qwen3 folder Qwen2Tokenizer, Qwen2's regex:
#   the same pieces for words, spaces and punctuation; digits one at a time).
#
# Phi3ForCausalLM (Phi3MiniModel: "phi3") and GemmaForCausalLM (GemmaModel: "gemma"), no q/k permutation (llama.cpp
# turns both with LLAMA_ROPE_TYPE_NEOX). phi3: the fused self_attn.qkv_proj -> attn_qkv and mlp.gate_up_proj -> ffn_up
# as they are (gguf-py's tensor_mapping lists both under ATTN_QKV / FFN_UP, "# phi3"; llama.cpp splits them at run
# time: q, k, v rows; gate the first half of ffn_up, up the second); metadata in Phi3MiniModel.set_gguf_parameters'
# order, rope.dimension_count = int(partial_rotary_factor * hidden_size) // num_attention_heads (its rope_dims),
# rope.scaling.original_context_length and attention.sliding_window (0 for none) included. Any rope_scaling is refused
# (longrope / su and yarn: the converter writes rope_factors_long / _short and an attention factor, which are not
# written here). gemma: GemmaModel.modify_tensors adds 1 to every "norm.weight" (llama.cpp's RMSNorm multiplies by w,
# Hugging Face's by 1 + w), in float32 after BF16 is widened (an F16 source would be rounded to F16 there; not done
# here), and drops lm_head.weight (the head is tied); GemmaModel.set_gguf_parameters writes key_length / value_length
# (head_dim) and NO rope.freq_base, so a rope_theta other than llama.cpp's default 10000 (or a rope_scaling) is refused
# rather than lost. Tokenizer: tokenizer.model as above, else byte-level BPE as for qwen2 (Phi3MiniModel takes BPE only
# when tokenizer_config.json names GPT2Tokenizer, GemmaModel only SentencePiece; CodeGemma's fixed special ids are
# not written).
#
# Gemma2ForCausalLM (Gemma2Model: "gemma2") and Gemma3ForCausalLM / Gemma3ForConditionalGeneration's text model
# (Gemma3Model: "gemma3"), as convert_hf_to_gguf.py's Gemma2Model / Gemma3Model and TextModel write them (read in
# ggml-org/llama.cpp's convert_hf_to_gguf.py; gguf-py's tensor_mapping.py / constants.py for the names). Tensors: no
# q/k permutation (NEOX RoPE); input_layernorm -> attn_norm, post_attention_layernorm -> post_attention_norm
# (ATTN_POST_NORM: gemma2 / gemma3 have no FFN_NORM, so the llama entry does not apply), pre_feedforward_layernorm ->
# ffn_norm (FFN_PRE_NORM's name is "blk.N.ffn_norm"), post_feedforward_layernorm -> post_ffw_norm; gemma3 also
# self_attn.q_norm / k_norm -> attn_q_norm / attn_k_norm ([head_dim]). Every tensor whose name ends in "norm.weight"
# gets + 1 (Gemma2Model.modify_tensors; Gemma3Model.norm_shift: the q / k norms too, as Gemma3RMSNorm multiplies by
# 1 + w there as well), in float32. gemma2 drops lm_head.weight (tied); gemma3 keeps one as output.weight
# (GEMMA3 has OUTPUT). gemma3: "language_model." is cut out of the names and the vision tower / projector tensors are
# skipped (Gemma3ForConditionalGeneration), token_embd cut to the tokenizer's size (tokenizer.json: len(model.vocab) +
# len(added_tokens); the converter opens tokenizer.json whenever there is no tokenizer.model and fails without one; a
# vocab.json + merges.txt folder is not cut here). A bias is refused (llama.cpp's gemma2 / gemma3 have none).
# A multimodal config's text_config is moved to the top (TextModel.__init__). What transformers' Gemma2Config /
# Gemma3TextConfig fill in for a key config.json leaves out (AutoConfig) is filled in here (GEMMA_CONFIG_DEFAULTS).
# Metadata:
# - gemma2 (Gemma2Model.set_gguf_parameters, no super()): context_length, embedding_length, block_count,
#   feed_forward_length, attention.head_count, head_count_kv, layer_norm_rms_epsilon, key_length, value_length
#   (head_dim), general.file_type, attn_logit_softcapping, final_logit_softcapping, attention.sliding_window. NO
#   rope.freq_base (llama.cpp: 10000), no query_pre_attn_scalar, no layer_types / sliding pattern.
# - gemma3 (TextModel.set_gguf_parameters, then Gemma3Model's, whose repeated keys overwrite in place): block_count,
#   context_length, embedding_length, feed_forward_length, head_count, head_count_kv, [rope.scaling.type "linear",
#   rope.scaling.factor], rope.freq_base (rope_theta, the global layers'), rope.freq_base_swa (rope_local_base_freq:
#   TextModel mirrors it into rope_parameters["sliding_attention"] and writes it; older converters did not),
#   layer_norm_rms_epsilon, key_length, value_length, general.file_type, [final_logit_softcapping when set],
#   [attention.sliding_window unless sliding_window_pattern is 1]. Not written: query_pre_attn_scalar,
#   sliding_window_pattern / layer_types, attn_logit_softcapping (Gemma3Model asserts it is null: HF's Gemma3 never
#   applies it).
# What llama.cpp's loader assumes instead (llama-model.cpp, LLM_ARCH_GEMMA2 / LLM_ARCH_GEMMA3): gemma2 slides on the
# even layers (swa pattern 2), always soft-caps the scores (attn_soft_cap), rope base 10000; gemma3 slides on layers
# il % 6 < 5 (pattern 6) when the file has a sliding window, turns those with base 10000 and scale 1 (hard-coded, the
# file's freq_base_swa aside); both scale the scores by 1 / sqrt(head_dim), or 1 / sqrt(n_embd / n_head) for the 27B
# (46 layers gemma2, 62 gemma3), never by query_pre_attn_scalar. So a folder these assumptions would compute
# differently from Hugging Face is refused rather than converted into a file that means something else: gemma2
# rope_theta other than 10000 or any rope_scaling, a null soft-cap (the converter cannot write it; llama.cpp caps
# anyway), layer_types not sliding on the even layers; gemma3 attn_logit_softcapping set (the converter's assert),
# sliding layers other than llama.cpp's (layer_types / sliding_window_pattern), rope_local_base_freq other than 10000,
# a rope_scaling other than linear; both: query_pre_attn_scalar other than llama.cpp's rule, a missing sliding_window.
# Tokenizer: tokenizer.model (then add_space_prefix false), else byte-level BPE (Gemma3Model._set_vocab_gpt2; for
# gemma2, whose converter takes SentencePiece only, as for gemma).

LLAMA_FAMILY = {"LlamaForCausalLM": "llama", "MistralForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2",
                "Qwen3ForCausalLM": "qwen3", "Olmo2ForCausalLM": "olmo2", "Phi3ForCausalLM": "phi3",
                "GemmaForCausalLM": "gemma", "Gemma2ForCausalLM": "gemma2", "Gemma3ForCausalLM": "gemma3",
                "Gemma3ForConditionalGeneration": "gemma3"}
MODEL_TYPE_ARCHITECTURES = {"gpt2": "GPT2LMHeadModel", "bert": "BertModel", "llama": "LlamaForCausalLM",
                            "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                            "olmo2": "Olmo2ForCausalLM", "phi3": "Phi3ForCausalLM", "gemma": "GemmaForCausalLM",
                            "gemma2": "Gemma2ForCausalLM", "gemma3_text": "Gemma3ForCausalLM",
                            "gemma3": "Gemma3ForConditionalGeneration", "gpt_neox": "GPTNeoXForCausalLM"}
GEMMA_ARCHS = ("gemma", "gemma2", "gemma3")  # norms stored as w around 0, written as w + 1
# transformers' Gemma2Config / Gemma3TextConfig __init__ defaults (AutoConfig fills these in before the converter reads
# the config; a key present with null stays null).
GEMMA_CONFIG_DEFAULTS = {
    "gemma2": {"vocab_size": 256000, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
               "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 8192,
               "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "query_pre_attn_scalar": 256, "sliding_window": 4096,
               "final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0, "tie_word_embeddings": True},
    "gemma3": {"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
               "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 131072,
               "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "query_pre_attn_scalar": 256, "sliding_window": 4096,
               "final_logit_softcapping": None, "attn_logit_softcapping": None, "rope_local_base_freq": 10000.0,
               "tie_word_embeddings": True},
}
# transformers' config defaults for what a config.json may leave out (AutoConfig fills them in before the converter
# reads the config). head_dim: LlamaConfig and MistralConfig set hidden_size / num_attention_heads, Qwen3Config 128,
# Qwen2Config and Olmo2Config have none (the attention then uses hidden_size / num_attention_heads, and the converter
# writes no key_length / value_length).
LLAMA_FAMILY_DEFAULTS = {
    "LlamaForCausalLM": {"max_position_embeddings": 2048, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": "d/H"},
    "MistralForCausalLM": {"max_position_embeddings": 4096 * 32, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                           "head_dim": "d/H"},
    "Qwen2ForCausalLM": {"max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 10000.0},
    "Qwen3ForCausalLM": {"max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": 128},
    "Olmo2ForCausalLM": {"max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0},
    "Phi3ForCausalLM": {"max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0},
    "GemmaForCausalLM": {"max_position_embeddings": 8192, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": 256},
    "Gemma2ForCausalLM": {"max_position_embeddings": 8192, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": 256},
    "Gemma3ForCausalLM": {"max_position_embeddings": 131072, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
                          "head_dim": 256},
    "Gemma3ForConditionalGeneration": {"max_position_embeddings": 131072, "rms_norm_eps": 1e-6,
                                       "rope_theta": 1000000.0, "head_dim": 256},
}
LLAMA_MODEL_TENSORS = {"model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output"}
LLAMA_LINEAR = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
                "mlp.up_proj", "mlp.down_proj")  # the layers that may have a bias (qwen2: q, k, v; attention_bias, mlp_bias)
LLAMA_LAYER_TENSORS = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
                       "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm",
                       "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
QK_NORM_TENSORS = {"self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"}
OLMO2_LAYER_TENSORS = dict({k: v for k, v in LLAMA_LAYER_TENSORS.items() if k not in ("input_layernorm",
                                                                                       "post_attention_layernorm")},
                           post_attention_layernorm="post_attention_norm", post_feedforward_layernorm="post_ffw_norm",
                           **QK_NORM_TENSORS)
PHI3_LAYER_TENSORS = {"input_layernorm": "attn_norm", "self_attn.qkv_proj": "attn_qkv", "self_attn.o_proj": "attn_output",
                      "post_attention_layernorm": "ffn_norm", "mlp.gate_up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
GEMMA2_LAYER_TENSORS = dict({k: v for k, v in LLAMA_LAYER_TENSORS.items() if k != "post_attention_layernorm"},
                            post_attention_layernorm="post_attention_norm", pre_feedforward_layernorm="ffn_norm",
                            post_feedforward_layernorm="post_ffw_norm")
LAYER_TENSORS_BY_ARCH = {"llama": LLAMA_LAYER_TENSORS, "qwen2": LLAMA_LAYER_TENSORS,
                         "qwen3": dict(LLAMA_LAYER_TENSORS, **QK_NORM_TENSORS), "olmo2": OLMO2_LAYER_TENSORS,
                         "phi3": PHI3_LAYER_TENSORS, "gemma": LLAMA_LAYER_TENSORS, "gemma2": GEMMA2_LAYER_TENSORS,
                         "gemma3": dict(GEMMA2_LAYER_TENSORS, **QK_NORM_TENSORS)}
GEMMA3_VISION_PREFIXES = ("multi_modal_projector.", "vision_tower.", "multimodal_projector.", "vision_model.")


def llama3_rope_factors(rope, base, dim, old_context_len):
    """LlamaModel.generate_extra_tensors: the divisor of each of the dim / 2 RoPE frequencies, in float32 step by step
    as its torch code computes them (freqs = 1 / base^(arange(0, dim, 2) / dim) in float32, then per frequency: 1 for
    a wavelength under old_context_len / high_freq_factor, factor above old_context_len / low_freq_factor, between them
    1 / ((1 - smooth) / factor + smooth))."""
    f32 = np.float32
    factor, low, high = (float(rope.get(k, d)) for k, d in (("factor", 8.0), ("low_freq_factor", 1.0),
                                                             ("high_freq_factor", 4.0)))
    freqs = f32(1.0) / (f32(base) ** (np.arange(0, dim, 2, dtype=np.float32) / f32(dim)))
    low_wavelen, high_wavelen = old_context_len / low, old_context_len / high  # Python floats, as there
    out = []
    for freq in freqs.astype(np.float32):
        wavelen = f32(2 * math.pi) / freq
        if wavelen < f32(high_wavelen):
            out.append(f32(1))
        elif wavelen > f32(low_wavelen):
            out.append(f32(factor))
        else:
            smooth = (f32(old_context_len) / wavelen - f32(low)) / f32(high - low)
            out.append(f32(1) / ((f32(1) - smooth) / f32(factor) + smooth))
    return np.array(out, dtype=np.float32)


def llama_family_hparams(hf_arch, config, folder):
    """What the converter reads from config.json (with transformers' defaults filled in), checked for consistency:
    arch, sizes, head_dim (and the key_length to write, or None), RoPE base and scaling, rope_freqs (or None)."""
    arch = LLAMA_FAMILY[hf_arch]
    defaults = LLAMA_FAMILY_DEFAULTS[hf_arch]
    if arch in GEMMA_CONFIG_DEFAULTS:
        config = dict(GEMMA_CONFIG_DEFAULTS[arch], **config)
    missing = [k for k in ("hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "vocab_size")
               if not isinstance(config.get(k), int) or isinstance(config.get(k), bool) or config[k] <= 0]
    if missing:
        raise ConvertError("%s: config.json needs positive integers for %s" % (folder, ", ".join(missing)))
    d, H = config["hidden_size"], config["num_attention_heads"]
    KV = config.get("num_key_value_heads") or H  # None or absent: as many as the query heads (transformers' default)
    if not isinstance(KV, int) or KV <= 0 or H % KV:
        raise ConvertError("%s: num_key_value_heads %r does not divide num_attention_heads %d" % (folder, KV, H))
    key_length = config.get("head_dim")
    if key_length is None and "head_dim" in defaults:
        key_length = d // H if defaults["head_dim"] == "d/H" else defaults["head_dim"]
    dh = key_length if key_length is not None else d // H
    if not isinstance(dh, int) or dh <= 0 or dh % 2 or (key_length is None and d % H):
        raise ConvertError("%s: head_dim %r (hidden_size %d, %d heads): an even head size is needed" % (folder, dh, d, H))
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    local_rope = None
    if isinstance(rope.get("full_attention"), dict) or isinstance(rope.get("sliding_attention"), dict):
        local_rope = rope.get("sliding_attention")  # transformers 5's per-layer-type rope_parameters
        rope = rope.get("full_attention") or {}  # TextModel: the global layers' (full_attention) parameters
    theta = rope.get("rope_theta", config.get("rope_theta", defaults["rope_theta"]))
    rope_type = rope.get("rope_type", rope.get("type"))
    rope_type = None if rope_type in (None, "default") else str(rope_type).lower()
    hp = {"arch": arch, "hf_arch": hf_arch, "d": d, "H": H, "KV": KV, "dh": dh, "key_length": key_length,
          "L": config["num_hidden_layers"], "ff": config["intermediate_size"], "vocab": config["vocab_size"],
          "context": config.get("max_position_embeddings", defaults["max_position_embeddings"]),
          "eps": config.get("rms_norm_eps", defaults["rms_norm_eps"]), "theta": float(theta),
          "rope_type": rope_type, "rope_factor": None, "rope_freqs": None, "permute": arch == "llama"}
    if arch in ("phi3", "gemma", "gemma2") and rope_type is not None:
        raise ConvertError("%s: rope_scaling type %r on %s: not converted here (%s)" % (folder, rope_type, arch,
                           "the converter writes rope_factors_long / _short for it" if arch == "phi3"
                           else "the converter drops it"))
    if arch == "phi3":
        rot = int(float(config.get("partial_rotary_factor") or 1.0) * d) // H  # Phi3MiniModel's rope_dims
        if rot <= 0 or rot % 2 or rot > dh:
            raise ConvertError("%s: partial_rotary_factor %r: %d rotary dims of a head of %d" % (
                folder, config.get("partial_rotary_factor"), rot, dh))
        hp.update(n_rot=rot, orig_context=config.get("original_max_position_embeddings"),
                  sliding_window=config.get("sliding_window") or 0)
        if not isinstance(hp["orig_context"], int):
            raise ConvertError("%s: phi3 without original_max_position_embeddings (the converter needs it)" % folder)
    if arch in ("gemma", "gemma2") and hp["theta"] != 10000.0:
        raise ConvertError("%s: rope_theta %g on %s: the converter writes no rope.freq_base (llama.cpp would use "
                           "10000)" % (folder, hp["theta"], arch))
    if rope_type == "linear":
        if not isinstance(rope.get("factor"), (int, float)):
            raise ConvertError("%s: a linear rope_scaling without a factor" % folder)
        hp["rope_factor"] = float(rope["factor"])
    elif rope_type == "llama3":
        if arch != "llama":  # TextModel passes llama3 over in silence; only LlamaModel writes the divisors
            raise ConvertError("%s: llama3 rope_scaling on %s: the converter writes no rope_freqs for it (the "
                               "file would lose the scaling)" % (folder, hf_arch))
        old = rope.get("original_max_position_embeddings", config.get("original_max_position_embeddings", 8192))
        hp["rope_freqs"] = llama3_rope_factors(rope, hp["theta"], dh, float(old))
    elif rope_type is not None:
        raise ConvertError("%s: rope_scaling type %r: only linear and llama3 are converted here" % (folder, rope_type))
    if arch in ("qwen2", "qwen3") and config.get("use_sliding_window"):
        raise ConvertError("%s: use_sliding_window: llama.cpp's %s has no sliding-window attention" % (folder, arch))
    if arch == "olmo2" and "sliding_window" in config:
        raise ConvertError("%s: sliding_window in an olmo2 config (the converter would write OLMo 3's sliding-window "
                           "pattern)" % folder)
    if hf_arch == "MistralForCausalLM" and isinstance(config.get("sliding_window"), int) \
            and config["sliding_window"] < hp["context"]:
        print("warning: %s: sliding_window %d: llama.cpp's llama attends to every earlier token (the converter drops it)"
              % (folder, config["sliding_window"]), file=sys.stderr)
    if arch in ("gemma2", "gemma3"):
        hp.update(gemma_sliding_hparams(arch, config, hp, local_rope, folder))
    return hp


def gemma_layer_kinds(arch, config):
    """Which layers slide in Hugging Face's Gemma2Config / Gemma3TextConfig: layer_types when given, else layer i slides
    when (i + 1) % pattern != 0 (gemma2: 2; gemma3: sliding_window_pattern, 6 when absent)."""
    L = config["num_hidden_layers"]
    if config.get("layer_types"):
        return [t == "sliding_attention" for t in config["layer_types"]]
    pattern = 2 if arch == "gemma2" else config.get("sliding_window_pattern") or 6
    return [(i + 1) % pattern != 0 for i in range(L)]


def gemma_sliding_hparams(arch, config, hp, local_rope, folder):
    """Gemma 2 / 3: what the converter writes (soft-caps, sliding window, gemma3's local RoPE base and whether the
    window is written) and the refusals where the converter fails or llama.cpp's fixed assumptions would compute
    something else than Hugging Face (see above); every reason found is given."""
    L, d, H, dh = hp["L"], hp["d"], hp["H"], hp["dh"]
    problems = []
    window = config.get("sliding_window")
    out = {"sliding_window": window, "attn_cap": config.get("attn_logit_softcapping"),
           "final_cap": config.get("final_logit_softcapping")}
    if arch == "gemma2":
        if out["attn_cap"] is None or out["final_cap"] is None:
            problems.append("a null attn_logit_softcapping / final_logit_softcapping (the converter cannot write it; "
                            "llama.cpp's gemma2 soft-caps always, 50 / 30 without the keys)")
        writes_window = True
    else:
        if out["attn_cap"] is not None:
            problems.append("attn_logit_softcapping %r (the converter asserts it is null: Hugging Face's Gemma 3 never "
                            "applies it)" % out["attn_cap"])
        writes_window = config.get("sliding_window_pattern") != 1  # Gemma3Model: hparams.get(...) != 1
        local = (local_rope or {}).get("rope_theta", config.get("rope_local_base_freq", 10000.0))
        out["local_theta"] = float(local)
    out["writes_window"] = writes_window
    if writes_window and (not isinstance(window, int) or isinstance(window, bool) or window <= 0):
        problems.append("sliding_window %r (the converter writes it; a positive window is needed)" % (window,))
    scalar = config.get("query_pre_attn_scalar")
    big = 46 if arch == "gemma2" else 62  # llama.cpp's 27B: scores / sqrt(n_embd / n_head) (integer division)
    cpp_scalar = d // H if L == big else dh
    if not isinstance(scalar, (int, float)) or float(scalar) != float(cpp_scalar):
        problems.append("query_pre_attn_scalar %r (not in the file; llama.cpp scales the scores by 1 / sqrt(%d), %s)"
                        % (scalar, cpp_scalar, "n_embd / n_head for its %d-layer 27B" % big if L == big else "head_dim"))
    kinds = gemma_layer_kinds(arch, config)
    pattern = 2 if arch == "gemma2" else 6
    cpp = [writes_window and il % pattern < pattern - 1 for il in range(L)]  # llama_hparams::set_swa_pattern
    if len(kinds) != L:
        problems.append("%d layer_types for %d layers" % (len(kinds), L))
    elif kinds != cpp:
        problems.append("sliding layers %s (llama.cpp, pattern %d not in the file: %s)"
                        % ([i for i, k in enumerate(kinds) if k], pattern, [i for i, k in enumerate(cpp) if k]))
    if arch == "gemma3" and any(kinds) and out["local_theta"] != 10000.0:
        problems.append("rope_local_base_freq %g (llama.cpp turns the sliding layers with base 10000, hard-coded)"
                        % out["local_theta"])
    if problems:
        raise ConvertError("%s: %s: %s" % (folder, arch, "; ".join(problems)))
    return out


def llama_family_shapes(hp):
    """Hugging Face layer tensor name (after "model.layers.N.") -> shape, for this config."""
    d, H, KV, dh, ff = hp["d"], hp["H"], hp["KV"], hp["dh"], hp["ff"]
    per_head = hp["arch"] in ("qwen3", "gemma3")
    shapes = {"input_layernorm.weight": (d,), "post_attention_layernorm.weight": (d,),
              "pre_feedforward_layernorm.weight": (d,), "post_feedforward_layernorm.weight": (d,),
              "self_attn.q_norm.weight": (dh,) if per_head else (H * dh,),
              "self_attn.k_norm.weight": (dh,) if per_head else (KV * dh,),
              "self_attn.qkv_proj.weight": ((H + 2 * KV) * dh, d), "mlp.gate_up_proj.weight": (2 * ff, d)}
    for stem, (rows, cols) in (("self_attn.q_proj", (H * dh, d)), ("self_attn.k_proj", (KV * dh, d)),
                               ("self_attn.v_proj", (KV * dh, d)), ("self_attn.o_proj", (d, H * dh)),
                               ("mlp.gate_proj", (ff, d)), ("mlp.up_proj", (ff, d)), ("mlp.down_proj", (d, ff))):
        shapes[stem + ".weight"], shapes[stem + ".bias"] = (rows, cols), (rows,)
    return shapes


def gemma3_vocab_rows(folder):
    """Gemma3Model.modify_tensors: the rows token_embd is cut to, or None for no cut. tokenizer.model: its
    _create_vocab_sentencepiece list, vocab_size long (no cut); else tokenizer.json's len(model.vocab) +
    len(added_tokens) (added tokens counted even when the vocabulary has them); a folder with neither (vocab.json +
    merges.txt; the converter would fail opening tokenizer.json) is not cut."""
    if os.path.isfile(os.path.join(folder, "tokenizer.model")):
        return None
    tokenizer = read_json(folder, "tokenizer.json")
    if not tokenizer:
        return None
    return len(tokenizer["model"]["vocab"]) + len(tokenizer.get("added_tokens") or [])


def llama_family_tensors(hf_arch, hf, config, folder="."):
    """LlamaModel / Qwen2Model / Qwen3Model / Olmo2Model / Phi3MiniModel / GemmaModel / Gemma2Model / Gemma3Model
    .modify_tensors (and LlamaModel.generate_extra_tensors first): (GGUF name, Hugging Face name or None, array as
    written). q/k rows permuted for llama; gemma*: norms + 1, lm_head dropped (gemma, gemma2); gemma3: "language_model."
    cut out, vision tensors skipped, token_embd cut to the tokenizer; rotary_emb.inv_freq buffers dropped; a tensor no
    table names, a norm with a bias (any bias on gemma2 / gemma3), a shape that does not fit the config, or a layer
    missing a tensor refused."""
    hp = llama_family_hparams(hf_arch, config, folder)
    arch = hp["arch"]
    layer = LAYER_TENSORS_BY_ARCH[arch]
    shapes = llama_family_shapes(hp)
    out = [] if hp["rope_freqs"] is None else [("rope_freqs.weight", None, hp["rope_freqs"])]
    for hf_name, a in hf.items():
        name = hf_name
        if arch == "gemma3":  # Gemma3Model.modify_tensors (Gemma3ForConditionalGeneration's text model)
            if "language_model." in name:
                name = name.replace("language_model.", "")
            elif name.startswith(GEMMA3_VISION_PREFIXES) or name.startswith(tuple("model." + v for v in
                                                                                   GEMMA3_VISION_PREFIXES)):
                continue  # the vision tower / projector go to the mmproj file, not this one
        if name.endswith(".rotary_emb.inv_freq") or (arch in ("gemma", "gemma2") and name == "lm_head.weight"):
            continue  # GemmaModel / Gemma2Model drop lm_head (tied)
        gguf_name = map_tensor_name(name, LLAMA_MODEL_TENSORS, "model.layers.", layer, hp["L"])
        stem, _, suffix = name.rpartition(".")
        if suffix == "bias" and arch in ("gemma2", "gemma3"):
            raise ConvertError("%s: tensor %r: llama.cpp's %s has no bias tensors" % (folder, hf_name, arch))
        if gguf_name.startswith("blk."):
            rest = name[len("model.layers."):].partition(".")[2]
            if suffix == "bias" and not stem.endswith(LLAMA_LINEAR):
                raise ConvertError("can not map tensor %r (a norm with a bias)" % hf_name)
            want = shapes[rest]
        elif suffix == "bias":
            raise ConvertError("can not map tensor %r" % hf_name)
        else:
            want = (hp["d"],) if stem == "model.norm" else (hp["vocab"], hp["d"])
        if tuple(a.shape) != want:
            raise ConvertError("%s: tensor %s has shape %s; the config makes it %s" % (folder, hf_name, list(a.shape),
                                                                                    list(want)))
        if hp["permute"] and stem.endswith("self_attn.q_proj"):
            a = permute(a, hp["H"])
        elif hp["permute"] and stem.endswith("self_attn.k_proj"):
            a = permute(a, hp["KV"])
        elif arch in GEMMA_ARCHS and name.endswith("norm.weight"):
            a = (a + np.float32(1)).astype(np.float32)  # data_torch + 1 (gemma3: norm_shift, q / k norms too), float32
        if arch == "gemma3" and stem == "model.embed_tokens":
            rows = gemma3_vocab_rows(folder)
            if rows is not None and rows < a.shape[0]:
                raise ConvertError("%s: the converter cuts token_embd to the tokenizer's %d rows of %d; the vocabulary "
                                   "it writes has %d tokens, so llama.cpp would not load the file"
                                   % (folder, rows, a.shape[0], hp["vocab"]))
        out.append((gguf_name, hf_name, a))
    names = {g for g, _, _ in out}
    need = {"token_embd.weight", "output_norm.weight"} | {"blk.%d.%s.weight" % (l, g) for l in range(hp["L"])
                                                           for g in layer.values()}
    if need - names:
        raise ConvertError("%s: missing %s" % (folder, ", ".join(sorted(need - names)[:6])))
    if "output.weight" not in names and config.get("tie_word_embeddings") is not True and arch not in GEMMA_ARCHS:
        print("warning: %s: no lm_head.weight and tie_word_embeddings is not true; the file's head is token_embd"
              % folder, file=sys.stderr)
    return out


def read_sentencepiece_model(path):
    """tokenizer.model (sentencepiece's ModelProto) -> [(piece, score, type)] from its repeated field 1 (SentencePiece:
    piece = 1 string, score = 2 float, type = 3 enum, NORMAL when absent); every other field skipped."""
    with open(path, "rb") as f:
        data = f.read()

    def varint(buf, pos):
        value, shift = 0, 0
        while True:
            if pos >= len(buf) or shift > 63:
                raise ConvertError("%s: a truncated protobuf varint" % path)
            b = buf[pos]
            value |= (b & 0x7F) << shift
            pos, shift = pos + 1, shift + 7
            if b < 0x80:
                return value, pos

    def fields(buf):
        pos = 0
        while pos < len(buf):
            key, pos = varint(buf, pos)
            number, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = varint(buf, pos)
            elif wire == 1:
                value, pos = buf[pos:pos + 8], pos + 8
            elif wire == 2:
                n, pos = varint(buf, pos)
                value, pos = buf[pos:pos + n], pos + n
            elif wire == 5:
                value, pos = buf[pos:pos + 4], pos + 4
            else:
                raise ConvertError("%s: protobuf wire type %d is not read here" % (path, wire))
            if pos > len(buf):
                raise ConvertError("%s: a truncated protobuf field" % path)
            yield number, wire, value

    pieces = []
    for number, wire, value in fields(data):
        if number != 1 or wire != 2:
            continue
        piece, score, ptype = None, 0.0, 1
        for n, w, v in fields(value):
            if n == 1 and w == 2:
                piece = bytes(v).decode("utf-8")
            elif n == 2 and w == 5:
                (score,) = struct.unpack("<f", v)
            elif n == 3 and w == 0:
                ptype = v
        if piece is None:
            raise ConvertError("%s: a piece without its text" % path)
        pieces.append((piece, score, ptype))
    if not pieces:
        raise ConvertError("%s: no pieces (not a sentencepiece model?)" % path)
    return pieces


def sentencepiece_vocab(folder, config):
    """TextModel._create_vocab_sentencepiece: vocab_size slots of "[PAD<i>]" UNUSED -10000, filled from tokenizer.model
    (unknown, control, unused, byte pieces by their type, the rest NORMAL), then added_tokens.json (USER_DEFINED,
    -1000), then tokenizer_config.json's added_tokens_decoder (CONTROL when special or looking special, else
    USER_DEFINED with "▁" as a space; -1000). Then _set_vocab_sentencepiece's keys and SpecialVocab (no merges)."""
    pieces = read_sentencepiece_model(os.path.join(folder, "tokenizer.model"))
    n = config.get("vocab_size_per_layer_input") or config.get("vocab_size") or len(pieces)
    tokens, scores, types = ["[PAD%d]" % i for i in range(n)], [-10000.0] * n, [TOKEN_UNUSED] * n
    kinds = {2: TOKEN_UNKNOWN, 3: TOKEN_CONTROL, 5: TOKEN_UNUSED, 6: 6}  # sentencepiece's enum; USER_DEFINED -> NORMAL
    for i, (piece, score, ptype) in enumerate(pieces[:n]):
        tokens[i], scores[i], types[i] = piece, float(score), kinds.get(ptype, TOKEN_NORMAL)
    for key, i in (read_json(folder, "added_tokens.json") or {}).items():
        if i < n:
            tokens[i], scores[i], types[i] = key, -1000.0, TOKEN_USER_DEFINED
    decoder = (read_json(folder, "tokenizer_config.json") or {}).get("added_tokens_decoder", {})
    for i, data in decoder.items():
        i, token = int(i), data["content"]
        if i >= n:
            continue
        if data.get("special") or does_token_look_special(token):
            types[i] = TOKEN_CONTROL
        else:
            token, types[i] = token.replace("▁", " "), TOKEN_USER_DEFINED
        tokens[i], scores[i] = token, -1000.0
    md = [("tokenizer.ggml.model", "string", "llama"), ("tokenizer.ggml.pre", "string", "default"),
          ("tokenizer.ggml.tokens", "array:string", tokens), ("tokenizer.ggml.scores", "array:float32", scores),
          ("tokenizer.ggml.token_type", "array:int32", types)]
    return md + special_metadata(*special_vocab(folder, len(tokens), False))


def llama_hf_tokenizer(folder):
    """tokenizer.json when it is what LlamaHfVocab takes (a BPE model with byte_fallback, a Sequence decoder), else
    None (the converter then falls back to byte-level BPE)."""
    tokenizer = read_json(folder, "tokenizer.json")
    if not tokenizer:
        return None
    model = tokenizer.get("model") or {}
    if model.get("type") == "BPE" and model.get("ignore_merges", False) and not model.get("byte_fallback", True):
        return None  # Llama 3: "must be converted with BpeVocab"
    if model.get("type") != "BPE" or not model.get("byte_fallback", False) \
            or (tokenizer.get("decoder") or {}).get("type") != "Sequence":
        return None
    return tokenizer


def special_token_contents(folder):
    """The texts of a tokenizer's special tokens (all_special_tokens): tokenizer_config.json's (else
    special_tokens_map.json's) bos / eos / unk / sep / pad / cls / mask tokens and additional_special_tokens, with
    LlamaTokenizerFast's <s>, </s>, <unk> for those it leaves out."""
    config = read_json(folder, "tokenizer_config.json") or read_json(folder, "special_tokens_map.json") or {}
    out = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    for key in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"):
        if key in config:
            out[key] = _content(config[key])
    extra = [_content(t) for t in config.get("additional_special_tokens") or []]
    return {t for t in list(out.values()) + extra if isinstance(t, str)}


def merge_rank_scores(merges):
    """token -> minus the rank of the first merge that makes it."""
    first = {}
    for rank, m in enumerate(merges):
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        first.setdefault(a + b, rank)
    return {t: float(-r) for t, r in first.items()}


def llama_hf_vocab(folder, config, tokenizer):
    """LlamaHfVocab: the model's tokens by id, then the added tokens past them in id order; <0xXX> BYTE, special tokens
    CONTROL, other added tokens USER_DEFINED, the rest NORMAL; scores from the merge ranks (see above); tokenizer.ggml
    model "llama", pre "default"; SpecialVocab without merges."""
    vocab = tokenizer["model"]["vocab"]
    base = {i: t for t, i in vocab.items()}
    if sorted(base) != list(range(len(vocab))):
        raise ConvertError("%s: tokenizer.json's vocabulary does not number its tokens 0..%d" % (folder, len(vocab) - 1))
    added = sorted((t["id"], t["content"]) for t in tokenizer.get("added_tokens", []) if t["id"] >= len(vocab))
    if [i for i, _ in added] != list(range(len(vocab), len(vocab) + len(added))):
        raise ConvertError("%s: tokenizer.json's added tokens do not follow its vocabulary" % folder)
    specials = special_token_contents(folder)
    special_ids = {i for t, i in list(vocab.items()) + [(c, i) for i, c in added] if t in specials}
    scores = merge_rank_scores(tokenizer["model"].get("merges") or [])
    tokens, token_scores, types = [], [], []
    for i in range(len(vocab)):
        t = base[i]
        tokens.append(t)
        token_scores.append(scores.get(t, 0.0))
        types.append(6 if re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", t) else TOKEN_CONTROL if i in special_ids else TOKEN_NORMAL)
    for i, t in added:
        tokens.append(t)
        token_scores.append(0.0 if i in special_ids else -1000.0)
        types.append(TOKEN_CONTROL if i in special_ids else TOKEN_USER_DEFINED)
    if len(tokens) != config["vocab_size"]:
        raise ConvertError("%s: %d tokens, but vocab_size is %d (LlamaHfVocab pads nothing)"
                           % (folder, len(tokens), config["vocab_size"]))
    md = [("tokenizer.ggml.model", "string", "llama"), ("tokenizer.ggml.pre", "string", "default"),
          ("tokenizer.ggml.tokens", "array:string", tokens), ("tokenizer.ggml.scores", "array:float32", token_scores),
          ("tokenizer.ggml.token_type", "array:int32", types)]
    return md + special_metadata(*special_vocab(folder, len(tokens), False))


# The split regexes of byte-level BPE tokenizers (as tokenizer.json spells them) -> llama.cpp's tokenizer.ggml.pre
GPT2_SPLIT_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_SPLIT_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                      r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                     r"|\s*[\r\n]+|\s+(?!\S)|\s+")
PRE_BY_SPLIT_REGEX = {GPT2_SPLIT_REGEX: "gpt-2", LLAMA3_SPLIT_REGEX: "llama-bpe", QWEN2_SPLIT_REGEX: "qwen2"}


def bpe_pre_name(folder, tokenizer):
    """tokenizer.json's byte-level pre-tokenizer -> tokenizer.ggml.pre: one split regex (a Split, Isolated, not
    inverted, then ByteLevel without its own regex; or ByteLevel with use_regex, GPT-2's), no prefix space, no
    normalizer but NFC (Qwen2's), merges ignored exactly for llama-bpe (Llama 3's ignore_merges). Else refused."""
    where = "%s: tokenizer.json" % folder
    model = tokenizer.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise ConvertError("%s: a %s model%s: only byte-level BPE is converted for this architecture"
                           % (where, model.get("type"), " with byte_fallback" if model.get("byte_fallback") else ""))
    pre = tokenizer.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers") or [] if pre.get("type") == "Sequence" else [pre]
    regexes, byte_level = [], False
    for step in steps:
        kind = step.get("type")
        if kind == "Split" and "Regex" in (step.get("pattern") or {}) and step.get("behavior") == "Isolated" \
                and not step.get("invert"):
            regexes.append(step["pattern"]["Regex"])
        elif kind == "ByteLevel" and not byte_level and not step.get("add_prefix_space"):
            byte_level = True
            if step.get("use_regex", True):
                regexes.append(GPT2_SPLIT_REGEX)
        else:
            raise ConvertError("%s: pre-tokenizer step %s is not one llama.cpp's byte-level BPE has" % (where, json.dumps(step)))
    normalizer = tokenizer.get("normalizer")
    if not byte_level or len(regexes) != 1 or regexes[0] not in PRE_BY_SPLIT_REGEX \
            or (normalizer and normalizer.get("type") != "NFC"):
        raise ConvertError("%s: pre-tokenizer %s (normalizer %s): not GPT-2's, Llama 3's or Qwen2's, so no "
                           "tokenizer.ggml.pre is known for it" % (where, regexes, json.dumps(normalizer)))
    name = PRE_BY_SPLIT_REGEX[regexes[0]]
    if bool(model.get("ignore_merges")) != (name == "llama-bpe"):
        raise ConvertError("%s: ignore_merges %s with %s's regex (llama.cpp ignores merges for llama-bpe only)"
                           % (where, bool(model.get("ignore_merges")), name))
    return name


def bpe_vocab(folder, config):
    """TextModel._set_vocab_gpt2 for the Llama family: tokens from tokenizer.json (else vocab.json) through
    get_vocab_base, the pre-tokenizer named from its regex (vocab.json + merges.txt alone: "gpt-2"), SpecialVocab with
    merges (tokenizer.json's, else merges.txt)."""
    tokenizer = read_json(folder, "tokenizer.json")
    if tokenizer:
        pre = bpe_pre_name(folder, tokenizer)
        base = tokenizer["model"].get("vocab")
    else:
        base = read_json(folder, "vocab.json")
        if not base or not os.path.isfile(os.path.join(folder, "merges.txt")):
            raise ConvertError("%s: no tokenizer.model, tokenizer.json or vocab.json + merges.txt" % folder)
        if (read_json(folder, "tokenizer_config.json") or {}).get("add_prefix_space"):
            raise ConvertError("%s: add_prefix_space: llama.cpp's byte-level BPE puts no space in front" % folder)
        pre = "gpt-2"
    tokens, types = hf_vocab_base(folder, config, base)
    md = [("tokenizer.ggml.model", "string", "gpt2"), ("tokenizer.ggml.pre", "string", pre),
          ("tokenizer.ggml.tokens", "array:string", tokens), ("tokenizer.ggml.token_type", "array:int32", types)]
    merges, ids, add, chat_template, lowercase = special_vocab(folder, None, True)
    if not merges:
        raise ConvertError("%s: a byte-level BPE tokenizer without merges" % folder)
    return md + special_metadata(merges, ids, add, chat_template, lowercase)


def llama_family_vocab(folder, config, hf_arch):
    """set_vocab of LlamaModel (tokenizer.model, else LlamaHfVocab's tokenizer.json, else byte-level BPE; then
    tokenizer_config.json's add_prefix_space as tokenizer.ggml.add_space_prefix), Qwen2Model / Qwen3Model / Gemma3Model
    (tokenizer.model, else byte-level BPE) and Olmo2Model (byte-level BPE); Gemma / Gemma2 as Gemma3 (their converters
    take SentencePiece only); the Gemmas add add_space_prefix false after SentencePiece."""
    is_llama = LLAMA_FAMILY[hf_arch] == "llama"
    if hf_arch != "Olmo2ForCausalLM" and os.path.isfile(os.path.join(folder, "tokenizer.model")):
        md = sentencepiece_vocab(folder, config)
    elif is_llama and llama_hf_tokenizer(folder) is not None:
        md = llama_hf_vocab(folder, config, llama_hf_tokenizer(folder))
    else:
        md = bpe_vocab(folder, config)
    prefix = (read_json(folder, "tokenizer_config.json") or {}).get("add_prefix_space")
    if is_llama and isinstance(prefix, bool):
        md.append(("tokenizer.ggml.add_space_prefix", "bool", prefix))
    if LLAMA_FAMILY[hf_arch] in GEMMA_ARCHS and md[0][2] == "llama":  # Gemma*Model.set_vocab, after SentencePiece
        md.append(("tokenizer.ggml.add_space_prefix", "bool", False))
    return md


def llama_family_metadata(hf_arch, folder, config, name):
    """TextModel.set_gguf_parameters (+ LlamaModel's vocab_size and rope.dimension_count), then the vocabulary."""
    hp = llama_family_hparams(hf_arch, config, folder)
    arch = hp["arch"]
    a = arch + "."
    md = [("general.architecture", "string", arch), ("general.type", "string", "model"), ("general.name", "string", name)]
    if arch == "phi3":  # Phi3MiniModel.set_gguf_parameters
        md += [(a + "context_length", "uint32", hp["context"]),
               (a + "rope.scaling.original_context_length", "uint32", hp["orig_context"]),
               (a + "embedding_length", "uint32", hp["d"]), (a + "feed_forward_length", "uint32", hp["ff"]),
               (a + "block_count", "uint32", hp["L"]), (a + "attention.head_count", "uint32", hp["H"]),
               (a + "attention.head_count_kv", "uint32", hp["KV"]),
               (a + "attention.layer_norm_rms_epsilon", "float32", hp["eps"]),
               (a + "rope.dimension_count", "uint32", hp["n_rot"]), (a + "rope.freq_base", "float32", hp["theta"]),
               ("general.file_type", "uint32", 0), (a + "attention.sliding_window", "uint32", hp["sliding_window"]),
               ("general.quantization_version", "uint32", 2)]
        return md + llama_family_vocab(folder, config, hf_arch)
    if arch == "gemma2":  # Gemma2Model.set_gguf_parameters (no super()): no rope.freq_base
        md += [(a + "context_length", "uint32", hp["context"]), (a + "embedding_length", "uint32", hp["d"]),
               (a + "block_count", "uint32", hp["L"]), (a + "feed_forward_length", "uint32", hp["ff"]),
               (a + "attention.head_count", "uint32", hp["H"]), (a + "attention.head_count_kv", "uint32", hp["KV"]),
               (a + "attention.layer_norm_rms_epsilon", "float32", hp["eps"]),
               (a + "attention.key_length", "uint32", hp["dh"]), (a + "attention.value_length", "uint32", hp["dh"]),
               ("general.file_type", "uint32", 0), (a + "attn_logit_softcapping", "float32", hp["attn_cap"]),
               (a + "final_logit_softcapping", "float32", hp["final_cap"]),
               (a + "attention.sliding_window", "uint32", hp["sliding_window"]),
               ("general.quantization_version", "uint32", 2)]
        return md + llama_family_vocab(folder, config, hf_arch)
    if arch == "gemma3":  # TextModel.set_gguf_parameters, then Gemma3Model's (its repeated keys overwrite in place)
        md += [(a + "block_count", "uint32", hp["L"]), (a + "context_length", "uint32", hp["context"]),
               (a + "embedding_length", "uint32", hp["d"]), (a + "feed_forward_length", "uint32", hp["ff"]),
               (a + "attention.head_count", "uint32", hp["H"]), (a + "attention.head_count_kv", "uint32", hp["KV"])]
        if hp["rope_type"] == "linear":
            md += [(a + "rope.scaling.type", "string", "linear"),
                   (a + "rope.scaling.factor", "float32", hp["rope_factor"])]
        md += [(a + "rope.freq_base", "float32", hp["theta"]), (a + "rope.freq_base_swa", "float32", hp["local_theta"]),
               (a + "attention.layer_norm_rms_epsilon", "float32", hp["eps"]),
               (a + "attention.key_length", "uint32", hp["dh"]), (a + "attention.value_length", "uint32", hp["dh"]),
               ("general.file_type", "uint32", 0)]
        if hp["final_cap"]:
            md.append((a + "final_logit_softcapping", "float32", hp["final_cap"]))
        if hp["writes_window"]:
            md.append((a + "attention.sliding_window", "uint32", hp["sliding_window"]))
        md.append(("general.quantization_version", "uint32", 2))
        return md + llama_family_vocab(folder, config, hf_arch)
    if arch == "gemma":  # GemmaModel.set_gguf_parameters: no rope.freq_base
        md += [(a + "context_length", "uint32", hp["context"]), (a + "embedding_length", "uint32", hp["d"]),
               (a + "block_count", "uint32", hp["L"]), (a + "feed_forward_length", "uint32", hp["ff"]),
               (a + "attention.head_count", "uint32", hp["H"]), (a + "attention.head_count_kv", "uint32", hp["KV"]),
               (a + "attention.layer_norm_rms_epsilon", "float32", hp["eps"]),
               (a + "attention.key_length", "uint32", hp["dh"]), (a + "attention.value_length", "uint32", hp["dh"]),
               ("general.file_type", "uint32", 0), ("general.quantization_version", "uint32", 2)]
        return md + llama_family_vocab(folder, config, hf_arch)
    md += [(a + "block_count", "uint32", hp["L"]), (a + "context_length", "uint32", hp["context"]),
          (a + "embedding_length", "uint32", hp["d"]), (a + "feed_forward_length", "uint32", hp["ff"]),
          (a + "attention.head_count", "uint32", hp["H"]), (a + "attention.head_count_kv", "uint32", hp["KV"])]
    if hp["rope_type"] == "linear":
        md += [(a + "rope.scaling.type", "string", "linear"), (a + "rope.scaling.factor", "float32", hp["rope_factor"])]
    md += [(a + "rope.freq_base", "float32", hp["theta"]),
           (a + "attention.layer_norm_rms_epsilon", "float32", hp["eps"])]
    if hp["key_length"] is not None:
        md += [(a + "attention.key_length", "uint32", hp["key_length"]),
               (a + "attention.value_length", "uint32", hp["key_length"])]
    md.append(("general.file_type", "uint32", 0))
    if arch == "llama":
        md += [(a + "vocab_size", "uint32", hp["vocab"]), (a + "rope.dimension_count", "uint32", hp["dh"])]
    md.append(("general.quantization_version", "uint32", 2))
    return md + llama_family_vocab(folder, config, hf_arch)


# ---------------------------------------------------------------- --convert-hf: GPT-NeoX
# GPTNeoXForCausalLM (GPTNeoXModel: architecture "gptneox"), as ggml-org/llama.cpp's convert_hf_to_gguf.py writes it
# (GPTNeoXModel.set_gguf_parameters / modify_tensors; the names from gguf-py's tensor_mapping.py for MODEL_ARCH.GPTNEOX):
# gpt_neox.embed_in -> token_embd, per layer input_layernorm -> attn_norm, attention.query_key_value -> attn_qkv,
# attention.dense -> attn_output, post_attention_layernorm -> ffn_norm, mlp.dense_h_to_4h -> ffn_up,
# mlp.dense_4h_to_h -> ffn_down (weights and biases), gpt_neox.final_layer_norm -> output_norm, embed_out -> output.
# query_key_value's rows, per head [q; k; v] in Hugging Face (GPTNeoXAttention views the output as [heads, 3 * dh]),
# are reordered to [all q; all k; all v] (reshape to (n_head, 3, hidden_size / n_head, ...), then q, k, v parts
# concatenated), its bias likewise; nothing else changes. The attention-mask buffers (".attention.bias",
# ".attention.masked_bias") and rotary_emb.inv_freq are dropped (ModelBase.prepare_tensors).
# Metadata in GPTNeoXModel.set_gguf_parameters' order (it does not call TextModel's): context_length, embedding_length,
# block_count, feed_forward_length, rope.dimension_count = int(rotary_pct * (hidden_size // num_attention_heads)),
# attention.head_count, use_parallel_residual (bool; true when absent), attention.layer_norm_epsilon. It writes NO
# rope.freq_base (rotary_emb_base is lost: llama.cpp uses 10000), NO general.file_type, no head_count_kv. So a
# rotary_emb_base (or rope_theta) other than 10000, or a rope_scaling, is refused rather than lost. llama.cpp turns
# the first rope.dimension_count values of each head NEOX-style (rotate-half), as Hugging Face; its FFN GELU is
# ggml_gelu (tanh approximation) where Hugging Face's "gelu" is erf's (a difference of ~1e-3 at most; not refused; a
# non-GELU hidden_act is). Tokenizer: TextModel.set_vocab = _set_vocab_gpt2 (byte-level BPE), as for the Llama family.
# transformers' GPTNeoXConfig defaults fill in what config.json leaves out.
GPTNEOX_CONFIG_DEFAULTS = {"vocab_size": 50432, "hidden_size": 6144, "num_hidden_layers": 44, "num_attention_heads": 64,
                           "intermediate_size": 24576, "rotary_pct": 0.25, "rotary_emb_base": 10000,
                           "max_position_embeddings": 2048, "layer_norm_eps": 1e-5, "use_parallel_residual": True,
                           "hidden_act": "gelu", "tie_word_embeddings": False}
GPTNEOX_MODEL_TENSORS = {"gpt_neox.embed_in": "token_embd", "gpt_neox.final_layer_norm": "output_norm",
                         "embed_out": "output"}
GPTNEOX_LAYER_TENSORS = {"input_layernorm": "attn_norm", "attention.query_key_value": "attn_qkv",
                         "attention.dense": "attn_output", "post_attention_layernorm": "ffn_norm",
                         "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down"}


def gptneox_hparams(config, folder="."):
    """What GPTNeoXModel reads (with GPTNeoXConfig's defaults), checked; refusals for what the file would lose."""
    config = dict({k: v for k, v in GPTNEOX_CONFIG_DEFAULTS.items() if k != "rotary_pct"}, **config)
    for k in ("hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "vocab_size"):
        if not isinstance(config[k], int) or isinstance(config[k], bool) or config[k] <= 0:
            raise ConvertError("%s: config.json needs a positive integer for %s" % (folder, k))
    d, H = config["hidden_size"], config["num_attention_heads"]
    if d % H:
        raise ConvertError("%s: hidden_size %d is not a multiple of num_attention_heads %d" % (folder, d, H))
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if "rotary_pct" not in config:  # transformers 5 spells it partial_rotary_factor (in rope_parameters)
        config["rotary_pct"] = rope.get("partial_rotary_factor", config.get("partial_rotary_factor",
                                                                          GPTNEOX_CONFIG_DEFAULTS["rotary_pct"]))
    n_rot = int(config["rotary_pct"] * (d // H))
    if n_rot <= 0 or n_rot % 2:
        raise ConvertError("%s: rotary_pct %r of a head of %d: %d rotary dims (an even number is needed)"
                           % (folder, config["rotary_pct"], d // H, n_rot))
    base = rope.get("rope_theta", config.get("rope_theta", config["rotary_emb_base"]))
    if float(base) != 10000.0:
        raise ConvertError("%s: rotary_emb_base %g: the converter writes no rope.freq_base for gptneox (llama.cpp would "
                           "use 10000)" % (folder, base))
    if rope.get("rope_type", rope.get("type")) not in (None, "default"):
        raise ConvertError("%s: rope_scaling %s on gpt_neox: the converter drops it" % (folder, json.dumps(rope)))
    if not str(config.get("hidden_act")).startswith("gelu"):
        raise ConvertError("%s: hidden_act %r: llama.cpp's gptneox uses GELU" % (folder, config.get("hidden_act")))
    return {"d": d, "H": H, "L": config["num_hidden_layers"], "ff": config["intermediate_size"],
            "vocab": config["vocab_size"], "n_rot": n_rot, "context": config["max_position_embeddings"],
            "eps": config["layer_norm_eps"], "parallel": bool(config["use_parallel_residual"])}


def gptneox_qkv_order(a, n_head):
    """query_key_value rows [h0: q, k, v; h1: q, k, v; ...] -> [q of every head; k ...; v ...] (weight or bias):
    GPTNeoXModel.modify_tensors' reshape((n_head, 3, n_embd // n_head, ...)) and concatenation of the three parts."""
    rest = a.shape[1:]
    return np.ascontiguousarray(a.reshape((n_head, 3, a.shape[0] // (3 * n_head)) + rest).swapaxes(0, 1)
                                .reshape(a.shape))


def gptneox_convert_tensors(hf, config, folder="."):
    """GPTNeoXModel.modify_tensors: (GGUF name, Hugging Face name, array as written), in the checkpoint's order."""
    hp = gptneox_hparams(config, folder)
    d, ff, V = hp["d"], hp["ff"], hp["vocab"]
    shapes = {"input_layernorm": (d,), "post_attention_layernorm": (d,), "attention.query_key_value": (3 * d, d),
              "attention.dense": (d, d), "mlp.dense_h_to_4h": (ff, d), "mlp.dense_4h_to_h": (d, ff)}
    whole = {"gpt_neox.embed_in.weight": (V, d), "embed_out.weight": (V, d), "gpt_neox.final_layer_norm.weight": (d,),
             "gpt_neox.final_layer_norm.bias": (d,)}
    out = []
    for hf_name, a in hf.items():
        if hf_name.endswith((".attention.masked_bias", ".attention.bias", ".rotary_emb.inv_freq")):
            continue
        gguf_name = map_tensor_name(hf_name, GPTNEOX_MODEL_TENSORS, "gpt_neox.layers.", GPTNEOX_LAYER_TENSORS, hp["L"])
        stem, _, suffix = hf_name.rpartition(".")
        if gguf_name.startswith("blk."):
            rest = stem[len("gpt_neox.layers."):].partition(".")[2]
            want = shapes[rest] if suffix == "weight" else shapes[rest][:1]
        else:
            want = whole.get(hf_name)
        if want is None or tuple(a.shape) != want:
            raise ConvertError("%s: tensor %s has shape %s; the config makes it %s"
                               % (folder, hf_name, list(a.shape), want))
        if stem.endswith(".attention.query_key_value"):
            a = gptneox_qkv_order(a, hp["H"])
        out.append((gguf_name, hf_name, a))
    names = {g for g, _, _ in out}
    need = {"token_embd.weight", "output_norm.weight"} | {"blk.%d.%s.weight" % (l, g) for l in range(hp["L"])
                                                           for g in GPTNEOX_LAYER_TENSORS.values()}
    if need - names:
        raise ConvertError("%s: missing %s" % (folder, ", ".join(sorted(need - names)[:6])))
    if "output.weight" not in names:
        print("warning: %s: no embed_out.weight; llama.cpp's gptneox needs output.weight" % folder, file=sys.stderr)
    return out


def gptneox_convert_metadata(folder, config, name):
    hp = gptneox_hparams(config, folder)
    a = "gptneox."
    md = [("general.architecture", "string", "gptneox"), ("general.type", "string", "model"),
          ("general.name", "string", name),
          (a + "context_length", "uint32", hp["context"]), (a + "embedding_length", "uint32", hp["d"]),
          (a + "block_count", "uint32", hp["L"]), (a + "feed_forward_length", "uint32", hp["ff"]),
          (a + "rope.dimension_count", "uint32", hp["n_rot"]), (a + "attention.head_count", "uint32", hp["H"]),
          (a + "use_parallel_residual", "bool", hp["parallel"]),
          (a + "attention.layer_norm_epsilon", "float32", hp["eps"]),
          ("general.quantization_version", "uint32", 2)]
    return md + bpe_vocab(folder, config)


HF_ARCHITECTURES = {"GPT2LMHeadModel": ("gpt2", gpt2_convert_tensors, gpt2_convert_metadata),
                    "BertModel": ("bert", bert_convert_tensors, bert_convert_metadata),
                    "BertForMaskedLM": ("bert", bert_convert_tensors, bert_convert_metadata),
                    "BertLMHeadModel": ("bert", bert_convert_tensors, bert_convert_metadata),  # llama.cpp: not registered
                    "BertForSequenceClassification": ("bert", bert_convert_tensors, bert_convert_metadata),
                    "GPTNeoXForCausalLM": ("gptneox", gptneox_convert_tensors, gptneox_convert_metadata)}


def llama_family_entry(hf_arch):
    """HF_ARCHITECTURES' (architecture, tensors, metadata) for one Llama-family class; its tensors take the folder too."""
    return (LLAMA_FAMILY[hf_arch], lambda hf, config, folder: llama_family_tensors(hf_arch, hf, config, folder),
            lambda folder, config, name: llama_family_metadata(hf_arch, folder, config, name))


HF_ARCHITECTURES.update({hf_arch: llama_family_entry(hf_arch) for hf_arch in LLAMA_FAMILY})


def convert_hf(folder, out_path):
    """Converts a Hugging Face GPT-2 / BERT / GPT-NeoX / Llama-family (Gemma 1-3 included) folder to out_path.
    Returns (architecture, metadata, [(GGUF name, Hugging Face name (None for rope_freqs), array as written)], tensor
    infos)."""
    config = read_json(folder, "config.json")
    if config is None:
        raise ConvertError("%s: no config.json" % folder)
    arch_names = config.get("architectures") or []
    if not arch_names and config.get("model_type") in MODEL_TYPE_ARCHITECTURES:
        arch_names = [MODEL_TYPE_ARCHITECTURES[config["model_type"]]]
    found = next((HF_ARCHITECTURES[a] for a in arch_names if a in HF_ARCHITECTURES), None)
    if found is None:
        raise ConvertError("%s: architectures %s (model_type %r): only GPT2LMHeadModel, BERT, GPTNeoXForCausalLM, "
                           "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Olmo2ForCausalLM, "
                           "Phi3ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM and Gemma3ForCausalLM (or "
                           "Gemma3ForConditionalGeneration's text model) are converted here"
                           % (folder, arch_names, config.get("model_type")))
    arch, tensors_of, metadata_of = found
    if isinstance(config.get("text_config"), dict):  # TextModel.__init__: a multimodal config's text part on top
        config = dict(config, **config["text_config"])
    name = os.path.basename(os.path.normpath(os.path.abspath(folder)))
    hf = read_checkpoint(folder)
    converted = tensors_of(hf, config, folder) if arch in set(LLAMA_FAMILY.values()) | {"gptneox"} \
        else tensors_of(hf, config)
    names = [g for g, _, _ in converted]
    if len(set(names)) != len(names):
        raise ConvertError("%s: two tensors map to the same GGUF name" % folder)
    tensors = []
    for gguf_name, hf_name, a in converted:
        if a.dtype != np.float32:
            raise ConvertError("%s: tensor %s is %s; only F32, F16 and BF16 are converted" % (folder, hf_name, a.dtype))
        tensors.append((gguf_name, "F32", list(reversed(a.shape)), np.ascontiguousarray(a, dtype="<f4").tobytes()))
    md = metadata_of(folder, config, name)
    out_dir = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(out_dir, exist_ok=True)
    infos = write_gguf(out_path, md, tensors)
    print("%s: %s, %d tensors, %d bytes" % (out_path, arch, len(tensors), os.path.getsize(out_path)))
    return arch, md, converted, infos


def convert_hf_main(folder, out_path):
    try:
        convert_hf(folder, out_path)
    except (ConvertError, KeyError, ValueError, OSError) as e:
        print("error: %s" % (e,), file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------- self-test of --convert-hf

SHARED_MODELS = "/work/shared/models"
CONVERT_TEST_FOLDERS = ("fake_gpt2", "bert_tiniest")


def write_safetensors(path, tensors):
    """{name: (dtype, array)} -> a .safetensors file (for the self-test's own checkpoints). BF16 arrays are given as
    their uint16 bits."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        dtype, a = tensors[name]
        raw = np.ascontiguousarray(a, dtype=np.dtype(SAFETENSORS_DTYPES[dtype])).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def expected_conversion(arch, config):
    """[(GGUF name, Hugging Face name in the checkpoint, transposed)] the converter must write, from the case tables
    above (GPT2_LAYER_NAMES, BERT_LAYER_NAMES: the names the synthetic cases use, written apart from the converter's)."""
    if arch == "gpt2":
        rows = [("token_embd.weight", "wte.weight", "", False), ("position_embd.weight", "wpe.weight", "", False)]
        for l in range(config["n_layer"]):
            rows += [("blk.%d.%s" % (l, g), "h.%d.%s" % (l, h), k, t) for g, h, k, t in GPT2_LAYER_NAMES]
        rows += weight_and_bias("output_norm", "ln_f", "vector")
        return [(g, "transformer." + h, t) for g, h, _, t in rows]
    rows = [("token_embd.weight", "embeddings.word_embeddings.weight", "", False),
            ("token_types.weight", "embeddings.token_type_embeddings.weight", "", False),
            ("position_embd.weight", "embeddings.position_embeddings.weight", "", False)]
    rows += weight_and_bias("token_embd_norm", "embeddings.LayerNorm", "vector")
    for l in range(config["num_hidden_layers"]):
        rows += [("blk.%d.%s" % (l, g), "encoder.layer.%d.%s" % (l, h), k, t) for g, h, k, t in BERT_LAYER_NAMES]
    return [(g, "bert." + h, t) for g, h, _, t in rows]


def read_back_tensors(check, label, path, md, hf, want):
    """The file at path parses back with GGUFReader: header, metadata == md, tensors in the sorted order of their
    Hugging Face names, F32, dims reversed, each equal to its source (transposed back where `want` says)."""
    g = GGUFReader(path)
    end = max(off + align(tensor_nbytes(t, d)) for t, d, off in g.tensors.values())
    check(g.version == 3 and g.data_start % ALIGNMENT == 0 and len(g.buf) == g.data_start + end
          and all(off % ALIGNMENT == 0 for _, _, off in g.tensors.values()),
          "%-15s GGUF v3, %d-aligned offsets, file size %d = data start + tensors" % (label, ALIGNMENT, len(g.buf)))
    f32 = {k: (vt, float(np.float32(v)) if vt == "float32" else v) for k, vt, v in md}
    check(g.metadata == f32, "%-15s %d metadata keys read back as written" % (label, len(g.metadata)))
    source = {gg: (h, t) for gg, h, t in want}
    same, bad = 0, []
    for name, (ttype, dims, _) in g.tensors.items():
        h, t = source.get(name, (None, False))
        if h is None or ttype != "F32":
            bad.append(name)
            continue
        a = np.frombuffer(g.tensor_bytes(name), dtype="<f4").reshape(list(reversed(dims)))
        src = hf[h].astype(np.float32)
        if dims == list(reversed(a.shape)) and np.array_equal(a.T if t else a, src) and (a.T if t else a).dtype == src.dtype:
            same += 1
        else:
            bad.append(name)
    order = [source[n][0] for n in g.tensors if n in source]
    check(not bad and same == len(want) == len(g.tensors) and order == sorted(order),
          "%-15s %d tensors, the expected names, F32, each equal to its source%s, in the checkpoint's sorted order%s"
          % (label, same, " (Conv1D weights transposed back)" if any(t for _, _, t in want) else "",
             "" if not bad else "; wrong: %s" % bad[:5]))
    return g


def shared_convert_checks(check, out):
    print("--convert-hf on the shared Hugging Face folders, read back with the reader here:")
    for folder_name in CONVERT_TEST_FOLDERS:
        folder = os.path.join(SHARED_MODELS, folder_name)
        if not os.path.isfile(os.path.join(folder, "config.json")):
            print("  skip  %s: not found" % folder)
            continue
        path = os.path.join(out, "hf_converted", folder_name + ".gguf")
        arch, md, converted, _ = convert_hf(folder, path)
        config, hf = read_json(folder, "config.json"), read_checkpoint(folder)
        want = expected_conversion(arch, config)
        g = read_back_tensors(check, folder_name, path, md, hf, want)
        written = {h for _, h, _ in want}
        dropped = sorted(set(hf) - written)
        if arch == "gpt2":
            check(all(n.endswith((".attn.bias", ".attn.masked_bias")) or n == "lm_head.weight" for n in dropped),
                  "%-15s not written: %s" % (folder_name, dropped or "nothing (no attention buffers, no lm_head)"))
        else:
            check(all(n.startswith(("bert.pooler.", "cls.predictions", "cls.seq_relationship")) or
                      n == "bert.embeddings.position_ids" for n in dropped),
                  "%-15s not written: %d tensors (%s)" % (folder_name, len(dropped), ", ".join(dropped)))
        m = {k: v for k, (_, v) in g.metadata.items()}
        tokens, types = m["tokenizer.ggml.tokens"], m["tokenizer.ggml.token_type"]
        if arch == "gpt2":
            vocab = read_json(folder, "vocab.json")
            eot = vocab["<|endoftext|>"]
            want_md = {"general.architecture": "gpt2", "general.file_type": 0, "gpt2.block_count": config["n_layer"],
                       "gpt2.context_length": config["n_ctx"], "gpt2.embedding_length": config["n_embd"],
                       "gpt2.feed_forward_length": 4 * config["n_embd"], "gpt2.attention.head_count": config["n_head"],
                       "gpt2.attention.layer_norm_epsilon": float(np.float32(config["layer_norm_epsilon"])),
                       "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "gpt-2", "tokenizer.ggml.bos_token_id": eot,
                       "tokenizer.ggml.eos_token_id": eot, "tokenizer.ggml.unknown_token_id": eot}
            with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
                lines = [line for line in f.read().split("\n")[1:] if line]
            by_id = sorted(vocab, key=vocab.get)
            ids = gpt2_tokenize(tokens, m["tokenizer.ggml.merges"], TEXT)
            check(all(m.get(k) == v for k, v in want_md.items()) and "tokenizer.ggml.add_bos_token" not in m
                  and "tokenizer.ggml.add_eos_token" not in m,
                  "%-15s gpt2.* from config.json (ctx %d, embd %d, ff %d, heads %d, layers %d), file type 0, bos = eos = "
                  "unk = %d, no add_bos_token" % (folder_name, config["n_ctx"], config["n_embd"], 4 * config["n_embd"],
                                                  config["n_head"], config["n_layer"], eot))
            check(tokens == by_id and len(tokens) == config["vocab_size"] and m["tokenizer.ggml.merges"] == lines
                  and types == [3 if i == eot else 1 for i in range(len(tokens))]
                  and gpt2_decode(tokens, ids) == TEXT,
                  "%-15s %d tokens = vocab.json by id (no padding needed), <|endoftext|> control, %d merges = merges.txt; "
                  "BPE with the file's merges: %d ids decode back to TEXT" % (folder_name, len(tokens), len(lines), len(ids)))
        else:
            with open(os.path.join(folder, "vocab.txt"), encoding="utf-8") as f:
                lines = [line.rstrip("\n") for line in f.readlines()]
            special = {t: lines.index(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")}
            want_md = {"general.architecture": "bert", "general.file_type": 0,
                       "bert.block_count": config["num_hidden_layers"],
                       "bert.context_length": config["max_position_embeddings"], "bert.embedding_length": config["hidden_size"],
                       "bert.feed_forward_length": config["intermediate_size"],
                       "bert.attention.head_count": config["num_attention_heads"],
                       "bert.attention.layer_norm_epsilon": float(np.float32(config["layer_norm_eps"])),
                       "bert.attention.causal": False, "tokenizer.ggml.model": "bert", "tokenizer.ggml.pre": "default",
                       "tokenizer.ggml.token_type_count": config["type_vocab_size"],
                       "tokenizer.ggml.unknown_token_id": special["[UNK]"], "tokenizer.ggml.bos_token_id": special["[CLS]"],
                       "tokenizer.ggml.eos_token_id": special["[SEP]"], "tokenizer.ggml.cls_token_id": special["[CLS]"],
                       "tokenizer.ggml.seperator_token_id": special["[SEP]"],
                       "tokenizer.ggml.padding_token_id": special["[PAD]"], "tokenizer.ggml.mask_token_id": special["[MASK]"],
                       "tokenizer.ggml.add_bos_token": True, "tokenizer.ggml.add_eos_token": True,
                       "tokenizer.ggml.add_sep_token": False, "tokenizer.ggml.normalizer.lowercase": True}
            check(all(m.get(k) == v for k, v in want_md.items()) and "bert.pooling_type" not in m
                  and "tokenizer.ggml.merges" not in m,
                  "%-15s bert.* from config.json (ctx %d, embd %d, ff %d, heads %d, layers %d), not causal, no pooling "
                  "type (no modules.json); [CLS] %d = bos = cls, [SEP] %d = eos = sep, [UNK] %d, [PAD] %d, [MASK] %d; "
                  "add bos, add eos, not sep; lowercase"
                  % (folder_name, config["max_position_embeddings"], config["hidden_size"], config["intermediate_size"],
                     config["num_attention_heads"], config["num_hidden_layers"], special["[CLS]"], special["[SEP]"],
                     special["[UNK]"], special["[PAD]"], special["[MASK]"]))
            back = [t if k == 3 else t[1:] if t.startswith("▁") else "##" + t for t, k in zip(tokens, types)]
            ids = bert_tokenize(back, TEXT)
            check(back == lines and len(tokens) == config["vocab_size"] == len(set(tokens))
                  and types == [3 if i in special.values() else 1 for i in range(len(tokens))]
                  and tokens[special["[CLS]"]] == "[CLS]" and tokens[lines.index("the")] == "▁the"
                  and tokens[lines.index("##s")] == "s" and tokens[1] == "▁" + lines[1]
                  and ids[0] == special["[CLS]"] and ids[-1] == special["[SEP]"] and special["[UNK]"] not in ids,
                  "%-15s %d distinct tokens, spelt back with ## = vocab.txt (\"the\" -> \"▁the\", \"##s\" -> \"s\", %r -> %r), "
                  "the 5 specials control and unchanged; WordPiece over them: %d ids for TEXT, no [UNK]"
                  % (folder_name, len(tokens), lines[1], tokens[1], len(ids)))


def synthetic_convert_checks(check, out):
    """The converter's other paths on checkpoints made here: F16 / BF16 tensors, GPT-2's attention buffers and an
    untied lm_head, a vocabulary padded to vocab_size; BERT's gamma / beta names, position_ids, pooler and cls.*."""
    print("--convert-hf on checkpoints written here (F16, BF16, buffers, untied head, padding, gamma / beta):")
    rng = np.random.default_rng(11)
    x16 = rng.standard_normal((6, 4)).astype(np.float16)
    bf = bf16_bits(rng.standard_normal((4, 12)).astype(np.float32))
    folder = os.path.join(out, "hf_synthetic", "gpt2")
    os.makedirs(folder, exist_ok=True)
    W = {"transformer.wte.weight": ("F16", x16), "transformer.wpe.weight": ("F32", rng.standard_normal((8, 4))),
         "transformer.h.0.attn.c_attn.weight": ("BF16", bf),
         "transformer.h.0.attn.bias": ("F32", np.tril(np.ones((1, 1, 8, 8)))),
         "transformer.h.0.attn.masked_bias": ("F32", np.array(-1e4)), "lm_head.weight": ("F32", rng.standard_normal((6, 4)))}
    for n, shape in (("attn.c_attn.bias", (12,)), ("attn.c_proj.weight", (4, 4)), ("attn.c_proj.bias", (4,)),
                     ("ln_1.weight", (4,)), ("ln_1.bias", (4,)), ("ln_2.weight", (4,)), ("ln_2.bias", (4,)),
                     ("mlp.c_fc.weight", (4, 16)), ("mlp.c_fc.bias", (16,)), ("mlp.c_proj.weight", (16, 4)),
                     ("mlp.c_proj.bias", (4,))):
        W["transformer.h.0." + n] = ("F32", rng.standard_normal(shape))
    W["transformer.ln_f.weight"], W["transformer.ln_f.bias"] = ("F32", np.ones(4)), ("F32", np.zeros(4))
    write_safetensors(os.path.join(folder, "model.safetensors"), W)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"architectures": ["GPT2LMHeadModel"], "n_layer": 1, "n_embd": 4, "n_head": 1, "n_ctx": 8,
                   "n_positions": 8, "layer_norm_epsilon": 1e-5, "vocab_size": 6, "bos_token_id": 4, "eos_token_id": 4}, f)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump({"a": 0, "b": 1, "ab": 2, "Ġ": 3, "<|endoftext|>": 4}, f)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\na b\n")
    path = os.path.join(out, "hf_synthetic", "gpt2.gguf")
    arch, md, _, _ = convert_hf(folder, path)
    hf = read_checkpoint(folder)
    wte = hf["transformer.wte.weight"]
    check(wte.dtype == np.float32 and np.array_equal(wte, x16.astype(np.float32))
          and np.array_equal(hf["transformer.h.0.attn.c_attn.weight"], bf16_value(bf).astype(np.float32)),
          "safetensors reader: F16 and BF16 widened to float32, every value exact")
    want = expected_conversion(arch, {"n_layer": 1}) + [("output.weight", "lm_head.weight", False)]
    g = read_back_tensors(check, "synthetic gpt2", path, md, hf, want)
    m = {k: v for k, (_, v) in g.metadata.items()}
    check("blk.0.attn_qkv.weight" in g.tensors and g.tensors["blk.0.attn_qkv.weight"][1] == [4, 12]
          and m["tokenizer.ggml.tokens"] == ["a", "b", "ab", "Ġ", "<|endoftext|>", "[PAD5]"]
          and m["tokenizer.ggml.token_type"] == [1, 1, 1, 1, 1, 5] and m["tokenizer.ggml.merges"] == ["a b"]
          and m["tokenizer.ggml.bos_token_id"] == 4 and "tokenizer.ggml.unknown_token_id" not in m,
          "synthetic gpt2  attn buffers dropped, untied lm_head -> output.weight, attn_qkv 12 x 4 (dims [4, 12]); id 5 "
          "-> [PAD5] (unused); without tokenizer files <|endoftext|> is normal and ids come from config.json")
    tied = dict(W, **{"lm_head.weight": W["transformer.wte.weight"]})
    write_safetensors(os.path.join(folder, "model.safetensors"), tied)
    path = os.path.join(out, "hf_synthetic", "gpt2_tied.gguf")
    convert_hf(folder, path)
    check("output.weight" not in GGUFReader(path).tensors, "synthetic gpt2  an lm_head equal to wte is not written")

    folder = os.path.join(out, "hf_synthetic", "bert")
    os.makedirs(folder, exist_ok=True)
    W = {"bert.embeddings.word_embeddings.weight": ("F16", rng.standard_normal((7, 4)).astype(np.float16)),
         "bert.embeddings.position_embeddings.weight": ("F32", rng.standard_normal((8, 4))),
         "bert.embeddings.token_type_embeddings.weight": ("BF16", bf16_bits(rng.standard_normal((2, 4)).astype(np.float32))),
         "bert.embeddings.LayerNorm.gamma": ("F32", rng.standard_normal(4)),
         "bert.embeddings.LayerNorm.beta": ("F32", rng.standard_normal(4)),
         "bert.embeddings.position_ids": ("I64", np.arange(8)[None, :]), "bert.pooler.dense.weight": ("F32", np.eye(4)),
         "bert.pooler.dense.bias": ("F32", np.zeros(4)), "cls.predictions.bias": ("F32", np.zeros(7)),
         "cls.seq_relationship.weight": ("F32", np.zeros((2, 4)))}
    for n, shape in (("attention.self.query", (4, 4)), ("attention.self.key", (4, 4)), ("attention.self.value", (4, 4)),
                     ("attention.output.dense", (4, 4)), ("intermediate.dense", (8, 4)), ("output.dense", (4, 8))):
        W["bert.encoder.layer.0.%s.weight" % n] = ("F32", rng.standard_normal(shape))
        W["bert.encoder.layer.0.%s.bias" % n] = ("F32", rng.standard_normal(shape[0]))
    for n in ("attention.output.LayerNorm", "output.LayerNorm"):
        W["bert.encoder.layer.0.%s.gamma" % n] = ("F32", np.ones(4))
        W["bert.encoder.layer.0.%s.beta" % n] = ("F32", np.zeros(4))
    write_safetensors(os.path.join(folder, "model.safetensors"), W)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"architectures": ["BertForMaskedLM"], "num_hidden_layers": 1, "hidden_size": 4, "num_attention_heads": 1,
                   "intermediate_size": 8, "max_position_embeddings": 8, "layer_norm_eps": 1e-12, "type_vocab_size": 2,
                   "vocab_size": 7, "pad_token_id": 0}, f)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\nbank\n##s\n[unused0]\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"added_tokens_decoder": {str(i): {"content": t, "special": True} for i, t in
                                            enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"])},
                   "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]"}, f)
    path = os.path.join(out, "hf_synthetic", "bert.gguf")
    arch, md, _, _ = convert_hf(folder, path)
    hf = read_checkpoint(folder)
    for n in list(hf):  # the names expected_conversion uses
        if n.endswith((".gamma", ".beta")):
            hf[n.replace(".gamma", ".weight").replace(".beta", ".bias")] = hf[n]
    g = read_back_tensors(check, "synthetic bert", path, md, hf, expected_conversion(arch, {"num_hidden_layers": 1}))
    m = {k: v for k, (_, v) in g.metadata.items()}
    ids = [k for k in m if k.startswith("tokenizer.ggml.") and k.endswith("_token_id")]
    check(m["tokenizer.ggml.tokens"] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "▁bank", "s", "▁[unused0]"]
          and m["tokenizer.ggml.token_type"] == [3, 3, 3, 3, 1, 1, 1] and ids == ["tokenizer.ggml.padding_token_id"]
          and m["tokenizer.ggml.padding_token_id"] == 0 and m["bert.attention.causal"] is False
          and not any(k.startswith("tokenizer.ggml.add_") for k in m) and "tokenizer.ggml.normalizer.lowercase" not in m,
          "synthetic bert  gamma / beta -> weight / bias; position_ids, pooler, cls.* dropped; [unused0] (not special) "
          "-> ▁[unused0]; without tokenizer.json only config.json's pad_token_id, no add_* flags (as SpecialVocab)")

# ---------------------------------------------------------------- self-test of --convert-hf: the Llama family

LLAMA_FAMILY_MODEL_TYPES = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "olmo2": "olmo2",
                            "phi3": "phi3", "gemma": "gemma"}
ORDINARY_TEXTS = (TEXT, "The bank by the river, then the money.", "we sat on the bank and took it", "a, b. c")


def gguf_arrays(g):
    """{name: float64 array, numpy order (the file's dims reversed)} of a file whose tensors are all F32."""
    out = {}
    for name, (ttype, dims, _) in g.tensors.items():
        assert ttype == "F32", name
        out[name] = np.frombuffer(g.tensor_bytes(name), dtype="<f4").reshape(list(reversed(dims))).astype(np.float64)
    return out


def rope_pairs(x, n_heads, dh, inv_freq, adjacent):
    """Each head's pairs turned by pos * inv_freq[i]: (x[2i], x[2i + 1]) when adjacent (llama.cpp's NORM RoPE), else
    (x[i], x[i + dh/2]) (NEOX, Hugging Face's rotate_half)."""
    n = x.shape[0]
    ang = np.arange(n, dtype=np.float64)[:, None] * inv_freq[None, :]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    if adjacent:
        h = x.reshape(n, n_heads, dh // 2, 2)
        a, b = h[..., 0], h[..., 1]
        return np.stack([a * c - b * s, b * c + a * s], axis=3).reshape(n, n_heads * dh)
    h = x.reshape(n, n_heads, dh)
    a, b = h[:, :, :dh // 2], h[:, :, dh // 2:]
    return np.concatenate([a * c - b * s, b * c + a * s], axis=2).reshape(n, n_heads * dh)


def rope_part(x, n_heads, dh, n_rot, inv_freq):
    """NEOX RoPE on each head's first n_rot values (llama.cpp with rope.dimension_count < head_dim); the rest unturned."""
    n = x.shape[0]
    h = x.reshape(n, n_heads, dh).copy()
    h[:, :, :n_rot] = rope_pairs(h[:, :, :n_rot].reshape(n, -1), n_heads, n_rot, inv_freq, False).reshape(n, n_heads, n_rot)
    return h.reshape(n, n_heads * dh)


def gguf_llama_family_forward(g, ids, rope_divisors=None, norms=None):
    """llama.cpp's graph for llama / qwen2 / qwen3 / olmo2, in float64, from what a converted file holds and nothing
    else: hyperparameters from its metadata (head_dim: key_length, else embedding_length / head_count; rotary dims:
    rope.dimension_count, else head_dim), tensors by their GGUF names, RoPE on adjacent pairs for llama (its q/k rows
    are permuted) and on halves for the others, frequencies base^(-2i/n_rot) * (1 / rope.scaling.factor when linear)
    / rope_freqs[i] (rope_divisors, when given, stand in for the file's rope_freqs). qwen3: q_norm / k_norm per head;
    olmo2: over the whole projection, no norm in front of the sublayers, post_attention_norm / post_ffw_norm after
    them. phi3: q, k, v from attn_qkv's rows, ffn_up's first half the gate and second the up, RoPE on each head's first
    rope.dimension_count values. gemma: the embeddings times sqrtf(embedding_length), RMSNorm times the stored w,
    gelu (tanh) for the gate. norms, when given, stand in for the file's norm weights by GGUF name. Returns the heads
    (q, k, v, scores, weights; q and k as the file's rows give them) and the logits."""
    md = {k: v for k, (_, v) in g.metadata.items()}
    V = gguf_arrays(g)
    arch = md["general.architecture"]
    p = arch + "."
    d, H = md[p + "embedding_length"], md[p + "attention.head_count"]
    KV = md.get(p + "attention.head_count_kv", H)
    dh = md.get(p + "attention.key_length", d // H)
    n_rot = md.get(p + "rope.dimension_count", dh)
    assert n_rot == dh or arch == "phi3", "partial rotation is not needed here"
    rope = (lambda x, n: rope_pairs(x, n, dh, inv_freq, adjacent)) if n_rot == dh else \
        (lambda x, n: rope_part(x, n, dh, n_rot, inv_freq))
    norm = lambda x, name: rms_norm(x, norms[name] if norms and name in norms else V[name], eps)
    eps, base = md[p + "attention.layer_norm_rms_epsilon"], md.get(p + "rope.freq_base", 10000.0)
    inv_freq = base ** (-np.arange(0, n_rot, 2, dtype=np.float64) / n_rot)
    if md.get(p + "rope.scaling.type") == "linear":
        inv_freq = inv_freq / md[p + "rope.scaling.factor"]
    divisors = rope_divisors if rope_divisors is not None else V.get("rope_freqs.weight")
    if divisors is not None:
        inv_freq = inv_freq / divisors
    adjacent = arch == "llama"
    lin = lambda x, name: x @ V[name + ".weight"].T + (V[name + ".bias"] if name + ".bias" in V else 0)
    x = V["token_embd.weight"][ids]
    if arch == "gemma":
        x = x * float(np.sqrt(np.float32(d)))  # llama.cpp: ggml_scale(inpL, sqrtf(n_embd))
    layers = []
    for l in range(md[p + "block_count"]):
        b = "blk.%d." % l
        a = x if arch == "olmo2" else norm(x, b + "attn_norm.weight")
        if arch == "phi3":
            qkv = lin(a, b + "attn_qkv")
            q, k, v = qkv[:, :H * dh], qkv[:, H * dh:(H + KV) * dh], qkv[:, (H + KV) * dh:]
        else:
            q, k, v = lin(a, b + "attn_q"), lin(a, b + "attn_k"), lin(a, b + "attn_v")
        if arch == "qwen3":
            q = np.concatenate([rms_norm(q[:, h * dh:(h + 1) * dh], V[b + "attn_q_norm.weight"], eps) for h in range(H)], 1)
            k = np.concatenate([rms_norm(k[:, h * dh:(h + 1) * dh], V[b + "attn_k_norm.weight"], eps) for h in range(KV)], 1)
        elif arch == "olmo2":
            q, k = rms_norm(q, V[b + "attn_q_norm.weight"], eps), rms_norm(k, V[b + "attn_k_norm.weight"], eps)
        q, k = rope(q, H), rope(k, KV)
        heads, out = attention(q, k, v, H, KV, 1 / math.sqrt(dh))
        layers.append(heads)
        out = lin(out, b + "attn_output")
        if arch == "olmo2":
            out = rms_norm(out, V[b + "post_attention_norm.weight"], eps)
        x = x + out
        m = x if arch == "olmo2" else norm(x, b + "ffn_norm.weight")
        if arch == "phi3":
            gate_up = lin(m, b + "ffn_up")
            gate, up = gate_up[:, :gate_up.shape[1] // 2], gate_up[:, gate_up.shape[1] // 2:]
        else:
            gate, up = lin(m, b + "ffn_gate"), lin(m, b + "ffn_up")
        out = lin((gelu_tanh(gate) if arch == "gemma" else gate / (1 + np.exp(-gate))) * up, b + "ffn_down")
        if arch == "olmo2":
            out = rms_norm(out, V[b + "post_ffw_norm.weight"], eps)
        x = x + out
    x = norm(x, "output_norm.weight")
    return layers, x @ V.get("output.weight", V["token_embd.weight"]).T


def expected_gguf_name(hf_name, arch):
    """The GGUF name llama.cpp's tensor map gives a Llama-family checkpoint tensor (written here apart from the
    converter's tables)."""
    whole = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    if hf_name in whole:
        return whole[hf_name]
    m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)\.(weight|bias)", hf_name)
    part = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
            "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
            "self_attn.k_norm": "attn_k_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
            "mlp.down_proj": "ffn_down", "post_feedforward_layernorm": "post_ffw_norm", "self_attn.qkv_proj": "attn_qkv",
            "mlp.gate_up_proj": "ffn_up",
            "post_attention_layernorm": "post_attention_norm" if arch == "olmo2" else "ffn_norm"}[m.group(2)]
    return "blk.%s.%s.%s" % (m.group(1), part, m.group(3))


def hf_llama3_divisors(rope, theta, dh):
    """transformers' _compute_llama3_parameters as divisors of the plain frequencies, in float64."""
    lo, hi, factor = rope["low_freq_factor"], rope["high_freq_factor"], rope["factor"]
    orig = rope["original_max_position_embeddings"]
    out = []
    for i in range(dh // 2):
        f = 1.0 / theta ** (2 * i / dh)
        wavelen = 2 * math.pi / f
        if wavelen < orig / hi:
            out.append(1.0)
        elif wavelen > orig / lo:
            out.append(factor)
        else:
            smooth = (orig / wavelen - lo) / (hi - lo)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out)


def compare_heads(expected_layers, layers, logits, expected_logits, unpermute_qk):
    """Largest |difference| over every head's q, k, v, weights (scores where finite) and all the logits."""
    worst = 0.0
    for l, heads in enumerate(layers):
        for h, mine in enumerate(heads):
            ref = expected_layers[l][h]
            for f in ("q", "k", "v", "weights", "scores"):
                a = np.array([[(-math.inf if v is None else v) for v in row] for row in ref[f]], dtype=np.float64)
                b = mine[f]
                if unpermute_qk and f in ("q", "k"):
                    b = unpermute(b.T, 1).T  # the permuted rows of one head back to Hugging Face's order
                if not np.array_equal(np.isinf(a), np.isinf(b)):
                    return math.inf
                worst = max(worst, float(np.max(np.abs(np.where(np.isinf(a), 0, a) - np.where(np.isinf(b), 0, b)))))
    return max(worst, float(np.max(np.abs(np.array(expected_logits) - logits))))


def checkpoint_order(folder):
    """The order the converter meets a checkpoint's tensors, from the files' headers: shards by sorted file name,
    names sorted within each."""
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.isfile(index) else ["model.safetensors"]
    order = []
    for file in files:
        with open(os.path.join(folder, file), "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            order += sorted(k for k in json.loads(f.read(n)) if k != "__metadata__")
    return order


def forward_difference(forward, expected, unpermute_qk):
    """compare_heads over forward()'s heads and logits; inf when the forward cannot run (a tensor or key missing)."""
    try:
        layers, logits = forward()
    except (KeyError, ValueError, AssertionError):
        return math.inf
    return compare_heads(expected["layers"], layers, logits, expected["logits"], unpermute_qk)


def llama_family_case_checks(check, folder, case, path, make_reference):
    config = read_json(folder, "config.json")
    expected = read_json(folder, "expected.json")
    arch = LLAMA_FAMILY_MODEL_TYPES[config["model_type"]]
    H = config["num_attention_heads"]
    KV = config.get("num_key_value_heads") or H
    dh = config.get("head_dim") or config["hidden_size"] // H
    llama3 = (config.get("rope_scaling") or {}).get("rope_type") == "llama3"
    g = GGUFReader(path)
    m = {k: v for k, (_, v) in g.metadata.items()}
    V = gguf_arrays(g)
    hf = read_checkpoint(folder)
    order = checkpoint_order(folder)
    if arch == "gemma":
        order = [n for n in order if n != "lm_head.weight"]
    gemma_norm = lambda hf_name: arch == "gemma" and hf_name.endswith("norm.weight")

    # tensors: names, F32, dims, values (q/k rows un-permuted for llama; gemma's norms float32(w + 1)), order
    want = [expected_gguf_name(n, arch) for n in order]
    bad = []
    norm_shift = 0.0  # gemma: the largest |stored - 1 - w| (float32 rounding of w + 1)
    for hf_name, gguf_name in zip(order, want):
        ttype, dims, _ = g.tensors.get(gguf_name, (None, None, None))
        a = V.get(gguf_name)
        source = hf[hf_name]
        if a is not None and arch == "llama" and ".self_attn.q_proj." in hf_name:
            a = unpermute(a, H)
        elif a is not None and arch == "llama" and ".self_attn.k_proj." in hf_name:
            a = unpermute(a, KV)
        elif a is not None and gemma_norm(hf_name):
            norm_shift = max(norm_shift, float(np.max(np.abs(a - 1 - source.astype(np.float64)))))
            source = (source.astype(np.float64) + 1).astype(np.float32)
        if ttype != "F32" or dims != list(reversed(hf[hf_name].shape)) or not np.array_equal(a, source):
            bad.append(gguf_name)
    file_order = list(g.tensors)
    check(not bad and file_order == (["rope_freqs.weight"] if llama3 else []) + want,
          "%-29s %d tensors, F32, each equal to its source%s, in the converter's order (%s)%s%s"
          % (case, len(want), " (q/k rows un-permuted: %d / %d heads)" % (H, KV) if arch == "llama" else
             " (norms = float32(w + 1): stored - 1 - w within %.1e)" % norm_shift if arch == "gemma" else
             " (attn_qkv, ffn_up fused, as stored)" if arch == "phi3" else "",
             "2 shards, names sorted in each" if os.path.isfile(os.path.join(folder, "model.safetensors.index.json"))
             else "names sorted", ", rope_freqs first" if llama3 else "", "" if not bad else "; wrong: %s" % bad[:4]))

    # metadata
    p = arch + "."
    want_md = {"general.architecture": arch, "general.type": "model", "general.name": case, "general.file_type": 0,
               "general.quantization_version": 2, p + "block_count": config["num_hidden_layers"],
               p + "context_length": config["max_position_embeddings"], p + "embedding_length": config["hidden_size"],
               p + "feed_forward_length": config["intermediate_size"], p + "attention.head_count": H,
               p + "attention.head_count_kv": KV, p + "rope.freq_base": float(np.float32(config["rope_theta"])),
               p + "attention.layer_norm_rms_epsilon": float(np.float32(config["rms_norm_eps"]))}
    if "head_dim" in config:
        want_md.update({p + "attention.key_length": dh, p + "attention.value_length": dh})
    if arch == "llama":
        want_md.update({p + "vocab_size": config["vocab_size"], p + "rope.dimension_count": dh})
    elif arch == "phi3":
        want_md.update({p + "rope.dimension_count": int(dh * (config.get("partial_rotary_factor") or 1.0)),
                        p + "rope.scaling.original_context_length": config["original_max_position_embeddings"],
                        p + "attention.sliding_window": config.get("sliding_window") or 0})
    elif arch == "gemma":
        del want_md[p + "rope.freq_base"]  # GemmaModel writes none (llama.cpp: 10000)
    rope = config.get("rope_scaling") or {}
    if rope.get("rope_type") == "linear":
        want_md.update({p + "rope.scaling.type": "linear", p + "rope.scaling.factor": float(np.float32(rope["factor"]))})
    vocab = read_json(folder, "vocab.json")
    by_id = sorted(vocab, key=vocab.get)
    with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
        merges = [line for line in f.read().split("\n") if line and not line.startswith("#")]
    want_md.update({"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "gpt-2", "tokenizer.ggml.tokens": by_id,
                    "tokenizer.ggml.token_type": [1] * len(by_id), "tokenizer.ggml.merges": merges})
    check(m == want_md, "%-29s %d metadata keys: %s.* from config.json%s, general.file_type 0; tokenizer gpt2 / gpt-2, "
          "%d tokens = vocab.json by id, %d merges = merges.txt, no special ids or add_* flags%s"
          % (case, len(m), arch, " (rope.scaling linear x%g)" % rope["factor"] if rope.get("rope_type") == "linear"
             else "", len(by_id), len(merges), "" if m == want_md else "; differ: %s" % sorted(
                 k for k in set(m) | set(want_md) if m.get(k) != want_md.get(k))))
    same = all(gpt2_tokenize(m["tokenizer.ggml.tokens"], m["tokenizer.ggml.merges"], t) == gpt2_tokenize(by_id, merges, t)
               and gpt2_decode(m["tokenizer.ggml.tokens"], gpt2_tokenize(m["tokenizer.ggml.tokens"],
                                                                        m["tokenizer.ggml.merges"], t)) == t
               for t in ORDINARY_TEXTS)
    check(same, "%-29s the file's tokens + merges give the folder's ids for %d ordinary texts, and decode back"
          % (case, len(ORDINARY_TEXTS)))

    # forward passes
    unperm = arch == "llama"
    if llama3:
        exact = hf_llama3_divisors(rope, config["rope_theta"], dh)
        stored = V["rope_freqs.weight"]
        check(np.array_equal(stored, exact.astype(np.float32)) or np.max(np.abs(stored / exact - 1)) < 2 ** -22,
              "%-29s rope_freqs %s = transformers' llama3 divisors (orig. context %d) to float32 rounding (max rel. "
              "difference %.1e)" % (case, [round(float(v), 6) for v in stored], rope["original_max_position_embeddings"],
                                    float(np.max(np.abs(stored / exact - 1)))))
        worst = forward_difference(lambda: gguf_llama_family_forward(g, expected["ids"], rope_divisors=exact), expected,
                                   unperm)
        f32_worst = forward_difference(lambda: gguf_llama_family_forward(g, expected["ids"]), expected, unperm)
        check(worst < 1e-9 and f32_worst < 1e-6,
              "%-29s llama.cpp-style forward from the file alone = expected.json: q, k, v, scores, weights, logits within "
              "%.1e with the divisors in float64 (%.1e with the file's F32 rope_freqs)" % (case, worst, f32_worst))
    elif arch == "gemma":
        exact = {gguf_name: hf[hf_name].astype(np.float64) + 1 for hf_name, gguf_name in zip(order, want)
                 if gemma_norm(hf_name)}
        worst = forward_difference(lambda: gguf_llama_family_forward(g, expected["ids"], norms=exact), expected, False)
        f32_worst = forward_difference(lambda: gguf_llama_family_forward(g, expected["ids"]), expected, False)
        check(worst < 1e-9 and f32_worst < 1e-5,
              "%-29s llama.cpp-style forward (x sqrtf(d), norm x w, gelu tanh, rotate-half RoPE) = expected.json within "
              "%.1e with 1 + w in float64 for the norms (%.1e from the file alone: its F32 w + 1)" % (case, worst, f32_worst))
    else:
        worst = forward_difference(lambda: gguf_llama_family_forward(g, expected["ids"]), expected, unperm)
        check(worst < 1e-9, "%-29s llama.cpp-style forward from the file alone (%s RoPE%s) = expected.json: q, k, v, "
              "scores, weights, logits within %.1e" % (case, "adjacent-pair" if unperm else "rotate-half",
                                                       ", q/k per head un-permuted to compare" if unperm else
                                                       ", %d of %d dims turned" % (m[p + "rope.dimension_count"], dh)
                                                       if arch == "phi3" else "", worst))
    back = {}
    for hf_name, gguf_name in zip(order, want):
        a = V.get(gguf_name, np.zeros(0))
        if arch == "llama" and ".self_attn.q_proj." in hf_name:
            a = unpermute(a, H)
        elif arch == "llama" and ".self_attn.k_proj." in hf_name:
            a = unpermute(a, KV)
        elif gemma_norm(hf_name):
            a = a - 1  # exact in float64; make_reference multiplies by 1 + (stored - 1) = stored
        back[hf_name] = a
    if arch == "gemma":  # the stored norms are w + 1 rounded to float32: compare with the file's own forward
        layers, logits = gguf_llama_family_forward(g, expected["ids"])
        mine = {"layers": [[{f: np.asarray(h[f]) for f in h} for h in heads] for heads in layers], "logits": logits}
        worst = forward_difference(lambda: make_reference.llama_forward(back, config, expected["ids"]), mine, False)
        check(worst < 1e-9, "%-29s make_reference.llama_forward over the tensors read back (names undone, norms minus 1) "
              "= the forward from the file within %.1e" % (case, worst))
        return
    worst = forward_difference(lambda: make_reference.llama_forward(back, config, expected["ids"]), expected, False)
    check(worst < 1e-9, "%-29s make_reference.llama_forward over the tensors read back (names and q/k order undone) = "
          "expected.json within %.1e" % (case, worst))


def llama_family_refusals(check, out, hf_dir):
    """Folders the converter must refuse, made from the reference checkpoints with one thing changed."""
    import shutil
    cases = []

    def variant(source, label, change, files=None):
        folder = os.path.join(out, "refuse", label)
        shutil.copytree(os.path.join(hf_dir, source), folder)
        config = read_json(folder, "config.json")
        change(config)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f)
        if files:
            files(folder)
        cases.append((label, folder))

    variant("mistral_f32_linear_rope", "yarn rope_scaling",
            lambda c: c.update(rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32}))
    variant("mistral_f32_linear_rope", "dynamic rope_scaling", lambda c: c.update(rope_scaling={"type": "dynamic",
                                                                                             "factor": 2.0}))
    variant("qwen2_f16_biases_one_kv_head", "llama3 rope on qwen2", lambda c: c.update(rope_scaling={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 64}))
    variant("olmo2_f32", "olmo2 tensors, llama config", lambda c: c.update(model_type="llama"))
    variant("qwen3_f32_gqa_tied", "qwen3 tensors, qwen2 config", lambda c: c.update(model_type="qwen2"))
    variant("llama_f32_gqa_untied_sharded", "head_dim not the tensors'", lambda c: c.update(head_dim=4))
    variant("llama_f32_gqa_untied_sharded", "a shard missing", lambda c: None,
            lambda f: os.remove(os.path.join(f, "model-00002-of-00002.safetensors")))
    variant("qwen3_f32_gqa_tied", "unknown model_type", lambda c: c.update(model_type="falcon_mamba"))
    variant("phi3_bf16", "phi3 longrope", lambda c: c.update(rope_scaling={"type": "longrope", "long_factor": [1.0] * 3,
                                                                             "short_factor": [1.0] * 3}))
    variant("gemma_f32_mqa", "gemma rope_theta not 10000", lambda c: c.update(rope_theta=500000.0))
    variant("qwen2_f16_biases_one_kv_head", "qwen2 sliding window", lambda c: c.update(use_sliding_window=True))
    variant("qwen3_f32_gqa_tied", "no merges.txt", lambda c: None, lambda f: os.remove(os.path.join(f, "merges.txt")))
    refused = []
    for label, folder in cases:
        try:
            convert_hf(folder, os.path.join(out, "refuse", label + ".gguf"))
        except ConvertError as e:
            refused.append((label, str(e).replace(folder, "<folder>")))
    check(len(refused) == len(cases) and not any(os.path.exists(os.path.join(out, "refuse", l + ".gguf")) for l, _ in cases),
          "%d folders refused with a message, no file written: %s" % (len(refused), "; ".join(
              "%s (%s)" % (l, e[:70]) for l, e in refused)))


def synthetic_llama_folder(folder, vocab_size, rng, extra_config=None):
    """A one-layer llama checkpoint (d 8, 2 heads, 1 KV head) with a vocabulary of vocab_size."""
    os.makedirs(folder, exist_ok=True)
    d, H, KV, dh, ff = 8, 2, 1, 4, 12
    W = {"model.embed_tokens.weight": ("F32", rng.standard_normal((vocab_size, d))),
         "model.norm.weight": ("F32", 1 + 0.1 * rng.standard_normal(d))}
    for n, shape in (("input_layernorm", (d,)), ("post_attention_layernorm", (d,)), ("self_attn.q_proj", (H * dh, d)),
                     ("self_attn.k_proj", (KV * dh, d)), ("self_attn.v_proj", (KV * dh, d)),
                     ("self_attn.o_proj", (d, H * dh)), ("mlp.gate_proj", (ff, d)), ("mlp.up_proj", (ff, d)),
                     ("mlp.down_proj", (d, ff))):
        W["model.layers.0.%s.weight" % n] = ("F32", rng.standard_normal(shape))
    write_safetensors(os.path.join(folder, "model.safetensors"), W)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": d, "num_attention_heads": H,
              "num_key_value_heads": KV, "head_dim": dh, "intermediate_size": ff, "num_hidden_layers": 1,
              "vocab_size": vocab_size, "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
              "tie_word_embeddings": True}
    config.update(extra_config or {})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)


def spm_tokenize(tokens, scores, text):
    """llama.cpp's SentencePiece tokenizer (llm_tokenizer_spm) on ordinary text: "▁" for every space and one in front,
    UTF-8 characters merged pairwise, always the pair whose joined text is the token of highest score (the leftmost on
    ties), then each piece its token or its bytes' <0xXX> tokens. No BOS."""
    index = {t: i for i, t in enumerate(tokens)}
    symbols = list("▁" + text.replace(" ", "▁"))
    while True:
        best = None
        for i in range(len(symbols) - 1):
            t = symbols[i] + symbols[i + 1]
            if t in index and (best is None or scores[index[t]] > best[0]):
                best = (scores[index[t]], i)
        if best is None:
            break
        i = best[1]
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
    return [j for s in symbols for j in ([index[s]] if s in index else [index["<0x%02X>" % b] for b in s.encode("utf-8")])]


def hf_spm_bpe(tokenizer, text):
    """A SentencePiece-style tokenizer.json (BPE with byte_fallback, "▁" prepended and for every space), as Hugging
    Face's tokenizers runs it: merges by rank over the characters, unknown characters as their bytes. No BOS."""
    model = tokenizer["model"]
    ranks = {tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m): r for r, m in enumerate(model["merges"])}
    vocab = model["vocab"]
    return [j for s in bpe(list("▁" + text.replace(" ", "▁")), ranks)
            for j in ([vocab[s]] if s in vocab else [vocab["<0x%02X>" % b] for b in s.encode("utf-8")])]


def stories_checks(check, out):
    """/work/shared/models' stories260K (a trained Llama, SentencePiece-style tokenizer.json) converted, against
    gguf/stories260K.gguf, llama.cpp's own file of the same model (from llama2.c's checkpoint)."""
    folder = os.path.join(SHARED_MODELS, "stories260K")
    theirs_path = os.path.join(SHARED_MODELS, "gguf", "stories260K.gguf")
    if not (os.path.isfile(os.path.join(folder, "config.json")) and os.path.isfile(theirs_path)):
        print("  skip  stories260K: %s or %s not found" % (folder, theirs_path))
        return
    path = os.path.join(out, "stories260K.gguf")
    convert_hf(folder, path)
    g, theirs = GGUFReader(path), GGUFReader(theirs_path)
    mine, ref = gguf_arrays(g), gguf_arrays(theirs)
    same = [n for n in mine if n in ref and np.array_equal(mine[n], ref[n])]
    check(len(same) == len(mine) == len(ref) - 1 and "output.weight" not in mine
          and np.array_equal(ref["output.weight"], ref["token_embd.weight"]),
          "stories260K: all %d tensors (q/k permuted) equal llama.cpp's own stories260K.gguf's (which adds output.weight, "
          "a copy of token_embd)" % len(same))
    m = {k: v for k, (_, v) in g.metadata.items()}
    t = {k: v for k, (_, v) in theirs.metadata.items()}
    keys = [k for k in t if k.startswith("llama.") and k != "llama.context_length"]
    check(all(m.get(k) == t[k] for k in keys) and m["llama.context_length"] == 512,
          "stories260K: %s as theirs; context 512 from config.json (theirs: llama2.c's 2048)" % ", ".join(
              k[len("llama."):] for k in keys))
    tokenizer = read_json(folder, "tokenizer.json")
    types_ok = m["tokenizer.ggml.token_type"] == [3 if i < 3 else v for i, v in enumerate(t["tokenizer.ggml.token_type"])]
    scored = [i for i, v in enumerate(t["tokenizer.ggml.token_type"]) if v == 1]
    first = merge_rank_scores(tokenizer["model"]["merges"])
    merged = [i for i in scored if t["tokenizer.ggml.tokens"][i] in first]  # theirs score -(id - 259): id order
    ours = [m["tokenizer.ggml.scores"][i] for i in merged]
    check(m["tokenizer.ggml.model"] == "llama" and m["tokenizer.ggml.tokens"] == t["tokenizer.ggml.tokens"] and types_ok
          and all(t["tokenizer.ggml.scores"][i] > t["tokenizer.ggml.scores"][j] for i, j in zip(merged, merged[1:]))
          and all(a > b for a, b in zip(ours, ours[1:]))
          and m["tokenizer.ggml.bos_token_id"] == 1 and m["tokenizer.ggml.add_bos_token"] is True,
          "stories260K: tokenizer llama, the 512 tokens and their types as theirs (<unk> control, as LlamaHfVocab marks "
          "special tokens; theirs unknown); the %d merged tokens rank as theirs (scores minus the first merge's rank: "
          "%g .. %g; theirs %g .. %g); bos 1, add_bos" % (len(merged), ours[0], ours[-1], t["tokenizer.ggml.scores"][
              merged[0]], t["tokenizer.ggml.scores"][merged[-1]]))
    texts = ("Once upon a time", "Once upon a time, there was a little girl named Lily.", "The cat sat on the mat.",
             "She loved to play outside in the park. One day, a big dog came.", "Tom and Sue went to the shop")
    ok = spm_tokenize(m["tokenizer.ggml.tokens"], m["tokenizer.ggml.scores"], texts[0]) == [403, 407, 261, 378]
    ok = ok and all(spm_tokenize(m["tokenizer.ggml.tokens"], m["tokenizer.ggml.scores"], s) == hf_spm_bpe(tokenizer, s)
                    for s in texts)
    flat = [-1000.0] * len(m["tokenizer.ggml.tokens"])  # LlamaHfVocab's placeholder score for every token
    differ = [s for s in texts if spm_tokenize(m["tokenizer.ggml.tokens"], flat, s) != hf_spm_bpe(tokenizer, s)]
    check(ok and differ, "stories260K: llama.cpp's SentencePiece tokenizer over the file gives Hugging Face's BPE ids "
          "for %d texts ('Once upon a time' -> [1,] 403 407 261 378 as the README says); with LlamaHfVocab's -1000 for "
          "every score %d of them would split differently" % (len(texts), len(differ)))


def tokenizer_json_checks(check, out, hf_dir):
    """tokenizer.ggml.pre from tokenizer.json's split regex, on the real GPT-2 and GPT-NeoX files and on tokenizer.json
    files written here (a reference checkpoint's vocab.json + merges.txt behind GPT-2's, Llama 3's and Qwen2's
    pre-tokenizers, and two that must be refused)."""
    import shutil
    for name, want in (("fake_gpt2", "gpt-2"), ("gpt_neox_20b_tokenizer", "gpt-2")):
        path = os.path.join(SHARED_MODELS, name)
        if not os.path.isfile(os.path.join(path, "tokenizer.json")):
            print("  skip  %s: not found" % path)
            continue
        got = bpe_pre_name(path, read_json(path, "tokenizer.json"))
        check(got == want, "tokenizer.json of %s: ByteLevel with GPT-2's regex -> pre %r" % (name, got))
    source = os.path.join(hf_dir, "qwen3_f32_gqa_tied")
    vocab = read_json(source, "vocab.json")
    with open(os.path.join(source, "merges.txt"), encoding="utf-8") as f:
        merges = [line for line in f.read().split("\n") if line and not line.startswith("#")]
    split = lambda r: {"type": "Split", "pattern": {"Regex": r}, "behavior": "Isolated", "invert": False}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    variants = [("gpt-2", dict(byte_level, use_regex=True), None, False),
                ("llama-bpe", {"type": "Sequence", "pretokenizers": [split(LLAMA3_SPLIT_REGEX), byte_level]}, None, True),
                ("qwen2", {"type": "Sequence", "pretokenizers": [split(QWEN2_SPLIT_REGEX), byte_level]}, {"type": "NFC"},
                 False),
                (None, {"type": "Sequence", "pretokenizers": [split(r"\p{N}{1,3}"), byte_level]}, None, False),
                (None, {"type": "Sequence", "pretokenizers": [split(LLAMA3_SPLIT_REGEX), byte_level]}, None, False),
                (None, dict(byte_level, use_regex=True, add_prefix_space=True), None, False)]
    results = []
    for i, (want, pre, normalizer, ignore_merges) in enumerate(variants):
        folder = os.path.join(out, "tokenizer_json", str(i))
        shutil.copytree(source, folder)
        for f in ("vocab.json", "merges.txt"):
            os.remove(os.path.join(folder, f))
        tokenizer = {"version": "1.0", "added_tokens": [],
                     "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": None,
                     "decoder": {"type": "ByteLevel"},
                     "model": {"type": "BPE", "byte_fallback": False, "ignore_merges": ignore_merges, "vocab": vocab,
                               "merges": [m.split(" ") for m in merges]}}
        with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer, f, ensure_ascii=False)
        try:
            convert_hf(folder, os.path.join(folder, "out.gguf"))
            m = {k: v for k, (_, v) in GGUFReader(os.path.join(folder, "out.gguf")).metadata.items()}
            got = (m["tokenizer.ggml.pre"], m["tokenizer.ggml.merges"] == merges,
                   m["tokenizer.ggml.tokens"] == sorted(vocab, key=vocab.get))
        except ConvertError:
            got = (None, True, True)
        results.append(got == (want, True, True))
    check(all(results), "tokenizer.json pre-tokenizers -> pre gpt-2 (ByteLevel's own regex), llama-bpe (Llama 3's split, "
          "ignore_merges), qwen2 (Qwen2's split, NFC); refused: another regex, Llama 3's without ignore_merges, a "
          "prefix space; tokens from model.vocab, merges from [a, b] pairs")


def sentencepiece_checks(check, out):
    """tokenizer.model: the protobuf reading against the sentencepiece module (when it is installed), on Marian's real
    source.spm and on a byte-fallback BPE model trained here, which a llama checkpoint made here carries through
    --convert-hf; llama.cpp's SentencePiece tokenizer over the file gives sentencepiece's ids."""
    try:
        import sentencepiece
    except ImportError:
        print("  skip  tokenizer.model: the sentencepiece module is not installed")
        return
    spm_path = os.path.join(SHARED_MODELS, "opus_mt_en_mg", "source.spm")
    if os.path.isfile(spm_path):
        sp = sentencepiece.SentencePieceProcessor(model_file=spm_path)
        pieces = read_sentencepiece_model(spm_path)
        kinds = [2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 5 if sp.is_unused(i) else 6 if sp.is_byte(i)
                 else None for i in range(sp.get_piece_size())]
        check(len(pieces) == sp.get_piece_size() and all(
            p == sp.id_to_piece(i) and s == np.float32(sp.get_score(i)) and (kinds[i] is None or kinds[i] == k)
            for i, (p, s, k) in enumerate(pieces)),
              "read_sentencepiece_model on Marian's source.spm: %d pieces, scores and types as sentencepiece gives them"
              % len(pieces))
    folder = os.path.join(out, "spm_llama")
    os.makedirs(folder, exist_ok=True)
    corpus = ["Once upon a time there was a little girl named Lily.", "She loved to play outside in the park.",
              "The bank by the river was quiet.", "We sat on the bank and took the money.",
              "One day a big dog came to the park and sat near the river."] * 20
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_prefix=os.path.join(folder, "tokenizer"), vocab_size=300,
        model_type="bpe", byte_fallback=True, normalization_rule_name="identity", character_coverage=1.0,
        minloglevel=2)
    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(folder, "tokenizer.model"))
    n = sp.get_piece_size()
    synthetic_llama_folder(folder, n + 2, np.random.default_rng(5))  # two ids past the model: [PAD] slots
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
                   "added_tokens_decoder": {str(n): {"content": "<|im_end|>", "special": False}}}, f)
    path = os.path.join(out, "spm_llama.gguf")
    convert_hf(folder, path)
    m = {k: v for k, (_, v) in GGUFReader(path).metadata.items()}
    want_types = [2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 6 if sp.is_byte(i) else 1 for i in range(n)]
    check(m["tokenizer.ggml.model"] == "llama" and m["tokenizer.ggml.pre"] == "default"
          and m["tokenizer.ggml.tokens"] == [sp.id_to_piece(i) for i in range(n)] + ["<|im_end|>", "[PAD%d]" % (n + 1)]
          and m["tokenizer.ggml.scores"] == [float(np.float32(sp.get_score(i))) for i in range(n)] + [-1000.0, -10000.0]
          and m["tokenizer.ggml.token_type"] == want_types + [3, 5] and m["tokenizer.ggml.add_bos_token"] is True,
          "tokenizer.model (BPE, byte fallback, %d pieces) -> llama: pieces, scores, types as sentencepiece; <|im_end|> "
          "from added_tokens_decoder control (looks special), the last id [PAD%d] unused; add_bos" % (n, n + 1))
    texts = ORDINARY_TEXTS + ("Once upon a time there was a dog.", "zebra quartz")
    check(all(spm_tokenize(m["tokenizer.ggml.tokens"], m["tokenizer.ggml.scores"], t) == sp.encode(t) for t in texts),
          "llama.cpp's SentencePiece tokenizer over the file = sentencepiece's ids for %d texts (unseen letters as bytes)"
          % len(texts))


def llama_family_convert_checks(check, out, make_reference):
    """make_reference.py's default checkpoints written into out, every Llama-family one converted and checked; then
    refusals, stories260K against llama.cpp's own file, tokenizer.json pre-tokenizers and tokenizer.model."""
    print("--convert-hf on make_reference.py's Llama-family checkpoints (llama, mistral, qwen2, qwen3, olmo2, phi3, "
          "gemma):")
    hf_dir = os.path.join(out, "hf_reference")
    for name, make in make_reference.CASES.items():
        make_reference.write_case(hf_dir, name, make)
    converted = []
    for case in make_reference.CASES:
        folder = os.path.join(hf_dir, case)
        if (read_json(folder, "config.json") or {}).get("model_type") not in LLAMA_FAMILY_MODEL_TYPES:
            continue
        path = os.path.join(out, "llama_family", case + ".gguf")
        convert_hf(folder, path)
        llama_family_case_checks(check, folder, case, path, make_reference)
        converted.append(case)
    print("converted and verified: %s" % " ".join(converted))
    print("--convert-hf refusals, stories260K, tokenizer.json and tokenizer.model:")
    llama_family_refusals(check, out, hf_dir)
    stories_checks(check, out)
    tokenizer_json_checks(check, out, hf_dir)
    sentencepiece_checks(check, out)
    return converted


# ---------------------------------------------------------------- self-test of --convert-hf: GPT-NeoX, Gemma 2, Gemma 3

NEOX_GEMMA_MODEL_TYPES = {"gpt_neox": "gptneox", "gemma2": "gemma2", "gemma3_text": "gemma3"}


def llama_cpp_disagreements(config):
    """What llama.cpp (or its converter) would not carry over from this test folder's config, worked out here apart
    from the converter's code: the words each refusal message must hold, [] when the folder converts faithfully."""
    kind = config["model_type"]
    if kind == "gpt_neox":
        return ["rotary_emb_base"] if config.get("rotary_emb_base", 10000) != 10000 else []
    L, d, H = config["num_hidden_layers"], config["hidden_size"], config["num_attention_heads"]
    dh = config.get("head_dim", 256)
    out = []
    if kind == "gemma2" and config.get("rope_theta", 10000.0) != 10000.0:
        return ["rope_theta"]  # refused before the rest is looked at
    if kind == "gemma2" and (config.get("attn_logit_softcapping", 50.0) is None
                             or config.get("final_logit_softcapping", 30.0) is None):
        out.append("softcapping")
    if kind == "gemma3_text" and config.get("attn_logit_softcapping") is not None:
        out.append("attn_logit_softcapping")
    scale_dim = d // H if L == (46 if kind == "gemma2" else 62) else dh
    if config.get("query_pre_attn_scalar", 256) != scale_dim:
        out.append("query_pre_attn_scalar")
    # Hugging Face's sliding layers vs llama.cpp's (gemma2: even layers; gemma3: every one but each sixth)
    every = 2 if kind == "gemma2" else config.get("sliding_window_pattern") or 6
    hf = [t == "sliding_attention" for t in config["layer_types"]] if config.get("layer_types") else \
        [(i + 1) % every != 0 for i in range(L)]
    cpp = [(i + 1) % (2 if kind == "gemma2" else 6) != 0 for i in range(L)]
    if kind == "gemma3_text" and config.get("sliding_window_pattern") == 1:
        cpp = [False] * L  # no sliding_window key: llama.cpp slides nowhere
    if hf != cpp:
        out.append("sliding layers")
    if kind == "gemma3_text" and any(hf) and config.get("rope_local_base_freq", 10000.0) != 10000.0:
        out.append("rope_local_base_freq")
    return out


def neox_gemma_expected(case, config, folder):
    """The metadata a converted gpt_neox / gemma2 / gemma3_text test folder must hold, in the converter's order:
    [(key, value)] (floats as float32 reads them back)."""
    f = lambda v: float(np.float32(v))
    kind, arch = config["model_type"], NEOX_GEMMA_MODEL_TYPES[config["model_type"]]
    p = arch + "."
    d, H, L = config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"]
    head = [("general.architecture", arch), ("general.type", "model"), ("general.name", case)]
    if kind == "gpt_neox":
        body = [(p + "context_length", config["max_position_embeddings"]), (p + "embedding_length", d),
                (p + "block_count", L), (p + "feed_forward_length", config["intermediate_size"]),
                (p + "rope.dimension_count", int(d // H * config["rotary_pct"])), (p + "attention.head_count", H),
                (p + "use_parallel_residual", config.get("use_parallel_residual", True)),
                (p + "attention.layer_norm_epsilon", f(config["layer_norm_eps"]))]
    elif kind == "gemma2":
        dh = config["head_dim"]
        body = [(p + "context_length", config["max_position_embeddings"]), (p + "embedding_length", d),
                (p + "block_count", L), (p + "feed_forward_length", config["intermediate_size"]),
                (p + "attention.head_count", H), (p + "attention.head_count_kv", config["num_key_value_heads"]),
                (p + "attention.layer_norm_rms_epsilon", f(config["rms_norm_eps"])), (p + "attention.key_length", dh),
                (p + "attention.value_length", dh), ("general.file_type", 0),
                (p + "attn_logit_softcapping", f(config["attn_logit_softcapping"])),
                (p + "final_logit_softcapping", f(config["final_logit_softcapping"])),
                (p + "attention.sliding_window", config["sliding_window"])]
    else:
        dh, rope = config["head_dim"], config.get("rope_scaling") or {}
        body = [(p + "block_count", L), (p + "context_length", config["max_position_embeddings"]),
                (p + "embedding_length", d), (p + "feed_forward_length", config["intermediate_size"]),
                (p + "attention.head_count", H), (p + "attention.head_count_kv", config["num_key_value_heads"])]
        if rope.get("rope_type") == "linear":
            body += [(p + "rope.scaling.type", "linear"), (p + "rope.scaling.factor", f(rope["factor"]))]
        body += [(p + "rope.freq_base", f(config["rope_theta"])),
                 (p + "rope.freq_base_swa", f(config.get("rope_local_base_freq", 10000.0))),
                 (p + "attention.layer_norm_rms_epsilon", f(config["rms_norm_eps"])), (p + "attention.key_length", dh),
                 (p + "attention.value_length", dh), ("general.file_type", 0)]
        if config.get("final_logit_softcapping"):
            body.append((p + "final_logit_softcapping", f(config["final_logit_softcapping"])))
        if config.get("sliding_window_pattern") != 1:
            body.append((p + "attention.sliding_window", config["sliding_window"]))
    vocab = read_json(folder, "vocab.json")
    with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as fh:
        merges = [line for line in fh.read().split("\n") if line and not line.startswith("#")]
    by_id = sorted(vocab, key=vocab.get)
    tok = [("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", "gpt-2"), ("tokenizer.ggml.tokens", by_id),
           ("tokenizer.ggml.token_type", [1] * len(by_id)), ("tokenizer.ggml.merges", merges)]
    return head + body + [("general.quantization_version", 2)] + tok


def neox_gemma_expected_tensors(config, hf):
    """{GGUF name: (Hugging Face name, array the file must hold)} and the Hugging Face names in the file's order,
    worked out apart from the converter: gpt_neox's query_key_value rows regrouped by index arithmetic (new row
    part * d + head * dh + i <- old row head * 3 dh + part * dh + i), the Gemmas' "*norm.weight" as float32(w + 1)."""
    kind = config["model_type"]
    out = {}
    if kind == "gpt_neox":
        d, H = config["hidden_size"], config["num_attention_heads"]
        dh = d // H
        src = [((r % d) // dh) * 3 * dh + (r // d) * dh + r % dh for r in range(3 * d)]
        layer = {"input_layernorm": "attn_norm", "attention.query_key_value": "attn_qkv",
                 "attention.dense": "attn_output", "post_attention_layernorm": "ffn_norm", "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down"}
        for n, a in hf.items():
            m = re.fullmatch(r"gpt_neox\.layers\.(\d+)\.(.+)\.(weight|bias)", n)
            if m:
                g = "blk.%s.%s.%s" % (m.group(1), layer[m.group(2)], m.group(3))
                a = a[src] if m.group(2) == "attention.query_key_value" else a
            else:
                g = {"gpt_neox.embed_in.weight": "token_embd.weight", "embed_out.weight": "output.weight",
                     "gpt_neox.final_layer_norm.weight": "output_norm.weight",
                     "gpt_neox.final_layer_norm.bias": "output_norm.bias"}[n]
            out[g] = (n, a)
    else:
        layer = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
                 "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
                 "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "post_attention_norm",
                 "pre_feedforward_layernorm": "ffn_norm", "post_feedforward_layernorm": "post_ffw_norm",
                 "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
        for n, a in hf.items():
            if n == "lm_head.weight" and kind == "gemma2":
                continue
            m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)\.weight", n)
            g = "blk.%s.%s.weight" % (m.group(1), layer[m.group(2)]) if m else \
                {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
                 "lm_head.weight": "output.weight"}[n]
            if n.endswith("norm.weight"):
                a = (a.astype(np.float64) + 1).astype(np.float32)
            out[g] = (n, a)
    return out


def neox_gemma_back(config, V):
    """The file's tensors (float64) back under Hugging Face's names and layout, for make_reference's forward passes:
    gpt_neox's qkv rows regrouped per head again, the Gemmas' norms minus 1 (exact in float64)."""
    W = {}
    if config["model_type"] == "gpt_neox":
        d, H = config["hidden_size"], config["num_attention_heads"]
        dh = d // H
        W["gpt_neox.embed_in.weight"], W["embed_out.weight"] = V["token_embd.weight"], V["output.weight"]
        W["gpt_neox.final_layer_norm.weight"] = V["output_norm.weight"]
        W["gpt_neox.final_layer_norm.bias"] = V["output_norm.bias"]
        for l in range(config["num_hidden_layers"]):
            b, g = "gpt_neox.layers.%d." % l, "blk.%d." % l
            for h, n in (("input_layernorm", "attn_norm"), ("attention.query_key_value", "attn_qkv"),
                         ("attention.dense", "attn_output"), ("post_attention_layernorm", "ffn_norm"),
                         ("mlp.dense_h_to_4h", "ffn_up"), ("mlp.dense_4h_to_h", "ffn_down")):
                for s in ("weight", "bias"):
                    a = V[g + n + "." + s]
                    if n == "attn_qkv":  # [q; k; v] of d rows each -> per head [q; k; v]
                        a = np.concatenate([a[part * d + h_ * dh: part * d + (h_ + 1) * dh] for h_ in range(H)
                                            for part in range(3)])
                    W[b + h + "." + s] = a
        return W
    W["model.embed_tokens.weight"], W["model.norm.weight"] = V["token_embd.weight"], V["output_norm.weight"] - 1
    if "output.weight" in V:
        W["lm_head.weight"] = V["output.weight"]
    for l in range(config["num_hidden_layers"]):
        b, g = "model.layers.%d." % l, "blk.%d." % l
        for h, n in (("input_layernorm", "attn_norm"), ("post_attention_layernorm", "post_attention_norm"),
                     ("pre_feedforward_layernorm", "ffn_norm"), ("post_feedforward_layernorm", "post_ffw_norm"),
                     ("self_attn.q_norm", "attn_q_norm"), ("self_attn.k_norm", "attn_k_norm")):
            if g + n + ".weight" in V:
                W[b + h + ".weight"] = V[g + n + ".weight"] - 1
        for h, n in (("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"), ("self_attn.v_proj", "attn_v"),
                     ("self_attn.o_proj", "attn_output"), ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"),
                     ("mlp.down_proj", "ffn_down")):
            W[b + h + ".weight"] = V[g + n + ".weight"]
    return W


def neox_gemma_file_checks(check, label, folder, path, config, md, case_name, forward=None, expected=None):
    """One converted gpt_neox / gemma2 / gemma3_text folder: tensors (names, F32, dims, values, order), metadata (every
    key, value and type, in the converter's order), tokenizer; with forward, make_reference's forward over the tensors
    read back = expected."""
    hf = read_checkpoint(folder)
    want = neox_gemma_expected_tensors(config, hf)
    g = read_back_tensors(check, label, path, md, {h: a for h, a in want.values()},
                          [(g_, h, False) for g_, (h, _) in want.items()])
    check(set(g.tensors) == set(want),
          "%-29s ... every tensor as worked out here: %s" % (label, "the norms stored as float32(w + 1)"
                                                              if config["model_type"] != "gpt_neox" else
                                                              "attn_qkv rows (and bias) regrouped [q; k; v]"))
    m = [(k, v) for k, (_, v) in g.metadata.items()]
    exp = neox_gemma_expected(case_name, config, folder)
    types = {k: t for k, (t, _) in g.metadata.items()}
    bools = [k for k, _ in exp if isinstance(dict(exp)[k], bool)]
    check(m == exp and all(types[k] == "bool" for k in bools),
          "%-29s %d metadata keys, values and order as the converter writes them%s" % (
              label, len(m), "" if m == exp else "; differ: %s; order %s" % (
                  sorted(k for k in set(dict(m)) | set(dict(exp)) if dict(m).get(k) != dict(exp).get(k)),
                  [k for k, _ in m] == [k for k, _ in exp])))
    if forward is not None:
        V = gguf_arrays(g)
        W = neox_gemma_back(config, V)
        exact = all(np.array_equal(W[n], hf[n]) for n in hf if n in W)
        worst = forward_difference(lambda: forward(W, config, expected["ids"]), expected, False)
        check(worst < (1e-9 if exact else 1e-6),
              "%-29s make_reference's forward over the tensors read back (names, qkv order and + 1 undone; %s) = "
              "expected.json within %.1e" % (label, "every tensor back exactly" if exact else
                                             "w + 1 rounded to float32 in the file", worst))
    return g


def neox_gemma_convert_checks(check, out, make_reference):
    """make_reference.py's gpt_neox / gemma2 / gemma3_text checkpoints (written into out/hf_reference by
    llama_family_convert_checks): the ones llama.cpp represents converted and checked, the others refused for the
    reasons worked out here; then variants made from them (converted and refused)."""
    import shutil
    print("--convert-hf on make_reference.py's gpt_neox, gemma2 and gemma3_text checkpoints:")
    hf_dir = os.path.join(out, "hf_reference")
    forwards = {"gpt_neox": make_reference.gpt_neox_forward}
    if hasattr(make_reference, "gemma2_forward"):
        forwards.update(gemma2=make_reference.gemma2_forward, gemma3_text=make_reference.gemma2_forward)
    done, refused = [], []
    for case in make_reference.CASES:
        folder = os.path.join(hf_dir, case)
        config = read_json(folder, "config.json") or {}
        if config.get("model_type") not in NEOX_GEMMA_MODEL_TYPES:
            continue
        path = os.path.join(out, "neox_gemma", case + ".gguf")
        reasons = llama_cpp_disagreements(config)
        try:
            arch, md, _, _ = convert_hf(folder, path)
        except ConvertError as e:
            msg = str(e)
            check(reasons and all(r in msg for r in reasons) and not os.path.exists(path),
                  "%-29s refused (%s expected): %s" % (case, ", ".join(reasons) or "nothing",
                                                       msg.replace(folder, "<folder>")))
            refused.append(case)
            continue
        check(not reasons and arch == NEOX_GEMMA_MODEL_TYPES[config["model_type"]],
              "%-29s converted as %s (llama.cpp's assumptions hold for it)" % (case, arch))
        neox_gemma_file_checks(check, case, folder, path, config, md, case, forwards.get(config["model_type"]),
                               read_json(folder, "expected.json"))
        done.append(case)
    print("converted and verified: %s; refused: %s" % (" ".join(done) or "none", " ".join(refused) or "none"))

    def variant(source, label, change=None, tensors=None):
        folder = os.path.join(out, "neox_gemma_variants", label)
        if not os.path.isdir(os.path.join(hf_dir, source)):
            return None
        shutil.copytree(os.path.join(hf_dir, source), folder)
        config = read_json(folder, "config.json")
        if change:
            change(config)
        with open(os.path.join(folder, "config.json"), "w") as fh:
            json.dump(config, fh)
        if tensors:
            hf = read_checkpoint(folder)
            hf = tensors(hf)
            write_safetensors(os.path.join(folder, "model.safetensors"),
                              {n: ("F32", a.astype(np.float32)) for n, a in hf.items()})
        return folder

    print("--convert-hf on variants of them (what the test folders leave out):")
    converts = [("gpt_neox_f16_sequential", "neox sequential, base 10000", lambda c: c.update(rotary_emb_base=10000)),
                ("gemma2_f32_window3_softcap", "gemma2 scalar = head_dim", lambda c: c.update(query_pre_attn_scalar=16)),
                ("gemma3_bf16_as_released", "gemma3 pattern 1, no window",
                 lambda c: (c.pop("layer_types"), c.update(sliding_window_pattern=1)))]
    for source, label, change in converts:
        folder = variant(source, label, change)
        if folder is None:
            print("  skip  %s: no %s" % (label, source))
            continue
        path = folder + ".gguf"
        config = read_json(folder, "config.json")
        try:
            arch, md, _, _ = convert_hf(folder, path)
        except ConvertError as e:
            check(False, "%-29s converted: %s" % (label, e))
            continue
        g = neox_gemma_file_checks(check, label, folder, path, config, md, label)
        mm = {k: v for k, (_, v) in g.metadata.items()}
        if config["model_type"] == "gpt_neox":
            check(mm["gptneox.use_parallel_residual"] is False and "gptneox.rope.freq_base" not in mm
                  and "general.file_type" not in mm,
                  "%-29s use_parallel_residual false; no rope.freq_base, no general.file_type (GPTNeoXModel writes "
                  "neither)" % label)
        elif config["model_type"] == "gemma3_text":
            check("gemma3.attention.sliding_window" not in mm and mm["gemma3.rope.freq_base_swa"] == 10000.0,
                  "%-29s sliding_window_pattern 1: no attention.sliding_window (llama.cpp: no sliding layer), "
                  "rope.freq_base_swa still written" % label)

    # Gemma3ForConditionalGeneration: the text model of a multimodal checkpoint = the text-only conversion
    source = os.path.join(hf_dir, "gemma3_bf16_as_released")
    if os.path.isdir(source):
        folder = os.path.join(out, "neox_gemma_variants", "gemma3 multimodal")
        shutil.copytree(source, folder)
        text = read_json(source, "config.json")
        text.pop("architectures")
        with open(os.path.join(folder, "config.json"), "w") as fh:
            json.dump({"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                       "text_config": text, "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 4}}, fh)
        hf = read_checkpoint(source)
        W = {n.replace("model.", "model.language_model.", 1): ("F32", a) for n, a in hf.items()}
        W["model.vision_tower.vision_model.post_layernorm.weight"] = ("F32", np.ones(4))
        W["model.multi_modal_projector.mm_soft_emb_norm.weight"] = ("F32", np.zeros(4))
        W["multi_modal_projector.mm_input_projection_weight"] = ("F32", np.zeros((4, 4)))
        write_safetensors(os.path.join(folder, "model.safetensors"), W)
        a_text, md_text, conv_text, _ = convert_hf(source, os.path.join(out, "neox_gemma_variants", "text.gguf"))
        a_mm, md_mm, conv_mm, _ = convert_hf(folder, folder + ".gguf")
        same_t = [g for g, _, _ in conv_mm] == [g for g, _, _ in conv_text] and all(
            np.array_equal(x, y) for (_, _, x), (_, _, y) in zip(conv_mm, conv_text))
        same_m = [(k, t, v) for k, t, v in md_mm if k != "general.name"] == \
            [(k, t, v) for k, t, v in md_text if k != "general.name"]
        check(a_mm == "gemma3" and same_t and same_m,
              "%-29s Gemma3ForConditionalGeneration (text_config, model.language_model.*, vision tensors): the text "
              "model's tensors and metadata = the text-only file's" % "gemma3 multimodal")

    # gemma3 with an lm_head stored: written as output.weight (GEMMA3 has OUTPUT; gemma2 drops it)
    folder = variant("gemma3_bf16_as_released", "gemma3 lm_head stored", lambda c: c.update(tie_word_embeddings=False),
                     lambda hf: dict(hf, **{"lm_head.weight": hf["model.embed_tokens.weight"][:, ::-1].copy()}))
    if folder:
        _, _, conv, _ = convert_hf(folder, folder + ".gguf")
        check([g for g, h, _ in conv if h == "lm_head.weight"] == ["output.weight"],
              "%-29s lm_head.weight -> output.weight" % "gemma3 lm_head stored")
    folder = variant("gemma2_bf16_layer_types", "gemma2 lm_head stored", None,
                     lambda hf: dict(hf, **{"lm_head.weight": hf["model.embed_tokens.weight"]}))
    if folder:
        _, _, conv, _ = convert_hf(folder, folder + ".gguf")
        check("output.weight" not in [g for g, _, _ in conv], "%-29s lm_head.weight dropped" % "gemma2 lm_head stored")

    # llama.cpp's 27B exception to the score scale
    hp = {"L": 46, "d": 4608, "H": 32, "dh": 128}
    base = {"num_hidden_layers": 46, "sliding_window": 4096, "attn_logit_softcapping": 50.0,
            "final_logit_softcapping": 30.0}
    ok_27b = gemma_sliding_hparams("gemma2", dict(base, query_pre_attn_scalar=144), hp, None, "27b") is not None
    try:
        gemma_sliding_hparams("gemma2", dict(base, query_pre_attn_scalar=128), hp, None, "27b")
        refused_128 = False
    except ConvertError:
        refused_128 = True
    check(ok_27b and refused_128, "gemma2 46 layers (27B): query_pre_attn_scalar 144 = n_embd / n_head accepted, 128 = "
          "head_dim refused (llama.cpp's 27B rule)")

    refusals = [
        ("gpt_neox_f32_parallel", "neox rope_scaling", lambda c: c.update(rope_scaling={"type": "linear", "factor": 2.0}),
         None, "rope_scaling"),
        ("gpt_neox_f32_parallel", "neox relu", lambda c: c.update(hidden_act="relu"), None, "hidden_act"),
        ("gemma2_bf16_layer_types", "gemma2 rope_theta", lambda c: c.update(rope_theta=500000.0), None, "rope_theta"),
        ("gemma2_bf16_layer_types", "gemma2 rope_scaling", lambda c: c.update(rope_scaling={"rope_type": "linear",
                                                                                            "factor": 2.0}), None,
         "rope_scaling"),
        ("gemma2_bf16_layer_types", "gemma2 null softcap", lambda c: c.update(attn_logit_softcapping=None), None,
         "softcapping"),
        ("gemma2_bf16_layer_types", "gemma2 odd layers slide",
         lambda c: c.update(layer_types=["full_attention", "sliding_attention"]), None, "sliding layers"),
        ("gemma2_bf16_layer_types", "gemma2 bias", None,
         lambda hf: dict(hf, **{"model.layers.0.self_attn.q_proj.bias": np.zeros(48)}), "bias"),
        ("gemma3_bf16_as_released", "gemma3 local base", lambda c: c.update(rope_local_base_freq=20000.0), None,
         "rope_local_base_freq"),
        ("gemma3_bf16_as_released", "gemma3 pattern 2", lambda c: (c.pop("layer_types"),
                                                                   c.update(sliding_window_pattern=2)), None,
         "sliding layers"),
        ("gemma3_bf16_as_released", "gemma3 yarn", lambda c: c.update(rope_scaling={
            "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}), None, "yarn"),
        ("gemma3_bf16_as_released", "gemma3 scalar", lambda c: c.update(query_pre_attn_scalar=12), None,
         "query_pre_attn_scalar"),
        ("gemma3_bf16_as_released", "gemma3 attn softcap", lambda c: c.update(attn_logit_softcapping=50.0), None,
         "attn_logit_softcapping"),
        ("gemma3_bf16_as_released", "gemma3 short tokenizer.json", None, None, "would not load"),
    ]
    results = []
    for source, label, change, tensors, word in refusals:
        folder = variant(source, label, change, tensors)
        if folder is None:
            continue
        if label == "gemma3 short tokenizer.json":
            with open(os.path.join(folder, "tokenizer.json"), "w") as fh:
                json.dump({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []},
                           "added_tokens": [{"id": 2, "content": "<eos>", "special": True}]}, fh)
        try:
            convert_hf(folder, folder + ".gguf")
            results.append((label, word, None))
        except ConvertError as e:
            results.append((label, word, str(e).replace(folder, "<folder>")))
    bad = [(l, e) for l, w, e in results if e is None or w not in e or os.path.exists(os.path.join(
        out, "neox_gemma_variants", l + ".gguf"))]
    check(results and not bad, "%d variants refused with the reason named, no file written: %s%s" % (
        len(results), "; ".join("%s (%s)" % (l, e[:60]) for l, _, e in results if e),
        "" if not bad else "; NOT as expected: %s" % bad))
    return done

# ---------------------------------------------------------------- self-test


def scalar_dequantize(ttype, block):
    """A second dequantizer: ggml's dequantize_row_* loops for one block, literally, in float32."""
    f32 = np.float32
    b = [int(v) for v in block]
    half = lambda at: f32(f16_value(np.uint16(b[at] | (b[at + 1] << 8))))
    y = [f32(0)] * GGML_TYPES[ttype][1]
    if ttype == "Q8_0":
        d = half(0)
        for j in range(32):
            y[j] = f32((b[2 + j] - 256 if b[2 + j] > 127 else b[2 + j]) * d)
    elif ttype in ("Q4_0", "Q5_0"):
        d = half(0)
        qh = b[2] | (b[3] << 8) | (b[4] << 16) | (b[5] << 24)
        qs = b[2:18] if ttype == "Q4_0" else b[6:22]
        for j in range(16):
            if ttype == "Q4_0":
                x0, x1 = (qs[j] & 0x0F) - 8, (qs[j] >> 4) - 8
            else:
                x0 = ((qs[j] & 0x0F) | (((qh >> j) << 4) & 0x10)) - 16
                x1 = ((qs[j] >> 4) | ((qh >> (j + 12)) & 0x10)) - 16
            y[j], y[j + 16] = f32(x0 * d), f32(x1 * d)
    elif ttype in ("Q4_K", "Q5_K"):
        d, dmin, sc = half(0), half(2), b[4:16]

        def get_scale_min_k4(j):
            if j < 4:
                return sc[j] & 63, sc[j + 4] & 63
            return (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4), (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4)
        ql, qh = (b[16:144], None) if ttype == "Q4_K" else (b[48:176], b[16:48])
        at, u1, u2 = 0, 1, 2
        for c in range(4):
            s1, m1 = get_scale_min_k4(2 * c)
            s2, m2 = get_scale_min_k4(2 * c + 1)
            d1, mm1, d2, mm2 = f32(d * f32(s1)), f32(dmin * f32(m1)), f32(d * f32(s2)), f32(dmin * f32(m2))
            for l in range(32):
                lo, hi = ql[32 * c + l] & 0xF, ql[32 * c + l] >> 4
                if qh is not None:
                    lo += 16 if qh[l] & u1 else 0
                    hi += 16 if qh[l] & u2 else 0
                y[64 * c + l] = f32(f32(d1 * f32(lo)) - mm1)
                y[64 * c + 32 + l] = f32(f32(d2 * f32(hi)) - mm2)
            u1, u2 = u1 << 2, u2 << 2
    elif ttype == "Q6_K":
        d = half(208)
        sc = [v - 256 if v > 127 else v for v in b[192:208]]
        for n in range(2):
            ql, qh, s = b[64 * n:64 * n + 64], b[128 + 32 * n:160 + 32 * n], sc[8 * n:8 * n + 8]
            for l in range(32):
                i = l // 16
                q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32
                q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32
                q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
                q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
                for off, q, si in ((0, q1, i), (32, q2, i + 2), (64, q3, i + 4), (96, q4, i + 6)):
                    y[128 * n + l + off] = f32(f32(d * f32(s[si])) * f32(q))
    return np.array(y, dtype=np.float64)


# max |error| per block as a fraction of the block's largest |x|, and root-mean-square error as a
# fraction of the values' RMS. Q8_0, Q4_0, Q5_0: 1/254, 1/8, 1/16 plus the half rounding of d (the
# largest error is the one level clipped at the far end); K-quants: measured (0.070, 0.039, 0.016) + margin.
ROUND_TRIP_BOUNDS = {"Q8_0": (0.0043, 0.010), "Q4_0": (0.1251, 0.13), "Q5_0": (0.0626, 0.065),
                     "Q4_K": (0.085, 0.095), "Q5_K": (0.045, 0.050), "Q6_K": (0.022, 0.027)}

# sha256 of the bytes ggml's quantize_row_*_ref wrote for the self-test's input (ggml-quants.c at
# ggml-org/ggml d99724f2, built with -ffp-contract=off); the quantizers here wrote the same bytes.
GGML_REF_SHA256 = {
    "Q8_0": "1170001e53ea3806d069a2d406ecdf85c1219f24e549149e68b1e5a4a0574c0e",
    "Q4_0": "170e36f1e6cd062d327e12c050d7896eba768425d085f3a497005120b422ae79",
    "Q5_0": "ef70c20f48f662e98b55976458d90de55a54c554104d17babfa5ea6a4cc630b7",
    "Q4_K": "81d98c23536fb23c1a77cdabd19467a9908436f2d1ef4d1fb8befd8b63597e2a",
    "Q5_K": "f5dfcdcf004d679c476616885878ee4c8cf062b1cb6723c0d50d5b0dff529a3e",
    "Q6_K": "52c240db47aec35de6cd4c82eb6dc757533b8f09af06253303792219ae804993",
}


def tokenizer_checks(check, maker):
    print("GPT-2 byte-level BPE and BERT WordPiece on TEXT (%r):" % TEXT)
    gpt2, bert = maker.models["gpt2"], maker.models["bert"]
    check(gpt2_pretokenize(TEXT) == ["i", " took", " the", " money", " to", " the", " bank", ".", " café"]
          and gpt2_pretokenize("it's  a\n b 12") == ["it", "'s", " ", " a", "\n", " b", " 12"],
          "GPT-2 pre-tokenizer: letter runs with one leading space, é a letter; 's, a space left before a word")
    alphabet = dict(bytes_to_unicode())
    check(len(set(alphabet.values())) == 256 and alphabet[ord(" ")] == "Ġ" and alphabet[0xC3] == "Ã"
          and alphabet[0xA9] == "©" and [c for _, c in bytes_to_unicode()][:3] == ["!", "\"", "#"]
          and gpt2.tokens[220] == "Ġ", "bytes_to_unicode: 256 symbols, space -> Ġ (id 220 as in GPT-2), é -> Ã ©")
    pieces = [gpt2.tokens[i] for i in gpt2.ids]
    check(pieces == ["i", "Ġtook", "Ġthe", "Ġmoney", "Ġto", "Ġthe", "Ġbank", ".", "Ġcaf", "Ã", "©"]
          and gpt2_decode(gpt2.tokens, gpt2.ids) == TEXT,
          "gpt2 ids %s: %s, decode back to TEXT" % (gpt2.ids, " ".join(pieces)))
    ranks = {tuple(m.split(" ")): r for r, m in enumerate(gpt2.merges)}
    worst_first = {p: -r for p, r in ranks.items()}
    check(bpe(list("Ġbank"), ranks) == ["Ġbank"] and bpe(list("Ġbank"), worst_first) == ["Ġb", "an", "k"]
          and bpe(list("money"), ranks) == ["m", "on", "ey"],
          "merge ranks matter: ' bank' -> Ġbank lowest rank first, Ġb an k highest first; 'money' -> m on ey")
    pieces = [bert.tokens[i] for i in bert.ids]
    check(pieces == ["[CLS]", "▁i", "▁took", "▁the", "▁money", "▁to", "▁the", "▁bank", "▁.", "▁caf", "e", "[SEP]"]
          and "▁cafe" not in bert.tokens and bert_decode(bert.tokens, bert.ids) == "i took the money to the bank . cafe",
          "bert ids %s: %s (no ▁cafe), decode to the normalized text" % (bert.ids, " ".join(pieces)))
    vocab = {t: i for i, t in enumerate(bert_wordpiece_vocabulary())}
    check(wordpiece("cafe", vocab) == ["caf", "##e"] and wordpiece("banks", vocab) == ["bank", "##s"]
          and wordpiece("x1", vocab) == ["[UNK]"] and bert_basic_tokenize("Café, OK!") == ["cafe", ",", "ok", "!"]
          and all(phantom(unphantom(t)) == t for t in bert.tokens),
          "WordPiece: longest match first, ## continuations, [UNK] for a word it cannot split; lower + strip accents")


def hf_forward_checks(check, results, make_reference):
    """The gpt2 and bert forward passes against make_reference.py's (loops, Hugging Face names), on the same
    weights: the Hugging Face tensors recovered from each file's dequantized values."""
    print("the gpt2 / bert forward passes agree with make_reference.py's gpt2_forward / bert_forward:")
    for case, r in results.items():
        e = r["expected"]
        if e["architecture"] == "gpt2":
            hf = hf_from_file(r["values"], gpt2_names("output.weight" in r["values"]))
            W = dict(hf)
            if "lm_head.weight" in hf:  # gpt2_forward's head is always wte: stack output.weight under it (the ids
                W["wte.weight"] = np.concatenate([hf["wte.weight"], hf["lm_head.weight"]])  # index the top half)
            cfg = {"n_embd": D_MODEL, "n_head": N_HEADS, "n_layer": N_LAYERS, "layer_norm_epsilon": GPT2_EPS}
            layers, logits = make_reference.gpt2_forward(W, "", cfg, e["ids"])
            logits = logits[:, -e["vocab_size"]:]
        elif e["architecture"] == "bert":
            hf = hf_from_file(r["values"], bert_names())
            cfg = {"hidden_size": D_MODEL, "num_attention_heads": N_HEADS, "num_hidden_layers": N_LAYERS,
                   "layer_norm_eps": BERT_EPS}
            layers, logits = make_reference.bert_forward(hf, "", cfg, e["ids"], False)
        else:
            continue
        worst = 0.0 if logits is None else float(np.max(np.abs(logits[-1] - np.array(e["logits_last"]))))
        for l, heads in enumerate(layers):
            for h, ref in enumerate(heads):
                mine = r["layers"][l][h]
                for f in ("q", "k", "v", "scores", "weights"):
                    a, b = mine[f], ref[f]
                    same_mask = np.array_equal(np.isinf(a), np.isinf(b))
                    worst = max(worst, float(np.max(np.abs(np.where(np.isinf(a), 0, a) - np.where(np.isinf(b), 0, b))))
                                if same_mask else math.inf)
        check(worst < 1e-9, "%-17s q, k, v, scores, weights%s: max |difference| %.1e"
              % (case, "" if logits is None else ", logits_last", worst))


def weight_checks(check, results, maker):
    """The F32 files give back the generated Hugging Face weights exactly (Conv1D transposed back), and every
    new case's attention is far from uniform with nothing overflowing."""
    print("the gpt2 / bert files hold the Hugging Face weights; scores and activations in range:")
    for case, r in results.items():
        arch, e = r["expected"]["architecture"], r["expected"]
        if arch == "llama":
            continue
        model = maker.models[arch]
        names = gpt2_names("output.weight" in r["values"]) if arch == "gpt2" else bert_names()
        if e["weight_type"] == "F32":
            hf = hf_from_file(r["values"], names)
            same = all(np.array_equal(hf[h], model.W[h].astype(np.float64)) for _, h, _, _ in names)
            qkv = r["values"]["blk.0.attn_qkv.weight"] if arch == "gpt2" else None
            shape_ok = qkv is None or (qkv.shape == (3 * D_MODEL, D_MODEL) and np.array_equal(qkv[D_MODEL], model.W[
                "h.0.attn.c_attn.weight"][:, D_MODEL]))  # row D_MODEL of the file: the first K column of c_attn
            check(same and shape_ok, "%-17s %d tensors read back equal the generated ones in Hugging Face layout%s"
                  % (case, len(names), " (attn_qkv 768 x 256: row 256 = c_attn's column 256)" if qkv is not None else ""))
        if "output.weight" in r["values"]:  # a copy of token_embd but for the blocks each scrambled on its own
            out, emb = r["values"]["output.weight"], r["values"]["token_embd.weight"]
            differ = int(np.sum(np.any((out != emb).reshape(-1, 32), axis=1)))
            hidden = np.linalg.lstsq(out, r["logits"][-1], rcond=None)[0]  # the last position's normed state
            other = float(np.max(np.abs(hidden @ emb.T - r["logits"][-1])))
            check(0 < differ < 0.1 * out.size / 32 and other > 0.1,
                  "%-17s output.weight = token_embd but in %d of %d blocks; the logits through token_embd would "
                  "differ by up to %.2f" % (case, differ, out.size // 32, other))
        scores = np.concatenate([h["scores"][np.isfinite(h["scores"])] for heads in r["layers"] for h in heads])
        top = np.mean([h["weights"].max(1).mean() for heads in r["layers"] for h in heads])
        finite = all(np.all(np.isfinite(h[f])) for heads in r["layers"] for h in heads for f in ("q", "k", "v", "weights"))
        finite = finite and (r["logits"] is None or np.all(np.isfinite(r["logits"])))
        check(1.5 < scores.std() < 4 and top > 0.3 and finite,
              "%-17s scores std %.2f, mean largest weight per row %.2f (uniform: %.2f), all finite"
              % (case, scores.std(), top, 1 / len(e["ids"])))


def self_test(out, results, maker):
    failures = []

    def check(ok, what):
        print(("  ok    " if ok else "  FAIL  ") + what)
        if not ok:
            failures.append(what)

    rng = np.random.default_rng(7)
    x = (rng.standard_normal((64, 512)) * np.where(rng.random((64, 512)) < 0.02, 5.0, 1.0)).astype(np.float32)
    x[3] = 0.0  # an all-zero row
    x[5, :256] = np.abs(x[5, :256]) + 0.5  # all positive: a min > 0
    x[6, :] = 0.125  # constant
    print("quantize -> dequantize round trip (64 x 512, normal with outliers, a zero, a positive and a constant row):")
    for t in QUANTIZED:
        raw = encode(t, x)
        y = decode(t, raw.tobytes(), [512, 64])
        blk = GGML_TYPES[t][1]
        err = np.abs(y - x).reshape(-1, blk).max(1)
        amax = np.abs(x.astype(np.float64)).reshape(-1, blk).max(1)
        worst = float(np.max(err / np.where(amax > 0, amax, 1)))
        rms = float(np.sqrt(((y - x) ** 2).mean() / (x.astype(np.float64) ** 2).mean()))
        bmax, brms = ROUND_TRIP_BOUNDS[t]
        check(worst <= bmax and rms <= brms and np.all(y[3] == 0),
              "%-5s max |err| / block max %.4f (bound %.4f), rms err / rms %.4f (bound %.3f), zero row exact"
              % (t, worst, bmax, rms, brms))
    q8 = decode("Q8_0", encode("Q8_0", x).tobytes(), [512, 64])
    d = np.abs(x.astype(np.float64)).reshape(-1, 32).max(1) / 127
    check(np.all(np.abs(q8 - x).reshape(-1, 32).max(1) <= d * (0.5 + 127 * 2.0 ** -11) + 1e-12),
          "Q8_0 |err| <= d/2 + 127 * |d - fp16(d)| in every block")
    q40 = decode("Q4_0", encode("Q4_0", x).tobytes(), [512, 64])
    am = np.abs(x.astype(np.float64)).reshape(-1, 32).max(1)
    check(np.all(np.abs(q40 - x).reshape(-1, 32).max(1) <= am / 8 * (1 + 2.0 ** -10) + 1e-12),
          "Q4_0 |err| <= max|x|/8 in every block (the one level past -8 d is clipped)")

    print("the quantizers write the bytes ggml's reference quantizers wrote for the same input:")
    for t in QUANTIZED:
        check(hashlib.sha256(encode(t, x).tobytes()).hexdigest() == GGML_REF_SHA256[t], "%-5s sha256 matches" % t)

    print("two dequantizers agree (vectorized from the layouts vs ggml's loops one block at a time):")
    for t in QUANTIZED:
        size = GGML_TYPES[t][2]
        raw = encode(t, x[:8]).reshape(-1, size)
        rnd = rng.integers(0, 256, (6, size), dtype=np.uint8)  # random halves may be inf or NaN here
        blocks = np.concatenate([raw, rnd])
        with np.errstate(invalid="ignore", over="ignore"):
            fast = DEQUANTIZERS[t](blocks)
            slow = np.stack([scalar_dequantize(t, b) for b in blocks])
        finite = np.isfinite(slow)
        check(np.array_equal(fast[finite], slow[finite]) and np.array_equal(np.isfinite(fast), finite),
              "%-5s %d quantized + 6 random-byte blocks: identical values" % (t, raw.shape[0]))

    print("permute / unpermute and RoPE:")
    w = rng.standard_normal((N_HEADS * D_HEAD, 8))
    check(np.array_equal(unpermute(permute(w, N_HEADS), N_HEADS), w) and
          np.array_equal(permute(unpermute(w, N_KV), N_KV), w), "unpermute(permute(W)) == W and the reverse")
    p = permute(np.arange(2 * D_HEAD, dtype=float)[:, None], 2)[:, 0]
    check(list(p[:4]) == [0, 32, 1, 33] and list(p[64:66]) == [64, 96],
          "permute puts HF row i at 2i and row i + d_head/2 at 2i + 1 within each head")
    xq = rng.standard_normal((12, D_MODEL))
    wq = rng.standard_normal((N_HEADS * D_HEAD, D_MODEL))
    hf = rope_rotate_half(xq @ wq.T, N_HEADS, D_HEAD, FREQ_BASE)
    cpp = rope_adjacent(xq @ permute(wq, N_HEADS).T, N_HEADS, D_HEAD, FREQ_BASE)
    check(np.allclose(unpermute(cpp.T, N_HEADS).T, hf, atol=1e-12, rtol=0),
          "adjacent-pair RoPE on permuted rows == rotate_half RoPE on HF rows (then unpermuted)")

    tokenizer_checks(check, maker)

    print("the forward pass agrees with make_reference.py's llama_forward (loops, HF names and layout):")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hf_reference"))
    import make_reference
    for case in ("llama_f32_untied", "llama_f32_tied", "llama_q4_k_m"):
        V, e = results[case]["values"], results[case]["expected"]
        hf = {"model.embed_tokens.weight": V["token_embd.weight"], "model.norm.weight": V["output_norm.weight"][0]}
        if "output.weight" in V:
            hf["lm_head.weight"] = V["output.weight"]
        for l in range(N_LAYERS):
            b, g = "model.layers.%d." % l, lambda n: V["blk.%d.%s.weight" % (l, n)]
            hf.update({b + "input_layernorm.weight": g("attn_norm")[0], b + "post_attention_layernorm.weight": g("ffn_norm")[0],
                       b + "self_attn.q_proj.weight": unpermute(g("attn_q"), N_HEADS),
                       b + "self_attn.k_proj.weight": unpermute(g("attn_k"), N_KV),
                       b + "self_attn.v_proj.weight": g("attn_v"), b + "self_attn.o_proj.weight": g("attn_output"),
                       b + "mlp.gate_proj.weight": g("ffn_gate"), b + "mlp.up_proj.weight": g("ffn_up"),
                       b + "mlp.down_proj.weight": g("ffn_down")})
        cfg = {"num_attention_heads": N_HEADS, "num_key_value_heads": N_KV, "head_dim": D_HEAD, "rms_norm_eps": RMS_EPS,
               "rope_theta": FREQ_BASE, "num_hidden_layers": N_LAYERS}
        layers, logits = make_reference.llama_forward(hf, cfg, e["ids"])
        worst = float(np.max(np.abs(logits[-1] - np.array(e["logits_last"]))))
        for l, heads in enumerate(layers):
            for h, ref in enumerate(heads):
                mine = e["layers"][l]["heads"][h]
                for f in ("q", "k", "v", "weights"):
                    worst = max(worst, float(np.max(np.abs(np.array(mine[f]) - ref[f]))))
        check(worst < 1e-9, "%-17s q, k, v, weights, logits_last: max |difference| %.1e" % (case, worst))
    hf_forward_checks(check, results, make_reference)
    weight_checks(check, results, maker)

    print("the files parse back with the reader here:")
    for case, r in results.items():
        path = os.path.join(out, case, "model.gguf")
        g = GGUFReader(path)
        ok = g.version == 3 and g.alignment == ALIGNMENT and g.data_start % ALIGNMENT == 0
        ok = ok and g.metadata == {k: (vt, v if vt != "float32" and vt != "array:float32" else
                                       (float(np.float32(v)) if vt == "float32" else [float(np.float32(s)) for s in v]))
                                   for k, vt, v in r["metadata"]}
        ok = ok and list(g.tensors) == [t[0] for t in r["tensors"]]
        end = 0
        for name, ttype, dims, data in r["tensors"]:
            gt, gd, off = g.tensors[name]
            ok = ok and gt == ttype and gd == dims and off % ALIGNMENT == 0 and g.tensor_bytes(name) == data
            ok = ok and np.array_equal(decode(gt, g.tensor_bytes(name), gd), r["values"][name])
            end = max(end, off + align(len(data)))
        ok = ok and len(g.buf) == g.data_start + end
        tokens = g.metadata["tokenizer.ggml.tokens"][1]
        e = r["expected"]
        model = maker.models[e["architecture"]]
        ok = ok and model.decode(tokens, e["ids"]) == model.decoded_text and len(tokens) == e["vocab_size"]
        ok = ok and g.metadata["general.architecture"][1] == e["architecture"]
        if e["architecture"] == "gpt2":  # the file's own tokens and merges give the ids
            ok = ok and gpt2_tokenize(tokens, g.metadata["tokenizer.ggml.merges"][1], TEXT) == e["ids"]
        if e["architecture"] == "bert":  # the file's tokens, spelt back with "##", give the ids
            ok = ok and bert_tokenize([unphantom(t) for t in tokens], TEXT) == e["ids"]
        ok = ok and ("logits_last" in e) == (e["architecture"] != "bert")
        for layer in e["layers"]:
            for h in layer["heads"]:
                wts = np.array(h["weights"])
                ok = ok and np.allclose(wts.sum(1), 1) and (np.all(np.triu(wts, 1) == 0) if e["causal"] else
                                                            np.all(wts > 0))
        types = sorted(set(t[1] for t in r["tensors"]))
        check(ok, "%-17s %8d bytes, %2d tensors (%s), metadata, offsets, bytes, values, softmax rows"
              % (case, len(g.buf), len(g.tensors), "/".join(types)))
    with tempfile.TemporaryDirectory() as converted:  # not into OUT_DIR: that holds the cases only
        shared_convert_checks(check, converted)
        synthetic_convert_checks(check, converted)
        llama_family_convert_checks(check, converted, make_reference)
        neox_gemma_convert_checks(check, converted, make_reference)
    return failures


def main(argv):
    args = argv[1:]
    if args and args[0] == "--convert-hf":
        if len(args) != 3 or any(a.startswith("-") for a in args[1:]):
            print(__doc__, file=sys.stderr)
            return 2
        return convert_hf_main(args[1], args[2])
    if args and args[0] == "--llama-8b-q4km":
        if len(args) != 2 or args[1].startswith("-"):
            print(__doc__, file=sys.stderr)
            return 2
        return make_llama_8b_q4km(args[1])
    test = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    if len(args) > 1 or (not args and not test) or any(a.startswith("-") for a in args):
        print(__doc__, file=sys.stderr)
        return 2
    tmp = None
    if args:
        out = args[0]
    else:
        tmp = tempfile.TemporaryDirectory()
        out = tmp.name
    maker = Maker()
    results = {case: maker.make(os.path.join(out, case), case) for case in CASES}
    print("wrote %d GGUF reference models to %s" % (len(CASES), out))
    if test:
        failures = self_test(out, results, maker)
        print("self-test: %s" % ("all passed" if not failures else "%d FAILED" % len(failures)))
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
