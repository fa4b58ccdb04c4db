//! Conditions that partial indexes are made for, written into the SQL.
//!
//! diesel binds every value, and a prepared statement gets a generic plan
//! after its fifth run: planned for any `$1`, `status = $1` cannot use an
//! index `WHERE status = 'in_review'`, and the planner, guessing a third of
//! the table, scans it. At a year's scale the generic plan of `/tasks`
//! read all 200,000 drafts in parallel (36 ms, p50 148 ms under load).
//! With the value in the text, every plan knows it.

use diesel::dsl::{Eq, sql};
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{drafts, webhook_deliveries};

fn literal(value: &'static str) -> SqlLiteral<Text> {
    // Only this module's constants come here; none holds a quote.
    debug_assert!(!value.contains('\''));
    sql::<Text>(&format!("'{value}'"))
}

/// `drafts.status = 'in_review'`: the predicate of `drafts_tasks`,
/// `drafts_in_review`, `drafts_by_stages` and the deadline index.
pub fn in_review() -> Eq<drafts::status, SqlLiteral<Text>> {
    drafts::status.eq(literal("in_review"))
}

/// `webhook_deliveries.status = 'pending'`: the predicate of
/// `webhook_deliveries_due`.
pub fn pending() -> Eq<webhook_deliveries::status, SqlLiteral<Text>> {
    webhook_deliveries::status.eq(literal("pending"))
}
