//! Handshake authentication (SPEC §2): the token comes from `auth.token`,
//! else the `?token=` query parameter, else an `Authorization: Bearer`
//! header. A present but invalid token refuses the namespace connection
//! with the message `Authentication error`; an absent token gives an
//! anonymous socket where the namespace allows one.

use serde_json::Value as Json;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use switchboard_core::TokenError;

use super::session::Session;
use crate::state::SharedState;

/// The refusal sent to the client; seed-000 clients match on this exact text.
#[derive(Debug, thiserror::Error)]
#[error("Authentication error")]
pub struct AuthenticationError;

/// What a token source held.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    Absent,
    Token(String),
    /// Something was sent where a token belongs, but not a usable string.
    Malformed,
}

fn from_auth_payload(auth: Option<&Json>) -> Presented {
    match auth.and_then(|auth| auth.get("token")) {
        None | Some(Json::Null) => Presented::Absent,
        Some(Json::String(token)) if token.is_empty() => Presented::Absent,
        Some(Json::String(token)) => Presented::Token(token.clone()),
        Some(_) => Presented::Malformed,
    }
}

fn from_query(query: Option<&str>) -> Presented {
    let Some(query) = query else {
        return Presented::Absent;
    };
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.into_owned())
        .filter(|token| !token.is_empty())
        .map_or(Presented::Absent, Presented::Token)
}

fn from_header(headers: &axum::http::HeaderMap) -> Presented {
    crate::http::bearer(headers).map_or(Presented::Absent, |token| {
        Presented::Token(token.to_owned())
    })
}

/// The first source that holds anything, in the documented order.
fn presented<A: Adapter>(socket: &SocketRef<A>, auth: Option<&Json>) -> Presented {
    let parts = socket.req_parts();
    [
        from_auth_payload(auth),
        from_query(parts.uri.query()),
        from_header(&parts.headers),
    ]
    .into_iter()
    .find(|source| *source != Presented::Absent)
    .unwrap_or(Presented::Absent)
}

/// Checks the handshake token and stores the socket's [`Session`]; refuses
/// anonymous sockets when `anonymous_allowed` is false.
pub fn admit<A: Adapter>(
    socket: &SocketRef<A>,
    auth: Option<&Json>,
    state: &SharedState,
    anonymous_allowed: bool,
) -> Result<(), AuthenticationError> {
    let verified = match presented(socket, auth) {
        Presented::Absent if anonymous_allowed => None,
        Presented::Absent => {
            refuse(socket, state, "TOKEN_MISSING");
            return Err(AuthenticationError);
        }
        Presented::Malformed => {
            refuse(socket, state, TokenError::Invalid.code());
            return Err(AuthenticationError);
        }
        Presented::Token(token) => match state.verifier.verify(&token) {
            Ok(identity) => Some(identity),
            Err(error) => {
                refuse(socket, state, error.code());
                return Err(AuthenticationError);
            }
        },
    };
    socket.extensions.insert(Session::new(verified));
    Ok(())
}

fn refuse<A: Adapter>(socket: &SocketRef<A>, state: &SharedState, code: &'static str) {
    state.metrics.auth_failed(code);
    tracing::info!(namespace = socket.ns(), sid = %socket.id, code, "handshake refused");
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::AUTHORIZATION;
    use axum::http::{HeaderMap, HeaderValue};
    use serde_json::json;

    #[test]
    fn auth_payload_forms() {
        assert_eq!(from_auth_payload(None), Presented::Absent);
        assert_eq!(from_auth_payload(Some(&json!({}))), Presented::Absent);
        assert_eq!(
            from_auth_payload(Some(&json!({"token": "t"}))),
            Presented::Token("t".into())
        );
        assert_eq!(
            from_auth_payload(Some(&json!({"token": 5}))),
            Presented::Malformed
        );
    }

    #[test]
    fn query_is_percent_decoded() {
        assert_eq!(
            from_query(Some("EIO=4&transport=polling&token=a%2Eb.c")),
            Presented::Token("a.b.c".into())
        );
        assert_eq!(from_query(Some("EIO=4")), Presented::Absent);
    }

    #[test]
    fn bearer_header() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
            from_header(&headers)
        };
        assert_eq!(with("Bearer abc"), Presented::Token("abc".into()));
        assert_eq!(with("bearer  abc "), Presented::Token("abc".into()));
        assert_eq!(with("Basic abc"), Presented::Absent);
        assert_eq!(with("Bearer "), Presented::Absent);
        assert_eq!(from_header(&HeaderMap::new()), Presented::Absent);
    }
}
