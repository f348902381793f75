//! Writes of feature modules (wallets…) that need no variant of their own in `Job`: a closure
//! run in its own savepoint, its result held until the group commits, like every other job.

use super::{FromStore, Group, Job, Reply, SealedCard, Writer, savepoint};
use caisse_core::ShopId;
use caisse_core::ports::StoreError;
use rusqlite::Connection;

/// A write as the writer queues it.
pub(in crate::sqlite) struct WriteJob(Box<dyn AnyWrite>);

impl WriteJob {
    pub(super) fn run(self, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone> {
        self.0.run(connection, group)
    }

    pub(super) fn failed(self, failure: &str) -> Box<dyn AnyDone> {
        self.0.failed(failure)
    }
}

/// A write, its result type erased.
trait AnyWrite: Send {
    fn run(self: Box<Self>, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone>;
    fn failed(self: Box<Self>, failure: &str) -> Box<dyn AnyDone>;
}

/// A write's result, waiting for its group's commit.
pub(super) trait AnyDone: Send {
    fn deliver(self: Box<Self>, failure: Option<&str>);
}

type Work<T, E> = Box<dyn FnOnce(&Connection) -> Result<T, E> + Send>;

struct Write<T, E> {
    work: Work<T, E>,
    reply: Reply<T, E>,
}

struct Written<T, E> {
    reply: Reply<T, E>,
    result: Result<T, E>,
}

impl<T: Send + 'static, E: FromStore + Send + 'static> AnyWrite for Write<T, E> {
    fn run(self: Box<Self>, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone> {
        let Write { work, reply } = *self;
        let result = savepoint(connection, group, |_| work(connection));
        Box::new(Written { reply, result })
    }

    fn failed(self: Box<Self>, failure: &str) -> Box<dyn AnyDone> {
        let result = Err(E::from_store(StoreError::Unavailable(failure.to_owned())));
        Box::new(Written { reply: self.reply, result })
    }
}

impl<T: Send, E: FromStore + Send> AnyDone for Written<T, E> {
    /// As `Done::deliver`: a write that succeeded in a group that did not commit did not happen.
    fn deliver(self: Box<Self>, failure: Option<&str>) {
        let result = match (self.result, failure) {
            (Ok(_), Some(failure)) => {
                Err(E::from_store(StoreError::Unavailable(format!("sqlite commit failed: {failure}"))))
            }
            (result, _) => result,
        };
        let _ = self.reply.send(result);
    }
}

impl Writer {
    /// Runs `work` on the writer's connection in a savepoint of the next group; its result
    /// comes back once the group is on disk.
    pub(in crate::sqlite) async fn write<T, E>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: FromStore + Send + 'static,
    {
        self.submit(|reply| Job::Write(WriteJob(Box::new(Write { work: Box::new(work), reply })))).await
    }
}

/// A vault entry, for writes outside this module.
pub(in crate::sqlite) fn insert_card(
    connection: &Connection,
    shop: &ShopId,
    card: &SealedCard,
    created_at: &str,
) -> Result<(), StoreError> {
    super::insert_card(connection, shop, card, created_at)
}
