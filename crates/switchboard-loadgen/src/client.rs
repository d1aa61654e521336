//! One Socket.IO client over a websocket: the Engine.IO handshake, the
//! namespace `CONNECT` with a token, pings answered, events and acks.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::packet::{self, Frame};
use crate::target::Target;

/// Why a client failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TCP connect failed.
    #[error("connect: {0}")]
    Io(#[from] std::io::Error),
    /// The websocket failed.
    #[error("websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    /// The server refused the namespace connection.
    #[error("connect refused: {0}")]
    Refused(String),
    /// The server closed the connection.
    #[error("closed by the server")]
    Closed,
    /// The server answered something else than the protocol says.
    #[error("unexpected frame: {0}")]
    Protocol(String),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
}

/// A connected, signed-in client of the main namespace.
pub struct Client {
    ws: WebSocketStream<TcpStream>,
    next_ack: u64,
}

/// How long connecting or a call may take before the client gives up.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

impl Client {
    /// Connects to `/` over websocket and waits for the `CONNECT` answer.
    pub async fn connect(target: &Target, token: Option<&str>) -> Result<Self, ClientError> {
        tokio::time::timeout(CALL_TIMEOUT, Self::handshake(target, token))
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    async fn handshake(target: &Target, token: Option<&str>) -> Result<Self, ClientError> {
        let addr = target.addr();
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.bind((target.source(), 0).into())?;
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        // Small buffers: tens of thousands of clients live in this process.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let (ws, _) = client_async_with_config(url, stream, Some(config)).await?;
        let mut client = Client { ws, next_ack: 0 };
        match client.next_frame_owned().await? {
            text if matches!(packet::parse(&text), Frame::Open) => {}
            other => return Err(ClientError::Protocol(other)),
        }
        client.send(packet::connect(token)).await?;
        loop {
            let text = client.next_frame_owned().await?;
            match packet::parse(&text) {
                Frame::Connected => return Ok(client),
                Frame::ConnectError(body) => return Err(ClientError::Refused(body.to_owned())),
                _ => continue,
            }
        }
    }

    /// Sends one text frame.
    pub async fn send(&mut self, text: String) -> Result<(), ClientError> {
        self.ws.send(Message::text(text)).await?;
        Ok(())
    }

    /// The id for the next event that expects an ack.
    pub fn ack_id(&mut self) -> u64 {
        self.next_ack += 1;
        self.next_ack
    }

    /// The next text frame that is not a ping (pings are answered here).
    pub async fn next_text(&mut self) -> Result<tungstenite::Utf8Bytes, ClientError> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    if packet::parse(&text) == Frame::Ping {
                        self.send(packet::PONG.to_owned()).await?;
                        continue;
                    }
                    return Ok(text);
                }
                Some(Ok(Message::Close(_))) | None => return Err(ClientError::Closed),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
            }
        }
    }

    async fn next_frame_owned(&mut self) -> Result<String, ClientError> {
        Ok(self.next_text().await?.as_str().to_owned())
    }

    /// Emits `name` with `args` and returns the ack's body; frames that
    /// arrive meanwhile are dropped.
    pub async fn call(&mut self, name: &str, args: &str) -> Result<String, ClientError> {
        let id = self.ack_id();
        self.send(packet::event_with_ack(id, name, args)).await?;
        tokio::time::timeout(CALL_TIMEOUT, async {
            loop {
                let text = self.next_text().await?;
                if let Frame::Ack { id: got, body } = packet::parse(&text)
                    && got == id
                {
                    return Ok(body.to_owned());
                }
            }
        })
        .await
        .map_err(|_| ClientError::Timeout)?
    }

    /// Joins `room` and checks the server said yes.
    pub async fn join(&mut self, room: &str) -> Result<(), ClientError> {
        let answer = self
            .call("joinRoom", &serde_json::Value::from(room).to_string())
            .await?;
        if answer.contains("\"success\":true") {
            Ok(())
        } else {
            Err(ClientError::Refused(answer))
        }
    }

    /// Answers pings until `stop` resolves or the connection ends.
    pub async fn idle_until(mut self, stop: impl Future<Output = ()>) {
        tokio::select! {
            _ = stop => {}
            _ = async { while self.next_text().await.is_ok() {} } => {}
        }
        let _ = self.ws.close(None).await;
    }

    /// Closes the websocket.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
