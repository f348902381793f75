//! The Form API's use of the store before the hosted payment page opens: the shop's form
//! settings, and the reservation of a `vads_trans_id`.

use super::Payments;
use crate::form_settings::{FormSettings, FormTransIdKey, Reservation};
use crate::ports::StoreError;
use crate::shop::ShopId;

impl Payments {
    /// A shop's form settings; `None` for an unknown shop.
    pub async fn form_settings(&self, shop: &ShopId) -> Result<Option<FormSettings>, StoreError> {
        self.store.form_settings(shop).await
    }

    /// Reserves a `vads_trans_id` for its shop and day: `AlreadyUsed` when any form (in any
    /// case, by any caisse process) took it first.
    pub async fn reserve_trans_id(&self, key: &FormTransIdKey) -> Result<Reservation, StoreError> {
        self.store.reserve_form_trans_id(key, self.clock.now()).await
    }
}
