//! Small XML helpers: escaping for responses and a tolerant reader for request bodies
//! (`CreateBucketConfiguration`, `Delete`, `CompleteMultipartUpload`, `PublicAccessBlockConfiguration`).

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{host_id, Api, AwsError};

/// Escapes text for an XML element body or attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The XML body of an error for `api`, as each API shapes it (S3 `<Error>`, S3 Control and STS
/// `<ErrorResponse>`), or for an S3 error in the Ceph dialect as RGW does (`rgw`).
pub fn error_body(e: &AwsError, api: Api, request_id: &str, rgw: Option<RgwError<'_>>) -> String {
    let message = match rgw {
        Some(_) if RGW_WITHOUT_MESSAGE.contains(&e.code) => "",
        _ => e.message.as_str(),
    };
    let mut inner = format!(
        "<Code>{}</Code><Message>{}</Message>",
        e.code,
        escape(message)
    );
    match rgw {
        Some(RgwError { bucket: Some(b) }) => {
            inner.push_str(&format!("<BucketName>{}</BucketName>", escape(b)));
        }
        Some(_) => {}
        None => {
            for (name, value) in &e.details {
                inner.push_str(&format!("<{name}>{}</{name}>", escape(value)));
            }
            if let Some(r) = &e.resource {
                inner.push_str(&format!("<Resource>{}</Resource>", escape(r)));
            }
        }
    }
    match api {
        Api::S3 => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>{inner}<RequestId>{request_id}</RequestId><HostId>{}</HostId></Error>",
            host_id(request_id)
        ),
        Api::Control => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error>{inner}</Error><RequestId>{request_id}</RequestId><HostId>{}</HostId></ErrorResponse>",
            host_id(request_id)
        ),
        Api::Sts => format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>{inner}</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ),
        Api::Iam => format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>{inner}</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ),
    }
}

/// How Ceph RGW 16.2 shapes an S3 error (observed with `scripts/rgw-diff.py`): no `<Resource>`,
/// a `<BucketName>` once the request was authenticated and names a bucket, and an empty
/// `<Message>` for the codes in [`RGW_WITHOUT_MESSAGE`].
#[derive(Debug, Clone, Copy)]
pub struct RgwError<'a> {
    /// The bucket's name (without its tenant).
    pub bucket: Option<&'a str>,
}

/// Codes RGW 16.2 answers with an empty `<Message>` (others, such as NoSuchBucketPolicy's "The
/// bucket policy does not exist", keep theirs).
const RGW_WITHOUT_MESSAGE: [&str; 5] = [
    "AccessDenied",
    "NoSuchKey",
    "NoSuchBucket",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
];

/// A parsed element: name (without namespace prefix), text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Parses a request body; any malformation is `MalformedXML`, never a panic.
pub fn parse(body: &[u8]) -> Result<Element, AwsError> {
    let malformed = |detail: String| {
        AwsError::malformed_xml(format!(
            "The XML you provided was not well-formed or did not validate against our published schema ({detail})"
        ))
    };
    // Text is kept as sent: S3 keys and tag values may begin or end with spaces. Only the
    // whitespace between an element's children (indentation) is dropped.
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                if stack.len() > 32 {
                    return Err(malformed("nesting too deep".into()));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(Element {
                    name,
                    ..Element::default()
                });
            }
            Ok(Event::Empty(e)) => {
                let el = Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(malformed("more than one root element".into())),
                }
            }
            Ok(Event::Text(t)) => {
                let text = t.unescape().map_err(|e| malformed(e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Ok(Event::End(_)) => {
                let Some(mut done) = stack.pop() else {
                    return Err(malformed("unbalanced end tag".into()));
                };
                if !done.children.is_empty() && done.text.trim().is_empty() {
                    done.text.clear();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None if root.is_none() => root = Some(done),
                    None => return Err(malformed("more than one root element".into())),
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(malformed(e.to_string())),
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(malformed("unclosed element".into()));
    }
    root.ok_or_else(|| malformed("no root element".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaced_documents_and_rejects_garbage() {
        let doc = br#"<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object><Quiet>true</Quiet></Delete>"#;
        // Keys keep their spaces; indentation between elements is not text.
        let spaced = parse(b"<Delete>\n  <Object>\n    <Key> a b </Key>\n  </Object>\n</Delete>")
            .unwrap_or_default();
        assert_eq!(spaced.text, "");
        assert_eq!(
            spaced.child("Object").and_then(|o| o.child_text("Key")),
            Some(" a b ")
        );
        let el = parse(doc).unwrap_or_default();
        assert_eq!(el.name, "Delete");
        let keys: Vec<&str> = el
            .children_named("Object")
            .filter_map(|o| o.child_text("Key"))
            .collect();
        assert_eq!(keys, vec!["a&b", "c"]);
        for bad in [
            &b"<a><b></a>"[..],
            b"",
            b"<a>",
            b"\xff\xfe",
            b"<a></a><b></b>",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(escape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
    }

    #[test]
    fn an_expired_url_names_its_times_in_s3s_shape_only() {
        let e = AwsError::request_expired(
            Some(60),
            time::macros::datetime!(2018-03-29 11:17:34.5 UTC),
            time::macros::datetime!(2018-03-29 13:27:42 +02:00),
        );
        let s3 = error_body(&e, Api::S3, "R1", None);
        assert!(
            s3.contains("<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>60</X-Amz-Expires><Expires>2018-03-29T11:17:34Z</Expires><ServerTime>2018-03-29T11:27:42Z</ServerTime><RequestId>R1</RequestId>"),
            "{s3}"
        );
        let v2 = AwsError::request_expired(
            None,
            time::macros::datetime!(2018-03-29 11:17:34 UTC),
            time::macros::datetime!(2018-03-29 11:27:42 UTC),
        );
        assert!(!error_body(&v2, Api::S3, "R1", None).contains("X-Amz-Expires"));
        let rgw = error_body(&e, Api::S3, "R1", Some(RgwError { bucket: Some("b") }));
        assert!(
            !rgw.contains("Expires") && !rgw.contains("ServerTime"),
            "{rgw}"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&body);
        }

        #[test]
        fn tag_soup_never_panics(body in "(<[a-zA-Z/!?]{0,3}[a-z]{0,4}>|&[a-z#0-9]{0,5};|[a-z ]{0,5}|<!\\[CDATA\\[|\\]\\]>){0,30}") {
            let _ = parse(body.as_bytes());
        }
    }
}
