//! The integration tests, in one binary: the crate is linked once, not once
//! per file, and one throwaway PostgreSQL cluster serves the whole run (each
//! test still gets a database of its own, cloned from a migrated template).
//! One module per area; the helpers they share live in `common`, once.

mod common;

mod admin;
mod audit;
mod audit_chainer;
mod audit_export;
mod audit_window;
mod auth;
mod authorization;
mod bulletin;
mod check;
mod concurrency;
mod console;
mod corrections;
mod deadlines;
mod delegations;
mod embedded_cluster;
mod embedded_server;
mod generic_plans;
mod hardening;
mod instances;
mod lexicons;
mod list_titles;
mod login_queue;
mod operations;
mod plans;
mod property;
mod quota;
mod reads;
mod register;
mod routes;
mod sheet;
mod sources;
mod stage_plans;
mod sweep;
mod tasks_rule;
mod webhooks;
mod workflow;
