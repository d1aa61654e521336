//! The body limit of the JSON routes: a body larger than
//! `http_max_body_bytes` is answered 413 `INVALID_PAYLOAD` in the API's
//! error shape, as soon as its `Content-Length` says so, or once the bytes
//! read exceed the limit (chunked bodies); never read further than that.

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use switchboard_core::ErrorCode;

use super::error::ApiError;

/// Middleware: reads the request body up to `max` bytes, then hands the
/// route the bytes read; 413 beyond `max`, 400 when the body breaks off.
pub(crate) async fn limit_body(max: usize, request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return too_large(max);
    }
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, max).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => return too_large(max),
        Err(error) => {
            tracing::debug!(%error, "request body broke off");
            return ApiError::bad_request("The request body could not be read").into_response();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large(max: usize) -> Response {
    let mut response = ApiError::new(
        ErrorCode::InvalidPayload,
        format!("The request body is larger than {max} bytes"),
    )
    .into_response();
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    // The unread rest of the body is not worth keeping the connection for.
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, Bytes};
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use tower::ServiceExt as _;

    use super::*;

    fn app() -> Router {
        Router::new()
            .route(
                "/",
                post(|bytes: Bytes| async move { bytes.len().to_string() }),
            )
            .layer(axum::middleware::from_fn(|request, next| {
                limit_body(1024, request, next)
            }))
    }

    async fn json(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_body_within_the_limit_reaches_the_route() {
        let response = app()
            .oneshot(
                Request::post("/")
                    .body(Body::from(vec![b'a'; 1024]))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 64)
            .await
            .unwrap();
        assert_eq!(&body[..], b"1024");
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_unread() {
        // The body never ends: only the declared length can refuse it.
        let (_sender, body) = futures_stream_body();
        let request = Request::post("/")
            .header("content-length", "5000")
            .body(body)
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body = json(response).await;
        assert_eq!(body["error"]["code"], "INVALID_PAYLOAD");
    }

    #[tokio::test]
    async fn a_chunked_body_over_the_limit_is_refused() {
        let chunks = (0..100).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 100])));
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let response = app()
            .oneshot(Request::post("/").body(body).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(json(response).await["error"]["code"], "INVALID_PAYLOAD");
    }

    /// A body whose data never comes while the sender is kept.
    fn futures_stream_body() -> (tokio::sync::mpsc::Sender<Bytes>, Body) {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(1);
        let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver
                .recv()
                .await
                .map(|bytes| (Ok::<_, std::io::Error>(bytes), receiver))
        });
        (sender, Body::from_stream(stream))
    }
}
