//! A statement prepared once per connection though diesel would not cache
//! it. diesel caches no UPDATE, as a changeset may leave out fields and so
//! vary its text, and no `sql_query`, whose text may be built at run time.
//! Wrapped here only where the text is fixed: a changeset that writes NULL
//! for `None` (`treat_none_as_null`), a constant SQL string. The statement
//! cache is keyed by the text (the id is not static), so even a differing
//! text would be a second entry, never a wrong statement.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

#[derive(Debug)]
pub struct FixedText<Q>(pub Q);

impl<Q: Query> Query for FixedText<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for FixedText<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for FixedText<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}
