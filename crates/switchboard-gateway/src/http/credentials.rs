//! Credentials carried in HTTP headers, read the same way by the Socket.IO
//! handshake and the HTTP API.

use axum::http::{HeaderMap, header};

/// The token of an `Authorization: Bearer` header. Other schemes (say, a
/// proxy's Basic credentials) and empty tokens give `None`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}
