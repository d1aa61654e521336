//! Per-user execute rate limit: a fixed 60-second window of N executes.
//!
//! Without Redis the window lives in memory on this node. With Redis it
//! lives under `ws:claude:ratelimit:{userId}`, shared by every node, and
//! fails open: when Redis does not answer, the execute is allowed and the
//! caller counts it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

/// The window length.
pub const WINDOW: Duration = Duration::from_secs(60);
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// The verdict on one execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Within the limit.
    Allowed,
    /// Over the limit until the window ends.
    Denied {
        /// Time until the window resets.
        retry_after: Duration,
    },
    /// Redis did not answer; allowed without counting.
    FailedOpen,
}

/// Counts executes per user.
#[derive(Debug)]
pub enum RateLimiter {
    /// One node's memory.
    Memory {
        /// Executes allowed per window.
        limit: u32,
        /// Window start and count per user.
        windows: Mutex<HashMap<String, (Instant, u32)>>,
    },
    /// Shared through Redis.
    Redis {
        /// Executes allowed per window.
        limit: u32,
        /// Reconnects on its own after Redis comes back.
        connection: ConnectionManager,
    },
}

/// The Redis key of a user's window (part of the contract).
pub fn redis_key(user_id: &str) -> String {
    format!("ws:claude:ratelimit:{user_id}")
}

impl RateLimiter {
    /// An in-memory limiter.
    pub fn memory(limit: u32) -> Self {
        RateLimiter::Memory {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// A Redis limiter; connects lazily, so a Redis that is down at start
    /// only means failing open until it is up.
    pub fn redis(limit: u32, url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(RateLimiter::Redis { limit, connection })
    }

    /// Counts one execute by `user_id` and decides.
    pub async fn check(&self, user_id: &str) -> Decision {
        match self {
            RateLimiter::Memory { limit, windows } => {
                let now = Instant::now();
                let mut windows = windows
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if windows.len() > 10_000 {
                    windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
                }
                let (start, count) = windows.entry(user_id.to_owned()).or_insert((now, 0));
                if now.duration_since(*start) >= WINDOW {
                    *start = now;
                    *count = 0;
                }
                *count += 1;
                if *count > *limit {
                    Decision::Denied {
                        retry_after: WINDOW.saturating_sub(now.duration_since(*start)),
                    }
                } else {
                    Decision::Allowed
                }
            }
            RateLimiter::Redis { limit, connection } => {
                let key = redis_key(user_id);
                let window_ms = u64::try_from(WINDOW.as_millis()).unwrap_or(u64::MAX);
                let mut connection = connection.clone();
                // Create the window with its expiry if absent, then count in it.
                let answer: redis::RedisResult<((), u32, i64)> = redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(&key)
                    .arg(0)
                    .arg("PX")
                    .arg(window_ms)
                    .arg("NX")
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("PTTL")
                    .arg(&key)
                    .query_async(&mut connection)
                    .await;
                match answer {
                    Ok((_, count, _)) if count <= *limit => Decision::Allowed,
                    Ok((_, _, ttl_ms)) => Decision::Denied {
                        retry_after: Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0)),
                    },
                    Err(error) => {
                        tracing::warn!(%error, user = user_id, "rate limit store unreachable; failing open");
                        Decision::FailedOpen
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn memory_window_counts_and_resets() {
        let limiter = RateLimiter::memory(2);
        assert_eq!(limiter.check("a").await, Decision::Allowed);
        assert_eq!(limiter.check("a").await, Decision::Allowed);
        assert!(matches!(limiter.check("a").await, Decision::Denied { .. }));
        assert_eq!(limiter.check("b").await, Decision::Allowed, "per user");
        tokio::time::advance(WINDOW).await;
        assert_eq!(limiter.check("a").await, Decision::Allowed);
    }

    #[tokio::test]
    async fn unreachable_redis_fails_open() {
        // Nothing listens on port 1 of loopback.
        let limiter = RateLimiter::redis(1, "redis://127.0.0.1:1").unwrap();
        assert_eq!(limiter.check("someone").await, Decision::FailedOpen);
    }

    #[tokio::test]
    async fn redis_window_is_shared() {
        let user = format!("ratelimit-test-{}", std::process::id());
        let first = RateLimiter::redis(2, "redis://127.0.0.1:6379").unwrap();
        let second = RateLimiter::redis(2, "redis://127.0.0.1:6379").unwrap();
        assert_eq!(first.check(&user).await, Decision::Allowed);
        assert_eq!(second.check(&user).await, Decision::Allowed);
        let Decision::Denied { retry_after } = first.check(&user).await else {
            panic!("the third execute in the window is refused");
        };
        assert!(retry_after <= WINDOW && retry_after > Duration::ZERO);
        let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("DEL")
            .arg(redis_key(&user))
            .query_async(&mut connection)
            .await
            .unwrap();
    }
}
