/* The payment page (templates/booking/payments/pay.html): Stripe.js' card
   element collects the card, Stripe.js turns it into a token (card data go
   to Stripe only), the server confirms the PaymentIntent with it; a card that
   needs 3-D Secure is confirmed in Stripe's dialog with confirmCardPayment.
   Whatever happens here, the status page shows what Stripe told the server. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof window.Stripe !== "function") { return; }
  var button = document.getElementById("pay-button");
  var messageBox = document.getElementById("payment-message");
  var statusBox = document.getElementById("payment-status");
  var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  button.disabled = false;

  function say(box, text) { box.textContent = text || ""; }
  function fail(text) {
    say(statusBox, "");
    say(messageBox, text);
    button.disabled = false;
    messageBox.setAttribute("tabindex", "-1");
    messageBox.focus();
  }
  function done() { window.location.assign(form.getAttribute("data-next")); }

  function submitToken(tokenId) {
    return fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": form.getAttribute("data-csrf")
      },
      body: JSON.stringify({ token: tokenId })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    say(messageBox, "");
    say(statusBox, form.getAttribute("data-msg-busy"));
    stripe.createToken(card).then(function (result) {
      if (result.error) {
        fail(form.getAttribute("data-msg-failed"));
        return null;
      }
      return submitToken(result.token.id);
    }).then(function (answer) {
      if (!answer) { return; }
      var body = answer.body || {};
      if (!answer.ok) {
        fail((body.error && body.error.message) || form.getAttribute("data-msg-unavailable"));
        return;
      }
      if (body.message) { fail(body.message); return; }
      if (body.status === "requires_action" && body.client_secret) {
        return stripe.confirmCardPayment(body.client_secret).then(function (result) {
          if (result.error) { fail(form.getAttribute("data-msg-auth")); return; }
          done();
        });
      }
      done();
    }).catch(function () { fail(form.getAttribute("data-msg-unavailable")); });
  });
}());
