//! The password policy of SPEC §3: 12–128 characters, taken exactly as sent
//! (no trimming, no normalisation), no composition rules, and not a common
//! password.
//!
//! The list (`data/common-passwords.txt`) is the 30 000 most common
//! passwords of the zxcvbn project (Python package zxcvbn 4.5.0,
//! `frequency_lists.passwords`, MIT licence), one per line. A password that
//! is one of them repeated ("passwordpassword") counts as common too.

use std::collections::HashSet;
use std::sync::LazyLock;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("must be at least 12 characters")]
    TooShort,
    #[error("must be at most 128 characters")]
    TooLong,
    #[error("is too common: choose a passphrase of your own")]
    TooCommon,
}

pub fn check_password(candidate: &str) -> Result<(), PasswordProblem> {
    let n = candidate.chars().count();
    if n < MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if n > MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if is_common(&candidate.to_lowercase()) {
        return Err(PasswordProblem::TooCommon);
    }
    Ok(())
}

fn is_common(lower: &str) -> bool {
    if COMMON.contains(lower) {
        return true;
    }
    // A listed password said twice or more is no stronger than once.
    let chars: Vec<char> = lower.chars().collect();
    (1..=chars.len() / 2)
        .filter(|len| chars.len().is_multiple_of(*len))
        .any(|len| {
            let unit = &chars[..len];
            chars.chunks(len).all(|c| c == unit)
                && COMMON.contains(unit.iter().collect::<String>().as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(
            check_password("elevenchars"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_password("长城长江黄河泰山黄山华山"),
            Ok(()),
            "12 characters, 36 bytes"
        );
        assert_eq!(check_password(&"长".repeat(128)), Ok(()));
        assert_eq!(
            check_password(&"长".repeat(129)),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert!(
            COMMON.len() >= 29_000,
            "the shipped list is loaded: {}",
            COMMON.len()
        );
        assert_eq!(
            check_password("qwerty123456"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(
            check_password("1QAZ2WSX3EDC"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(
            check_password("passwordpassword"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(
            check_password("123456123456"),
            Err(PasswordProblem::TooCommon)
        );
    }

    #[test]
    fn spaces_are_kept_and_count() {
        assert_eq!(check_password(" correct horse "), Ok(()));
        assert_eq!(
            check_password("  qwerty123456  "),
            Ok(()),
            "not trimmed, so not the listed one"
        );
    }
}
