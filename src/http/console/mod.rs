//! The signing console (网审, SPEC §11): server-rendered pages under
//! `/console/` for people who sign on a phone. Pages, not problem+json;
//! the same use-cases, rules and audit as the API. Every response carries
//! a Content-Security-Policy that allows no script at all and nothing from
//! elsewhere, and may not be framed.

pub mod body;
pub mod forms;
pub mod labels;
pub mod login;
pub mod pages;
pub mod session;
pub mod view;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, Scope, web};
use minijinja::context;

use crate::http::console::view::{ConsoleError, page};
use crate::http::fallback::resource;

/// No scripts, no inline styles, nothing loaded from elsewhere, forms post
/// only here, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The form bodies the console accepts, at most (a return reason of 2,000
/// Chinese characters is 18 KiB url-encoded).
const FORM_LIMIT: usize = 64 * 1024;

/// Every console route, under `/console`.
pub fn scope() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/console")
        .wrap(
            DefaultHeaders::new()
                .add((header::CONTENT_SECURITY_POLICY, CSP))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "no-referrer"))
                // Draft text on a shared phone stays out of caches.
                .add((header::CACHE_CONTROL, "no-store")),
        )
        .app_data(
            web::FormConfig::default()
                .limit(FORM_LIMIT)
                .error_handler(|e, _| {
                    ConsoleError::from(crate::error::ApiError::Malformed(e.to_string())).into()
                }),
        )
        .service(web::redirect("", "/console/tasks").see_other())
        .service(web::redirect("/", "/console/tasks").see_other())
        .service(
            resource("/login", "GET, POST")
                .route(web::get().to(login::form))
                .route(web::post().to(login::submit)),
        )
        .service(resource("/logout", "POST").route(web::post().to(login::logout)))
        .service(resource("/tasks", "GET").route(web::get().to(pages::tasks)))
        .service(resource("/drafts/{id}", "GET").route(web::get().to(pages::draft)))
        .service(resource("/drafts/{id}/sheet", "GET").route(web::get().to(pages::sheet)))
        .service(resource("/drafts/{id}/approve", "POST").route(web::post().to(forms::approve)))
        .service(resource("/drafts/{id}/return", "POST").route(web::post().to(forms::return_)))
        .service(resource("/drafts/{id}/publish", "POST").route(web::post().to(forms::publish)))
        .service(resource("/static/console.css", "GET").route(web::get().to(stylesheet)))
        .service(resource("/static/icon.svg", "GET").route(web::get().to(icon)))
        .default_service(web::to(not_found))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=3600"),
        ))
        .body(include_str!("../../../static/console/console.css"))
}

async fn icon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=86400"),
        ))
        .body(include_str!("../../../static/console/icon.svg"))
}

async fn not_found() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "message.html",
        context! {
            heading => "Not found",
            text => "There is no such page.",
            link => "/console/tasks",
            link_text => "Back to your tasks",
        },
    )
}
