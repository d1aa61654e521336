//! JSON Web Tokens: who a caller is ([`Identity`]), how a token proves it
//! ([`TokenVerifier`]) and how development tokens are made ([`TokenSigner`]).
//!
//! Only the algorithm that matches the configured key is accepted, so
//! `alg: none` and algorithm-confusion tokens fail like any bad signature.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{AuthConfig, KeySource};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The `sub` (or `userId`) claim.
    pub user_id: String,
    /// The `email` claim.
    pub email: Option<String>,
    /// The `roles` claim (e.g. `admin`).
    pub roles: Vec<String>,
    /// The `projects` claim; `None` when the token does not restrict projects.
    pub projects: Option<Vec<String>>,
    /// When the token stops being valid.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Identity {
    /// Whether the caller holds role `admin`.
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|role| role == "admin")
    }

    /// Whether the `projects` claim allows `project` (absent claim allows all).
    pub fn may_access_project(&self, project: &str) -> bool {
        match &self.projects {
            None => true,
            Some(projects) => projects.iter().any(|p| p == "*" || p == project),
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Malformed, badly signed, wrong algorithm, or without a subject.
    #[error("invalid token")]
    Invalid,
    /// Correctly signed but past its `exp`.
    #[error("token expired")]
    Expired,
}

impl TokenError {
    /// The reason code written to logs and metrics.
    pub fn code(self) -> &'static str {
        match self {
            TokenError::Invalid => "TOKEN_INVALID",
            TokenError::Expired => "TOKEN_EXPIRED",
        }
    }
}

/// Why the key material could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key file could not be read or created.
    #[error("cannot use key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The public key is neither an RSA nor an EC PEM.
    #[error("{path} is not an RSA or EC public key in PEM format")]
    BadPem {
        /// The file.
        path: String,
    },
    /// Signing was asked for with only a public key configured.
    #[error("tokens can only be signed with an HS256 secret; a public key only verifies")]
    CannotSign,
    /// The operating system gave no randomness.
    #[error("no randomness available: {0}")]
    Random(String),
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<String>,
    email: Option<String>,
    exp: Option<i64>,
    #[serde(default)]
    roles: OneOrMany,
    #[serde(default)]
    projects: Option<OneOrMany>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(value) => vec![value],
            OneOrMany::Many(values) => values,
            OneOrMany::None => Vec::new(),
        }
    }
}

/// Checks tokens against the configured key.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("algorithms", &self.validation.algorithms)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Verifies `token` and returns who it names.
    pub fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(
            |error| match error.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            },
        )?;
        let claims = data.claims;
        let user_id = claims
            .sub
            .or(claims.user_id)
            .filter(|id| !id.is_empty())
            .ok_or(TokenError::Invalid)?;
        let expires_at = match claims.exp {
            Some(exp) => Some(DateTime::from_timestamp(exp, 0).ok_or(TokenError::Invalid)?),
            None => None,
        };
        // jsonwebtoken accepts `exp` for the whole second it names; a live
        // socket is demoted at its start, so a handshake must be refused
        // from that instant too, or a reconnect would slip through.
        if expires_at.is_some_and(|expires_at| expires_at <= Utc::now()) {
            return Err(TokenError::Expired);
        }
        Ok(Identity {
            user_id,
            email: claims.email,
            roles: claims.roles.into_vec(),
            projects: claims.projects.map(OneOrMany::into_vec),
            expires_at,
        })
    }
}

/// Signs development tokens with the configured HS256 secret.
#[derive(Clone)]
pub struct TokenSigner {
    key: EncodingKey,
}

/// What a new token should claim.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// The subject (userId).
    pub sub: String,
    /// Optional email.
    pub email: Option<String>,
    /// Roles, e.g. `admin`.
    pub roles: Vec<String>,
    /// Project names (or `*`); empty leaves the claim out.
    pub projects: Vec<String>,
    /// Lifetime from now.
    pub ttl: Duration,
}

#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    roles: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    projects: &'a [String],
    iat: i64,
    exp: i64,
}

impl TokenSigner {
    /// Returns a signed HS256 token for `request`.
    pub fn sign(&self, request: &TokenRequest) -> String {
        let now = Utc::now().timestamp();
        let ttl = i64::try_from(request.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = IssuedClaims {
            sub: &request.sub,
            email: request.email.as_deref(),
            roles: &request.roles,
            projects: &request.projects,
            iat: now,
            exp: now.saturating_add(ttl),
        };
        // Encoding serializable claims with an HMAC key cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key).unwrap_or_default()
    }
}

/// The key pair of one node: always a verifier, a signer when the key is a secret.
#[derive(Clone)]
pub struct Keys {
    /// Verifies incoming tokens.
    pub verifier: TokenVerifier,
    signer: Option<TokenSigner>,
}

impl Keys {
    /// Loads the configured key, creating the generated secret on first use.
    pub fn load(config: &AuthConfig) -> Result<Self, KeyError> {
        match &config.key {
            KeySource::Secret(secret) => Ok(Keys::from_secret(secret.as_bytes())),
            KeySource::GeneratedSecret(path) => {
                let secret = load_or_create_secret(path)?;
                Ok(Keys::from_secret(secret.as_bytes()))
            }
            KeySource::PublicKeyPem(path) => {
                let display = path.display().to_string();
                let pem = std::fs::read(path).map_err(|source| KeyError::Io {
                    path: display.clone(),
                    source,
                })?;
                let (key, algorithm) = if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
                    (key, Algorithm::RS256)
                } else if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
                    (key, Algorithm::ES256)
                } else {
                    return Err(KeyError::BadPem { path: display });
                };
                Ok(Keys {
                    verifier: TokenVerifier {
                        key,
                        validation: validation(algorithm),
                    },
                    signer: None,
                })
            }
        }
    }

    fn from_secret(secret: &[u8]) -> Self {
        Keys {
            verifier: TokenVerifier {
                key: DecodingKey::from_secret(secret),
                validation: validation(Algorithm::HS256),
            },
            signer: Some(TokenSigner {
                key: EncodingKey::from_secret(secret),
            }),
        }
    }

    /// The signer, when the key can sign.
    pub fn signer(&self) -> Result<&TokenSigner, KeyError> {
        self.signer.as_ref().ok_or(KeyError::CannotSign)
    }
}

fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    // `exp` is optional in Switchboard tokens, and an expired token is refused
    // at the second it expires, the same moment a live socket is demoted.
    validation.required_spec_claims.clear();
    validation.leeway = 0;
    validation.validate_aud = false;
    validation
}

/// Reads the generated secret, or creates it (mode 0600) when it does not exist.
fn load_or_create_secret(path: &Path) -> Result<String, KeyError> {
    let io_error = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(secret) if !secret.trim().is_empty() => return Ok(secret.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_error)?;
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| KeyError::Random(error.to_string()))?;
    let secret: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();

    // Write a private temporary file, then link it into place: the secret
    // appears whole or not at all, and the first process to link wins.
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(secret.as_bytes())
            .and_then(|()| file.sync_all())
    });
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(io_error(error));
    }
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(secret),
        // Another process created it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(path).map_err(io_error)?;
            match existing.trim() {
                "" => Err(io_error(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the secret file is empty; remove it to generate a new one",
                ))),
                existing => Ok(existing.to_owned()),
            }
        }
        Err(error) => Err(io_error(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::from_secret(b"0123456789abcdef0123456789abcdef")
    }

    fn request(ttl: Duration) -> TokenRequest {
        TokenRequest {
            sub: "alice".into(),
            email: Some("a@example.com".into()),
            roles: vec!["admin".into()],
            projects: vec!["p1".into()],
            ttl,
        }
    }

    #[test]
    fn signed_tokens_verify() {
        let keys = keys();
        let token = keys
            .signer()
            .unwrap()
            .sign(&request(Duration::from_secs(60)));
        let identity = keys.verifier.verify(&token).unwrap();
        assert_eq!(identity.user_id, "alice");
        assert_eq!(identity.email.as_deref(), Some("a@example.com"));
        assert!(identity.is_admin());
        assert!(identity.may_access_project("p1"));
        assert!(!identity.may_access_project("p2"));
        assert!(identity.expires_at.is_some());
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let keys = keys();
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"sub": "bob", "exp": Utc::now().timestamp() - 5}),
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(keys.verifier.verify(&expired), Err(TokenError::Expired));
        // Within the second its `exp` names, a token is already expired: a
        // socket holding it has just been demoted.
        let this_second = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"sub": "bob", "exp": Utc::now().timestamp()}),
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(keys.verifier.verify(&this_second), Err(TokenError::Expired));

        let other = Keys::from_secret(b"another-secret-of-enough-length!");
        let foreign = other
            .signer()
            .unwrap()
            .sign(&request(Duration::from_secs(60)));
        assert_eq!(keys.verifier.verify(&foreign), Err(TokenError::Invalid));
        assert_eq!(keys.verifier.verify("not.a.jwt"), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_is_refused() {
        use base64_like::encode;
        let header = encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = encode(br#"{"sub":"mallory"}"#);
        let token = format!("{header}.{body}.");
        assert_eq!(keys().verifier.verify(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn user_id_claim_and_string_roles_are_accepted() {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"userId": "carol", "roles": "admin", "projects": "*"}),
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        let identity = keys().verifier.verify(&token).unwrap();
        assert_eq!(identity.user_id, "carol");
        assert!(identity.is_admin());
        assert!(identity.may_access_project("anything"));
        assert_eq!(identity.expires_at, None);
    }

    #[test]
    fn generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("jwt_secret");
        let first = load_or_create_secret(&path).unwrap();
        let second = load_or_create_secret(&path).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// Unpadded base64url, enough to forge an unsigned token by hand.
    mod base64_like {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        pub fn encode(input: &[u8]) -> String {
            let mut out = String::new();
            for chunk in input.chunks(3) {
                let b = [
                    chunk[0],
                    *chunk.get(1).unwrap_or(&0),
                    *chunk.get(2).unwrap_or(&0),
                ];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
