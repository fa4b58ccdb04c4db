//! argon2id itself: the parameters, one hash into a reused working memory,
//! and the PHC strings stored for passwords. `hashing` runs these on its
//! threads.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1.
pub(super) fn params() -> Result<Params, argon2::Error> {
    Params::new(19 * 1024, 2, 1, None)
}

/// argon2's working memory, allocated once per hashing thread and reused.
pub(super) type Memory = Vec<Block>;

pub(super) fn argon(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Runs argon2 in `memory`, growing it only if `params` need more.
fn derive(
    memory: &mut Memory,
    params: Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), anyhow::Error> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    argon(params)
        .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
        .map_err(|e| anyhow::anyhow!("argon2 failed: {e}"))
}

pub(super) fn hash_with(memory: &mut Memory, password: &str) -> Result<String, anyhow::Error> {
    let params = params()?;
    let salt: [u8; 16] = rand::random();
    let mut out = [0u8; 32];
    derive(memory, params.clone(), password, &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("{e}"))?,
        salt: Some(Salt::new(&salt).map_err(|e| anyhow::anyhow!("{e}"))?),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("{e}"))?),
    };
    Ok(phc.to_string())
}

pub(super) fn verify_with(
    memory: &mut Memory,
    password: &str,
    phc: &str,
) -> Result<bool, anyhow::Error> {
    let unusable = |why: String| anyhow::anyhow!("stored password hash unusable: {why}");
    let parsed = PasswordHash::new(phc).map_err(|e| unusable(e.to_string()))?;
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return Err(unusable("not argon2id".into()));
    }
    let params = Params::try_from(&parsed).map_err(|e| unusable(e.to_string()))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(unusable("no salt or hash".into()));
    };
    let mut out = vec![0u8; expected.len()];
    derive(memory, params, password, salt.as_ref(), &mut out)?;
    // Output's equality is constant-time.
    Ok(Output::new(&out).map_err(|e| unusable(e.to_string()))? == expected)
}
