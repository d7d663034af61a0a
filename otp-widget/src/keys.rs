//! The keys the guards count under in a [`QuotaStore`](crate::QuotaStore), written in one
//! place: `{prefix}:{kind}:{id}`, a client address by the group it is counted as (an IPv6
//! client by its /64), a phone number or a range by a hash of it (the store never holds a
//! number).

use std::fmt::Write;
use std::net::{IpAddr, Ipv6Addr};

use sha2::{Digest, Sha256};

/// Writes the keys of one back end (its `key_prefix`).
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

/// The address a client is counted as: an IPv4 address as it is (IPv4-mapped IPv6
/// addresses read as the IPv4 address they carry), an IPv6 address by its /64 (one
/// subscriber gets a whole /64, and could otherwise pick a fresh address per request).
pub(crate) fn client_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(prefix_of(v6, 64)),
        v4 => v4,
    }
}

/// The first `bits` bits of `ip`, the rest zero.
pub(crate) fn prefix_of(ip: Ipv6Addr, bits: u32) -> Ipv6Addr {
    let mask = u128::MAX.checked_shl(128 - bits.min(128)).unwrap_or(0);
    Ipv6Addr::from(u128::from(ip) & mask)
}

impl Keys {
    pub(crate) fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// `{prefix}:{kind}:{id}`.
    pub(crate) fn key(&self, kind: &str, id: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + kind.len() + id.len() + 2);
        for part in [self.prefix.as_str(), ":", kind, ":", id] {
            key.push_str(part);
        }
        key
    }

    /// `{prefix}:sliding:{kind}:{id}`: a sliding window's key (a sorted set in Redis, apart
    /// from the fixed windows' counters).
    pub(crate) fn sliding(&self, kind: &str, id: &str) -> String {
        self.key(&format!("sliding:{kind}"), id)
    }

    /// `{prefix}:{kind}:{hex SHA-256 of text}`: for a phone number or a range, which the
    /// store must not hold as they are.
    pub(crate) fn hashed(&self, kind: &str, text: &str) -> String {
        self.key(kind, &hex::encode(Sha256::digest(text.as_bytes())))
    }

    /// The key of `kind` for the client group `ip` belongs to (see [`client_of`]).
    pub(crate) fn ip(&self, kind: &str, ip: IpAddr) -> String {
        // Room for the longest address written here (`ffff:ffff:ffff:ffff::/64`, 24 bytes;
        // an IPv4 address takes 15): the key is allocated once.
        let mut key = String::with_capacity(self.prefix.len() + kind.len() + 2 + 28);
        let _ = self.write_ip(&mut key, kind, ip);
        key
    }

    /// Writes [`ip`](Self::ip)'s key to `out`. By hand: it is made on every request, and the
    /// formatter's machinery costs more than the rest of the key.
    pub(crate) fn write_ip(
        &self,
        out: &mut impl Write,
        kind: &str,
        ip: IpAddr,
    ) -> std::fmt::Result {
        for part in [self.prefix.as_str(), ":", kind, ":"] {
            out.write_str(part)?;
        }
        match client_of(ip) {
            IpAddr::V4(v4) => push_ipv4(out, v4),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                write!(out, "{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
    }

    /// The key of `kind` for the IPv6 network of `bits` bits that `ip` is in (`None` for
    /// an IPv4 client, which has no wider group).
    pub(crate) fn ipv6_network(&self, kind: &str, ip: IpAddr, bits: u32) -> Option<String> {
        let IpAddr::V6(v6) = ip.to_canonical() else {
            return None;
        };
        Some(self.key(kind, &format!("{}/{bits}", prefix_of(v6, bits))))
    }
}

/// A key written on the stack, for a store that answers at once: no allocation on the
/// request's path. Writing fails when the key does not fit (a long `key_prefix`).
pub(crate) struct StackKey {
    bytes: [u8; 96],
    len: usize,
}

impl Default for StackKey {
    fn default() -> Self {
        Self {
            bytes: [0; 96],
            len: 0,
        }
    }
}

impl Write for StackKey {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl StackKey {
    /// The key (only whole `str`s are written: always UTF-8, so never `None`).
    pub(crate) fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes[..self.len]).ok()
    }
}

/// Writes `ip` as its `Display` writes it, in one write (each digit a write of its own
/// costs a copy call per byte).
fn push_ipv4(out: &mut impl Write, ip: std::net::Ipv4Addr) -> std::fmt::Result {
    let mut text = [0u8; 15];
    let mut len = 0;
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            text[len] = b'.';
            len += 1;
        }
        for digit in [octet / 100, octet / 10 % 10, octet % 10]
            .into_iter()
            .skip(usize::from(octet < 100) + usize::from(octet < 10))
        {
            text[len] = b'0' + digit;
            len += 1;
        }
    }
    // Digits and dots: always UTF-8.
    out.write_str(std::str::from_utf8(&text[..len]).map_err(|_| std::fmt::Error)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_digit_by_digit_is_what_its_display_writes() {
        for octet in [0u8, 7, 9, 10, 42, 99, 100, 199, 200, 255] {
            let ip = std::net::Ipv4Addr::new(octet, 255 - octet, 1, octet);
            let mut written = String::from("prefix:");
            push_ipv4(&mut written, ip).unwrap();
            assert_eq!(written, format!("prefix:{ip}"));
        }
    }

    #[test]
    fn a_stack_key_holds_what_fits_and_refuses_the_rest() {
        let mut key = StackKey::default();
        Keys::new("otp-widget")
            .write_ip(&mut key, "requests", "192.168.100.255".parse().unwrap())
            .unwrap();
        assert_eq!(key.as_str(), Some("otp-widget:requests:192.168.100.255"));
        for ip in [
            "0.0.0.0",
            "1.2.3.4",
            "9.10.99.100",
            "255.255.255.255",
            "10.0.200.7",
        ] {
            let mut key = StackKey::default();
            Keys::new("p")
                .write_ip(&mut key, "k", ip.parse().unwrap())
                .unwrap();
            assert_eq!(key.as_str(), Some(format!("p:k:{ip}").as_str()), "{ip}");
        }
        let mut full = StackKey::default();
        assert!(full.write_str(&"x".repeat(97)).is_err(), "97 bytes in 96");
        assert_eq!(
            full.as_str(),
            Some(""),
            "nothing written of what did not fit"
        );
    }

    #[test]
    fn clients_are_grouped_an_ipv6_one_by_its_64_a_mapped_ipv4_as_itself() {
        let keys = Keys::new("p");
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(keys.ip("k", a), keys.ip("k", b));
        assert_eq!(keys.ip("k", a), "p:k:2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(keys.ip("k", mapped), "p:k:203.0.113.7");
        let other: IpAddr = "::ffff:203.0.113.8".parse().unwrap();
        assert_ne!(keys.ip("k", mapped), keys.ip("k", other));
        assert_eq!(
            keys.ipv6_network("n", a, 48).as_deref(),
            Some("p:n:2001:db8:1::/48")
        );
        assert_eq!(keys.ipv6_network("n", mapped, 48), None);
    }
}
