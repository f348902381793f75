//! cashManagement/refund: returns part or all of a captured transaction to the card.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{cash_answer, cash_operation, failure};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let operation = cash_operation(context, fields)?;
    let transition = context.payments.refund(operation).await.map_err(failure)?;
    // newAmount: what may still be refunded.
    let mut answer = cash_answer(&transition, transition.updated.refundable());
    answer.maybe_text("authorisationId", transition.operation.authorisation_id.clone());
    Ok(answer)
}
