//! What a request that no route takes gets: 405 with `Allow` when its path
//! is an endpoint's (the methods come from the OpenAPI document, so from the
//! one route table), otherwise 404; both problem+json.

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, HttpResponse, Resource, web};

use crate::http::error::ApiError;
use crate::http::openapi::document;

/// Each documented path with the value of its `Allow` header.
fn allowed() -> &'static [(ResourceDef, &'static str)] {
    static ALLOWED: OnceLock<Vec<(ResourceDef, &'static str)>> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        document()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    (item.get.is_some(), "GET"),
                    (item.put.is_some(), "PUT"),
                    (item.post.is_some(), "POST"),
                    (item.delete.is_some(), "DELETE"),
                    (item.patch.is_some(), "PATCH"),
                ]
                .into_iter()
                .filter_map(|(present, name)| present.then_some(name))
                .collect();
                // Built once per process from a fixed document, so leaking
                // the few header values costs a bounded few bytes and lets
                // `ApiError` keep a `&'static str`.
                let allow: &'static str = methods.join(", ").leak();
                (ResourceDef::new(path.as_str()), allow)
            })
            .collect()
    })
}

/// The default service of the app (and so of every scope in it).
pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match allowed().iter().find(|(def, _)| def.is_match(req.path())) {
        Some((_, allow)) => Err(ApiError::MethodNotAllowed(allow)),
        None => Err(ApiError::NotFound),
    }
}

/// A resource outside the document whose other methods get a 405 with `Allow`.
pub fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow))
    }))
}
