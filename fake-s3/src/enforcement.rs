//! Hard or soft enforcement, and the ledger of what each request was authorized for.
//!
//! Under **soft** enforcement (`fake-s3 --enforcement soft`) a request that policy would refuse is
//! served anyway; the journal records its Deny decision and the reason, marked
//! `"enforcement": "soft"`. Only policy is waived: signatures, keys, tokens and every other check
//! still refuse. The ledger keeps each authorization a request needed (action, resource, and for
//! listings the `s3:prefix`), allowed or not, which the journal carries and
//! [`crate::least_privilege`] turns into a policy.

use crate::error::AwsError;

/// Whether policy refusals are enforced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// Refused requests are refused (AWS's behaviour).
    #[default]
    Hard,
    /// Refused requests are served and journaled as refused, marked soft.
    Soft,
}

impl std::str::FromStr for Enforcement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hard" => Ok(Enforcement::Hard),
            "soft" => Ok(Enforcement::Soft),
            other => Err(format!(
                "`{other}` is not an enforcement mode (hard or soft)"
            )),
        }
    }
}

/// One authorization a request needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Need {
    pub action: String,
    pub resource: String,
    /// For `s3:ListBucket`, the listing's prefix (`""` when it named none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

impl Need {
    pub fn new(action: &str, resource: &str, prefix: Option<&str>) -> Need {
        Need {
            action: action.to_owned(),
            resource: resource.to_owned(),
            prefix: prefix.map(str::to_owned),
        }
    }

    fn is(&self, action: &str, resource: &str, prefix: Option<&str>) -> bool {
        self.action == action && self.resource == resource && self.prefix.as_deref() == prefix
    }
}

/// What one request was authorized for, and whether a refusal was waived.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub needs: Vec<Need>,
    /// A refusal was waived under soft enforcement.
    pub soft: bool,
    /// The first waived refusal's decision and explanation, which the journal keeps even when a
    /// later check of the same request allowed.
    pub waived: Option<(policy_eval::Decision, String)>,
}

impl Ledger {
    /// Notes that the request needed `action` on `resource`.
    pub fn note(&mut self, action: &str, resource: &str, prefix: Option<&str>) {
        // Compared before anything is copied: most requests note the same need more than once.
        if !self.needs.iter().any(|n| n.is(action, resource, prefix)) {
            self.needs.push(Need::new(action, resource, prefix));
        }
    }

    /// Applies `enforcement` to a decision: under soft enforcement a refusal is recorded and
    /// waived (`Ok`), else it is returned.
    pub fn enforce(
        &mut self,
        enforcement: Enforcement,
        decision: (policy_eval::Decision, &str),
        refusal: Option<AwsError>,
    ) -> Result<(), AwsError> {
        match refusal {
            None => Ok(()),
            Some(e) if enforcement == Enforcement::Soft && e.code == "AccessDenied" => {
                self.soft = true;
                if self.waived.is_none() {
                    self.waived = Some((decision.0, decision.1.to_owned()));
                }
                Ok(())
            }
            Some(e) => Err(e),
        }
    }
}
