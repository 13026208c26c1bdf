"""adversary.sh's checks: run as `python3 adversary.py SECTION` by adversary.sh, which sets ADV_*; the
sections are in the sec_*.py modules beside it, their helpers in common.py."""
import sys

from common import result, short
import pass_fail  # importable once common has put scripts/ on the path
from sec_capacity import sec_flood, sec_limit
from sec_cli import sec_page, sec_push
from sec_limits import sec_expiry, sec_fake, sec_limits
from sec_shares import sec_shares
from sec_tickets import sec_cancel, sec_clients, sec_multipart, sec_race

SECTIONS = {"clients": sec_clients, "cancel": sec_cancel, "race": sec_race, "expiry": sec_expiry,
            "limits": sec_limits, "push": sec_push, "multipart": sec_multipart, "fake": sec_fake,
            "page": sec_page, "shares": sec_shares, "limit": sec_limit, "flood": sec_flood}

if __name__ == "__main__":
    try:
        SECTIONS[sys.argv[1]]()
    except Exception as e:  # noqa: BLE001 - a crash is a FAIL line with its cause
        import traceback
        traceback.print_exc()
        result(False, f"section {sys.argv[1]} ran to its end", f"{type(e).__name__}: {short(e)}")
    sys.exit(1 if pass_fail.FAILED else 0)
