//! The HTTP server: sanshen's routes and middleware on a listener, for
//! `main` and for the tests.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::http::{self, chain_nudge, request_id};
use crate::state::AppState;

/// How long an idle client connection is kept open.
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(75);

/// The HTTP server on `listener`.
pub fn build_server(
    state: AppState,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        // Runs once on each worker's thread.
        http::build(
            App::new()
                .app_data(web::Data::new(state.for_worker(workers)))
                .wrap(from_fn(chain_nudge::middleware))
                .wrap(from_fn(request_id::middleware)),
        )
    })
    .workers(workers)
    // Longer than the reverse proxies' usual idle timeout (nginx and most
    // balancers keep an upstream connection 60 s), so it is the proxy that
    // closes an idle connection, never sanshen while the proxy sends on it.
    .keep_alive(KEEP_ALIVE)
    .listen(listener)?
    .run();
    Ok(server)
}
