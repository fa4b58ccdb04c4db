//! Conditions that partial indexes are made for, and lists the planner
//! must see, written into the SQL.
//!
//! diesel binds every value, and a prepared statement gets a generic plan
//! after its fifth run: planned for any `$1`, `status = $1` cannot use an
//! index `WHERE status = 'in_review'`, and the planner, guessing a third of
//! the table, scans it. At a year's scale the generic plan of `/tasks`
//! read all 200,000 drafts in parallel (36 ms, p50 148 ms under load).
//! With the value in the text, every plan knows it.
//!
//! The value goes in as a [`Constant`], not diesel's `sql()`: a query
//! holding `sql()` is never cached, so it was parsed and planned anew on
//! every call (0.3–2.7 ms for `/tasks`' probe at a year's scale).

use diesel::dsl::Eq;
use diesel::expression::is_aggregate;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Text};

use crate::db::schema::{drafts, webhook_deliveries};
use crate::domain::vocabulary::Stage;

/// A text constant of this module written into the SQL as a literal. The
/// statement's text never varies with it, so diesel may keep the statement
/// prepared (keyed by its text, as the id is not static).
#[derive(Debug, Clone, Copy)]
pub struct Constant(&'static str);

impl Expression for Constant {
    type SqlType = Text;
}

impl<QS> AppearsOnTable<QS> for Constant {}

impl<QS> SelectableExpression<QS> for Constant {}

impl<GB> ValidGrouping<GB> for Constant {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for Constant {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Constant {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Only this module's constants come here; none holds a quote.
        debug_assert!(!self.0.contains('\''));
        out.push_sql("'");
        out.push_sql(self.0);
        out.push_sql("'");
        Ok(())
    }
}

/// `value` in the SQL text: for a list whose length the planner must know
/// (see `draft_lists`' sighted roles).
pub(crate) fn constant(value: &'static str) -> Constant {
    Constant(value)
}

/// `drafts.status = 'in_review'`: the predicate of `drafts_in_review` and
/// the deadline index.
pub fn in_review() -> Eq<drafts::status, Constant> {
    drafts::status.eq(Constant("in_review"))
}

/// `ARRAY['<stage>']`: a one-stage array written as a literal, for the
/// per-stage indexes' `current_stages @> ARRAY['<stage>']`.
#[derive(Debug, Clone, Copy)]
pub struct StageArray(Stage);

impl Expression for StageArray {
    type SqlType = Array<Text>;
}

impl<QS> AppearsOnTable<QS> for StageArray {}

impl<QS> SelectableExpression<QS> for StageArray {}

impl<GB> ValidGrouping<GB> for StageArray {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for StageArray {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for StageArray {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("ARRAY['");
        out.push_sql(self.0.as_str());
        out.push_sql("']");
        Ok(())
    }
}

/// `drafts.current_stages @> ARRAY['<stage>']`: the predicate of that
/// stage's `drafts_open_<stage>` index (migrations 000150 and 000170),
/// which lists the drafts at it newest first.
pub fn open_at(stage: Stage) -> diesel::dsl::Contains<drafts::current_stages, StageArray> {
    drafts::current_stages.contains(StageArray(stage))
}

/// `webhook_deliveries.status = 'pending'`: the predicate of
/// `webhook_deliveries_due`.
pub fn pending() -> Eq<webhook_deliveries::status, Constant> {
    webhook_deliveries::status.eq(Constant("pending"))
}

#[cfg(test)]
mod tests {
    use diesel::query_builder::QueryFragment;
    use uuid::Uuid;

    use super::*;
    use crate::db::draft_lists::{DraftFilter, page_query};
    use crate::db::task_lists::tasks_query;

    /// diesel prepares a statement once per connection only if it is safe
    /// to cache; `sql()` made `/tasks` and the stage filter plan every call.
    #[test]
    fn queries_with_the_conditions_stay_cacheable() {
        let someone = Uuid::new_v4();
        let by_stage = DraftFilter {
            stage: Some(Stage::Review2),
            ..DraftFilter::default()
        };
        fn cacheable(q: impl QueryFragment<Pg>) -> bool {
            q.is_safe_to_cache_prepared(&Pg).unwrap()
        }
        assert!(cacheable(tasks_query(someone, &Stage::ALL, None, 51)));
        assert!(cacheable(page_query(someone, false, &by_stage, None, 51)));
        assert!(cacheable(
            drafts::table.filter(in_review()).select(drafts::id)
        ));
        assert!(cacheable(
            webhook_deliveries::table
                .filter(pending())
                .select(webhook_deliveries::id)
        ));
    }

    #[test]
    fn the_constant_is_written_into_the_text() {
        let sql =
            diesel::debug_query::<Pg, _>(&drafts::table.filter(in_review()).select(drafts::id))
                .to_string();
        assert!(sql.contains(r#""drafts"."status" = 'in_review'"#), "{sql}");
        assert!(sql.ends_with("-- binds: []"), "{sql}");
    }

    /// The visibility rule's roles are in the text: bound as an array of
    /// unknown length, they made the generic plan of a signer's page cost
    /// a fifth more than the custom ones, and PostgreSQL planned every call.
    #[test]
    fn a_signers_page_names_the_sighted_roles_in_its_text() {
        let query = page_query(Uuid::new_v4(), false, &DraftFilter::default(), None, 51);
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(
            sql.contains(
                r#""grants"."role" = ANY(ARRAY['publisher', 'review_1', 'review_2', 'review_3', 'proofread_1', 'proofread_2', 'proofread_3', 'leader'])"#
            ),
            "{sql}"
        );
        let binds = sql.split("-- binds: ").nth(1).unwrap_or_default();
        assert!(!binds.contains("publisher"), "{sql}");
    }

    #[test]
    fn the_stage_is_written_as_the_index_predicate_has_it() {
        let query = drafts::table
            .filter(open_at(Stage::Proofread2))
            .select(drafts::id);
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(
            sql.contains(r#""drafts"."current_stages" @> ARRAY['proofread_2']"#),
            "{sql}"
        );
        assert!(sql.ends_with("-- binds: []"), "{sql}");
    }
}
