//! HTTP: one module per resource, the error mapping, and the route table.

pub mod audit;
pub mod audit_lookup;
pub mod auth;
pub mod catalog;
pub mod chain_nudge;
pub mod draft_reads;
pub mod drafts;
pub mod error;
pub mod extractors;
pub mod health;
pub mod json;
pub mod openapi;
pub mod pagination;
pub mod problems;
pub mod request_id;
pub mod users;

use actix_web::{HttpResponse, Resource, web};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::error::ApiError;

/// Every route of the server; `build_app` and the tests share it.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default().error_handler(|e, _| ApiError::Malformed(e.to_string()).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
    .service(resource("/healthz", "GET").route(web::get().to(health::healthz)))
    .service(resource("/readyz", "GET").route(web::get().to(health::readyz)))
    .service(resource("/openapi.json", "GET").route(web::get().to(openapi_json)))
    .service(
        SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", openapi::ApiDoc::openapi()),
    )
    .service(web::redirect("/docs", "/docs/"))
    .service(
        web::scope("/api/v1")
            .configure(audit::routes)
            .service(resource("/auth/login", "POST").route(web::post().to(auth::login)))
            .service(resource("/auth/refresh", "POST").route(web::post().to(auth::refresh)))
            .service(resource("/auth/logout", "POST").route(web::post().to(auth::logout)))
            .service(resource("/me", "GET").route(web::get().to(auth::me)))
            .service(resource("/me/password", "POST").route(web::post().to(auth::change_password)))
            .service(
                resource("/users", "GET, POST")
                    .route(web::get().to(users::list))
                    .route(web::post().to(users::create)),
            )
            .service(
                resource("/users/{id}", "GET, PATCH")
                    .route(web::get().to(users::get))
                    .route(web::patch().to(users::update)),
            )
            .service(
                resource("/users/{id}/password", "POST")
                    .route(web::post().to(users::reset_password)),
            )
            .service(
                resource("/users/{id}/grants", "GET, POST")
                    .route(web::get().to(users::list_grants))
                    .route(web::post().to(users::create_grant)),
            )
            .service(
                resource("/users/{id}/grants/{grant_id}", "DELETE")
                    .route(web::delete().to(users::delete_grant)),
            )
            .service(
                resource("/departments", "GET, POST")
                    .route(web::get().to(catalog::list_departments))
                    .route(web::post().to(catalog::create_department)),
            )
            .service(
                resource("/channels", "GET, POST")
                    .route(web::get().to(catalog::list_channels))
                    .route(web::post().to(catalog::create_channel)),
            )
            .service(
                resource("/drafts", "GET, POST")
                    .route(web::get().to(drafts::list))
                    .route(web::post().to(drafts::create)),
            )
            .service(resource("/drafts/{id}", "GET").route(web::get().to(drafts::get)))
            .service(resource("/drafts/{id}/content", "PUT").route(web::put().to(drafts::edit)))
            .service(resource("/drafts/{id}/submit", "POST").route(web::post().to(drafts::submit)))
            .service(
                resource("/drafts/{id}/approve", "POST").route(web::post().to(drafts::approve)),
            )
            .service(resource("/drafts/{id}/return", "POST").route(web::post().to(drafts::return_)))
            .service(
                resource("/drafts/{id}/withdraw", "POST").route(web::post().to(drafts::withdraw)),
            )
            .service(
                resource("/drafts/{id}/publish", "POST").route(web::post().to(drafts::publish)),
            )
            .service(
                resource("/drafts/{id}/retract", "POST").route(web::post().to(drafts::retract)),
            )
            .service(
                resource("/drafts/{id}/revisions", "GET")
                    .route(web::get().to(draft_reads::revisions)),
            )
            .service(
                resource("/drafts/{id}/revisions/{n}", "GET")
                    .route(web::get().to(draft_reads::revision)),
            )
            .service(resource("/drafts/{id}/diff", "GET").route(web::get().to(draft_reads::diff)))
            .service(
                resource("/drafts/{id}/comments", "GET, POST")
                    .route(web::get().to(draft_reads::comments))
                    .route(web::post().to(draft_reads::add_comment)),
            )
            .service(resource("/drafts/{id}/trail", "GET").route(web::get().to(draft_reads::trail)))
            .service(resource("/tasks", "GET").route(web::get().to(draft_reads::tasks)))
            .service(
                resource("/channels/{code}/workflow", "GET, PUT")
                    .route(web::get().to(catalog::get_workflow))
                    .route(web::put().to(catalog::put_workflow)),
            ),
    );
}

/// A resource whose other methods get a problem+json 405 with `Allow`.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow))
    }))
}

async fn openapi_json() -> Result<HttpResponse, ApiError> {
    let body = openapi::document_json().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
