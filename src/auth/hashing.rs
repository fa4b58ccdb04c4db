//! argon2id password hashing, off the request threads.
//!
//! Hashing runs on tokio's blocking pool behind a semaphore sized below the
//! core count, so a login storm queues for argon2 instead of starving every
//! other request of CPU.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Result<Argon2<'static>, argon2::Error> {
    let params = Params::new(19 * 1024, 2, 1, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that an unknown
    /// user costs the same argon2 time as a wrong password.
    dummy: Arc<str>,
}

impl Hasher {
    pub fn new() -> Result<Hasher, anyhow::Error> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let dummy = hash_now("sanshen-dummy-password-for-timing")?;
        Ok(Hasher {
            permits: Arc::new(Semaphore::new((cores / 2).max(1))),
            dummy: dummy.into(),
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, anyhow::Error> {
        let _permit = self.permits.acquire().await?;
        tokio::task::spawn_blocking(move || hash_now(&password)).await?
    }

    /// True when `password` matches `phc`; with no `phc`, spends the same
    /// time on the dummy hash and answers false.
    pub async fn verify(
        &self,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, anyhow::Error> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.to_string());
        let _permit = self.permits.acquire().await?;
        let matches = tokio::task::spawn_blocking(move || verify_now(&password, &phc)).await??;
        Ok(known && matches)
    }
}

fn hash_now(password: &str) -> Result<String, anyhow::Error> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
    Ok(hash.to_string())
}

fn verify_now(password: &str, phc: &str) -> Result<bool, anyhow::Error> {
    let argon2 = argon2()?;
    match argon2.verify_password(password.as_bytes(), phc) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("stored password hash unusable: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let hasher = Hasher::new().unwrap();
        let phc = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            hasher
                .verify("correct horse battery".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("correct horse battery ".into(), Some(phc))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let hasher = Hasher::new().unwrap();
        assert!(
            !hasher
                .verify("sanshen-dummy-password-for-timing".into(), None)
                .await
                .unwrap()
        );
    }
}
