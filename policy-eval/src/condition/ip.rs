//! `IpAddress` / `NotIpAddress`: IPv4 and IPv6 addresses and CIDR blocks (RFC 4632, RFC 4291).

use std::net::IpAddr;

/// An address block; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads `10.0.0.0/8`, `203.0.113.7`, `2001:db8::/32`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` lies inside the block (different address families never match).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

pub(super) fn any_match(cidrs: &[Cidr], value: &str) -> bool {
    value
        .trim()
        .parse::<IpAddr>()
        .is_ok_and(|ip| cidrs.iter().any(|c| c.contains(ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(block: &str, ip: &str) -> bool {
        any_match(
            &[Cidr::parse(block).unwrap_or_else(|| panic!("{block}"))],
            ip,
        )
    }

    #[test]
    fn ipv4_and_ipv6_blocks() {
        assert!(contains("10.0.0.0/8", "10.200.3.4"));
        assert!(!contains("10.0.0.0/8", "11.0.0.1"));
        assert!(contains("0.0.0.0/0", "192.0.2.1"));
        assert!(contains("203.0.113.7", "203.0.113.7"));
        assert!(!contains("203.0.113.7", "203.0.113.8"));
        assert!(contains("2001:db8::/32", "2001:db8:1::5"));
        assert!(!contains("2001:db8::/32", "2001:db9::1"));
        assert!(!contains("10.0.0.0/8", "::ffff:10.0.0.1"));
        assert!(!contains("10.0.0.0/8", "not an ip"));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
    }
}
