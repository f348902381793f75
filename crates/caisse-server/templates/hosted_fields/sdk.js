// caisse hosted-fields SDK: turns the hosted-fields form into an in-page call. Without it
// the form still works (a plain POST answering an HTML page with the token).
(function () {
  "use strict";
  function tokenize(form) {
    return fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form)),
    }).then(function (response) { return response.json(); });
  }
  window.SipsHostedFields = { tokenize: tokenize };
  var form = document.getElementById("hosted-fields");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    tokenize(form).then(function (answer) {
      // The merchant's page (the iframe's parent) receives the outcome.
      if (window.parent !== window) { window.parent.postMessage(answer, "*"); }
      var note = document.getElementById("error") || document.createElement("p");
      note.id = "error";
      note.textContent = answer.paymentToken ? "Card registered." : "Refused (responseCode " + answer.responseCode + ").";
      form.parentNode.insertBefore(note, form);
      form.dispatchEvent(new CustomEvent("paymentToken", { detail: answer }));
    });
  });
})();
