//! An IAM request's parameters as the Query protocol sends them: `Name=value` pairs, lists as
//! `Name.member.N` (<https://docs.aws.amazon.com/IAM/latest/APIReference/CommonParameters.html>),
//! and the `Marker`/`MaxItems` pagination every listing shares.

use crate::error::AwsError;

/// The request's parameters, query and form together.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a>(pub &'a [(String, String)]);

impl<'a> Params<'a> {
    pub fn get(self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter IAM requires.
    pub fn required(self, name: &str) -> Result<&'a str, AwsError> {
        self.get(name).ok_or_else(|| {
            AwsError::validation_error(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(name)
            ))
        })
    }

    /// A `true`/`false` parameter (absent: `false`).
    pub fn flag(self, name: &str) -> Result<bool, AwsError> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(AwsError::validation_error(format!(
                "`{v}` is not a boolean for {name}"
            ))),
        }
    }

    /// `Name.member.N` values in the order of N.
    pub fn members(self, name: &str) -> Vec<&'a str> {
        let prefix = format!("{name}.member.");
        let mut found: Vec<(u32, &str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(&prefix)?.parse().ok()?;
                Some((n, v.as_str()))
            })
            .collect();
        found.sort_by_key(|(n, _)| *n);
        found.into_iter().map(|(_, v)| v).collect()
    }

    /// `Tags.member.N.Key` / `.Value` pairs.
    pub fn tags(self) -> Result<Vec<(String, String)>, AwsError> {
        let mut numbers: Vec<u32> = self
            .0
            .iter()
            .filter_map(|(k, _)| {
                k.strip_prefix("Tags.member.")?
                    .strip_suffix(".Key")?
                    .parse()
                    .ok()
            })
            .collect();
        numbers.sort_unstable();
        numbers
            .into_iter()
            .map(|n| {
                // API_Tag: both Key and Value are required.
                let key = self.required(&format!("Tags.member.{n}.Key"))?;
                let value = self.required(&format!("Tags.member.{n}.Value"))?;
                Ok((key.to_owned(), value.to_owned()))
            })
            .collect()
    }

    /// One page of `items` (sorted by their marker key), from `Marker`, at most `MaxItems`
    /// (1–1000, default 100): the page and the marker of the next one.
    pub fn page<T>(
        self,
        items: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> Result<(Vec<T>, Option<String>), AwsError> {
        let max = match self.get("MaxItems") {
            None => 100,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| AwsError::validation_error("MaxItems must be between 1 and 1000"))?,
        };
        let marker = self.get("Marker");
        let mut rest: Vec<T> = match marker {
            Some(m) => items.into_iter().filter(|i| key(i).as_str() >= m).collect(),
            None => items,
        };
        if rest.len() > max {
            let next = key(&rest[max]);
            rest.truncate(max);
            Ok((rest, Some(next)))
        } else {
            Ok((rest, None))
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}
