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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_catalogue_check_value() {
        // The standard check input of the CRC catalogue.
        assert_eq!(crc64_nvme(b"123456789"), 0xAE8B_1486_0A79_9888);
        assert_eq!(crc64_nvme(b""), 0);
    }
}
