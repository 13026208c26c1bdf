"""adversary.sh's sections clients, cancel, race and multipart: whose tickets a client reaches, what
cancel deletes, overlapping and concurrently ended tickets, the multipart uploads a ticket leaves."""
import concurrent.futures
import re
import threading
import time

from botocore.exceptions import ClientError

from common import (ADMIN, BUCKET, E, add_client, api, audit, concurrently, end, ended_quietly, error_code, get,
                    info, is_error, keeper, keys_under, open_ticket, post_form, result, s3, short, ticket_s3)


# ======================================================================================================
# 3. clients: reserved names, the operator's tickets, a name reused
# ======================================================================================================
def sec_clients():
    for name, why in (("operator", "the operator's own name"), ("admin", "reserved"), ("Operator", "operator in another case"),
                      ("", "empty"), ("ópérateur", "non-ASCII"), ("operator ", "operator with a trailing space")):
        rc, token, out = add_client(name, "c3/spoof/")
        result(rc != 0, f"client add {name!r} ({why}) is refused (non-zero exit)", f"got exit {rc}: {out}")
        if rc == 0 and name == "operator":
            SPOOF["operator"] = token
    for prefix, why in (("", "empty: the whole bucket"), ("/", "a lone slash"), ("../", "a dot-dot segment")):
        rc, token, out = add_client("c3-prefix", prefix)
        result(rc != 0, f"client add c3-prefix --prefix {prefix!r} ({why}) is refused (extra)", f"got exit {rc}: {out}")
        if rc == 0:
            keeper("client", "remove", "c3-prefix")

    rc, c3, out = add_client("c3", "c3/")
    if not result(rc == 0 and c3, "client add c3 --prefix c3/ prints a token", f"exit {rc}: {out}"):
        return
    for prefix in ("c3x/", "C3/", "c3/../x/", "c3", "/c3/"):        # outside c3/ (regression)
        st, j, txt = open_ticket(prefix, token=c3)
        result(st in (400, 403), f"client c3 (prefix c3/): a ticket on {prefix!r} is refused (400/403) (regression)",
               f"got {st}: {short(txt)}")
        if st == 201:
            ended_quietly(j["id"])
    # A client's token opens only the upload endpoints (regression).
    for method, path, body in (("GET", "/audit", None), ("GET", "/datasets", None), ("POST", "/reconcile", None),
                               ("GET", "/metrics", None), ("POST", "/people", {"email": "x@example.org", "name": "X"}),
                               ("GET", "/shares/" + BUCKET, None)):
        st, j, txt = api(method, path, body, token=c3)
        result(st in (401, 403), f"client c3's token: {method} {path} is refused (401/403) (regression)", f"got {st}: {short(txt)}")
    st, t, txt = open_ticket("c3/op/")
    if not result(st == 201, "the operator (admin token) opens an sts ticket on c3/op/ (201)", f"got {st}: {short(txt)}"):
        return
    op_id = t["id"]
    for who, token in [("client c3 (prefix c3/, covering the ticket)", c3)] + \
            ([("the client named `operator` (accepted above)", SPOOF["operator"])] if SPOOF.get("operator") else []):
        st, j, txt = api("GET", f"/uploads/{op_id}", token=token)
        result(st == 404, f"{who}: GET /uploads/<operator's ticket> is 404", f"got {st}: {short(txt)}")
        st, j, txt = api("GET", "/uploads", token=token)
        ids = [x.get("id") for x in j] if st == 200 and isinstance(j, list) else None
        result(ids is not None and op_id not in ids, f"{who}: GET /uploads does not list the operator's ticket",
               f"got {st}: {short(txt)}")
        for op in ("finish", "cancel"):
            st, j, txt = end(op_id, op, token=token)
            result(st == 404, f"{who}: POST /uploads/<operator's ticket>/{op} is 404", f"got {st}: {short(txt)}")
    st, j, txt = api("GET", f"/uploads/{op_id}")
    result(st == 200 and j.get("state") == "open", "the operator's ticket is still open after the clients' attempts",
           f"got {st}: {short(txt)}")
    ended_quietly(op_id)

    # A client removed, and another added under its name, never sees the first one's tickets.
    rc, t1, out = add_client("c3-reused", "c3r/")
    st, t, txt = open_ticket("c3r/a/", token=t1) if t1 else (0, None, out)
    if not result(st == 201, "client c3-reused opens a ticket on c3r/a/ (201)", f"got {st}: {short(txt)}"):
        return
    old_id = t["id"]
    rc, out, err = keeper("client", "remove", "c3-reused")
    result(rc == 0, "client remove c3-reused", f"exit {rc}: {short(err + out)}")
    st, j, txt = api("GET", "/uploads", token=t1)
    result(st == 401, "the removed client's token is refused (401)", f"got {st}: {short(txt)}")
    rc, t2, out = add_client("c3-reused", "c3r/")
    if result(rc == 0 and t2, "client add c3-reused again (same name, same prefix)", f"exit {rc}: {out}"):
        st, j, txt = api("GET", f"/uploads/{old_id}", token=t2)
        result(st == 404, "the new c3-reused: GET /uploads/<the old client's ticket> is 404", f"got {st}: {short(txt)}")
        st, j, txt = api("GET", "/uploads", token=t2)
        ids = [x.get("id") for x in j] if st == 200 and isinstance(j, list) else None
        result(ids is not None and old_id not in ids, "the new c3-reused: GET /uploads does not list the old client's ticket",
               f"got {st}: {short(txt)}")
        for op in ("finish", "cancel"):
            st, j, txt = end(old_id, op, token=t2)
            result(st == 404, f"the new c3-reused: POST /uploads/<the old client's ticket>/{op} is 404", f"got {st}: {short(txt)}")
    st, j, txt = end(old_id, "cancel")
    result(st in (200, 409), "the operator can still end the removed client's ticket", f"got {st}: {short(txt)}")


SPOOF = {}


# ======================================================================================================
# 2. cancel deletes only what its ticket uploaded; overlapping tickets refused
# ======================================================================================================
def sec_cancel():
    rc, narrow, out1 = add_client("narrow", "builds/other/")
    rc2, wide, out2 = add_client("wide", "builds/")
    if not result(narrow and wide, "client add narrow --prefix builds/other/, wide --prefix builds/", f"{out1} / {out2}"):
        return
    st, t, txt = open_ticket("builds/other/rel/", "post", token=narrow)
    if result(st == 201, "narrow opens a post ticket on builds/other/rel/ (201)", f"got {st}: {short(txt)}"):
        key = "builds/other/rel/index.html"
        pst, body = post_form(t, key, b"<h1>narrow's release</h1>\n", "index.html")
        result(pst == 204, f"narrow: POST form of {key} answers 204", f"got {pst}: {short(body)}")
        st, j, txt = end(t["id"], "finish", token=narrow)
        result(st == 200, "narrow finishes its ticket (200)", f"got {st}: {short(txt)}")
        st, w, txt = open_ticket("builds/", "sts", token=wide)
        if result(st == 201, "wide opens builds/ (narrow's ticket under it is finished: 201)", f"got {st}: {short(txt)}"):
            st, j, txt = end(w["id"], "cancel", token=wide)
            result(st == 200, "wide cancels its ticket without uploading anything (200)", f"got {st}: {short(txt)}")
            result(get(key) is not None, f"{key} (narrow's finished upload) survives wide's cancel",
                   "the object is gone: the cancel deleted everything under builds/")
            st, s, txt = open_ticket("builds/other/rel2/", "sts", token=narrow)
            if st == 201:
                st, j, txt = api("GET", f"/uploads/{s['id']}", token=narrow)
                info(f"(narrow's next ticket shows {len((j or {}).get('objects') or [])} objects under builds/other/rel2/)")
                ended_quietly(s["id"])

    # Objects there before the ticket survive its cancel; what it put (also an overwrite) goes.
    ADMIN.put_object(Bucket=BUCKET, Key="keep/a.txt", Body=b"before-a")
    ADMIN.put_object(Bucket=BUCKET, Key="keep/b.txt", Body=b"before-b")
    st, t, txt = open_ticket("keep/")
    if result(st == 201, "the operator opens an sts ticket on keep/ (keep/a.txt and keep/b.txt already there)", f"got {st}: {short(txt)}"):
        c = ticket_s3(t)
        e1 = error_code(lambda: c.put_object(Bucket=BUCKET, Key="keep/new.txt", Body=b"ticket-new"))
        e2 = error_code(lambda: c.put_object(Bucket=BUCKET, Key="keep/b.txt", Body=b"ticket-b"))
        result(e1 is None and e2 is None, "the ticket puts keep/new.txt and overwrites keep/b.txt", f"errors {e1}, {e2}")
        e3 = error_code(lambda: c.delete_object(Bucket=BUCKET, Key="keep/a.txt"))
        result(e3 == "AccessDenied", "the ticket's credentials cannot delete keep/a.txt (AccessDenied) (extra)", f"got {e3}")
        st, j, txt = end(t["id"], "cancel")
        result(st == 200, "cancel the keep/ ticket (200)", f"got {st}: {short(txt)}")
        a, n, b = get("keep/a.txt"), get("keep/new.txt"), get("keep/b.txt")
        result(a == b"before-a", "keep/a.txt (there before the ticket, untouched) survives the cancel", f"got {a!r}")
        result(n is None, "keep/new.txt (the ticket's upload) is deleted by the cancel", f"got {n!r}")
        result(b is None, "keep/b.txt (overwritten by the ticket) is deleted by the cancel", f"got {b!r}")

    # More than one listing page there before the ticket (extra): all of it survives the cancel.
    def put_many(keys):
        c = s3(E["ADV_ADMIN_AK"], E["ADV_ADMIN_SK"])
        for k in keys:
            c.put_object(Bucket=BUCKET, Key=k, Body=b"before")
    many = [f"many/{i:05}.txt" for i in range(1100)]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(put_many, [many[i::8] for i in range(8)]))
    st, t, txt = open_ticket("many/")
    if result(st == 201, "the operator opens an sts ticket on many/ (1,100 objects already there)", f"got {st}: {short(txt)}"):
        e = error_code(lambda: ticket_s3(t).put_object(Bucket=BUCKET, Key="many/zz-ticket.txt", Body=b"ticket"))
        st, j, txt = end(t["id"], "cancel")
        left = set(keys_under("many/"))
        result(st == 200 and e is None and left == set(many),
               "cancel of a ticket over 1,100 earlier objects (more than one listing page) deletes only its own upload (extra)",
               f"cancel {st}, put {e}; {len(set(many) - left)} earlier objects gone, ticket's object "
               f"{'left' if 'many/zz-ticket.txt' in left else 'gone'}")

    # Overlapping open tickets.
    st, x, txt = open_ticket("ovl/x/")
    if result(st == 201, "the operator opens ovl/x/ (201)", f"got {st}: {short(txt)}"):
        for prefix in ("ovl/", "ovl/x/y/", "ovl/x/"):
            st, j, txt = open_ticket(prefix)
            result(st == 409 and is_error(j) and x["id"] in j["message"],
                   f"while ovl/x/ is open, opening {prefix} answers 409 naming the open ticket {x['id']}",
                   f"got {st}: {short(txt)}")
            if st == 201:
                ended_quietly(j["id"])
        st, j, txt = open_ticket("ovl/xy/")
        result(st == 201, "control: ovl/xy/ (a sibling, not inside ovl/x/) opens (201)", f"got {st}: {short(txt)}")
        if st == 201:
            ended_quietly(j["id"])
        ended_quietly(x["id"])
    # IAM wildcards in a ticket's prefix (extra): `*` and `?` are literal in S3 keys but wildcards in the
    # session policy's Resource; a ticket on wc/*/ must not be able to write into the open wc/a/.
    st, a, txt = open_ticket("wc/a/")
    if result(st == 201, "the operator opens wc/a/ (201)", f"got {st}: {short(txt)}"):
        for prefix in ("wc/*/", "wc/?/", "w*/"):
            st, j, txt = open_ticket(prefix)
            wrote = None
            if st == 201:
                wrote = error_code(lambda: ticket_s3(j).put_object(Bucket=BUCKET, Key="wc/a/intruder.txt", Body=b"x")) is None
                ended_quietly(j["id"])
            result(st in (400, 409) or wrote is False,
                   f"while wc/a/ is open, a ticket on {prefix} is refused (400/409) or cannot write wc/a/intruder.txt (extra)",
                   f"got {st}" + (", and its credentials wrote wc/a/intruder.txt" if wrote else f": {short(txt)}"))
        ended_quietly(a["id"])
    # The same, opened at the same moment (extra): at most one of a prefix and its parent is admitted.
    admitted_both = []
    for r in range(4):
        outs = concurrently([lambda r=r: open_ticket(f"ovlr/{r}/"),
                             lambda r=r: open_ticket(f"ovlr/{r}/x/"),
                             lambda r=r: open_ticket(f"ovlr/{r}/x/y/")])
        ok = [o for o in outs if o[0] == 201]
        if len(ok) > 1:
            admitted_both.append((r, [o[0] for o in outs]))
        ended_quietly(*[o[1]["id"] for o in ok])
    result(not admitted_both, "overlapping prefixes opened at the same moment (4 rounds of P, P/x/, P/x/y/): at most one admitted (extra)",
           f"rounds admitting several: {admitted_both}")


# ======================================================================================================
# 4. concurrent finish/cancel
# ======================================================================================================
def sec_race():
    n = 8
    for r in range(4):
        prefix = f"race/{r}/"
        st, t, txt = open_ticket(prefix)
        if not result(st == 201, f"round {r}: open an sts ticket on {prefix}", f"got {st}: {short(txt)}"):
            continue
        tid = t["id"]
        err = error_code(lambda: ticket_s3(t).put_object(Bucket=BUCKET, Key=prefix + "obj.txt", Body=b"race"))
        ops = ["finish" if (i + r) % 2 == 0 else "cancel" for i in range(n)]
        outs = concurrently([lambda op=op: (op,) + end(tid, op) for op in ops])
        got = [(o[0], o[1]) for o in outs]
        wins = [o for o in got if o[1] == 200]
        result(len(wins) == 1 and all(s == 409 for _, s in got if s != 200),
               f"round {r}: {n} concurrent finish/cancel calls on {tid}: exactly one 200, the rest 409",
               f"got {sorted(got)}; " + "; ".join(short(o[3], 160) for o in outs if o[1] not in (200, 409))[:400])
        entries = [e for e in audit("upload-finish") + audit("upload-cancel")
                   if re.search(rf"\b{re.escape(tid)}\b", e.get("detail", ""))]
        result(len(entries) == 1, f"round {r}: GET /audit has exactly one upload-finish/upload-cancel entry for {tid}",
               f"got {[(e['action'], short(e['detail'], 80)) for e in entries]}")
        st, j, txt = api("GET", f"/uploads/{tid}")
        state = (j or {}).get("state")
        present = get(prefix + "obj.txt") is not None
        winner = {"finish": "finished", "cancel": "cancelled"}.get(wins[0][0]) if len(wins) == 1 else None
        result(err is None and ((state == "finished" and present) or (state == "cancelled" and not present))
               and (winner is None or winner == state),
               f"round {r}: the ticket's state matches its objects and the winning call (finished: kept; cancelled: gone)",
               f"state {state}, object {'present' if present else 'gone'}, winning call {wins[0][0] if wins else None}, put error {err}")

    # Cancel while the ticket's holder keeps uploading (extra): once cancel has answered, nothing the
    # ticket put may remain (revoked before the listing, or deleted after it).
    prefix = "race/hammer/"
    st, t, txt = open_ticket(prefix)
    if not result(st == 201, f"open an sts ticket on {prefix}", f"got {st}: {short(txt)}"):
        return
    c, stop, puts, after = ticket_s3(t), threading.Event(), [0, 0], []

    def hammer():
        deadline = time.monotonic() + 6
        while not stop.is_set() and time.monotonic() < deadline and puts[0] < 2000:
            k = puts[0]
            puts[0] += 1
            if error_code(lambda: c.put_object(Bucket=BUCKET, Key=f"{prefix}{k:05}", Body=b"h")) is None:
                puts[1] += 1
    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for th in threads:
        th.start()
    time.sleep(0.5)
    st, j, txt = end(t["id"], "cancel")
    time.sleep(0.5)            # requests in flight when cancel answered
    stop.set()
    for th in threads:
        th.join(timeout=20)
    left = keys_under(prefix)
    result(st == 200 and not left, f"cancel while the ticket's holder keeps uploading ({puts[1]} of {puts[0]} puts accepted): "
                                   f"nothing is left under {prefix} (extra)", f"cancel {st}; left {left[:5]} ({len(left)} objects)")


# ======================================================================================================
# 8. multipart uploads end with the ticket
# ======================================================================================================
def sec_multipart():
    # The bucket owner's own incomplete upload beside the tickets' prefixes: it must survive them.
    other = ADMIN.create_multipart_upload(Bucket=BUCKET, Key="mp-owner/keep.bin")["UploadId"]
    for op in ("finish", "cancel"):
        prefix = f"mp/{op}/"
        st, t, txt = open_ticket(prefix)
        if not result(st == 201, f"open an sts ticket on {prefix}", f"got {st}: {short(txt)}"):
            continue
        c = ticket_s3(t)
        try:
            up = c.create_multipart_upload(Bucket=BUCKET, Key=prefix + "big.bin")
            c.upload_part(Bucket=BUCKET, Key=prefix + "big.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 1024)
            started = True
        except ClientError as e:
            started = False
            result(False, f"the ticket's credentials start a multipart upload under {prefix}", short(e))
        if started:
            listed = ADMIN.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
            mine = [u for u in listed if u["Key"].startswith(prefix)]
            result(len(mine) == 1, f"control: the bucket owner sees the incomplete upload under {prefix}", f"got {len(mine)}")
            if op == "finish":
                result(len(listed) == len(mine), "fake-s3: list_multipart_uploads honours Prefix (extra)",
                       f"Prefix={prefix} listed {[u['Key'] for u in listed]}")
                for kw in ({}, {"Prefix": prefix}):     # what the ticket's holder may see of others' uploads
                    try:
                        seen = [u["Key"] for u in c.list_multipart_uploads(Bucket=BUCKET, **kw).get("Uploads", [])]
                        how = f"listed {seen}"
                    except ClientError as e:
                        seen, how = [], e.response.get("Error", {}).get("Code")
                    outside = [k for k in seen if not k.startswith(prefix)]
                    result(not outside, f"the ticket's credentials: list_multipart_uploads{' Prefix=' + prefix if kw else ''} "
                                        f"shows no upload outside its prefix (extra)", how)
        st, j, txt = end(t["id"], op)
        result(st == 200, f"{op} the ticket (200)", f"got {st}: {short(txt)}")
        left = [u for u in ADMIN.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
                if u["Key"].startswith(prefix)]
        result(not left, f"after {op}, list_multipart_uploads (bucket owner) shows no incomplete upload under {prefix}",
               f"got {[(u['Key'], u['UploadId'][:12]) for u in left]}")
    ids = [u["UploadId"] for u in ADMIN.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]
    result(other in ids, "the bucket owner's incomplete upload at mp-owner/keep.bin (outside the tickets' prefixes) survives "
                         "their finish and cancel",
           f"uploads left: {len(ids)}")
    error_code(lambda: ADMIN.abort_multipart_upload(Bucket=BUCKET, Key="mp-owner/keep.bin", UploadId=other))
