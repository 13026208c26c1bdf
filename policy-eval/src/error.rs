//! Errors raised while parsing and validating a policy document.
//!
//! Each error points at the input: which statement (by `Sid`, else by index) and which element. The
//! first words of the message are the text S3 itself returns in its `MalformedPolicy` error, so a
//! message can be matched against what AWS would say
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).

use std::fmt;

/// What class of problem a [`PolicyError`] reports; stable, so callers can branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text is not JSON, or not a JSON object.
    NotJson,
    /// A required element (`Effect`, `Action`, `Resource`, `Principal`, `Statement`) is absent.
    MissingElement,
    /// An element the grammar does not know, or one this kind of policy must not have.
    UnknownElement,
    /// Two elements that exclude each other (`Action` and `NotAction`, …) are both present.
    ConflictingElements,
    /// `Version` is not `2012-10-17` or `2008-10-17`.
    InvalidVersion,
    /// `Effect` is not `Allow` or `Deny`.
    InvalidEffect,
    /// A principal that is not one of the forms AWS accepts.
    InvalidPrincipal,
    /// An action that is not `service:name` (with wildcards), or unknown to S3 in an S3 policy.
    InvalidAction,
    /// A resource that is not an ARN or `*`, or one outside the bucket/access point the policy is on.
    InvalidResource,
    /// No action of the statement can apply to any of its resources.
    ActionResourceMismatch,
    /// A condition block with an unknown operator, or a value the operator cannot read.
    InvalidCondition,
    /// The wrong JSON type for an element (a number where a string belongs, …).
    InvalidType,
    /// The document is larger than AWS allows for its kind.
    TooLarge,
}

impl ErrorKind {
    /// The message S3 returns in its `MalformedPolicy` error for this kind of mistake.
    pub fn aws_message(self) -> &'static str {
        match self {
            ErrorKind::NotJson => "This policy contains invalid Json",
            ErrorKind::MissingElement => "Statement is missing required element",
            ErrorKind::UnknownElement => "Policy has an invalid element",
            ErrorKind::ConflictingElements => "Statement has conflicting elements",
            ErrorKind::InvalidVersion => "The policy must contain a valid version string",
            ErrorKind::InvalidEffect => "Invalid effect",
            ErrorKind::InvalidPrincipal => "Invalid principal in policy",
            ErrorKind::InvalidAction => "Policy has invalid action",
            ErrorKind::InvalidResource => "Policy has invalid resource",
            ErrorKind::ActionResourceMismatch => {
                "Action does not apply to any resource(s) in statement"
            }
            ErrorKind::InvalidCondition => "Invalid Condition",
            ErrorKind::InvalidType => "Policy has an element of the wrong type",
            ErrorKind::TooLarge => "Policies must be less than 20 KB",
        }
    }
}

/// Where in a document an error was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Index of the statement in `Statement`, when the error is inside one.
    pub statement_index: Option<usize>,
    /// `Sid` of that statement, when it has one.
    pub sid: Option<String>,
    /// The element (`Principal`, `Condition`, …) the error is about.
    pub field: Option<String>,
}

/// A policy document that AWS would refuse, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    pub kind: ErrorKind,
    pub location: Location,
    pub detail: String,
}

impl PolicyError {
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            location: Location {
                statement_index: None,
                sid: None,
                field: None,
            },
            detail: detail.into(),
        }
    }

    pub(crate) fn at_field(mut self, field: &str) -> Self {
        if self.location.field.is_none() {
            self.location.field = Some(field.to_owned());
        }
        self
    }

    pub(crate) fn in_statement(mut self, index: usize, sid: Option<&str>) -> Self {
        self.location.statement_index = Some(index);
        self.location.sid = sid.map(str::to_owned);
        self
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.aws_message())?;
        let mut sep = " (";
        if let Some(i) = self.location.statement_index {
            match &self.location.sid {
                Some(sid) => write!(f, "{sep}statement `{sid}` at index {i}")?,
                None => write!(f, "{sep}statement at index {i}")?,
            }
            sep = ", ";
        }
        if let Some(field) = &self.location.field {
            write!(f, "{sep}element `{field}`")?;
            sep = ", ";
        }
        if sep == ", " {
            f.write_str(")")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}
