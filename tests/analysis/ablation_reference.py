#!/usr/bin/python3
"""Independent numpy reference for AttnScope's head ablation.

Usage:
    ablation_reference.py MODEL_FOLDER IDS_JSON TARGET_ID [--mean]
        -> a JSON array on stdout, one object per head, layer-major:
           {"layer": l, "head": h, "p_before": p, "p_after": p'}
    ablation_reference.py --self-test
        -> checks (see self_test); exit 0 when all pass

MODEL_FOLDER: a Hugging Face folder, config.json + model.safetensors (or shards listed in
model.safetensors.index.json), tensors F32 / F16 / BF16 (F64 accepted too). model_type "gpt2" or
"llama" ("mistral" and "qwen2" are read as llama: same layout, q/k/v biases when stored).
IDS_JSON: a JSON list of token ids, given inline ('[1, 403, 407]') or as a file holding that list
(or an object with an "ids" list, e.g. make_reference's expected.json). The ids are used as given:
no BOS is added. TARGET_ID: a token id.

Everything is computed in float64 from the weights exactly as stored.

    p_before = softmax(logits of the LAST position)[TARGET_ID], plain forward pass.
    p_after(l, h) = the same with head h of layer l ablated: its attention output, i.e. the head's
        d_head-wide block [h*dh, (h+1)*dh) of the concatenated heads (weights @ v for that head),
        BEFORE the output projection (GPT-2 attn.c_proj, Llama self_attn.o_proj), replaced by
          zeros                                     (default), or
          its mean over the n token positions       (--mean; one d_head vector put at every position).
        Everything else unchanged; the output projection's bias (GPT-2's c_proj.bias, a Llama
        o_proj.bias when stored) is still added. With grouped KV heads only query head h's block is
        replaced; the other heads sharing its K/V are untouched.

Forward passes, as Hugging Face computes them (eager attention, causal):
  gpt2  (GPT2LMHeadModel): names with or without "transformer."; x = wte[ids] + wpe[0..n-1];
        per layer: a = LN_1(x); qkv = a @ c_attn.W + c_attn.b (Conv1D, stored in x out);
        q | k | v = qkv's thirds; scores = q_h k_h^T / sqrt(dh) (no scaling when
        scale_attn_weights is false; also / (l + 1) with scale_attn_by_inverse_layer_idx);
        softmax over keys j <= i; out = concat_h(weights_h @ v_h); [ablation hook];
        x += out @ c_proj.W + c_proj.b; x += mlp(LN_2(x)), mlp = c_proj(gelu_new(c_fc(.)))
        (activation_function gelu_new / gelu_pytorch_tanh / gelu_fast: tanh form; "gelu": erf form;
        "relu"); final ln_f; logits = x @ wte^T (tied head). LayerNorm eps: layer_norm_epsilon (1e-5).
  llama (LlamaForCausalLM): x = embed_tokens[ids]; per layer: a = RMSNorm(x) (input_layernorm);
        q, k, v = a @ W^T (+ bias when stored; Linear, stored out x in); RoPE rotate-half on each
        head's q and k at positions 0..n-1 with rope_theta and rope_scaling (none / "default",
        "linear", "llama3"; frequencies by make_reference.rope_freqs); grouped KV heads (query head h
        uses KV head h // (H / KV)); scores / sqrt(head_dim); causal softmax; [ablation hook];
        x += out @ o_proj^T (+ o_proj.bias when stored); x += down(silu(gate(m)) * up(m)),
        m = RMSNorm(x) (post_attention_layernorm); final model.norm; logits = x @ lm_head^T, or
        embed_tokens^T when tie_word_embeddings is true or lm_head.weight is not stored.
        head_dim: config's head_dim, else hidden_size / num_attention_heads.

The numpy helpers layer_norm, rms_norm, gelu_tanh, gelu_erf and rope_freqs are imported from
tests/models/hf_reference/make_reference.py; the forward passes here are written separately (with
the ablation hook) and checked against make_reference's gpt2_forward / llama_forward in --self-test.
"""

import json
import math
import os
import shutil
import subprocess
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_REFERENCE = os.path.normpath(os.path.join(HERE, "..", "models", "hf_reference", "make_reference.py"))
sys.path.insert(0, os.path.dirname(MAKE_REFERENCE))
import make_reference as mr  # noqa: E402  (only definitions run at import)

# ---------------------------------------------------------------- safetensors

_DTYPES = {"F64": ("<f8", 8), "F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2)}


class SafeTensorsFile:
    """8-byte little-endian header length, a JSON header, then the raw data."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) != 8:
                raise ValueError("%s: too short for a safetensors header" % path)
            (hlen,) = struct.unpack("<Q", raw)
            text = f.read(hlen)
            if len(text) != hlen:
                raise ValueError("%s: truncated header" % path)
        self.header = json.loads(text.decode("utf-8"))
        self.header.pop("__metadata__", None)
        self.data_start = 8 + hlen
        self.size = os.path.getsize(path)

    def names(self):
        return list(self.header)

    def get(self, name):
        info = self.header[name]
        dtype = info["dtype"]
        if dtype not in _DTYPES:
            raise ValueError("%s: tensor %s has unsupported dtype %s" % (self.path, name, dtype))
        np_dtype, size = _DTYPES[dtype]
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * size:
            raise ValueError("%s: tensor %s: %d bytes for shape %s %s" % (self.path, name, end - begin, shape, dtype))
        if self.data_start + end > self.size:
            raise ValueError("%s: tensor %s is truncated" % (self.path, name))
        with open(self.path, "rb") as f:
            f.seek(self.data_start + begin)
            buf = f.read(end - begin)
        a = np.frombuffer(buf, dtype=np_dtype, count=count)
        if dtype == "BF16":  # bfloat16 = the top 16 bits of a float32
            a = (a.astype(np.uint32) << 16).view("<f4")
        return a.astype(np.float64).reshape(shape)


class Weights:
    """name -> float64 array, read on first use from model.safetensors or the shards of
    model.safetensors.index.json. Supports `name in W` and `W[name]` (as make_reference's forwards use)."""

    def __init__(self, folder):
        self.folder, self.where, self.cache = folder, {}, {}
        single = os.path.join(folder, "model.safetensors")
        index = os.path.join(folder, "model.safetensors.index.json")
        if os.path.exists(single):
            st = SafeTensorsFile(single)
            self.where = {n: st for n in st.names()}
        elif os.path.exists(index):
            with open(index, "r", encoding="utf-8") as f:
                weight_map = json.load(f)["weight_map"]
            files = {}
            for name, file in weight_map.items():
                if file not in files:
                    files[file] = SafeTensorsFile(os.path.join(folder, file))
                if name not in files[file].header:
                    raise ValueError("%s: the index puts %s in %s, which lacks it" % (folder, name, file))
                self.where[name] = files[file]
        else:
            raise ValueError("%s: no model.safetensors or model.safetensors.index.json" % folder)

    def __contains__(self, name):
        return name in self.cache or name in self.where

    def __getitem__(self, name):
        if name not in self.cache:
            if name not in self.where:
                raise KeyError("%s: no tensor %s" % (self.folder, name))
            self.cache[name] = self.where[name].get(name)
        return self.cache[name]

    def __setitem__(self, name, value):  # for the self-test's edited copies
        self.cache[name] = np.asarray(value, dtype=np.float64)

    def keys(self):
        return sorted(set(self.where) | set(self.cache))


def write_f32_checkpoint(folder, W, config):
    """Writes W (every tensor, as F32) to folder/model.safetensors and the config; for the self-test."""
    os.makedirs(folder, exist_ok=True)
    tensors = {}
    for name in W.keys():
        a = np.asarray(W[name], dtype=np.float32)
        tensors[name] = ("F32", a.shape, a.tobytes())
    mr.write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)


# ---------------------------------------------------------------- the model with the ablation hook

LLAMA_TYPES = ("llama", "mistral", "qwen2")


def causal_attention(q, k, v, H, KV, dh, scale):
    """q: n x (H*dh), k, v: n x (KV*dh) -> n x (H*dh), the heads' weights @ v concatenated."""
    n = q.shape[0]
    if H % KV:
        raise ValueError("%d query heads are not a multiple of %d KV heads" % (H, KV))
    future = np.triu(np.ones((n, n), dtype=bool), 1)
    out = np.empty((n, H * dh))
    for h in range(H):
        g = h // (H // KV)
        s = (q[:, h * dh:(h + 1) * dh] @ k[:, g * dh:(g + 1) * dh].T) * scale
        s[future] = -np.inf
        e = np.exp(s - s.max(axis=1, keepdims=True))
        out[:, h * dh:(h + 1) * dh] = (e / e.sum(axis=1, keepdims=True)) @ v[:, g * dh:(g + 1) * dh]
    return out


def rope_rotate_half(x, n_heads, dh, freqs):
    """HF's apply_rotary_pos_emb: value i of each head turns with value i + dh/2 by angle pos * freqs[i]."""
    n, half = x.shape[0], dh // 2
    angle = np.arange(n, dtype=np.float64)[:, None] * np.asarray(freqs, dtype=np.float64)[None, :]
    c, s = np.cos(angle), np.sin(angle)
    out = x.copy()
    for h in range(n_heads):
        a, b = x[:, h * dh:h * dh + half], x[:, h * dh + half:(h + 1) * dh]
        out[:, h * dh:h * dh + half] = a * c - b * s
        out[:, h * dh + half:(h + 1) * dh] = b * c + a * s
    return out


def normalized_rope_config(cfg):
    """cfg with rope_scaling as make_reference.rope_freqs reads it: None, linear or llama3."""
    s = cfg.get("rope_scaling")
    if not s:
        return dict(cfg, rope_scaling=None)
    kind = s.get("rope_type", s.get("type"))
    if kind in (None, "default"):
        return dict(cfg, rope_scaling=None)
    if kind in ("linear", "llama3"):
        return dict(cfg, rope_scaling=dict(s, rope_type=kind))
    raise ValueError("rope_scaling type %r is not supported (default, linear, llama3)" % kind)


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


class Model:
    """The forward pass in pieces: embed(ids) -> x; layer(l, x, ablate) -> x; logits(x) -> logits.
    ablate: None, or (head, "zero" | "mean"). record: a dict that receives "attn_out" (n x H*dh, the
    concatenated heads before the hook) and "x_in" (the residual stream entering the layer)."""

    def __init__(self, folder=None, W=None, cfg=None):
        if folder is not None:
            with open(os.path.join(folder, "config.json"), "r", encoding="utf-8") as f:
                cfg = json.load(f)
            W = Weights(folder)
        self.cfg, self.W = cfg, W
        self.kind = cfg.get("model_type", "")
        if self.kind == "gpt2":
            self.p = "transformer." if "transformer.wte.weight" in W else ""
            self.L, self.H = cfg["n_layer"], cfg["n_head"]
            self.d = cfg["n_embd"]
            self.dh = self.d // self.H
            self.eps = cfg.get("layer_norm_epsilon", 1e-5)
            act = cfg.get("activation_function", "gelu_new")
            if act in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
                self.act = mr.gelu_tanh
            elif act == "gelu":
                self.act = mr.gelu_erf
            elif act == "relu":
                self.act = lambda x: np.maximum(x, 0.0)
            else:
                raise ValueError("gpt2 activation_function %r is not supported" % act)
            self.vocab = W[self.p + "wte.weight"].shape[0]
            self.max_positions = W[self.p + "wpe.weight"].shape[0]
        elif self.kind in LLAMA_TYPES:
            self.L, self.H = cfg["num_hidden_layers"], cfg["num_attention_heads"]
            self.KV = cfg.get("num_key_value_heads") or self.H
            self.dh = cfg["head_dim"] if cfg.get("head_dim") else cfg["hidden_size"] // self.H
            self.eps = cfg.get("rms_norm_eps", 1e-6)
            if cfg.get("hidden_act", "silu") != "silu":
                raise ValueError("hidden_act %r is not supported (silu)" % cfg.get("hidden_act"))
            self.freqs = mr.rope_freqs(normalized_rope_config(cfg), self.dh)
            tied = cfg.get("tie_word_embeddings", False)
            self.head_name = "model.embed_tokens.weight" if tied or "lm_head.weight" not in W else "lm_head.weight"
            self.vocab = W[self.head_name].shape[0]
            self.max_positions = None
        else:
            raise ValueError("model_type %r is not supported (gpt2, llama, mistral, qwen2)" % self.kind)

    # -- pieces

    def embed(self, ids):
        ids = [int(i) for i in ids]
        if not ids:
            raise ValueError("no token ids")
        for i in ids:
            if not 0 <= i < self.vocab:
                raise ValueError("token id %d is outside the vocabulary (0..%d)" % (i, self.vocab - 1))
        if self.kind == "gpt2":
            if len(ids) > self.max_positions:
                raise ValueError("%d tokens, but only %d positions" % (len(ids), self.max_positions))
            return self.W[self.p + "wte.weight"][ids] + self.W[self.p + "wpe.weight"][: len(ids)]
        return self.W["model.embed_tokens.weight"][ids].copy()

    def _hook(self, out, ablate):
        if ablate is None:
            return out
        h, mode = ablate
        if not 0 <= h < self.H:
            raise ValueError("head %d outside 0..%d" % (h, self.H - 1))
        out = out.copy()
        block = slice(h * self.dh, (h + 1) * self.dh)
        if mode == "zero":
            out[:, block] = 0.0
        elif mode == "mean":
            out[:, block] = out[:, block].mean(axis=0)  # one d_head vector, broadcast to every position
        else:
            raise ValueError("ablation mode %r (zero, mean)" % mode)
        return out

    def layer(self, l, x, ablate=None, record=None):
        W = self.W
        if record is not None:
            record["x_in"] = x.copy()
        if self.kind == "gpt2":
            g = lambda name: W["%sh.%d.%s" % (self.p, l, name)]
            d, dh = self.d, self.dh
            a = mr.layer_norm(x, g("ln_1.weight"), g("ln_1.bias"), self.eps)
            qkv = a @ g("attn.c_attn.weight") + g("attn.c_attn.bias")  # Conv1D: in x out
            scale = 1.0 / math.sqrt(dh) if self.cfg.get("scale_attn_weights", True) else 1.0
            if self.cfg.get("scale_attn_by_inverse_layer_idx"):
                scale /= l + 1
            out = causal_attention(qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:3 * d], self.H, self.H, dh, scale)
            if record is not None:
                record["attn_out"] = out.copy()
            out = self._hook(out, ablate)
            x = x + out @ g("attn.c_proj.weight") + g("attn.c_proj.bias")
            m = mr.layer_norm(x, g("ln_2.weight"), g("ln_2.bias"), self.eps)
            return x + self.act(m @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias")) @ g("mlp.c_proj.weight") \
                + g("mlp.c_proj.bias")
        b = "model.layers.%d." % l

        def lin(t, name):  # Linear: out x in, bias when stored
            y = t @ W[b + name + ".weight"].T
            return y + W[b + name + ".bias"] if b + name + ".bias" in W else y

        a = mr.rms_norm(x, W[b + "input_layernorm.weight"], self.eps)
        q, k, v = lin(a, "self_attn.q_proj"), lin(a, "self_attn.k_proj"), lin(a, "self_attn.v_proj")
        q = rope_rotate_half(q, self.H, self.dh, self.freqs)
        k = rope_rotate_half(k, self.KV, self.dh, self.freqs)
        out = causal_attention(q, k, v, self.H, self.KV, self.dh, 1.0 / math.sqrt(self.dh))
        if record is not None:
            record["attn_out"] = out.copy()
        out = self._hook(out, ablate)
        x = x + lin(out, "self_attn.o_proj")
        m = mr.rms_norm(x, W[b + "post_attention_layernorm.weight"], self.eps)
        gate, up = lin(m, "mlp.gate_proj"), lin(m, "mlp.up_proj")
        return x + lin(gate / (1.0 + np.exp(-gate)) * up, "mlp.down_proj")

    def logits(self, x):
        W = self.W
        if self.kind == "gpt2":
            x = mr.layer_norm(x, W[self.p + "ln_f.weight"], W[self.p + "ln_f.bias"], self.eps)
            return x @ W[self.p + "wte.weight"].T
        x = mr.rms_norm(x, W["model.norm.weight"], self.eps)
        return x @ W[self.head_name].T

    # -- whole passes

    def forward(self, ids, ablation=None, records=None):
        """All positions' logits. ablation: None / {} (nothing ablated) or {layer: (head, mode)}.
        records: a list that receives one record dict per layer."""
        ablation = ablation or {}
        x = self.embed(ids)
        for l in range(self.L):
            rec = {} if records is not None else None
            x = self.layer(l, x, ablation.get(l), rec)
            if records is not None:
                records.append(rec)
        return self.logits(x)

    def scan(self, ids, target, mode="zero"):
        """[{"layer", "head", "p_before", "p_after"}] for every head, layer-major. Layer l's input is the
        clean pass's (ablating layer l leaves layers < l unchanged), so each ablated pass starts there."""
        if not 0 <= int(target) < self.vocab:
            raise ValueError("target id %d is outside the vocabulary (0..%d)" % (int(target), self.vocab - 1))
        target = int(target)
        xs = [self.embed(ids)]
        for l in range(self.L):
            xs.append(self.layer(l, xs[l]))
        p_before = float(softmax(self.logits(xs[-1][-1:])[0])[target])
        rows = []
        for l in range(self.L):
            for h in range(self.H):
                x = self.layer(l, xs[l], (h, mode))
                for l2 in range(l + 1, self.L):
                    x = self.layer(l2, x)
                p_after = float(softmax(self.logits(x[-1:])[0])[target])
                rows.append({"layer": l, "head": h, "p_before": p_before, "p_after": p_after})
        return rows


# ---------------------------------------------------------------- command line

def read_ids(arg):
    if os.path.exists(arg):
        with open(arg, "r", encoding="utf-8") as f:
            value = json.load(f)
    else:
        value = json.loads(arg)
    if isinstance(value, dict):
        value = value.get("ids")
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise ValueError("IDS_JSON must be a JSON list of integer token ids")
    return value


def dump_rows(rows):
    return "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]"


# ---------------------------------------------------------------- self-test

class Checker:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s%s" % (name, (": " + detail) if detail else ""))
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""))


def max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


REF_DIR = "/tmp/hfref_abl"
WORK_DIR = "/tmp/ablation_reference_selftest"
STORIES = "/work/shared/models/stories260K"


def check_forward_equals_make_reference(c, case):
    folder = os.path.join(REF_DIR, case)
    model = Model(folder)
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)
    ids = expected["ids"]
    mine = model.forward(ids)                        # nothing ablated
    mine_empty = model.forward(ids, ablation={})     # an empty ablation, spelled out
    if model.kind == "gpt2":
        _, theirs = mr.gpt2_forward(model.W, model.p, model.cfg, ids)
    else:
        _, theirs = mr.llama_forward(model.W, model.cfg, ids)
    d_fn, d_json = max_abs(mine, theirs), max_abs(mine_empty, expected["logits"])
    c.check("%s: no ablation == make_reference %s logits (%d x %d) within 1e-9" % (
        case, "gpt2_forward" if model.kind == "gpt2" else "llama_forward", mine.shape[0], mine.shape[1]),
        d_fn <= 1e-9 and d_json <= 1e-9 and np.array_equal(mine, mine_empty),
        "max |diff| %.3g (forward on these weights), %.3g (expected.json)" % (d_fn, d_json))


def check_ablation_semantics(c, case, target):
    folder = os.path.join(REF_DIR, case)
    model = Model(folder)
    with open(os.path.join(folder, "expected.json")) as f:
        ids = json.load(f)["ids"]
    L, H, dh = model.L, model.H, model.dh
    clean = []
    clean_logits = model.forward(ids, records=clean)
    p_clean = float(softmax(clean_logits[-1])[target])
    rows = model.scan(ids, target)
    rows_mean = model.scan(ids, target, "mean")
    c.check("%s: %d rows, layer-major, p_before == the plain pass's p" % (case, L * H),
            [(r["layer"], r["head"]) for r in rows] == [(l, h) for l in range(L) for h in range(H)]
            and all(r["p_before"] == rows[0]["p_before"] for r in rows) and abs(rows[0]["p_before"] - p_clean) <= 1e-15,
            "p_before %.17g" % p_clean)
    changed = [r for r in rows if abs(r["p_after"] - r["p_before"]) > 1e-12]
    c.check("%s: zero-ablating a head changes p for at least one head" % case, len(changed) >= 1,
            "%d of %d heads change p; largest |diff| %.3g" % (
                len(changed), len(rows), max(abs(r["p_after"] - r["p_before"]) for r in rows)))

    # The scan (each pass started at layer l from the clean stream) == full passes from the embeddings,
    # and a head ablated in layer l leaves the stream entering layers 0..l bitwise unchanged.
    worst_scan, earlier_same, later_differs = 0.0, True, True
    for mode, scanned in (("zero", rows), ("mean", rows_mean)):
        for r in scanned:
            l, h = r["layer"], r["head"]
            recs = []
            logits = model.forward(ids, ablation={l: (h, mode)}, records=recs)
            worst_scan = max(worst_scan, abs(float(softmax(logits[-1])[target]) - r["p_after"]))
            for l2 in range(l + 1):
                earlier_same &= np.array_equal(recs[l2]["x_in"], clean[l2]["x_in"])
                earlier_same &= np.array_equal(recs[l2]["attn_out"], clean[l2]["attn_out"])
            if l + 1 < L:
                later_differs &= not np.array_equal(recs[l + 1]["x_in"], clean[l + 1]["x_in"])
    c.check("%s: scan's p_after == a full ablated pass's (zero and mean, every head)" % case, worst_scan <= 1e-15,
            "max |diff| %.3g" % worst_scan)
    c.check("%s: ablating head h of layer l leaves the residual stream entering layers 0..l and layer l's "
            "pre-hook head outputs bitwise unchanged" % case, earlier_same)
    c.check("%s: ... and changes the stream entering layer l+1 (the intermediate)" % case, later_differs)
    # Last layer specifically: the stream into the last layer is unchanged, the logits change.
    recs = []
    last_logits = model.forward(ids, ablation={L - 1: (0, "zero")}, records=recs)
    c.check("%s: ablating head 0 of the last layer: every earlier layer unchanged, final logits changed" % case,
            all(np.array_equal(recs[l]["x_in"], clean[l]["x_in"]) for l in range(L))
            and not np.array_equal(last_logits, clean_logits),
            "max |logit diff| %.3g" % max_abs(last_logits, clean_logits))

    # Hook placement, checked against edited weights (independent of the hook):
    #  zero ablation of (l, h) == the plain pass with W_O^h (the head's rows of c_proj / columns of o_proj) zeroed;
    #  mean ablation of (l, h) == that, with the projection's bias raised by mean_h @ W_O^h.
    if model.kind == "gpt2":
        wo_name = lambda l: "%sh.%d.attn.c_proj.weight" % (model.p, l)
        bias_name = lambda l: "%sh.%d.attn.c_proj.bias" % (model.p, l)
        wo_block = lambda w, h: w[h * dh:(h + 1) * dh, :]
    else:
        wo_name = lambda l: "model.layers.%d.self_attn.o_proj.weight" % l
        bias_name = lambda l: "model.layers.%d.self_attn.o_proj.bias" % l
        wo_block = lambda w, h: w[:, h * dh:(h + 1) * dh].T
    worst_zero = worst_mean = 0.0
    for l in range(L):
        for h in range(H):
            w = model.W[wo_name(l)]
            bias = model.W[bias_name(l)] if bias_name(l) in model.W else np.zeros(w.shape[0] if model.kind != "gpt2" else w.shape[1])
            mean_h = clean[l]["attn_out"][:, h * dh:(h + 1) * dh].mean(axis=0)
            w_zeroed = w.copy()
            if model.kind == "gpt2":
                w_zeroed[h * dh:(h + 1) * dh, :] = 0.0
            else:
                w_zeroed[:, h * dh:(h + 1) * dh] = 0.0
            edited = Weights.__new__(Weights)
            edited.folder, edited.where, edited.cache = model.W.folder, model.W.where, dict(model.W.cache)
            edited[wo_name(l)] = w_zeroed
            e_model = Model(W=edited, cfg=model.cfg)
            p_zero = float(softmax(e_model.forward(ids)[-1])[target])
            worst_zero = max(worst_zero, abs(p_zero - rows[l * H + h]["p_after"]))
            edited[bias_name(l)] = bias + mean_h @ wo_block(w, h)
            p_mean = float(softmax(Model(W=edited, cfg=model.cfg).forward(ids)[-1])[target])
            worst_mean = max(worst_mean, abs(p_mean - rows_mean[l * H + h]["p_after"]))
    c.check("%s: zero ablation == plain pass with the head's W_O block zeroed (every head)" % case,
            worst_zero <= 1e-12, "max |diff| %.3g" % worst_zero)
    c.check("%s: mean ablation == W_O block zeroed + bias += mean_h @ W_O^h (every head)" % case,
            worst_mean <= 1e-12, "max |diff| %.3g" % worst_mean)

    # One token: the mean over positions is the head's own output, so --mean changes nothing.
    one = model.scan(ids[:1], target, "mean")
    c.check("%s: one token: mean ablation gives p_after == p_before for every head" % case,
            all(r["p_after"] == r["p_before"] for r in one))

    # Hand-checkable: a copied checkpoint whose head's value weights (and bias) are zero. That head's
    # weights @ v is already zero everywhere, so ablating it (zero or mean) gives exactly p_before.
    W = Weights(folder)
    for name in W.keys():
        W[name] = W[name]  # materialize every tensor
    if model.kind == "gpt2":
        l, hs = L - 1, [1]
        name = "%sh.%d.attn.c_attn." % (model.p, l)
        cols = slice(2 * model.d + 1 * dh, 2 * model.d + 2 * dh)  # v's third, head 1's columns
        w, b = W[name + "weight"].copy(), W[name + "bias"].copy()
        w[:, cols], b[cols] = 0.0, 0.0
        W[name + "weight"], W[name + "bias"] = w, b
        what = "layer %d head 1: c_attn v columns [%d, %d) and bias zeroed" % (l, cols.start, cols.stop)
    else:
        l, group = 0, 1
        per = model.H // model.KV
        hs = list(range(group * per, (group + 1) * per))  # the query heads sharing KV head 1
        name = "model.layers.%d.self_attn.v_proj." % l
        w = W[name + "weight"].copy()
        w[group * dh:(group + 1) * dh, :] = 0.0
        W[name + "weight"] = w
        if name + "bias" in W:
            bb = W[name + "bias"].copy()
            bb[group * dh:(group + 1) * dh] = 0.0
            W[name + "bias"] = bb
        what = "layer %d KV head %d (query heads %s): v_proj rows [%d, %d) zeroed" % (
            l, group, hs, group * dh, (group + 1) * dh)
    copy_folder = os.path.join(WORK_DIR, case + "_v_zeroed")
    shutil.rmtree(copy_folder, ignore_errors=True)
    write_f32_checkpoint(copy_folder, W, model.cfg)
    vz = Model(copy_folder)
    for mode in ("zero", "mean"):
        got = vz.scan(ids, target, mode)
        same = [r for r in got if r["layer"] == l and r["head"] in hs]
        others = [r for r in got if not (r["layer"] == l and r["head"] in hs)]
        c.check("%s copy, %s; %s ablation: p_after == p_before exactly for those heads" % (case, what, mode),
                all(r["p_after"] == r["p_before"] for r in same) and
                any(abs(r["p_after"] - r["p_before"]) > 1e-12 for r in others),
                "p_before %.17g; p_after %s; %d other heads change p" % (
                    same[0]["p_before"], ", ".join("%.17g" % r["p_after"] for r in same),
                    sum(abs(r["p_after"] - r["p_before"]) > 1e-12 for r in others)))


def stories(c):
    if not os.path.exists(os.path.join(STORIES, "config.json")):
        c.check("stories260K present at %s" % STORIES, False)
        return
    model = Model(STORIES)
    ids, target = [1, 403, 407, 261, 378], 29
    # The whole forward against make_reference's llama_forward too.
    d = max_abs(model.forward(ids), mr.llama_forward(model.W, model.cfg, ids)[1])
    c.check("stories260K: no ablation == make_reference llama_forward within 1e-9", d <= 1e-9, "max |diff| %.3g" % d)
    for mode in ("zero", "mean"):
        rows = model.scan(ids, target, mode)
        top = sorted(rows, key=lambda r: -abs(r["p_after"] - r["p_before"]))[:3]
        print("stories260K ids %s target %d, %s ablation (%d heads), p_before %.10g; three largest |p_after - p_before|:"
              % (ids, target, mode, len(rows), rows[0]["p_before"]))
        for r in top:
            print("    layer %d head %d: p_after %.10g  diff %+.6g" % (
                r["layer"], r["head"], r["p_after"], r["p_after"] - r["p_before"]))
        c.check("stories260K %s: %d rows, some head changes p" % (mode, model.L * model.H),
                len(rows) == model.L * model.H and abs(top[0]["p_after"] - top[0]["p_before"]) > 0)


def self_test():
    c = Checker()
    proc = subprocess.run([sys.executable, MAKE_REFERENCE, REF_DIR], capture_output=True, text=True)
    c.check("make_reference.py %s" % REF_DIR, proc.returncode == 0, (proc.stdout + proc.stderr).strip())
    if proc.returncode != 0:
        return 1
    os.makedirs(WORK_DIR, exist_ok=True)
    for case in ("gpt2_f32", "gpt2_f16_bare_names", "gpt2_f32_scale_by_layer", "llama_f32_gqa_untied_sharded",
                 "llama_bf16_tied_llama3_rope", "mistral_f32_linear_rope", "qwen2_f16_biases_one_kv_head"):
        check_forward_equals_make_reference(c, case)
    check_ablation_semantics(c, "gpt2_f32", 100)
    check_ablation_semantics(c, "llama_f32_gqa_untied_sharded", 100)
    stories(c)
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    args = [a for a in argv[1:] if a != "--mean"]
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        target = int(args[2])
        model = Model(args[0])
        rows = model.scan(read_ids(args[1]), target, "mean" if "--mean" in argv[1:] else "zero")
    except (ValueError, KeyError, OSError) as e:
        sys.stderr.write("ablation_reference.py: %s\n" % e)
        return 1
    print(dump_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
