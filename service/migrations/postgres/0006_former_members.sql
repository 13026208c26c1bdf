-- Former members of shared buckets (SPEC §7, issue 18). In the Ceph dialect a revoke leaves an
-- explicit Deny of everything on the bucket for the revoked principal, because RGW makes an
-- uploader the owner of what they upload and an owner reads (and re-ACLs) it without any Allow;
-- the principal stays here, and in that Deny, until `share forget` removes them.
CREATE TABLE share_former_members (
    bucket TEXT NOT NULL REFERENCES shares (bucket),
    principal TEXT NOT NULL,
    user_name TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    PRIMARY KEY (bucket, principal)
);
