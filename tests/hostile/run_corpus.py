#!/usr/bin/env python3
"""Runs the hostile corpus through attnscope-cli and checks the contract of design.md.

    run_corpus.py CLI CORPUS_DIR [--jobs N] [--only CASE_PREFIX] [--reference HF_REFERENCE_DIR]

Writes the corpus (make_corpus.py) into CORPUS_DIR, then runs every case's argument lists under a
30 s time limit and an 8 GB address-space limit. Each run must exit 0 or 3, never by a signal or
a timeout, and an exit 3 must print a message on stderr that names the file (or --text for a
text) and is not "unexpected error". Prints the counts and every failure; exits 1 on a failure.
"""
import concurrent.futures
import json
import os
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402

TIME_LIMIT_S = 30
ADDRESS_SPACE_LIMIT = 8 << 30


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def expand(arg):
    """"@bytes:FILE" -> the file's bytes (texts JSON cannot hold); anything else as it is."""
    if arg.startswith("@bytes:"):
        with open(arg[len("@bytes:"):], "rb") as f:
            return f.read()
    return arg.encode()


def run(cli, args):
    """(exit code or None on timeout, stderr as text)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([cli.encode()] + [expand(a) for a in args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, preexec_fn=limit_memory, start_new_session=True, env=env)
    try:
        _, err = proc.communicate(timeout=TIME_LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, ""
    return proc.returncode, err.decode("utf-8", "replace")


def names_the_input(case, args, stderr):
    """An exit-3 message must say what was wrong with: the file (a prefix of a cut path will do)
    or, for a text, --text; a train run may name its config or corpus."""
    if case["kind"] == "text" or "--text:" in stderr:
        return "--text" in stderr
    if args[0] == "train" and ("--config" in stderr or "--corpus" in stderr or args[args.index("--config") + 1] in stderr):
        return True
    return case["path"][:200] in stderr


def check(cli, case, args):
    """(exit code or None, a failure message or None when the run kept the contract)."""
    started = time.monotonic()
    code, stderr = run(cli, args)
    seconds = time.monotonic() - started
    what = "%s: attnscope-cli %s" % (case["case"], " ".join(a[:80] for a in args))
    return code, failure(case, args, code, stderr, seconds, what)


def failure(case, args, code, stderr, seconds, what):
    """What broke the contract in one finished run, or None."""
    if code is None:
        return what + ": no answer within %d s" % TIME_LIMIT_S
    if code < 0:
        return what + ": killed by signal %d (%s); stderr: %s" % (-code, signal.Signals(-code).name, stderr[-500:])
    if code not in (0, 3):
        return what + ": exit %d (expected 0 or 3); stderr: %s" % (code, stderr[-500:])
    if code == 3:
        if not stderr.strip():
            return what + ": exit 3 without a message"
        if "unexpected error" in stderr:
            return what + ": exit 3 with an unexpected error: " + stderr[:500]
        if not names_the_input(case, args, stderr):
            return what + ": the message does not name the input: " + stderr[:500]
    if seconds > TIME_LIMIT_S / 2:
        print("slow (%.1f s): %s" % (seconds, what), flush=True)
    return None


def main(argv):
    args = argv[1:]
    jobs = 2
    if "--jobs" in args:
        i = args.index("--jobs")
        jobs = int(args[i + 1])
        del args[i:i + 2]
    only = ""
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1]
        del args[i:i + 2]
    make_args = [a for a in args if a != "--reference"]
    if len(make_args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cli, out = args[0], os.path.abspath(args[1])
    if make_corpus.main(["make_corpus.py"] + args[1:]) != 0:
        return 2
    with open(os.path.join(out, "manifest.jsonl")) as f:
        cases = [c for c in map(json.loads, f) if c["case"].startswith(only)]
    runs = [(case, a) for case in cases for a in case["runs"]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda r: check(cli, *r), runs))
    failures = [f for _, f in results if f]
    for f in failures:
        print("FAIL " + f)
    codes = {}
    for code, _ in results:
        codes[code] = codes.get(code, 0) + 1
    print("exit codes: " + ", ".join("%s: %d" % (c if c is not None else "timeout", n) for c, n in sorted(codes.items(), key=str)))
    print("hostile corpus: %d cases, %d runs, %d failures" % (len(cases), len(runs), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
