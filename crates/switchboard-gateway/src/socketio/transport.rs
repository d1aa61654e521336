//! What each Socket.IO connection costs while it is open, kept small.
//!
//! Measured with heaptrack on idle authenticated websocket clients (see
//! `docs/BENCHMARKS.md`), the largest costs came from the layers below the
//! handlers; the fixes that do not need a patched dependency live here.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};

/// Bytes the websocket reader reserves per read. tungstenite zero-fills the
/// whole reservation on each read, so it is resident for every connection;
/// client frames are small, and a larger frame grows the buffer as needed.
pub const WS_READ_BUFFER: usize = 512;

/// Gives a Socket.IO request a head of its own.
///
/// hyper parses a request's headers and URI as slices of its connection
/// read buffer, and engineioxide keeps a websocket request's head for the
/// whole session: one header kept alive pins that buffer, about 16 KB for
/// each connection. Copies in small allocations of their own release it.
pub fn detach_head(request: Request) -> Request {
    if !request.uri().path().starts_with("/socket.io") {
        return request;
    }
    let (mut parts, body) = request.into_parts();
    parts.headers = copy_headers(&parts.headers);
    if let Ok(uri) = Uri::try_from(parts.uri.to_string()) {
        parts.uri = uri;
    }
    Request::from_parts(parts, body)
}

fn copy_headers(headers: &HeaderMap) -> HeaderMap {
    let mut copy = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        // Both constructors copy; standard names are static and cost nothing.
        let name =
            HeaderName::from_bytes(name.as_str().as_bytes()).unwrap_or_else(|_| name.clone());
        let value = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.append(name, value);
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn copies_keep_every_header_and_the_uri() {
        let request = Request::builder()
            .uri("/socket.io/?EIO=4&transport=websocket&token=abc")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("x-custom", "one")
            .header("x-custom", "two")
            .body(Body::empty())
            .unwrap();
        let detached = detach_head(request);
        assert_eq!(
            detached.uri(),
            "/socket.io/?EIO=4&transport=websocket&token=abc"
        );
        assert_eq!(
            detached.headers()["sec-websocket-key"],
            "dGhlIHNhbXBsZSBub25jZQ=="
        );
        let custom: Vec<_> = detached.headers().get_all("x-custom").iter().collect();
        assert_eq!(custom, ["one", "two"]);
    }
}
