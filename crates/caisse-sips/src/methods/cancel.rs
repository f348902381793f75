//! cashManagement/cancel: lowers (partial) or cancels (total) a transaction not yet sent to
//! the bank.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{cash_answer, cash_operation, failure};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let operation = cash_operation(context, fields)?;
    let transition = context.payments.cancel(operation).await.map_err(failure)?;
    // newAmount: what is left to capture.
    Ok(cash_answer(&transition, transition.updated.amount))
}
