//! Rings the audit chainer after each request that may have committed a
//! change, so its event is linked within milliseconds rather than at the
//! chainer's next idle look, and the webhook sender after each that wrote
//! outbox rows. Reads commit nothing to link (the `/audit/*`
//! reads link their own record before they answer).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let chainer = changes
        .then(|| {
            req.app_data::<web::Data<AppState>>()
                .map(|s| (s.chainer.clone(), s.webhooks.clone()))
        })
        .flatten();
    let (response, wrote_outbox) = crate::db::webhooks::noting_writes(next.call(req)).await;
    // After the handler: its transaction has committed or rolled back.
    if let Some((chainer, webhooks)) = chainer {
        chainer.ring();
        if wrote_outbox {
            // Its outbox rows committed with it: deliver them now.
            webhooks.ring();
        }
    }
    response
}
