# The address a server started in the background prints (sourced, not run): fake-s3's
# `fake-s3 listening on URL (region …)` and `s3keeper serve`'s `listening on URL`, on loopback.

# listening_url OUT PID [TENTHS]: waits for the server PID to print its URL in the file OUT (up to
# TENTHS tenths of a second, default 100), then prints it; prints an empty line if the server
# exited first or the time ran out.
listening_url() {
    local out=$1 pid=$2 tenths=${3:-100} url=""
    for _ in $(seq 1 "$tenths"); do
        url=$(sed -n 's|^\(fake-s3 \)\{0,1\}listening on \(http://127\.0\.0\.1:[0-9]*\).*|\2|p' "$out" 2>/dev/null | head -n 1)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    printf '%s\n' "$url"
}
