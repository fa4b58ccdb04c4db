//! What a username may be (SPEC §1): 3–64 of A–Z a–z 0–9 _ . -

pub fn is_valid(username: &str) -> bool {
    (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}
