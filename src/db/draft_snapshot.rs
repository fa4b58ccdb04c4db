//! A draft's row read with its current revision and sign-offs in one
//! round trip, and the row's version that tells whether they agree: a
//! draft's GET reads them beside the row, an action beside its lock
//! (`drafts::facts`), and keeps them only if they saw the row it has.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::drafts::{DraftRow, RevisionRow, SignoffRow};
use crate::db::fixed_text::prebuilt;
use crate::db::schema::{drafts, revisions, signoffs, users};

/// A draft's row with its [`RowVersion`] and the revision the row names,
/// in one statement. Only without the lock: a locked read must not join,
/// as a row changed while the lock waited would no longer meet the join's
/// condition and be dropped.
pub async fn find_with_revision(
    mut conn: &AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<(DraftRow, String, Option<RevisionRow>)>> {
    prebuilt!(
        drafts::table
            .left_join(
                revisions::table.on(revisions::draft_id
                    .eq(drafts::id)
                    .and(revisions::number.eq(drafts::revision))),
            )
            .filter(drafts::id.eq(id))
            .select((
                DraftRow::as_select(),
                RowVersion,
                Option::<RevisionRow>::as_select(),
            ))
            .limit(1)
    )
    .get_result(&mut conn)
    .await
    .optional()
}

/// As [`lock`](crate::db::drafts::lock), with the locked row's [`RowVersion`]: the newest version,
/// whatever the statement's snapshot saw.
pub async fn lock_versioned(
    mut conn: &AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<(DraftRow, String)>> {
    prebuilt!(
        drafts::table
            .find(id)
            .select((DraftRow::as_select(), RowVersion))
            .for_update()
            .limit(1)
    )
    .get_result(&mut conn)
    .await
    .optional()
}

/// The version of a draft's row as a statement saw it: its `xmin`, the
/// transaction that wrote that version. Sign-offs are written only with
/// an update of their draft's row in the same transaction (`set_state`,
/// under the row's lock), so sign-offs read in a snapshot that saw the
/// same version of the row as a lock took are all the sign-offs there are:
/// a sign-off committed in between would have come with a newer row.
/// Written into the SQL (the schema has no system columns); the statement
/// stays cacheable, keyed by its text.
#[derive(Debug, Clone, Copy)]
pub struct RowVersion;

impl diesel::expression::Expression for RowVersion {
    type SqlType = diesel::sql_types::Text;
}

impl<QS> diesel::expression::AppearsOnTable<QS> for RowVersion {}

impl<QS> diesel::expression::SelectableExpression<QS> for RowVersion {}

impl<GB> diesel::expression::ValidGrouping<GB> for RowVersion {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl diesel::query_builder::QueryId for RowVersion {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for RowVersion {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql(r#""drafts"."xmin"::text"#);
        Ok(())
    }
}

/// The revision the draft row names when this statement runs. Sent
/// pipelined behind the row's own read: under the row's lock the two agree;
/// without it the caller compares `number` with the row it read.
pub async fn current_revision(
    mut conn: &AsyncPgConnection,
    draft_id: Uuid,
) -> QueryResult<Option<RevisionRow>> {
    prebuilt!(
        revisions::table
            .inner_join(
                drafts::table.on(drafts::id
                    .eq(revisions::draft_id)
                    .and(drafts::revision.eq(revisions::number))),
            )
            .filter(drafts::id.eq(draft_id))
            .select(RevisionRow::as_select())
            .limit(1)
    )
    .get_result(&mut conn)
    .await
    .optional()
}

/// As [`signoffs_of`](crate::db::drafts::signoffs_of) for the revision the draft row names when this
/// statement runs, with that revision's number and the row's
/// [`RowVersion`] as this statement saw it (for the caller to compare with
/// the row it read or locked); `None` if no draft.
pub async fn current_signoffs(
    mut conn: &AsyncPgConnection,
    draft_id: Uuid,
) -> QueryResult<Option<CurrentSignoffs>> {
    type Row = (i32, String, Option<SignoffRow>, Option<String>);
    let rows: Vec<Row> = prebuilt!(
        drafts::table
            .left_join(
                signoffs::table.on(signoffs::draft_id
                    .eq(drafts::id)
                    .and(signoffs::revision.eq(drafts::revision))),
            )
            .left_join(users::table.on(users::id.eq(signoffs::signer_id)))
            .filter(drafts::id.eq(draft_id))
            .order((signoffs::signed_at.asc(), signoffs::id.asc()))
            .select((
                drafts::revision,
                RowVersion,
                Option::<SignoffRow>::as_select(),
                users::username.nullable(),
            ))
    )
    .load(&mut conn)
    .await?;
    let Some((revision, version)) = rows.as_slice().first().map(|(r, v, _, _)| (*r, v.clone()))
    else {
        return Ok(None);
    };
    let signed = rows
        .into_iter()
        .filter_map(|(_, _, s, name)| Some((s?, name?)))
        .collect();
    Ok(Some(CurrentSignoffs {
        revision,
        version,
        signed,
    }))
}

/// What [`current_signoffs`] found.
#[derive(Debug)]
pub struct CurrentSignoffs {
    /// The revision the row named.
    pub revision: i32,
    /// The row's version the statement saw.
    pub version: String,
    /// That revision's sign-offs, oldest first, with the signers' usernames.
    pub signed: Vec<(SignoffRow, String)>,
}
