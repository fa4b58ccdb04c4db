//! Departments, channels and channel workflows.

use diesel_async::AsyncConnection;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::channels::{self, ChannelRow, WorkflowRow};
use crate::db::connect;
use crate::db::users::{self, DepartmentRow};
use crate::domain::route::{Routes, RoutesInput};
use crate::domain::vocabulary::Stage;
use crate::error::unique_as_conflict;
use crate::error::{ApiError, FieldProblem};
use crate::state::AppState;

fn check_code(code: &str) -> Option<FieldProblem> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
    (!ok).then(|| FieldProblem::new("code", "must be 1–32 of a–z 0–9 _ -"))
}

fn check_name(name: &str) -> Option<FieldProblem> {
    let n = name.chars().count();
    (n == 0 || n > 200 || name.trim().is_empty())
        .then(|| FieldProblem::new("name", "must be 1–200 characters, not blank"))
}

fn validate(code: &str, name: &str) -> Result<(), ApiError> {
    let problems: Vec<_> = [check_code(code), check_name(name)]
        .into_iter()
        .flatten()
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

pub async fn create_department(
    state: &AppState,
    admin: &AuthUser,
    code: &str,
    name: &str,
) -> Result<DepartmentRow, ApiError> {
    validate(code, name)?;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = users::insert_department(conn, code, name)
            .await
            .map_err(unique_as_conflict("department code is taken"))?;
        let event = NewEvent::new("department_created", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("department_id", row.id.to_string())
            .with("code", row.code.clone())
            .with("name", row.name.clone());
        append(conn, event).await?;
        Ok(row)
    })
    .await
}

pub async fn create_channel(
    state: &AppState,
    admin: &AuthUser,
    code: &str,
    name: &str,
) -> Result<ChannelRow, ApiError> {
    validate(code, name)?;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = channels::insert(conn, code, name)
            .await
            .map_err(unique_as_conflict("channel code is taken"))?;
        // SPEC §5: every channel, including one created now, starts with
        // the seeded routes.
        let routes = to_json(&Routes::seeded(Stage::DEFAULT_ORDER))?;
        channels::insert_workflow(conn, code, 1, &routes, Some(admin.user_id)).await?;
        let event = NewEvent::new("channel_created", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("channel", row.code.clone())
            .with("name", row.name.clone())
            .with("workflow_version", 1)
            .with("routes", routes);
        append(conn, event).await?;
        Ok(row)
    })
    .await
}

/// The stages as a permutation of the six, or every problem with the list.
pub fn parse_stages(stages: &[String]) -> Result<[Stage; 6], ApiError> {
    let parsed: Vec<Option<Stage>> = stages.iter().map(|s| Stage::parse(s)).collect();
    let mut problems = Vec::new();
    for (i, s) in parsed.iter().enumerate() {
        if s.is_none() {
            problems.push(FieldProblem::new(
                format!("stages[{i}]"),
                "is not a stage name",
            ));
        }
    }
    let known: Vec<Stage> = parsed.into_iter().flatten().collect();
    for stage in Stage::SIX {
        match known.iter().filter(|s| **s == stage).count() {
            0 => problems.push(FieldProblem::new(
                "stages",
                format!("{} is missing", stage.as_str()),
            )),
            1 => {}
            _ => problems.push(FieldProblem::new(
                "stages",
                format!("{} appears more than once", stage.as_str()),
            )),
        }
    }
    if stages.len() != 6 {
        problems.push(FieldProblem::new("stages", "must list exactly six stages"));
    }
    match (problems.is_empty(), <[Stage; 6]>::try_from(known)) {
        (true, Ok(order)) => Ok(order),
        _ => Err(ApiError::Validation(problems)),
    }
}

fn to_json(routes: &Routes) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(routes).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

/// A workflow as sent: the routes form of SPEC §5, or part one's six
/// stages (meaning all three routes = that chain). Exactly one of the two.
pub fn parse_form(
    stages: Option<&[String]>,
    routes: Option<&RoutesInput>,
) -> Result<Routes, ApiError> {
    match (stages, routes) {
        (Some(stages), None) => Ok(Routes::uniform(parse_stages(stages)?)),
        (None, Some(routes)) => routes.validate().map_err(|problems| {
            ApiError::Validation(
                problems
                    .into_iter()
                    .map(|p| FieldProblem::new(p.field, p.message))
                    .collect(),
            )
        }),
        _ => Err(ApiError::validation(
            "routes",
            "send either routes or stages, exactly one",
        )),
    }
}

/// The current workflow of a channel with its routes parsed.
pub struct WorkflowRead {
    pub row: WorkflowRow,
    pub routes: Routes,
}

fn read(row: WorkflowRow) -> Result<WorkflowRead, ApiError> {
    let routes = row.parsed_routes().map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "workflow {} v{} has unreadable routes: {e}",
            row.channel,
            row.version
        ))
    })?;
    Ok(WorkflowRead { row, routes })
}

pub async fn set_workflow(
    state: &AppState,
    admin: &AuthUser,
    channel: &str,
    routes: Routes,
) -> Result<WorkflowRead, ApiError> {
    let json = to_json(&routes)?;
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        channels::find(conn, channel)
            .await?
            .ok_or(ApiError::NotFound)?;
        // The versions of one channel serialize on its current row; a race
        // that slips past loses on the primary key and is told to retry.
        let current = channels::current_workflow(conn, channel).await?;
        let version = current.as_ref().map_or(1, |w| w.version + 1);
        let row = channels::insert_workflow(conn, channel, version, &json, Some(admin.user_id))
            .await
            .map_err(unique_as_conflict(
                "the workflow changed meanwhile; read it again",
            ))?;
        let event = NewEvent::new("workflow_changed", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("channel", channel.to_string())
            .with("version", version)
            .with("routes", json.clone());
        append(conn, event).await?;
        read(row)
    })
    .await
}

// Reads of the catalog.

/// Every department (admin only).
pub async fn departments(
    state: &AppState,
    admin: &AuthUser,
) -> Result<Vec<DepartmentRow>, ApiError> {
    admin.require(crate::domain::vocabulary::Role::Admin)?;
    let mut conn = connect(&state.pool).await?;
    Ok(users::departments_all(&mut conn).await?)
}

/// Every channel.
pub async fn channels(state: &AppState) -> Result<Vec<ChannelRow>, ApiError> {
    let mut conn = connect(&state.pool).await?;
    Ok(channels::all(&mut conn).await?)
}

/// The current workflow of a channel; 404 if there is no such channel.
pub async fn workflow(state: &AppState, code: &str) -> Result<WorkflowRead, ApiError> {
    let conn = connect(&state.pool).await?;
    read(
        channels::current_workflow(&conn, code)
            .await?
            .ok_or(ApiError::NotFound)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_permutation_is_accepted() {
        let order = parse_stages(&s(&[
            "proofread_1",
            "review_1",
            "proofread_2",
            "review_2",
            "proofread_3",
            "review_3",
        ]))
        .unwrap();
        assert_eq!(order[0], Stage::Proofread1);
    }

    #[test]
    fn duplicates_missing_and_unknown_stages_are_refused() {
        for bad in [
            s(&[
                "review_1",
                "review_1",
                "review_2",
                "proofread_2",
                "review_3",
                "proofread_3",
            ]),
            s(&[
                "review_1",
                "proofread_1",
                "review_2",
                "proofread_2",
                "review_3",
            ]),
            s(&[
                "review_1",
                "proofread_1",
                "review_2",
                "proofread_2",
                "review_3",
                "proofread_3",
                "review_1",
            ]),
            s(&[
                "review_1",
                "proofread_1",
                "review_2",
                "proofread_2",
                "review_3",
                "review_4",
            ]),
        ] {
            assert!(
                matches!(parse_stages(&bad), Err(ApiError::Validation(_))),
                "{bad:?}"
            );
        }
    }
}
