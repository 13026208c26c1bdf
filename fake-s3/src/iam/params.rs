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

    /// `PathPrefix` (default `/`).
    pub fn path_prefix(self) -> &'a str {
        self.get("PathPrefix").unwrap_or("/")
    }

    /// One page of `items` under `<NAME>`, each written by `item`, then `IsTruncated` and
    /// `Marker`: what every IAM listing answers.
    pub fn listing<T>(
        self,
        name: &str,
        items: Vec<T>,
        key: impl Fn(&T) -> String,
        item: impl Fn(&T) -> String,
    ) -> Result<String, AwsError> {
        let (page, next) = self.page(items, key)?;
        Ok(format!(
            "{}{}",
            super::xml::members(name, page.iter().map(item)),
            super::xml::truncation(next.as_deref())
        ))
    }

    /// One page of `items` ordered by `key`, from `Marker`, at most `MaxItems` (1–1000, default
    /// 100): the page and the marker of the next one.
    fn page<T>(
        self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> Result<(Vec<T>, Option<String>), AwsError> {
        // The marker is the next item's key, so the items must be in key order (managed policies
        // are stored by ARN, attachments kept in attachment order).
        items.sort_by_cached_key(|i| key(i));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Items that are not stored in key order (managed policies by ARN, so by path first) are
    /// still paged in key order: following the markers lists each item once.
    #[test]
    fn markers_walk_unsorted_items_once_each() {
        let items = vec!["/z/alpha", "/a/delta", "/m/bravo", "/a/charlie"];
        let name = |s: &&str| s.rsplit('/').next().unwrap_or_default().to_owned();
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![("MaxItems".to_owned(), "1".to_owned())];
            if let Some(m) = &marker {
                params.push(("Marker".to_owned(), m.clone()));
            }
            let (page, next) = Params(&params)
                .page(items.clone(), name)
                .unwrap_or_else(|e| panic!("{e}"));
            seen.extend(page.iter().map(name));
            match next {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen, ["alpha", "bravo", "charlie", "delta"]);
    }
}
