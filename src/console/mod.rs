//! The signing console's glue (SPEC §11): cookie sessions on the API's
//! server sessions, and the draft page's read model. Every rule it applies
//! is the API's: it calls `auth::sessions`, `drafts::reads`,
//! `drafts::actions::perform` and asks `domain::workflow::decide`.

pub mod pages;
pub mod session;
