#!/usr/bin/env bash
# staging-flow.sh: the whole SPEC §4–§5 flow with the s3keeper binary (never `--embedded`), driven
# only by the AWS SDK's standard settings, with the aws CLI as the person's client.
#
# Usage:
#   scripts/staging-flow.sh --fake [--database-url URL]   # CI: against a fake-s3 it starts itself
#   STAGING_...=… scripts/staging-flow.sh [--database-url URL]   # real AWS (or another S3 endpoint)
#   scripts/staging-flow.sh --help
#
# The flow: `s3keeper setup`, `s3keeper doctor`, add a person; as the person `aws sts
# get-caller-identity` and the `aws s3 presign` command the service prints; verify; register and
# upload a small dataset; `s3keeper serve` and, through its HTTP API, agree and grant; as the person
# `aws s3 sync` through the printed access point ARN (the bucket itself and listings outside the
# dataset refused); revoke (the same sync refused); uploads without credentials: `s3keeper upload
# start` prints a POST form that plain curl uploads with (a key outside the prefix and a file over
# --max-bytes refused), `upload finish` lists the object and revokes the form, `s3keeper push --ticket`
# uploads a directory and `upload cancel` deletes it, Python `requests` (no AWS library) uploads with
# a form (also by its own ${filename} key) and boto3 with an `sts` ticket's credentials, outside the
# prefix refused, refused after `upload finish` (scripts/check_uploads.py, its checks counted here);
# reconcile reports no drift (API and CLI);
# /metrics parses and counts the grant, the revoke and the AWS calls. Then it removes everything it
# created: access points, objects, the buckets (only ones it checked did not exist before), the
# temporary directory, a PostgreSQL database it created. Clean-up runs on failure and Ctrl-C too.
#
# --fake: starts `fake-s3` on a free loopback port with a generated configuration: the platform
# account 111122223333 (root keys: the admin, used only to check and to clean up) with IAM user
# `s3keeper-service` holding exactly the policy `s3keeper iam-policy` prints for the run's buckets
# (the service runs as that user: not root, not s3:*), and the person's account 444455556666 with
# IAM user `ann` (s3:* on *). Clients reach access point and S3 Control host names through the fake
# as their HTTP proxy. At the end, --fake also runs the adversarial checks: scripts/adversary.sh
# (issue 18: hostile clients, races, floods, links, limits) against a fake-s3 and an `s3keeper serve`
# of its own, with the same binaries and, on PostgreSQL, a second fresh database on the same server;
# each of its PASS/FAIL lines counts here.
#
# Real mode parameters (environment):
#   STAGING_ENDPOINT                  empty or unset: real AWS (no AWS_ENDPOINT_URL); else the S3
#                                     endpoint URL for every client (AWS_ENDPOINT_URL)
#   STAGING_ENDPOINT_PROXY            1: also use the endpoint as HTTP proxy (fake-s3); default 1
#                                     for http://127.0.0.1:… and http://localhost:…, else 0
#   STAGING_REGION                    region of the buckets and access points (default us-east-1)
#   STAGING_PLATFORM_ACCESS_KEY_ID, STAGING_PLATFORM_SECRET_ACCESS_KEY, [STAGING_PLATFORM_SESSION_TOKEN]
#                                     the service's credentials: an IAM user (or role session)
#                                     holding exactly `s3keeper iam-policy`'s policy (required);
#                                     upload tickets need sts:GetFederationToken, which only an IAM
#                                     user's long-term keys may call
#   STAGING_PERSON_ACCESS_KEY_ID, STAGING_PERSON_SECRET_ACCESS_KEY, [STAGING_PERSON_SESSION_TOKEN]
#                                     the person's IAM user, in any account (required)
#   STAGING_ADMIN_ACCESS_KEY_ID, STAGING_ADMIN_SECRET_ACCESS_KEY, [STAGING_ADMIN_SESSION_TOKEN]
#                                     for the checks and clean-up (default: the platform credentials)
#   STAGING_BUCKET_PREFIX             buckets PREFIX-verification, PREFIX-open, PREFIX-controlled,
#                                     PREFIX-uploads (and PREFIX-outside, which the service must not
#                                     be able to create); default s3keeper-staging-<8 random hex>.
#                                     The run refuses to start if any of them exists.
#   STAGING_DATASET                   dataset slug (default staging-ds; in real mode
#                                     staging-<the prefix's last part>, since access point names
#                                     are unique per account and region)
#   STAGING_STEP_TIMEOUT              seconds per command (default 60 with --fake, 300 otherwise)
#   STAGING_PROPAGATION_WAIT          seconds to retry steps that wait for AWS to apply a policy
#                                     (default 0 with an endpoint, 90 on real AWS)
#   STAGING_KEEP_LOGS=1               keep the logs directory even when everything passed
#   STAGING_ADVERSARY=0               with --fake, skip the adversarial section (scripts/adversary.sh)
#   S3KEEPER_BIN, FAKE_S3_BIN         the binaries (default target/release/…, else target/debug/…)
# --database-url URL: sqlite://… is used as given. postgres://USER[:PASS]@HOST[:PORT]/DB: if DB does
# not exist it is created and dropped at the end; if it exists, a fresh database
# s3k_<epoch>_<pid>_staging is created on that server instead (and dropped): an existing database is
# never written. Default: a SQLite file in the temporary directory.
#
# Output: `PASS: …` / `FAIL: … (expected …, got …)` lines, then
# `staging-flow: N passed, M failed` and `N passed, M failed`. Exit 0 all passed, 1 a check failed,
# 2 refused to start: bad parameters, or one of the buckets exists (nothing touched).
#
# The script is split by concern: this driver parses the arguments and sources the parts in
# scripts/staging-flow/ in this order (each runs in this shell, as if it were written here):
# settings.sh (parameters, a clean environment, the temporary directory), helpers.sh (reporting,
# clients with one role's settings, run/expect_ok/expect_err/check, jtrue/jval), cleanup.sh (the
# clean-up, finish and the traps), database.sh (--database-url), fake.sh (--fake: fake-s3 with a
# least-privilege service user), preflight.sh (parameters, identities, the buckets must be new),
# setup.sh (setup, doctor, verification, the dataset), api.sh (serve, agree and grant, the person's
# access, revoke), uploads.sh (uploads without credentials), metrics.sh (reconcile, /metrics, stop)
# and adversarial.sh (scripts/adversary.sh with --fake).
set -u

# Metric names /metrics must show after the flow (Prometheus text format or OpenMetrics).
METRIC_GRANTS=s3keeper_grants_total
METRIC_REVOKES=s3keeper_revokes_total
METRIC_AWS_CALLS=s3keeper_aws_calls_total
METRIC_AWS_OPERATION_LABEL=operation
METRIC_AWS_OPERATIONS="CreateAccessPoint PutAccessPointPolicy"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLATFORM_ACCOUNT_FAKE=111122223333
PERSON_ACCOUNT_FAKE=444455556666
EMAIL=ann@example.org
EMAIL_PATH=ann%40example.org
VERSION=1.0

usage() { sed -n '2,/^set -u$/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

MODE=real
DB_URL_ARG=""
while [ $# -gt 0 ]; do
    case "$1" in
        --fake) MODE=fake ;;
        --database-url) [ $# -ge 2 ] || { echo "--database-url needs a URL" >&2; exit 2; }
                        DB_URL_ARG=$2; shift ;;
        --database-url=*) DB_URL_ARG=${1#--database-url=} ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

PARTS="$ROOT/scripts/staging-flow"
for part in settings helpers cleanup database fake preflight setup api uploads metrics adversarial; do
    [ -f "$PARTS/$part.sh" ] || { echo "staging-flow: missing $PARTS/$part.sh" >&2; exit 2; }
done

. "$PARTS/settings.sh"     # parameters, then a clean environment; the temporary directory
. "$PARTS/helpers.sh"      # reporting; in_env/apply_env, keeper/person/admin; run, expect_*, check; jtrue/jval
. "$PARTS/cleanup.sh"      # cleanup, finish, the EXIT/INT/TERM traps
. "$PARTS/database.sh"     # DB_URL: SQLite, or a fresh PostgreSQL database
. "$PARTS/fake.sh"         # --fake: start_fake, run here
. "$PARTS/preflight.sh"    # parameters, identities, the buckets must be new
. "$PARTS/setup.sh"        # setup and doctor, verification (SPEC §4), the dataset
. "$PARTS/api.sh"          # s3keeper serve, agree and grant, the person's access, revoke
. "$PARTS/uploads.sh"      # uploads without credentials (upload tickets)
. "$PARTS/metrics.sh"      # reconcile, /metrics, stop the service, reconcile from the CLI
. "$PARTS/adversarial.sh"  # scripts/adversary.sh (only with --fake)

exit 0   # clean-up and the summary run in finish()
