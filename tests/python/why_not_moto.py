#!/usr/bin/env python3
"""Runs the suite's denial assertions (`-m denial`) against fake-s3 and against moto, and writes
README's "why not moto" table from the two runs.

    python tests/python/why_not_moto.py [--out TABLE.md] [pytest args...]

Needs the fake-s3 wheel (or FAKE_S3_BIN), pytest, boto3, requests and moto[server] in this Python.
Prints one `PASS:`/`FAIL:` line per denial test (PASS: refused by fake-s3 and let through or
otherwise failing on moto), the table, and exits 1 when fake-s3 missed a denial or moto passed one.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(backend, extra):
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results.json")
        env = dict(os.environ, FAKE_S3_BACKEND=backend, FAKE_S3_RESULTS_JSON=results)
        cmd = [sys.executable, "-m", "pytest", HERE, "-q", "-p", "no:cacheprovider", "-m", "denial", *extra]
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if not os.path.exists(results):
            sys.stdout.write(proc.stdout[-4000:])
            raise SystemExit(f"pytest against {backend} wrote no results (exit {proc.returncode})")
        with open(results) as f:
            data = json.load(f)
    by_id = {r["nodeid"]: r for r in data["results"] if r["denial"]}
    return data, by_id, proc


def cell(result):
    if result is None:
        return "not run"
    if result["outcome"] == "passed":
        return "passes"
    if result["outcome"] == "skipped":
        return "skipped"
    reason = result["reason"].replace("|", "\\|")
    if reason.startswith("not refused: "):
        return "**fails**: let through, " + reason[len("not refused: "):]
    return "**fails**: " + reason


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the markdown table here too")
    args, extra = parser.parse_known_args()

    fake_data, fake, fake_proc = run("fake-s3", extra)
    moto_data, moto, moto_proc = run("moto", extra)
    versions = dict(fake_data.get("versions", {}), **moto_data.get("versions", {}))

    ok = True
    rows = []
    for nodeid, f in fake.items():
        m = moto.get(nodeid)
        refused_by_fake = f["outcome"] == "passed"
        failed_on_moto = m is not None and m["outcome"] == "failed"
        good = refused_by_fake and failed_on_moto
        ok &= good
        what = "refused by fake-s3, " + ("not by moto" if failed_on_moto else "and by moto")
        if not refused_by_fake:
            what = f"fake-s3 did not refuse it ({f['reason']})"
        print(f"{'PASS' if good else 'FAIL'}: {f['doc']}: {what}", flush=True)
        rows.append((f["doc"], cell(f), cell(m)))
    if not fake:
        ok = False
        print("FAIL: no denial test ran against fake-s3")
        sys.stdout.write(fake_proc.stdout[-3000:])

    fake_v = versions.get("fake-s3", "?")
    moto_v = versions.get("moto", "?")
    lines = [
        f"| denial assertion (`tests/python`, `-m denial`) | fake-s3 {fake_v} | moto {moto_v} |",
        "|---|---|---|",
    ]
    lines += [f"| {doc} | {a} | {b} |" for doc, a, b in rows]
    table = "\n".join(lines) + "\n"
    table += (f"\nmoto ran as most suites run it (server mode, its defaults: no IAM enforcement); fake-s3 "
              f"and moto ran the same tests, with boto3 {versions.get('boto3', '?')}.\n")
    moto_failed = sum(1 for r in moto.values() if r["outcome"] == "failed")
    summary = (f"{len(fake)} denial assertions: fake-s3 refused {sum(1 for r in fake.values() if r['outcome'] == 'passed')}, "
               f"moto failed {moto_failed} of them")
    print()
    print(table)
    print(summary)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n" + summary + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
