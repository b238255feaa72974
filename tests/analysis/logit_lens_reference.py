#!/usr/bin/python3
"""Independent numpy reference for AttnScope's logit lens (nostalgebraist 2020).

Usage:
    logit_lens_reference.py MODEL_FOLDER IDS_JSON K
        -> JSON on stdout:
           {"layers": [{"layer": l, "positions": [{"index": i, "top": [{"id": id, "p": prob}, ...]}, ...]}, ...]}
           layers 0..L-1 in order, positions 0..n-1 in order, K entries per cell, most probable first
           (ties: lower id first; K larger than the vocabulary gives the whole vocabulary).
    logit_lens_reference.py --self-test
        -> checks (see self_test); exit 0 when all pass

MODEL_FOLDER: a Hugging Face folder (config.json + model.safetensors or shards listed in
model.safetensors.index.json), model_type "gpt2" or "llama" (and what ablation_reference.Model reads as
llama: "mistral", "qwen2"). IDS_JSON: a JSON list of token ids, inline ('[1, 403, 407]') or a file holding
that list (or an object with an "ids" list, e.g. make_reference's expected.json); used as given, no BOS
added. K: a positive integer.

Definition, all in float64 from the weights as stored:
    h_l[i] = the residual stream at position i after layer l's whole block (attention and MLP both added),
             l = 0..L-1; h_{L-1} is what the model feeds its final norm.
    lens_l[i] = softmax(final_norm(h_l[i]) @ head^T)
        final_norm: exactly the model's own, as applied to its last layer's output:
            gpt2:  ln_f LayerNorm (weight and bias, eps = layer_norm_epsilon, default 1e-5);
            llama: RMSNorm with model.norm.weight, eps = rms_norm_eps.
        head: gpt2: wte (tied); llama: lm_head.weight, or embed_tokens when tied / lm_head not stored.
    So lens_{L-1} is the model's own output distribution.

The forward pass is NOT a third copy: it is ablation_reference.py's Model (embed / layer / logits; the
same file checks it against make_reference's gpt2_forward / llama_forward), imported by path and used
unchanged: h_l = Model.layer(l, h_{l-1}) with h_{-1} = Model.embed(ids), and the lens logits are
Model.logits(h_l), which is the final norm + LM head the model uses on its last layer's output.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # importing the sibling modules must not leave files in the tree

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ABLATION_REFERENCE = os.path.join(HERE, "ablation_reference.py")


def _import_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ar = _import_by_path("ablation_reference", ABLATION_REFERENCE)  # only definitions run at import
mr = ar.mr  # make_reference, as ablation_reference imported it
MAKE_REFERENCE = ar.MAKE_REFERENCE


# ---------------------------------------------------------------- the lens

def softmax_rows(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def residual_streams(model, ids):
    """[h_0, ..., h_{L-1}]: n x d each, the stream after each layer's whole block."""
    x = model.embed(ids)
    out = []
    for l in range(model.L):
        x = model.layer(l, x)
        out.append(x)
    return out


def lens_probs(model, ids):
    """Yields (l, P_l) with P_l: n x vocab, softmax(final_norm(h_l) @ head^T) row by row."""
    for l, h in enumerate(residual_streams(model, ids)):
        yield l, softmax_rows(model.logits(h))


def top_k(p, k):
    """[(id, p)] for the k most probable ids of the 1-D p, most probable first, ties: lower id first."""
    p = np.asarray(p, dtype=np.float64)
    k = min(int(k), p.shape[0])
    order = np.lexsort((np.arange(p.shape[0]), -p))[:k]  # primary: -p ascending; then id ascending
    return [(int(i), float(p[i])) for i in order]


def logit_lens(model, ids, k):
    if int(k) < 1:
        raise ValueError("K must be a positive integer, got %r" % k)
    layers = []
    for l, P in lens_probs(model, ids):
        layers.append({"layer": l, "positions": [
            {"index": i, "top": [{"id": t, "p": p} for t, p in top_k(P[i], k)]} for i in range(P.shape[0])]})
    return {"layers": layers}


def dump(result):
    """The JSON, one position per line."""
    parts = []
    for layer in result["layers"]:
        rows = ",\n".join("    " + json.dumps(pos) for pos in layer["positions"])
        parts.append('  {"layer": %d, "positions": [\n%s\n  ]}' % (layer["layer"], rows))
    return '{"layers": [\n' + ",\n".join(parts) + "\n]}"


# ---------------------------------------------------------------- self-test

REF_DIR = "/tmp/hfref_lens"
WORK_DIR = "/tmp/logit_lens_reference_selftest"
STORIES = "/work/shared/models/stories260K"


def run_cli(folder, ids, k):
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), folder, json.dumps(ids), str(k)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("logit_lens_reference.py %s failed: %s" % (folder, proc.stderr.strip()))
    return json.loads(proc.stdout)


def check_last_layer(c, case):
    folder = os.path.join(REF_DIR, case)
    model = ar.Model(folder)
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)
    ids = expected["ids"]
    if model.kind == "gpt2":
        _, theirs = mr.gpt2_forward(model.W, model.p, model.cfg, ids)
    else:
        _, theirs = mr.llama_forward(model.W, model.cfg, ids)
    all_layers = list(lens_probs(model, ids))
    last = all_layers[-1][1]
    d_fn = ar.max_abs(last, softmax_rows(theirs))
    d_json = ar.max_abs(last, softmax_rows(np.array(expected["logits"], dtype=np.float64)))
    c.check("%s: last layer (%d) lens == softmax(make_reference %s logits), all %d positions x %d ids, within 1e-9" % (
        case, model.L - 1, "gpt2_forward" if model.kind == "gpt2" else "llama_forward", last.shape[0], last.shape[1]),
        d_fn <= 1e-9 and d_json <= 1e-9,
        "max |diff| %.3g (forward on these weights), %.3g (expected.json logits)" % (d_fn, d_json))
    sums = max(float(np.max(np.abs(P.sum(axis=1) - 1.0))) for _, P in all_layers)
    c.check("%s: %d layers, every lens row sums to 1" % (case, len(all_layers)),
            len(all_layers) == model.L and sums <= 1e-12, "max |sum - 1| %.3g" % sums)
    # The CLI's JSON on the same input: shape, order, top-K == the full distributions' K largest.
    K = 5
    got = run_cli(folder, ids, K)
    ok = [l["layer"] for l in got["layers"]] == list(range(model.L))
    worst = 0.0
    for (l, P), layer in zip(all_layers, got["layers"]):
        ok &= [p["index"] for p in layer["positions"]] == list(range(len(ids)))
        for i, pos in enumerate(layer["positions"]):
            ids_top = [t["id"] for t in pos["top"]]
            ps = [t["p"] for t in pos["top"]]
            ok &= len(ids_top) == K and all(ps[j] >= ps[j + 1] for j in range(K - 1))
            # nothing outside the K is more probable than the K-th
            outside = np.delete(P[i], ids_top)
            ok &= bool(outside.max() <= ps[-1])
            worst = max(worst, max(abs(P[i][t] - p) for t, p in zip(ids_top, ps)))
    c.check("%s: CLI JSON, K = %d: layers 0..%d, positions 0..%d, K entries descending, the true top-K" % (
        case, K, model.L - 1, len(ids) - 1), ok and worst == 0.0, "max |p diff| %.3g" % worst)
    return model, ids


def check_identity_layer0(c, case, model, ids):
    """A copy with layer 0's attention output projection and MLP down projection (weights and biases)
    zeroed: layer 0 adds nothing, h_0 == the embeddings, so layer 0's lens == the embeddings' lens,
    computed here directly (own norm formula, own head product)."""
    W = ar.Weights(os.path.join(REF_DIR, case))
    for name in W.keys():
        W[name] = W[name]  # materialize every tensor
    if model.kind == "gpt2":
        b = "%sh.0." % model.p
        zeroed = [b + "attn.c_proj.weight", b + "attn.c_proj.bias", b + "mlp.c_proj.weight", b + "mlp.c_proj.bias"]
    else:
        b = "model.layers.0."
        zeroed = [n for n in (b + "self_attn.o_proj.weight", b + "self_attn.o_proj.bias",
                              b + "mlp.down_proj.weight", b + "mlp.down_proj.bias") if n in W]
    for name in zeroed:
        W[name] = np.zeros_like(W[name])
    folder = os.path.join(WORK_DIR, case + "_layer0_identity")
    shutil.rmtree(folder, ignore_errors=True)
    ar.write_f32_checkpoint(folder, W, model.cfg)

    # Directly, from the copy's stored tensors, no Model: the embeddings, the final norm, the head.
    st = ar.Weights(folder)
    cfg = model.cfg
    if model.kind == "gpt2":
        p = model.p
        e = st[p + "wte.weight"][ids] + st[p + "wpe.weight"][np.arange(len(ids))]
        eps = cfg.get("layer_norm_epsilon", 1e-5)
        mu = e.mean(axis=1, keepdims=True)
        var = ((e - mu) ** 2).mean(axis=1, keepdims=True)
        normed = (e - mu) / np.sqrt(var + eps) * st[p + "ln_f.weight"] + st[p + "ln_f.bias"]
        head = st[p + "wte.weight"]
        how = "ln_f(wte[ids] + wpe[0..n-1]) @ wte^T"
    else:
        e = st["model.embed_tokens.weight"][ids]
        eps = cfg["rms_norm_eps"]
        normed = e / np.sqrt((e * e).mean(axis=1, keepdims=True) + eps) * st["model.norm.weight"]
        tied = cfg.get("tie_word_embeddings", False) or "lm_head.weight" not in st
        head = st["model.embed_tokens.weight"] if tied else st["lm_head.weight"]
        how = "rms_norm(embed_tokens[ids]) * model.norm.weight @ %s^T" % ("embed_tokens" if tied else "lm_head")
    logits = np.array([[float(np.dot(normed[i], head[v])) for v in range(head.shape[0])] for i in range(len(ids))])
    direct = softmax_rows(logits)

    copy = ar.Model(folder)
    hs = residual_streams(copy, ids)
    c.check("%s copy, layer 0's %s zeroed: h_0 == the embeddings exactly" % (case, ", ".join(n[len(b):] for n in zeroed)),
            np.array_equal(hs[0], copy.embed(ids)))
    P0 = next(lens_probs(copy, ids))[1]
    d = ar.max_abs(P0, direct)
    c.check("%s copy: layer 0 lens == %s, computed directly, within 1e-12" % (case, how), d <= 1e-12,
            "max |diff| %.3g" % d)
    K = 4
    got = run_cli(folder, ids, K)["layers"][0]["positions"]
    want = [top_k(direct[i], K) for i in range(len(ids))]
    same_ids = all([t["id"] for t in got[i]["top"]] == [t for t, _ in want[i]] for i in range(len(ids)))
    dp = max(abs(t["p"] - q) for i in range(len(ids)) for t, (_, q) in zip(got[i]["top"], want[i]))
    c.check("%s copy: CLI layer 0 top-%d == the direct lens's top-%d at every position" % (case, K, K),
            same_ids and dp <= 1e-12, "last position: %s" % ", ".join("%d:%.6f" % (t["id"], t["p"]) for t in got[-1]["top"]))
    # The unedited model's layer 0 lens is not the embeddings' lens (the edit mattered).
    P0_orig = next(lens_probs(model, ids))[1]
    c.check("%s (unedited): layer 0 lens differs from the embeddings' lens" % case, ar.max_abs(P0_orig, direct) > 1e-6,
            "max |diff| %.3g" % ar.max_abs(P0_orig, direct))


def check_top_k_rule(c):
    p = np.array([0.1, 0.3, 0.05, 0.3, 0.1, 0.15])
    got = top_k(p, 4)
    c.check("top_k ties: lower id first", [t for t, _ in got] == [1, 3, 5, 0], str(got))
    c.check("top_k: K larger than the vocabulary gives the whole vocabulary",
            [t for t, _ in top_k(p, 10)] == [1, 3, 5, 0, 4, 2])


def token_strings(folder):
    try:
        with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
            tok = json.load(f)
    except (OSError, ValueError):
        return {}
    vocab = tok.get("model", {}).get("vocab", {})
    names = {int(v): k for k, v in vocab.items()} if isinstance(vocab, dict) else {}
    for a in tok.get("added_tokens", []):
        names[int(a["id"])] = a["content"]
    return names


def stories(c):
    if not os.path.exists(os.path.join(STORIES, "config.json")):
        c.check("stories260K present at %s" % STORIES, False)
        return
    model = ar.Model(STORIES)
    ids, K = [1, 403, 407, 261, 378], 3
    result = run_cli(STORIES, ids, K)
    _, theirs = mr.llama_forward(model.W, model.cfg, ids)
    P_model = softmax_rows(theirs)
    last = result["layers"][-1]["positions"]
    d = max(abs(t["p"] - P_model[i][t["id"]]) for i, pos in enumerate(last) for t in pos["top"])
    same = all([t["id"] for t in pos["top"]] == [t for t, _ in top_k(P_model[i], K)] for i, pos in enumerate(last))
    c.check("stories260K: %d layers x %d positions x K=%d; last layer == softmax(make_reference llama_forward)"
            % (model.L, len(ids), K), len(result["layers"]) == model.L and same and d <= 1e-9, "max |diff| %.3g" % d)
    names = token_strings(STORIES)
    print("stories260K ids %s (%s), K = %d; top-%d at the last position (index %d), layer by layer:" % (
        ids, " ".join(repr(names.get(i, "?")) for i in ids), K, K, len(ids) - 1))
    for layer in result["layers"]:
        top = layer["positions"][-1]["top"]
        print("    layer %d: top-1 id %d %r p %.10f   (top-%d: %s)" % (
            layer["layer"], top[0]["id"], names.get(top[0]["id"], "?"), top[0]["p"], K,
            ", ".join("%d %r %.6f" % (t["id"], names.get(t["id"], "?"), t["p"]) for t in top)))


def self_test():
    c = ar.Checker()
    proc = subprocess.run([sys.executable, MAKE_REFERENCE, REF_DIR], capture_output=True, text=True)
    c.check("make_reference.py %s" % REF_DIR, proc.returncode == 0, (proc.stdout + proc.stderr).strip())
    if proc.returncode != 0:
        return 1
    os.makedirs(WORK_DIR, exist_ok=True)
    check_top_k_rule(c)
    for case in ("gpt2_f32", "llama_f32_gqa_untied_sharded"):
        model, ids = check_last_layer(c, case)
        check_identity_layer0(c, case, model, ids)
    stories(c)
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


# ---------------------------------------------------------------- command line

def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    try:
        try:
            k = int(argv[3])
        except ValueError:
            raise ValueError("K must be a positive integer, got %r" % argv[3])
        model = ar.Model(argv[1])
        result = logit_lens(model, ar.read_ids(argv[2]), k)
    except (ValueError, KeyError, OSError) as e:
        sys.stderr.write("logit_lens_reference.py: %s\n" % e)
        return 1
    print(dump(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
