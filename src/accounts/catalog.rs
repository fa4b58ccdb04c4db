//! Departments, channels and channel workflows.

use diesel_async::AsyncConnection;

use crate::auth::AuthUser;
use crate::db::audit_log::{NewEvent, append};
use crate::db::channels::{self, ChannelRow, WorkflowRow};
use crate::db::connect;
use crate::db::users::{self, DepartmentRow};
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
        let stages: Vec<String> = Stage::DEFAULT_ORDER
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        channels::insert_workflow(conn, code, 1, &stages, Some(admin.user_id)).await?;
        let event = NewEvent::new("channel_created", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("channel", row.code.clone())
            .with("name", row.name.clone())
            .with("workflow_version", 1)
            .with("stages", stages);
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
    for stage in Stage::ALL {
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

pub async fn set_workflow(
    state: &AppState,
    admin: &AuthUser,
    channel: &str,
    stages: &[String],
) -> Result<WorkflowRow, ApiError> {
    let order = parse_stages(stages)?;
    let names: Vec<String> = order.iter().map(|s| s.as_str().to_string()).collect();
    let mut conn = connect(&state.pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        channels::find(conn, channel)
            .await?
            .ok_or(ApiError::NotFound)?;
        // The versions of one channel serialize on its current row; a race
        // that slips past loses on the primary key and is told to retry.
        let current = channels::current_workflow(conn, channel).await?;
        let version = current.as_ref().map_or(1, |w| w.version + 1);
        let row = channels::insert_workflow(conn, channel, version, &names, Some(admin.user_id))
            .await
            .map_err(unique_as_conflict(
                "the workflow changed meanwhile; read it again",
            ))?;
        let event = NewEvent::new("workflow_changed", &admin.origin)
            .by(admin.user_id, &admin.username)
            .with("channel", channel.to_string())
            .with("version", version)
            .with("stages", names.clone());
        append(conn, event).await?;
        Ok(row)
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
pub async fn workflow(state: &AppState, code: &str) -> Result<WorkflowRow, ApiError> {
    let conn = connect(&state.pool).await?;
    channels::current_workflow(&conn, code)
        .await?
        .ok_or(ApiError::NotFound)
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
