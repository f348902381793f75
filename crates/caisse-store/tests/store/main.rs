//! The storage test suite. Every case in `cases` runs on SQLite and on PostgreSQL
//! (`CAISSE_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test), each in a
//! database of its own.

mod cases;
mod form;
mod harness;
mod later_notices;
mod lyra;
mod notifications;
mod payment_sessions;
mod payment_tokens;
mod single;
mod three_ds;
mod wallets;

/// Runs each case on both backends, on a multi-threaded runtime so that concurrent cases
/// really race.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::harness::Db::new(crate::harness::Backend::Sqlite);
                    crate::cases::$case(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::harness::Db::new(crate::harness::Backend::Postgres);
                    crate::cases::$case(&db).await;
                }
            )*
        }
    };
}

on_both_backends!(
    seeded_shops_and_keys,
    create_shop_once,
    add_key_gives_the_next_version,
    insert_and_read_back_by_every_key,
    s10_ids_are_distinct_within_a_day,
    instants_are_kept_to_the_microsecond,
    another_shops_transaction_is_unknown,
    insert_for_an_unknown_shop_fails,
    duplicate_reference_is_refused,
    a_failed_insert_keeps_nothing,
    concurrent_inserts_of_one_reference_one_wins,
    apply_cancel_and_refund,
    refusal_leaves_the_row_unchanged,
    panicking_or_renaming_transition_is_an_error,
    concurrent_partial_refunds_never_exceed_the_amount,
    batch_settles_the_right_transactions,
    concurrent_batches_settle_each_transaction_once,
    reveal_pan_round_trips_and_the_pan_is_stored_encrypted,
    wrong_vault_key_fails_to_decrypt,
    data_survives_reopening,
    new_transaction_fields_round_trip,
    rows_without_the_new_fields_still_read,
    refund_inserts_its_credit,
    concurrent_refunds_insert_one_credit_each,
    transactions_by_order_lists_oldest_first,
    lyra_credentials_are_seeded_and_set,
    token_with_verification_and_card,
    change_token_cancels_and_reactivates,
    renew_token_card_is_one_transaction,
    payment_form_round_trips,
    subscriptions_insert_read_and_change,
    due_subscriptions_oldest_first,
    record_installment_once,
    concurrent_installments_record_one,
    wallet_means_by_rank,
    same_card_or_account_twice_in_a_wallet_is_refused,
    another_shops_wallet_is_unknown,
    concurrent_adds_get_distinct_ranks,
    payment_token_and_card_round_trip,
    payment_token_is_spent_once_with_its_payment,
    a_refused_insert_leaves_the_token_unspent,
    concurrent_spends_of_one_token_one_wins,
    payment_and_notifications_round_trip,
    a_failed_payment_writes_no_notification,
    claims_lease_due_notifications,
    concurrent_claims_never_share_a_notification,
    notification_rules_are_seeded_and_set,
    three_ds_insert_and_read_back,
    three_ds_insert_is_atomic,
    three_ds_decides_once,
    three_ds_completes_both_or_neither,
    three_ds_authorises_with_the_pares,
    concurrent_pares_spends_one_wins,
    form_settings_are_seeded_and_set,
    trans_ids_are_reserved_once_per_day_whatever_the_case,
    concurrent_reservations_of_one_trans_id_one_wins,
    payment_sessions_round_trip_and_abandon_once,
    a_session_pays_once_with_its_notifications,
    concurrent_payments_of_one_session_one_wins,
    an_abandonment_writes_its_notifications_once,
    expired_unfinished_sessions_are_listed_oldest_first,
    a_waiting_three_ds_payment_claims_its_session_once,
    a_later_change_commits_with_its_notice,
    no_notice_without_a_session_or_with_the_rule_off,
    a_failing_notice_fails_its_change,
    the_noticed_batch_notices_what_it_settles,
);
