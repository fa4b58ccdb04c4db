//! HTTP: one module per resource, the error mapping, and the route table:
//! each endpoint is listed once, in `api`, which registers its route and
//! its operation in the OpenAPI document together.

pub mod audit;
pub mod audit_lookup;
pub mod auth;
pub mod catalog;
pub mod chain_nudge;
pub mod check;
pub mod console;
pub mod delegations;
pub mod drafts;
pub mod error;
pub mod extractors;
pub mod fallback;
pub mod grants;
pub mod health;
pub mod json;
pub mod lexicons;
pub mod openapi;
pub mod pagination;
pub mod prefer;
pub mod problems;
pub mod quota;
pub mod reports;
pub mod request_id;
pub mod server;
pub mod sweep;
pub mod users;
pub mod webhooks;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::http::error::ApiError;

/// Every endpoint, once. `#[actix_web::get("/…")]` on a handler gives its
/// method and path; `#[utoipa::path]` above it gives its operation.
pub fn api(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            scope("/api/v1")
                .service(audit::events)
                .service(audit::export)
                .service(audit::verify)
                .service(audit_lookup::lookup)
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::change_password)
                .service(delegations::create)
                .service(delegations::list)
                .service(delegations::revoke)
                .service(users::list)
                .service(users::create)
                .service(users::get)
                .service(users::update)
                .service(users::reset_password)
                .service(grants::list_grants)
                .service(grants::create_grant)
                .service(grants::delete_grant)
                .service(catalog::list_departments)
                .service(catalog::create_department)
                .service(catalog::list_channels)
                .service(catalog::create_channel)
                .service(catalog::get_workflow)
                .service(catalog::put_workflow)
                .service(drafts::read::list)
                .service(drafts::create::create)
                .service(drafts::read::get)
                .service(drafts::edit::edit)
                .service(drafts::actions::submit)
                .service(drafts::actions::approve)
                .service(drafts::actions::return_)
                .service(drafts::actions::withdraw)
                .service(drafts::actions::publish)
                .service(drafts::actions::retract)
                .service(drafts::risk::set_risk)
                .service(drafts::revisions::revisions)
                .service(drafts::revisions::revision)
                .service(drafts::revisions::diff)
                .service(drafts::comments::comments)
                .service(drafts::comments::add_comment)
                .service(drafts::trail::trail)
                .service(drafts::read::tasks)
                .service(quota::set_quota)
                .service(reports::register)
                .service(reports::bulletin)
                .service(sweep::sweep)
                .service(webhooks::create)
                .service(webhooks::list)
                .service(webhooks::remove)
                .service(webhooks::deliveries)
                .service(check::preflight)
                .service(check::stored)
                .service(lexicons::create_lexicon)
                .service(lexicons::list_lexicons)
                .service(lexicons::replace_entries)
                .service(lexicons::list_entries)
                .service(drafts::corrections::correct)
                .service(drafts::sheet::sheet),
        );
}

/// `app` with every route: the endpoints of `api`, the OpenAPI document,
/// Swagger UI, and the fallback that answers 405 (with `Allow`) for a
/// known path and 404 for any other. `server::build_server` and the tests share it.
pub fn build<T, B>(app: App<T>) -> App<T>
where
    B: MessageBody + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        >,
{
    let app = app
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| ApiError::Malformed(e.to_string()).into()),
        )
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
        .into_utoipa_app()
        .configure(api)
        .into_app();
    // The signing console: HTML pages, outside the OpenAPI document.
    app.service(console::scope())
        .service(fallback::resource("/openapi.json", "GET").route(web::get().to(openapi_json)))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/api-docs/openapi.json", openapi::document().clone()),
        )
        .service(web::redirect("/docs", "/docs/"))
        .default_service(web::to(fallback::fallback))
}

async fn openapi_json() -> Result<HttpResponse, ApiError> {
    let body = openapi::document_json().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}
