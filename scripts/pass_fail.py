"""PASS:/FAIL: lines for the Python checks (check_uploads.py and the adversary's sections): one line
per check, which the shell drivers count; FAILED is how many failed."""
import re

FAILED = 0


def result(ok, desc, detail=""):
    """Prints the check's line; returns ok, so a check can guard the ones that depend on it."""
    global FAILED
    if ok:
        print(f"PASS: {desc}", flush=True)
    else:
        FAILED += 1
        print(f"FAIL: {desc}" + (f" ({detail})" if detail else ""), flush=True)
    return ok


def short(text, n=300):
    """One line of at most n characters; runs of one character shown as `k×1016`."""
    text = re.sub(r"(.)\1{19,}", lambda m: f"{m.group(1)}×{len(m.group(0))}", " ".join(str(text).split()))
    return text[:n]
