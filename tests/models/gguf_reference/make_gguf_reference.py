#!/usr/bin/env python3
"""Independent reference for AttnScope's GGUF reader.

Writes tiny GGUF v3 files of architecture `llama` (the metadata keys, tensor names, ggml dimension
order and q/k row permutation that llama.cpp's convert_hf_to_gguf.py writes; SentencePiece-style
tokenizer metadata) and, for each, the forward pass computed here with plain numpy in float64 from
the DEQUANTIZED weights, in the Hugging Face Llama convention (q/k rows un-permuted, rotate_half
RoPE). The GGUF writer, the quantizers (ggml's *_ref algorithms; they write the bytes ggml's do)
and the dequantizers (straight from ggml's block layouts) are written here, separately from the C++.

One model (d_model 256, 2 layers, 4 query / 2 KV heads of 64, d_ff 512, 326 tokens) in 11 cases:
llama_f32_untied, llama_f32_tied (no output.weight), llama_f16, llama_bf16, llama_q8_0, llama_q4_0,
llama_q5_0, llama_q4_k, llama_q5_k, llama_q6_k (every 2-D weight in that type, norms F32) and
llama_q4_k_m (Q4_K, with Q6_K for attn_v, ffn_down and output). Quantized tensors mix real blocks
with random well-formed ones (random bytes, finite d/dmin; one subnormal d per tensor).

    make_gguf_reference.py OUT_DIR                 OUT_DIR/<case>/{model.gguf, expected.json, dequant.json}
    make_gguf_reference.py --self-test [OUT_DIR]   the same (into a temporary folder without OUT_DIR), then checks:
                                                   quantize/dequantize error bounds, ggml's bytes, two dequantizers
                                                   agree, permute/unpermute and RoPE, the forward pass against
                                                   ../hf_reference/make_reference.py, the files parse back
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

# ---------------------------------------------------------------- the model and its vocabulary

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


def random_weights(vocab):
    """The float32 weights in Hugging Face layout (out x in). q/k scaled so scores have std ~2.5."""
    rng = np.random.default_rng(20240601)

    def mat(rows, cols, std):
        a = rng.standard_normal((rows, cols))
        a *= np.where(rng.random((rows, cols)) < 0.01, 4.0, 1.0)  # a few outliers, as real weights have
        return (std * a).astype(np.float32)

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

# ---------------------------------------------------------------- the reference forward pass (HF convention)


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


def attention(q, k, v, n_heads, n_kv, scale):
    n, dh = q.shape[0], q.shape[1] // n_heads
    heads, outs = [], []
    mask = np.triu(np.ones((n, n), bool), 1)
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

# ---------------------------------------------------------------- cases

FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7, "Q5_0": 8, "Q4_K": 14, "Q4_K_M": 15, "Q5_K": 16,
              "Q6_K": 18, "BF16": 32}
Q4_K_M_SIX = (".attn_v.weight", ".ffn_down.weight")  # and output.weight (not attn_output.weight)

# name -> (weight type, tied, write general.alignment)
CASES = {
    "llama_f32_untied": ("F32", False, True),
    "llama_f32_tied": ("F32", True, False),
    "llama_f16": ("F16", False, False),
    "llama_bf16": ("BF16", False, False),
    "llama_q8_0": ("Q8_0", False, False),
    "llama_q4_0": ("Q4_0", False, False),
    "llama_q5_0": ("Q5_0", False, False),
    "llama_q4_k": ("Q4_K", False, False),
    "llama_q5_k": ("Q5_K", False, False),
    "llama_q6_k": ("Q6_K", False, False),
    "llama_q4_k_m": ("Q4_K_M", False, False),
}
DEQUANT_TENSORS = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                   "blk.1.ffn_down.weight", "output.weight"]

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


def case_types(wtype, name):
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


class Maker:
    """Quantizes each base tensor at most once per type; cases scramble their own copies."""

    def __init__(self):
        self.tokens, self.scores, self.types = vocabulary()
        self.W = random_weights(len(self.tokens))
        self.clean = {}

    def stored(self, name, ttype, matrix):
        key = (name, ttype)
        if key not in self.clean:
            self.clean[key] = encode(ttype, matrix)
        return self.clean[key]

    def make(self, folder, case):
        wtype, tied, write_alignment = CASES[case]
        rng = np.random.default_rng(sum(map(ord, case)))
        tensors, values, scrambled = [], {}, {}
        for name, kind, matrix in gguf_tensor_list(self.W, tied):
            if kind == "norm":
                ttype, dims, raw = "F32", [D_MODEL], encode("F32", matrix[None, :])
            else:
                ttype, dims = case_types(wtype, name), [matrix.shape[1], matrix.shape[0]]
                raw = self.stored(name, ttype, matrix)
                if ttype in QUANTIZED:
                    per_row = raw.shape[1] // GGML_TYPES[ttype][2]
                    # row 1's first block and the last block are random (the last with a subnormal d)
                    raw, chosen = scramble_blocks(ttype, raw, rng, [per_row, raw.size // GGML_TYPES[ttype][2] - 1])
                    scrambled[name] = chosen
            data = raw.tobytes()
            tensors.append((name, ttype, dims, data))
            values[name] = decode(ttype, data, dims)
        md = metadata_for(case, wtype, tied, write_alignment, self.tokens, self.scores, self.types)
        os.makedirs(folder, exist_ok=True)
        infos = write_gguf(os.path.join(folder, "model.gguf"), md, tensors)

        ids = text_ids(self.tokens)
        layers, logits = llama_forward(values, ids)
        expected = {
            "case": case, "file": "model.gguf", "weight_type": wtype, "file_type": FILE_TYPES[wtype], "tied": tied,
            "ids": ids, "text": TEXT, "pieces": [self.tokens[i] for i in ids],
            "n_layers": N_LAYERS, "n_heads": N_HEADS, "n_kv_heads": N_KV, "d_head": D_HEAD, "d_model": D_MODEL,
            "d_ff": D_FF, "vocab_size": len(self.tokens), "context_length": CONTEXT, "rope_freq_base": FREQ_BASE,
            "rms_eps": RMS_EPS, "scale": 1 / math.sqrt(D_HEAD),
            "tensors": [{k: t[k] for k in ("name", "type", "dims", "offset")} for t in infos],
            "metadata": {k: {"type": vt, "value": v} for k, vt, v in md},
            "layers": [{"heads": [{k: matrix_json(v) for k, v in h.items()} for h in heads]} for heads in layers],
            "logits_last": [float(v) for v in logits[-1]],
        }
        with open(os.path.join(folder, "expected.json"), "w") as f:
            json.dump(expected, f)
        dequant = {"case": case, "tensors": []}
        for name in DEQUANT_TENSORS:
            if name not in values:
                continue
            info = next(t for t in infos if t["name"] == name)
            v = values[name]
            blocks_per_row = info["dims"][0] // GGML_TYPES[info["type"]][1]
            dequant["tensors"].append({
                "name": name, "type": info["type"], "ggml_type": GGML_TYPES[info["type"]][0], "dims": info["dims"],
                "random_blocks": [int(b) for b in scrambled.get(name, [])
                                  if b // blocks_per_row in (0, 1, v.shape[0] - 1)],
                "blocks_per_row": blocks_per_row,
                "rows": [{"row": r, "values": [float(x) for x in v[r]]} for r in (0, 1, v.shape[0] - 1)]})
        with open(os.path.join(folder, "dequant.json"), "w") as f:
            json.dump(dequant, f)
        return {"values": values, "metadata": md, "infos": infos, "expected": expected, "tensors": tensors}

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


def self_test(out, results):
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
        ok = ok and decode_pieces(tokens, r["expected"]["ids"]) == TEXT and len(tokens) == r["expected"]["vocab_size"]
        e = r["expected"]
        for layer in e["layers"]:
            for h in layer["heads"]:
                wts = np.array(h["weights"])
                ok = ok and np.allclose(wts.sum(1), 1) and np.all(np.triu(wts, 1) == 0)
        types = sorted(set(t[1] for t in r["tensors"]))
        check(ok, "%-17s %8d bytes, %2d tensors (%s), metadata, offsets, bytes, values, softmax rows"
              % (case, len(g.buf), len(g.tensors), "/".join(types)))
    return failures


def main(argv):
    args = argv[1:]
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
        failures = self_test(out, results)
        print("self-test: %s" % ("all passed" if not failures else "%d FAILED" % len(failures)))
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
