//! Who is calling: the socket peer, or, behind proxies this back end trusts, the right-most
//! address in the forwarding headers that is not one of them.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::{HeaderMap, HeaderName};
use ipnet::IpNet;

use crate::RequestHead;
use crate::head::Headers;
use crate::refusal::{Reason, Refusal};

/// How the routes find a request's client address: the default reads the socket peer and
/// trusted forwarding headers ([`TrustedProxies`]); an application may put its own.
pub type ClientIpResolver = Arc<dyn Fn(&dyn RequestHead) -> Option<IpAddr> + Send + Sync>;

/// The one address every request counts as whose client a trusted proxy's header does not
/// say readably (no header, an unreadable or `unknown` hop, only proxies): `::`. Such
/// requests share one per-IP bucket, and never count against the proxy's own address,
/// which the next real client would then share.
pub const UNKNOWN_CLIENT: IpAddr = IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);

/// Which header the trusted proxies write the client's address in. Only that one is read:
/// a proxy passes the others on from the browser as they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, AWS ALB, most load balancers).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
    /// `X-Real-IP: client` (one address, set by the proxy).
    XRealIp,
}

/// The proxies (load balancers, CDNs) whose forwarding header is believed.
///
/// A request's client is its socket peer, unless the peer is a trusted proxy: then the
/// header the proxies write ([`ProxyHeader`], `X-Forwarded-For` by default) is read right to
/// left, skipping trusted proxies, and the first address that is not one is the client.
/// Headers sent by anyone else, and other forwarding headers, are ignored, so a browser
/// cannot choose its own address.
///
/// ```
/// use std::net::IpAddr;
/// use http::HeaderMap;
/// use otp_widget::TrustedProxies;
///
/// let proxies = TrustedProxies::new(["10.0.0.0/8".parse().unwrap()]);
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "1.2.3.4, 203.0.113.7, 10.0.0.2".parse().unwrap());
/// let from_proxy: IpAddr = "10.0.0.1".parse().unwrap();
/// assert_eq!(proxies.client(from_proxy, &headers), "203.0.113.7".parse::<IpAddr>().unwrap());
/// let from_browser: IpAddr = "198.51.100.9".parse().unwrap();
/// assert_eq!(proxies.client(from_browser, &headers), from_browser);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ProxyHeader,
}

impl TrustedProxies {
    /// Trusts the proxies in `nets`, which write `X-Forwarded-For`.
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> Self {
        Self {
            nets: nets.into_iter().collect(),
            header: ProxyHeader::default(),
        }
    }

    /// The header the proxies write the client's address in.
    pub fn header(mut self, header: ProxyHeader) -> Self {
        self.header = header;
        self
    }

    /// Trusts no proxy: the socket peer is always the client (the default).
    pub fn none() -> Self {
        Self::default()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request from `peer` with `headers`: the peer, unless it is a trusted
    /// proxy; then the right-most hop of the proxies' header that is not a trusted proxy, or
    /// [`UNKNOWN_CLIENT`] where the header does not say readably (no header, an unreadable
    /// or `unknown` hop before any client, only proxies). Each hop is read on its own: a byte
    /// that is not ASCII in one (a browser's forged left part) spoils only that hop.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        self.client_of(peer, headers)
    }

    /// [`client`](Self::client), for any [`Headers`].
    fn client_of(&self, peer: IpAddr, headers: &(impl Headers + ?Sized)) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = match self.header {
            ProxyHeader::XForwardedFor => header_list(headers, &X_FORWARDED_FOR),
            ProxyHeader::Forwarded => forwarded_for(headers),
            ProxyHeader::XRealIp => header_list(headers, &X_REAL_IP),
        };
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.trusts(*ip) => {}
                Some(ip) => return *ip,
                // An address that cannot be read (`unknown`, an obfuscated name, bytes that
                // are not text): the client is not known.
                None => return UNKNOWN_CLIENT,
            }
        }
        UNKNOWN_CLIENT
    }
}

/// The default resolver: the socket peer, and `proxies`.
pub(crate) fn resolver(proxies: TrustedProxies) -> ClientIpResolver {
    Arc::new(move |head: &dyn RequestHead| Some(proxies.client_of(head.peer()?.ip(), head)))
}

/// The guard's entry point: a request's client address, as the back end's resolver finds
/// it, normalised (an IPv4-mapped IPv6 address is the IPv4 address it carries), so that a
/// resolver of the application's own cannot put every IPv4 client of a dual-stack socket in
/// one bucket. No address: refused (500), as the back end's to fix.
pub(crate) fn client_ip(
    resolver: &ClientIpResolver,
    head: &dyn RequestHead,
) -> Result<IpAddr, Refusal> {
    match resolver(head) {
        Some(ip) => Ok(canonical(ip)),
        None => {
            tracing::error!(
                "no client address: serve the router with `into_make_service_with_connect_info::<SocketAddr>()` (axum), give `WidgetService` requests a `SocketAddr` extension (another tower host), or give the back end a `client_ip` resolver"
            );
            Err(Refusal::internal(Reason::Internal))
        }
    }
}

/// An IPv4 address mapped into IPv6 is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

/// The `for=` values of every `Forwarded` header, in order, each read on its own.
fn forwarded_for(headers: &(impl Headers + ?Sized)) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    headers.values(&http::header::FORWARDED, &mut |value| {
        for element in value.split(|&b| b == b',') {
            let hop = element.split(|&b| b == b';').find_map(|pair| {
                let pair = std::str::from_utf8(pair).ok();
                let (key, value) = pair.and_then(|p| p.split_once('='))?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| node(value.trim().trim_matches('"')))
            });
            match hop {
                Some(hop) => hops.push(hop),
                // An empty element (`a, , b`, a trailing comma) is no hop.
                None if element.trim_ascii().is_empty() => {}
                // An element without a readable `for=` (only `by=`, `proto=`, or bytes that
                // are not text): a hop whose client is not known. Skipping it would let a
                // client's forged earlier `for=` stand for the client.
                None => hops.push(None),
            }
        }
    });
    hops
}

/// The comma-separated addresses of every `name` header, in order, each read on its own.
fn header_list(headers: &(impl Headers + ?Sized), name: &HeaderName) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    headers.values(name, &mut |value| {
        hops.extend(
            value
                .split(|&b| b == b',')
                .map(|hop| std::str::from_utf8(hop).ok().and_then(|t| node(t.trim()))),
        );
    });
    hops
}

/// An address as forwarding headers write it: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`,
/// `[2001:db8::1]:443`, `2001:db8::1`.
fn node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(canonical(addr.ip()));
    }
    let inner = text.strip_prefix('[')?.split(']').next()?;
    inner.parse().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_spoofed_header_from_an_untrusted_peer_changes_nothing() {
        let proxies = TrustedProxies::new(["10.0.0.0/8".parse().unwrap()]);
        for h in [
            headers(&[("x-forwarded-for", "1.1.1.1")]),
            headers(&[("x-real-ip", "1.1.1.1")]),
            headers(&[("forwarded", "for=1.1.1.1")]),
        ] {
            let proxies = proxies.clone().header(ProxyHeader::Forwarded);
            assert_eq!(proxies.client(ip("203.0.113.5"), &h), ip("203.0.113.5"));
            assert_eq!(
                TrustedProxies::none().client(ip("10.0.0.1"), &h),
                ip("10.0.0.1")
            );
        }
    }

    #[test]
    fn a_byte_that_is_not_ascii_spoils_only_its_own_hop() {
        let proxies = TrustedProxies::new(["10.0.0.0/8".parse().unwrap()]);
        let peer = ip("10.0.0.1");
        let raw = |name: &str, value: &[u8]| {
            let mut h = HeaderMap::new();
            h.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(value).unwrap(),
            );
            h
        };
        // nginx's `$proxy_add_x_forwarded_for` appends the real client to what the browser
        // sent: the real client is read, whatever the browser's part holds.
        for forged in [&b"1.1.1.\xff"[..], b"\xc3\xa9", b"1.1.1.1\x80, 2.2.2.2"] {
            let mut value = forged.to_vec();
            value.extend_from_slice(b", 203.0.113.9");
            let h = raw("x-forwarded-for", &value);
            assert_eq!(proxies.client(peer, &h), ip("203.0.113.9"), "{forged:?}");
            if !forged.contains(&b',') {
                let h = raw("x-real-ip", forged);
                let real = proxies.clone().header(ProxyHeader::XRealIp);
                assert_eq!(real.client(peer, &h), UNKNOWN_CLIENT, "{forged:?}");
            }
            let mut value = b"for=".to_vec();
            value.extend_from_slice(forged);
            value.extend_from_slice(b", for=203.0.113.9");
            let rfc = proxies.clone().header(ProxyHeader::Forwarded);
            assert_eq!(
                rfc.client(peer, &raw("forwarded", &value)),
                ip("203.0.113.9")
            );
        }
        // The right-most hop unreadable: not known, never the proxy.
        let h = raw("x-forwarded-for", b"203.0.113.9, 1.1.1.\xff");
        assert_eq!(proxies.client(peer, &h), UNKNOWN_CLIENT);
    }

    #[test]
    fn a_forwarded_element_without_for_is_an_unknown_hop() {
        let rfc =
            TrustedProxies::new(["10.0.0.0/8".parse().unwrap()]).header(ProxyHeader::Forwarded);
        // The client forged `for=1.1.1.1`; the trusted proxy's own element names no client.
        let h = headers(&[("forwarded", "for=1.1.1.1, proto=https;by=10.0.0.1")]);
        assert_eq!(rfc.client(ip("10.0.0.1"), &h), UNKNOWN_CLIENT);
        // Empty elements are no hops.
        let h = headers(&[("forwarded", "for=203.0.113.1, ")]);
        assert_eq!(rfc.client(ip("10.0.0.1"), &h), ip("203.0.113.1"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::new([
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ]);
        let peer = ip("10.0.0.1");
        // What the browser wrote first (1.1.1.1) is not believed: 203.0.113.7 reached our proxy.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.1.1.1")]);
        assert_eq!(proxies.client(peer, &h), ip("203.0.113.7"));
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.8"),
        ]);
        assert_eq!(proxies.client(peer, &h), ip("203.0.113.8"));
        // Only the header the proxies write: a forged other one changes nothing.
        let h = headers(&[
            ("forwarded", "for=1.1.1.1"),
            ("x-real-ip", "1.1.1.2"),
            ("x-forwarded-for", "198.51.100.6"),
        ]);
        assert_eq!(proxies.client(peer, &h), ip("198.51.100.6"));
        let rfc = proxies.clone().header(ProxyHeader::Forwarded);
        let h = headers(&[
            (
                "forwarded",
                "for=1.1.1.1;proto=https, for=\"[2001:db8:cafe::17]:4711\", for=\"198.51.100.4:80\"",
            ),
            ("x-forwarded-for", "1.1.1.1"),
        ]);
        assert_eq!(rfc.client(peer, &h), ip("198.51.100.4"));
        let real = proxies.clone().header(ProxyHeader::XRealIp);
        let h = headers(&[
            ("x-real-ip", "198.51.100.7"),
            ("x-forwarded-for", "1.1.1.1"),
        ]);
        assert_eq!(real.client(peer, &h), ip("198.51.100.7"));
        // Only proxies, an unreadable hop, no header at all: not known, and never the proxy.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.1.1")]);
        assert_eq!(proxies.client(peer, &h), UNKNOWN_CLIENT);
        let h = headers(&[("forwarded", "for=unknown, for=10.2.2.2")]);
        assert_eq!(rfc.client(peer, &h), UNKNOWN_CLIENT);
        assert_eq!(proxies.client(peer, &HeaderMap::new()), UNKNOWN_CLIENT);
        // IPv4 mapped into IPv6 is IPv4.
        assert_eq!(
            proxies.client(
                ip("::ffff:10.0.0.1"),
                &headers(&[("x-forwarded-for", "198.51.100.8")])
            ),
            ip("198.51.100.8")
        );
    }
}
