//! `(q1) UNION ALL (q2) …` of queries that each carry their own ORDER BY
//! and LIMIT.
//!
//! diesel's `union_all` combines its own select statements; a branch here
//! is a [`Limited`](crate::db::page_limit::Limited) page, whose LIMIT is in
//! the text so that the generic plan reads it in index order (see
//! `page_limit`), and the number of branches is known only at run time.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// The rows of every branch, in no order across branches: the caller
/// merges them. At least one branch.
#[derive(Debug, Clone)]
pub struct UnionAll<Q>(Vec<Q>);

/// `branches` joined by `UNION ALL`, each in parentheses.
pub fn union_all<Q>(branches: Vec<Q>) -> UnionAll<Q> {
    assert!(!branches.is_empty(), "a union of no query");
    UnionAll(branches)
}

impl<Q: Query> Query for UnionAll<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for UnionAll<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for (i, branch) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_sql(" UNION ALL ");
            }
            out.push_sql("(");
            branch.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        Ok(())
    }
}

// Not static, as the branches' texts differ: diesel keys its statement
// cache by the text.
impl<Q> QueryId for UnionAll<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::db::page_limit::limited;
    use crate::db::schema::drafts;

    #[test]
    fn each_branch_keeps_its_order_and_limit_in_parentheses() {
        let branch = |revision: i32| {
            limited(
                drafts::table
                    .select(drafts::id)
                    .filter(drafts::revision.eq(revision))
                    .order(drafts::id)
                    .into_boxed(),
                51,
            )
        };
        let query = union_all(vec![branch(1), branch(2)]);
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(
            sql.starts_with(r#"(SELECT "drafts"."id" FROM "drafts" WHERE ("drafts"."revision" = $1) ORDER BY "drafts"."id" LIMIT 51) UNION ALL (SELECT"#),
            "{sql}"
        );
        assert!(sql.ends_with(r#"LIMIT 51) -- binds: [1, 2]"#), "{sql}");
        assert!(query.is_safe_to_cache_prepared(&Pg).unwrap());
    }
}
