#!/usr/bin/env python3
"""Runs the hostile corpus through attnscope-cli and checks the contract of design.md.

    run_corpus.py CLI CORPUS_DIR [--jobs N] [--only CASE_PREFIX] [--gui APP [--gui-cases N]]
                  [--reference HF_REFERENCE_DIR]

Writes the corpus (make_corpus.py) into CORPUS_DIR, then runs every case's argument lists under a
30 s time limit and an 8 GB address-space limit. Each run must exit 0 or 3, never by a signal or
a timeout, and an exit 3 must print a message on stderr that names the file (or --text for a
text) and is not "unexpected error". Prints the counts and every failure; exits 1 on a failure.

With --gui, a spread of N cases (20 by default) also opens in the desktop app under one Xvfb
server (`attnscope --model PATH --screenshot OUT.png --frames 3`), and every lesson and session
case as a lesson (--lesson) or a session (--session), held to the same contract (a model that
fails to load exits 3); HOME and XDG_CONFIG_HOME point into CORPUS_DIR so no setting
or session reaches the real home.
"""
import concurrent.futures
import contextlib
import json
import os
import resource
import shutil
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


def run(cli, args, env_extra=None):
    """(exit code or None on timeout, stderr as text)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", **(env_extra or {}))
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


def check(cli, case, args, env_extra=None):
    """(exit code or None, a failure message or None when the run kept the contract)."""
    started = time.monotonic()
    code, stderr = run(cli, args, env_extra)
    seconds = time.monotonic() - started
    what = "%s: %s %s" % (case["case"], os.path.basename(cli), " ".join(a[:80] for a in args))
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


@contextlib.contextmanager
def xvfb_display():
    """One Xvfb server for all the GUI runs: yields its DISPLAY (":N"). -noreset: an X server
    otherwise resets when its last client leaves, and an app that connects during the reset
    fails with "Failed to open display" (a CI run saw it once)."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"],
                              pass_fds=[write_fd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as f:
            display = f.readline().strip()
        yield ":" + display
    finally:
        server.terminate()
        server.wait()


def gui_runs(cases, out, count):
    """A spread of `count` cases for the desktop app: models by --model, a few texts by --text."""
    models = [c for c in cases if c["kind"] == "model"]
    texts = [c for c in cases if c["kind"] == "text"]
    picks = models[::max(1, len(models) // max(1, count - 3))][:max(0, count - 3)] + texts[::max(1, len(texts) // 3)][:3]
    shot = os.path.join(out, "gui_screenshot.png")
    runs = []
    for c in picks:
        what = ["--model", c["path"]] if c["kind"] == "model" else ["--text", c["runs"][0][2]]
        runs.append((c, what + ["--screenshot", shot, "--frames", "3"]))
    for c in cases:  # lessons and sessions, each as the app opens it
        for what in c.get("gui", []):
            runs.append((c, what + ["--screenshot", shot, "--frames", "3"]))
    return runs


def run_gui(gui, cases, out, count):
    """The GUI runs, one at a time (each draws with the CPU): [(exit code, failure)]."""
    if shutil.which("Xvfb") is None:
        print("gui: skipped (no Xvfb)")
        return []
    home = os.path.join(out, "gui_home")
    os.makedirs(home, exist_ok=True)
    with xvfb_display() as display:
        env = {"DISPLAY": display, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config")}
        return [check(gui, case, args, env) for case, args in gui_runs(cases, out, count)]


def take_option(args, name, default):
    """The value after `name` in args (both removed), or `default`."""
    if name not in args:
        return default
    i = args.index(name)
    value = args[i + 1]
    del args[i:i + 2]
    return value


def main(argv):
    args = argv[1:]
    jobs = int(take_option(args, "--jobs", 2))
    only = take_option(args, "--only", "")
    gui = take_option(args, "--gui", None)
    gui_cases = int(take_option(args, "--gui-cases", 20))
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
    if gui:
        gui_results = run_gui(gui, cases, out, gui_cases)
        results += gui_results
        if gui_results:
            print("gui: %d runs" % len(gui_results))
    failures = [f for _, f in results if f]
    for f in failures:
        print("FAIL " + f)
    codes = {}
    for code, _ in results:
        codes[code] = codes.get(code, 0) + 1
    print("exit codes: " + ", ".join("%s: %d" % (c if c is not None else "timeout", n) for c, n in sorted(codes.items(), key=str)))
    print("hostile corpus: %d cases, %d runs, %d failures" % (len(cases), len(results), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
