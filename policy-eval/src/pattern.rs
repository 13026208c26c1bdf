//! Wildcard patterns (`*`, `?`) and policy variables (`${aws:username}`), as used in `Action`,
//! `Resource` and string/ARN condition values.
//!
//! Matching is linear in the text: a pattern is split at its `*`s into segments, the first anchored
//! at the start, the last at the end, and each middle one found at its leftmost place with a
//! substring search (`memchr::memmem`, or a bit-parallel search when the segment holds `?`). Leftmost
//! placement is always safe for `*`-separated segments, so nothing is ever retried: `*a*a*a*…b`
//! costs one pass, not a blow-up.
//!
//! Variables follow <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>:
//! `${key}` and `${key, 'default'}` are replaced by the request's value, `${*}`, `${?}` and `${$}`
//! stand for the literal characters, and a substituted value is always literal text (a `*` in a
//! user name is not a wildcard). Variables exist only under `Version: 2012-10-17`; the caller decides
//! whether to parse them.

use std::borrow::Cow;

use memchr::memmem;

/// One piece of a pattern before variables are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters, `/` included.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`; `key` is lowercase.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A pattern as written in a policy, possibly holding variables.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    /// No variables (the common case): compiled once.
    Fixed(Glob),
    /// Variables are resolved per request, then the result is matched.
    Vars(Vec<Part>),
}

/// Options for reading a pattern.
#[derive(Debug, Clone, Copy)]
pub struct Syntax {
    /// `*` and `?` are wildcards (Action, Resource, StringLike, ArnLike) rather than text.
    pub wildcards: bool,
    /// `${…}` is a variable (Version 2012-10-17) rather than text.
    pub variables: bool,
    /// Compare without regard to case (actions, `…IgnoreCase` operators).
    pub ignore_case: bool,
}

/// Why a variable could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The variable's key as written in the policy (lowercase).
    pub key: String,
}

impl Pattern {
    /// Reads `text` as a pattern.
    pub fn new(text: &str, syntax: Syntax) -> Self {
        let may_hold_variables = syntax.variables && text.contains("${");
        if !may_hold_variables {
            // No variables possible: compile straight from the text.
            let folded;
            let fold = syntax.ignore_case
                && (!text.is_ascii() || text.bytes().any(|b| b.is_ascii_uppercase()));
            let body = if fold {
                folded = text.to_lowercase();
                folded.as_str()
            } else {
                text
            };
            let glob = if syntax.wildcards {
                Glob::new(body)
            } else {
                Glob::from_parts(std::iter::once(Piece::Lit(body)))
            };
            return Pattern {
                source: text.to_owned(),
                repr: Repr::Fixed(glob),
            };
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                if let Some(end) = rest.find('}') {
                    let inner = &rest[2..end];
                    rest = &rest[end + 1..];
                    match inner {
                        "*" => lit.push('*'),
                        "?" => lit.push('?'),
                        "$" => lit.push('$'),
                        _ => {
                            if !lit.is_empty() {
                                parts.push(Part::Lit(std::mem::take(&mut lit)));
                            }
                            parts.push(parse_variable(inner));
                        }
                    }
                    continue;
                }
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if syntax.wildcards => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Star);
                }
                '?' if syntax.wildcards => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::One);
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        if syntax.ignore_case {
            for part in &mut parts {
                if let Part::Lit(s) = part {
                    *s = s.to_lowercase();
                }
            }
        }
        let repr = if parts.iter().any(|p| matches!(p, Part::Var { .. })) {
            Repr::Vars(parts)
        } else {
            Repr::Fixed(Glob::from_parts(parts.iter().map(|p| match p {
                Part::Lit(s) => Piece::Lit(s.as_str()),
                Part::Star => Piece::Star,
                _ => Piece::One,
            })))
        };
        Pattern {
            source: text.to_owned(),
            repr,
        }
    }

    /// The text as written in the policy.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Matches `text` (already lowercased by the caller when the pattern ignores case), looking
    /// variables up with `lookup`.
    pub fn matches<'a>(
        &self,
        text: &str,
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<bool, Unresolved> {
        let parts = match &self.repr {
            Repr::Fixed(glob) => return Ok(glob.matches(text)),
            Repr::Vars(parts) => parts,
        };
        let resolved = resolve(parts, lookup)?;
        let glob = Glob::from_parts(resolved.iter().map(|p| match p {
            Part::Lit(s) => Piece::Lit(s.as_str()),
            Part::Star => Piece::Star,
            _ => Piece::One,
        }));
        Ok(glob.matches(text))
    }

    /// The pattern with variables replaced: text for `StringEquals`-like comparisons.
    pub fn resolve_text<'a>(
        &self,
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Cow<'_, str>, Unresolved> {
        let parts = match &self.repr {
            Repr::Fixed(glob) => return Ok(glob.to_text()),
            Repr::Vars(parts) => parts,
        };
        let mut out = String::new();
        for part in resolve(parts, lookup)? {
            match part {
                Part::Lit(s) => out.push_str(&s),
                Part::Star => out.push('*'),
                Part::One => out.push('?'),
                Part::Var { .. } => {}
            }
        }
        Ok(Cow::Owned(out))
    }
}

fn resolve<'a>(
    parts: &[Part],
    lookup: impl Fn(&str) -> Option<&'a str>,
) -> Result<Vec<Part>, Unresolved> {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Part::Var { key, default } => {
                let value = match (lookup(key), default) {
                    (Some(v), _) => v.to_owned(),
                    (None, Some(d)) => d.clone(),
                    (None, None) => return Err(Unresolved { key: key.clone() }),
                };
                out.push(Part::Lit(value));
            }
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

fn parse_variable(inner: &str) -> Part {
    // `${aws:username, 'anonymous'}`: the default is a single-quoted literal after a comma.
    if let Some((key, default)) = inner.split_once(',') {
        let default = default.trim();
        let default = default
            .strip_prefix('\'')
            .and_then(|d| d.strip_suffix('\''))
            .unwrap_or(default);
        Part::Var {
            key: key.trim().to_ascii_lowercase(),
            default: Some(default.to_owned()),
        }
    } else {
        Part::Var {
            key: inner.trim().to_ascii_lowercase(),
            default: None,
        }
    }
}

/// A pattern piece with variables resolved.
enum Piece<'a> {
    Lit(&'a str),
    Star,
    One,
}

/// A variable-free pattern compiled for linear-time matching.
#[derive(Debug, Clone)]
pub struct Glob {
    /// Segments between `*`s; `starred` says whether any `*` was present.
    segments: Vec<Segment>,
    starred: bool,
}

/// The text between two `*`s.
#[derive(Debug, Clone)]
enum Segment {
    /// Plain text (searched with `memmem`); `chars` is its length in characters.
    Lit { text: String, chars: usize },
    /// Text holding `?`, as characters with `None` standing for `?`.
    Wild(Vec<Option<char>>),
}

impl Segment {
    fn len_chars(&self) -> usize {
        match self {
            Segment::Lit { chars, .. } => *chars,
            Segment::Wild(w) => w.len(),
        }
    }

    /// Whether the segment matches `text` starting at its beginning; returns the byte length used.
    fn match_prefix(&self, text: &str) -> Option<usize> {
        let wild = match self {
            Segment::Lit { text: lit, .. } => {
                return text.starts_with(lit.as_str()).then_some(lit.len())
            }
            Segment::Wild(w) => w,
        };
        let mut it = text.char_indices();
        for want in wild {
            let (_, c) = it.next()?;
            if let Some(w) = want {
                if *w != c {
                    return None;
                }
            }
        }
        Some(it.next().map_or(text.len(), |(i, _)| i))
    }

    /// Finds the leftmost occurrence in `text`; returns the byte offset just past it.
    fn find_end(&self, text: &str) -> Option<usize> {
        let wild = match self {
            Segment::Lit { text: lit, .. } => {
                return memmem::find(text.as_bytes(), lit.as_bytes()).map(|i| i + lit.len())
            }
            Segment::Wild(w) => w,
        };
        if wild.len() <= 64 {
            return find_end_bitap(wild, text);
        }
        // Segments longer than 64 characters that hold `?` are rare enough to scan directly.
        let mut start = 0;
        while start <= text.len() {
            if let Some(n) = self.match_prefix(&text[start..]) {
                return Some(start + n);
            }
            start += text[start..].chars().next()?.len_utf8();
        }
        None
    }
}

/// Shift-and search: one pass over `text`, one bit per segment position.
fn find_end_bitap(seg: &[Option<char>], text: &str) -> Option<usize> {
    let m = seg.len();
    if m == 0 {
        return Some(0);
    }
    let mut any_mask = 0u64;
    let mut char_masks: Vec<(char, u64)> = Vec::new();
    for (i, c) in seg.iter().enumerate() {
        match c {
            None => any_mask |= 1 << i,
            Some(c) => match char_masks.binary_search_by(|(k, _)| k.cmp(c)) {
                Ok(pos) => char_masks[pos].1 |= 1 << i,
                Err(pos) => char_masks.insert(pos, (*c, 1 << i)),
            },
        }
    }
    let accept = 1u64 << (m - 1);
    let mut state = 0u64;
    for (i, c) in text.char_indices() {
        let mask = any_mask
            | char_masks
                .binary_search_by(|(k, _)| k.cmp(&c))
                .map_or(0, |pos| char_masks[pos].1);
        state = ((state << 1) | 1) & mask;
        if state & accept != 0 {
            return Some(i + c.len_utf8());
        }
    }
    None
}

/// A segment under construction: text until the first `?`.
enum Building {
    Text(String),
    Wild(Vec<Option<char>>),
}

impl Building {
    fn push_text(&mut self, s: &str) {
        match self {
            Building::Text(t) => t.push_str(s),
            Building::Wild(w) => w.extend(s.chars().map(Some)),
        }
    }

    fn push_one(&mut self) {
        if let Building::Text(t) = self {
            *self = Building::Wild(t.chars().map(Some).collect());
        }
        if let Building::Wild(w) = self {
            w.push(None);
        }
    }

    fn finish(self) -> Segment {
        match self {
            Building::Text(text) => Segment::Lit {
                chars: text.chars().count(),
                text,
            },
            Building::Wild(w) => Segment::Wild(w),
        }
    }
}

impl Glob {
    fn from_parts<'a>(pieces: impl Iterator<Item = Piece<'a>>) -> Self {
        let mut segments = Vec::new();
        let mut current = Building::Text(String::new());
        let mut starred = false;
        for piece in pieces {
            match piece {
                Piece::Lit(s) => current.push_text(s),
                Piece::One => current.push_one(),
                Piece::Star => {
                    starred = true;
                    let done = std::mem::replace(&mut current, Building::Text(String::new()));
                    segments.push(done.finish());
                }
            }
        }
        segments.push(current.finish());
        Glob { segments, starred }
    }

    /// Compiles `pattern`, where `*` and `?` are wildcards and nothing else is special.
    pub fn new(pattern: &str) -> Self {
        Glob::from_parts(pattern.char_indices().map(|(i, c)| match c {
            '*' => Piece::Star,
            '?' => Piece::One,
            _ => Piece::Lit(&pattern[i..i + c.len_utf8()]),
        }))
    }

    /// The pattern as text again, `*` and `?` written back.
    fn to_text(&self) -> Cow<'_, str> {
        if let ([Segment::Lit { text, .. }], false) = (self.segments.as_slice(), self.starred) {
            return Cow::Borrowed(text);
        }
        let mut out = String::new();
        for (i, seg) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push('*');
            }
            match seg {
                Segment::Lit { text, .. } => out.push_str(text),
                Segment::Wild(w) => out.extend(w.iter().map(|c| c.unwrap_or('?'))),
            }
        }
        Cow::Owned(out)
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let Some((first, rest)) = self.segments.split_first() else {
            return text.is_empty();
        };
        if !self.starred {
            return first.match_prefix(text) == Some(text.len());
        }
        let Some(mut pos) = first.match_prefix(text) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return false;
        };
        for seg in middle {
            match seg.find_end(&text[pos..]) {
                Some(end) => pos += end,
                None => return false,
            }
        }
        // The last segment must sit at the very end, after everything placed so far.
        let tail = &text[pos..];
        let n = last.len_chars();
        let start = if n == 0 {
            Some(tail.len())
        } else {
            tail.char_indices().rev().nth(n - 1).map(|(i, _)| i)
        };
        let Some(start) = start else {
            return false;
        };
        last.match_prefix(&tail[start..]) == Some(tail.len() - start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    /// The textbook dynamic-programming matcher: `m[i][j]` says whether `p[..i]` matches `t[..j]`.
    fn naive(p: &[char], t: &[char]) -> bool {
        let mut m = vec![vec![false; t.len() + 1]; p.len() + 1];
        m[0][0] = true;
        for i in 1..=p.len() {
            for j in 0..=t.len() {
                m[i][j] = match p[i - 1] {
                    '*' => m[i - 1][j] || (j > 0 && m[i][j - 1]),
                    '?' => j > 0 && m[i - 1][j - 1],
                    c => j > 0 && t[j - 1] == c && m[i - 1][j - 1],
                };
            }
        }
        m[p.len()][t.len()]
    }

    fn glob(p: &str, t: &str) -> bool {
        Glob::new(p).matches(t)
    }

    #[rstest]
    #[case("*", "", true)]
    #[case("*", "anything/at/all", true)]
    #[case("", "", true)]
    #[case("", "a", false)]
    #[case("a*", "abc", true)]
    #[case("*c", "abc", true)]
    #[case("a*c", "ac", true)]
    #[case("a*c", "abcabc", true)]
    #[case("a*c", "abcab", false)]
    #[case("a?c", "abc", true)]
    #[case("a?c", "ac", false)]
    #[case("s3:get*", "s3:getobject", true)]
    #[case("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", true)]
    #[case("arn:aws:s3:::b/*", "arn:aws:s3:::b", false)]
    #[case("*ab*ba*", "aba", false)]
    #[case("*ab*ba*", "abba", true)]
    #[case("?*?", "é", false)]
    #[case("?*?", "éé", true)]
    #[case("a*?*b", "ab", false)]
    #[case("a*?*b", "axb", true)]
    fn glob_cases(#[case] p: &str, #[case] t: &str, #[case] want: bool) {
        assert_eq!(glob(p, t), want, "pattern {p:?} text {t:?}");
    }

    #[test]
    fn pathological_pattern_is_fast_and_correct() {
        let p = format!("{}b", "*a".repeat(50));
        let t = "a".repeat(10_000);
        assert!(!glob(&p, &t));
        assert!(glob(&p, &format!("{t}b")));
    }

    #[test]
    fn variables_are_literal_after_substitution() {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
            ignore_case: false,
        };
        let p = Pattern::new("arn:aws:s3:::b/home/${aws:username}/*", syntax);
        let lookup = |k: &str| (k == "aws:username").then_some("a*");
        assert_eq!(p.matches("arn:aws:s3:::b/home/a*/x", lookup), Ok(true));
        assert_eq!(p.matches("arn:aws:s3:::b/home/ab/x", lookup), Ok(false));
        assert_eq!(
            p.matches("arn:aws:s3:::b/home/a/x", |_| None),
            Err(Unresolved {
                key: "aws:username".into()
            })
        );
    }

    #[test]
    fn escapes_and_defaults() {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
            ignore_case: false,
        };
        let p = Pattern::new("a${*}b${?}c${$}d", syntax);
        assert_eq!(p.matches("a*b?c$d", |_| None), Ok(true));
        assert_eq!(p.matches("aXbYc$d", |_| None), Ok(false));
        let d = Pattern::new("home/${aws:username, 'anon'}/*", syntax);
        assert_eq!(d.matches("home/anon/x", |_| None), Ok(true));
        let literal = Pattern::new(
            "home/${aws:username}/*",
            Syntax {
                variables: false,
                ..syntax
            },
        );
        assert_eq!(
            literal.matches("home/${aws:username}/x", |_| None),
            Ok(true)
        );
    }

    proptest! {
        #[test]
        fn glob_agrees_with_naive(p in "[ab*?/]{0,10}", t in "[ab/é]{0,12}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            prop_assert_eq!(glob(&p, &t), naive(&pc, &tc));
        }

        #[test]
        fn long_question_segments_agree_with_naive(p in "[a?*]{60,80}", t in "a{0,100}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            prop_assert_eq!(glob(&p, &t), naive(&pc, &tc));
        }
    }
}
