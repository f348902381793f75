//! WAL checkpoints on a thread of their own. Left to SQLite, the writer would copy the WAL
//! back into the database file (and fsync it) inside some unlucky commit, stalling every
//! payment of that group: the tail latency. A PASSIVE checkpoint here runs beside the writer
//! and never blocks it.

use super::{BUSY_TIMEOUT, sql_error};
use caisse_core::ports::StoreError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the WAL is copied back: often enough that it stays small (a few MB at full load).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Stops its thread when dropped.
pub(super) struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Checkpointer {
    pub(super) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let connection = Connection::open(path).map_err(sql_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("caisse-sqlite-checkpoint".into())
            .spawn(move || run(connection, &stopped))
            .map_err(|error| StoreError::Unavailable(format!("sqlite checkpoint thread: {error}")))?;
        Ok(Checkpointer { stop })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn run(connection: Connection, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(CHECKPOINT_INTERVAL);
        let result = connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)));
        if let Err(error) = result {
            tracing::warn!(%error, "sqlite checkpoint failed; retried");
        }
    }
}
