//! The fetching half of identity verification (SPEC §4 step 3). Only URLs that
//! [`super::verify::check_signed_url`] accepted are fetched, and even then the client is built so
//! that a hostile answer cannot hurt: no redirect is followed (a 3xx is a failure), no proxy from
//! the environment is used, connecting and the whole exchange are time-limited, and at most
//! `max_body` bytes of an answer are read.

use std::time::Duration;

use crate::error::KeeperError;

/// Limits on one fetch.
#[derive(Debug, Clone)]
pub struct FetchLimits {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(5),
            // S3's error documents are well under 1 KiB.
            max_body: 16 * 1024,
        }
    }
}

/// An HTTP client for verification URLs.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: usize,
}

impl Fetcher {
    pub fn new(limits: &FetchLimits) -> Result<Fetcher, KeeperError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .build()
            .map_err(|e| KeeperError::Config(format!("HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            max_body: limits.max_body,
        })
    }

    /// GETs `url` and returns the status, after reading (and discarding) at most `max_body` bytes.
    pub async fn status(&self, url: &str) -> Result<u16, KeeperError> {
        let fail = |m: String| KeeperError::NotVerified(m);
        let mut response = self.client.get(url).send().await.map_err(|e| {
            if e.is_timeout() {
                fail("S3 did not answer in time; try again".to_owned())
            } else {
                fail(format!("could not reach S3: {}", without_url(&e)))
            }
        })?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(fail(format!(
                "S3 answered with a redirect ({status}), which is never followed; the URL must name the verification bucket's own endpoint"
            )));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(fail(format!(
                "the answer is larger than {} bytes, so it is not S3's",
                self.max_body
            )));
        }
        let mut read = 0usize;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    if read > self.max_body {
                        return Err(fail(format!(
                            "the answer is larger than {} bytes, so it is not S3's",
                            self.max_body
                        )));
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Err(fail("S3 did not answer in time; try again".to_owned()))
                }
                Err(e) => return Err(fail(format!("reading S3's answer: {}", without_url(&e)))),
            }
        }
        Ok(status)
    }
}

/// reqwest's messages include the URL, which holds the signature; keep it out of messages and logs.
fn without_url(e: &reqwest::Error) -> String {
    let mut e2 = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        e2 = s.to_string();
        source = s.source();
    }
    if e2.is_empty() {
        "connection failed".to_owned()
    } else {
        e2
    }
}
