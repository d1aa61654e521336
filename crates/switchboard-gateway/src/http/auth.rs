//! Who calls an API route: a user (a Bearer JWT), a backend (an API key or
//! an admin JWT), or either.

use axum::http::{HeaderMap, header};
use switchboard_core::{ErrorCode, Identity};

use super::credentials::bearer;
use super::error::ApiError;
use crate::state::SharedState;

/// The caller of a user route: a valid `Authorization: Bearer` JWT.
pub(crate) fn caller(state: &SharedState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "Authorization: Bearer token required",
            )
        })?;
    state.verifier.verify(token).map_err(|error| {
        state.metrics.auth_failed(error.code());
        ApiError::new(ErrorCode::Unauthorized, "Invalid or expired token")
    })
}

/// Who may call backend routes: a configured API key, or an admin JWT.
pub(crate) fn backend(state: &SharedState, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "Authorization: Bearer API key required",
        )
    })?;
    if is_api_key(state, token) {
        return Ok(());
    }
    match state.verifier.verify(token) {
        Ok(identity) if identity.is_admin() => Ok(()),
        Ok(_) => Err(ApiError::new(
            ErrorCode::Forbidden,
            "An API key or an admin token is required",
        )),
        Err(_) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "Invalid API key or token",
        )),
    }
}

/// The caller of a route open to users and backends: `None` for a backend
/// (an API key or an admin token), the identity for any other valid JWT.
pub(crate) fn principal(
    state: &SharedState,
    headers: &HeaderMap,
) -> Result<Option<Identity>, ApiError> {
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "Authorization: Bearer token or API key required",
        )
    })?;
    if is_api_key(state, token) {
        return Ok(None);
    }
    match state.verifier.verify(token) {
        Ok(identity) if identity.is_admin() => Ok(None),
        Ok(identity) => Ok(Some(identity)),
        Err(error) => {
            state.metrics.auth_failed(error.code());
            Err(ApiError::new(
                ErrorCode::Unauthorized,
                "Invalid API key or token",
            ))
        }
    }
}

/// Whether `token` is one of the configured API keys.
fn is_api_key(state: &SharedState, token: &str) -> bool {
    state
        .config
        .api
        .keys
        .iter()
        .any(|key| constant_time_eq(key.as_bytes(), token.as_bytes()))
}

/// Compares secrets without leaking where they differ through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
