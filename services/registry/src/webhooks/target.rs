//! Where webhooks may be sent: http(s) URLs without credentials, whose host resolves only to
//! public addresses unless the configuration names the loopback, private or link-local
//! networks a receiver may have (`webhook_allowed_networks`). Checked when a subscription is
//! made, and again at every delivery by the resolver the client uses, so a name that later
//! resolves elsewhere (DNS rebinding) is refused then too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a receiver's URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    Malformed(String),
    #[error("webhook URLs must be http:// or https://, not {0}:")]
    Scheme(String),
    #[error("webhook URLs may not carry a user name or password: the signature authenticates the registry")]
    Credentials,
    #[error(
        "{host} resolves to {address}, a loopback, private or link-local address: receivers must be public \
         unless webhook_allowed_networks names its network"
    )]
    Private { host: String, address: IpAddr },
    #[error("{host} does not resolve: {message}")]
    Unresolved { host: String, message: String },
}

/// A network in CIDR notation (`10.0.0.0/8`, `::1/128`; an address alone is itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Result<Self, String> {
        let wrong = || format!("webhook_allowed_networks: {text:?} is not a network such as 10.0.0.0/8 or ::1/128");
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let address: IpAddr = address.trim().parse().map_err(|_| wrong())?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(wrong)?,
            None => max,
        };
        Ok(Network { address, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u32) {
            match canonical(ip) {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
                IpAddr::V6(v6) => (u128::from(v6), 128),
            }
        };
        let (net, width) = bits(self.address);
        let (addr, other) = bits(ip);
        let prefix = u32::from(self.prefix);
        let mask = if prefix == 0 {
            0
        } else {
            (u128::MAX >> (128 - prefix)) << (width - prefix)
        };
        width == other && net & mask == addr & mask
    }
}

/// An IPv4 address written as IPv6 is that IPv4 address: mapped (`::ffff:10.0.0.1`),
/// translated (`::ffff:0:10.0.0.1`) or, deprecated but still routed by some stacks,
/// compatible (`::10.0.0.1`, but not `::` or `::1`).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => written_v4(v6).map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn written_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let last = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff] | [0, 0, 0, 0, 0xffff, 0] => Some(last),
        [0, 0, 0, 0, 0, 0] if u32::from(last) > 1 => Some(last),
        _ => None,
    }
}

/// The IPv4 addresses an IPv6 address carries to reach them: the written forms above, NAT64
/// (`64:ff9b::/96`), 6to4 (`2002::/16`, the address in its second and third groups) and
/// Teredo (`2001::/32`: its server, and its client, written inverted in the last two groups).
fn embedded_v4(v6: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = written_v4(v6) {
        return vec![v4];
    }
    match s {
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => vec![v4(hi, lo)],
        [0x2002, hi, lo, ..] => vec![v4(hi, lo)],
        [0x2001, 0, server_hi, server_lo, _, _, hi, lo] => vec![v4(server_hi, server_lo), v4(!hi, !lo)],
        _ => vec![],
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, broadcast, multicast, documentation or reserved, and an
/// IPv6 address that carries an IPv4 one only when that one is public too.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6) && embedded_v4(v6).into_iter().all(public_v4),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let [first, second, ..] = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local, link-local, and site-local (deprecated, still routed inside sites).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Documentation, the discard prefix, and NAT64 for local use (RFC 8215).
        || first == 0x2001 && second == 0x0db8
        || first == 0x0100 && ip.segments()[1..4] == [0, 0, 0]
        || first == 0x0064 && second == 0xff9b && ip.segments()[2] == 1
        // Other IPv4-compatible forms and the rest of ::/8 (reserved).
        || first == 0 && written_v4(ip).is_none())
}

/// The rules of one registry.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    allowed: Vec<Network>,
}

impl Targets {
    /// The rules with the networks receivers may have besides public addresses
    /// (`webhook_allowed_networks`, checked when the configuration was loaded).
    pub fn allowing(networks: &[String]) -> Self {
        Targets {
            allowed: networks.iter().filter_map(|n| Network::parse(n).ok()).collect(),
        }
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.iter().any(|n| n.contains(ip))
    }

    /// Checks a URL's form (scheme, host, no credentials); the URL parsed.
    pub fn check_form(&self, url: &str) -> Result<Url, TargetError> {
        let parsed = Url::parse(url).map_err(|e| TargetError::Malformed(format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(TargetError::Scheme(parsed.scheme().to_string()));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(TargetError::Credentials);
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(TargetError::Malformed("a webhook URL needs a host".into()));
        }
        if parsed.fragment().is_some() {
            return Err(TargetError::Malformed("a webhook URL has no #fragment".into()));
        }
        Ok(parsed)
    }

    /// Checks a URL's form and where its host resolves now.
    pub async fn check(&self, url: &str) -> Result<Url, TargetError> {
        let parsed = self.check_form(url)?;
        let host = parsed
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_string();
        self.resolve(&host).await?;
        Ok(parsed)
    }

    /// The allowed addresses of a host (an address itself, or a name resolved); an error when
    /// it has none, naming the first refused.
    pub async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, TargetError> {
        let found: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, 0)],
            Err(_) => tokio::net::lookup_host((host, 0))
                .await
                .map_err(|e| TargetError::Unresolved {
                    host: host.to_string(),
                    message: e.to_string(),
                })?
                .collect(),
        };
        if let Some(refused) = found.iter().find(|a| !self.allows(a.ip())) {
            return Err(TargetError::Private {
                host: host.to_string(),
                address: refused.ip(),
            });
        }
        if found.is_empty() {
            return Err(TargetError::Unresolved {
                host: host.to_string(),
                message: "no addresses".into(),
            });
        }
        Ok(found)
    }
}

/// The delivery client's resolver: names resolve to allowed addresses only.
pub struct Resolver(pub Arc<Targets>);

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let targets = self.0.clone();
        Box::pin(async move {
            let found = targets.resolve(name.as_str()).await?;
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "192.0.2.1",
            "2001:db8::1",
            // IPv6 forms that carry a loopback or private IPv4 address.
            "::7f00:1",
            "::127.0.0.1",
            "::ffff:0:7f00:1",
            "::ffff:0:10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::10.1.2.3",
            "64:ff9b:1::8.8.8.8",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2002:c0a8:101::",
            // Teredo: a private server, and a client at 127.0.0.1 (written inverted).
            "2001:0:a00:1::1",
            "2001:0:808:808::80ff:fefe",
            "fec0::1",
            "feff::1",
            "100::1",
            "::2:0:0:1",
        ] {
            assert!(!is_public(ip(private)), "{private} is not public");
        }
        for public in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
            "2001:0:808:808::f7f7:f7f7",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn networks_contain_their_addresses_only() {
        let n = Network::parse("127.0.0.0/8").unwrap();
        assert!(n.contains(ip("127.0.0.1")) && n.contains(ip("127.255.0.9")) && n.contains(ip("::ffff:127.0.0.2")));
        assert!(!n.contains(ip("128.0.0.1")) && !n.contains(ip("::1")));
        let n = Network::parse("10.20.0.0/16").unwrap();
        assert!(n.contains(ip("10.20.9.9")) && !n.contains(ip("10.21.0.1")));
        let n = Network::parse("::1").unwrap();
        assert!(n.contains(ip("::1")) && !n.contains(ip("::2")));
        let n = Network::parse("fd00::/8").unwrap();
        assert!(n.contains(ip("fd12::1")) && !n.contains(ip("fe80::1")));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("10.0.0.1")));
        for bad in ["10.0.0.0/33", "ten", "10.0.0.0/x", "::/129"] {
            assert!(Network::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_for_form_and_address() {
        let strict = Targets::default();
        let loopback = Targets {
            allowed: vec![Network::parse("127.0.0.0/8").unwrap()],
        };
        assert!(matches!(
            strict.check("ftp://example.com/x").await,
            Err(TargetError::Scheme(_))
        ));
        assert_eq!(
            strict.check("https://u:p@example.com/").await,
            Err(TargetError::Credentials)
        );
        assert!(matches!(
            strict.check("not a url").await,
            Err(TargetError::Malformed(_))
        ));
        assert!(matches!(
            strict.check("http://127.0.0.1:9/hook").await,
            Err(TargetError::Private { .. })
        ));
        assert!(matches!(
            strict.check("http://localhost:9/").await,
            Err(TargetError::Private { .. })
        ));
        assert!(matches!(
            strict.check("http://[::1]:9/").await,
            Err(TargetError::Private { .. })
        ));
        assert!(loopback.check("http://127.0.0.1:9/hook").await.is_ok());
        assert!(matches!(
            loopback.check("http://10.0.0.1/").await,
            Err(TargetError::Private { .. })
        ));
    }
}
