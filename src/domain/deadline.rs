//! Deadlines of route steps (SPEC §8), as a pure rule: when the open step
//! falls due.

use chrono::{DateTime, Duration, Utc};

use crate::domain::route::Route;

/// Where a draft in review stands: (round, step).
pub type Place = (i32, i32);

/// The open step's deadline after a change: kept while the same step of the
/// same round stays open, set afresh (`due_hours` from `now`) when a step
/// opens, none when the draft is not in review or the step has no
/// `due_hours`.
pub fn due_at(
    route: &Route,
    was: Option<Place>,
    is: Option<Place>,
    kept: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let (round, step) = is?;
    if was == Some((round, step)) {
        return kept;
    }
    let hours = route.steps.get(usize::try_from(step).ok()?)?.due_hours?;
    Some(now + Duration::hours(i64::from(hours)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::route::{Route, Step};
    use crate::domain::vocabulary::Stage;

    fn route() -> Route {
        let mut r = Route::chain(&Stage::DEFAULT_ORDER);
        r.steps[0].due_hours = Some(24);
        r.steps[1].due_hours = Some(2);
        r.steps.push(Step {
            stages: vec![Stage::Leader],
            quorum: 1,
            due_hours: None,
        });
        r
    }

    #[test]
    fn a_step_opening_sets_its_deadline_and_staying_keeps_it() {
        let now = Utc::now();
        let r = route();
        assert_eq!(
            due_at(&r, None, Some((1, 0)), None, now),
            Some(now + Duration::hours(24))
        );
        let kept = Some(now - Duration::hours(1));
        assert_eq!(due_at(&r, Some((1, 0)), Some((1, 0)), kept, now), kept);
        assert_eq!(
            due_at(&r, Some((1, 0)), Some((1, 1)), kept, now),
            Some(now + Duration::hours(2))
        );
        // A new round opens the first step afresh.
        assert_eq!(
            due_at(&r, Some((1, 0)), Some((2, 0)), kept, now),
            Some(now + Duration::hours(24))
        );
    }

    #[test]
    fn no_deadline_without_due_hours_or_outside_review() {
        let now = Utc::now();
        let r = route();
        assert_eq!(due_at(&r, Some((1, 1)), Some((1, 2)), None, now), None);
        assert_eq!(due_at(&r, Some((1, 0)), None, Some(now), now), None);
        assert_eq!(due_at(&r, None, Some((1, 99)), None, now), None);
    }
}
