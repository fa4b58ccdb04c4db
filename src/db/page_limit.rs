//! A page's LIMIT written into the SQL text.
//!
//! Bound as `$n`, a LIMIT is unknown to a generic plan, which PostgreSQL
//! then costs as if a tenth of the rows were wanted. Against the custom
//! plans for a page of 51 the generic plan never won, so every list query
//! was planned anew on every call: 0.12 ms of the 0.40 ms the database
//! spent on a page of `GET /drafts` at a year's scale (issue 19). With the
//! number in the text, the generic plan costs what the custom ones do and
//! is kept after the fifth run.
//!
//! Each count is its own statement, prepared and kept by every connection
//! that meets it, so the text holds one of few counts: the default page
//! (50 and one more to see whether a page follows) as it is, any other
//! rounded up to a power of two, and the rows past the count asked for
//! dropped by the caller ([`Limited::wanted`]). A client walking through
//! every `limit` makes ten statements of a list, not two hundred.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// `query LIMIT n`, with `n` in the text: `rows`, or more (see the
/// module), of which the caller keeps [`Limited::wanted`]. `query` must be
/// ordered and carry no LIMIT of its own.
#[derive(Debug, Clone)]
pub struct Limited<Q> {
    query: Q,
    rows: u32,
}

/// At most `rows` of `query` (a negative count reads none).
pub fn limited<Q>(query: Q, rows: i64) -> Limited<Q> {
    Limited {
        query,
        rows: u32::try_from(rows.max(0)).unwrap_or(u32::MAX),
    }
}

/// The default page with the row that tells whether another follows.
const DEFAULT_PAGE: u32 = 51;

/// The count the text asks for when `rows` are wanted.
fn in_text(rows: u32) -> u32 {
    if rows == DEFAULT_PAGE || rows == 0 {
        rows
    } else {
        rows.checked_next_power_of_two().unwrap_or(rows)
    }
}

impl<Q> Limited<Q> {
    /// The rows asked for: what a caller keeps of those loaded (the text
    /// may ask for more).
    pub fn wanted(&self) -> usize {
        self.rows as usize
    }
}

impl<Q: Query> Query for Limited<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Limited<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&in_text(self.rows).to_string());
        Ok(())
    }
}

// Not static: diesel then keys its statement cache by the text, which
// holds the number, so each count is its own prepared statement.
impl<Q> QueryId for Limited<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::db::schema::drafts;

    fn text(rows: i64) -> String {
        let query = drafts::table
            .select(drafts::id)
            .order(drafts::created_at.desc())
            .into_boxed();
        diesel::debug_query::<Pg, _>(&limited(query, rows)).to_string()
    }

    #[test]
    fn the_count_is_in_the_text_and_nothing_is_bound_for_it() {
        let sql = text(51);
        assert!(
            sql.ends_with(r#"ORDER BY "drafts"."created_at" DESC LIMIT 51 -- binds: []"#),
            "{sql}"
        );
        assert!(text(-3).contains("LIMIT 0 "), "{}", text(-3));
    }

    #[test]
    fn a_client_walking_through_every_limit_makes_few_statements() {
        let texts: std::collections::BTreeSet<String> = (1..=201).map(text).collect();
        assert_eq!(texts.len(), 10, "{texts:#?}");
        assert!(text(50).contains("LIMIT 64 "), "{}", text(50));
        assert!(text(201).contains("LIMIT 256 "), "{}", text(201));
        assert!(text(1).contains("LIMIT 1 "), "{}", text(1));
    }

    #[test]
    fn each_count_is_its_own_cacheable_statement() {
        let query = |rows| {
            limited(
                drafts::table
                    .select(drafts::id)
                    .filter(drafts::revision.eq(2))
                    .into_boxed(),
                rows,
            )
        };
        assert!(query(51).is_safe_to_cache_prepared(&Pg).unwrap());
        assert_ne!(text(51), text(52));
        assert_eq!(text(33), text(64));
    }
}
