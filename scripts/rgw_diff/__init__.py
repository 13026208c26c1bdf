"""rgw_diff: the modules of scripts/rgw-diff.py (the entry point; its docstring has the usage).

    config.py          settings from the environment, the run's bucket prefix, log()
    sigv4.py           our own SigV4 signing: header auth and presigned URLs
    side.py            Side: one server under test (boto3 clients, raw HTTP, observations)
    caselib.py         the case registry (CASES, @case) and the picks and policy helpers cases share
    cases_*.py         the cases, one module per group, imported in this order by harness.py:
                       acl, policy, share, tenants, errors, post, presign, objects
    harness.py         running the cases on both sides, comparing, the servers, main()
"""
