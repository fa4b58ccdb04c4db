//! Compiled lexicons shared by every check of this process, by lexicon id,
//! each at the version it was built from. No I/O: the use-case reads the
//! current versions from the database before each check and builds what is
//! missing or stale, so a change made through another instance is seen.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use uuid::Uuid;

use super::Matcher;

#[derive(Clone, Default)]
pub struct MatcherCache {
    built: Arc<RwLock<HashMap<Uuid, Arc<Matcher>>>>,
}

impl MatcherCache {
    /// The matcher of lexicon `id` if it was built from `version`.
    pub fn get(&self, id: Uuid, version: i32) -> Option<Arc<Matcher>> {
        let built = self.built.read().unwrap_or_else(PoisonError::into_inner);
        built.get(&id).filter(|m| m.version == version).cloned()
    }

    /// Keeps `matcher` for lexicon `id`, unless a newer version is there
    /// already (two checks may build concurrently; the newer one stays).
    pub fn put(&self, id: Uuid, matcher: Arc<Matcher>) {
        let mut built = self.built.write().unwrap_or_else(PoisonError::into_inner);
        match built.get(&id) {
            Some(have) if have.version > matcher.version => {}
            _ => {
                built.insert(id, matcher);
            }
        }
    }

    /// Forgets lexicons that no longer exist (none are deleted today; kept
    /// so that the cache holds at most what the database holds).
    pub fn retain(&self, ids: &[Uuid]) {
        let mut built = self.built.write().unwrap_or_else(PoisonError::into_inner);
        built.retain(|id, _| ids.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_version_is_a_miss_and_never_replaces_a_newer_one() {
        let cache = MatcherCache::default();
        let id = Uuid::new_v4();
        let build = |v| Arc::new(Matcher::build("x", v, Vec::new()).unwrap());
        cache.put(id, build(2));
        assert!(cache.get(id, 2).is_some());
        assert!(cache.get(id, 3).is_none());
        cache.put(id, build(1));
        assert!(cache.get(id, 2).is_some());
        cache.retain(&[]);
        assert!(cache.get(id, 2).is_none());
    }
}
