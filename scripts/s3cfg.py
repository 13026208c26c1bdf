"""s3cmd configuration files for the fake (or a real Ceph RGW) on loopback, as the LTS guide has
people write them; shared by check-s3cmd.sh, check-ceph.sh and check-shares/ceph.sh.

  s3cfg.py one FILE ACCESS_KEY SECRET_KEY HOSTPORT      one file
  s3cfg.py users CONFIG DIR HOSTPORT (at|local)         one file per user of a fake-s3 configuration:
                                                        DIR/NAME.s3cfg, an @ in NAME written as _at_
                                                        (at) or the part before it kept (local)
"""
import json
import sys


def text(access_key, secret_key, hostport):
    return f"""[default]
access_key = {access_key}
secret_key = {secret_key}
host_base = {hostport}
host_bucket = {hostport}
use_https = False
bucket_location = us-east-1
signature_v2 = False
check_ssl_certificate = False
progress_meter = False
max_retries = 1
"""


def write(path, access_key, secret_key, hostport):
    with open(path, "w") as f:
        f.write(text(access_key, secret_key, hostport))


def users(config, directory, hostport, naming):
    for account in json.load(open(config))["accounts"]:
        for user in account.get("users", []):
            key = user["keys"][0]
            name = user["name"].replace("@", "_at_") if naming == "at" else user["name"].split("@")[0]
            write(f"{directory}/{name}.s3cfg", key["access_key_id"], key["secret_access_key"], hostport)


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["one", path, access_key, secret_key, hostport]:
            write(path, access_key, secret_key, hostport)
        case ["users", config, directory, hostport, ("at" | "local") as naming]:
            users(config, directory, hostport, naming)
        case _:
            sys.exit(__doc__)
