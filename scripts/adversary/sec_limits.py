"""adversary.sh's sections expiry, limits and fake: a ticket's own expiry by the fake's clock, the API's
size and content limits, and keys over 1,024 bytes (fake-s3 itself and a ticket's POST form)."""
import datetime
import json

from common import (ADMIN, BUCKET, api, ended_quietly, error_code, fake_clock, get, is_error, keys_under,
                    open_ticket, post_form, result, session, short, ticket_s3)


# ======================================================================================================
# 5. a ticket's own expiry
# ======================================================================================================
def sec_expiry():
    now = datetime.datetime.now(datetime.timezone.utc)
    specs = {"sts": {"prefix": "exp/sts/", "method": "sts", "expires": 60},
             "put": {"prefix": "exp/put/", "method": "put", "keys": ["a.txt", "b.txt"], "expires": 60},
             "post": {"prefix": "exp/post/", "method": "post", "expires": 60},
             "control": {"prefix": "exp/control/", "method": "sts"}}
    t = {}
    for name, body in specs.items():
        st, j, txt = api("POST", "/uploads", body)
        if result(st == 201, f"open a {name} ticket {json.dumps(body)} (201)", f"got {st}: {short(txt)}"):
            t[name] = j
    if len(t) < 4:
        ended_quietly(*[x["id"] for x in t.values()])
        return
    sts, ctl = ticket_s3(t["sts"]), ticket_s3(t["control"])
    e = error_code(lambda: sts.put_object(Bucket=BUCKET, Key="exp/sts/now.txt", Body=b"now"))
    result(e is None, "now: boto3 put_object with the expires-60 sts credentials works", f"got {e}")
    r = session().put(t["put"]["urls"]["a.txt"], data=b"now", timeout=30)
    result(r.status_code == 200, "now: PUT to the expires-60 presigned URL works (200)", f"got {r.status_code}: {short(r.text)}")
    pst, body = post_form(t["post"], "exp/post/now.txt", b"now")
    result(pst == 204, "now: the expires-60 POST form works (204)", f"got {pst}: {short(body)}")
    later = now + datetime.timedelta(minutes=2)
    cst = fake_clock(later)
    try:
        if not result(cst in (200, 204), f"the fake's clock moves 2 minutes on ({later:%H:%M:%SZ})", f"got HTTP {cst}"):
            return
        e = error_code(lambda: sts.put_object(Bucket=BUCKET, Key="exp/sts/later.txt", Body=b"later"))
        result(e in ("AccessDenied", "ExpiredToken"),
               "2 minutes on: the expires-60 sts ticket's credentials are refused (AccessDenied), not good for 15 minutes",
               f"got {'success' if e is None else e}")
        e = error_code(lambda: ctl.put_object(Bucket=BUCKET, Key="exp/control/later.txt", Body=b"later"))
        result(e is None, "control, 2 minutes on: a default-expiry (900 s) sts ticket still uploads", f"got {e}")
        r = session().put(t["put"]["urls"]["b.txt"], data=b"later", timeout=30)
        result(r.status_code == 403, "2 minutes on: the expires-60 presigned PUT URL is refused (403) (regression)",
               f"got {r.status_code}: {short(r.text)}")
        pst, body = post_form(t["post"], "exp/post/later.txt", b"later")
        result(pst == 403, "2 minutes on: the expires-60 POST form is refused (403) (regression)", f"got {pst}: {short(body)}")
    finally:
        fake_clock(None)
    for key in ("exp/sts/later.txt", "exp/put/b.txt", "exp/post/later.txt"):
        result(get(key) is None, f"nothing arrived at {key} after the expiry")
    ended_quietly(*[x["id"] for x in t.values()])


# ======================================================================================================
# 6. limits
# ======================================================================================================
def sec_limits():
    big = json.dumps({"prefix": "lim/big/", "method": "post", "content_type": "x" * (3 * 1024 * 1024)})
    st, j, txt = api("POST", "/uploads", data=big.encode(), timeout=60, sess=session())   # its own connection
    result(st == 413 and is_error(j, "PayloadTooLarge"),
           "a 3 MB body to POST /uploads answers 413 {\"error\": \"PayloadTooLarge\", \"message\": …}", f"got {st}: {short(txt)}")
    if st == 201:
        ended_quietly(j["id"])

    def expect_400(desc, body):
        st, j, txt = api("POST", "/uploads", body)
        result(st == 400 and is_error(j), f"{desc} → 400 with the JSON error shape", f"got {st}: {short(txt)}")
        if st == 201:
            ended_quietly(j["id"])

    expect_400("a put ticket with 1,001 keys", {"prefix": "lim/k1001/", "method": "put",
                                               "keys": [f"f{i:04}.txt" for i in range(1001)]})
    st, j, txt = api("POST", "/uploads", {"prefix": "lim/k1000/", "method": "put", "keys": [f"f{i:04}.txt" for i in range(1000)]})
    result(st == 201 and len((j or {}).get("urls") or {}) == 1000, "a put ticket with 1,000 keys is accepted (201, 1,000 URLs)",
           f"got {st}: {short(txt)}")
    if st == 201:
        ended_quietly(j["id"])
    expect_400("a post ticket with a 300-character content_type", {"prefix": "lim/ct/", "content_type": "text/" + "p" * 295})
    expect_400("a post ticket with CR/LF in content_type", {"prefix": "lim/ct/", "content_type": "text/plain\r\nX-Injected: 1"})
    expect_400("a post ticket with LF in content_type", {"prefix": "lim/ct/", "content_type": "text/plain\nx"})
    expect_400("a post ticket with a NUL in content_type (extra)", {"prefix": "lim/ct/", "content_type": "text/plain\u0000x"})
    expect_400("a put key making the full key 1,025 bytes", {"prefix": "lim/key/", "method": "put", "keys": ["k" * (1025 - 8)]})
    expect_400("a put key of 520 'é' (520 characters, 1,040 UTF-8 bytes) (extra)",
               {"prefix": "lim/key/", "method": "put", "keys": ["é" * 520]})
    expect_400("a prefix of 1,100 bytes (no key under it can be stored) (extra)", {"prefix": "lim/" + "p" * 1095 + "/"})
    st, j, txt = api("POST", "/uploads", {"prefix": "lim/key/", "method": "put", "keys": ["k" * (1024 - 8)]})
    result(st == 201, "control: a put key making the full key exactly 1,024 bytes is accepted (201)", f"got {st}: {short(txt)}")
    if st == 201:
        ended_quietly(j["id"])
    # Keys that mean something in a URL, presigned: each URL stores exactly its own key (extra).
    odd = ["q?x-id=DeleteObject", "h#frag.txt", "pct%2Fslash.txt", "sp ace+plus.txt", "semi;colon&amp.txt"]
    st, j, txt = api("POST", "/uploads", {"prefix": "lim/odd/", "method": "put", "keys": odd})
    if st == 201:
        wrong = []
        for k in odd:
            url = (j.get("urls") or {}).get(k)
            r = session().put(url, data=k.encode(), timeout=30) if url else None
            if r is None or r.status_code != 200 or get("lim/odd/" + k) != k.encode():
                wrong.append((k, r.status_code if r is not None else "no URL"))
        stray = [k for k in keys_under("lim/") if not k.startswith("lim/odd/")
                 and not k.startswith(("lim/k1000/", "lim/key/", "lim/ctp/"))]
        result(not wrong and not stray, "presigned PUT URLs for keys holding ?, #, %2F, space, +, ; and & store exactly those keys (extra)",
               f"wrong: {wrong}, stray: {stray}")
        ended_quietly(j["id"])
    else:
        result(False, "a put ticket with URL-special keys (?, #, %2F, space, +, ;, &) opens (extra)", f"got {st}: {short(txt)}")
    expect_400("a put key with a `..` segment (../up.txt) (regression)", {"prefix": "lim/odd2/", "method": "put", "keys": ["../up.txt"]})
    # The form's Content-Type condition (regression): text/html refused where image/ was asked.
    st, t, txt = api("POST", "/uploads", {"prefix": "lim/ctp/", "content_type": "image/"})
    if result(st == 201, "a post ticket with content_type image/ (201)", f"got {st}: {short(txt)}"):
        ct = next((k for k in t["fields"] if k.lower() == "content-type"), "Content-Type")
        p1, b1 = post_form(t, "lim/ctp/a.png", b"png", **{ct: "image/png"})
        p2, b2 = post_form(t, "lim/ctp/x.html", b"<script>alert(1)</script>", **{ct: "text/html"})
        result(p1 == 204 and p2 == 403 and get("lim/ctp/x.html") is None,
               "its form stores image/png (204) and refuses the same form sent as text/html (403) (regression)",
               f"got {p1}, {p2}: {short(b2, 200)}")
        ended_quietly(t["id"])
    expect_400("expires 59 (below the 60 s minimum) (regression)", {"prefix": "lim/exp/", "expires": 59})
    expect_400("expires 43,201 (over 12 hours) (regression)", {"prefix": "lim/exp/", "expires": 43201})


# ======================================================================================================
# 9. fake-s3: POST-form keys over 1,024 bytes
# ======================================================================================================
def sec_fake():
    long_key = "fk/" + "a" * 1100
    e = error_code(lambda: ADMIN.put_object(Bucket=BUCKET, Key=long_key, Body=b"x"))
    result(e == "KeyTooLongError", "fake-s3: PutObject of a 1,103-byte key is 400 KeyTooLongError", f"got {e}")
    form = ADMIN.generate_presigned_post(BUCKET, long_key, ExpiresIn=300)
    form["fields"]["key"] = long_key
    r = session().post(form["url"], data=list(form["fields"].items()), files=[("file", ("f", b"x"))], timeout=30)
    result(r.status_code == 400 and "KeyTooLongError" in r.text,
           "fake-s3: a POST-form upload (bucket owner's signed policy) of a 1,103-byte key is 400 KeyTooLongError",
           f"got {r.status_code}: {short(r.text)}")
    st, t, txt = open_ticket("fk2/", "post")
    if st == 201:
        pst, body = post_form(t, "fk2/" + "b" * 1100, b"x")
        result(pst == 400 and "KeyTooLongError" in body,
               "a ticket's POST form with a 1,104-byte key (within starts-with fk2/) is 400 KeyTooLongError",
               f"got {pst}: {short(body)}")
        ended_quietly(t["id"])
    ok = "fk/" + "c" * 1021
    form = ADMIN.generate_presigned_post(BUCKET, ok, ExpiresIn=300)
    r = session().post(form["url"], data=list(form["fields"].items()), files=[("file", ("f", b"x"))], timeout=30)
    result(r.status_code in (200, 204), "control: a POST-form upload of a 1,024-byte key is stored", f"got {r.status_code}: {short(r.text)}")
    result(not [k for k in keys_under("fk") if len(k.encode()) > 1024], "no key over 1,024 bytes is stored")
