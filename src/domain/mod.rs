//! Pure rules, no I/O: the vocabulary, content and its hash, the workflow,
//! the password policy.

pub mod content;
pub mod content_hash;
pub mod password;
pub mod vocabulary;
pub mod workflow;
