//! Gives every request an id: on the response as `x-request-id`, in the
//! tracing span, and to handlers (for audit events) via `RequestMeta`.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use tracing::Instrument;
use uuid::Uuid;

pub const HEADER: &str = "x-request-id";

#[derive(Debug, Clone, Copy)]
pub struct RequestId(pub Uuid);

/// Who asked, from where: what an audit event records of a request.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    /// The TCP peer. Forwarded headers are not trusted: a client could set
    /// them to dodge login throttling or forge the audit trail.
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
    pub fn origin(&self) -> crate::audit::Origin {
        crate::audit::Origin {
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
        RequestMeta {
            request_id: id.to_string(),
            ip: req.peer_addr().map(|a| a.ip().to_string()),
        }
    }
}
