"""adversary.sh's sections push and page: the CLI given hostile local input, `s3keeper push` over links,
link loops and a FIFO, and the upload page (`upload start --html`) of a prefix holding HTML."""
import html.parser
import json
import os
import shutil
import subprocess
import threading
import time

from common import API, CLEAN_ENV, WORK, add_client, ended_quietly, get, info, keeper, keys_under, result, short


# ======================================================================================================
# 7. push and links
# ======================================================================================================
def sec_push():
    rc, token, out = add_client("pusher", "push/", max_open=None)
    if not result(token, "client add pusher --prefix push/", out):
        return
    base = os.path.join(WORK, "push")
    site, outside = os.path.join(base, "site"), os.path.join(base, "outside")
    os.makedirs(os.path.join(site, "sub"))
    os.makedirs(os.path.join(outside, "dir"))
    secret = f"OUTSIDE-SECRET-{os.urandom(8).hex()}\n".encode()
    open(os.path.join(site, "sub", "a.txt"), "wb").write(b"inside a\n")
    open(os.path.join(outside, "secret.txt"), "wb").write(secret)
    open(os.path.join(outside, "dir", "a.txt"), "wb").write(secret)
    os.symlink("sub", os.path.join(site, "in-dir"))                                   # inside: uploaded
    os.symlink("../outside/secret.txt", os.path.join(site, "out-file"))               # outside: skipped
    os.symlink(os.path.join(outside, "dir"), os.path.join(site, "out-dir"))          # outside: skipped

    def push(directory, prefix, timeout=30):
        return keeper("push", directory, "--server", API, "--token", token, "--prefix", prefix,
                      env=CLEAN_ENV, timeout=timeout)
    rc, out, err = push(site, "push/links/")
    keys = sorted(keys_under("push/links/"))
    result("push/links/sub/a.txt" in keys and "push/links/in-dir/a.txt" in keys,
           "push with a link in-dir -> sub (inside DIR) uploads push/links/sub/a.txt and push/links/in-dir/a.txt",
           f"exit {rc}, uploaded {keys}: {short(err, 200)}")
    leaked = [k for k in keys if get(k) == secret]
    result(not leaked and not any("out-" in k for k in keys),
           "links to a file and a directory outside DIR are not uploaded (regression)", f"uploaded {keys}")

    # A directory holding link loops and a FIFO (extra): push ends, skipping them, and uploads the rest.
    loops = os.path.join(base, "loops")
    os.makedirs(os.path.join(loops, "sub"))
    open(os.path.join(loops, "sub", "b.txt"), "wb").write(b"b\n")
    os.symlink(".", os.path.join(loops, "self"))
    os.symlink("..", os.path.join(loops, "sub", "up"))
    os.mkfifo(os.path.join(loops, "pipe"))
    t0 = time.monotonic()
    rc, out, err = push(loops, "push/loops/", timeout=20)
    keys = keys_under("push/loops/")
    result(rc != 124 and "push/loops/sub/b.txt" in keys and not any(k.endswith("pipe") for k in keys) and len(keys) < 50,
           "push of a directory with link loops (self -> ., sub/up -> ..) and a FIFO ends, uploads sub/b.txt, not the FIFO (extra)",
           f"exit {rc} after {time.monotonic() - t0:.1f}s, {len(keys)} objects {keys[:6]}: {short(err, 200)}")

    # Links flipped between an inside and an outside target while push runs.
    race = os.path.join(base, "race")
    os.makedirs(os.path.join(race, "inside-dir"))
    for i in range(150):
        open(os.path.join(race, f"f{i:03}.txt"), "wb").write(b"plain %d\n" % i)
    open(os.path.join(race, "inside.txt"), "wb").write(b"inside\n")
    open(os.path.join(race, "inside-dir", "a.txt"), "wb").write(b"inside dir\n")
    links = [(os.path.join(race, f"l{i:02}"), "inside.txt", os.path.join(outside, "secret.txt")) for i in range(12)]
    links += [(os.path.join(race, f"d{i}"), "inside-dir", os.path.join(outside, "dir")) for i in range(4)]
    for path, inside, _ in links:
        os.symlink(inside, path)
    stop = threading.Event()
    flips = [0]

    def flipper():     # atomic replacements (rename over the link), bounded in time and count
        deadline = time.monotonic() + 8
        while not stop.is_set() and time.monotonic() < deadline and flips[0] < 400000:
            for path, inside, outside_target in links:
                target = outside_target if flips[0] % 2 == 0 else inside
                tmp = path + ".tmp"
                try:
                    os.symlink(target, tmp)
                    os.replace(tmp, path)
                except OSError:
                    pass
            flips[0] += 1
        for path, inside, _ in links:          # leave them inside
            tmp = path + ".tmp"
            try:
                os.symlink(inside, tmp)
                os.replace(tmp, path)
            except OSError:
                pass
    th = threading.Thread(target=flipper)
    th.start()
    runs, t0 = 0, time.monotonic()
    try:
        while runs < 3 and time.monotonic() - t0 < 7:
            push(race, f"push/race/{runs}/", timeout=20)
            runs += 1
    finally:
        stop.set()
        th.join(timeout=20)
    names = tuple(os.path.basename(p) for p, _, _ in links)
    suspects = [k for k in keys_under("push/race/") if k.split("/")[3] in names]
    leaked = [k for k in suspects if get(k) == secret]
    result(not leaked, f"{runs} pushes while {len(links)} links flipped between inside and outside targets "
                       f"({flips[0]} flips): the outside secret's content is in no uploaded object",
           f"uploaded with the secret: {leaked[:5]}")
    info(f"({len(suspects)} objects came from the flipping links)")


# ======================================================================================================
# 10. the upload page
# ======================================================================================================
class Scripts(html.parser.HTMLParser):
    """Start tags, and each script element's raw text as a browser's tokenizer delimits it."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def script_blocks(page):
    """The raw text of each <script> element, ended at the first `</script` (case-insensitive)."""
    blocks, low, i = [], page.lower(), 0
    while True:
        i = low.find("<script", i)
        if i < 0:
            return blocks
        j = low.find(">", i)
        k = low.find("</script", j)
        if j < 0 or k < 0:
            blocks.append(page[j + 1:] if j >= 0 else page[i:])
            return blocks
        blocks.append(page[j + 1:k])
        i = k + 1


def sec_page():
    chromium = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and os.access(p, os.X_OK)), None)
    for n, prefix in enumerate(("x<!--<script>/", "x</script><b id=pwn>/", "x</SCRIPT ><!--<ScRiPt a>/")):
        page_path = os.path.join(WORK, f"page{n}.html")
        rc, out, err = keeper("upload", "start", "--prefix", prefix, "--html", page_path)
        if rc != 0:
            result(not os.path.exists(page_path), f"upload start --prefix {prefix!r} --html: refused, and no page written",
                   f"exit {rc}, yet {page_path} exists")
            info(f"(refused: {short(err, 200)})")
            continue
        try:
            ended_quietly(json.loads(out)["id"])
        except (ValueError, KeyError):
            pass
        page = open(page_path, encoding="utf-8", errors="replace").read()
        blocks = script_blocks(page)
        bad = [b for b in blocks if "<!--" in b or "<script" in b.lower()]
        result(blocks and not bad, f"the page for prefix {prefix!r}: no script block holds `<!--` or `<script`",
               f"{len(blocks)} blocks; offending: {[short(b[max(0, b.find('<!--') - 40):][:160]) for b in bad][:2]}")
        p = Scripts()
        p.feed(page)
        forms = [a for t, a in p.tags if t == "form"]
        injected = [(t, a) for t, a in p.tags if a.get("id") == "pwn" or t == "b"]
        result(forms and not injected, f"the page for prefix {prefix!r}: one form, no element injected by the prefix",
               f"forms {len(forms)}, injected {injected[:3]}")
        if chromium:
            try:
                d = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    f"--user-data-dir={os.path.join(WORK, f'chromium{n}')}", "--virtual-time-budget=2000",
                                    "--dump-dom", "file://" + page_path], capture_output=True, text=True, timeout=30,
                                   env={**CLEAN_ENV, "HOME": os.path.join(WORK, "chromium-home")})
                dom = d.stdout
                q = Scripts()
                q.feed(dom)
                dforms = [a for t, a in q.tags if t == "form"]
                dinj = [(t, a) for t, a in q.tags if a.get("id") == "pwn" or t == "b"]
                low = dom.lower()
                # A script block that swallowed the rest of the page shows it as its text: `</body>` twice.
                whole = low.count("</body>") == 1 and low.count("</script>") == low.count("<script")
                result(d.returncode == 0 and dforms and not dinj and whole,
                       f"headless Chromium: the page for prefix {prefix!r} has its form, its script ends where it should, "
                       f"nothing injected", f"exit {d.returncode}, forms {len(dforms)}, injected {dinj[:2]}, "
                       f"</body> {low.count('</body>')}x, <script {low.count('<script')}x, </script> {low.count('</script>')}x")
            except subprocess.TimeoutExpired:
                result(False, f"headless Chromium loads the page for prefix {prefix!r}", "timed out")
    if not chromium:
        info("(no Chromium installed: the pages were checked with Python's parser only)")
