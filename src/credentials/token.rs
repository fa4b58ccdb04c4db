//! Access tokens (JWT, HS256 pinned) and opaque refresh tokens.

use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const ISSUER: &str = "sanshen";
pub const AUDIENCE: &str = "sanshen-api";
/// RFC 9068's media type for access tokens: a token of another kind signed
/// with the same key can never pass as an access token.
pub const ACCESS_TYP: &str = "at+jwt";
const LEEWAY_SECONDS: u64 = 10;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
}

#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl Tokens {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Tokens {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iat: now,
            nbf: now,
            exp: now + self.access_ttl.as_secs(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TYP.into());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
    }

    /// The claims of a valid access token; `None` for anything else, whatever
    /// the reason (the client gets one answer: unauthenticated).
    pub fn verify_access(&self, token: &str) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let typ_ok = data
            .header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TYP));
        (typ_ok && data.header.alg == Algorithm::HS256).then_some(data.claims)
    }
}

/// A new refresh token (256 random bits, base64url) and the hash stored for it.
pub fn new_refresh_token() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(
            &[7u8; 32],
            Duration::from_secs(900),
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn an_issued_token_verifies() {
        let t = tokens();
        let (user, sid) = (Uuid::new_v4(), Uuid::new_v4());
        let claims = t
            .verify_access(&t.issue_access(user, sid).unwrap())
            .unwrap();
        assert_eq!((claims.sub, claims.sid), (user, sid));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn another_key_fails() {
        let token = tokens()
            .issue_access(Uuid::new_v4(), Uuid::new_v4())
            .unwrap();
        let other = Tokens::new(
            &[8u8; 32],
            Duration::from_secs(900),
            Duration::from_secs(3600),
        );
        assert!(other.verify_access(&token).is_none());
    }

    #[test]
    fn refresh_tokens_are_long_and_hashed() {
        let (token, hash) = new_refresh_token();
        assert_eq!(token.len(), 43);
        assert_eq!(hash, hash_refresh_token(&token));
        assert_ne!(new_refresh_token().0, token);
    }
}
