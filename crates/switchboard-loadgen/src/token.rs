//! HS256 tokens minted the way a platform's auth service would, so that
//! both servers verify real JWTs on every handshake.

use jsonwebtoken::{EncodingKey, Header, encode};
use serde::Serialize;

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    #[serde(rename = "userId")]
    user_id: &'a str,
    email: String,
    roles: [&'a str; 1],
    iat: i64,
    exp: i64,
}

/// Mints tokens for `bench-user-{n}`, valid for an hour.
#[derive(Clone)]
pub struct Minter {
    key: EncodingKey,
}

impl Minter {
    /// A minter signing with the shared `secret`.
    pub fn new(secret: &str) -> Self {
        Minter {
            key: EncodingKey::from_secret(secret.as_bytes()),
        }
    }

    /// A token of user `bench-user-{n}`.
    pub fn token(&self, n: usize) -> String {
        let user = format!("bench-user-{n}");
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: &user,
            user_id: &user,
            email: format!("{user}@bench.invalid"),
            roles: ["user"],
            iat: now,
            exp: now + 3600,
        };
        encode(&Header::default(), &claims, &self.key)
            .unwrap_or_else(|_| unreachable!("HS256 signing of plain claims cannot fail"))
    }

    /// `count` tokens for users 0 to `count - 1`, minted before a scenario
    /// starts so that signing does not cost the generator time under load.
    pub fn tokens(&self, count: usize) -> Vec<String> {
        (0..count).map(|n| self.token(n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};

    #[test]
    fn tokens_verify_with_the_secret() {
        let token = Minter::new("s3cret").token(7);
        let decoded = decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"s3cret"),
            &Validation::new(Algorithm::HS256),
        )
        .unwrap();
        assert_eq!(decoded.claims["userId"], "bench-user-7");
        assert_eq!(decoded.claims["sub"], "bench-user-7");
        assert!(
            decode::<serde_json::Value>(
                &token,
                &DecodingKey::from_secret(b"other"),
                &Validation::new(Algorithm::HS256),
            )
            .is_err()
        );
    }
}
