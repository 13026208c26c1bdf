//! A deliberately small reference evaluator: the oracle for the differential test
//! (`differential.rs`). It is written from SPEC §2 and AWS's evaluation-logic pages
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html>), not from
//! policy-eval's code, and works directly on the scenario JSON.
//!
//! It supports only what the generator produces: IAM users (no path), account roots, assumed-role
//! sessions (role without path) and anonymous callers; the condition operators StringEquals,
//! StringLike, StringNotLike, Bool, IpAddress, NotIpAddress (IPv4), NumericLessThan, each optionally
//! `…IfExists`, on single-valued keys; the policy variable `${aws:username}`. Anything else panics.
//!
//! The rules, in order:
//! 1. A Deny that applies in any policy → ExplicitDeny. Identity policies see the access-point
//!    resource for a request through an access point, the bucket resource otherwise; the
//!    access-point policy sees the access-point resource; the bucket policy the bucket resource.
//! 2. Anonymous through an access point → ImplicitDeny.
//! 3. Each resource is a check (the access point, then the bucket): in the owner's account it
//!    passes when identity policies allow OR the resource policy allows the caller itself (a
//!    Principal naming only the account delegates to identity policies); across accounts and for
//!    anonymous callers (who have no identity policies) identity AND resource policy must allow.
//!    The account root's identity side always allows.
//! 4. `NotPrincipal` exempts a caller only when every link of its chain (account; user or role;
//!    session) is listed, which is how AWS describes evaluating it.
//! 5. `${aws:username}` (2012-10-17 only; literal text otherwise) has a value only for IAM users.
//!    A Resource/NotResource entry that needs it without a value makes the statement inapplicable
//!    (SPEC §2). A condition needs its values only when its key is present: a missing key decides
//!    the operator on its own (AWS: "To prevent variables from causing invalid statements, use the
//!    ...IfExists condition operator").

use std::collections::HashMap;

use serde_json::Value;

/// Who makes the request.
#[derive(Debug)]
enum Caller {
    Anonymous,
    Root {
        account: String,
    },
    User {
        account: String,
        arn: String,
        name: String,
        userid: String,
    },
    Session {
        account: String,
        arn: String,
        role_arn: String,
        role_id: String,
    },
}

impl Caller {
    fn from_json(p: &Value) -> Caller {
        if p.get("anonymous").and_then(Value::as_bool) == Some(true) {
            return Caller::Anonymous;
        }
        let arn = p["arn"].as_str().unwrap_or_default().to_owned();
        let userid = p["userid"].as_str().unwrap_or_default().to_owned();
        // arn:PARTITION:SERVICE::ACCOUNT:RESOURCE
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        assert_eq!(parts.len(), 6, "reference: unsupported principal ARN {arn}");
        let (service, account, resource) = (parts[2], parts[4].to_owned(), parts[5]);
        match (service, resource.split('/').collect::<Vec<_>>().as_slice()) {
            ("iam", ["root"]) => Caller::Root { account },
            ("iam", ["user", name]) => Caller::User {
                account,
                name: (*name).to_owned(),
                arn,
                userid,
            },
            ("sts", ["assumed-role", role, _session]) => Caller::Session {
                role_arn: format!("arn:aws:iam::{account}:role/{role}"),
                role_id: userid.split(':').next().unwrap_or_default().to_owned(),
                account,
                arn,
            },
            _ => panic!("reference: unsupported principal ARN {arn}"),
        }
    }

    fn account(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::Root { account }
            | Caller::User { account, .. }
            | Caller::Session { account, .. } => Some(account),
        }
    }

    fn username(&self) -> Option<&str> {
        match self {
            Caller::User { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// How a resource-policy statement's principal matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PMatch {
    No,
    /// Only through the caller's account (account id or root ARN): delegates to identity policies.
    Account,
    /// The caller itself (or everyone).
    Specific,
}

/// One link of the caller's chain, as AWS checks it for `NotPrincipal` (account, then
/// user / role, then session).
#[derive(Debug, Clone, Copy)]
enum Link {
    Account,
    Entity,
    Session,
    Anonymous,
}

/// What a request looks like to one policy.
struct View<'a> {
    caller: &'a Caller,
    action: &'a str,
    resource: &'a str,
    ctx: &'a HashMap<String, String>,
}

/// "Allow" | "ExplicitDeny" | "ImplicitDeny" for a scenario.
pub fn decide(scenario: &Value) -> &'static str {
    let req = &scenario["request"];
    let pols = &scenario["policies"];
    let caller = Caller::from_json(&req["principal"]);
    let action = req["action"].as_str().unwrap_or_default();
    let bucket = req["bucket"]["name"].as_str().unwrap_or_default();
    let bucket_owner = req["bucket"]["account"].as_str().unwrap_or_default();
    let key = req.get("key").and_then(Value::as_str);

    let bucket_res = match key {
        Some(k) => format!("arn:aws:s3:::{bucket}/{k}"),
        None => format!("arn:aws:s3:::{bucket}"),
    };
    let ap = req.get("access_point").filter(|v| !v.is_null());
    let ap_info = ap.map(|ap| {
        let name = ap["name"].as_str().unwrap_or_default();
        let account = ap["account"].as_str().unwrap_or_default().to_owned();
        let region = ap["region"].as_str().unwrap_or("us-east-1");
        let arn = format!("arn:aws:s3:{region}:{account}:accesspoint/{name}");
        let res = match key {
            Some(k) => format!("{arn}/object/{k}"),
            None => arn.clone(),
        };
        (account, arn, res)
    });

    // Request context: key names are case-insensitive; the access-point keys are derived.
    let mut ctx: HashMap<String, String> = HashMap::new();
    if let Some(Value::Object(m)) = req.get("context") {
        for (k, v) in m {
            let Some(v) = v.as_str() else {
                panic!("reference: context key {k} must be a string")
            };
            ctx.insert(k.to_lowercase(), v.to_owned());
        }
    }
    ctx.remove("s3:dataaccesspointaccount");
    ctx.remove("s3:dataaccesspointarn");
    if let Some((account, arn, _)) = &ap_info {
        ctx.insert("s3:dataaccesspointaccount".into(), account.clone());
        ctx.insert("s3:dataaccesspointarn".into(), arn.clone());
    }

    let identity_res = match &ap_info {
        Some((_, _, res)) => res.as_str(),
        None => bucket_res.as_str(),
    };
    let identity_view = View {
        caller: &caller,
        action,
        resource: identity_res,
        ctx: &ctx,
    };
    let bucket_view = View {
        caller: &caller,
        action,
        resource: &bucket_res,
        ctx: &ctx,
    };

    // Identity policies (anonymous callers have none).
    let identity: Vec<&Value> = match (&caller, pols.get("identity")) {
        (Caller::Anonymous, _) => Vec::new(),
        (_, Some(Value::Array(list))) => list.iter().collect(),
        _ => Vec::new(),
    };
    let bucket_policy = pols.get("bucket").filter(|v| !v.is_null());
    let ap_policy = pols.get("access_point").filter(|v| !v.is_null());

    let (mut deny, mut identity_allow) = (false, false);
    for p in &identity {
        let (d, a) = scan(p, &identity_view, false);
        deny |= d;
        identity_allow |= a == PMatch::Specific;
    }
    // The account root holds every permission of its own account.
    if matches!(caller, Caller::Root { .. }) {
        identity_allow = true;
    }
    let (bucket_deny, bucket_allow) = match bucket_policy {
        Some(p) => scan(p, &bucket_view, true),
        None => (false, PMatch::No),
    };
    deny |= bucket_deny;
    let ap_result = match (&ap_info, ap_policy) {
        (Some((_, _, res)), Some(p)) => {
            let ap_view = View {
                caller: &caller,
                action,
                resource: res,
                ctx: &ctx,
            };
            scan(p, &ap_view, true)
        }
        _ => (false, PMatch::No),
    };
    deny |= ap_result.0;

    if deny {
        return "ExplicitDeny";
    }
    if ap_info.is_some() && matches!(caller, Caller::Anonymous) {
        return "ImplicitDeny";
    }

    let check = |owner: &str, resource_allow: PMatch| -> bool {
        if caller.account() == Some(owner) {
            // (The root's own account needs nothing more: `identity_allow` is already true.)
            identity_allow || resource_allow == PMatch::Specific
        } else {
            let identity_ok = identity_allow || matches!(caller, Caller::Anonymous);
            identity_ok && resource_allow != PMatch::No
        }
    };

    let allowed = match &ap_info {
        Some((ap_account, _, _)) => {
            check(ap_account, ap_result.1) && check(bucket_owner, bucket_allow)
        }
        None => check(bucket_owner, bucket_allow),
    };
    if allowed {
        "Allow"
    } else {
        "ImplicitDeny"
    }
}

/// Scans one policy: whether a Deny applies, and the best principal match among the Allow
/// statements that apply (`Specific` for an identity policy's applicable Allow).
fn scan(policy: &Value, view: &View<'_>, resource_policy: bool) -> (bool, PMatch) {
    let version = policy
        .get("Version")
        .and_then(Value::as_str)
        .unwrap_or("2008-10-17");
    let statements: Vec<&Value> = match &policy["Statement"] {
        Value::Array(list) => list.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    let (mut deny, mut allow) = (false, PMatch::No);
    for st in statements {
        let who = if resource_policy {
            principal_match(st, view.caller)
        } else {
            PMatch::Specific
        };
        if who == PMatch::No || !applies(st, version, view) {
            continue;
        }
        match st["Effect"].as_str() {
            Some("Deny") => deny = true,
            Some("Allow") => allow = allow.max(who),
            other => panic!("reference: bad Effect {other:?}"),
        }
    }
    (deny, allow)
}

/// A string or an array of strings, as a list.
fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        Value::Null => Vec::new(),
        other => panic!("reference: expected string or array, got {other}"),
    }
}

/// The entries of a Principal / NotPrincipal element.
fn principal_entries(p: &Value) -> Vec<&str> {
    match p {
        Value::String(s) => vec![s.as_str()],
        Value::Object(m) => m.get("AWS").map(strings).unwrap_or_default(),
        other => panic!("reference: unsupported principal {other}"),
    }
}

fn is_account_entry(entry: &str, account: &str) -> bool {
    entry == account || entry == format!("arn:aws:iam::{account}:root")
}

/// Whether one Principal entry names `link` of the caller.
fn entry_covers(entry: &str, caller: &Caller, link: Link) -> bool {
    if entry == "*" {
        return true;
    }
    match (caller, link) {
        (Caller::Anonymous, _) | (_, Link::Anonymous) => false,
        (c, Link::Account) => c.account().is_some_and(|a| is_account_entry(entry, a)),
        (Caller::User { arn, userid, .. }, Link::Entity) => entry == arn || entry == userid,
        (
            Caller::Session {
                role_arn, role_id, ..
            },
            Link::Entity,
        ) => entry == role_arn || entry == role_id,
        (Caller::Session { arn, .. }, Link::Session) => entry == arn,
        _ => false,
    }
}

fn principal_match(st: &Value, caller: &Caller) -> PMatch {
    if let Some(p) = st.get("Principal") {
        let entries = principal_entries(p);
        let mut best = PMatch::No;
        for e in entries {
            if e == "*" {
                best = PMatch::Specific;
            } else if entry_covers(e, caller, Link::Account) {
                best = best.max(PMatch::Account);
            } else if entry_covers(e, caller, Link::Entity)
                || entry_covers(e, caller, Link::Session)
            {
                best = PMatch::Specific;
            }
        }
        best
    } else if let Some(np) = st.get("NotPrincipal") {
        // AWS checks the account, then the user or role, then the session: the statement
        // exempts the caller only when every link of its chain is listed.
        let entries = principal_entries(np);
        let chain: &[Link] = match caller {
            Caller::Anonymous => &[Link::Anonymous],
            Caller::Root { .. } => &[Link::Account],
            Caller::User { .. } => &[Link::Account, Link::Entity],
            Caller::Session { .. } => &[Link::Account, Link::Entity, Link::Session],
        };
        let exempt = chain
            .iter()
            .all(|&l| entries.iter().any(|e| entry_covers(e, caller, l)));
        if exempt {
            PMatch::No
        } else {
            PMatch::Specific
        }
    } else {
        panic!("reference: resource-policy statement without Principal/NotPrincipal")
    }
}

/// Naive glob: `*` any run (including `/`), `?` exactly one character.
fn glob(p: &[char], s: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some(('*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some(('?', rest)) => !s.is_empty() && glob(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// Glob match of a whole string (`*` crosses `/`), case-sensitive.
pub fn glob_match(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = value.chars().collect();
    glob(&p, &s)
}

/// Substitutes `${aws:username}` under 2012-10-17; `None` when the caller has no user name.
fn substitute(text: &str, version: &str, caller: &Caller) -> Option<String> {
    if version != "2012-10-17" || !text.contains("${") {
        return Some(text.to_owned());
    }
    assert!(
        text.replace("${aws:username}", "").find("${").is_none(),
        "reference: unsupported policy variable in {text}"
    );
    caller
        .username()
        .map(|name| text.replace("${aws:username}", name))
}

/// Whether a statement applies to the request (principal aside).
fn applies(st: &Value, version: &str, view: &View<'_>) -> bool {
    // Action / NotAction: case-insensitive.
    let action = view.action.to_lowercase();
    let action_hit = |list: &Value| {
        strings(list)
            .iter()
            .any(|p| glob_match(&p.to_lowercase(), &action))
    };
    let action_ok = match (st.get("Action"), st.get("NotAction")) {
        (Some(a), None) => action_hit(a),
        (None, Some(na)) => !action_hit(na),
        _ => panic!("reference: statement needs exactly one of Action/NotAction"),
    };

    // Resource / NotResource: case-sensitive, with variables. A variable without a value makes
    // the whole statement inapplicable, so substitute everything first.
    let (res_list, negated) = match (st.get("Resource"), st.get("NotResource")) {
        (Some(r), None) => (r, false),
        (None, Some(nr)) => (nr, true),
        _ => panic!("reference: statement needs exactly one of Resource/NotResource"),
    };
    let mut patterns = Vec::new();
    for p in strings(res_list) {
        match substitute(p, version, view.caller) {
            Some(s) => patterns.push(s),
            None => return false,
        }
    }
    let hit = patterns.iter().any(|p| glob_match(p, view.resource));
    let resource_ok = hit != negated;

    let condition_ok = match st.get("Condition") {
        None => true,
        Some(c) => match conditions_hold(c, version, view) {
            Some(b) => b,
            None => return false,
        },
    };
    action_ok && resource_ok && condition_ok
}

/// All operators and keys ANDed; `None` when a variable has no value.
fn conditions_hold(cond: &Value, version: &str, view: &View<'_>) -> Option<bool> {
    let Value::Object(ops) = cond else {
        panic!("reference: Condition must be an object")
    };
    let mut all = true;
    for (op, block) in ops {
        let (base, if_exists) = match op.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (op.as_str(), false),
        };
        let Value::Object(keys) = block else {
            panic!("reference: condition block must be an object")
        };
        for (key, values) in keys {
            // A missing key decides the operator without looking at its values, so a variable in
            // them is only needed when the key is present (AWS: "To prevent variables from causing
            // invalid statements, use the ...IfExists condition operator").
            let ok = match view.ctx.get(&key.to_lowercase()) {
                None => if_exists || negated(base),
                Some(actual) => {
                    let mut vals = Vec::new();
                    for v in strings(values) {
                        let v = if base.starts_with("String") {
                            substitute(v, version, view.caller)?
                        } else {
                            v.to_owned()
                        };
                        vals.push(v);
                    }
                    operator(base, actual, &vals)
                }
            };
            all &= ok;
        }
    }
    Some(all)
}

fn negated(op: &str) -> bool {
    match op {
        "StringEquals" | "StringLike" | "Bool" | "IpAddress" | "NumericLessThan" => false,
        "StringNotLike" | "NotIpAddress" => true,
        other => panic!("reference: unsupported operator {other}"),
    }
}

fn operator(op: &str, actual: &str, vals: &[String]) -> bool {
    match op {
        "StringEquals" => vals.iter().any(|v| v == actual),
        "StringLike" => vals.iter().any(|v| glob_match(v, actual)),
        "StringNotLike" => !vals.iter().any(|v| glob_match(v, actual)),
        "Bool" => vals.iter().any(|v| v.eq_ignore_ascii_case(actual)),
        "IpAddress" => vals.iter().any(|v| in_cidr(actual, v)),
        "NotIpAddress" => !vals.iter().any(|v| in_cidr(actual, v)),
        "NumericLessThan" => match actual.parse::<f64>() {
            Ok(a) => vals
                .iter()
                .any(|v| v.parse::<f64>().is_ok_and(|bound| a < bound)),
            Err(_) => false,
        },
        other => panic!("reference: unsupported operator {other}"),
    }
}

fn ipv4(s: &str) -> Option<u32> {
    let octets: Vec<u32> = s
        .split('.')
        .map(|p| p.parse::<u8>().ok().map(u32::from))
        .collect::<Option<_>>()?;
    match octets.as_slice() {
        [a, b, c, d] => Some(a << 24 | b << 16 | c << 8 | d),
        _ => None,
    }
}

/// IPv4 only; a bare address means /32.
fn in_cidr(ip: &str, cidr: &str) -> bool {
    let (net, len) = match cidr.split_once('/') {
        Some((n, l)) => (n, l.parse::<u32>().unwrap_or(99)),
        None => (cidr, 32),
    };
    let (Some(ip), Some(net)) = (ipv4(ip), ipv4(net)) else {
        return false;
    };
    assert!(len <= 32, "reference: bad prefix length in {cidr}");
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    ip & mask == net & mask
}
