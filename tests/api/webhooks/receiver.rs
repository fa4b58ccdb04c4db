//! The webhook tests' receiver: a real HTTP server on 127.0.0.1:0 that
//! records each request and answers as told.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use bytes::Bytes;
use serde_json::json;
use tokio::time::Instant;

/// What the receiver does with the n-th request it gets (0-based).
#[derive(Clone, Copy)]
pub enum Behaviour {
    FailFirst,
    AlwaysOk,
    /// Never answers: a receiver that is up but dead.
    Hang,
    /// Sends the caller elsewhere (to itself, `/elsewhere`).
    Redirect,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub path_and_query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// A local HTTP receiver on 127.0.0.1:0, recording every request.
pub struct Receiver {
    pub base: String,
    got: Arc<Mutex<Vec<Received>>>,
    _handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    pub fn start(behaviour: Behaviour) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let recorded = got.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let port = listener.local_addr().expect("addr").port();
        let server = HttpServer::new(move || {
            let recorded = recorded.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: Bytes| {
                let recorded = recorded.clone();
                async move {
                    let mut headers = http::HeaderMap::new();
                    for (name, value) in req.headers() {
                        headers.insert(
                            http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                        );
                    }
                    let n = {
                        let mut got = recorded.lock().unwrap();
                        got.push(Received {
                            path_and_query: req.uri().to_string(),
                            headers,
                            body,
                        });
                        got.len() - 1
                    };
                    match behaviour {
                        Behaviour::FailFirst if n == 0 => {
                            HttpResponse::InternalServerError().finish()
                        }
                        Behaviour::Hang => std::future::pending().await,
                        Behaviour::Redirect => HttpResponse::Found()
                            .insert_header(("location", "/elsewhere"))
                            .finish(),
                        _ => HttpResponse::Ok().json(json!({"errcode": 0, "errmsg": "ok"})),
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            got,
            _handle: handle,
        }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "receiver got {} of {n} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
