//! Use-cases of the records of SPEC §9 (auditor reads, each recorded):
//! the register, the monthly bulletin and its renderings, department
//! quotas (admin) and the periodic sweep.

pub mod bulletin;
pub mod bulletin_render;
pub mod quota;
pub mod register;
pub mod sweep;
