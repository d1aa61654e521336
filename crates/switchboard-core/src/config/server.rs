//! The server section: listening address, data directory, CORS origins,
//! how long shutdown waits, and the public base URL of the URLs handed out.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::layer::Layer;
use super::values::{ConfigError, Printed, millis, print_count, print_ms, print_path};

/// Listening address, data directory and shutdown behaviour.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Interface to bind (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port to bind (default `3000`; `0` picks a free one).
    pub port: u16,
    /// Directory for embedded state (default `./data`).
    pub data_dir: PathBuf,
    /// Origins allowed by CORS; empty allows any origin.
    pub cors_origins: Vec<String>,
    /// How long shutdown waits for connections to drain (default 10 s).
    pub shutdown_grace: Duration,
    /// Base of every URL the server hands out (`audioUrl`, media URLs), e.g.
    /// `https://cdn.example/sb`, without a trailing slash. `None`: built from
    /// the `Host` of the client's request, see [`ServerConfig::base_url`].
    pub public_url: Option<String>,
    /// How long a client may take to send a request head, from its first
    /// byte (or from accepting the connection) to the end of its headers
    /// (default 10 s); slower connections are closed. Idle keep-alive
    /// connections and upgraded websockets are not timed.
    pub http_header_timeout: Duration,
    /// Largest request body accepted by the JSON routes of `/api/v1` (default
    /// 1 MiB); larger bodies get 413 without being read in full.
    pub http_max_body_bytes: usize,
    /// Open connections allowed from one IP address; more are closed as soon
    /// as they are accepted. `0` turns the cap off.
    pub max_connections_per_ip: usize,
    /// Whether [`ServerConfig::max_connections_per_ip`] also caps loopback
    /// peers: only when the key was set (a local reverse proxy carries every
    /// client on one loopback address).
    pub cap_loopback_connections: bool,
}

/// Open connections allowed from one non-loopback address by default.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;

/// The interface to bind; `localhost` is accepted as `127.0.0.1`.
pub(super) fn host(layer: &Layer) -> Result<IpAddr, ConfigError> {
    match layer.host.as_deref() {
        None => Ok(IpAddr::from([127, 0, 0, 1])),
        Some("localhost") => Ok(IpAddr::from([127, 0, 0, 1])),
        Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
            key: "host",
            message: format!("`{text}` is not an IP address"),
        }),
    }
}

/// The data directory; other sections place their default files inside it.
pub(super) fn data_dir(layer: &Layer) -> PathBuf {
    layer
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("./data"))
}

impl ServerConfig {
    /// The rest of the section, around the already checked `host` and `data_dir`.
    pub(super) fn from_layer(
        layer: &Layer,
        host: IpAddr,
        data_dir: PathBuf,
    ) -> Result<Self, ConfigError> {
        Ok(ServerConfig {
            host,
            port: layer.port.unwrap_or(3000),
            data_dir,
            cors_origins: layer.cors_origins.clone().unwrap_or_default().0,
            shutdown_grace: millis("shutdown_grace_ms", layer.shutdown_grace_ms, 10_000)?,
            public_url: public_url(layer.public_url.as_deref())?,
            http_header_timeout: millis(
                "http_header_timeout_ms",
                layer.http_header_timeout_ms,
                10_000,
            )?,
            http_max_body_bytes: max_body(layer.http_max_body_bytes)?,
            max_connections_per_ip: layer
                .max_connections_per_ip
                .unwrap_or(DEFAULT_MAX_CONNECTIONS_PER_IP),
            cap_loopback_connections: layer.max_connections_per_ip.is_some(),
        })
    }

    /// The connection cap for a peer at `ip`, if any.
    pub fn connection_cap(&self, ip: IpAddr) -> Option<usize> {
        let loopback = ip.is_loopback()
            || matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()));
        match self.max_connections_per_ip {
            0 => None,
            _ if loopback && !self.cap_loopback_connections => None,
            cap => Some(cap),
        }
    }

    /// The base that makes a path the server hands out absolute: the
    /// configured `public_url`, else `http://` and the `Host` the client
    /// used (`host`), else the bound address. Join it with a path that
    /// starts with `/`.
    pub fn base_url(&self, host: Option<&str>) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        match host.map(str::trim).filter(|host| valid_authority(host)) {
            Some(host) => format!("http://{host}"),
            None => match self.host {
                IpAddr::V6(ip) => format!("http://[{ip}]:{}", self.port),
                IpAddr::V4(ip) => format!("http://{ip}:{}", self.port),
            },
        }
    }

    pub(super) fn print(&self, keys: &mut Printed) {
        keys.insert("host", toml::Value::String(self.host.to_string()));
        keys.insert("port", toml::Value::Integer(self.port.into()));
        keys.insert("data_dir", print_path(&self.data_dir));
        keys.insert(
            "cors_origins",
            toml::Value::Array(
                self.cors_origins
                    .iter()
                    .cloned()
                    .map(toml::Value::String)
                    .collect(),
            ),
        );
        keys.insert("shutdown_grace_ms", print_ms(self.shutdown_grace));
        if let Some(url) = &self.public_url {
            keys.insert("public_url", toml::Value::String(url.clone()));
        }
        keys.insert("http_header_timeout_ms", print_ms(self.http_header_timeout));
        keys.insert("http_max_body_bytes", print_count(self.http_max_body_bytes));
        keys.insert(
            "max_connections_per_ip",
            print_count(self.max_connections_per_ip),
        );
    }
}

/// `http_max_body_bytes`: at least 1024, 1 MiB when unset.
fn max_body(value: Option<u64>) -> Result<usize, ConfigError> {
    let bytes = value.unwrap_or(1024 * 1024);
    if bytes < 1024 {
        return Err(ConfigError::Invalid {
            key: "http_max_body_bytes",
            message: "must be at least 1024".into(),
        });
    }
    usize::try_from(bytes).map_err(|_| ConfigError::Invalid {
        key: "http_max_body_bytes",
        message: "is too large for this platform".into(),
    })
}

/// `public_url`: an absolute http(s) URL with a host and no query or
/// fragment; kept without its trailing slashes. Empty means unset.
fn public_url(value: Option<&str>) -> Result<Option<String>, ConfigError> {
    let Some(url) = value.map(str::trim).filter(|url| !url.is_empty()) else {
        return Ok(None);
    };
    let invalid = || ConfigError::Invalid {
        key: "public_url",
        message: format!("`{url}` is not an http(s) URL such as https://example.com/base"),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(invalid)?;
    let authority = rest.split('/').next().unwrap_or_default();
    if !valid_authority(authority)
        || rest.contains(['?', '#'])
        || rest.contains(char::is_whitespace)
    {
        return Err(invalid());
    }
    Ok(Some(url.trim_end_matches('/').to_owned()))
}

/// A `host[:port]` fit to put in a URL: no user info, path or spaces.
fn valid_authority(authority: &str) -> bool {
    !authority.is_empty()
        && !authority.starts_with(':')
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::tests::env;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_layer(env(pairs)).map_err(|error| error.to_string())
    }

    #[test]
    fn public_url_is_an_http_base_without_trailing_slash() {
        let config = load(&[("SWITCHBOARD_PUBLIC_URL", "https://cdn.example.test/sb/")]).unwrap();
        assert_eq!(
            config.server.public_url.as_deref(),
            Some("https://cdn.example.test/sb")
        );
        assert_eq!(
            config.server.base_url(Some("ignored:1")),
            "https://cdn.example.test/sb"
        );
        assert!(
            config
                .to_masked_toml()
                .contains("public_url = \"https://cdn.example.test/sb\"")
        );
        let plain = load(&[("SWITCHBOARD_PUBLIC_URL", "http://10.0.0.5:8080")]).unwrap();
        assert_eq!(
            plain.server.public_url.as_deref(),
            Some("http://10.0.0.5:8080")
        );
    }

    #[test]
    fn without_public_url_the_base_is_the_request_host() {
        let config = load(&[("SWITCHBOARD_PORT", "4100")]).unwrap();
        assert_eq!(config.server.public_url, None);
        assert!(!config.to_masked_toml().contains("public_url"));
        assert_eq!(
            config.server.base_url(Some("app.example.test:3000")),
            "http://app.example.test:3000"
        );
        assert_eq!(
            config.server.base_url(Some("evil.test/path")),
            "http://127.0.0.1:4100"
        );
        assert_eq!(config.server.base_url(None), "http://127.0.0.1:4100");
    }

    #[test]
    fn a_bad_public_url_names_the_key() {
        for bad in [
            "cdn.example.test",
            "ftp://cdn.example.test",
            "https://",
            "https://cdn.example.test/a?b=c",
            "http://cdn example.test",
        ] {
            let error = load(&[("SWITCHBOARD_PUBLIC_URL", bad)]).unwrap_err();
            assert!(error.contains("public_url"), "{bad}: {error}");
        }
    }

    #[test]
    fn transport_limits_have_defaults_and_apply_to_loopback_only_when_set() {
        use std::net::IpAddr;
        use std::time::Duration;

        let config = load(&[]).unwrap();
        assert_eq!(
            config.server.http_header_timeout,
            Duration::from_millis(10_000)
        );
        assert_eq!(config.server.http_max_body_bytes, 1024 * 1024);
        let remote: IpAddr = "203.0.113.7".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(
            config.server.connection_cap(remote),
            Some(super::DEFAULT_MAX_CONNECTIONS_PER_IP)
        );
        assert_eq!(config.server.connection_cap(local), None);
        assert_eq!(config.server.connection_cap(mapped), None);
        let printed = config.to_masked_toml();
        assert!(
            printed.contains("http_header_timeout_ms = 10000"),
            "{printed}"
        );
        assert!(
            printed.contains("http_max_body_bytes = 1048576"),
            "{printed}"
        );

        let set = load(&[
            ("SWITCHBOARD_MAX_CONNECTIONS_PER_IP", "3"),
            ("SWITCHBOARD_HTTP_HEADER_TIMEOUT_MS", "250"),
            ("SWITCHBOARD_HTTP_MAX_BODY_BYTES", "4096"),
        ])
        .unwrap();
        assert_eq!(set.server.connection_cap(local), Some(3));
        assert_eq!(set.server.connection_cap(remote), Some(3));
        assert_eq!(set.server.http_header_timeout, Duration::from_millis(250));
        assert_eq!(set.server.http_max_body_bytes, 4096);

        let off = load(&[("SWITCHBOARD_MAX_CONNECTIONS_PER_IP", "0")]).unwrap();
        assert_eq!(off.server.connection_cap(remote), None);
        assert_eq!(off.server.connection_cap(local), None);
    }

    #[test]
    fn bad_transport_limits_name_their_key() {
        for (variable, value, key) in [
            (
                "SWITCHBOARD_HTTP_HEADER_TIMEOUT_MS",
                "0",
                "http_header_timeout_ms",
            ),
            (
                "SWITCHBOARD_HTTP_MAX_BODY_BYTES",
                "100",
                "http_max_body_bytes",
            ),
            (
                "SWITCHBOARD_HTTP_MAX_BODY_BYTES",
                "lots",
                "SWITCHBOARD_HTTP_MAX_BODY_BYTES",
            ),
            (
                "SWITCHBOARD_MAX_CONNECTIONS_PER_IP",
                "-1",
                "SWITCHBOARD_MAX_CONNECTIONS_PER_IP",
            ),
        ] {
            let error = match crate::config::layer::Layer::from_env([(
                variable.to_owned(),
                value.to_owned(),
            )]) {
                Ok(layer) => Config::from_layer(layer).unwrap_err().to_string(),
                Err(error) => error.to_string(),
            };
            assert!(error.contains(key), "{variable}={value}: {error}");
        }
    }
}
