//! sanshen: enforces 三审三校 (three reviews, three proofreads) before an
//! institution publishes anything, and keeps a trail no one can rewrite.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod background;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod credentials;
pub mod db;
pub mod domain;
pub mod drafts;
pub mod error;
pub mod http;
pub mod reports;
pub mod startup;
pub mod state;
pub mod webhooks;
