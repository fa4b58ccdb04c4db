//! HTTP: one module per resource, the error mapping, and the route table.

pub mod audit;
pub mod audit_lookup;
pub mod auth;
pub mod catalog;
pub mod draft_reads;
pub mod draft_views;
pub mod drafts;
pub mod error;
pub mod health;
pub mod json;
pub mod openapi;
pub mod pagination;
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
    .service(resource("/healthz").route(web::get().to(health::healthz)))
    .service(resource("/readyz").route(web::get().to(health::readyz)))
    .service(resource("/openapi.json").route(web::get().to(openapi_json)))
    .service(
        SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", openapi::ApiDoc::openapi()),
    )
    .service(web::redirect("/docs", "/docs/"))
    .service(
        web::scope("/api/v1")
            .configure(audit::routes)
            .service(resource("/auth/login").route(web::post().to(auth::login)))
            .service(resource("/auth/refresh").route(web::post().to(auth::refresh)))
            .service(resource("/auth/logout").route(web::post().to(auth::logout)))
            .service(resource("/me").route(web::get().to(auth::me)))
            .service(resource("/me/password").route(web::post().to(auth::change_password)))
            .service(
                resource("/users")
                    .route(web::get().to(users::list))
                    .route(web::post().to(users::create)),
            )
            .service(
                resource("/users/{id}")
                    .route(web::get().to(users::get))
                    .route(web::patch().to(users::update)),
            )
            .service(resource("/users/{id}/password").route(web::post().to(users::reset_password)))
            .service(
                resource("/users/{id}/grants")
                    .route(web::get().to(users::list_grants))
                    .route(web::post().to(users::create_grant)),
            )
            .service(
                resource("/users/{id}/grants/{grant_id}")
                    .route(web::delete().to(users::delete_grant)),
            )
            .service(
                resource("/departments")
                    .route(web::get().to(catalog::list_departments))
                    .route(web::post().to(catalog::create_department)),
            )
            .service(
                resource("/channels")
                    .route(web::get().to(catalog::list_channels))
                    .route(web::post().to(catalog::create_channel)),
            )
            .service(
                resource("/drafts")
                    .route(web::get().to(drafts::list))
                    .route(web::post().to(drafts::create)),
            )
            .service(resource("/drafts/{id}").route(web::get().to(drafts::get)))
            .service(resource("/drafts/{id}/content").route(web::put().to(drafts::edit)))
            .service(resource("/drafts/{id}/submit").route(web::post().to(drafts::submit)))
            .service(resource("/drafts/{id}/approve").route(web::post().to(drafts::approve)))
            .service(resource("/drafts/{id}/return").route(web::post().to(drafts::return_)))
            .service(resource("/drafts/{id}/withdraw").route(web::post().to(drafts::withdraw)))
            .service(resource("/drafts/{id}/publish").route(web::post().to(drafts::publish)))
            .service(resource("/drafts/{id}/retract").route(web::post().to(drafts::retract)))
            .service(
                resource("/drafts/{id}/revisions").route(web::get().to(draft_reads::revisions)),
            )
            .service(
                resource("/drafts/{id}/revisions/{n}").route(web::get().to(draft_reads::revision)),
            )
            .service(resource("/drafts/{id}/diff").route(web::get().to(draft_reads::diff)))
            .service(
                resource("/drafts/{id}/comments")
                    .route(web::get().to(draft_reads::comments))
                    .route(web::post().to(draft_reads::add_comment)),
            )
            .service(resource("/drafts/{id}/trail").route(web::get().to(draft_reads::trail)))
            .service(resource("/tasks").route(web::get().to(draft_reads::tasks)))
            .service(
                resource("/channels/{code}/workflow")
                    .route(web::get().to(catalog::get_workflow))
                    .route(web::put().to(catalog::put_workflow)),
            ),
    );
}

/// A resource whose unknown methods get a problem+json 405.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
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

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}
