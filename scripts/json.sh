# JSON checks for the shell scripts (sourced, not run): lib.sh's scripts and the staging flow.
# Each reads a file of JSON and evaluates a Python expression over it (j = the JSON, a = the
# remaining arguments). Their own errors go to $LOG when the script keeps one, else to stderr.

# jtrue FILE EXPR [ARG...]: the expression holds.
jtrue() {
    python3 - "$@" <<'PY' 2>>"${LOG:-/dev/stderr}"
import json, sys
path, expr, a = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    j = json.load(open(path))
    sys.exit(0 if eval(expr, {"j": j, "a": a}) else 1)
except Exception as e:
    print(f"jtrue {expr}: {e}", file=sys.stderr)
    sys.exit(1)
PY
}

# jval FILE EXPR [ARG...]: prints the expression's value (empty when it cannot be computed).
jval() {
    python3 - "$@" <<'PY' 2>>"${LOG:-/dev/stderr}"
import json, sys
path, expr, a = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    print(eval(expr, {"j": json.load(open(path)), "a": a}))
except Exception as e:
    print(f"jval {expr}: {e}", file=sys.stderr)
PY
}
