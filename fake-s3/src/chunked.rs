//! `aws-chunked` request bodies
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>):
//! `HEXSIZE[;chunk-signature=SIG]\r\nDATA\r\n … 0[;chunk-signature=SIG]\r\n[TRAILERS]\r\n`.
//! Truncated or malformed bodies are `IncompleteBody`, never a panic.

use crate::error::AwsError;
use crate::sigv4;

/// How chunk signatures are checked.
#[derive(Debug, Clone)]
pub struct ChunkSigner {
    pub key: [u8; 32],
    pub amz_date: String,
    pub scope: String,
    /// The seed: the request's own signature.
    pub seed_signature: String,
}

/// A decoded body and the trailers that followed it (names lowercase).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub data: Vec<u8>,
    pub trailers: Vec<(String, String)>,
}

fn incomplete(detail: &str) -> AwsError {
    AwsError::incomplete_body(format!(
        "The request body is not a valid aws-chunked stream: {detail}"
    ))
}

fn read_line<'a>(body: &'a [u8], pos: &mut usize) -> Result<&'a [u8], AwsError> {
    let rest = body.get(*pos..).ok_or_else(|| incomplete("truncated"))?;
    let end = memchr_crlf(rest).ok_or_else(|| incomplete("a line is not terminated by CRLF"))?;
    *pos += end + 2;
    Ok(&rest[..end])
}

fn memchr_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

/// Decodes an aws-chunked body, verifying chunk signatures when `signer` is given and the
/// trailer signature when `signed_trailer` is set.
#[cfg(test)]
pub fn decode(
    body: &[u8],
    signer: Option<&ChunkSigner>,
    signed_trailer: bool,
) -> Result<Decoded, AwsError> {
    let (ranges, trailers) = decode_ranges(body, signer, signed_trailer)?;
    let mut data = Vec::with_capacity(ranges.iter().map(|r| r.len()).sum());
    for r in ranges {
        data.extend_from_slice(&body[r]);
    }
    Ok(Decoded { data, trailers })
}

/// Decodes an aws-chunked body it owns, moving the data over the chunk headers in place when no
/// one else holds the buffer, so that a large upload is never held twice.
pub fn decode_owned(
    body: bytes::Bytes,
    signer: Option<&ChunkSigner>,
    signed_trailer: bool,
) -> Result<(bytes::Bytes, Vec<(String, String)>), AwsError> {
    let (ranges, trailers) = decode_ranges(&body, signer, signed_trailer)?;
    match body.try_into_mut() {
        Ok(mut buf) => {
            let mut w = 0;
            for r in ranges {
                // Each range starts after its header, so it never moves backwards over data
                // not yet moved.
                let len = r.len();
                buf.copy_within(r, w);
                w += len;
            }
            buf.truncate(w);
            Ok((buf.freeze(), trailers))
        }
        Err(shared) => {
            let mut data = Vec::with_capacity(ranges.iter().map(|r| r.len()).sum());
            for r in ranges {
                data.extend_from_slice(&shared[r]);
            }
            Ok((bytes::Bytes::from(data), trailers))
        }
    }
}

/// The data ranges of an aws-chunked body, in order, and its trailers.
type Ranges = (Vec<std::ops::Range<usize>>, Vec<(String, String)>);

fn decode_ranges(
    body: &[u8],
    signer: Option<&ChunkSigner>,
    signed_trailer: bool,
) -> Result<Ranges, AwsError> {
    const MAX_CHUNK: usize = 64 * 1024 * 1024;
    let mut pos = 0;
    let mut data = Vec::new();
    let mut previous = signer.map(|s| s.seed_signature.clone()).unwrap_or_default();
    loop {
        let header = read_line(body, &mut pos)?;
        let header =
            std::str::from_utf8(header).map_err(|_| incomplete("a chunk header is not text"))?;
        let (size_hex, ext) = match header.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (header, None),
        };
        let size = usize::from_str_radix(size_hex.trim(), 16)
            .map_err(|_| incomplete("a chunk size is not hexadecimal"))?;
        if size > MAX_CHUNK {
            return Err(incomplete("a chunk is larger than 64 MiB"));
        }
        let chunk = body
            .get(pos..pos + size)
            .ok_or_else(|| incomplete("a chunk is shorter than its declared size"))?;
        if let Some(signer) = signer {
            let sig = ext
                .and_then(|e| e.trim().strip_prefix("chunk-signature="))
                .ok_or_else(|| {
                    AwsError::signature_does_not_match("a chunk has no chunk-signature")
                })?;
            let sts =
                sigv4::chunk_string_to_sign(&signer.amz_date, &signer.scope, &previous, chunk);
            let want = sigv4::signature(&signer.key, &sts);
            if !sigv4::constant_time_eq(&want, sig) {
                return Err(AwsError::signature_does_not_match(
                    "The request signature we calculated does not match the signature you provided (chunk signature)",
                ));
            }
            previous = want;
        }
        pos += size;
        if size == 0 {
            break;
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(incomplete("a chunk is not followed by CRLF"));
        }
        data.push(pos - size..pos);
        pos += 2;
    }
    // Trailers, then an empty line (or the end of the body).
    let mut trailers = Vec::new();
    let mut trailer_text = Vec::new();
    let mut trailer_signature = None;
    while pos < body.len() {
        let line = read_line(body, &mut pos)?;
        if line.is_empty() {
            break;
        }
        let text = std::str::from_utf8(line).map_err(|_| incomplete("a trailer is not text"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| incomplete("a trailer is not `name:value`"))?;
        let name = name.trim().to_ascii_lowercase();
        if name == "x-amz-trailer-signature" {
            trailer_signature = Some(value.trim().to_owned());
        } else {
            trailer_text.extend_from_slice(format!("{name}:{}\n", value.trim()).as_bytes());
            trailers.push((name, value.trim().to_owned()));
        }
    }
    if signed_trailer {
        if let Some(signer) = signer {
            let got = trailer_signature.ok_or_else(|| {
                AwsError::signature_does_not_match("the trailer signature is missing")
            })?;
            let sts = sigv4::trailer_string_to_sign(
                &signer.amz_date,
                &signer.scope,
                &previous,
                &trailer_text,
            );
            if !sigv4::constant_time_eq(&sigv4::signature(&signer.key, &sts), &got) {
                return Err(AwsError::signature_does_not_match(
                    "The request signature we calculated does not match the signature you provided (trailer signature)",
                ));
            }
        }
    }
    Ok((data, trailers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_unsigned_chunks_with_trailers() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let d = decode(body, None, false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.data, b"hello world");
        assert_eq!(
            d.trailers,
            vec![("x-amz-checksum-crc32".to_owned(), "DUoRhQ==".to_owned())]
        );
    }

    /// AWS's published streaming example: 64 KiB chunk of 'a', then 1 KiB, then the final chunk.
    #[test]
    fn verifies_the_documented_chunk_signatures() {
        let key = sigv4::signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        );
        let signer = ChunkSigner {
            key,
            amz_date: "20130524T000000Z".into(),
            scope: "20130524/us-east-1/s3/aws4_request".into(),
            seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
                .into(),
        };
        let mut body = Vec::new();
        body.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
        body.extend(std::iter::repeat_n(b'a', 65536));
        body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
        body.extend(std::iter::repeat_n(b'a', 1024));
        body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
        let d = decode(&body, Some(&signer), false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.data.len(), 66560);
        let mut tampered = body.clone();
        tampered[200] = b'b';
        assert_eq!(
            decode(&tampered, Some(&signer), false)
                .err()
                .map(|e| e.code),
            Some("SignatureDoesNotMatch")
        );
    }

    #[test]
    fn truncated_bodies_are_incomplete() {
        for bad in [
            &b"5\r\nhel"[..],
            b"zz\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"5",
            b"3\r\nabc\r\n",
        ] {
            assert_eq!(
                decode(bad, None, false).err().map(|e| e.code),
                Some("IncompleteBody"),
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode(&body, None, false);
        }
    }
}
