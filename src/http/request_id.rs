//! Gives every request an id: on the response as `x-request-id`, in the
//! tracing span, and to handlers (for audit events) via `RequestMeta`.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use std::net::IpAddr;
use tracing::Instrument;
use uuid::Uuid;

use crate::config::TrustedProxies;
use crate::state::AppState;

pub const HEADER: &str = "x-request-id";

#[derive(Debug, Clone, Copy)]
pub struct RequestId(pub Uuid);

/// Who asked, from where: what an audit event records of a request.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    /// The client: the TCP peer, or, when the peer is a trusted proxy
    /// (`SANSHEN_TRUSTED_PROXIES`), the address it forwarded. What login
    /// throttling keys on and what audit events record.
    pub ip: Option<String>,
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = Uuid::new_v4();
    req.extensions_mut().insert(RequestId(id));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let result = next.call(req).instrument(span.clone()).await;
    // Handlers turn their errors into responses, so an Err here comes only
    // from a middleware and carries no response to stamp.
    let mut response = result?.map_into_boxed_body();
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "done"));
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(RequestMeta::of(req)))
    }
}

impl RequestMeta {
    pub fn origin(&self) -> crate::db::audit_log::Origin {
        crate::db::audit_log::Origin {
            request_id: Some(self.request_id.clone()),
            ip: self.ip.clone(),
        }
    }

    pub fn of(req: &HttpRequest) -> RequestMeta {
        let id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0)
            .unwrap_or_else(Uuid::new_v4);
        let peer = req.peer_addr().map(|a| a.ip());
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.trusted_proxies.clone())
            .unwrap_or_default();
        let forwarded = req.headers().get_all(FORWARDED_FOR);
        let ip = client_address(peer, forwarded.map(|v| v.to_str().unwrap_or("")), &trusted);
        RequestMeta {
            request_id: id.to_string(),
            ip: ip.map(|ip| ip.to_string()),
        }
    }
}

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address. Each proxy appends the address it received the
/// request from, so the list is read from the right: the first address that
/// is not itself a trusted proxy is the client as far as anyone we trust can
/// vouch; what lies left of it was written by the client and may be forged.
/// An untrusted peer's header is ignored, and so is a garbled one.
pub fn client_address<'a>(
    peer: Option<IpAddr>,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer.map(|ip| ip.to_canonical());
    if !peer.is_some_and(|ip| trusted.contains(ip)) {
        return peer;
    }
    // Several headers count as one list, in order (RFC 9110 §5.3).
    let hops: Vec<&str> = forwarded
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            return peer;
        };
        let ip = ip.to_canonical();
        client = Some(ip);
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies() -> TrustedProxies {
        TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap()
    }

    fn client(peer: &str, headers: &[&str]) -> Option<String> {
        client_address(
            Some(peer.parse().unwrap()),
            headers.iter().copied(),
            &proxies(),
        )
        .map(|ip| ip.to_string())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(
            client("203.0.113.9", &["198.51.100.1"]).unwrap(),
            "203.0.113.9"
        );
        let none = TrustedProxies::default();
        let ip = client_address(
            Some("10.0.0.1".parse().unwrap()),
            ["1.2.3.4"].into_iter(),
            &none,
        );
        assert_eq!(ip.unwrap().to_string(), "10.0.0.1");
    }

    #[test]
    fn a_trusted_peer_names_the_right_most_untrusted_address() {
        assert_eq!(
            client("10.0.0.2", &["198.51.100.1"]).unwrap(),
            "198.51.100.1"
        );
        // The client wrote 6.6.6.6 itself; the balancer appended what it saw.
        assert_eq!(
            client("10.0.0.2", &["6.6.6.6, 198.51.100.1, 10.1.2.3"]).unwrap(),
            "198.51.100.1"
        );
        assert_eq!(
            client("127.0.0.1", &["6.6.6.6", "198.51.100.1,10.9.9.9"]).unwrap(),
            "198.51.100.1"
        );
        assert_eq!(
            client("10.0.0.2", &[" 2001:db8::7 "]).unwrap(),
            "2001:db8::7"
        );
    }

    #[test]
    fn only_proxies_in_the_list_means_the_left_most() {
        assert_eq!(
            client("10.0.0.2", &["10.3.3.3, 10.4.4.4"]).unwrap(),
            "10.3.3.3"
        );
    }

    #[test]
    fn a_trusted_peer_without_or_with_a_garbled_header_is_the_client() {
        assert_eq!(client("10.0.0.2", &[]).unwrap(), "10.0.0.2");
        assert_eq!(
            client("10.0.0.2", &["198.51.100.1, unknown"]).unwrap(),
            "10.0.0.2"
        );
        assert_eq!(client("10.0.0.2", &[""]).unwrap(), "10.0.0.2");
        assert_eq!(
            client("10.0.0.2", &["198.51.100.1:443"]).unwrap(),
            "10.0.0.2"
        );
    }

    #[test]
    fn an_ipv4_mapped_peer_is_the_ipv4_address() {
        assert_eq!(
            client("::ffff:10.0.0.2", &["198.51.100.1"]).unwrap(),
            "198.51.100.1"
        );
        assert_eq!(
            client("::ffff:203.0.113.9", &["1.1.1.1"]).unwrap(),
            "203.0.113.9"
        );
    }
}
