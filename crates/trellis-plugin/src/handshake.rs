//! go-plugin's handshake: what the host puts in the plugin's environment and the one line
//! the plugin prints on stdout when it serves.
//!
//! `CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK-TYPE|NETWORK-ADDR|PROTOCOL|SERVER-CERT`,
//! for example `1|6|unix|/tmp/plugin123|grpc|MIIB...`, where the certificate (present with
//! AutoMTLS) is base64 DER without padding.

use base64::Engine;

/// The environment variable and value that tell a Terraform provider it runs as a plugin.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The protocol versions the host accepts, comma-separated.
pub const PROTOCOL_VERSIONS_KEY: &str = "PLUGIN_PROTOCOL_VERSIONS";
/// The host's certificate (PEM) for AutoMTLS.
pub const CLIENT_CERT_KEY: &str = "PLUGIN_CLIENT_CERT";
pub const MIN_PORT_KEY: &str = "PLUGIN_MIN_PORT";
pub const MAX_PORT_KEY: &str = "PLUGIN_MAX_PORT";
/// go-plugin's core protocol version.
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// Where and how the plugin serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// The Terraform plugin protocol's major version (5 or 6).
    pub protocol_version: u32,
    pub network: Network,
    /// The server certificate (DER), when the plugin does AutoMTLS.
    pub server_cert: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    Unix(String),
    Tcp(String),
}

/// Why a handshake line is not one trellis can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("the plugin printed {0:?} instead of a handshake line")]
    Malformed(String),
    #[error("the plugin speaks go-plugin core protocol {0}, trellis speaks 1")]
    CoreVersion(String),
    #[error("the plugin speaks protocol version {found}, trellis speaks {accepted}")]
    Version { found: String, accepted: String },
    #[error("the plugin serves over {0:?}, trellis speaks only grpc")]
    Transport(String),
    #[error("the plugin serves on network {0:?}, trellis connects only to unix and tcp")]
    Network(String),
    #[error("the plugin's certificate is not base64: {0}")]
    Certificate(String),
}

/// Parses a handshake line, accepting the protocol versions in `accepted`.
pub fn parse(line: &str, accepted: &[u32]) -> Result<Announcement, HandshakeError> {
    let line = line.trim();
    let parts: Vec<&str> = line.split('|').collect();
    if parts.len() < 4 {
        return Err(HandshakeError::Malformed(truncate(line)));
    }
    if parts[0] != CORE_PROTOCOL_VERSION.to_string() {
        return Err(HandshakeError::CoreVersion(truncate(parts[0])));
    }
    let accepted_text = accepted
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" and ");
    let protocol_version = parts[1]
        .parse::<u32>()
        .ok()
        .filter(|v| accepted.contains(v))
        .ok_or_else(|| HandshakeError::Version {
            found: truncate(parts[1]),
            accepted: accepted_text,
        })?;
    let network = match parts[2] {
        "unix" => Network::Unix(parts[3].to_string()),
        "tcp" => Network::Tcp(parts[3].to_string()),
        other => return Err(HandshakeError::Network(truncate(other))),
    };
    // Plugins before go-plugin's gRPC support print four fields and mean net/rpc.
    let transport = parts.get(4).copied().unwrap_or("netrpc");
    if transport != "grpc" {
        return Err(HandshakeError::Transport(truncate(transport)));
    }
    let server_cert = match parts.get(5).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|e| HandshakeError::Certificate(e.to_string()))?,
        ),
    };
    Ok(Announcement {
        protocol_version,
        network,
        server_cert,
    })
}

/// The line a plugin prints (for trellis-test-provider).
pub fn format(announcement: &Announcement) -> String {
    let (kind, addr) = match &announcement.network {
        Network::Unix(path) => ("unix", path.as_str()),
        Network::Tcp(addr) => ("tcp", addr.as_str()),
    };
    let cert = announcement
        .server_cert
        .as_ref()
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{}|{kind}|{addr}|grpc|{cert}",
        announcement.protocol_version
    )
}

fn truncate(text: &str) -> String {
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_go_plugin_prints() {
        let a = parse("1|6|unix|/tmp/plugin123|grpc|AQID\n", &[5, 6]).unwrap();
        assert_eq!(a.protocol_version, 6);
        assert_eq!(a.network, Network::Unix("/tmp/plugin123".into()));
        assert_eq!(a.server_cert, Some(vec![1, 2, 3]));
        let a = parse("1|5|tcp|127.0.0.1:1234|grpc|", &[5, 6]).unwrap();
        assert_eq!(a.network, Network::Tcp("127.0.0.1:1234".into()));
        assert_eq!(a.server_cert, None);
        assert_eq!(parse(&format(&a), &[5]).unwrap(), a);
    }

    #[test]
    fn refuses_what_trellis_cannot_speak() {
        assert!(matches!(
            parse("hello", &[5, 6]),
            Err(HandshakeError::Malformed(_))
        ));
        assert!(matches!(
            parse("2|6|unix|/x|grpc|", &[5, 6]),
            Err(HandshakeError::CoreVersion(_))
        ));
        let err = parse("1|4|unix|/x|grpc|", &[5, 6]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the plugin speaks protocol version 4, trellis speaks 5 and 6"
        );
        assert!(matches!(
            parse("1|5|unix|/x", &[5]),
            Err(HandshakeError::Transport(_))
        ));
        assert!(matches!(
            parse("1|5|udp|/x|grpc|", &[5]),
            Err(HandshakeError::Network(_))
        ));
        assert!(matches!(
            parse("1|5|unix|/x|grpc|!!", &[5]),
            Err(HandshakeError::Certificate(_))
        ));
    }
}
