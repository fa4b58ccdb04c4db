//! A statement prepared once per connection though diesel would not cache
//! it. diesel caches no UPDATE, as a changeset may leave out fields and so
//! vary its text, and no `sql_query`, whose text may be built at run time.
//! Wrapped here only where the text is fixed: a changeset that writes NULL
//! for `None` (`treat_none_as_null`), a constant SQL string. The statement
//! cache is keyed by the text (the id is not static), so even a differing
//! text would be a second entry, never a wrong statement.

use std::sync::OnceLock;

use diesel::QueryResult;
use diesel::pg::{Pg, PgQueryBuilder};
use diesel::query_builder::{AstPass, Query, QueryBuilder, QueryFragment, QueryId};

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

/// A query whose text never varies, written once per process: diesel-async
/// writes the SQL of every query it runs, even one its statement cache
/// already holds, and on a draft's read that writing was 12 % of the
/// server's CPU (docs/benchmarks.md round nine). Made with `prebuilt!`,
/// which keeps the text in a static of the call site; only for a query
/// whose shape no input changes (no optional filter, no boxed query). Debug
/// builds write the text afresh every time and compare, so the test suite
/// catches a query whose text does vary.
#[derive(Debug)]
pub struct Prebuilt<Q> {
    query: Q,
    text: &'static OnceLock<String>,
}

impl<Q> Prebuilt<Q> {
    pub fn new(query: Q, text: &'static OnceLock<String>) -> Self {
        Prebuilt { query, text }
    }
}

impl<Q: Query> Query for Prebuilt<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prebuilt<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    fn to_sql(&self, out: &mut PgQueryBuilder, backend: &Pg) -> QueryResult<()> {
        let fresh = || -> QueryResult<String> {
            let mut builder = PgQueryBuilder::default();
            self.query.to_sql(&mut builder, backend)?;
            Ok(builder.finish())
        };
        let text = match self.text.get() {
            Some(text) => text,
            None => {
                let first = fresh()?;
                self.text.get_or_init(|| first)
            }
        };
        if cfg!(debug_assertions) {
            assert_eq!(&fresh()?, text, "a prebuilt query's text varied");
        }
        out.push_sql(text);
        Ok(())
    }

    fn is_safe_to_cache_prepared(&self, backend: &Pg) -> QueryResult<bool> {
        self.query.is_safe_to_cache_prepared(backend)
    }
}

impl<Q: QueryId> QueryId for Prebuilt<Q> {
    type QueryId = Q::QueryId;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

/// `prebuilt!(query)`: [`Prebuilt`] with a static of its own for the text.
macro_rules! prebuilt {
    ($query:expr) => {{
        static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        $crate::db::fixed_text::Prebuilt::new($query, &TEXT)
    }};
}
pub(crate) use prebuilt;

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::db::schema::users;

    fn by_id(id: Uuid) -> impl QueryFragment<Pg> {
        prebuilt!(
            users::table
                .filter(users::id.eq(id))
                .select(users::username)
        )
    }

    #[test]
    fn the_text_is_written_once_and_the_binds_each_time() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let first = diesel::debug_query::<Pg, _>(&by_id(a)).to_string();
        let second = diesel::debug_query::<Pg, _>(&by_id(b)).to_string();
        assert!(first.contains(r#"WHERE ("users"."id" = $1)"#), "{first}");
        assert!(first.ends_with(&format!("-- binds: [{a}]")), "{first}");
        assert!(second.ends_with(&format!("-- binds: [{b}]")), "{second}");
        assert_eq!(first.split(" -- ").next(), second.split(" -- ").next());
    }

    #[test]
    #[should_panic(expected = "a prebuilt query's text varied")]
    fn a_text_that_varies_is_caught_in_debug_builds() {
        fn named(condition: &str) -> String {
            // Text written at run time: exactly what must not be prebuilt.
            let query = prebuilt!(
                users::table
                    .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(condition))
                    .select(users::username)
            );
            diesel::debug_query::<Pg, _>(&query).to_string()
        }
        named("disabled");
        named("NOT disabled");
    }
}
