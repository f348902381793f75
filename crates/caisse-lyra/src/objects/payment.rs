//! `V4/Payment` (CreatePayment SILENT/PCI, CreateToken PCI) and `V4/OrderTransactions`
//! (Order/Get).

use crate::json::{Json, Object};
use crate::objects::status::DetailedStatus;
use crate::objects::transaction::{order_details, payment_transaction, transaction, transaction_customer};
use crate::objects::{View, date_time};
use chrono::{DateTime, Utc};

/// The order of one new transaction, as the platform answers a payment made at once.
pub fn payment(view: &View<'_>, server_date: DateTime<Utc>) -> Object {
    let tx = view.transaction;
    let status = DetailedStatus::of(tx).status();
    Object::new()
        .with("shopId", tx.shop_id.as_str().to_owned())
        .with("orderCycle", status.order_cycle())
        .with("orderStatus", status.as_str())
        .with("serverDate", date_time(server_date))
        .with("orderDetails", order_details(tx))
        .with("customer", transaction_customer(tx))
        .with("transactions", vec![Json::from(payment_transaction(view))])
        .with("subMerchantDetails", Json::Null)
        .typed("V4/Payment")
}

pub fn order_transactions(shop_id: &str, order_id: &str, views: &[View<'_>]) -> Object {
    let transactions: Vec<Json> = views.iter().map(|view| transaction(view).into()).collect();
    Object::new()
        .with("orderId", order_id.to_owned())
        .with("shopId", shop_id.to_owned())
        .with("transactions", transactions)
        .typed("V4/OrderTransactions")
}
