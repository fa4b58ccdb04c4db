//! `Prefer: return=minimal` (RFC 7240 §4.2) on the six actions: a client
//! that only needs to know the action took (a signer's script, a batch)
//! gets `204 No Content` with the `ETag`, and the server renders no draft.
//! Any other preference, or none, gets the draft as before: a preference
//! is a hint, never an error.

use actix_web::http::header::HeaderName;
use actix_web::{FromRequest, HttpRequest};

/// The response header that says the preference was honoured.
pub const APPLIED: HeaderName = HeaderName::from_static("preference-applied");

/// Whether the client asked for no representation in the response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReturnMinimal(pub bool);

impl ReturnMinimal {
    /// Reads every `Prefer` header: comma-separated preferences, each
    /// `token[=value]` with optional `;parameters`, token case-insensitive,
    /// value possibly quoted. The last `return` preference wins.
    pub fn of(req: &HttpRequest) -> ReturnMinimal {
        let mut minimal = false;
        for value in req.headers().get_all("prefer") {
            let Ok(text) = value.to_str() else { continue };
            for preference in text.split(',') {
                let head = preference.split(';').next().unwrap_or_default();
                let (token, value) = head.split_once('=').unwrap_or((head, ""));
                if token.trim().eq_ignore_ascii_case("return") {
                    minimal = value
                        .trim()
                        .trim_matches('"')
                        .eq_ignore_ascii_case("minimal");
                }
            }
        }
        ReturnMinimal(minimal)
    }
}

impl FromRequest for ReturnMinimal {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(ReturnMinimal::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn prefer(values: &[&str]) -> bool {
        let mut req = TestRequest::default();
        for v in values {
            req = req.append_header(("Prefer", *v));
        }
        ReturnMinimal::of(&req.to_http_request()).0
    }

    #[test]
    fn return_minimal_is_read_in_any_of_its_spellings() {
        assert!(prefer(&["return=minimal"]));
        assert!(prefer(&["RETURN = \"Minimal\""]));
        assert!(prefer(&["handling=lenient, return=minimal; foo=bar"]));
        assert!(prefer(&["respond-async", "return=minimal"]));
    }

    #[test]
    fn anything_else_asks_for_the_draft() {
        assert!(!prefer(&[]));
        assert!(!prefer(&["return=representation"]));
        assert!(!prefer(&["respond-async, wait=5"]));
        assert!(!prefer(&["returnx=minimal"]));
        assert!(!prefer(&["return=minimal, return=representation"]));
        assert!(!prefer(&["minimal"]));
    }
}
