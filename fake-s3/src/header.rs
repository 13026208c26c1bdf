//! Reading a request's headers by name.

/// The first value of header `name` (lowercase, as every name in this crate is written), when it
/// is text. Found by comparing names: `HeaderMap::get(&str)` first parses and validates the name,
/// which cost more than the comparisons with a request's dozen headers (4 % of a presigned GET's
/// instructions, for the twenty lookups a request makes).
pub fn value<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    debug_assert!(!name.bytes().any(|b| b.is_ascii_uppercase()), "{name}");
    headers
        .iter()
        .find(|(k, _)| k.as_str() == name)
        .and_then(|(_, v)| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_text_value_of_the_named_header() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-amz-meta-a", http::HeaderValue::from_static("one"));
        headers.append("x-amz-meta-a", http::HeaderValue::from_static("two"));
        headers.append("Range", http::HeaderValue::from_static("bytes=0-1"));
        let binary =
            http::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap_or_else(|e| panic!("{e}"));
        headers.append("x-binary", binary);
        assert_eq!(value(&headers, "x-amz-meta-a"), Some("one"));
        // Names are stored lowercase, whatever case they were sent in.
        assert_eq!(value(&headers, "range"), Some("bytes=0-1"));
        assert_eq!(value(&headers, "x-binary"), None);
        assert_eq!(value(&headers, "x-amz-meta"), None);
        assert_eq!(value(&headers, "absent"), None);
    }
}
