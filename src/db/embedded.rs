// TEMPORARY STUB until the helper delivers the real cluster.
use std::path::{Path, PathBuf};
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("stub")]
    Stub,
}
pub struct Cluster {
    socket: PathBuf,
}
impl Cluster {
    pub fn start(root: &Path) -> Result<Cluster, EmbeddedError> {
        Ok(Cluster {
            socket: root.join("run"),
        })
    }
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@/{db}?host={}", self.socket.display())
    }
    pub fn stop(&self) -> Result<(), EmbeddedError> {
        Ok(())
    }
}
impl Cluster {
    pub fn start_with(root: &Path, _s: &[(&str, &str)]) -> Result<Cluster, EmbeddedError> {
        Cluster::start(root)
    }
    pub fn stop_when_process_exits(&self, _pid: u32, _rm: bool) -> Result<(), EmbeddedError> {
        Ok(())
    }
}
