//! The one writer: a thread that owns the write connection. Callers send jobs with a oneshot
//! reply; the writer takes the first job, drains what else is queued (up to
//! `GROUP_COMMIT_MAX_JOBS`), runs them all in one `BEGIN IMMEDIATE … COMMIT` with a savepoint
//! per job (one job's failure rolls back that job only), commits once (one fsync for the
//! group), then replies to all. Every write is serialised here, so `apply`'s
//! read-modify-write needs no other lock.

use super::read::{self, transaction_columns};
use super::{BATCH_CHUNK, sql_error};
use crate::rows::{self, guarded};
use crate::vault::SealedPan;
use caisse_core::operation::Operation;
use caisse_core::ports::{ApplyError, BatchReport, InsertError, StoreError, TransitionFn};
use caisse_core::shop::{SecretKey, Shop, ShopId};
use caisse_core::transaction::{self, Transaction, TransactionKey, TransactionStatus, Transition};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, ErrorCode, params};
use tokio::sync::{mpsc, oneshot};

/// Jobs committed together at most: bounds a group's latency and its memory.
const GROUP_COMMIT_MAX_JOBS: usize = 256;
/// Jobs waiting for the writer at most; callers beyond it wait to enqueue (backpressure).
const QUEUE_CAPACITY: usize = 4 * GROUP_COMMIT_MAX_JOBS;
const _: () = assert!(QUEUE_CAPACITY >= GROUP_COMMIT_MAX_JOBS);

type Reply<T, E> = oneshot::Sender<Result<T, E>>;

/// A PAN already encrypted by the caller, for the vault.
pub(super) struct SealedCard {
    pub(super) card_id: String,
    pub(super) sealed: SealedPan,
}

/// One chunk of the capture batch.
pub(super) struct Chunk {
    pub(super) report: BatchReport,
    /// Candidates found; fewer than `BATCH_CHUNK` means none are left.
    pub(super) candidates: usize,
}

// Nearly every job is an `Insert`, the largest: boxing it would add an allocation per
// payment and save no memory.
#[allow(clippy::large_enum_variant)]
pub(super) enum Job {
    Insert {
        transaction: Transaction,
        operation: Operation,
        card: Option<SealedCard>,
        /// `rows::details_json` of the transaction, computed by the caller.
        details: String,
        reply: Reply<Transaction, InsertError>,
    },
    Apply {
        shop: ShopId,
        key: TransactionKey,
        transition: TransitionFn,
        reply: Reply<Transition, ApplyError>,
    },
    CreateShop {
        shop: Shop,
        reply: Reply<(), StoreError>,
    },
    AddKey {
        shop: ShopId,
        secret: String,
        reply: Reply<SecretKey, StoreError>,
    },
    Settle {
        today: NaiveDate,
        now: DateTime<Utc>,
        reply: Reply<Chunk, StoreError>,
    },
}

/// The handle callers hold. Dropping the last one stops the writer once its queue is empty.
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(super) fn start(connection: Connection) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("caisse-sqlite-writer".into())
            .spawn(move || run(connection, queue))
            .map_err(|error| StoreError::Unavailable(format!("sqlite writer thread: {error}")))?;
        Ok(Writer { jobs })
    }

    pub(super) fn is_stopped(&self) -> bool {
        self.jobs.is_closed()
    }

    /// Sends the job `make` builds and waits for its result, which is on disk when it comes.
    pub(super) async fn submit<T, E: From<StoreError>>(&self, make: impl FnOnce(Reply<T, E>) -> Job) -> Result<T, E> {
        let (reply, result) = oneshot::channel();
        if self.jobs.send(make(reply)).await.is_err() {
            return Err(stopped().into());
        }
        result.await.unwrap_or_else(|_| Err(stopped().into()))
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("sqlite writer stopped".into())
}

fn run(connection: Connection, mut queue: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(GROUP_COMMIT_MAX_JOBS);
    let mut done = Vec::with_capacity(GROUP_COMMIT_MAX_JOBS);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < GROUP_COMMIT_MAX_JOBS {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&connection, &mut group, &mut done);
    }
    tracing::debug!("sqlite writer stopped");
}

/// What a group's jobs share: the broken flag and the next transaction row id.
struct Group {
    /// A savepoint could not be closed: the group is rolled back whole.
    broken: bool,
    /// Next `transactions.row_id`, read once per group under the write lock.
    next_row_id: Option<i64>,
}

impl Group {
    fn next_row_id(&mut self, connection: &Connection) -> Result<i64, StoreError> {
        let next = match self.next_row_id {
            Some(next) => next,
            None => connection
                .prepare_cached("SELECT COALESCE(MAX(row_id), 0) + 1 FROM transactions")
                .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
                .map_err(sql_error)?,
        };
        self.next_row_id = Some(next + 1);
        Ok(next)
    }
}

fn commit_group(connection: &Connection, group: &mut Vec<Job>, done: &mut Vec<Done>) {
    let failure = match execute(connection, "BEGIN IMMEDIATE") {
        Err(error) => {
            let failure = error.to_string();
            done.extend(group.drain(..).map(|job| Done::failed(job, &failure)));
            None
        }
        Ok(()) => {
            let mut state = Group { broken: false, next_row_id: None };
            for job in group.drain(..) {
                let result = if state.broken {
                    Done::failed(job, "an earlier write in its group failed")
                } else {
                    run_job(connection, &mut state, job)
                };
                done.push(result);
            }
            let failure = if state.broken {
                Some("sqlite write group rolled back".to_owned())
            } else {
                execute(connection, "COMMIT").err().map(|error| error.to_string())
            };
            if let Some(failure) = &failure {
                tracing::error!(error = %failure, jobs = done.len(), "sqlite group commit failed");
                if let Err(error) = execute(connection, "ROLLBACK") {
                    tracing::error!(%error, "sqlite rollback failed");
                }
            }
            failure
        }
    };
    for job in done.drain(..) {
        job.deliver(failure.as_deref());
    }
}

fn execute(connection: &Connection, sql: &str) -> Result<(), StoreError> {
    connection.prepare_cached(sql).and_then(|mut statement| statement.execute([])).map(|_| ()).map_err(sql_error)
}

fn run_job(connection: &Connection, group: &mut Group, job: Job) -> Done {
    match job {
        Job::Insert { transaction, operation, card, details, reply } => {
            Done::Insert(reply, insert_in_group(connection, group, transaction, operation, card, &details))
        }
        Job::Apply { shop, key, transition, reply } => {
            Done::Apply(reply, savepoint(connection, group, |_| apply(connection, &shop, &key, transition)))
        }
        Job::CreateShop { shop, reply } => {
            Done::Unit(reply, savepoint(connection, group, |_| create_shop(connection, &shop)))
        }
        Job::AddKey { shop, secret, reply } => {
            Done::Key(reply, savepoint(connection, group, |_| add_key(connection, &shop, &secret)))
        }
        Job::Settle { today, now, reply } => {
            Done::Settle(reply, savepoint(connection, group, |_| settle_chunk(connection, today, now)))
        }
    }
}

/// Runs one job in its own savepoint: kept if it succeeds, rolled back if it fails or panics.
fn savepoint<T, E: From<StoreError>>(
    connection: &Connection,
    group: &mut Group,
    body: impl FnOnce(&mut Group) -> Result<T, E>,
) -> Result<T, E> {
    if let Err(error) = execute(connection, "SAVEPOINT job") {
        group.broken = true;
        return Err(error.into());
    }
    let result = match guarded(|| body(group)) {
        Ok(result) => result,
        Err(panicked) => Err(panicked.into()),
    };
    let closed = if result.is_ok() {
        execute(connection, "RELEASE job")
    } else {
        execute(connection, "ROLLBACK TO job").and_then(|()| execute(connection, "RELEASE job"))
    };
    if let Err(error) = closed {
        group.broken = true;
        return Err(error.into());
    }
    result
}

/// Inserts a payment without a savepoint of its own: savepoints made SQLite copy every page a
/// job touched into a statement journal, a tenth of the writer's time. Without one, the
/// first statement is the only one expected to fail (duplicate reference, unknown shop), and
/// a failing statement leaves nothing behind; should a later one fail, or the insert panic,
/// after a row was written, the whole group is rolled back instead.
fn insert_in_group(
    connection: &Connection,
    group: &mut Group,
    transaction: Transaction,
    operation: Operation,
    card: Option<SealedCard>,
    details: &str,
) -> Result<Transaction, InsertError> {
    let mut wrote = false;
    let result = guarded(|| insert(connection, group, &mut wrote, transaction, operation, card, details));
    let result = match result {
        Ok(result) => result,
        Err(panicked) => Err(panicked.into()),
    };
    if result.is_err() && wrote {
        group.broken = true;
    }
    result
}

/// A job's result, held until its group is committed.
enum Done {
    Insert(Reply<Transaction, InsertError>, Result<Transaction, InsertError>),
    Apply(Reply<Transition, ApplyError>, Result<Transition, ApplyError>),
    Unit(Reply<(), StoreError>, Result<(), StoreError>),
    Key(Reply<SecretKey, StoreError>, Result<SecretKey, StoreError>),
    Settle(Reply<Chunk, StoreError>, Result<Chunk, StoreError>),
}

impl Done {
    fn failed(job: Job, failure: &str) -> Done {
        let error = || StoreError::Unavailable(failure.to_owned());
        match job {
            Job::Insert { reply, .. } => Done::Insert(reply, Err(error().into())),
            Job::Apply { reply, .. } => Done::Apply(reply, Err(error().into())),
            Job::CreateShop { reply, .. } => Done::Unit(reply, Err(error())),
            Job::AddKey { reply, .. } => Done::Key(reply, Err(error())),
            Job::Settle { reply, .. } => Done::Settle(reply, Err(error())),
        }
    }

    /// Replies. If the group did not commit (`failure`), a job that succeeded in it did not
    /// happen: it gets the failure instead. A caller that went away is not an error.
    fn deliver(self, failure: Option<&str>) {
        fn settle<T, E: From<StoreError>>(reply: Reply<T, E>, result: Result<T, E>, failure: Option<&str>) {
            let result = match (result, failure) {
                (Ok(_), Some(failure)) => {
                    Err(StoreError::Unavailable(format!("sqlite commit failed: {failure}")).into())
                }
                (result, _) => result,
            };
            let _ = reply.send(result);
        }
        match self {
            Done::Insert(reply, result) => settle(reply, result, failure),
            Done::Apply(reply, result) => settle(reply, result, failure),
            Done::Unit(reply, result) => settle(reply, result, failure),
            Done::Key(reply, result) => settle(reply, result, failure),
            Done::Settle(reply, result) => settle(reply, result, failure),
        }
    }
}

/// Whether a failed write broke this unique index or foreign key (SQLite names them by
/// their columns in the message).
fn constraint_failed(error: &rusqlite::Error, columns: &str) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, Some(message))
            if failure.code == ErrorCode::ConstraintViolation && message.contains(columns)
    )
}

fn is_constraint(error: &rusqlite::Error, extended_code: i32) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(failure, _) if failure.extended_code == extended_code)
}

fn write_error(error: rusqlite::Error) -> StoreError {
    if is_constraint(&error, rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY) {
        StoreError::NotFound
    } else if is_constraint(&error, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
        || is_constraint(&error, rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    {
        StoreError::AlreadyExists
    } else {
        sql_error(error)
    }
}

fn insert(
    connection: &Connection,
    group: &mut Group,
    wrote: &mut bool,
    transaction: Transaction,
    operation: Operation,
    card: Option<SealedCard>,
    details: &str,
) -> Result<Transaction, InsertError> {
    let (mut transaction, operation) = rows::checked_new(transaction, operation)?;
    let row_id = group.next_row_id(connection)?;
    transaction.s10_transaction_id = rows::s10_of(row_id);
    let created_at = rows::timestamp_text(transaction.created_at);
    let mut statement = connection
        .prepare_cached(
            "INSERT INTO transactions (row_id, id, shop_id, reference, s10_transaction_id, \
             s10_date, kind, status, currency, origin_amount, amount, refunded_amount, \
             capture_mode, capture_day, capture_date, created_at, last_operation, \
             last_operation_at, details) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        )
        .map_err(sql_error)?;
    statement
        .execute(params![
            row_id,
            transaction.id.as_str(),
            transaction.shop_id.as_str(),
            transaction.reference,
            transaction.s10_transaction_id,
            rows::date_text(transaction.created_at.date_naive()),
            rows::kind_name(transaction.kind),
            transaction.status.as_str(),
            transaction.currency.alpha_code(),
            rows::amount_column(transaction.origin_amount)?,
            rows::amount_column(transaction.amount)?,
            rows::amount_column(transaction.refunded_amount)?,
            transaction.capture_mode.as_str(),
            transaction.capture_day,
            rows::date_text(transaction.capture_date),
            created_at,
            transaction.last_operation.as_str(),
            rows::timestamp_text(transaction.last_operation_at),
            details,
        ])
        .map_err(|error| {
            if constraint_failed(&error, "transactions.shop_id, transactions.reference") {
                InsertError::DuplicateReference
            } else {
                write_error(error).into()
            }
        })?;
    *wrote = true;
    insert_operation(connection, &operation)?;
    if let Some(card) = card {
        connection
            .prepare_cached(
                "INSERT INTO cards (card_id, shop_id, nonce, ciphertext, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    card.card_id,
                    transaction.shop_id.as_str(),
                    card.sealed.nonce.as_slice(),
                    card.sealed.ciphertext,
                    created_at,
                ])
            })
            .map_err(write_error)?;
    }
    Ok(transaction)
}

fn insert_operation(connection: &Connection, operation: &Operation) -> Result<(), StoreError> {
    let amount = rows::amount_column(operation.amount)?;
    connection
        .prepare_cached(
            "INSERT INTO operations (id, transaction_id, name, amount, at, \
             acquirer_response_code, authorisation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                operation.id,
                operation.transaction_id.as_str(),
                operation.name.as_str(),
                amount,
                rows::timestamp_text(operation.at),
                operation.acquirer_response_code,
                operation.authorisation_id,
            ])
        })
        .map(|_| ())
        .map_err(write_error)
}

/// Writes a transition's new state over the row it was computed from.
fn update(
    connection: &Connection,
    row_id: i64,
    current: &Transaction,
    updated: &Transaction,
) -> Result<(), StoreError> {
    let details = if rows::details_changed(current, updated) { Some(rows::details_json(updated)?) } else { None };
    let origin_amount = rows::amount_column(updated.origin_amount)?;
    let amount = rows::amount_column(updated.amount)?;
    let refunded_amount = rows::amount_column(updated.refunded_amount)?;
    let changed = connection
        .prepare_cached(
            "UPDATE transactions SET kind = ?2, status = ?3, currency = ?4, origin_amount = ?5, \
             amount = ?6, refunded_amount = ?7, capture_mode = ?8, capture_day = ?9, \
             capture_date = ?10, last_operation = ?11, last_operation_at = ?12, \
             details = COALESCE(?13, details) WHERE row_id = ?1",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                row_id,
                rows::kind_name(updated.kind),
                updated.status.as_str(),
                updated.currency.alpha_code(),
                origin_amount,
                amount,
                refunded_amount,
                updated.capture_mode.as_str(),
                updated.capture_day,
                rows::date_text(updated.capture_date),
                updated.last_operation.as_str(),
                rows::timestamp_text(updated.last_operation_at),
                details,
            ])
        })
        .map_err(write_error)?;
    if changed != 1 {
        return Err(StoreError::Corrupt(format!("transaction {} vanished while locked", current.id.as_str())));
    }
    Ok(())
}

fn apply(
    connection: &Connection,
    shop: &ShopId,
    key: &TransactionKey,
    transition: TransitionFn,
) -> Result<Transition, ApplyError> {
    let Some((row_id, current)) = read::find_transaction(connection, shop, key)? else {
        return Err(ApplyError::NotFound);
    };
    let transition = rows::checked_transition(&current, transition(&current)?)?;
    update(connection, row_id, &current, &transition.updated)?;
    insert_operation(connection, &transition.operation)?;
    Ok(transition)
}

fn create_shop(connection: &Connection, shop: &Shop) -> Result<(), StoreError> {
    let now = rows::timestamp_text(Utc::now());
    connection
        .prepare_cached("INSERT INTO shops (id, name, created_at) VALUES (?1, ?2, ?3)")
        .and_then(|mut statement| statement.execute(params![shop.id.as_str(), shop.name, now]))
        .map_err(write_error)?;
    for key in &shop.keys {
        insert_key(connection, &shop.id, key, &now)?;
    }
    Ok(())
}

fn insert_key(connection: &Connection, shop: &ShopId, key: &SecretKey, now: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO sips_keys (shop_id, key_version, secret, created_at) \
             VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut statement| statement.execute(params![shop.as_str(), key.version, key.secret, now]))
        .map(|_| ())
        .map_err(write_error)
}

fn add_key(connection: &Connection, shop: &ShopId, secret: &str) -> Result<SecretKey, StoreError> {
    let latest: Option<i64> = connection
        .prepare_cached(
            "SELECT (SELECT MAX(key_version) FROM sips_keys WHERE shop_id = ?1) \
             FROM shops WHERE id = ?1",
        )
        .and_then(|mut statement| {
            let mut rows = statement.query(params![shop.as_str()])?;
            match rows.next()? {
                Some(row) => Ok(Some(row.get::<_, Option<i64>>(0)?.unwrap_or(0))),
                None => Ok(None),
            }
        })
        .map_err(sql_error)?;
    let latest = latest.ok_or(StoreError::NotFound)?;
    let key = rows::secret_key(latest + 1, secret)?;
    insert_key(connection, shop, &key, &rows::timestamp_text(Utc::now()))?;
    Ok(key)
}

/// Candidates of the capture batch; the conditions are `transaction::settle`'s.
const SETTLE_CANDIDATES: &str = concat!(
    "SELECT ",
    transaction_columns!(),
    " FROM transactions WHERE status = ?2 AND capture_date <= ?1 UNION ALL SELECT ",
    transaction_columns!(),
    " FROM transactions WHERE status = ?3 AND capture_date < ?1 UNION ALL SELECT ",
    transaction_columns!(),
    " FROM transactions WHERE status = ?4 LIMIT ?5"
);

fn settle_chunk(connection: &Connection, today: NaiveDate, now: DateTime<Utc>) -> Result<Chunk, StoreError> {
    let mut candidates = Vec::with_capacity(BATCH_CHUNK);
    {
        let mut statement = connection.prepare_cached(SETTLE_CANDIDATES).map_err(sql_error)?;
        let mut rows = statement
            .query(params![
                rows::date_text(today),
                TransactionStatus::ToCapture.as_str(),
                TransactionStatus::ToValidate.as_str(),
                TransactionStatus::ToCredit.as_str(),
                BATCH_CHUNK as i64,
            ])
            .map_err(sql_error)?;
        while let Some(row) = rows.next().map_err(sql_error)? {
            candidates.push(read::transaction_from_row(row)?);
        }
    }
    let mut report = BatchReport::default();
    for (row_id, current) in &candidates {
        let Some(transition) = transaction::settle(current, today, now) else {
            continue;
        };
        let transition = rows::checked_transition(current, transition)?;
        update(connection, *row_id, current, &transition.updated)?;
        insert_operation(connection, &transition.operation)?;
        rows::count_settled(&mut report, transition.operation.name);
    }
    Ok(Chunk { report, candidates: candidates.len() })
}
