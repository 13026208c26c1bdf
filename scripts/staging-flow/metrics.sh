# staging-flow/metrics.sh (sourced by scripts/staging-flow.sh, not run): POST /reconcile through the
# API, GET /metrics parsed strictly (Prometheus text 0.0.4 or OpenMetrics 1.0) with the flow's grant,
# revoke and AWS calls counted, then `s3keeper serve` stopped and `s3keeper reconcile --json`.

# --- reconcile -----------------------------------------------------------------------------------------
section "reconcile"
expect_status "POST /reconcile" 200 POST /reconcile
check "reconcile (API) reports no drift and no failures, with the access point checked" "got $(head -c 400 "$TMPD/body")" \
    jtrue "$TMPD/body" "j['drift'] == [] and j['failures'] == [] and j['access_points_checked'] >= 1"

# --- metrics -------------------------------------------------------------------------------------------
section "metrics"
api GET /metrics
if [ "$STATUS" != 200 ]; then
    fail "GET /metrics (expected HTTP 200, got $STATUS: $(head -c 300 "$TMPD/body"))"
else
    pass "GET /metrics"
    CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$TMPD/headers" | tr -d '\r' | head -n 1)
    case "$CTYPE" in
        text/plain*|application/openmetrics-text*) pass "/metrics answers Prometheus text ($CTYPE)" ;;
        *) fail "/metrics answers Prometheus text (expected Content-Type text/plain or application/openmetrics-text, got '$CTYPE')" ;;
    esac
    cp "$TMPD/body" "$LOGD/metrics.txt"
    # A strict parser of the Prometheus text format 0.0.4 or OpenMetrics 1.0 (by Content-Type), then
    # the flow's numbers.
    python3 - "$LOGD/metrics.txt" "$CTYPE" "$METRIC_GRANTS" "$METRIC_REVOKES" "$METRIC_AWS_CALLS" \
        "$METRIC_AWS_OPERATION_LABEL" "$METRIC_AWS_OPERATIONS" >"$TMPD/metrics-check" 2>&1 <<'PY'
import re, sys
path, ctype, grants, revokes, calls, op_label, ops = sys.argv[1:]
om = ctype.startswith("application/openmetrics-text")
text = open(path, encoding="utf-8").read()
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
VALUE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN")
STAMP = re.compile(r"[+-]?\d+(?:\.\d+)?" if om else r"-?\d+")
if om:   # the suffixes each type's samples may have (OpenMetrics 1.0)
    SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "unknown": ("",), "info": ("_info",),
                "stateset": ("",), "summary": ("", "_count", "_sum", "_created"),
                "histogram": ("_bucket", "_count", "_sum", "_created"), "gaugehistogram": ("_bucket", "_gcount", "_gsum")}
else:    # the text format 0.0.4
    SUFFIXES = {"counter": ("",), "gauge": ("",), "untyped": ("",), "summary": ("", "_count", "_sum"),
                "histogram": ("_bucket", "_count", "_sum")}
errors, types, meta, series, samples, done, current = [], {}, set(), set(), [], set(), None

def enter(fam, n):  # a family's lines must be consecutive
    global current
    if fam != current:
        if fam in done:
            errors.append(f"line {n}: the lines of {fam} are not grouped together")
        if current is not None:
            done.add(current)
        current = fam

def family(name, n):
    for base, kind in types.items():
        for suffix in SUFFIXES[kind]:
            if name == base + suffix:
                return base
    if name in types:
        errors.append(f"line {n}: {name} is not a sample name of a {types[name]}")
        return name
    return name

def labels_at(line, i, n):  # parses {a="b",...} at i; returns (labels, index after) or None
    labels = {}
    i += 1
    while True:
        if line[i:i + 1] == "}":
            return labels, i + 1
        lm = LABEL.match(line, i)
        if not lm or line[lm.end():lm.end() + 2] != '="':
            errors.append(f"line {n}: bad label at column {i + 1}: {line!r}"); return None
        key, i, value = lm.group(0), lm.end() + 2, ""
        while i < len(line) and line[i] != '"':
            if line[i] == "\\":
                if line[i + 1:i + 2] not in ("\\", '"', "n"):
                    errors.append(f"line {n}: bad escape in label {key}"); return None
                value += {"\\": "\\", '"': '"', "n": "\n"}[line[i + 1]]; i += 2
            else:
                value += line[i]; i += 1
        if i >= len(line):
            errors.append(f"line {n}: unterminated label value"); return None
        i += 1
        if key in labels:
            errors.append(f"line {n}: label {key} twice")
        labels[key] = value
        if line[i:i + 1] == ",":
            i += 1
        elif line[i:i + 1] != "}":
            errors.append(f"line {n}: expected ',' or '}}' at column {i + 1}"); return None

if not text.endswith("\n"):
    errors.append("the text does not end with a newline")
lines = text.split("\n")[:-1]
if om:
    if not lines or lines[-1] != "# EOF":
        errors.append("OpenMetrics text must end with '# EOF'")
    elif "# EOF" in lines[:-1]:
        errors.append("lines after '# EOF'")
    lines = lines[:-1]
for n, line in enumerate(lines, 1):
    if line == "":
        if om: errors.append(f"line {n}: empty line")
        continue
    if line.startswith("#"):
        parts = line.split(" ", 3)
        kinds = ("HELP", "TYPE", "UNIT") if om else ("HELP", "TYPE")
        if len(parts) < 2 or parts[1] not in kinds:
            if om: errors.append(f"line {n}: a comment that is not HELP, TYPE or UNIT: {line!r}")
            continue
        if len(parts) < 3 or not NAME.fullmatch(parts[2]):
            errors.append(f"line {n}: {parts[1]} without a valid metric name"); continue
        name = parts[2]
        if (parts[1], name) in meta:
            errors.append(f"line {n}: second {parts[1]} for {name}")
        meta.add((parts[1], name))
        if name in {s[3] for s in samples}:
            errors.append(f"line {n}: {parts[1]} for {name} after its samples")
        enter(name, n)
        if parts[1] == "TYPE":
            if len(parts) != 4 or parts[3] not in SUFFIXES:
                errors.append(f"line {n}: TYPE {name} needs one of {sorted(SUFFIXES)}"); continue
            types[name] = parts[3]
        elif parts[1] == "HELP" and len(parts) == 4 and re.search(r'\\[^\\n"]' if om else r"\\[^\\n]", parts[3]):
            errors.append(f"line {n}: bad escape in HELP text")
        continue
    m = NAME.match(line)
    if not m:
        errors.append(f"line {n}: no metric name: {line!r}"); continue
    name, i, labels = m.group(0), m.end(), {}
    if line[i:i + 1] == "{":
        parsed = labels_at(line, i, n)
        if parsed is None:
            continue
        labels, i = parsed
    rest = line[i:]
    if om and " # " in rest:   # an exemplar: ' # {labels} value [timestamp]'
        rest, exemplar = rest.split(" # ", 1)
        if not re.fullmatch(r'\{.*\} \S+( \S+)?', exemplar):
            errors.append(f"line {n}: bad exemplar: {line!r}")
    if not rest.startswith(" "):
        errors.append(f"line {n}: no space before the value: {line!r}"); continue
    fields = rest[1:].split(" ")
    if len(fields) not in (1, 2) or not VALUE.fullmatch(fields[0]) or (len(fields) == 2 and not STAMP.fullmatch(fields[1])):
        errors.append(f"line {n}: bad value or timestamp: {line!r}"); continue
    fam = family(name, n)
    enter(fam, n)
    key = (name, tuple(sorted(labels.items())))
    if key in series:
        errors.append(f"line {n}: duplicate series {name}{labels}")
    series.add(key)
    value = float(fields[0].replace("Inf", "inf"))
    kind = types.get(fam)
    if kind in ("counter", "histogram") and not value >= 0:
        errors.append(f"line {n}: {name} is {fields[0]}, a {kind} cannot be negative")
    if name == fam + "_bucket" and "le" not in labels:
        errors.append(f"line {n}: histogram bucket without le")
    samples.append((name, labels, value, fam))
# Each histogram series has a +Inf bucket equal to its _count.
for fam, kind in types.items():
    if kind != "histogram":
        continue
    counts = {tuple(sorted(l.items())): v for s, l, v, f in samples if s == fam + "_count"}
    infs = {tuple(sorted((k, x) for k, x in l.items() if k != "le")): v
            for s, l, v, f in samples if s == fam + "_bucket" and l.get("le") == "+Inf"}
    if counts != infs:
        errors.append(f"{fam}: the +Inf buckets do not match the _count samples")
if errors:
    print("PARSE " + "; ".join(errors[:5]))
    sys.exit(1)
print(f"PARSED {len(samples)} samples in {len(types)} typed families, {'OpenMetrics' if om else 'text format 0.0.4'}")
def total(name, **want):
    return sum(v for s, l, v, f in samples if s == name and all(l.get(k) == w for k, w in want.items()))
print(f"GRANTS {total(grants)}")
print(f"REVOKES {total(revokes)}")
for op in ops.split():
    print(f"CALLS {op} {total(calls, **{op_label: op})}")
seen = sorted({l.get(op_label, '?') for s, l, v, f in samples if s == calls})
print(f"OPERATIONS {' '.join(seen)}")
PY
    if grep -q '^PARSED ' "$TMPD/metrics-check"; then
        pass "/metrics parses as Prometheus text ($(sed -n 's/^PARSED //p' "$TMPD/metrics-check"))"
    else
        fail "/metrics parses as Prometheus text (got $(head -c 400 "$TMPD/metrics-check"))"
    fi
    # A second opinion when the prometheus_client package is installed (pip install prometheus_client).
    if python3 -c 'import prometheus_client' 2>/dev/null; then
        run python3 - "$LOGD/metrics.txt" "$CTYPE" <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families as text_format
parse = openmetrics if sys.argv[2].startswith("application/openmetrics-text") else text_format
families = list(parse(open(sys.argv[1], encoding="utf-8").read()))
print(f"{len(families)} families, {sum(len(f.samples) for f in families)} samples")
PY
        if [ "$RC" -eq 0 ]; then pass "prometheus_client's parser reads /metrics too ($(cat "$TMPD/out"))"
        else fail "prometheus_client's parser reads /metrics too (got $(last_output))"; fi
    fi
    n=$(sed -n 's/^GRANTS //p' "$TMPD/metrics-check")
    check "/metrics counts the flow's grant ($METRIC_GRANTS >= 1)" "got ${n:-nothing}" \
        python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1 else 1)' "${n:-0}"
    n=$(sed -n 's/^REVOKES //p' "$TMPD/metrics-check")
    check "/metrics counts the flow's revoke ($METRIC_REVOKES >= 1)" "got ${n:-nothing}" \
        python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1 else 1)' "${n:-0}"
    for op in $METRIC_AWS_OPERATIONS; do
        n=$(sed -n "s/^CALLS $op //p" "$TMPD/metrics-check")
        check "/metrics counts AWS calls by operation ($METRIC_AWS_CALLS{$METRIC_AWS_OPERATION_LABEL=\"$op\"} >= 1)" \
            "got ${n:-nothing}; operations seen: $(sed -n 's/^OPERATIONS //p' "$TMPD/metrics-check")" \
            python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1 else 1)' "${n:-0}"
    done
fi

# --- stop the service; reconcile from the CLI -----------------------------------------------------------
section "stop"
stop_process "$SERVE_PID" "s3keeper serve"
SERVE_PID=""
check "s3keeper serve never panicked" "$(grep -m1 panicked "$LOGD/serve.log" 2>/dev/null)" \
    no_panic "$LOGD/serve.log"
expect_ok "s3keeper reconcile --json" keeper reconcile --json
check "reconcile (CLI) reports no drift and no failures" "got $(last_output)" \
    jtrue "$TMPD/out" "j['drift'] == [] and j['failures'] == [] and j['access_points_checked'] >= 1"
