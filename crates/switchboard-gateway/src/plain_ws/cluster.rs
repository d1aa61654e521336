//! `/ws` clients across a cluster: every delivery is also published on the
//! Redis channel `{prefix}:plainws`, and each node delivers what other nodes
//! publish to its own clients. Without Redis, delivery stays local.

use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use switchboard_core::process::random_id;
use tokio::sync::mpsc;

use super::registry::{PlainClients, Recipients};

/// Deliveries waiting to be published before new ones are dropped.
const OUTBOUND_BUFFER: usize = 10_000;

/// One delivery on the wire between nodes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    node: String,
    to: Recipients,
    text: String,
}

/// The sending half, kept by [`PlainClients`].
#[derive(Debug, Clone)]
pub struct Outbound {
    node: String,
    sender: mpsc::Sender<Envelope>,
}

impl Outbound {
    /// Queues a delivery for the other nodes.
    pub fn send(&self, to: &Recipients, text: &str) {
        let envelope = Envelope {
            node: self.node.clone(),
            to: to.clone(),
            text: text.to_owned(),
        };
        if self.sender.try_send(envelope).is_err() {
            tracing::warn!(
                "plain websocket cluster link backed up; delivery to other nodes dropped"
            );
        }
    }
}

/// Connects `clients` to the other nodes through Redis.
pub async fn link(clients: &Arc<PlainClients>, url: &str, prefix: &str) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let channel = format!("{prefix}:plainws");
    let node = random_id("node");

    let mut subscription = client.get_async_pubsub().await?;
    subscription.subscribe(&channel).await?;
    let receiving = Arc::downgrade(clients);
    let own = node.clone();
    tokio::spawn(async move {
        let mut messages = subscription.into_on_message();
        while let Some(message) = messages.next().await {
            let Some(clients) = receiving.upgrade() else {
                break;
            };
            let Ok(envelope) = serde_json::from_slice::<Envelope>(message.get_payload_bytes())
            else {
                tracing::warn!("malformed plain websocket cluster message");
                continue;
            };
            if envelope.node != own {
                clients.deliver_local(&envelope.to, &envelope.text);
            }
        }
        tracing::warn!("plain websocket cluster subscription ended");
    });

    let mut publisher = client.get_multiplexed_async_connection().await?;
    let (sender, mut outbound) = mpsc::channel::<Envelope>(OUTBOUND_BUFFER);
    tokio::spawn(async move {
        while let Some(envelope) = outbound.recv().await {
            let Ok(payload) = serde_json::to_string(&envelope) else {
                continue;
            };
            let published: redis::RedisResult<()> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(payload)
                .query_async(&mut publisher)
                .await;
            if let Err(error) = published {
                tracing::warn!(%error, "cannot publish to other nodes");
            }
        }
    });
    clients.connect_cluster(Outbound { node, sender });
    Ok(())
}
