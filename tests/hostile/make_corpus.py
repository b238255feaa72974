#!/usr/bin/env python3
"""Writes the hostile corpus: inputs an attacker or a careless user could hand AttnScope.

    make_corpus.py OUT_DIR [--reference HF_REFERENCE_DIR]

Each case gets its own file or folder under OUT_DIR/cases/, and OUT_DIR/manifest.jsonl gets one
line per case:

    {"case": "config/gpt2/n_head=0", "kind": "model", "path": PATH, "runs": [[args...], ...]}

`runs` are attnscope-cli argument lists. An argument "@bytes:FILE" stands for the bytes of FILE
(texts that JSON cannot hold: invalid UTF-8). `kind` says what a refusal must name: "model" (the
message names `path`) or "text" (the message names --text).

A family of cases is one function taking a Corpus and adding its cases; FAMILIES lists them. A
new format adds its function there (GGUF, SentencePiece... as they land).

The tiny valid checkpoints the folder cases start from (gpt2, bert, llama) are generated here,
or, for gpt2, copied from make_reference.py's output folder when --reference is given. Standard
library only.
"""
import json
import os
import shutil
import stat
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ_SEEDS = os.path.join(HERE, "..", "fuzz", "corpus")
TRACE_TEXT = "a b a b"


# ---------------------------------------------------------------- the corpus being written

class Corpus:
    def __init__(self, out, reference):
        self.out = out
        self.cases_dir = os.path.join(out, "cases")
        self.reference = reference
        self.entries = []

    def path(self, name):
        """A fresh path for a case (its parent folders made)."""
        p = os.path.join(self.cases_dir, name.replace("=", "_").replace(" ", "_"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def add_model(self, name, path, trace_text=TRACE_TEXT, extra_runs=(), gui_runs=()):
        """A model file or folder: info and trace --model PATH. `gui_runs`: argument lists that
        the desktop app always runs this case with (besides the spread of --model runs)."""
        runs = [["info", "--model", path], ["trace", "--model", path, "--text", trace_text]] + list(extra_runs)
        entry = {"case": name, "kind": "model", "path": path, "runs": runs}
        if gui_runs:
            entry["gui"] = [list(g) for g in gui_runs]
        self.entries.append(entry)

    def add_text(self, name, text_bytes):
        """A text for the default model: trace and tokenize --text TEXT."""
        f = self.path("texts/" + name.split("/")[-1] + ".txt")
        with open(f, "wb") as out:
            out.write(text_bytes)
        arg = "@bytes:" + f
        runs = [["trace", "--text", arg], ["tokenize", "--text", arg]]
        self.entries.append({"case": name, "kind": "text", "path": f, "runs": runs})

    def write_file(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return p

    def model_folder(self, name, family, config=None, drop=(), files=None):
        """A copy of the tiny `family` checkpoint, its config.json replaced by `config` (a value
        dumped as JSON, or raw bytes/str), files in `drop` removed and `files` {name: bytes} added."""
        folder = self.path(name)
        shutil.copytree(tiny_checkpoint(self, family), folder)
        if config is not None:
            raw = config if isinstance(config, (bytes, str)) else json.dumps(config)
            self.write_file_at(os.path.join(folder, "config.json"), raw)
        for f in drop:
            os.remove(os.path.join(folder, f))
        for f, data in (files or {}).items():
            self.write_file_at(os.path.join(folder, f), data)
        return folder

    @staticmethod
    def write_file_at(path, data):
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)

    def save_manifest(self):
        with open(os.path.join(self.out, "manifest.jsonl"), "w") as f:
            for e in self.entries:
                f.write(json.dumps(e) + "\n")


# ---------------------------------------------------------------- tiny valid checkpoints

def safetensors_bytes(tensors, header_override=None):
    """tensors: [(name, shape)] in float32 with small deterministic values."""
    header, data = {}, b""
    for name, shape in tensors:
        count = 1
        for s in shape:
            count *= s
        values = [(1.0 if len(shape) == 1 else 0.0) + 0.3 * (((i * 37 + len(name)) % 17) - 8) / 8 for i in range(count)]
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [len(data), len(data) + 4 * count]}
        data += struct.pack("<%df" % count, *values)
    text = json.dumps(header_override if header_override is not None else header).encode()
    return struct.pack("<Q", len(text)) + text + data


WORDPIECE = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "the", "bank", "money"]
GPT2 = {"model_type": "gpt2", "n_embd": 8, "n_head": 2, "n_layer": 1, "n_positions": 16, "vocab_size": len(WORDPIECE)}
BERT = {"model_type": "bert", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 12,
        "max_position_embeddings": 16, "vocab_size": len(WORDPIECE), "type_vocab_size": 2}
LLAMA = {"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4,
         "intermediate_size": 12, "num_hidden_layers": 1, "vocab_size": len(WORDPIECE), "max_position_embeddings": 16}
# Issue 17's Llama kinds: Qwen3 (per-head q/k norms, head_dim apart from the width) and OLMo-2
# (norms after attention and MLP, q/k norms over the whole projection).
QWEN3 = dict(LLAMA, model_type="qwen3", head_dim=6)
OLMO2 = dict(LLAMA, model_type="olmo2")
PHI3 = dict(LLAMA, model_type="phi3", partial_rotary_factor=0.5)
ROBERTA = dict(BERT, model_type="roberta", pad_token_id=1)   # positions from row 2: 14 tokens fit the table of 16
GEMMA = dict(LLAMA, model_type="gemma", head_dim=6, hidden_activation="gelu_pytorch_tanh")
# Gemma 2 and 3: windows, caps and the scale they bring; the window and pattern small enough to matter.
GEMMA2 = dict(GEMMA, model_type="gemma2", query_pre_attn_scalar=6, sliding_window=2, attn_logit_softcapping=50.0,
              final_logit_softcapping=30.0)
GEMMA3 = dict(GEMMA, model_type="gemma3_text", query_pre_attn_scalar=6, sliding_window=2, sliding_window_pattern=2,
              rope_local_base_freq=10000.0, rope_theta=1000000.0)
GPT_NEOX = {"model_type": "gpt_neox", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 12,
            "vocab_size": len(WORDPIECE), "max_position_embeddings": 16, "rotary_pct": 0.5, "use_parallel_residual": True}
OPT = {"model_type": "opt", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "ffn_dim": 12,
       "vocab_size": len(WORDPIECE), "max_position_embeddings": 16, "word_embed_proj_dim": 6, "do_layer_norm_before": False}
# Encoder-decoders (issue 15): one encoder and one decoder layer each.
T5 = {"model_type": "t5", "d_model": 8, "d_kv": 4, "d_ff": 12, "num_heads": 2, "num_layers": 1, "num_decoder_layers": 1,
      "relative_attention_num_buckets": 8, "relative_attention_max_distance": 16, "vocab_size": len(WORDPIECE),
      "decoder_start_token_id": 0, "eos_token_id": 1, "n_positions": 16}
BART = {"model_type": "bart", "d_model": 8, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
        "decoder_attention_heads": 2, "encoder_ffn_dim": 12, "decoder_ffn_dim": 12, "max_position_embeddings": 16,
        "vocab_size": len(WORDPIECE), "decoder_start_token_id": 2, "eos_token_id": 3}
MARIAN = dict(BART, model_type="marian", activation_function="swish", scale_embedding=True, decoder_start_token_id=0,
              eos_token_id=3)
CONFIGS = {"gpt2": GPT2, "bert": BERT, "llama": LLAMA, "qwen3": QWEN3, "olmo2": OLMO2, "phi3": PHI3, "gemma": GEMMA,
           "gemma2": GEMMA2, "gemma3": GEMMA3,
           "gpt_neox": GPT_NEOX, "opt": OPT, "roberta": ROBERTA, "t5": T5, "bart": BART, "marian": MARIAN}


def gpt2_tensors(c):
    d, v, p, ff = c["n_embd"], c["vocab_size"], c["n_positions"], 4 * c["n_embd"]
    t = [("wte.weight", (v, d)), ("wpe.weight", (p, d)), ("ln_f.weight", (d,)), ("ln_f.bias", (d,))]
    for ln in ("ln_1", "ln_2"):
        t += [("h.0.%s.weight" % ln, (d,)), ("h.0.%s.bias" % ln, (d,))]
    return t + [("h.0.attn.c_attn.weight", (d, 3 * d)), ("h.0.attn.c_attn.bias", (3 * d,)), ("h.0.attn.c_proj.weight", (d, d)),
                ("h.0.attn.c_proj.bias", (d,)), ("h.0.mlp.c_fc.weight", (d, ff)), ("h.0.mlp.c_fc.bias", (ff,)),
                ("h.0.mlp.c_proj.weight", (ff, d)), ("h.0.mlp.c_proj.bias", (d,))]


def bert_tensors(c):
    d, v, p, ff = c["hidden_size"], c["vocab_size"], c["max_position_embeddings"], c["intermediate_size"]
    t = [("embeddings.word_embeddings.weight", (v, d)), ("embeddings.position_embeddings.weight", (p, d)),
         ("embeddings.token_type_embeddings.weight", (2, d)), ("embeddings.LayerNorm.weight", (d,)), ("embeddings.LayerNorm.bias", (d,))]
    b = "encoder.layer.0."
    for name, o, i in (("attention.self.query", d, d), ("attention.self.key", d, d), ("attention.self.value", d, d),
                       ("attention.output.dense", d, d), ("intermediate.dense", ff, d), ("output.dense", d, ff)):
        t += [(b + name + ".weight", (o, i)), (b + name + ".bias", (o,))]
    for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
        t += [(b + norm + ".weight", (d,)), (b + norm + ".bias", (d,))]
    return t


def llama_tensors(c):
    d, v, H, kv, dh, ff = (c["hidden_size"], c["vocab_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"],
                           c["intermediate_size"])
    b = "model.layers.0."
    return [("model.embed_tokens.weight", (v, d)), ("model.norm.weight", (d,)), ("lm_head.weight", (v, d)),
            (b + "input_layernorm.weight", (d,)), (b + "post_attention_layernorm.weight", (d,)),
            (b + "self_attn.q_proj.weight", (H * dh, d)), (b + "self_attn.k_proj.weight", (kv * dh, d)),
            (b + "self_attn.v_proj.weight", (kv * dh, d)), (b + "self_attn.o_proj.weight", (d, H * dh)),
            (b + "mlp.gate_proj.weight", (ff, d)), (b + "mlp.up_proj.weight", (ff, d)), (b + "mlp.down_proj.weight", (d, ff))]


def qwen3_tensors(c):
    b = "model.layers.0."
    return llama_tensors(c) + [(b + "self_attn.q_norm.weight", (c["head_dim"],)), (b + "self_attn.k_norm.weight", (c["head_dim"],))]


def olmo2_tensors(c):
    b, dh = "model.layers.0.", c["head_dim"]
    kept = [t for t in llama_tensors(c) if t[0] != b + "input_layernorm.weight"]
    return kept + [(b + "post_feedforward_layernorm.weight", (c["hidden_size"],)),
                   (b + "self_attn.q_norm.weight", (c["num_attention_heads"] * dh,)),
                   (b + "self_attn.k_norm.weight", (c["num_key_value_heads"] * dh,))]


def gemma2_tensors(c, qk_norm=False):
    b, d, dh = "model.layers.0.", c["hidden_size"], c["head_dim"]
    t = llama_tensors(c) + [(b + "pre_feedforward_layernorm.weight", (d,)), (b + "post_feedforward_layernorm.weight", (d,))]
    return t + ([(b + "self_attn.q_norm.weight", (dh,)), (b + "self_attn.k_norm.weight", (dh,))] if qk_norm else [])


def phi3_tensors(c):
    b, H, kv, dh, ff = "model.layers.0.", c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["intermediate_size"]
    fused = {b + "self_attn." + x + "_proj.weight" for x in "qkv"} | {b + "mlp.gate_proj.weight", b + "mlp.up_proj.weight"}
    return [t for t in llama_tensors(c) if t[0] not in fused] + [(b + "self_attn.qkv_proj.weight", ((H + 2 * kv) * dh, c["hidden_size"])),
                                                                 (b + "mlp.gate_up_proj.weight", (2 * ff, c["hidden_size"]))]


def gpt_neox_tensors(c):
    d, v, ff, b = c["hidden_size"], c["vocab_size"], c["intermediate_size"], "gpt_neox.layers.0."
    t = [("gpt_neox.embed_in.weight", (v, d)), ("embed_out.weight", (v, d)), ("gpt_neox.final_layer_norm.weight", (d,)),
         ("gpt_neox.final_layer_norm.bias", (d,))]
    for norm in ("input_layernorm", "post_attention_layernorm"):
        t += [(b + norm + ".weight", (d,)), (b + norm + ".bias", (d,))]
    for name, o, i in (("attention.query_key_value", 3 * d, d), ("attention.dense", d, d), ("mlp.dense_h_to_4h", ff, d),
                       ("mlp.dense_4h_to_h", d, ff)):
        t += [(b + name + ".weight", (o, i)), (b + name + ".bias", (o,))]
    return t


def opt_tensors(c):
    d, v, ff, w, b = c["hidden_size"], c["vocab_size"], c["ffn_dim"], c["word_embed_proj_dim"], "model.decoder.layers.0."
    t = [("model.decoder.embed_tokens.weight", (v, w)), ("model.decoder.embed_positions.weight", (c["max_position_embeddings"] + 2, d)),
         ("model.decoder.project_in.weight", (d, w)), ("model.decoder.project_out.weight", (w, d))]
    for name, o, i in (("self_attn.q_proj", d, d), ("self_attn.k_proj", d, d), ("self_attn.v_proj", d, d), ("self_attn.out_proj", d, d),
                       ("fc1", ff, d), ("fc2", d, ff)):
        t += [(b + name + ".weight", (o, i)), (b + name + ".bias", (o,))]
    for norm in ("self_attn_layer_norm", "final_layer_norm"):
        t += [(b + norm + ".weight", (d,)), (b + norm + ".bias", (d,))]
    return t


def t5_tensors(c):
    d, v, H, dk, ff, buckets = c["d_model"], c["vocab_size"], c["num_heads"], c["d_kv"], c["d_ff"], c["relative_attention_num_buckets"]
    def attention(prefix):
        return [(prefix + p + ".weight", (H * dk, d)) for p in "qkv"] + [(prefix + "o.weight", (d, H * dk))]
    t = [("shared.weight", (v, d)), ("encoder.final_layer_norm.weight", (d,)), ("decoder.final_layer_norm.weight", (d,))]
    for stack, ff_layer in (("encoder", 1), ("decoder", 2)):
        b = stack + ".block.0.layer."
        t += attention(b + "0.SelfAttention.") + [(b + "0.SelfAttention.relative_attention_bias.weight", (buckets, H)),
                                                  (b + "0.layer_norm.weight", (d,)),
                                                  (b + "%d.DenseReluDense.wi.weight" % ff_layer, (ff, d)),
                                                  (b + "%d.DenseReluDense.wo.weight" % ff_layer, (d, ff)),
                                                  (b + "%d.layer_norm.weight" % ff_layer, (d,))]
    return t + attention("decoder.block.0.layer.1.EncDecAttention.") + [("decoder.block.0.layer.1.layer_norm.weight", (d,))]


def bart_tensors(c, marian=False):
    d, v, ff, positions = c["d_model"], c["vocab_size"], c["encoder_ffn_dim"], c["max_position_embeddings"]
    def linear(name, o, i):
        return [(name + ".weight", (o, i)), (name + ".bias", (o,))]
    def norm(name):
        return [(name + ".weight", (d,)), (name + ".bias", (d,))]
    t = [("model.shared.weight", (v, d)), ("final_logits_bias", (1, v))]
    for stack in ("encoder", "decoder"):
        p = "model.%s." % stack
        if not marian:
            t += [(p + "embed_positions.weight", (positions + 2, d))] + norm(p + "layernorm_embedding")
        b = p + "layers.0."
        for attn in ("self_attn",) + (("encoder_attn",) if stack == "decoder" else ()):
            for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                t += linear(b + attn + "." + proj, d, d)
            t += norm(b + attn + "_layer_norm")
        t += linear(b + "fc1", ff, d) + linear(b + "fc2", d, ff) + norm(b + "final_layer_norm")
    return t


TENSORS = {"gpt2": gpt2_tensors, "bert": bert_tensors, "llama": llama_tensors, "qwen3": qwen3_tensors, "olmo2": olmo2_tensors,
           "phi3": phi3_tensors, "gemma": llama_tensors, "gemma2": gemma2_tensors,
           "gemma3": lambda c: gemma2_tensors(c, qk_norm=True), "roberta": lambda c: [("roberta." + n, s) for n, s in bert_tensors(c)], "gpt_neox": gpt_neox_tensors, "opt": opt_tensors,
           "t5": t5_tensors, "bart": bart_tensors,
           "marian": lambda c: bart_tensors(c, marian=True)}


def tiny_checkpoint(corpus, family):
    """OUT/base/<family>: config.json, model.safetensors, vocab.txt (made once)."""
    folder = os.path.join(corpus.out, "base", family)
    if os.path.isdir(folder):
        return folder
    os.makedirs(folder)
    ref = corpus.reference and os.path.join(corpus.reference, "gpt2_f32")
    if family == "gpt2" and ref and os.path.isfile(os.path.join(ref, "config.json")):
        for f in ("config.json", "model.safetensors", "vocab.json", "merges.txt"):
            shutil.copy(os.path.join(ref, f), folder)
        return folder
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(CONFIGS[family], f)
    with open(os.path.join(folder, "model.safetensors"), "wb") as f:
        f.write(safetensors_bytes(TENSORS[family](CONFIGS[family])))
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(WORDPIECE) + "\n")
    return folder


# ---------------------------------------------------------------- families of cases

HUGE_U64 = 2 ** 64 - 1


def safetensors_cases(c):
    """Headers with overflowing counts, dimensions and offsets, in the tiny gpt2 folder."""
    def tensor(shape, offsets, dtype="F32"):
        return {"dtype": dtype, "shape": shape, "data_offsets": offsets}

    raw = {
        "empty_file": b"",
        "seven_bytes": b"\x01\x02\x03\x04\x05\x06\x07",
        "header_length_max_u64": struct.pack("<Q", HUGE_U64) + b"{}",
        "header_length_past_end": struct.pack("<Q", 1 << 20) + b"{}",
        "header_length_zero": struct.pack("<Q", 0),
        "header_length_1gb": struct.pack("<Q", 1 << 30) + b"{" + b" " * 100,
        "header_not_json": struct.pack("<Q", 5) + b"hello",
        "header_invalid_utf8": struct.pack("<Q", 6) + b'{"\xff":1}',
        "header_deep_nesting": struct.pack("<Q", 200000) + b"[" * 100000 + b"]" * 100000,
        "pickle_magic": b"\x80\x02}q\x00.",
        "zip_magic": b"PK\x03\x04" + b"\x00" * 60,
        "gguf_magic": b"GGUF\x03\x00\x00\x00" + b"\x00" * 40,
    }
    for name, data in raw.items():
        c.add_model("safetensors/" + name, c.model_folder("safetensors/" + name, "gpt2", files={"model.safetensors": data}))

    headers = {
        "header_is_array": [1, 2],
        "header_is_string": "x",
        "shape_overflows_u64": {"wte.weight": tensor([2 ** 62, 2 ** 62], [0, 16])},
        "shape_product_wraps_to_small": {"wte.weight": tensor([2 ** 32 + 1, 2 ** 32], [0, 16])},
        "shape_negative": {"wte.weight": tensor([-1, 8], [0, 16])},
        "shape_float": {"wte.weight": tensor([1.5, 8], [0, 16])},
        "shape_string": {"wte.weight": tensor("10x8", [0, 16])},
        "shape_huge_rank": {"wte.weight": tensor([1] * 100000, [0, 4])},
        "offsets_past_end": {"wte.weight": tensor([10, 8], [0, HUGE_U64])},
        "offsets_reversed": {"wte.weight": tensor([1], [8, 4])},
        "offsets_wrap": {"wte.weight": tensor([1], [HUGE_U64 - 1, 2])},
        "offsets_negative": {"wte.weight": tensor([1], [-4, 0])},
        "offsets_three": {"wte.weight": tensor([1], [0, 4, 8])},
        "offsets_mismatch_shape": {"wte.weight": tensor([10, 8], [0, 4])},
        "offsets_overlap": {"wte.weight": tensor([1], [0, 4]), "wpe.weight": tensor([1], [0, 4])},
        "dtype_unknown": {"wte.weight": tensor([1], [0, 4], "F128")},
        "dtype_number": {"wte.weight": tensor([1], [0, 4], 7)},
        "dtype_int_as_weight": {"wte.weight": tensor([1], [0, 8], "I64")},
        "metadata_not_object": {"__metadata__": [1], "wte.weight": tensor([1], [0, 4])},
        "tensor_not_object": {"wte.weight": 5},
        "ten_thousand_tensors": {"t%d" % i: tensor([1], [4 * i, 4 * i + 4]) for i in range(10000)},
        "name_100kb": {"x" * 100000: tensor([1], [0, 4])},
    }
    for name, header in headers.items():
        data = safetensors_bytes([], header_override=header) + b"\x00" * 64
        c.add_model("safetensors/" + name, c.model_folder("safetensors/" + name, "gpt2", files={"model.safetensors": data}))
    # A .safetensors file named on its own (the loader reads the folder's config.json beside it).
    folder = c.model_folder("safetensors/named_file_bad_header", "gpt2",
                            files={"model.safetensors": struct.pack("<Q", HUGE_U64)})
    c.add_model("safetensors/named_file_bad_header", os.path.join(folder, "model.safetensors"))
    # Sharded: an index naming a shard that is not there, and one that escapes the folder.
    for name, index in {"index_missing_shard": {"weight_map": {"wte.weight": "nope.safetensors"}},
                        "index_escapes_folder": {"weight_map": {"wte.weight": "../../../../etc/passwd"}},
                        "index_not_object": [1],
                        "index_weight_map_string": {"weight_map": "x"}}.items():
        c.add_model("safetensors/" + name, c.model_folder("safetensors/" + name, "gpt2", drop=["model.safetensors"],
                                                          files={"model.safetensors.index.json": json.dumps(index)}))


SIZE_VALUES = {"zero": 0, "negative": -1, "int32_max": 2 ** 31 - 1, "wraps_32": 2 ** 32 + 8, "u64_max": HUGE_U64,
               "float": 8.5, "float_integral": 8.0, "huge_float": 1e300, "string": "8", "true": True, "array": [8],
               "object": {"v": 8}}
SIZE_KEYS = {"gpt2": ["n_embd", "n_head", "n_layer", "n_positions", "vocab_size", "n_inner"],
             "bert": ["hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "vocab_size"],
             "llama": ["hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim", "num_hidden_layers", "vocab_size"],
             "qwen3": ["head_dim", "num_key_value_heads"],
             "olmo2": ["hidden_size", "num_attention_heads", "num_key_value_heads"],
             "phi3": ["num_key_value_heads", "intermediate_size"],
             "gemma": ["head_dim", "num_key_value_heads"],
             "gemma2": ["sliding_window", "query_pre_attn_scalar"],
             "gemma3": ["sliding_window", "sliding_window_pattern"],
             "gpt_neox": ["hidden_size", "num_attention_heads", "intermediate_size", "max_position_embeddings"],
             "opt": ["hidden_size", "word_embed_proj_dim", "ffn_dim", "max_position_embeddings"],
             "t5": ["d_model", "d_kv", "num_heads", "num_layers", "relative_attention_num_buckets", "vocab_size"],
             "bart": ["d_model", "encoder_layers", "decoder_attention_heads", "encoder_ffn_dim", "max_position_embeddings"],
             "marian": ["d_model", "decoder_layers", "encoder_attention_heads", "vocab_size"]}


def config_size_cases(c):
    """Every size key of each family set to zero, negative, huge, non-integer and wrong-typed
    values (a subset per key, so the corpus stays quick to run)."""
    picks = ["zero", "negative", "wraps_32", "float", "string", "u64_max", "array", "huge_float", "true", "object",
             "int32_max", "float_integral"]
    i = 0
    for family, keys in SIZE_KEYS.items():
        for key in keys:
            for _ in range(3):  # three values per key, rotating through the list
                value_name = picks[i % len(picks)]
                i += 1
                cfg = dict(CONFIGS[family], **{key: SIZE_VALUES[value_name]})
                name = "config/%s/%s=%s" % (family, key, value_name)
                c.add_model(name, c.model_folder(name, family, cfg))


def config_shape_cases(c):
    """Every top-level JSON type, broken JSON, and the crafted configs of issue 12."""
    for name, raw in {"top_array": "[1, 2]", "top_string": '"gpt2"', "top_number": "42", "top_null": "null",
                      "top_true": "true", "empty_file": "", "not_json": "model_type: gpt2", "truncated": '{"model_type": "gp',
                      "invalid_utf8": b'{"model_type": "\xff\xfe"}', "bom": b"\xef\xbb\xbf" + json.dumps(GPT2).encode(),
                      "deep_nesting": "[" * 100000 + "]" * 100000, "nan": '{"model_type": "gpt2", "n_embd": NaN}',
                      "huge_20mb": '{"model_type": "gpt2", "x": "' + "a" * (20 << 20) + '"}'}.items():
        c.add_model("config/" + name, c.model_folder("config/" + name, "gpt2", raw))
    crafted = {
        "llama_heads_wrap_to_width": dict(LLAMA, num_attention_heads=536870920, head_dim=8, hidden_size=8),
        "llama_head_dim_2_30": dict(LLAMA, head_dim=2 ** 30),
        "llama_head_dim_odd": dict(LLAMA, head_dim=3),
        "llama_kv_not_divisor": dict(LLAMA, num_key_value_heads=3),
        "llama_rope_theta_negative": dict(LLAMA, rope_theta=-1.0),
        "llama_rope_theta_zero": dict(LLAMA, rope_theta=0),
        "llama_rms_norm_eps_zero": dict(LLAMA, rms_norm_eps=0),
        "llama_rope_scaling_array": dict(LLAMA, rope_scaling=[1]),
        "llama_rope_scaling_unknown": dict(LLAMA, rope_scaling={"rope_type": "yarn", "factor": 2}),
        "llama_rope_scaling_factor_zero": dict(LLAMA, rope_scaling={"rope_type": "linear", "factor": 0}),
        "llama_llama3_low_above_high": dict(LLAMA, rope_scaling={"rope_type": "llama3", "factor": 8, "low_freq_factor": 4,
                                                                  "high_freq_factor": 1}),
        "llama_max_positions_zero": dict(LLAMA, max_position_embeddings=0),
        "llama_hidden_act_gelu": dict(LLAMA, hidden_act="gelu"),
        "llama_tie_string": dict(LLAMA, tie_word_embeddings="yes"),
        "llama_kv_heads_zero": dict(LLAMA, num_key_value_heads=0),
        "qwen3_kv_heads_zero": dict(QWEN3, num_key_value_heads=0),
        "qwen3_head_dim_odd": dict(QWEN3, head_dim=5),
        "qwen3_head_dim_missing": {k: v for k, v in QWEN3.items() if k != "head_dim"},
        "olmo2_kv_not_divisor": dict(OLMO2, num_key_value_heads=3),
        "olmo2_eps_negative": dict(OLMO2, rms_norm_eps=-1e-6),
        "phi3_partial_rotary_odd": dict(PHI3, partial_rotary_factor=0.25),
        "phi3_partial_rotary_above_one": dict(PHI3, partial_rotary_factor=2.0),
        "gemma_activation_unknown": dict(GEMMA, hidden_activation="swish"),
        "gemma_activation_null_hidden_act_number": dict(GEMMA, hidden_activation=None, hidden_act=3),
        "gemma2_softcap_zero": dict(GEMMA2, attn_logit_softcapping=0),
        "gemma2_softcap_negative": dict(GEMMA2, final_logit_softcapping=-30.0),
        "gemma2_softcap_string": dict(GEMMA2, attn_logit_softcapping="50"),
        "gemma2_softcap_nan": dict(GEMMA2, attn_logit_softcapping=float("nan")),
        "gemma2_softcap_tiny": dict(GEMMA2, attn_logit_softcapping=1e-38, final_logit_softcapping=1e-38),
        "gemma2_window_2_40": dict(GEMMA2, sliding_window=2 ** 40),
        "gemma2_query_scalar_zero": dict(GEMMA2, query_pre_attn_scalar=0),
        "gemma2_layer_types_short": dict(GEMMA2, layer_types=[]),
        "gemma2_layer_types_unknown": dict(GEMMA2, layer_types=["chunked_attention"]),
        "gemma2_layer_types_number": dict(GEMMA2, layer_types=[1]),
        "gemma2_layer_types_string": dict(GEMMA2, layer_types="sliding_attention"),
        "gemma3_pattern_zero": dict(GEMMA3, sliding_window_pattern=0),
        "gemma3_image_text_without_text_config": {"model_type": "gemma3", "vision_config": {}},
        "gemma3_image_text_config_a_list": {"model_type": "gemma3", "text_config": [GEMMA3]},
        "gemma3_image_text_defaults_too_big": {"model_type": "gemma3", "text_config": {"hidden_size": 8}},
        "gemma3_local_base_negative": dict(GEMMA3, rope_local_base_freq=-1.0),
        "gemma3_window_null": dict(GEMMA3, sliding_window=None),
        "gemma2_tensors_under_a_gemma3_config": dict(GEMMA3),
        "gpt_neox_rotary_pct_zero": dict(GPT_NEOX, rotary_pct=0),
        "gpt_neox_rotary_pct_nan": dict(GPT_NEOX, rotary_pct=float("nan")),
        "gpt_neox_heads_not_divisor": dict(GPT_NEOX, num_attention_heads=3),
        "gpt_neox_parallel_string": dict(GPT_NEOX, use_parallel_residual="yes"),
        "opt_positions_table_short": dict(OPT, max_position_embeddings=40),
        "opt_word_width_equal_but_projections_stored": dict(OPT, word_embed_proj_dim=8),
        "opt_activation_unknown": dict(OPT, activation_function="mish"),
        "roberta_pad_past_the_position_table": dict(ROBERTA, pad_token_id=15),
        "roberta_pad_negative": dict(ROBERTA, pad_token_id=-1),
        "roberta_pad_string": dict(ROBERTA, pad_token_id="<pad>"),
        "roberta_pad_null": dict(ROBERTA, pad_token_id=None),
        "gpt2_heads_not_divisor": dict(GPT2, n_head=3),
        "gpt2_eps_negative": dict(GPT2, layer_norm_epsilon=-1e-5),
        "gpt2_activation_unknown": dict(GPT2, activation_function="swish"),
        "gpt2_activation_number": dict(GPT2, activation_function=3),
        "gpt2_layers_1000": dict(GPT2, n_layer=1000),
        "gpt2_vocab_2_24": dict(GPT2, vocab_size=2 ** 24),
        "gpt2_positions_1": dict(GPT2, n_positions=1),
        "bert_position_type_relative": dict(BERT, position_embedding_type="relative_key"),
        "bert_type_vocab_zero": dict(BERT, type_vocab_size=0),
        "model_type_missing": {k: v for k, v in GPT2.items() if k != "model_type"},
        "model_type_number": dict(GPT2, model_type=2),
        "model_type_unknown": dict(GPT2, model_type="mamba"),
        "t5_buckets_one": dict(T5, relative_attention_num_buckets=1),
        "t5_max_distance_zero": dict(T5, relative_attention_max_distance=0),
        "t5_max_distance_at_half_the_buckets": dict(T5, relative_attention_max_distance=4),
        "t5_feed_forward_unknown": dict(T5, feed_forward_proj="gated-tanh"),
        "t5_eos_outside_vocab": dict(T5, eos_token_id=10 ** 6),
        "t5_start_negative": dict(T5, decoder_start_token_id=-1),
        "t5_start_missing": {k: v for k, v in T5.items() if k != "decoder_start_token_id"},
        "t5_d_kv_2_30": dict(T5, d_kv=2 ** 30),
        "bart_heads_not_divisor": dict(BART, encoder_attention_heads=3),
        "bart_pre_layernorm": dict(BART, normalize_before=True),
        "bart_activation_unknown": dict(BART, activation_function="mish"),
        "bart_eos_string": dict(BART, eos_token_id="</s>"),
        "marian_separate_vocab": dict(MARIAN, decoder_vocab_size=99),
        "marian_positions_zero": dict(MARIAN, max_position_embeddings=0),
        "model_type_100kb": dict(GPT2, model_type="x" * 100000),
        "model_type_control_chars": dict(GPT2, model_type="\x1b[31mred\x1b[0m\x07"),
    }
    for name, cfg in crafted.items():
        family = max((f for f in CONFIGS if name.startswith(f + "_")), key=len, default="gpt2")   # "gpt_neox_..." is gpt_neox's
        c.add_model("config/" + name, c.model_folder("config/" + name, family, cfg))
    # config.json named directly, and a folder with no config.json at all.
    folder = c.model_folder("config/named_directly_array", "gpt2", "[]")
    c.add_model("config/named_directly_array", os.path.join(folder, "config.json"))
    c.add_model("config/missing", c.model_folder("config/missing", "gpt2", drop=["config.json"]))


def tokenizer_json(model, **extra):
    doc = {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": {"type": "Whitespace"},
           "post_processor": None, "decoder": None, "model": model}
    doc.update(extra)
    return json.dumps(doc)


def tokenizer_cases(c):
    """tokenizer.json files with huge or negative ids, bad merges, catastrophic regexes, 100 MB strings."""
    words = {w: i for i, w in enumerate(WORDPIECE)}
    wl = lambda vocab: {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    bpe = lambda vocab, merges: {"type": "BPE", "vocab": vocab, "merges": merges, "unk_token": "[UNK]"}
    catastrophic = {"type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated", "invert": False}
    cases = {
        "valid_wordlevel": tokenizer_json(wl(words)),
        "id_huge": tokenizer_json(wl(dict(words, a=2 ** 40))),
        "id_int32_max": tokenizer_json(wl(dict(words, a=2 ** 31 - 1))),
        "id_negative": tokenizer_json(wl(dict(words, a=-5))),
        "id_float": tokenizer_json(wl(dict(words, a=1.5))),
        "id_string": tokenizer_json(wl(dict(words, a="1"))),
        "ids_duplicate": tokenizer_json(wl(dict(words, a=6))),
        "vocab_empty": tokenizer_json(wl({})),
        "vocab_array": tokenizer_json(wl([1, 2])),
        "unk_missing_from_vocab": tokenizer_json({"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "<nope>"}),
        "bpe_merge_unknown_tokens": tokenizer_json(bpe(words, ["zz qq", "a b"])),
        "bpe_merge_one_part": tokenizer_json(bpe(words, ["ab"])),
        "bpe_merge_numbers": tokenizer_json(bpe(words, [1, 2])),
        "bpe_merge_pairs_of_numbers": tokenizer_json(bpe(words, [[1, 2]])),
        "bpe_merge_100k": tokenizer_json(bpe(words, ["a b"] * 100000)),
        "wordpiece_no_unk": tokenizer_json({"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}),
        "model_type_unknown": tokenizer_json({"type": "Neural", "vocab": words}),
        "model_missing": json.dumps({"version": "1.0"}),
        "top_array": "[]",
        "top_string": '"tokenizer"',
        "not_json": "tokenizer",
        "deep_nesting": "{\"a\":" * 50000 + "1" + "}" * 50000,
        "regex_catastrophic": tokenizer_json(wl(words), pre_tokenizer=catastrophic),
        "regex_invalid": tokenizer_json(wl(words), pre_tokenizer={"type": "Split", "pattern": {"Regex": "(("},
                                                                     "behavior": "Isolated", "invert": False}),
        "regex_huge_repeat": tokenizer_json(wl(words), pre_tokenizer={"type": "Split", "pattern": {"Regex": "a{1000000000}"},
                                                                         "behavior": "Isolated", "invert": False}),
        "normalizer_unknown": tokenizer_json(wl(words), normalizer={"type": "Magic"}),
        "added_token_huge_id": tokenizer_json(wl(words), added_tokens=[{"id": 2 ** 40, "content": "zz", "special": True}]),
        "added_token_negative_id": tokenizer_json(wl(words), added_tokens=[{"id": -1, "content": "zz", "special": True}]),
        "added_token_empty_content": tokenizer_json(wl(words), added_tokens=[{"id": 3, "content": "", "special": True}]),
        "post_processor_unknown_special": tokenizer_json(wl(words), post_processor={
            "type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[ZZ]", "type_id": 0}}],
            "pair": [], "special_tokens": {"[ZZ]": {"id": "[ZZ]", "ids": [2 ** 40], "tokens": ["[ZZ]"]}}}),
        "string_100mb": tokenizer_json(wl(dict(words, **{"x" * (100 << 20): 10}))),
        "invalid_utf8": b'{"model": {"type": "WordLevel", "vocab": {"\xff": 0}}}',
    }
    for name, doc in cases.items():
        folder = c.model_folder("tokenizer/" + name, "gpt2", drop=["vocab.txt"], files={"tokenizer.json": doc})
        # The catastrophic regex gets the text that makes a backtracking engine take forever.
        text = "a" * 5000 + "!" if name == "regex_catastrophic" else TRACE_TEXT
        c.add_model("tokenizer/" + name, folder, trace_text=text)


def charsmap(units, replacements, trie_size=None):
    """A precompiled_charsmap (base64): u32 trie size, the double array's u32 units, the strings."""
    import base64
    size = len(units) * 4 if trie_size is None else trie_size
    blob = struct.pack("<I", size) + b"".join(struct.pack("<I", u) for u in units) + replacements
    return base64.b64encode(blob).decode()


def unigram_cases(c):
    """tokenizer.json with a Unigram model (issue 15): scores that are not numbers, empty vocabularies,
    unk ids outside it, and Precompiled character maps that are garbage, cut off or point outside
    themselves; and Marian folders whose SentencePiece files are corrupt."""
    pieces = [["<unk>", 0.0]] + [["\u2581" + w, -1.0 - i / 10] for i, w in enumerate(WORDPIECE[1:])] + [["a", -3.0], ["b", -3.5]]
    uni = lambda vocab=pieces, **m: dict({"type": "Unigram", "vocab": vocab, "unk_id": 0}, **m)
    meta = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    precompiled = lambda m: {"type": "Precompiled", "precompiled_charsmap": m}
    # one rule, "A" -> "a", laid out as in tests/tokenize/hf_tokenizer_unigram_test.cpp
    units = [0] * 322
    units[0], units[321], units[320] = 256 << 10, 0x41 | (1 << 8) | (1 << 10), 0x80000000
    cases = {
        "valid_unigram_old_format": tokenizer_json({"vocab": pieces, "unk_id": 0}, pre_tokenizer=meta),
        "valid_precompiled": tokenizer_json(uni(), pre_tokenizer=meta, normalizer=precompiled(charsmap(units, b"a\0"))),
        "score_nan": tokenizer_json(uni(pieces + [["z", float("nan")]])),   # json.dumps writes NaN: not JSON
        "score_infinity": tokenizer_json(uni(pieces + [["z", float("inf")]])),
        "score_overflow": tokenizer_json(uni()).replace("-3.5", "-1e999"),
        "score_string": tokenizer_json(uni(pieces + [["z", "-1"]])),
        "entry_not_a_pair": tokenizer_json(uni(pieces + [["z"]])),
        "vocab_empty": tokenizer_json(uni([])),
        "vocab_object": tokenizer_json(uni({"a": 1})),
        "unk_id_out_of_range": tokenizer_json(uni(unk_id=len(pieces))),
        "unk_id_huge": tokenizer_json(uni(unk_id=2 ** 40)),
        "unk_id_negative": tokenizer_json(uni(unk_id=-1)),
        "unk_id_null": tokenizer_json(uni(unk_id=None), pre_tokenizer=meta),
        "charsmap_not_base64": tokenizer_json(uni(), normalizer=precompiled("%%% not base64 %%%")),
        "charsmap_number": tokenizer_json(uni(), normalizer=precompiled(12)),
        "charsmap_too_short": tokenizer_json(uni(), normalizer=precompiled("QQ==")),
        "charsmap_trie_past_end": tokenizer_json(uni(), normalizer=precompiled(charsmap(units, b"a\0", 1 << 30))),
        "charsmap_trie_odd_size": tokenizer_json(uni(), normalizer=precompiled(charsmap(units, b"a\0", 6))),
        "charsmap_offsets_wild": tokenizer_json(uni(), pre_tokenizer=meta, normalizer=precompiled(
            charsmap([0xFFFFFC00, 0x41 | (1 << 8) | (1 << 9) | (0x3FFFFF << 10)] * 8, b"a\0"))),
        "charsmap_value_past_strings": tokenizer_json(uni(), pre_tokenizer=meta, normalizer=precompiled(
            charsmap(units[:320] + [0x80000000 | 0x7FFFFFFF] + units[321:], b"a\0"))),
        "charsmap_strings_not_utf8": tokenizer_json(uni(), normalizer=precompiled(charsmap(units, b"\xff\xfe\0"))),
    }
    for name, doc in cases.items():
        folder = c.model_folder("unigram/" + name, "gpt2", drop=["vocab.txt"], files={"tokenizer.json": doc})
        c.add_model("unigram/" + name, folder, trace_text="A b a " + "ab" * 2000)
    # Marian's layout: weights-free folders tokenized alone, whose source.spm is not a model.
    marian_vocab = json.dumps({"</s>": 0, "<unk>": 1, "\u2581a": 2, "<pad>": 3})
    spm_cases = {
        "spm_garbage": b"not a sentencepiece model \xff\xfe",
        "spm_empty": b"",
        "spm_protobuf_tag_only": b"\x0a\xff\xff\xff\xff\x0f",
        "spm_binary": bytes(range(256)) * 64,
    }
    for name, spm in spm_cases.items():
        folder = c.path("marian/" + name)
        os.makedirs(folder, exist_ok=True)
        c.write_file_at(os.path.join(folder, "source.spm"), spm)
        c.write_file_at(os.path.join(folder, "target.spm"), spm)
        c.write_file_at(os.path.join(folder, "vocab.json"), marian_vocab)
        runs = [["tokenize", "--model", folder, "--text", "a b"],
                ["tokenize", "--model", os.path.join(folder, "target.spm"), "--text", "a b"]]
        c.entries.append({"case": "marian/" + name, "kind": "model", "path": folder, "runs": runs})


def vocab_file_cases(c):
    """The older layouts: vocab.txt (BERT), vocab.json + merges.txt (GPT-2)."""
    byte_vocab = {chr(b) if 33 <= b <= 126 else "\u0100" + chr(b): b for b in range(256)}
    cases = {
        "vocab_txt_empty": {"vocab.txt": ""},
        "vocab_txt_only_newlines": {"vocab.txt": "\n" * 100000},
        "vocab_txt_invalid_utf8": {"vocab.txt": b"[UNK]\n\xff\xfe\n"},
        "vocab_txt_line_200k": {"vocab.txt": "[UNK]\n" + "x" * 200000 + "\n"},
        "vocab_txt_nul": {"vocab.txt": "[UNK]\na\x00b\n"},
        "vocab_txt_duplicates": {"vocab.txt": "[UNK]\na\na\na\n"},
        "vocab_json_array": {"vocab.json": "[]", "merges.txt": "#version: 0.2\n"},
        "vocab_json_negative_ids": {"vocab.json": json.dumps({"a": -1, "b": -2}), "merges.txt": ""},
        "vocab_json_huge_id": {"vocab.json": json.dumps(dict(byte_vocab, zz=2 ** 40)), "merges.txt": ""},
        "vocab_json_float_ids": {"vocab.json": json.dumps({"a": 0.5}), "merges.txt": ""},
        "merges_unknown_tokens": {"vocab.json": json.dumps(byte_vocab), "merges.txt": "#version: 0.2\nzz qq\n"},
        "merges_three_parts": {"vocab.json": json.dumps(byte_vocab), "merges.txt": "a b c\n"},
        "merges_binary": {"vocab.json": json.dumps(byte_vocab), "merges.txt": bytes(range(256)) * 4},
        "merges_without_vocab": {"merges.txt": "a b\n"},
    }
    for name, files in cases.items():
        c.add_model("vocab/" + name, c.model_folder("vocab/" + name, "gpt2", drop=["vocab.txt"], files=files))


def seed(name):
    with open(os.path.join(FUZZ_SEEDS, name), encoding="utf-8") as f:
        return json.load(f)  # a seed without // comments


def own_model_cases(c):
    """The own JSON model format (design.md), broken in its config, tokenizer and weights."""
    base = seed("json_model/decoder_learned_layernorm.json")

    def with_config(**kv):
        m = json.loads(json.dumps(base))
        m["config"].update(kv)
        return m

    cases = {
        "n_heads_zero": with_config(n_heads=0), "n_heads_negative": with_config(n_heads=-2),
        "n_heads_not_divisor": with_config(n_heads=3), "d_model_huge": with_config(d_model=2 ** 31 - 1),
        "n_layers_huge": with_config(n_layers=10 ** 9), "max_len_huge": with_config(max_len=2 ** 40),
        "max_len_zero": with_config(max_len=0), "d_ff_negative": with_config(d_ff=-1),
        "norm_eps_zero": with_config(norm_eps=0), "attn_scale_string": with_config(attn_scale="big"),
        "positional_unknown": with_config(positional="rotary"), "config_array": dict(base, config=[1]),
        "weights_missing": {k: v for k, v in base.items() if k != "weights"},
        "tokenizer_vocab_empty": dict(base, tokenizer=dict(base["tokenizer"], vocab=[])),
        "tokenizer_vocab_numbers": dict(base, tokenizer=dict(base["tokenizer"], vocab=[1, 2, 3])),
        "version_2": dict(base, version=2), "format_other": dict(base, format="onnx"),
    }
    for name, doc in cases.items():
        c.add_model("own_model/" + name, c.write_file("own_model/%s.json" % name, json.dumps(doc)))
    raw = {"weights_overflow": json.dumps(base).replace("1", "1e39", 1), "not_json": "{format: attnscope-model}",
           "top_array": "[]", "empty": "", "deep_nesting": "[" * 100000, "invalid_utf8": b'{"name": "\xc0\x80"}',
           "comment_unterminated": "/* " + json.dumps(base)}
    for name, text in raw.items():
        c.add_model("own_model/" + name, c.write_file("own_model/%s.json" % name, text))


def app_json_cases(c):
    """Lesson, session and training-config files: the CLI must refuse them as models (exit 3
    naming the file), and `train` must refuse broken training configs the same way."""
    lesson, session, training = seed("lesson/minimal.json"), seed("session/minimal.json"), seed("training_config/tiny.json")
    docs = {
        "lesson/valid": lesson,
        "lesson/caption_30k": dict(lesson, steps=[dict(lesson["steps"][0], caption={"title": "t", "text": "x" * 30000})]),
        "lesson/steps_not_array": dict(lesson, steps=5),
        "lesson/model_fifo": dict(lesson, steps=[dict(lesson["steps"][1], model="/dev/stdin")]),
        "session/valid": session,
        "session/text_nul": dict(session, text="a\u0000b"),
        "session/layer_huge": dict(session, layer=2 ** 40),
        "session/model_missing": dict(session, model="/nonexistent/model.json"),
        "session/text_too_long": dict(session, text=" ".join(["bank"] * 5000)),
        "session/text_control_characters": dict(session, text="bank \u001b[2J\u202e river\u0007"),
        "lesson/title_100k": dict(lesson, title="t" * 100000),
        "lesson/caption_lines_20k": dict(lesson, steps=[dict(lesson["steps"][0], caption={"title": "t", "text": "a\n" * 20000})]),
    }
    for name, doc in docs.items():
        path = c.write_file(name + ".json", json.dumps(doc))
        # The app opens each as what it is: a lesson to play, a session to restore (and save).
        gui = [["--lesson", path]] if name.startswith("lesson/") else [["--session", path]]
        c.add_model(name, path, gui_runs=gui)
    corpus_file = c.write_file("training/corpus.txt", "the bank of the river\ni took the money to the bank\n")

    def model(**kv):
        return dict(training, model=dict(training["model"], **kv))

    configs = {
        "valid": training, "d_model_zero": model(d_model=0), "n_heads_zero": model(n_heads=0),
        "n_heads_not_divisor": model(n_heads=3), "max_len_huge": model(max_len=2 ** 31 - 1),
        "d_model_huge": model(d_model=2 ** 20), "steps_negative": dict(training, training=dict(training["training"], steps=-1)),
        "learning_rate_string": dict(training, training=dict(training["training"], learning_rate="fast")),
        "model_array": dict(training, model=[1]), "top_array": [training],
    }
    for name, doc in configs.items():
        path = c.write_file("training/%s.json" % name, json.dumps(doc))
        out = c.path("training/%s.out.json" % name)
        train = ["train", "--corpus", corpus_file, "--config", path, "--out", out, "--steps", "2"]
        c.add_model("training/" + name, path, extra_runs=[train])


def special_file_cases(c):
    """FIFOs, directories, symlink loops, devices, unreadable files (readable to root: still run)."""
    fifo = c.path("special/model_fifo.json")
    os.mkfifo(fifo)
    c.add_model("special/fifo_model_json", fifo)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt"):
        folder = c.model_folder("special/fifo_" + name, "gpt2", drop=["vocab.txt"] if name == "tokenizer.json" else [])
        target = os.path.join(folder, name)
        if os.path.exists(target):
            os.remove(target)
        os.mkfifo(target)
        c.add_model("special/fifo_" + name, folder)
    empty = c.path("special/empty_folder")
    os.makedirs(empty)
    c.add_model("special/empty_folder", empty)
    dir_json = c.path("special/folder_named.json")
    os.makedirs(dir_json)
    c.add_model("special/folder_named_json", dir_json)
    folder = c.model_folder("special/config_is_folder", "gpt2", drop=["config.json"])
    os.makedirs(os.path.join(folder, "config.json"))
    c.add_model("special/config_is_folder", folder)
    loop_a, loop_b = c.path("special/loop_a.json"), c.path("special/loop_b.json")
    os.symlink(loop_b, loop_a)
    os.symlink(loop_a, loop_b)
    c.add_model("special/symlink_loop", loop_a)
    folder = c.model_folder("special/config_symlink_loop", "gpt2", drop=["config.json"])
    os.symlink("config.json", os.path.join(folder, "config.json"))
    c.add_model("special/config_symlink_loop", folder)
    dangling = c.path("special/dangling.json")
    os.symlink("/nonexistent/target.json", dangling)
    c.add_model("special/dangling_symlink", dangling)
    for dev in ("/dev/zero", "/dev/urandom", "/dev/null"):
        folder = c.model_folder("special/config_is_" + dev[5:], "gpt2", drop=["config.json"])
        os.symlink(dev, os.path.join(folder, "config.json"))
        c.add_model("special/config_is_" + dev[5:], folder)
    link = c.path("special/model_is_dev_zero.json")
    os.symlink("/dev/zero", link)
    c.add_model("special/model_is_dev_zero", link)
    unreadable = c.write_file("special/unreadable.json", json.dumps(seed("json_model/decoder_learned_layernorm.json")))
    os.chmod(unreadable, 0)
    c.add_model("special/unreadable_model", unreadable)
    folder = c.model_folder("special/unreadable_config", "gpt2")
    os.chmod(os.path.join(folder, "config.json"), 0)
    c.add_model("special/unreadable_config", folder)
    folder = c.model_folder("special/unreadable_folder", "gpt2")
    os.chmod(folder, 0)
    c.add_model("special/unreadable_folder", folder)
    # Huge files (sparse: no disk used): read whole and parsed into a JSON tree, they would take
    # six times their size in memory; each is refused by its size before a byte is read.
    huge = c.path("special/huge_model.json")
    with open(huge, "wb") as f:
        f.truncate(600 << 20)
    c.add_model("special/huge_json_model", huge)
    folder = c.model_folder("special/huge_tokenizer_json", "gpt2", drop=["vocab.txt"])
    with open(os.path.join(folder, "tokenizer.json"), "wb") as f:
        f.truncate(300 << 20)
    c.add_model("special/huge_tokenizer_json", folder)
    folder = c.model_folder("special/huge_config_json", "gpt2")
    with open(os.path.join(folder, "config.json"), "wb") as f:
        f.truncate(100 << 20)
    c.add_model("special/huge_config_json", folder)
    c.add_model("special/nonexistent", c.path("special/does_not_exist.json"))
    c.add_model("special/builtin_unknown_name", "builtin:" + "x" * 5000)


def text_cases(c):
    """Hostile texts for the default model."""
    cases = {
        "words_10000": " ".join(["bank"] * 10000).encode(),
        "word_100kb": b"a" * 100000,
        "empty": b"",
        "only_spaces": b" " * 1000,
        "invalid_utf8_ff": b"the \xff bank",
        "invalid_utf8_truncated": b"the bank \xe2\x82",
        "invalid_utf8_overlong": b"\xc0\xaf\xe0\x80\xaf",
        "invalid_utf8_surrogate": b"\xed\xa0\x80\xed\xb0\x80",
        "invalid_utf8_above_max": b"\xf4\x90\x80\x80 \xf8\x88\x80\x80\x80",
        "control_chars": bytes(range(1, 32)) + b" bank",
        "escape_sequences": b"\x1b[2J\x1b]0;pwned\x07 the bank",
        "bidi_overrides": "the \u202ekab\u202c bank \u2066x\u2069 \u200f".encode(),
        "zero_width": "b\u200ba\u200dn\u200ck\ufeff".encode(),
        "combining_10000": ("a" + "\u0301" * 10000).encode(),
        "emoji_zwj": ("\U0001F468\u200d\U0001F469\u200d\U0001F467 " * 100).encode(),
        "bom_and_nbsp": "\ufeffthe\u00a0bank".encode(),
        "private_and_noncharacters": "\ue000\uffff\U0010ffff".encode(),
        "mixed_scripts_long": ("bank \u0431\u0430\u043d\u043a \u9280\u884c \u0628\u0646\u0643 " * 2000).encode(),
        "punctuation_50000": b"!" * 50000,
        "newlines_tabs": b"the\n\n\tbank\r\n" * 500,
    }
    for name, data in cases.items():
        c.add_text("text/" + name, data)


def gguf_cases(c):
    """GGUF files (issue 16) whose header, metadata or tensor infos lie: each must be refused by the
    container reader naming the file and the problem (exit 3); the sound container, which holds no
    model, is refused naming the first key a llama model needs. Little-endian fields written from
    ggml's docs/gguf.md."""
    def s(text):
        b = text.encode() if isinstance(text, str) else text
        return struct.pack("<Q", len(b)) + b

    def kv(key, type_id, payload):
        return s(key) + struct.pack("<I", type_id) + payload

    def info(name, dims, type_id, offset):
        return s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", type_id, offset)

    def gguf(kvs, infos, data=b"", version=3, n_tensors=None, n_kv=None):
        out = b"GGUF" + struct.pack("<IQQ", version, len(infos) if n_tensors is None else n_tensors,
                                    len(kvs) if n_kv is None else n_kv) + b"".join(kvs) + b"".join(infos)
        out += b"\0" * (-len(out) % 32)
        return out + data

    arch = kv("general.architecture", 8, s("llama"))
    f32x2 = info("w", [2], 0, 0)
    two_floats = struct.pack("<2f", 1.0, 2.0)
    files = {
        "sound_f32": gguf([arch], [f32x2], two_floats),
        "empty_named_gguf": b"",
        "version_1": gguf([arch], [f32x2], two_floats, version=1),
        "version_big_endian": gguf([arch], [f32x2], two_floats, version=0x03000000),
        "kv_count_2_63": gguf([arch], [f32x2], two_floats, n_kv=2 ** 63),
        "tensor_count_max": gguf([arch], [f32x2], two_floats, n_tensors=HUGE_U64),
        "string_length_2_62": gguf([kv("general.name", 8, struct.pack("<Q", 2 ** 62))], []),
        "array_of_2_61_u64": gguf([kv("t.a", 9, struct.pack("<IQ", 10, 2 ** 61))], []),
        "strings_array_past_end": gguf([kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 10 ** 9))], []),
        "arrays_nested_100": gguf([kv("t.deep", 9, struct.pack("<IQ", 9, 1) * 99 + struct.pack("<IQ", 0, 0))], []),
        "unknown_value_type": gguf([kv("t.x", 200, b"\0" * 8)], []),
        "bool_is_7": gguf([kv("t.b", 7, b"\x07")], []),
        "duplicate_key": gguf([arch, arch], [f32x2], two_floats),
        "duplicate_tensor": gguf([arch], [f32x2, f32x2], two_floats),
        "dims_2_63": gguf([arch], [info("w", [2 ** 63, 1], 0, 0)], two_floats),
        "dims_product_wraps": gguf([arch], [info("w", [2 ** 32, 2 ** 32], 0, 0)], two_floats),
        "n_dims_5": gguf([arch], [info("w", [1, 1, 1, 1, 1], 0, 0)], two_floats),
        "bytes_overflow_f64": gguf([arch], [info("w", [2 ** 62], 28, 0)], two_floats),
        "unknown_ggml_type": gguf([arch], [info("w", [32], 31, 0)], b"\0" * 32),
        "row_not_whole_q4_k_blocks": gguf([arch], [info("w", [100, 2], 12, 0)], b"\0" * 144),
        "tensor_past_end": gguf([arch], [info("w", [1024], 0, 0)], two_floats),
        "offset_wraps": gguf([arch], [info("w", [8], 0, HUGE_U64 - 31)], two_floats),
        "offset_misaligned": gguf([arch], [info("w", [1], 0, 4)], two_floats),
        "alignment_zero": gguf([arch, kv("general.alignment", 4, struct.pack("<I", 0))], [f32x2], two_floats),
        "alignment_48": gguf([arch, kv("general.alignment", 4, struct.pack("<I", 48))], [f32x2], two_floats),
    }
    for name, data in files.items():
        path = c.path("gguf/" + name + ".gguf")
        with open(path, "wb") as f:
            f.write(data)
        c.add_model("gguf/" + name, path)
    # The magic without the .gguf name, cut after the header.
    path = c.path("gguf/cut_header.bin.json")
    with open(path, "wb") as f:
        f.write(b"GGUF\x03\x00\x00\x00\x01")
    c.add_model("gguf/cut_header_named_json", path)


def gguf_model_cases(c):
    """Sound GGUF containers whose llama, gpt2 or bert model lies (issue 16): absurd or zero sizes,
    widths the heads do not divide, a type AttnScope cannot read, NaN weights and scales, an
    architecture it does not run, tensors missing or in the wrong layout. Each must be refused
    naming the file, or traced with a message (exit 0 or 3)."""
    def s(text):
        b = text.encode() if isinstance(text, str) else text
        return struct.pack("<Q", len(b)) + b

    def kv(key, type_id, payload):
        return s(key) + struct.pack("<I", type_id) + payload

    def u32(key, v):
        return kv(key, 4, struct.pack("<I", v))

    def strings(key, items):
        return kv(key, 9, struct.pack("<IQ", 8, len(items)) + b"".join(s(i) for i in items))

    def llama(arch="llama", d=8, heads=2, kv_heads=2, layers=1, ff=8, overrides=None, v_type=0, v_bytes=None, fill=None):
        """A 1-layer llama with a 4-piece SentencePiece vocabulary; `overrides` replaces metadata values."""
        meta = {"general.architecture": kv("general.architecture", 8, s(arch)),
                arch + ".embedding_length": u32(arch + ".embedding_length", d),
                arch + ".block_count": u32(arch + ".block_count", layers),
                arch + ".attention.head_count": u32(arch + ".attention.head_count", heads),
                arch + ".attention.head_count_kv": u32(arch + ".attention.head_count_kv", kv_heads),
                arch + ".feed_forward_length": u32(arch + ".feed_forward_length", ff),
                arch + ".attention.layer_norm_rms_epsilon": kv(arch + ".attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5)),
                "tokenizer.ggml.model": kv("tokenizer.ggml.model", 8, s("llama")),
                "tokenizer.ggml.tokens": strings("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "\u2581bank"]),
                "tokenizer.ggml.scores": kv("tokenizer.ggml.scores", 9, struct.pack("<IQ4f", 6, 4, 0, 0, 0, -1)),
                "tokenizer.ggml.token_type": kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ4i", 5, 4, 2, 3, 3, 1))}
        meta.update(overrides or {})
        tensors = [("token_embd.weight", [d, 4], 0, None), ("output_norm.weight", [d], 0, None)]
        for l in range(min(layers, 2)):
            b = "blk.%d." % l
            tensors += [(b + "attn_norm.weight", [d], 0, None), (b + "attn_q.weight", [d, d], 0, None),
                        (b + "attn_k.weight", [d, d], 0, None), (b + "attn_v.weight", [d, d], v_type, v_bytes),
                        (b + "attn_output.weight", [d, d], 0, None), (b + "ffn_norm.weight", [d], 0, None),
                        (b + "ffn_gate.weight", [d, ff], 0, None), (b + "ffn_up.weight", [d, ff], 0, None),
                        (b + "ffn_down.weight", [ff, d], 0, None)]
        return container(meta, tensors, fill)

    def gpt2(d=8, heads=2, overrides=None, drop=(), dims=None):
        """A 1-layer GPT-2 as llama.cpp writes it (Conv1D weights out x in), a 4-piece byte-level vocabulary."""
        g = "gpt2."
        meta = {"general.architecture": kv("general.architecture", 8, s("gpt2")),
                g + "embedding_length": u32(g + "embedding_length", d), g + "block_count": u32(g + "block_count", 1),
                g + "attention.head_count": u32(g + "attention.head_count", heads),
                g + "feed_forward_length": u32(g + "feed_forward_length", 4 * d),
                g + "attention.layer_norm_epsilon": kv(g + "attention.layer_norm_epsilon", 6, struct.pack("<f", 1e-5)),
                "tokenizer.ggml.model": kv("tokenizer.ggml.model", 8, s("gpt2")),
                "tokenizer.ggml.pre": kv("tokenizer.ggml.pre", 8, s("gpt-2")),
                "tokenizer.ggml.tokens": strings("tokenizer.ggml.tokens", ["a", "b", "\u0120", "<|endoftext|>"]),
                "tokenizer.ggml.token_type": kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ4i", 5, 4, 1, 1, 1, 3)),
                "tokenizer.ggml.merges": strings("tokenizer.ggml.merges", [])}
        meta.update(overrides or {})
        shapes = {"token_embd.weight": [d, 4], "position_embd.weight": [d, 16], "output_norm.weight": [d], "output_norm.bias": [d],
                  "blk.0.attn_norm.weight": [d], "blk.0.attn_norm.bias": [d], "blk.0.attn_qkv.weight": [d, 3 * d],
                  "blk.0.attn_qkv.bias": [3 * d], "blk.0.attn_output.weight": [d, d], "blk.0.attn_output.bias": [d],
                  "blk.0.ffn_norm.weight": [d], "blk.0.ffn_norm.bias": [d], "blk.0.ffn_up.weight": [d, 4 * d],
                  "blk.0.ffn_up.bias": [4 * d], "blk.0.ffn_down.weight": [4 * d, d], "blk.0.ffn_down.bias": [d]}
        shapes.update(dims or {})
        return container(meta, [(n, x, 0, None) for n, x in shapes.items() if n not in drop], None)

    def bert(d=8, heads=2, overrides=None, drop=()):
        """A 1-layer BERT as llama.cpp writes it (no masked-word head), a 5-piece phantom-space vocabulary."""
        g = "bert."
        meta = {"general.architecture": kv("general.architecture", 8, s("bert")),
                g + "embedding_length": u32(g + "embedding_length", d), g + "block_count": u32(g + "block_count", 1),
                g + "attention.head_count": u32(g + "attention.head_count", heads),
                g + "feed_forward_length": u32(g + "feed_forward_length", 2 * d),
                g + "attention.layer_norm_epsilon": kv(g + "attention.layer_norm_epsilon", 6, struct.pack("<f", 1e-12)),
                g + "attention.causal": kv(g + "attention.causal", 7, b"\0"),
                "tokenizer.ggml.model": kv("tokenizer.ggml.model", 8, s("bert")),
                "tokenizer.ggml.tokens": strings("tokenizer.ggml.tokens", ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u2581bank"]),
                "tokenizer.ggml.token_type": kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ5i", 5, 5, 3, 2, 3, 3, 1)),
                "tokenizer.ggml.unknown_token_id": u32("tokenizer.ggml.unknown_token_id", 1),
                "tokenizer.ggml.bos_token_id": u32("tokenizer.ggml.bos_token_id", 2),
                "tokenizer.ggml.seperator_token_id": u32("tokenizer.ggml.seperator_token_id", 3)}
        meta.update(overrides or {})
        shapes = {"token_embd.weight": [d, 5], "token_types.weight": [d, 2], "position_embd.weight": [d, 16],
                  "token_embd_norm.weight": [d], "token_embd_norm.bias": [d]}
        for t, dims in (("attn_q", [d, d]), ("attn_k", [d, d]), ("attn_v", [d, d]), ("attn_output", [d, d]),
                        ("ffn_up", [d, 2 * d]), ("ffn_down", [2 * d, d])):
            shapes["blk.0.%s.weight" % t] = dims
            shapes["blk.0.%s.bias" % t] = [dims[1]]
        for t in ("attn_output_norm", "layer_output_norm"):
            shapes["blk.0.%s.weight" % t], shapes["blk.0.%s.bias" % t] = [d], [d]
        return container(meta, [(n, x, 0, None) for n, x in shapes.items() if n not in drop], None)

    def container(meta, tensors, fill):
        """GGUF v3 with `meta` and F32 tensors filled with `fill` (default 0.02), or their own bytes."""
        value = fill if fill is not None else struct.pack("<f", 0.02)
        infos, data = [], b""
        for name, dims, type_id, raw in tensors:
            n = 1
            for x in dims:
                n *= x
            blob = raw if raw is not None else value * n
            data += b"\0" * (-len(data) % 32)
            infos.append(s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", x) for x in dims) +
                         struct.pack("<IQ", type_id, len(data)))
            data += blob
        kvs = list(meta.values())
        out = b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(kvs)) + b"".join(kvs) + b"".join(infos)
        out += b"\0" * (-len(out) % 32)
        return out + data

    a = "llama."
    nan_half = struct.pack("<H", 0x7E00)
    files = {
        "sound_tiny_llama": llama(),
        "block_count_2_40": llama(overrides={a + "block_count": kv(a + "block_count", 10, struct.pack("<Q", 2 ** 40))}),
        "block_count_more_than_tensors": llama(overrides={a + "block_count": u32(a + "block_count", 3)}),
        "head_count_zero": llama(overrides={a + "attention.head_count": u32(a + "attention.head_count", 0)}),
        "heads_do_not_divide_width": llama(overrides={a + "attention.head_count": u32(a + "attention.head_count", 3)}),
        "kv_heads_do_not_divide_heads": llama(overrides={a + "attention.head_count_kv": u32(a + "attention.head_count_kv", 3)}),
        "head_count_is_a_string": llama(overrides={a + "attention.head_count": kv(a + "attention.head_count", 8, s("two"))}),
        "eps_negative": llama(overrides={a + "attention.layer_norm_rms_epsilon":
                                         kv(a + "attention.layer_norm_rms_epsilon", 6, struct.pack("<f", -1.0))}),
        "width_2_31": llama(overrides={a + "embedding_length": u32(a + "embedding_length", 2 ** 31)}),
        "nan_weights": llama(fill=struct.pack("<f", float("nan"))),
        "huge_weights": llama(fill=struct.pack("<f", 3e38)),
        "q8_0_nan_scale": llama(d=32, ff=32, heads=2, kv_heads=2, v_type=8, v_bytes=(nan_half + b"\x01" * 32) * 32),
        "unreadable_type_iq4_nl": llama(d=32, ff=32, v_type=20, v_bytes=b"\0" * (18 * 32)),
        "architecture_mamba": llama(arch="mamba"),
        "no_tokenizer": llama(overrides={"tokenizer.ggml.model": kv("tokenizer.ggml.model", 8, s("none-such"))}),
        "gemma_with_llama_tensors": llama(arch="gemma"),
        "qwen3_without_q_norm": llama(arch="qwen3"),
        "olmo2_with_llama_norms": llama(arch="olmo2"),
        "phi3_rope_dims_above_the_head": llama(arch="phi3", overrides={"phi3.rope.dimension_count": u32("phi3.rope.dimension_count", 16)}),
        "phi3_unfused_tensors": llama(arch="phi3"),
        "gemma2_with_llama_tensors": llama(arch="gemma2"),
        "gemma2_softcap_nan": llama(arch="gemma2", overrides={"gemma2.attn_logit_softcapping": kv("gemma2.attn_logit_softcapping", 6,
                                                                                                  struct.pack("<f", float("nan")))}),
        "gemma2_window_zero": llama(arch="gemma2", overrides={"gemma2.attention.sliding_window": u32("gemma2.attention.sliding_window", 0)}),
        "gemma3_with_llama_tensors": llama(arch="gemma3"),
        "gemma3_27b_layer_count_heads_zero": llama(arch="gemma3", layers=62, overrides={
            "gemma3.attention.head_count": u32("gemma3.attention.head_count", 0)}),
        "gptneox_with_llama_tensors": llama(arch="gptneox"),
        "gptneox_rope_dims_above_the_head": llama(arch="gptneox", overrides={"gptneox.rope.dimension_count": u32("gptneox.rope.dimension_count", 99)}),
        "sound_tiny_gpt2": gpt2(),
        "gpt2_qkv_two_thirds": gpt2(dims={"blk.0.attn_qkv.weight": [8, 16]}),
        "gpt2_qkv_as_hugging_face_stores_it": gpt2(dims={"blk.0.attn_qkv.weight": [24, 8]}),
        "gpt2_no_position_table": gpt2(drop=("position_embd.weight",)),
        "gpt2_heads_do_not_divide_width": gpt2(heads=3),
        "gpt2_unknown_pre_tokenizer": gpt2(overrides={"tokenizer.ggml.pre": kv("tokenizer.ggml.pre", 8, s("none-such"))}),
        "sound_tiny_bert": bert(),
        "bert_causal": bert(overrides={"bert.attention.causal": kv("bert.attention.causal", 7, b"\1")}),
        "bert_without_token_types": bert(drop=("token_types.weight",)),
        "bert_no_attn_output_norm": bert(drop=("blk.0.attn_output_norm.bias",)),
        "bert_eps_zero": bert(overrides={"bert.attention.layer_norm_epsilon":
                                         kv("bert.attention.layer_norm_epsilon", 6, struct.pack("<f", 0.0))}),
    }
    for name, data in files.items():
        path = c.path("gguf_model/" + name + ".gguf")
        with open(path, "wb") as f:
            f.write(data)
        c.add_model("gguf_model/" + name, path)


FAMILIES = [safetensors_cases, gguf_cases, gguf_model_cases, config_size_cases, config_shape_cases, tokenizer_cases, unigram_cases, vocab_file_cases,
            own_model_cases, app_json_cases, special_file_cases, text_cases]


def clear(out):
    """Removes an earlier corpus, unreadable folders included."""
    if not os.path.exists(out):
        return
    for root, dirs, _ in os.walk(out):
        for d in dirs:
            p = os.path.join(root, d)
            if not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU)
    shutil.rmtree(out)


def main(argv):
    args = argv[1:]
    reference = None
    if "--reference" in args:
        i = args.index("--reference")
        reference = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = os.path.abspath(args[0])
    clear(out)
    os.makedirs(out)
    corpus = Corpus(out, reference)
    for family in FAMILIES:
        family(corpus)
    corpus.save_manifest()
    runs = sum(len(e["runs"]) for e in corpus.entries)
    print("wrote %d hostile cases (%d runs) to %s" % (len(corpus.entries), runs, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
