"""adversary.sh's sections limit and flood: per-client ticket limits (--max-open, --max-sessions), then
the flood that fills the uploads bucket's revocation list (run last)."""
import re
import time

from botocore.exceptions import ClientError

from common import (ADMIN, BUCKET, add_client, api, concurrently, end, ended_quietly, error_code, info, is_error,
                    open_ticket, result, short, ticket_s3)


# ======================================================================================================
# 1. per-client limit, then the flood
# ======================================================================================================
def sec_limit():
    rc, c2, out = add_client("lim2", "lim2/", max_open=2)
    result(rc == 0 and c2, "client add lim2 --prefix lim2/ --max-open 2", f"exit {rc}: {out}")
    if not c2:
        rc, c2, out = add_client("lim2", "lim2/")
        info(f"(fell back to client add lim2 without --max-open: exit {rc})")
    opened = []
    if c2:
        outs = [open_ticket(f"lim2/{i}/", token=c2) for i in range(3)]
        opened += [o[1]["id"] for o in outs if o[0] == 201]
        st, j, txt = outs[2]
        result([o[0] for o in outs[:2]] == [201, 201] and st == 429 and is_error(j, "TooManyOpenTickets"),
               "lim2: two open tickets, the 3rd answers 429 {\"error\": \"TooManyOpenTickets\"}",
               f"got {[o[0] for o in outs]}: {short(txt)}")
        if opened:
            end(opened.pop(0), "finish", token=c2)
            st, j, txt = open_ticket("lim2/again/", token=c2)
            result(st == 201, "lim2: after one is finished, another opens (201)", f"got {st}: {short(txt)}")
            if st == 201:
                opened.append(j["id"])
        ended_quietly(*opened)
        opened = []
        outs = concurrently([lambda i=i: open_ticket(f"lim2/burst{i}/", token=c2) for i in range(6)])
        ok = [o[1]["id"] for o in outs if o[0] == 201]
        result(len(ok) <= 2 and all(o[0] in (201, 429) for o in outs),
               "lim2: 6 tickets opened at the same moment: at most 2 admitted, the others 429 (extra)",
               f"got {sorted(o[0] for o in outs)}")
        ended_quietly(*ok)
    rc, c20, out = add_client("lim20", "lim20/")
    if result(rc == 0 and c20, "client add lim20 --prefix lim20/ (default limit)", f"exit {rc}: {out}"):
        outs = [open_ticket(f"lim20/{i}/", token=c20) for i in range(21)]
        ids = [o[1]["id"] for o in outs if o[0] == 201]
        st, j, txt = outs[20]
        result(all(o[0] == 201 for o in outs[:20]) and st == 429 and is_error(j, "TooManyOpenTickets"),
               "lim20: 20 open tickets, the 21st answers 429 TooManyOpenTickets (the default limit is 20)",
               f"got {[o[0] for o in outs]}: {short(txt)}")
        ended_quietly(*ids)
    # Ending a ticket does not free its place in the revocation list until it expires, so a
    # client that opens and finishes in a loop is stopped by --max-sessions before it can fill
    # the list for everyone.
    rc, c3, out = add_client("places", "places/", max_open=2, max_sessions=3)
    if result(rc == 0 and c3, "client add places --max-open 2 --max-sessions 3", f"exit {rc}: {out}"):
        codes = []
        for i in range(4):
            st, j, txt = open_ticket(f"places/{i}/", token=c3)
            codes.append(st)
            if st == 201:
                end(j["id"], "finish", token=c3)
        result(codes == [201, 201, 201, 429] and is_error(j, "TooManyOpenTickets") and "--max-sessions" in txt,
               "places: 3 tickets opened and finished, the 4th answers 429 (its places are held until they expire)",
               f"got {codes}: {short(txt)}")


def sec_flood():
    rc, token, out = add_client("flood", "flood/", max_open=1000)
    result(rc == 0 and token, "client add flood --prefix flood/ --max-open 1000", f"exit {rc}: {out}")
    if not token:
        rc, token, out = add_client("flood", "flood/")
        info(f"(fell back to client add flood without --max-open: exit {rc})")
        if not token:
            return
    held = []
    for i in range(3):
        st, j, txt = open_ticket(f"flood/held{i}/", token=token)
        if st == 201:
            held.append(j)
    result(len(held) == 3, "flood: 3 tickets opened first and held open", f"got {len(held)}")
    # One ticket at a time (the service serialises them; bursts only slow it down) until the live
    # revocation list passes 17 KB, then bursts of 6 opened at the same moment, so the last places
    # are fought over: none may be given twice (an over-admitted ticket could not be revoked).
    admitted, refusal, refused_prefix, bad_ends, other, t0 = 0, None, None, [], [], time.monotonic()
    i, burst, policy_bytes = 0, 1, 0
    while i < 700 and refusal is None and not bad_ends and not other and time.monotonic() - t0 < 60:
        if burst == 1 and i % 20 == 0:
            try:
                policy_bytes = len(ADMIN.get_bucket_policy(Bucket=BUCKET)["Policy"])
            except ClientError:
                policy_bytes = 0
            if policy_bytes > 17000:
                burst = 6
                info(f"(flood: the revocation list holds {policy_bytes} bytes after {i} tickets: bursts of {burst} from here)")
        n = min(burst, 700 - i)
        opens = [lambda k=k: open_ticket(f"flood/{k}/", token=token) for k in range(i, i + n)]
        outs = concurrently(opens) if n > 1 else [opens[0]()]
        ids = [o[1]["id"] for o in outs if o[0] == 201]
        admitted += len(ids)
        for k, o in zip(range(i, i + n), outs):
            if o[0] == 503 and refusal is None:
                refusal, refused_prefix = o, f"flood/{k}/"
            elif o[0] not in (201, 503):
                other.append(o)
        ends = [lambda tid=tid, k=k: (tid, end(tid, "finish" if k % 2 else "cancel", token=token)) for k, tid in enumerate(ids)]
        ended = concurrently(ends) if len(ends) > 1 else [e() for e in ends]
        bad_ends += [(tid, e[0], short(e[2], 200)) for tid, e in ended if e[0] != 200]
        i += n
    elapsed = time.monotonic() - t0
    info(f"flood: {admitted} tickets admitted and ended in {elapsed:.1f}s before "
         + (f"the first 503 (at attempt {i})" if refusal else "stopping without a 503")
         + f"; at most {len(held) + burst} of the client's tickets were open at once")
    result(not bad_ends, f"flood: finish/cancel of every admitted ticket answers 200 (never 502) ({admitted} tickets)",
           f"got {bad_ends[:3]}")
    result(not other, "flood: POST /uploads answers only 201 or 503", f"got {[(o[0], short(o[2], 200)) for o in other[:3]]}")
    if refusal:
        st, j, txt = refusal
        result(is_error(j, "CapacityReached") and re.search(r"\d", j["message"]) and "credentials" not in j and "id" not in j,
               "flood: the 503 is {\"error\": \"CapacityReached\", \"message\": …} naming the limit, and hands out nothing",
               f"got {st}: {short(txt)}")
        info(f"(503 message: {short((j or {}).get('message', txt), 200)})")
        st, j, txt = api("GET", "/uploads")
        recorded = [x for x in (j if isinstance(j, list) else []) if x.get("prefix") == refused_prefix]
        result(st == 200 and not recorded, f"flood: the refused {refused_prefix} left no ticket behind (GET /uploads)",
               f"got {st}: {short(recorded or txt)}")
        st, j, txt = open_ticket("flood/operator/")
        result(st == 503 and is_error(j, "CapacityReached"), "flood: the operator's token is refused too while full (503) (extra)",
               f"got {st}: {short(txt)}")
        if st == 201:
            held.append(j)
        st, j, txt = open_ticket("flood/after/", "post", token=token)
        result(st == 503 and is_error(j, "CapacityReached"), "flood: a post ticket is refused too while full (503)",
               f"got {st}: {short(txt)}")
        if st == 201:
            held.append(j)
    else:
        result(False, "flood: POST /uploads answers 503 CapacityReached when the revocation list is full (within 700 tickets)",
               f"{admitted} admitted, no 503" + (" (stopped at the first failed finish/cancel)" if bad_ends else ""))
    for k, t in enumerate(held):
        st, j, txt = end(t["id"], "finish" if k % 2 == 0 else "cancel", token=token)
        result(st == 200, f"flood: the held ticket {t['prefix']} ends (200) after the flood", f"got {st}: {short(txt)}")
        if "credentials" in t:
            e = error_code(lambda: ticket_s3(t).put_object(Bucket=BUCKET, Key=t["prefix"] + "late.txt", Body=b"late"))
            result(e == "AccessDenied", f"flood: then {t['prefix']}'s credentials are refused by S3 (put_object AccessDenied)",
                   f"got {'success' if e is None else e}")
