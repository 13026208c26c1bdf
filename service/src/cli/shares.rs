//! `s3keeper share …`: the role tables of shared buckets, printed as tables for people or as JSON.

use clap::Subcommand;

use super::output::{keeper, print_json};
use crate::error::KeeperError;
use crate::keeper::shares::{Report, Role};
use crate::keeper::{ShareChange, ShareView};
use crate::policies::POLICY_LIMIT;
use crate::runtime::ServiceArgs;

/// `s3keeper share …`.
#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Give USER a role on BUCKET (replacing the role they had under the same prefix) and write
    /// the bucket policy.
    ///
    /// reader: list and read; writer: also upload; manager: also delete; steward: manager on the
    /// whole bucket, and may read and change the bucket policy. USER is an IAM user ARN or an
    /// account id, or with `--dialect ceph` an RGW user name (`jane@uab.edu`, `TENANT$NAME`).
    /// Writers, managers and stewards may not set object ACLs (denied in the policy).
    /// Refuses, showing a diff, when the live policy was edited since s3keeper last wrote it.
    Grant {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        user: String,
        #[arg(long, value_parser = ["reader", "writer", "manager", "steward"])]
        role: String,
        /// Only under this key prefix (`data/`) or key pattern (`test_folder/*jpg`); listing is
        /// limited to its folder too, so a pattern needs a folder without wildcards.
        #[arg(long, default_value = "")]
        prefix: String,
        /// Keep a hand edit of the live policy (it is imported first) and apply the change.
        #[arg(long)]
        adopt: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take USER's role under PREFIX away, or without `--prefix` every role they have on BUCKET
    /// (and their name in statements kept from a hand-written policy). With `--dialect ceph`, a
    /// user left with no role becomes a former member, denied everything on BUCKET until `share
    /// forget`.
    Revoke {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        user: String,
        #[arg(long)]
        prefix: Option<String>,
        /// Keep a hand edit of the live policy (it is imported first) and apply the change.
        #[arg(long)]
        adopt: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove a former member (Ceph dialect): `revoke` leaves a revoked user denied everything on
    /// BUCKET, so nothing they uploaded (RGW makes them its owner) stays readable to them; forget
    /// lifts that Deny.
    Forget {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        user: String,
        /// Keep a hand edit of the live policy (it is imported first) and apply the change.
        #[arg(long)]
        adopt: bool,
        #[arg(long)]
        json: bool,
    },
    /// The role table, the former members, the statements kept verbatim, and the policy they
    /// render to.
    Show {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        #[arg(long)]
        json: bool,
    },
    /// Read BUCKET's live (hand-written) policy into a role table; statements it cannot express
    /// are kept verbatim. Writes nothing to S3.
    Import {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        #[arg(long)]
        json: bool,
    },
    /// Who can list, read, write, delete and change the policy, and where, decided on the live
    /// policy (hand edits included), with its lint findings and any Deny that locks the owner or
    /// s3keeper out.
    Report {
        #[command(flatten)]
        service: ServiceArgs,
        bucket: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `share` command.
pub async fn run(cmd: ShareCommand) -> Result<(), KeeperError> {
    match cmd {
        ShareCommand::Grant {
            service,
            bucket,
            user,
            role,
            prefix,
            adopt,
            json,
        } => {
            let role: Role = role.parse()?;
            let rt = keeper(&service).await?;
            let change = rt
                .keeper
                .share_grant(&bucket, &user, role, &prefix, adopt)
                .await?;
            let place = if prefix.is_empty() {
                "the whole bucket".to_owned()
            } else {
                format!("`{prefix}`")
            };
            print_change(
                &change,
                json,
                &format!("{user} is {role} of {bucket} on {place}"),
            );
            Ok(())
        }
        ShareCommand::Revoke {
            service,
            bucket,
            user,
            prefix,
            adopt,
            json,
        } => {
            let rt = keeper(&service).await?;
            let change = rt
                .keeper
                .share_revoke(&bucket, &user, prefix.as_deref(), adopt)
                .await?;
            let what = match &prefix {
                Some(p) => format!("{user} has no role under `{p}` of {bucket} any more"),
                None => format!("{user} has no role on {bucket} any more"),
            };
            print_change(&change, json, &what);
            Ok(())
        }
        ShareCommand::Forget {
            service,
            bucket,
            user,
            adopt,
            json,
        } => {
            let rt = keeper(&service).await?;
            let change = rt.keeper.share_forget(&bucket, &user, adopt).await?;
            print_change(
                &change,
                json,
                &format!("{user} is no longer a former member of {bucket}: their Deny is gone"),
            );
            Ok(())
        }
        ShareCommand::Show {
            service,
            bucket,
            json,
        } => {
            let rt = keeper(&service).await?;
            let view = rt.keeper.share_show(&bucket).await?;
            if json {
                print_json(&view);
            } else {
                print_view(&view, true);
            }
            Ok(())
        }
        ShareCommand::Import {
            service,
            bucket,
            json,
        } => {
            let rt = keeper(&service).await?;
            let view = rt.keeper.share_import(&bucket).await?;
            if json {
                print_json(&view);
            } else {
                println!(
                    "imported the policy of {bucket}: roles: {}, statements kept verbatim: {} (nothing written to S3)",
                    view.members.len(),
                    view.kept.len()
                );
                print_view(&view, false);
            }
            Ok(())
        }
        ShareCommand::Report {
            service,
            bucket,
            json,
        } => {
            let rt = keeper(&service).await?;
            let report = rt.keeper.share_report(&bucket).await?;
            if json {
                print_json(&report);
            } else {
                for line in report_lines(&report) {
                    println!("{line}");
                }
            }
            Ok(())
        }
    }
}

fn print_change(change: &ShareChange, json: bool, what: &str) {
    if json {
        print_json(change);
        return;
    }
    for w in &change.warnings {
        eprintln!("warning: {w}");
    }
    if change.adopted {
        println!("adopted a hand edit of the live policy first (the audit log has the diff)");
    }
    println!("{what}");
    if change.removed_from_kept > 0 {
        println!(
            "also removed from {} statement(s) kept from a hand-written policy",
            change.removed_from_kept
        );
    }
    print_view(&change.share, false);
}

/// The table, the kept statements, and with `policy` the rendered policy.
fn print_view(view: &ShareView, policy: bool) {
    println!("{}", table_lines(view).join("\n"));
    if !view.former.is_empty() {
        println!(
            "former members, denied everything on {} until `s3keeper share forget {} USER` ({}):",
            view.bucket,
            view.bucket,
            view.former.len()
        );
        for f in &view.former {
            println!("  {}", f.user);
        }
    }
    if !view.kept.is_empty() {
        println!(
            "kept verbatim from a hand-written policy ({}):",
            view.kept.len()
        );
        for st in &view.kept {
            println!("  {st}");
        }
    }
    match &view.policy {
        None => println!("policy: none (the bucket has no policy)"),
        Some(p) => {
            println!(
                "policy: {} statements, {} of {POLICY_LIMIT} bytes",
                p["Statement"].as_array().map_or(0, Vec::len),
                view.bytes
            );
            if policy {
                println!(
                    "{}",
                    serde_json::to_string_pretty(p).unwrap_or_else(|_| p.to_string())
                );
            }
        }
    }
    for f in &view.findings {
        println!("lint {} ({}): {}", f.code, f.name, f.message);
    }
}

fn table_lines(view: &ShareView) -> Vec<String> {
    let width = view
        .members
        .iter()
        .map(|m| m.user.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = vec![format!(
        "{} ({} dialect), roles: {}",
        view.bucket,
        view.dialect,
        view.members.len()
    )];
    if !view.members.is_empty() {
        out.push(format!("  {:width$}  {:8}  PREFIX", "USER", "ROLE"));
        for m in &view.members {
            let prefix = if m.prefix.is_empty() {
                "(whole bucket)"
            } else {
                &m.prefix
            };
            out.push(format!(
                "  {:width$}  {:8}  {prefix}",
                m.user,
                m.role.as_str()
            ));
        }
    }
    out
}

/// The report as a table: one row per principal.
pub fn report_lines(r: &Report) -> Vec<String> {
    let mut out = vec![format!(
        "{}: who can do what under the live policy{}",
        r.bucket,
        if r.has_policy { "" } else { " (it has none)" }
    )];
    let name = |p: &crate::keeper::shares::PrincipalReport| {
        let mut n = p.user.clone();
        if p.owner {
            // S3 names the owner by a 64-hex canonical id (RGW: the user id).
            if n.chars().count() > 24 {
                n = format!("{}…", n.chars().take(12).collect::<String>());
            }
            n.push_str(" (owner)");
        }
        if p.needs_own_allow {
            n.push_str(" *");
        }
        n
    };
    let width = r
        .principals
        .iter()
        .map(|p| name(p).chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let columns: Vec<[String; 5]> = r
        .principals
        .iter()
        .map(|p| {
            [
                p.list.summary(),
                p.read.summary(),
                p.write.summary(),
                p.delete.summary(),
                if p.change_policy { "yes" } else { "-" }.to_owned(),
            ]
        })
        .collect();
    let w = |i: usize, title: &str| {
        columns
            .iter()
            .map(|c| c[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let widths = [w(0, "LIST"), w(1, "READ"), w(2, "WRITE"), w(3, "DELETE")];
    out.push(format!(
        "  {:width$}  {:w0$}  {:w1$}  {:w2$}  {:w3$}  POLICY",
        "USER",
        "LIST",
        "READ",
        "WRITE",
        "DELETE",
        w0 = widths[0],
        w1 = widths[1],
        w2 = widths[2],
        w3 = widths[3]
    ));
    for (p, c) in r.principals.iter().zip(&columns) {
        out.push(format!(
            "  {:width$}  {:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
            name(p),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        ));
    }
    if r.principals.iter().any(|p| p.needs_own_allow) {
        out.push("  * of another account or tenant: its own policies must allow it too".to_owned());
    }
    if !r.unreadable_by_owner.is_empty() {
        out.push(format!(
            "the owner cannot read {} object(s) other users uploaded without `x-amz-acl: bucket-owner-full-control`{}: {}",
            r.unreadable_by_owner.len(),
            if r.unreadable_truncated {
                " (among those checked; there are more)"
            } else {
                ""
            },
            r.unreadable_by_owner.join(", ")
        ));
    }
    for l in &r.lockouts {
        out.push(format!(
            "locked out: the policy denies the {} ({}) {}; {}",
            if l.who == "owner" { "bucket owner" } else { "service, s3keeper," },
            l.principal,
            l.denied.join(", "),
            "on AWS the account's root user can always delete the bucket policy (`aws s3api delete-bucket-policy`); on RGW whoever the Deny leaves allowed runs `s3cmd delpolicy`"
        ));
    }
    if r.findings.is_empty() {
        out.push("lint: clean".to_owned());
    }
    for f in &r.findings {
        out.push(format!("lint {} ({}): {}", f.code, f.name, f.message));
    }
    out
}
