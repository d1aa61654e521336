//! Closing one client's transport (SPEC §2): the connections that carry a
//! Socket.IO client's Engine.IO session, found from any of its sockets.
//!
//! socketioxide 0.18 closes a single socket only with a namespace
//! `DISCONNECT`, which the official client takes as final (see
//! `docs/upstream/socketioxide-close-transport.md`). Closing the connections
//! underneath instead reads to the client as a transport close, after which
//! it reconnects by itself. The handshake request of a session carries a
//! [`ClientTransports`] (kept by engineioxide in the socket's `req_parts`),
//! and every later request of the session (polls, the websocket upgrade)
//! adds its connection to it by the `sid` it names. Also what a node answers
//! Engine.IO requests once shutdown has closed every transport.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use axum::body::Body;
use axum::extract::Request;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::connections::{Connection, ConnectionCloser};

/// The connections one Engine.IO session has used. Closed once, it closes
/// every connection it learns of afterwards too.
#[derive(Debug, Default)]
pub struct ClientTransports {
    state: Mutex<TransportsState>,
}

#[derive(Debug, Default)]
struct TransportsState {
    closed: bool,
    connections: Vec<Arc<ConnectionCloser>>,
}

impl ClientTransports {
    fn add(&self, connection: &Connection) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.closed {
            connection.0.close();
        } else if !state
            .connections
            .iter()
            .any(|c| Arc::ptr_eq(c, &connection.0))
        {
            state.connections.push(connection.0.clone());
        }
    }

    /// Closes every connection of the session: the client sees its
    /// transport close and reconnects.
    pub fn close(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.closed = true;
        for connection in state.connections.drain(..) {
            connection.close();
        }
    }
}

/// Engine.IO sessions by `sid`, for the requests that follow a handshake.
/// Entries die with their session (engineioxide drops the handshake's
/// request parts, which hold the only strong reference).
#[derive(Debug, Default)]
pub struct Sessions {
    by_sid: Mutex<HashMap<String, Weak<ClientTransports>>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Weak<ClientTransports>>> {
        self.by_sid
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn insert(&self, sid: String, transports: &Arc<ClientTransports>) {
        let mut sessions = self.lock();
        // Sweep ended sessions as the map grows, so it stays the size of the
        // live ones.
        if sessions.len() >= 64 && sessions.len().is_power_of_two() {
            sessions.retain(|_, session| session.strong_count() > 0);
        }
        sessions.insert(sid, Arc::downgrade(transports));
    }

    fn get(&self, sid: &str) -> Option<Arc<ClientTransports>> {
        self.lock().get(sid).and_then(Weak::upgrade)
    }
}

/// The largest handshake answer read to learn a polling session's `sid`.
const HANDSHAKE_LIMIT: usize = 4096;

/// Middleware on Engine.IO requests: a handshake gets a fresh
/// [`ClientTransports`] holding its connection; a request naming a `sid`
/// adds its connection to that session's.
pub async fn track(sessions: Arc<Sessions>, mut request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/socket.io") {
        return next.run(request).await;
    }
    let Some(ConnectInfo(connection)) = request
        .extensions()
        .get::<ConnectInfo<Connection>>()
        .cloned()
    else {
        return next.run(request).await;
    };
    if let Some(sid) = query_param(request.uri().query(), "sid") {
        if let Some(transports) = sessions.get(&sid) {
            transports.add(&connection);
        }
        return next.run(request).await;
    }
    let transports = Arc::new(ClientTransports::default());
    transports.add(&connection);
    request.extensions_mut().insert(transports.clone());
    let response = next.run(request).await;
    // A websocket handshake's session lives on this one connection; a
    // polling handshake names its `sid` in the open packet it answers.
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, HANDSHAKE_LIMIT).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::debug!(%error, "cannot read an Engine.IO handshake answer");
            return Response::from_parts(parts, Body::empty());
        }
    };
    if let Some(sid) = open_packet_sid(&bytes) {
        sessions.insert(sid, &transports);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The query parameter `name`, if any.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The `sid` of an Engine.IO open packet (`0{"sid":...}`), the first packet
/// of a polling handshake's answer.
fn open_packet_sid(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Open {
        sid: String,
    }
    let packet = body.split(|byte| *byte == 0x1e).next()?;
    let json = packet.strip_prefix(b"0")?;
    serde_json::from_slice::<Open>(json)
        .ok()
        .map(|open| open.sid)
}

/// Once shutdown has closed the Socket.IO transports, answers what clients
/// of the closed sessions still ask: a poll gets the Engine.IO close packet
/// (`1`), so a client that was between two polls also sees a transport
/// close and reconnects; anything else, such as a reconnection's handshake
/// reaching the closing node, gets 503 and is retried by the client.
pub async fn after_close(closed: Arc<AtomicBool>, request: Request, next: Next) -> Response {
    if !closed.load(Ordering::SeqCst) || !request.uri().path().starts_with("/socket.io") {
        return next.run(request).await;
    }
    let query = request.uri().query();
    let polling = query_param(query, "transport").is_some_and(|transport| transport == "polling");
    if request.method() == Method::GET && polling && query_param(query, "sid").is_some() {
        return ([(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], "1").into_response();
    }
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sid_of_an_open_packet_and_a_query() {
        let body =
            br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}"#;
        assert_eq!(
            open_packet_sid(body).as_deref(),
            Some("lv_VI97HAXpY6yYWAAAC")
        );
        assert_eq!(open_packet_sid(b"4hello"), None);
        assert_eq!(
            query_param(Some("EIO=4&transport=polling&sid=abc%2B1"), "sid").as_deref(),
            Some("abc+1")
        );
        assert_eq!(query_param(Some("EIO=4&transport=polling"), "sid"), None);
    }

    #[test]
    fn a_closed_session_closes_the_connections_it_learns_of_later() {
        let transports = ClientTransports::default();
        let first = Connection(Arc::default());
        transports.add(&first);
        transports.close();
        assert!(first.0.is_closed());
        let later = Connection(Arc::default());
        transports.add(&later);
        assert!(later.0.is_closed());
    }
}
