//! Whole numbers in request bodies. JSON Schema's `integer` admits `2.0`
//! as well as `2`, and clients that hold every number as a double send the
//! former, so both are read alike; a fraction is a clear error, and a whole
//! number beyond `i64` saturates so that the caller's range check names it.

use serde::de::Error;
use serde::{Deserialize, Deserializer};

/// `#[serde(deserialize_with = "whole_number::required")]`
pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    of(&n).ok_or_else(|| D::Error::custom(format!("{n} is not a whole number")))
}

/// `#[serde(default, deserialize_with = "whole_number::optional")]`
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<serde_json::Number>::deserialize(d)?
        .map(|n| of(&n).ok_or_else(|| D::Error::custom(format!("{n} is not a whole number"))))
        .transpose()
}

fn of(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    // `as` saturates: 1e300 becomes i64::MAX, out of every range.
    n.as_f64()
        .filter(|f| f.is_finite() && f.fract() == 0.0)
        .map(|f| f as i64)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::required")]
        n: i64,
        #[serde(default, deserialize_with = "super::optional")]
        m: Option<i64>,
    }

    fn read(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_in_either_spelling() {
        let b = read(r#"{"n": 2.0, "m": -3}"#).unwrap();
        assert_eq!((b.n, b.m), (2, Some(-3)));
        let b = read(r#"{"n": 18446744073709551615}"#).unwrap();
        assert_eq!((b.n, b.m), (i64::MAX, None));
        assert_eq!(read(r#"{"n": -1e300}"#).unwrap().n, i64::MIN);
        assert_eq!(read(r#"{"n": 1, "m": null}"#).unwrap().m, None);
    }

    #[test]
    fn fractions_and_other_types_are_refused() {
        assert!(
            read(r#"{"n": 2.5}"#)
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(read(r#"{"n": 1, "m": 0.1}"#).is_err());
        assert!(read(r#"{"n": "2"}"#).is_err());
    }
}
