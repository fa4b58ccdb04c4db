//! Workflow versions already read, shared by every request of this process.
//! A version never changes once written (migration 000130 makes the
//! database refuse it), so a cached one is never stale, whichever process
//! wrote it; only a channel's *current* version moves, and that is always
//! read from the database.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::draft_facts::Workflow;

/// Past this many versions the cache starts over: an office has a few
/// channels with a handful of versions each, so this bounds memory
/// against a runaway script, not a working set.
const MOST: usize = 4096;

#[derive(Clone, Default)]
pub struct WorkflowCache {
    versions: Arc<RwLock<HashMap<(String, i32), Workflow>>>,
}

impl WorkflowCache {
    pub fn get(&self, channel: &str, version: i32) -> Option<Workflow> {
        let versions = self.versions.read().unwrap_or_else(PoisonError::into_inner);
        versions.get(&(channel.to_owned(), version)).cloned()
    }

    pub fn put(&self, channel: &str, workflow: &Workflow) {
        let mut versions = self
            .versions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if versions.len() >= MOST {
            versions.clear();
        }
        versions.insert((channel.to_owned(), workflow.version), workflow.clone());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.versions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::route::{Route, Routes};

    fn version(v: i32) -> Workflow {
        let none = || Route { steps: Vec::new() };
        Workflow {
            version: v,
            routes: Routes {
                normal: none(),
                important: none(),
                sensitive: none(),
            },
        }
    }

    #[test]
    fn keeps_each_channel_and_version_apart() {
        let cache = WorkflowCache::default();
        cache.put("wechat", &version(1));
        cache.put("portal", &version(2));
        assert_eq!(cache.get("wechat", 1), Some(version(1)));
        assert_eq!(cache.get("wechat", 2), None);
        assert_eq!(cache.get("portal", 2), Some(version(2)));
        assert_eq!(cache.get("portal", 1), None);
    }

    #[test]
    fn starts_over_when_full() {
        let cache = WorkflowCache::default();
        for v in 0..MOST as i32 {
            cache.put("wechat", &version(v));
        }
        assert_eq!(cache.len(), MOST);
        cache.put("portal", &version(1));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("portal", 1), Some(version(1)));
    }
}
