"""Running rgw-diff: each case on both sides at once, the comparison, the accepted differences, the servers
(RGW through scripts/start-rgw.sh, fake-s3 from its binary) and main()."""

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback

# The case modules register their cases in import order, which is the order they run and are reported in.
from . import cases_acl, cases_policy, cases_share, cases_tenants, cases_errors  # noqa: F401
from . import cases_post, cases_presign, cases_objects  # noqa: F401
from .caselib import CASES
from .config import ACCEPTED_FILE, ACCOUNTS, CONFIG, ROOT, RUN, SCRIPTS, VERBOSE, log
from .side import Side


def run_case(side, fn):
    side.obs = {}
    t0 = side.last = time.time()
    try:
        fn(side)
    except Exception as e:  # noqa: BLE001  (a harness error is recorded; the other side may differ)
        side.obs["harness error"] = f"{type(e).__name__}: {e}"
        if VERBOSE:
            traceback.print_exc()
    side.elapsed = time.time() - t0
    return side.obs


def short(v, n=160):
    t = json.dumps(v, sort_keys=True, ensure_ascii=False) if not isinstance(v, str) else v
    return t if len(t) <= n else t[:n] + "…"


def compare(a, b):
    diffs = []
    for step in list(dict.fromkeys(list(a) + list(b))):
        va, vb = a.get(step, "<not run>"), b.get(step, "<not run>")
        if va != vb:
            diffs.append((step, va, vb))
    return diffs


def load_users():
    cfg = json.load(open(CONFIG))
    users = {}
    for acct in cfg["accounts"]:
        tenant = "" if re.fullmatch(r"[0-9]{12}", acct["id"]) else acct["id"]
        for u in acct.get("users", []):
            ACCOUNTS[u["name"]] = acct["id"]
            if u.get("keys"):
                k = u["keys"][0]
                users[u["name"]] = (k["access_key_id"], k["secret_access_key"], tenant)
    for need in ("pi", "bob", "Bob", "wendy", "mallory", "tina", "jane@uab.edu", "manny@uab.edu", "carl"):
        if need not in users:
            sys.exit(f"rgw-diff: {CONFIG} has no user {need} (the cases need the users of scripts/fake-s3-shares-ceph.json)")
    return users


class Servers:
    def __init__(self):
        self.fake_proc = None
        self.started_rgw = False
        self.tmp = tempfile.mkdtemp(prefix="rgw-diff.")

    def start(self):
        rgw = os.environ.get("RGW_ENDPOINT")
        script = os.path.join(SCRIPTS, "start-rgw.sh")
        if not rgw:
            log("RGW_ENDPOINT unset: scripts/start-rgw.sh start")
            r = subprocess.run([script, "start"], stdout=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise SystemExit("rgw-diff: scripts/start-rgw.sh start failed (its messages above)")
            m = re.search(r"^export RGW_ENDPOINT=(\S+)", r.stdout, re.M)
            rgw = m.group(1)
            self.started_rgw = True
        if self.started_rgw or subprocess.run([script, "status"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            r = subprocess.run([script, "users", CONFIG])
            if r.returncode != 0:
                raise SystemExit("rgw-diff: scripts/start-rgw.sh users failed")
        fake = os.environ.get("FAKE_ENDPOINT")
        if not fake:
            binary = os.environ.get("FAKE_S3_BIN") or next(
                (p for p in (os.path.join(ROOT, "target", d, "fake-s3") for d in ("release", "debug")) if os.access(p, os.X_OK)), None)
            if not binary or not os.access(binary, os.X_OK):
                raise SystemExit("rgw-diff: no fake-s3 binary (set FAKE_S3_BIN or FAKE_ENDPOINT)")
            out, err = open(os.path.join(self.tmp, "fake.out"), "w"), open(os.path.join(self.tmp, "fake.log"), "w")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env["RUST_LOG"] = "info"
            self.fake_proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--config", CONFIG],
                                              stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
            for _ in range(100):
                text = open(os.path.join(self.tmp, "fake.out")).read()
                m = re.search(r"^fake-s3 listening on (http://127\.0\.0\.1:\d+)", text, re.M)
                if m:
                    fake = m.group(1)
                    break
                if self.fake_proc.poll() is not None:
                    break
                time.sleep(0.1)
            if not fake:
                raise SystemExit(f"rgw-diff: fake-s3 did not start (see {self.tmp}/fake.log)")
        return rgw, fake

    def stop(self, keep_logs):
        if self.fake_proc and self.fake_proc.poll() is None:
            self.fake_proc.send_signal(signal.SIGTERM)
            try:
                self.fake_proc.wait(5)
            except subprocess.TimeoutExpired:
                self.fake_proc.kill()
        if self.started_rgw and os.environ.get("RGW_DIFF_KEEP") != "1":
            subprocess.run([os.path.join(SCRIPTS, "start-rgw.sh"), "stop"])
        if self.fake_proc and keep_logs:
            log(f"fake-s3's request log (operation, principal, decision) kept in {self.tmp}/fake.log")
        else:
            for f in ("fake.out", "fake.log"):
                try:
                    os.remove(os.path.join(self.tmp, f))
                except OSError:
                    pass
            try:
                os.rmdir(self.tmp)
            except OSError:
                pass


def main():
    for v in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(v, None)
    os.environ["NO_PROXY"] = "*"
    users = load_users()
    accepted = json.load(open(ACCEPTED_FILE)) if os.path.exists(ACCEPTED_FILE) else {}
    accepted = {k: v for k, v in accepted.items() if not k.startswith("_")}
    only = re.compile(os.environ.get("RGW_DIFF_ONLY", ""))
    servers = Servers()
    failed = True
    try:
        rgw_ep, fake_ep = servers.start()
        sides = [Side("rgw", rgw_ep, users), Side("fake", fake_ep, users)]
        for s in sides:
            try:
                s.learn_ids()
            except Exception as e:  # noqa: BLE001
                raise SystemExit(f"rgw-diff: the users of {os.path.basename(CONFIG)} cannot list their buckets on "
                                 f"{s.name} ({s.endpoint}): {e} (on RGW: scripts/start-rgw.sh users {CONFIG})")
        log(f"rgw {rgw_ep}, fake {fake_ep}, config {os.path.basename(CONFIG)}, run {RUN}")
        t0 = time.time()
        counts = {"SAME": 0, "ACCEPTED": 0, "DIFF": 0}
        unknown_accepted = set(accepted) - {n for n, _ in CASES}
        all_obs = {}
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for name, fn in CASES:
                if not only.search(name):
                    continue
                fa, fb = pool.submit(run_case, sides[0], fn), pool.submit(run_case, sides[1], fn)
                a, b = fa.result(), fb.result()
                all_obs[name] = {"rgw": a, "fake": b}
                diffs = compare(a, b)
                acc = accepted.get(name)
                if VERBOSE:
                    print(f"    {name}: rgw {sides[0].elapsed:.2f} s, fake {sides[1].elapsed:.2f} s")
                    for step in dict.fromkeys(list(a) + list(b)):
                        print(f"    {name} | {step}: rgw={short(a.get(step), 400)} fake={short(b.get(step), 400)}")
                if not diffs:
                    counts["SAME"] += 1
                    print(f"SAME {name}" + (" (listed in rgw-accepted.json but no longer differs)" if acc else ""))
                    continue
                allowed = set(acc.get("steps", [])) if acc else set()
                unlisted = [d for d in diffs if allowed and d[0] not in allowed]
                detail = "; ".join(f"{st}: rgw={short(x)} fake={short(y)}" for st, x, y in diffs)
                if acc and not unlisted:
                    counts["ACCEPTED"] += 1
                    print(f"ACCEPTED {name}: {acc.get('reason', '')}")
                    if VERBOSE:
                        print(f"    ({detail})")
                else:
                    counts["DIFF"] += 1
                    if acc:
                        detail = "; ".join(f"{st}: rgw={short(x)} fake={short(y)}" for st, x, y in unlisted) + \
                            " (steps not in the accepted entry)"
                    print(f"DIFF {name}: {detail}")
                sys.stdout.flush()
        elapsed = time.time() - t0
        if os.environ.get("RGW_DIFF_OUT"):
            json.dump(all_obs, open(os.environ["RGW_DIFF_OUT"], "w"), indent=1, ensure_ascii=False, default=str)
        for n in sorted(unknown_accepted):
            print(f"rgw-diff: note: rgw-accepted.json names {n!r}, which is no case")
        print(f"rgw-diff: {counts['SAME']} same, {counts['ACCEPTED']} accepted, {counts['DIFF']} different "
              f"(not accepted) in {elapsed:.1f} s")
        print(f"rgw-diff: {counts['SAME'] + counts['ACCEPTED']} passed, {counts['DIFF']} failed")
        failed = bool(counts["DIFF"])
        return 1 if failed else 0
    finally:
        servers.stop(keep_logs=failed)
