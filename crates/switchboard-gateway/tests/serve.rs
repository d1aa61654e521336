//! Boots a real node on `127.0.0.1:0` and talks HTTP to it over TCP.

use std::time::Duration;

use switchboard_core::Config;
use switchboard_core::config::Layer;
use switchboard_gateway::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn get(address: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response[9..12].parse().expect("status code");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn config(dir: &std::path::Path) -> Config {
    Config::from_layer(Layer {
        data_dir: Some(dir.to_owned()),
        jwt_secret: Some("integration-test-secret".into()),
        shutdown_grace_ms: Some(2000),
        ..Layer::default()
    })
    .expect("valid test config")
}

#[tokio::test]
async fn serves_health_until_shutdown_then_drains() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::build(config(dir.path())).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = signal.await;
    }));

    let (status, body) = get(address, "/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"ok\""), "{body}");
    let (status, body) = get(address, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(address, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("# TYPE switchboard_connections gauge"),
        "{body}"
    );
    let (status, _) = get(address, "/no-such-route").await;
    assert_eq!(status, 404);

    shutdown.send(()).unwrap();
    // While Socket.IO clients are being told to leave, the node still
    // answers HTTP but reports that it is not ready.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, body) = get(address, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"draining\":true"), "{body}");

    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns within the grace period")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn build_fails_clearly_on_a_bad_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("key.pem");
    std::fs::write(&pem, "not a key").unwrap();
    let config = Config::from_layer(Layer {
        data_dir: Some(dir.path().to_owned()),
        jwt_public_key: Some(pem),
        ..Layer::default()
    })
    .unwrap();
    let error = App::build(config)
        .await
        .err()
        .expect("a bad key is refused");
    let message = format!("{error:#}");
    assert!(message.contains("PEM"), "{message}");
}
