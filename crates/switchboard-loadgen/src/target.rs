//! The server under load: a loopback address and nothing else. Load is
//! only ever sent to this machine.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why a target was refused.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Not `http://host:port`.
    #[error("target must look like http://127.0.0.1:3000, got {0:?}")]
    Malformed(String),
    /// The host does not resolve.
    #[error("cannot resolve {0}")]
    Unresolved(String),
    /// The host resolves to an address outside the loopback range.
    #[error("refusing non-loopback target {0}: load is only sent to this machine")]
    NotLoopback(SocketAddr),
}

/// A loopback server and the source addresses to reach it from.
#[derive(Debug)]
pub struct Target {
    addr: SocketAddr,
    next_source: AtomicUsize,
}

/// Source addresses rotated over, so that tens of thousands of short
/// connections do not run out of ephemeral ports on one address.
const SOURCES: usize = 200;

impl Target {
    /// Parses `http://host:port`; every address the host resolves to must
    /// be a loopback address.
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        let authority = url
            .strip_prefix("http://")
            .map(|rest| rest.trim_end_matches('/'))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .ok_or_else(|| TargetError::Malformed(url.to_owned()))?;
        let addrs: Vec<SocketAddr> = authority
            .to_socket_addrs()
            .map_err(|_| TargetError::Unresolved(authority.to_owned()))?
            .collect();
        if let Some(outside) = addrs.iter().find(|addr| !addr.ip().is_loopback()) {
            return Err(TargetError::NotLoopback(*outside));
        }
        let addr = addrs
            .into_iter()
            .next()
            .ok_or_else(|| TargetError::Unresolved(authority.to_owned()))?;
        Ok(Target {
            addr,
            next_source: AtomicUsize::new(0),
        })
    }

    /// The server's socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL for HTTP requests.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next source address to connect from: 127.0.0.2 to 127.0.0.201
    /// in turn for an IPv4 target, the target's own address otherwise.
    pub fn source(&self) -> IpAddr {
        match self.addr.ip() {
            IpAddr::V4(_) => {
                let n = self.next_source.fetch_add(1, Ordering::Relaxed) % SOURCES;
                // `n + 2` is at most 201.
                IpAddr::V4(Ipv4Addr::new(127, 0, 0, (n + 2) as u8))
            }
            ip @ IpAddr::V6(_) => ip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_only() {
        let target = Target::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(target.addr(), "127.0.0.1:3000".parse().unwrap());
        assert!(Target::parse("http://localhost:3000/").is_ok());
        assert!(Target::parse("http://[::1]:3000").is_ok());
        assert!(matches!(
            Target::parse("http://10.0.0.1:3000"),
            Err(TargetError::NotLoopback(_))
        ));
        assert!(matches!(
            Target::parse("http://192.168.1.1:80"),
            Err(TargetError::NotLoopback(_))
        ));
        assert!(matches!(
            Target::parse("127.0.0.1:3000"),
            Err(TargetError::Malformed(_))
        ));
        assert!(matches!(
            Target::parse("http://127.0.0.1:3000/socket.io"),
            Err(TargetError::Malformed(_))
        ));
    }

    #[test]
    fn rotates_loopback_sources() {
        let target = Target::parse("http://127.0.0.1:1").unwrap();
        let sources: Vec<IpAddr> = (0..=SOURCES).map(|_| target.source()).collect();
        assert_eq!(sources[0], IpAddr::from([127, 0, 0, 2]));
        assert_eq!(sources[SOURCES - 1], IpAddr::from([127, 0, 0, 201]));
        assert_eq!(sources[SOURCES], sources[0]);
        assert!(sources.iter().all(IpAddr::is_loopback));
    }
}
