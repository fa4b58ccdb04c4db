//! Webhooks (SPEC §8): the admin's subscriptions and their delivery log
//! (`admin`), and the background sender (`sender`). The outbox rows are
//! written by `db::audit_log::append`, in each change's own transaction.

pub mod admin;
pub mod sender;
