//! Pure rules, no I/O: the vocabulary, content and its hash, the workflow,
//! the password policy.

pub mod audit_chain;
pub mod bulletin;
pub mod check;
pub mod content;
pub mod content_hash;
pub mod correction;
pub mod deadline;
pub mod diff;
pub mod draft_facts;
pub mod eligibility;
pub mod escalation;
pub mod password;
pub mod route;
pub mod username;
pub mod vocabulary;
pub mod webhook_format;
pub mod whole_number;
pub mod workflow;
pub mod workflow_cache;
