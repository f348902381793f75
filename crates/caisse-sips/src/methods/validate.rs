//! cashManagement/validate: releases a VALIDATION transaction for capture, for at most the
//! authorised amount.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{cash_answer, cash_operation, failure};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let operation = cash_operation(context, fields)?;
    let transition = context.payments.validate(operation).await.map_err(failure)?;
    // newAmount: the validated amount, the one that will be captured.
    let mut answer = cash_answer(&transition, transition.updated.amount);
    answer
        .maybe_text("authorisationId", transition.operation.authorisation_id.clone())
        .date("captureLimitDate", transition.updated.capture_date);
    Ok(answer)
}
