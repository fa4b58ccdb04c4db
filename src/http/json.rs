//! `ApiJson<T>`: the JSON body extractor every handler uses, so that media
//! type, size, syntax, unknown fields and NUL characters are refused the same
//! way everywhere, before a handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

pub const BODY_LIMIT: usize = 1024 * 1024;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media = check_media_type(req);
        let declared = declared_length(req);
        let mut payload = payload.take();
        Box::pin(async move {
            media?;
            if declared.is_some_and(|n| n > BODY_LIMIT) {
                return Err(ApiError::PayloadTooLarge(BODY_LIMIT));
            }
            let body = read_limited(&mut payload).await?;
            parse(&body).map(ApiJson)
        })
    }
}

/// Like `ApiJson`, but an empty body (with any or no media type), or JSON
/// `null`, is `T::default()`: for actions whose fields are all optional,
/// such as withdraw.
pub struct ApiJsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for ApiJsonOrEmpty<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media = check_media_type(req);
        let mut payload = payload.take();
        Box::pin(async move {
            let body = read_limited(&mut payload).await?;
            if body.trim_ascii().is_empty() {
                return Ok(ApiJsonOrEmpty(T::default()));
            }
            media?;
            if body.trim_ascii() == b"null" {
                return Ok(ApiJsonOrEmpty(T::default()));
            }
            parse(&body).map(ApiJsonOrEmpty)
        })
    }
}

/// Reads the body, refusing it as soon as it passes the limit.
pub async fn read_limited(payload: &mut Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Malformed(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge(BODY_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let Unambiguous(value) = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(format!("invalid JSON: {e}")))?;
    // serde would read an array positionally into a struct: `["portal", …]`
    // must not become a draft. Every request body here is an object.
    if !value.is_object() {
        return Err(ApiError::Malformed("the body must be a JSON object".into()));
    }
    if let Some(path) = find_nul(&value, "") {
        let field = if path.is_empty() {
            "body".to_string()
        } else {
            path
        };
        return Err(ApiError::validation(
            &field,
            "must not contain NUL characters",
        ));
    }
    serde_json::from_value(value).map_err(|e| ApiError::Malformed(e.to_string()))
}

/// A JSON value that can be read only one way: an object naming a key twice
/// is refused, where `serde_json::Value` would silently keep the last one
/// (`{"channel":"wechat_official","channel":"portal"}` made a portal draft).
struct Unambiguous(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Unambiguous {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnambiguousVisitor).map(Unambiguous)
    }
}

struct UnambiguousVisitor;

impl<'de> serde::de::Visitor<'de> for UnambiguousVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Unambiguous(value) = map.next_value()?;
            if object.insert(key.clone(), value).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "the key \"{key}\" appears twice in one object"
                )));
            }
        }
        Ok(serde_json::Value::Object(object))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unambiguous(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn check_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    match req.mime_type() {
        Ok(Some(m))
            if m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")) =>
        {
            Ok(())
        }
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// PostgreSQL text cannot hold NUL, and SPEC §1 forbids it anywhere, so it is
/// caught here with the field's path rather than as a database error.
fn find_nul(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                find_nul(v, &here)
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        username: String,
    }

    #[test]
    fn unknown_fields_are_malformed() {
        let err = parse::<Login>(br#"{"username":"a","x":1}"#).unwrap_err();
        assert_eq!(err.code(), "malformed_request");
    }

    #[test]
    fn a_key_named_twice_is_malformed_at_any_depth() {
        let err = parse::<Login>(br#"{"username":"a","username":"b"}"#).unwrap_err();
        assert_eq!(err.code(), "malformed_request");
        let err = parse::<serde_json::Value>(br#"{"a":[{"b":1,"b":1}]}"#).unwrap_err();
        assert_eq!(err.code(), "malformed_request");
        let fine = parse::<serde_json::Value>(br#"{"a":{"b":1},"c":{"b":1.5}}"#).unwrap();
        assert_eq!(fine["c"]["b"], 1.5);
    }

    #[test]
    fn an_array_in_place_of_the_object_is_malformed() {
        let err = parse::<Login>(br#"["a"]"#).unwrap_err();
        assert_eq!(err.code(), "malformed_request");
    }

    #[test]
    fn nul_is_a_validation_error_naming_the_field() {
        let err = parse::<Login>(br#"{"username":"a\u0000b"}"#).unwrap_err();
        match err {
            ApiError::Validation(p) => assert_eq!(p[0].field, "username"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_not_nul() {
        assert!(parse::<Login>(br#"{"username":"a\\u0000b"}"#).is_ok());
    }
}
