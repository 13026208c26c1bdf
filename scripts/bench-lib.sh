# Shared by the fake-s3 benchmarks (sourced, not run): the two binaries they compare and a free
# loopback port. The sourcing script defines `bad` (print and exit 2) and ROOT.

# bench_binaries: FAKE and BARE from FAKE_S3_BIN and BARE_BIN, else the release fake-s3 and its
# example bare_get (fake-s3/examples/bare_get.rs), built when missing.
bench_binaries() {
    FAKE="${FAKE_S3_BIN:-}"
    BARE="${BARE_BIN:-}"
    if [ -z "$FAKE" ] || [ -z "$BARE" ]; then
        echo "building the release fake-s3 and its example bare_get (cargo build --release)…" >&2
        (cd "$ROOT" && cargo build --release -q -p fake-s3 --bin fake-s3 --example bare_get) \
            || bad "the release build failed"
        FAKE="${FAKE:-$ROOT/target/release/fake-s3}"
        BARE="${BARE:-$ROOT/target/release/examples/bare_get}"
    fi
    [ -x "$FAKE" ] || bad "no fake-s3 binary at $FAKE"
    [ -x "$BARE" ] || bad "no bare server at $BARE"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
