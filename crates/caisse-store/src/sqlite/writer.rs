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
use caisse_core::payment_form::PaymentForm;
use caisse_core::ports::{
    ApplyError, BatchReport, ChangeError, ChangeFn, InsertError, Installment, InstallmentError, StoreError,
    TransitionFn,
};
use caisse_core::shop::{LyraCredentials, SecretKey, Shop, ShopId};
use caisse_core::subscription::{Subscription, SubscriptionRefusal};
use caisse_core::token::{PaymentToken, TokenRefusal};
use caisse_core::transaction::{self, Transaction, TransactionKey, TransactionStatus, Transition};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, ErrorCode, params};
use tokio::sync::{mpsc, oneshot};

pub(super) mod extension;
pub(super) mod notifications;
pub(super) mod payment_tokens;
pub(super) mod three_ds;

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
        /// The later notices the change owes, written in its savepoint (`apply_noticed`).
        notices: Option<super::later_notices::Noticing>,
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
        /// The batch's notices, written with each settled transaction.
        notices: Option<std::sync::Arc<dyn caisse_core::ports::LaterNotices>>,
        reply: Reply<Chunk, StoreError>,
    },
    // The Sogecommerce (Lyra) jobs: rare next to payments, so their larger parts are boxed to
    // keep every queued job (an `Insert` nearly always) as small as before.
    SetLyraCredentials {
        credentials: Box<LyraCredentials>,
        reply: Reply<(), StoreError>,
    },
    InsertToken(Box<NewToken>),
    ChangeToken {
        shop: ShopId,
        token_id: String,
        change: ChangeFn<PaymentToken, TokenRefusal>,
        reply: Reply<PaymentToken, ChangeError<TokenRefusal>>,
    },
    RenewTokenCard(Box<TokenRenewal>),
    InsertPaymentForm {
        form: Box<PaymentForm>,
        /// The form's request as JSON, computed by the caller.
        request: String,
        reply: Reply<(), StoreError>,
    },
    InsertSubscription {
        subscription: Box<Subscription>,
        /// `rows::subscription_details_json`, computed by the caller.
        details: String,
        reply: Reply<(), InsertError>,
    },
    ChangeSubscription {
        shop: ShopId,
        subscription_id: String,
        change: ChangeFn<Subscription, SubscriptionRefusal>,
        reply: Reply<Subscription, ChangeError<SubscriptionRefusal>>,
    },
    RecordInstallment(Box<NewInstallment>),
    /// A feature module's write (`extension`).
    Write(extension::WriteJob),
    SpendPaymentToken(payment_tokens::SpendJob),
    InsertWithNotifications(notifications::InsertJob),
    ThreeDs(three_ds::ThreeDsJob),
}

/// A token to insert, with what comes with it.
pub(super) struct NewToken {
    pub(super) token: PaymentToken,
    /// `rows::token_details_json`, computed by the caller.
    pub(super) details: String,
    /// The VERIFICATION transaction, its first operation and its `rows::details_json`.
    pub(super) verification: Option<(Transaction, Operation, String)>,
    pub(super) card: Option<SealedCard>,
    pub(super) reply: Reply<PaymentToken, InsertError>,
}

/// A token's new card with the VERIFICATION that accepted it.
pub(super) struct TokenRenewal {
    pub(super) shop: ShopId,
    pub(super) token_id: String,
    pub(super) change: ChangeFn<PaymentToken, TokenRefusal>,
    /// The VERIFICATION transaction, its first operation and its `rows::details_json`.
    pub(super) verification: (Transaction, Operation, String),
    pub(super) card: SealedCard,
    pub(super) reply: Reply<PaymentToken, ChangeError<TokenRefusal>>,
}

pub(super) struct NewInstallment {
    pub(super) installment: Installment,
    /// `rows::details_json` of the installment's transaction, computed by the caller.
    pub(super) transaction_details: String,
    /// `rows::subscription_details_json` of the subscription as it becomes.
    pub(super) subscription_details: String,
    pub(super) reply: Reply<Transaction, InstallmentError>,
}

/// The errors jobs answer with, built from a store error (a failed statement, a rolled back
/// group).
pub(super) trait FromStore {
    fn from_store(error: StoreError) -> Self;
}

impl FromStore for StoreError {
    fn from_store(error: StoreError) -> Self {
        error
    }
}

impl FromStore for InsertError {
    fn from_store(error: StoreError) -> Self {
        InsertError::Store(error)
    }
}

impl FromStore for ApplyError {
    fn from_store(error: StoreError) -> Self {
        ApplyError::Store(error)
    }
}

impl<R> FromStore for ChangeError<R> {
    fn from_store(error: StoreError) -> Self {
        ChangeError::Store(error)
    }
}

impl FromStore for InstallmentError {
    fn from_store(error: StoreError) -> Self {
        InstallmentError::Insert(InsertError::Store(error))
    }
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
    pub(super) async fn submit<T, E: FromStore>(&self, make: impl FnOnce(Reply<T, E>) -> Job) -> Result<T, E> {
        let (reply, result) = oneshot::channel();
        if self.jobs.send(make(reply)).await.is_err() {
            return Err(E::from_store(stopped()));
        }
        result.await.unwrap_or_else(|_| Err(E::from_store(stopped())))
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
        Job::Apply { shop, key, transition, notices, reply } => Done::Apply(
            reply,
            Box::new(savepoint(connection, group, |group| {
                let transition = apply(connection, group, &shop, &key, transition)?;
                if let Some((notices, source)) = &notices {
                    let noticed = crate::later_notice_rows::noticed(&transition);
                    super::later_notices::write(connection, noticed, notices.as_ref(), *source)?;
                }
                Ok(transition)
            })),
        ),
        Job::CreateShop { shop, reply } => {
            Done::Unit(reply, savepoint(connection, group, |_| create_shop(connection, &shop)))
        }
        Job::AddKey { shop, secret, reply } => {
            Done::Key(reply, savepoint(connection, group, |_| add_key(connection, &shop, &secret)))
        }
        Job::Settle { today, now, notices, reply } => Done::Settle(
            reply,
            savepoint(connection, group, |_| settle_chunk(connection, today, now, notices.as_deref())),
        ),
        Job::SetLyraCredentials { credentials, reply } => {
            Done::Unit(reply, savepoint(connection, group, |_| set_lyra_credentials(connection, &credentials)))
        }
        Job::InsertToken(job) => {
            let NewToken { token, details, verification, card, reply } = *job;
            let result = savepoint(connection, group, |group| {
                insert_token(connection, group, token, &details, verification, card)
            });
            Done::Token(reply, result)
        }
        Job::ChangeToken { shop, token_id, change, reply } => Done::TokenChange(
            reply,
            savepoint(connection, group, |_| change_token(connection, &shop, &token_id, change)),
        ),
        Job::RenewTokenCard(job) => {
            let TokenRenewal { shop, token_id, change, verification, card, reply } = *job;
            let result = savepoint(connection, group, |group| {
                let renewed = change_token(connection, &shop, &token_id, change)?;
                rows::check_same_shop("a token's verification", &renewed.shop_id, &verification.0.shop_id)?;
                insert_card(connection, &renewed.shop_id, &card, &rows::timestamp_text(verification.0.created_at))?;
                let (transaction, operation, details) = verification;
                insert_new(connection, group, transaction, operation, &details)?;
                Ok(renewed)
            });
            Done::TokenChange(reply, result)
        }
        Job::InsertPaymentForm { form, request, reply } => {
            Done::Unit(reply, savepoint(connection, group, |_| insert_payment_form(connection, &form, &request)))
        }
        Job::InsertSubscription { subscription, details, reply } => Done::SubscriptionInsert(
            reply,
            savepoint(connection, group, |_| insert_subscription(connection, &subscription, &details)),
        ),
        Job::ChangeSubscription { shop, subscription_id, change, reply } => Done::SubscriptionChange(
            reply,
            Box::new(savepoint(connection, group, |_| {
                change_subscription(connection, &shop, &subscription_id, change)
            })),
        ),
        Job::Write(job) => Done::Write(job.run(connection, group)),
        Job::SpendPaymentToken(job) => Done::Write(job.run(connection, group)),
        Job::InsertWithNotifications(job) => Done::Write(job.run(connection, group)),
        Job::ThreeDs(job) => Done::Write(job.run(connection, group)),
        Job::RecordInstallment(job) => {
            let NewInstallment { installment, transaction_details, subscription_details, reply } = *job;
            let result = savepoint(connection, group, |group| {
                record_installment(connection, group, installment, &transaction_details, &subscription_details)
            });
            Done::Installment(reply, result)
        }
    }
}

/// Runs one job in its own savepoint: kept if it succeeds, rolled back if it fails or panics.
fn savepoint<T, E: FromStore>(
    connection: &Connection,
    group: &mut Group,
    body: impl FnOnce(&mut Group) -> Result<T, E>,
) -> Result<T, E> {
    if let Err(error) = execute(connection, "SAVEPOINT job") {
        group.broken = true;
        return Err(E::from_store(error));
    }
    let result = match guarded(|| body(group)) {
        Ok(result) => result,
        Err(panicked) => Err(E::from_store(panicked)),
    };
    let closed = if result.is_ok() {
        execute(connection, "RELEASE job")
    } else {
        execute(connection, "ROLLBACK TO job").and_then(|()| execute(connection, "RELEASE job"))
    };
    if let Err(error) = closed {
        group.broken = true;
        return Err(E::from_store(error));
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

/// A job's result, held until its group is committed. Results larger than an insert's are
/// boxed, so that holding a group's results costs what it did before they existed.
enum Done {
    Insert(Reply<Transaction, InsertError>, Result<Transaction, InsertError>),
    Apply(Reply<Transition, ApplyError>, Box<Result<Transition, ApplyError>>),
    Unit(Reply<(), StoreError>, Result<(), StoreError>),
    Key(Reply<SecretKey, StoreError>, Result<SecretKey, StoreError>),
    Settle(Reply<Chunk, StoreError>, Result<Chunk, StoreError>),
    Token(Reply<PaymentToken, InsertError>, Result<PaymentToken, InsertError>),
    TokenChange(Reply<PaymentToken, ChangeError<TokenRefusal>>, Result<PaymentToken, ChangeError<TokenRefusal>>),
    SubscriptionInsert(Reply<(), InsertError>, Result<(), InsertError>),
    SubscriptionChange(
        Reply<Subscription, ChangeError<SubscriptionRefusal>>,
        Box<Result<Subscription, ChangeError<SubscriptionRefusal>>>,
    ),
    Installment(Reply<Transaction, InstallmentError>, Result<Transaction, InstallmentError>),
    Write(Box<dyn extension::AnyDone>),
}

impl Done {
    fn failed(job: Job, failure: &str) -> Done {
        let error = || StoreError::Unavailable(failure.to_owned());
        match job {
            Job::Insert { reply, .. } => Done::Insert(reply, Err(error().into())),
            Job::Apply { reply, .. } => Done::Apply(reply, Box::new(Err(error().into()))),
            Job::CreateShop { reply, .. } => Done::Unit(reply, Err(error())),
            Job::AddKey { reply, .. } => Done::Key(reply, Err(error())),
            Job::Settle { reply, .. } => Done::Settle(reply, Err(error())),
            Job::SetLyraCredentials { reply, .. } => Done::Unit(reply, Err(error())),
            Job::InsertToken(job) => Done::Token(job.reply, Err(error().into())),
            Job::ChangeToken { reply, .. } => Done::TokenChange(reply, Err(error().into())),
            Job::RenewTokenCard(job) => Done::TokenChange(job.reply, Err(error().into())),
            Job::InsertPaymentForm { reply, .. } => Done::Unit(reply, Err(error())),
            Job::InsertSubscription { reply, .. } => Done::SubscriptionInsert(reply, Err(error().into())),
            Job::ChangeSubscription { reply, .. } => Done::SubscriptionChange(reply, Box::new(Err(error().into()))),
            Job::RecordInstallment(job) => Done::Installment(job.reply, Err(InstallmentError::from_store(error()))),
            Job::Write(job) => Done::Write(job.failed(failure)),
            Job::SpendPaymentToken(job) => Done::Write(job.failed(failure)),
            Job::InsertWithNotifications(job) => Done::Write(job.failed(failure)),
            Job::ThreeDs(job) => Done::Write(job.failed(failure)),
        }
    }

    /// Replies. If the group did not commit (`failure`), a job that succeeded in it did not
    /// happen: it gets the failure instead. A caller that went away is not an error.
    fn deliver(self, failure: Option<&str>) {
        fn settle<T, E: FromStore>(reply: Reply<T, E>, result: Result<T, E>, failure: Option<&str>) {
            let result = match (result, failure) {
                (Ok(_), Some(failure)) => {
                    Err(E::from_store(StoreError::Unavailable(format!("sqlite commit failed: {failure}"))))
                }
                (result, _) => result,
            };
            let _ = reply.send(result);
        }
        match self {
            Done::Insert(reply, result) => settle(reply, result, failure),
            Done::Apply(reply, result) => settle(reply, *result, failure),
            Done::Unit(reply, result) => settle(reply, result, failure),
            Done::Key(reply, result) => settle(reply, result, failure),
            Done::Settle(reply, result) => settle(reply, result, failure),
            Done::Token(reply, result) => settle(reply, result, failure),
            Done::TokenChange(reply, result) => settle(reply, result, failure),
            Done::SubscriptionInsert(reply, result) => settle(reply, result, failure),
            Done::SubscriptionChange(reply, result) => settle(reply, *result, failure),
            Done::Installment(reply, result) => settle(reply, result, failure),
            Done::Write(done) => done.deliver(failure),
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
    insert_transaction_row(connection, row_id, &transaction, &created_at, details)?;
    *wrote = true;
    insert_operation(connection, &operation)?;
    if let Some(card) = card {
        insert_card(connection, &transaction.shop_id, &card, &created_at)?;
    }
    Ok(transaction)
}

/// Writes a new transaction's row under `row_id` (its s10 id already derived from it).
fn insert_transaction_row(
    connection: &Connection,
    row_id: i64,
    transaction: &Transaction,
    created_at: &str,
    details: &str,
) -> Result<(), InsertError> {
    let mut statement = connection
        .prepare_cached(
            "INSERT INTO transactions (row_id, id, shop_id, reference, s10_transaction_id, \
             s10_date, kind, status, currency, origin_amount, amount, refunded_amount, \
             capture_mode, capture_day, capture_date, created_at, last_operation, \
             last_operation_at, details, order_id) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
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
            rows::order_id(transaction),
        ])
        .map_err(|error| {
            if constraint_failed(&error, "transactions.shop_id, transactions.reference") {
                InsertError::DuplicateReference
            } else {
                write_error(error).into()
            }
        })?;
    Ok(())
}

fn insert_card(connection: &Connection, shop: &ShopId, card: &SealedCard, created_at: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO cards (card_id, shop_id, nonce, ciphertext, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                card.card_id,
                shop.as_str(),
                card.sealed.nonce.as_slice(),
                card.sealed.ciphertext,
                created_at,
            ])
        })
        .map(|_| ())
        .map_err(write_error)
}

/// Inserts a transaction and its first operation inside a job's savepoint (a verification,
/// an installment, a refund's credit): no card of its own, a row id of the group's.
fn insert_new(
    connection: &Connection,
    group: &mut Group,
    transaction: Transaction,
    operation: Operation,
    details: &str,
) -> Result<(Transaction, Operation), InsertError> {
    let (mut transaction, operation) = rows::checked_new(transaction, operation)?;
    let row_id = group.next_row_id(connection)?;
    transaction.s10_transaction_id = rows::s10_of(row_id);
    let created_at = rows::timestamp_text(transaction.created_at);
    insert_transaction_row(connection, row_id, &transaction, &created_at, details)?;
    insert_operation(connection, &operation)?;
    Ok((transaction, operation))
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
             details = COALESCE(?13, details), order_id = ?14 WHERE row_id = ?1",
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
                rows::order_id(updated),
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
    group: &mut Group,
    shop: &ShopId,
    key: &TransactionKey,
    transition: TransitionFn,
) -> Result<Transition, ApplyError> {
    let Some((row_id, current)) = read::find_transaction(connection, shop, key)? else {
        return Err(ApplyError::NotFound);
    };
    let mut transition = rows::checked_transition(&current, transition(&current)?)?;
    update(connection, row_id, &current, &transition.updated)?;
    insert_operation(connection, &transition.operation)?;
    if let Some((spawned, operation)) = transition.spawned.take() {
        // A refund's CREDIT: in the job's savepoint with the parent's update, its card the
        // parent's vault entry. Its reference cannot clash with a merchant's (see
        // `CREDIT_REFERENCE_PREFIX`): a clash is a bug, reported as such.
        let details = rows::details_json(&spawned)?;
        let stored = insert_new(connection, group, spawned, operation, &details).map_err(|error| match error {
            InsertError::DuplicateReference => StoreError::AlreadyExists,
            InsertError::Store(error) => error,
        })?;
        transition.spawned = Some(stored);
    }
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

fn settle_chunk(
    connection: &Connection,
    today: NaiveDate,
    now: DateTime<Utc>,
    notices: Option<&dyn caisse_core::ports::LaterNotices>,
) -> Result<Chunk, StoreError> {
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
        if let Some(notices) = notices {
            let batch = caisse_core::ports::LaterSource::Batch;
            super::later_notices::write(connection, &transition.updated, notices, batch)?;
        }
        rows::count_settled(&mut report, transition.operation.name);
    }
    Ok(Chunk { report, candidates: candidates.len() })
}

// --- Sogecommerce (Lyra) -------------------------------------------------------------------

fn set_lyra_credentials(connection: &Connection, credentials: &LyraCredentials) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO lyra_credentials (shop_id, test_password, production_password, \
             test_hmac_key, production_hmac_key, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (shop_id) DO UPDATE SET test_password = excluded.test_password, \
             production_password = excluded.production_password, \
             test_hmac_key = excluded.test_hmac_key, \
             production_hmac_key = excluded.production_hmac_key, updated_at = excluded.updated_at",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                credentials.shop_id.as_str(),
                credentials.test_password,
                credentials.production_password,
                credentials.test_hmac_key,
                credentials.production_hmac_key,
                rows::timestamp_text(Utc::now()),
            ])
        })
        .map(|_| ())
        .map_err(write_error)
}

fn insert_token(
    connection: &Connection,
    group: &mut Group,
    token: PaymentToken,
    details: &str,
    verification: Option<(Transaction, Operation, String)>,
    card: Option<SealedCard>,
) -> Result<PaymentToken, InsertError> {
    let token = rows::as_stored_token(token);
    if let Some((transaction, _, _)) = &verification {
        rows::check_same_shop("a token's verification", &token.shop_id, &transaction.shop_id)?;
    }
    // The token first: a clash on its id is the duplicate the caller is told about.
    insert_token_row(connection, &token, details)?;
    if let Some(card) = card {
        insert_card(connection, &token.shop_id, &card, &rows::timestamp_text(token.created_at))?;
    }
    if let Some((transaction, operation, details)) = verification {
        insert_new(connection, group, transaction, operation, &details)?;
    }
    Ok(token)
}

/// A token's row; a clash on its id is `DuplicateReference`.
pub(in crate::sqlite) fn insert_token_row(
    connection: &Connection,
    token: &PaymentToken,
    details: &str,
) -> Result<(), InsertError> {
    connection
        .prepare_cached(
            "INSERT INTO tokens (id, shop_id, status, created_at, cancelled_at, details) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                token.id,
                token.shop_id.as_str(),
                token.status.as_str(),
                rows::timestamp_text(token.created_at),
                token.cancelled_at.map(rows::timestamp_text),
                details,
            ])
        })
        .map_err(|error| {
            if constraint_failed(&error, "tokens.id") {
                InsertError::DuplicateReference
            } else {
                write_error(error).into()
            }
        })?;
    Ok(())
}

/// What a change owes, in its savepoint: the token it registers (a clash on its id is
/// `DuplicateReference`) and its notifications.
pub(in crate::sqlite) fn write_owed(
    connection: &Connection,
    owed: caisse_core::ports::Owed,
) -> Result<(), InsertError> {
    if let Some(token) = owed.token {
        let token = rows::as_stored_token(token);
        insert_token_row(connection, &token, &rows::token_details_json(&token)?)?;
    }
    for row in notifications::NotificationRow::all(&owed.notifications)? {
        row.insert(connection)?;
    }
    Ok(())
}

/// Writes a token's changeable columns over its row.
fn write_token(connection: &Connection, token: &PaymentToken) -> Result<(), StoreError> {
    let details = rows::token_details_json(token)?;
    let changed = connection
        .prepare_cached(
            "UPDATE tokens SET status = ?3, created_at = ?4, cancelled_at = ?5, details = ?6 \
             WHERE id = ?1 AND shop_id = ?2",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                token.id,
                token.shop_id.as_str(),
                token.status.as_str(),
                rows::timestamp_text(token.created_at),
                token.cancelled_at.map(rows::timestamp_text),
                details,
            ])
        })
        .map_err(write_error)?;
    if changed != 1 {
        return Err(StoreError::Corrupt(format!("token {} vanished while locked", token.id)));
    }
    Ok(())
}

/// Runs `change` on the token as the writer (the only one) sees it, and writes the result.
fn change_token(
    connection: &Connection,
    shop: &ShopId,
    token_id: &str,
    change: ChangeFn<PaymentToken, TokenRefusal>,
) -> Result<PaymentToken, ChangeError<TokenRefusal>> {
    let Some(current) = read::token(connection, shop, token_id)? else {
        return Err(ChangeError::NotFound);
    };
    let changed = rows::as_stored_token(change(&current).map_err(ChangeError::Refused)?);
    rows::check_renamed("token", (&current.shop_id, &current.id), (&changed.shop_id, &changed.id))?;
    write_token(connection, &changed)?;
    Ok(changed)
}

fn insert_payment_form(connection: &Connection, form: &PaymentForm, request: &str) -> Result<(), StoreError> {
    let form = rows::as_stored_form(form);
    let amount = rows::amount_column(form.amount)?;
    connection
        .prepare_cached(
            "INSERT INTO payment_forms (form_token, shop_id, mode, purpose, amount, currency, \
             request, created_at, expires_at, consumed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                form.form_token,
                form.shop_id.as_str(),
                form.mode.as_str(),
                rows::purpose_name(form.purpose),
                amount,
                form.currency.alpha_code(),
                request,
                rows::timestamp_text(form.created_at),
                rows::timestamp_text(form.expires_at),
                form.consumed_at.map(rows::timestamp_text),
            ])
        })
        .map(|_| ())
        .map_err(write_error)
}

fn insert_subscription(connection: &Connection, subscription: &Subscription, details: &str) -> Result<(), InsertError> {
    let subscription = rows::as_stored_subscription(subscription.clone());
    connection
        .prepare_cached(
            "INSERT INTO subscriptions (shop_id, id, token_id, status, next_due_at, created_at, details) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                subscription.shop_id.as_str(),
                subscription.id,
                subscription.token_id,
                rows::subscription_status_name(subscription.status),
                subscription.next_due_at.map(rows::timestamp_text),
                rows::timestamp_text(subscription.created_at),
                details,
            ])
        })
        .map(|_| ())
        .map_err(|error| {
            if constraint_failed(&error, "subscriptions.shop_id, subscriptions.id") {
                InsertError::DuplicateReference
            } else {
                write_error(error).into()
            }
        })
}

/// Writes a subscription's changeable columns over its row.
fn write_subscription(connection: &Connection, subscription: &Subscription, details: &str) -> Result<(), StoreError> {
    let changed = connection
        .prepare_cached(
            "UPDATE subscriptions SET token_id = ?3, status = ?4, next_due_at = ?5, created_at = ?6, \
             details = ?7 WHERE shop_id = ?1 AND id = ?2",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                subscription.shop_id.as_str(),
                subscription.id,
                subscription.token_id,
                rows::subscription_status_name(subscription.status),
                subscription.next_due_at.map(rows::timestamp_text),
                rows::timestamp_text(subscription.created_at),
                details,
            ])
        })
        .map_err(write_error)?;
    if changed != 1 {
        return Err(StoreError::Corrupt(format!("subscription {} vanished while locked", subscription.id)));
    }
    Ok(())
}

fn change_subscription(
    connection: &Connection,
    shop: &ShopId,
    subscription_id: &str,
    change: ChangeFn<Subscription, SubscriptionRefusal>,
) -> Result<Subscription, ChangeError<SubscriptionRefusal>> {
    let Some(current) = read::subscription(connection, shop, subscription_id)? else {
        return Err(ChangeError::NotFound);
    };
    let changed = rows::as_stored_subscription(change(&current).map_err(ChangeError::Refused)?);
    rows::check_renamed("subscription", (&current.shop_id, &current.id), (&changed.shop_id, &changed.id))?;
    write_subscription(connection, &changed, &rows::subscription_details_json(&changed)?)?;
    Ok(changed)
}

/// Inserts an installment's transaction and moves its subscription on, unless the
/// subscription's `next_due_at` is no longer the one the installment was computed for.
fn record_installment(
    connection: &Connection,
    group: &mut Group,
    installment: Installment,
    transaction_details: &str,
    subscription_details: &str,
) -> Result<Transaction, InstallmentError> {
    let Installment { transaction, operation, expected_due_at, subscription } = installment;
    let subscription = rows::as_stored_subscription(subscription);
    rows::check_same_shop("an installment", &subscription.shop_id, &transaction.shop_id).map_err(InsertError::from)?;
    let current = read::subscription(connection, &subscription.shop_id, &subscription.id)
        .map_err(InsertError::from)?
        .ok_or(InsertError::Store(StoreError::NotFound))?;
    if current.next_due_at != Some(rows::stored_instant(expected_due_at)) {
        return Err(InstallmentError::AlreadyRecorded);
    }
    let (stored, _) = insert_new(connection, group, transaction, operation, transaction_details)?;
    write_subscription(connection, &subscription, subscription_details).map_err(InsertError::from)?;
    Ok(stored)
}
