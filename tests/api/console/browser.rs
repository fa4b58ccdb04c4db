//! A browser as the console tests need one: a cookie jar, no redirects
//! followed (the tests assert each 303), forms posted url-encoded.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{StatusCode, redirect};

use crate::common::{PASSWORD, TestApp};

pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

/// A response read whole: status, headers, and the page.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden input `name` on the page.
    pub fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} on the page:\n{}", self.html))
            + marker.len();
        let end = self.html[start..].find('"').expect("closing quote") + start;
        self.html[start..end].to_string()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(String::from))
            .collect()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
        }
    }

    /// A browser signed in to the console as `username`.
    pub async fn signed_in(app: &TestApp, username: &str) -> Browser {
        let mut b = Browser::new(app);
        let res = b.login(username, PASSWORD).await;
        assert_eq!(res.status, 303, "console login of {username}: {}", res.html);
        assert_eq!(res.location(), "/console/tasks");
        b
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.field("csrf_token");
        self.post(
            "/console/login",
            &[
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        self.send(req).await
    }

    async fn send(&mut self, mut req: reqwest::RequestBuilder) -> Page {
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(reqwest::header::COOKIE, jar.join("; "));
        }
        let res = req.send().await.expect("request reaches the server");
        let page = Page {
            status: res.status(),
            headers: res.headers().clone(),
            html: res.text().await.expect("body"),
        };
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            if set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        page
    }

    /// The draft page's forms, filled in as a signer would: every check
    /// ticked, the hidden fields as shown.
    pub async fn approve_as_shown(&mut self, draft: &Page, id: uuid::Uuid) -> Page {
        let (csrf, stage, hash) = (
            draft.field("csrf_token"),
            draft.field("stage"),
            draft.field("content_hash"),
        );
        let mut form = vec![
            ("csrf_token", csrf.as_str()),
            ("stage", stage.as_str()),
            ("content_hash", hash.as_str()),
            ("comment", ""),
        ];
        for c in crate::common::newsroom::CHECKS {
            form.push(("checks", c));
        }
        self.post(&format!("/console/drafts/{id}/approve"), &form)
            .await
    }
}
