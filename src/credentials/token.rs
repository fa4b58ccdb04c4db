//! Access tokens (JWT, HS256 pinned) and opaque refresh tokens; the signing
//! console's cookie token and CSRF tokens (SPEC §11), keyed the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
/// The console's cookie token: its own audience and type, so that a cookie
/// can never pass as a bearer token, nor a bearer token as a cookie.
pub const CONSOLE_AUDIENCE: &str = "sanshen-console";
pub const CONSOLE_TYP: &str = "console+jwt";
const LEEWAY_SECONDS: u64 = 10;

type HmacSha256 = hmac::Hmac<Sha256>;

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    console_validation: Validation,
    /// Keys the CSRF tokens (an HMAC of the session id).
    csrf_key: Vec<u8>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    verified: Arc<Mutex<HashMap<Box<str>, Claims>>>,
}

/// Access tokens kept verified at most; past it the memory starts afresh.
const VERIFIED_KEPT: usize = 4096;

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
        let mut console_validation = validation.clone();
        console_validation.set_audience(&[CONSOLE_AUDIENCE]);
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            console_validation,
            csrf_key: secret.to_vec(),
            access_ttl,
            refresh_ttl,
            verified: Arc::default(),
        }
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue(user_id, session_id, (AUDIENCE, ACCESS_TYP), self.access_ttl)
    }

    /// The console's cookie token for a server session. It lives as long as
    /// a refresh token: the cookie never leaves the browser's cookie jar
    /// (`HttpOnly`, `SameSite=Strict`) and every request checks the session,
    /// so logout and disabling end it at once whatever its `exp`.
    pub fn issue_console(
        &self,
        user_id: Uuid,
        session_id: Uuid,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let kind = (CONSOLE_AUDIENCE, CONSOLE_TYP);
        self.issue(user_id, session_id, kind, self.refresh_ttl)
    }

    fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        (aud, typ): (&str, &str),
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iat: now,
            nbf: now,
            exp: now + ttl.as_secs(),
            iss: ISSUER.into(),
            aud: aud.into(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(typ.into());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
    }

    /// The claims of a valid access token; `None` for anything else, whatever
    /// the reason (the client gets one answer: unauthenticated).
    ///
    /// A client sends its token with every request until it expires, and
    /// decoding one (the header and the claims parsed as JSON, the claims
    /// twice, an HMAC key made) was 8 % of a read's CPU: a token verified
    /// once is remembered by its whole text, and what it claims about time
    /// (`nbf`, `exp`, with the same leeway) is judged again on each use.
    /// Its signature and the rest cannot change; the session it names is
    /// checked in the database on every request as before.
    pub fn verify_access(&self, token: &str) -> Option<Claims> {
        self.verify_access_at(token, jsonwebtoken::get_current_timestamp())
    }

    fn verify_access_at(&self, token: &str, now: u64) -> Option<Claims> {
        let in_time = |c: &Claims| c.nbf <= now + LEEWAY_SECONDS && now <= c.exp + LEEWAY_SECONDS;
        let kept = self.remembered().get(token).cloned();
        if let Some(claims) = kept {
            return in_time(&claims).then_some(claims);
        }
        let claims = self.verify(token, &self.validation, ACCESS_TYP)?;
        let mut verified = self.remembered();
        if verified.len() >= VERIFIED_KEPT {
            verified.clear();
        }
        verified.insert(token.into(), claims.clone());
        Some(claims)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Claims>> {
        // Nothing panics while holding it; were it poisoned, the map is whole.
        self.verified.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The claims of a valid console cookie token; `None` for anything else.
    pub fn verify_console(&self, token: &str) -> Option<Claims> {
        self.verify(token, &self.console_validation, CONSOLE_TYP)
    }

    fn verify(&self, token: &str, validation: &Validation, typ: &str) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, validation).ok()?;
        let typ_ok = data
            .header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(typ));
        (typ_ok && data.header.alg == Algorithm::HS256).then_some(data.claims)
    }

    /// The CSRF token of a session: an HMAC of its id, so it needs no
    /// storage and dies with the session.
    pub fn csrf_token(&self, session_id: Uuid) -> String {
        hex::encode(hmac::Mac::finalize(self.csrf_mac(session_id)).into_bytes())
    }

    /// Whether `candidate` is the session's CSRF token (constant time).
    pub fn csrf_matches(&self, session_id: Uuid, candidate: &str) -> bool {
        hex::decode(candidate)
            .is_ok_and(|bytes| hmac::Mac::verify_slice(self.csrf_mac(session_id), &bytes).is_ok())
    }

    fn csrf_mac(&self, session_id: Uuid) -> HmacSha256 {
        use hmac::KeyInit;
        // HMAC takes a key of any length; the error branch cannot happen.
        let mut mac = match HmacSha256::new_from_slice(&self.csrf_key) {
            Ok(mac) => mac,
            Err(_) => HmacSha256::new(&Default::default()),
        };
        hmac::Mac::update(&mut mac, b"sanshen-console-csrf:");
        hmac::Mac::update(&mut mac, session_id.as_bytes());
        mac
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
    fn a_remembered_token_still_expires_and_a_forged_one_is_not_remembered() {
        let t = tokens();
        let token = t.issue_access(Uuid::new_v4(), Uuid::new_v4()).unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = t.verify_access_at(&token, now).unwrap();
        assert_eq!(t.verified.lock().unwrap().len(), 1);
        // Remembered, and judged in time again on every use.
        assert!(t.verify_access_at(&token, now + 60).is_some());
        let late = claims.exp + LEEWAY_SECONDS + 1;
        assert!(t.verify_access_at(&token, late).is_none());
        let early = claims.nbf - LEEWAY_SECONDS - 1;
        assert!(t.verify_access_at(&token, early).is_none());
        // A token differing by one character of its signature is another
        // text: verified afresh, and refused.
        let mut forged = token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(t.verify_access_at(&forged, now).is_none());
        assert_eq!(t.verified.lock().unwrap().len(), 1);
        // A console token is no access token, remembered or not.
        let console = t.issue_console(Uuid::new_v4(), Uuid::new_v4()).unwrap();
        assert!(t.verify_access_at(&console, now).is_none());
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded() {
        let t = tokens();
        let now = jsonwebtoken::get_current_timestamp();
        for _ in 0..VERIFIED_KEPT + 10 {
            let token = t.issue_access(Uuid::new_v4(), Uuid::new_v4()).unwrap();
            assert!(t.verify_access_at(&token, now).is_some());
        }
        assert!(t.verified.lock().unwrap().len() <= VERIFIED_KEPT);
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
    fn console_and_access_tokens_do_not_pass_for_each_other() {
        let t = tokens();
        let (user, sid) = (Uuid::new_v4(), Uuid::new_v4());
        let console = t.issue_console(user, sid).unwrap();
        let access = t.issue_access(user, sid).unwrap();
        assert_eq!(t.verify_console(&console).unwrap().sid, sid);
        assert!(t.verify_access(&console).is_none());
        assert!(t.verify_console(&access).is_none());
    }

    #[test]
    fn csrf_tokens_are_per_session() {
        let t = tokens();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let token = t.csrf_token(a);
        assert!(t.csrf_matches(a, &token));
        assert!(!t.csrf_matches(b, &token));
        assert!(!t.csrf_matches(a, ""));
        assert!(!t.csrf_matches(a, "not hex"));
    }

    #[test]
    fn refresh_tokens_are_long_and_hashed() {
        let (token, hash) = new_refresh_token();
        assert_eq!(token.len(), 43);
        assert_eq!(hash, hash_refresh_token(&token));
        assert_ne!(new_refresh_token().0, token);
    }
}
