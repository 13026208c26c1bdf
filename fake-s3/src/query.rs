//! A request's query string, decoded once (`%XX` escapes; `+` kept as is) into one buffer: the
//! body's limit, the router, the authenticator and the handlers all read the same [`Query`].
//! A presigned URL carries half a dozen parameters; one buffer instead of a string per name and
//! value took a dozen allocations off every such request.

use crate::error::AwsError;

/// The decoded names and values, in the order sent (a name may repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    text: String,
    /// Per parameter: where its name starts, where its value starts (its name's end) and ends.
    bounds: Vec<[usize; 3]>,
}

impl Query {
    /// Decodes `raw` (the URI's query, without `?`). Empty parameters (`a&&b`) are skipped; a
    /// parameter without `=` has an empty value; only the first `=` separates.
    pub fn decode(raw: Option<&str>) -> Result<Self, AwsError> {
        let Some(raw) = raw else {
            return Ok(Query::default());
        };
        let mut query = Query {
            text: String::with_capacity(raw.len()),
            bounds: Vec::with_capacity(8),
        };
        // Separators found with `memchr` on bytes: `str::split(char)` compares each match's
        // UTF-8 encoding with a `memcmp` call, which showed in profiles. Both are ASCII, so the
        // slices cut at them are still `str` boundaries.
        for pair in split_ascii(raw, b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match memchr::memchr(b'=', pair.as_bytes()) {
                Some(at) => (
                    pair.get(..at).unwrap_or_default(),
                    pair.get(at + 1..).unwrap_or_default(),
                ),
                None => (pair, ""),
            };
            let start = query.text.len();
            query.push_decoded(k)?;
            let middle = query.text.len();
            query.push_decoded(v)?;
            query.bounds.push([start, middle, query.text.len()]);
        }
        Ok(query)
    }

    fn push_decoded(&mut self, s: &str) -> Result<(), AwsError> {
        let decoded = crate::sigv4::percent_decode_cow(s).ok_or_else(|| {
            AwsError::invalid_argument("the query string is not valid percent-encoded UTF-8")
        })?;
        self.text.push_str(&decoded);
        Ok(())
    }

    /// Every (name, value), in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone + '_ {
        self.bounds.iter().map(|&[start, middle, end]| {
            (
                self.text.get(start..middle).unwrap_or_default(),
                self.text.get(middle..end).unwrap_or_default(),
            )
        })
    }

    /// Every name, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The first value of `name` (names are case-sensitive, as in S3).
    pub fn get(&self, name: &str) -> Option<&str> {
        // Names compared as bytes: only the value found is made a `&str` (read ten times a
        // request, this is most of a presigned URL's parameter lookups).
        let bytes = self.text.as_bytes();
        let &[_, middle, end] = self
            .bounds
            .iter()
            .find(|[start, middle, _]| bytes.get(*start..*middle) == Some(name.as_bytes()))?;
        self.text.get(middle..end)
    }

    /// Whether `name` is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Owned pairs, for the Query APIs (STS, IAM), whose parameters also come from the body.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Query {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> Self {
        let mut query = Query::default();
        for (k, v) in pairs {
            let start = query.text.len();
            query.text.push_str(k);
            let middle = query.text.len();
            query.text.push_str(v);
            query.bounds.push([start, middle, query.text.len()]);
        }
        query
    }
}

/// `s` cut at every `sep` (an ASCII byte, so every piece is a `str`).
fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(sep, r.as_bytes()) {
            Some(at) => {
                rest = r.get(at + 1..);
                r.get(..at)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(q: &Query) -> Vec<(String, String)> {
        q.to_pairs()
    }

    #[test]
    fn pairs_keep_their_order_and_later_equals_signs() {
        let q = Query::decode(Some("b=1&&a&c=x%3Dy=z&=v&")).unwrap_or_default();
        let want: Vec<(String, String)> = [("b", "1"), ("a", ""), ("c", "x=y=z"), ("", "v")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(pairs(&q), want);
        assert_eq!(q.get("c"), Some("x=y=z"));
        assert_eq!(q.get("a"), Some(""));
        assert!(q.contains("a") && !q.contains("A"));
        assert_eq!(q.get("missing"), None);
    }

    #[test]
    fn bad_escapes_and_empty_queries() {
        assert!(Query::decode(Some("a=%zz")).is_err());
        assert!(Query::decode(Some("a=%ff")).is_err(), "not UTF-8");
        assert!(Query::decode(None).is_ok_and(|q| q.is_empty()));
        assert!(Query::decode(Some("")).is_ok_and(|q| q.is_empty()));
    }

    #[test]
    fn a_repeated_name_keeps_both_and_get_reads_the_first() {
        let q = Query::decode(Some("k=1&k=2&K=3")).unwrap_or_default();
        assert_eq!(q.get("k"), Some("1"));
        assert_eq!(q.iter().filter(|(k, _)| *k == "k").count(), 2);
    }

    proptest! {
        /// The one-buffer reader agrees with the plain definition: split on `&`, skip empty
        /// pairs, split each at its first `=`, decode both halves.
        #[test]
        fn decode_matches_decoding_each_part(raw in "[a-zA-Z0-9=&%._~+/-]{0,60}") {
            let alone: Option<Vec<(String, String)>> = raw
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    Some((crate::sigv4::percent_decode(k)?, crate::sigv4::percent_decode(v)?))
                })
                .collect();
            prop_assert_eq!(Query::decode(Some(&raw)).ok().map(|q| pairs(&q)), alone);
        }

        /// What is collected from pairs reads back the same pairs.
        #[test]
        fn collected_pairs_read_back(parts in proptest::collection::vec(("[a-z=&%]{0,5}", "[a-z=&%]{0,5}"), 0..6)) {
            let q: Query = parts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            prop_assert_eq!(pairs(&q), parts);
        }
    }
}
