#!/usr/bin/python3
"""Independent numpy reference for AttnScope's per-head detector scores.

Usage:
    head_detectors_reference.py TRACE.json   -> JSON array (one object per head) on stdout
    head_detectors_reference.py --self-test  -> hand-worked checks; exit 0 when all pass

TRACE.json is the output of `attnscope-cli trace` (see /work/shared/design.md,
"attnscope-cli trace"). Only `tokens[*].id` and `layers[*].heads[*].weights`
(n x n, rows = queries, columns = keys) are used; `source`/`cross_layers` are
ignored.

Per head, with A the head's n x n weights (float64) and ids the token ids:

  TransformerLens detect_head, error measure "mul", exclude_bos=False,
  exclude_current_token=False:   score = sum(A * P) / sum(A)
    previous : P[i, i-1] = 1 for i >= 1
    duplicate: P[i, j] = 1 when ids[j] == ids[i] and j < i
    induction: P[i, j] = P_dup[i, j-1] for 1 <= j <= i (column 0 zero, lower
               triangle incl. diagonal), so P[i, i] = 1 when ids[i-1] == ids[i]
  first    : mean_t A[t, 0]                       (attention-sink strength of key 0)
  sink     : first > 0.3
  self     : mean_i A[i, i]
  entropy  : mean_i -sum_j A[i,j] log2 A[i,j]     (bits, 0 log 0 = 0)
  distance : mean_i sum_j A[i,j] |i - j|
"""

import json
import math
import os
import subprocess
import sys

import numpy as np

KEYS = ["layer", "head", "previous", "duplicate", "induction", "first",
        "sink", "self", "entropy", "distance"]
SINK_THRESHOLD = 0.3


# ---------------------------------------------------------------- patterns

def previous_pattern(n):
    p = np.zeros((n, n), dtype=np.float64)
    for i in range(1, n):
        p[i, i - 1] = 1.0
    return p


def duplicate_pattern(ids):
    ids = list(ids)
    n = len(ids)
    p = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i):  # strictly below the diagonal
            if ids[j] == ids[i]:
                p[i, j] = 1.0
    return p


def induction_pattern(ids):
    dup = duplicate_pattern(ids)
    n = dup.shape[0]
    p = np.zeros((n, n), dtype=np.float64)
    # shift one column right, first column zeros, then keep j <= i (tril)
    for i in range(n):
        for j in range(1, i + 1):
            p[i, j] = dup[i, j - 1]
    return p


def mul_score(a, p):
    total = float(a.sum())
    if total == 0.0:
        return 0.0
    return float((a * p).sum() / total)


# ---------------------------------------------------------------- scores

def head_scores(weights, ids):
    """Return the detector scores (dict, without layer/head) of one head."""
    n = len(weights)
    if any(len(row) != n for row in weights):
        raise ValueError("weights are not %d x %d" % (n, n))
    a = np.zeros((n, n), dtype=np.float64)
    for i, row in enumerate(weights):
        for j, x in enumerate(row):
            a[i, j] = 0.0 if x is None else float(x)
    if len(ids) != n:
        raise ValueError("weights are %d x %d but there are %d tokens" % (n, n, len(ids)))
    if n == 0:
        return {"previous": 0.0, "duplicate": 0.0, "induction": 0.0, "first": 0.0,
                "sink": False, "self": 0.0, "entropy": 0.0, "distance": 0.0}

    previous = mul_score(a, previous_pattern(n))
    duplicate = mul_score(a, duplicate_pattern(ids))
    induction = mul_score(a, induction_pattern(ids))

    first = float(a[:, 0].mean())
    self_ = float(np.diag(a).mean())

    logs = np.zeros_like(a)
    pos = a > 0.0
    logs[pos] = np.log2(a[pos])
    entropy = float((-(a * logs).sum(axis=1)).mean())
    if entropy == 0.0:
        entropy = 0.0  # normalise -0.0

    idx = np.arange(n, dtype=np.float64)
    dist = np.abs(idx[:, None] - idx[None, :])
    distance = float((a * dist).sum(axis=1).mean())

    return {"previous": previous, "duplicate": duplicate, "induction": induction,
            "first": first, "sink": bool(first > SINK_THRESHOLD), "self": self_,
            "entropy": entropy, "distance": distance}


def trace_scores(trace):
    ids = [int(t["id"]) for t in trace["tokens"]]
    out = []
    for layer in sorted(trace["layers"], key=lambda l: l["index"]):
        for head in sorted(layer["heads"], key=lambda h: h["index"]):
            if "weights" not in head:
                raise ValueError("layer %d head %d has no weights" % (layer["index"], head["index"]))
            s = head_scores(head["weights"], ids)
            obj = {"layer": int(layer["index"]), "head": int(head["index"])}
            obj.update(s)
            out.append({k: obj[k] for k in KEYS})
    return out


# ---------------------------------------------------------------- self-test

class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def ok(self, name):
        self.passed += 1
        print("PASS %s" % name)

    def fail(self, name, msg):
        self.failed += 1
        print("FAIL %s: %s" % (name, msg))

    def skip(self, name, msg):
        self.skipped += 1
        print("SKIP %s: %s" % (name, msg))

    def close(self, name, got, want, tol=1e-12):
        if isinstance(want, bool):
            if got is want:
                self.ok("%s = %s" % (name, want))
            else:
                self.fail(name, "got %r, want %r" % (got, want))
            return
        if abs(got - want) <= tol:
            self.ok("%s = %.12g" % (name, want))
        else:
            self.fail(name, "got %.15g, want %.15g" % (got, want))


def check_case(c, label, weights, ids, expected):
    got = head_scores(weights, ids)
    for k, v in expected.items():
        c.close("%s %s" % (label, k), got[k], v)


def hand_worked(c):
    # Case 1: ids [5, 7, 5, 7], causal A.
    #   P_prev = {(1,0),(2,1),(3,2)}; P_dup = {(2,0),(3,1)}; P_ind = {(2,1),(3,2)}
    #   sum(A) = 4
    #   previous  = (0.5 + 0.25 + 0.25) / 4 = 0.25
    #   duplicate = (0.5 + 0.5) / 4         = 0.25
    #   induction = (0.25 + 0.25) / 4       = 0.125
    #   first     = (1 + 0.5 + 0.5 + 0.125) / 4 = 0.53125 -> sink
    #   self      = (1 + 0.5 + 0.25 + 0.125) / 4 = 0.46875
    #   entropy   = (0 + 1 + 1.5 + 1.75) / 4 = 1.0625
    #     row2: .5*1 + .25*2 + .25*2 = 1.5; row3: .125*3 + .5*1 + .25*2 + .125*3 = 1.75
    #   distance  = (0 + 0.5 + 1.25 + 1.625) / 4 = 0.84375
    #     row2: .5*2 + .25*1 = 1.25; row3: .125*3 + .5*2 + .25*1 = 1.625
    a1 = [[1.0, 0.0, 0.0, 0.0],
          [0.5, 0.5, 0.0, 0.0],
          [0.5, 0.25, 0.25, 0.0],
          [0.125, 0.5, 0.25, 0.125]]
    check_case(c, "causal[5,7,5,7]", a1, [5, 7, 5, 7], {
        "previous": 0.25, "duplicate": 0.25, "induction": 0.125,
        "first": 0.53125, "sink": True, "self": 0.46875,
        "entropy": 1.0625, "distance": 0.84375})

    # Case 2: encoder-style (full) A, ids [4, 4, 9].
    #   Upper-triangle mass is never matched by the TL patterns.
    #   P_prev = {(1,0),(2,1)}; P_dup = {(1,0)} (the (0,1) match is above the
    #   diagonal); P_ind = {(1,1)} because ids[0] == ids[1]; P_ind[2,2] = 0.
    #   sum(A) = 3
    #   previous  = (0.25 + 0.5) / 3 = 0.25
    #   duplicate = 0.25 / 3         = 1/12
    #   induction = 0.5 / 3          = 1/6
    #   first     = (0.5 + 0.25 + 0) / 3 = 0.25 -> no sink (<= 0.3)
    #   self      = (0.5 + 0.5 + 0.5) / 3 = 0.5
    #   entropy   = (1 + 1.5 + 1) / 3 = 7/6
    #   distance  = (0.5 + 0.5 + 0.5) / 3 = 0.5
    a2 = [[0.5, 0.5, 0.0],
          [0.25, 0.5, 0.25],
          [0.0, 0.5, 0.5]]
    check_case(c, "full[4,4,9]", a2, [4, 4, 9], {
        "previous": 0.25, "duplicate": 1.0 / 12.0, "induction": 1.0 / 6.0,
        "first": 0.25, "sink": False, "self": 0.5,
        "entropy": 7.0 / 6.0, "distance": 0.5})

    # Case 3: uniform causal A, n = 4, A[i, j] = 1/(i+1) for j <= i, ids [1, 2, 1, 2].
    #   sum(A) = 4
    #   previous  = (1/2 + 1/3 + 1/4) / 4 = 13/48
    #   duplicate = A[2,0] + A[3,1] = (1/3 + 1/4) / 4 = 7/48
    #   induction = A[2,1] + A[3,2] = (1/3 + 1/4) / 4 = 7/48
    #   first = self = (1 + 1/2 + 1/3 + 1/4) / 4 = 25/48 -> sink
    #   entropy: row i is log2(i+1): (0 + 1 + log2 3 + 2) / 4
    #            = (3 + 1.584962500721156) / 4 = 1.146240625180289
    #   distance: row i is sum_{j<=i} (i-j)/(i+1) = i/2 -> (0 + .5 + 1 + 1.5) / 4 = 0.75
    a3 = [[1.0, 0.0, 0.0, 0.0],
          [0.5, 0.5, 0.0, 0.0],
          [1 / 3.0, 1 / 3.0, 1 / 3.0, 0.0],
          [0.25, 0.25, 0.25, 0.25]]
    check_case(c, "uniform4[1,2,1,2]", a3, [1, 2, 1, 2], {
        "previous": 13.0 / 48.0, "duplicate": 7.0 / 48.0, "induction": 7.0 / 48.0,
        "first": 25.0 / 48.0, "sink": True, "self": 25.0 / 48.0,
        "entropy": 1.146240625180289, "distance": 0.75})

    # Case 4: the patterns themselves, written out by hand.
    want_dup = [[0, 0, 0, 0],
                [0, 0, 0, 0],
                [1, 0, 0, 0],
                [0, 1, 0, 0]]
    want_ind = [[0, 0, 0, 0],
                [0, 0, 0, 0],
                [0, 1, 0, 0],
                [0, 0, 1, 0]]
    want_ind_diag = [[0, 0, 0],
                     [0, 1, 0],
                     [0, 0, 0]]
    want_prev = [[0, 0, 0],
                 [1, 0, 0],
                 [0, 1, 0]]
    for name, got, want in [
            ("pattern duplicate [5,7,5,7]", duplicate_pattern([5, 7, 5, 7]), want_dup),
            ("pattern induction [5,7,5,7]", induction_pattern([5, 7, 5, 7]), want_ind),
            ("pattern induction [4,4,9]", induction_pattern([4, 4, 9]), want_ind_diag),
            ("pattern previous n=3", previous_pattern(3), want_prev)]:
        if np.array_equal(got, np.array(want, dtype=np.float64)):
            c.ok(name)
        else:
            c.fail(name, "got %s" % got.tolist())

    # Case 5: a one-token sequence: A = [[1]].
    #   previous = duplicate = induction = 0, first = self = 1, entropy = 0, distance = 0
    check_case(c, "single", [[1.0]], [3], {
        "previous": 0.0, "duplicate": 0.0, "induction": 0.0, "first": 1.0,
        "sink": True, "self": 1.0, "entropy": 0.0, "distance": 0.0})


def real_traces(c):
    script = os.path.abspath(__file__)
    root = os.path.dirname(os.path.dirname(os.path.dirname(script)))
    cli = os.path.join(root, "build", "bin", "attnscope-cli")
    runs = [
        ("builtin", "/tmp/head_detectors_ref_builtin.json",
         ["trace", "--text", "the cat sat on the mat and the cat sat"], None),
        ("gpt2_f32", "/tmp/head_detectors_ref_gpt2.json",
         ["trace", "--model", "build/tests/hf_reference/gpt2_f32", "--text", "a b c a b c"],
         os.path.join(root, "build", "tests", "hf_reference", "gpt2_f32")),
    ]
    tol = 1e-6  # float32 weights: a row may sum to 1 + a few ulp
    for label, path, args, needed in runs:
        name = "real trace %s" % label
        if not os.access(cli, os.X_OK):
            c.skip(name, "%s is not built" % cli)
            continue
        if needed is not None and not os.path.exists(needed):
            c.skip(name, "%s does not exist" % needed)
            continue
        r = subprocess.run([cli] + args, cwd=root, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            c.fail(name, "attnscope-cli exit %d: %s" % (r.returncode, r.stderr.decode()[-400:]))
            continue
        with open(path, "wb") as f:
            f.write(r.stdout)
        r2 = subprocess.run([sys.executable, script, path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
        if r2.returncode != 0:
            c.fail(name, "reference exit %d: %s" % (r2.returncode, r2.stderr.decode()[-400:]))
            continue
        try:
            rows = json.loads(r2.stdout.decode())
        except ValueError as e:
            c.fail(name, "stdout is not JSON: %s" % e)
            continue
        trace = json.loads(r.stdout.decode())
        layers = sorted(trace["layers"], key=lambda l: l["index"])
        want_order = [(l["index"], h["index"]) for l in layers
                      for h in sorted(l["heads"], key=lambda h: h["index"])]
        problems = []
        if [(o["layer"], o["head"]) for o in rows] != want_order:
            problems.append("heads are not layer-major / complete")
        for o in rows:
            where = "L%dH%d" % (o["layer"], o["head"])
            if list(o.keys()) != KEYS:
                problems.append("%s keys %s" % (where, list(o.keys())))
                continue
            for k in ["previous", "duplicate", "induction", "first", "self"]:
                v = o[k]
                if not isinstance(v, float) or not math.isfinite(v) or v < -tol or v > 1 + tol:
                    problems.append("%s %s=%r out of [0,1]" % (where, k, v))
            for k in ["entropy", "distance"]:
                v = o[k]
                if not isinstance(v, float) or not math.isfinite(v) or v < -tol:
                    problems.append("%s %s=%r negative" % (where, k, v))
            if not isinstance(o["sink"], bool) or o["sink"] != (o["first"] > SINK_THRESHOLD):
                problems.append("%s sink=%r with first=%r" % (where, o["sink"], o["first"]))
        if problems:
            c.fail(name, "; ".join(problems[:10]))
        else:
            c.ok("%s (%d heads, %d tokens, scores in range)"
                 % (name, len(rows), len(trace["tokens"])))


def self_test():
    c = Checker()
    hand_worked(c)
    real_traces(c)
    print("%d passed, %d failed, %d skipped" % (c.passed, c.failed, c.skipped))
    return 0 if c.failed == 0 else 1


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: %s TRACE.json | --self-test\n" % argv[0])
        return 2
    try:
        with open(argv[1], "r", encoding="utf-8") as f:
            trace = json.load(f)
        rows = trace_scores(trace)
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.stderr.write("%s: %s\n" % (argv[1], e))
        return 3
    json.dump(rows, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
