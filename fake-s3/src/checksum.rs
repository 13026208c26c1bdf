//! CRC-64/NVME, the checksum recent AWS SDKs send by default for uploads
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>):
//! reflected polynomial 0x9A6C9329AC4BC9B5, initial value and final XOR all ones.

const POLY: u64 = 0x9A6C_9329_AC4B_C9B5;

const TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC-64/NVME of `data`.
pub fn crc64_nvme(data: &[u8]) -> u64 {
    let mut crc = u64::MAX;
    for &b in data {
        crc = TABLE[((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// A checksum algorithm S3 defines
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// How a multipart object's checksum is made: from the parts' checksums (`COMPOSITE`, shown as
/// `CHECKSUM-N`) or over the whole object (`FULL_OBJECT`, CRCs only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumType {
    Composite,
    FullObject,
}

impl ChecksumType {
    pub fn parse(s: &str) -> Option<ChecksumType> {
        match s.to_ascii_uppercase().as_str() {
            "COMPOSITE" => Some(ChecksumType::Composite),
            "FULL_OBJECT" => Some(ChecksumType::FullObject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumType::Composite => "COMPOSITE",
            ChecksumType::FullObject => "FULL_OBJECT",
        }
    }
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// From its name in a header or XML (`CRC32`, `crc64nvme`, ...).
    pub fn parse(s: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }

    /// Its name as S3 writes it (`CRC64NVME`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// The raw checksum of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Algorithm::Crc32 => crc32fast::hash(data).to_be_bytes().to_vec(),
            Algorithm::Crc32c => crc32c::crc32c(data).to_be_bytes().to_vec(),
            Algorithm::Crc64Nvme => crc64_nvme(data).to_be_bytes().to_vec(),
            Algorithm::Sha1 => {
                use sha1::Digest;
                sha1::Sha1::digest(data).to_vec()
            }
            Algorithm::Sha256 => {
                use sha2::Digest;
                sha2::Sha256::digest(data).to_vec()
            }
        }
    }

    /// Whether a multipart upload may use `kind` with this algorithm: CRC64NVME is full-object
    /// only, SHA-1 and SHA-256 composite only, CRC32 and CRC32C both
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>,
    /// "Using supported checksum algorithms").
    pub fn supports(self, kind: ChecksumType) -> bool {
        match kind {
            ChecksumType::Composite => self != Algorithm::Crc64Nvme,
            ChecksumType::FullObject => {
                matches!(
                    self,
                    Algorithm::Crc32 | Algorithm::Crc32c | Algorithm::Crc64Nvme
                )
            }
        }
    }

    /// The type a multipart upload gets when it names only the algorithm: full-object for
    /// CRC64NVME, composite for the others.
    pub fn default_type(self) -> ChecksumType {
        if self == Algorithm::Crc64Nvme {
            ChecksumType::FullObject
        } else {
            ChecksumType::Composite
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_catalogue_check_value() {
        // The standard check input of the CRC catalogue.
        assert_eq!(crc64_nvme(b"123456789"), 0xAE8B_1486_0A79_9888);
        assert_eq!(crc64_nvme(b""), 0);
    }

    #[test]
    fn algorithms_read_their_names_and_digest() {
        assert_eq!(Algorithm::parse("crc64nvme"), Some(Algorithm::Crc64Nvme));
        assert_eq!(Algorithm::parse("MD5"), None);
        // The CRC catalogue's check values for "123456789".
        assert_eq!(
            Algorithm::Crc32.digest(b"123456789"),
            0xCBF4_3926u32.to_be_bytes()
        );
        assert_eq!(
            Algorithm::Crc32c.digest(b"123456789"),
            0xE306_9283u32.to_be_bytes()
        );
        assert!(!Algorithm::Sha256.supports(ChecksumType::FullObject));
        assert!(!Algorithm::Crc64Nvme.supports(ChecksumType::Composite));
    }
}
