/* stripe-fc-emulator's Stripe.js shim: the Financial Connections and us_bank_account parts of Stripe.js, talking
   to the emulator that served this file. Flow outcomes resolve (never reject), as Stripe.js does. */
(function () {
  "use strict";
  var script = document.currentScript;
  // the emulator this shim talks to: window.STRIPE_FC_EMULATOR_URL when set (e.g. when a test routes
  // https://js.stripe.com/v3/ to the emulator), else the origin that served this file
  var defaultBase = window.STRIPE_FC_EMULATOR_URL || (script ? new URL(script.src).origin : "");
  // the release it was loaded as: /v3/ (Stripe.version 3) or a release train's /<train>/stripe.js (Stripe.version
  // "<train>", e.g. "endive", what @stripe/stripe-js 10.x loads and expects); the same shim either way
  var loadedAs = script ? /^\/([a-z0-9]+)\/(stripe\.js)?$/.exec(new URL(script.src).pathname) : null;
  var release = loadedAs ? loadedAs[1] : "v3";

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_test_") !== 0) {
      throw new Error("stripe-fc-emulator: use a test publishable key (pk_test_…)");
    }
    this._key = publishableKey;
    this._base = (options && options.apiBase) || defaultBase;
  }

  function failure(type, message, extra) {
    var error = Object.assign({ type: type, message: message }, extra || {});
    return { error: error };
  }

  Stripe.prototype._call = function (method, path, params) {
    var url = this._base + path;
    var init = { method: method, headers: { Authorization: "Bearer " + this._key } };
    var body = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) { if (params[k] !== undefined) body.append(k, params[k]); });
    if (method === "GET") url += "?" + body.toString();
    else { init.body = body; init.headers["Content-Type"] = "application/x-www-form-urlencoded"; }
    return fetch(url, init).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    });
  };

  Stripe.prototype._clientSession = function (clientSecret) {
    return this._call("GET", "/_emulator/client/financial_connections/session", { client_secret: clientSecret });
  };

  Stripe.prototype._runFlow = function (clientSecret) {
    var self = this;
    return self._clientSession(clientSecret).then(function (found) {
      if (!found.ok) return { failed: found.json };
      return new Promise(function (resolve) {
        var overlay = document.createElement("div");
        overlay.setAttribute("data-stripe-fc-emulator", "modal");
        overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483647;display:flex;" +
          "align-items:center;justify-content:center";
        var frame = document.createElement("iframe");
        frame.title = "Link your bank account";
        frame.name = "stripe-fc-emulator-auth-flow";
        frame.style.cssText = "width:420px;height:620px;border:0;border-radius:8px;background:#fff";
        frame.src = self._base + "/hosted/financial_connections/" + encodeURIComponent(found.json.id) +
          "?client_secret=" + encodeURIComponent(clientSecret) + "&key=" + encodeURIComponent(self._key);
        overlay.appendChild(frame);
        document.body.appendChild(overlay);
        function onMessage(event) {
          var data = event.data || {};
          if (event.source !== frame.contentWindow || data.type !== "stripe-fc-emulator:done") return;
          window.removeEventListener("message", onMessage);
          overlay.remove();
          self._clientSession(clientSecret).then(function (done) { resolve({ session: done.json }); });
        }
        window.addEventListener("message", onMessage);
      });
    });
  };

  Stripe.prototype.collectFinancialConnectionsAccounts = function (options) {
    if (!options || !options.clientSecret) {
      return Promise.resolve(failure("invalid_request_error", "collectFinancialConnectionsAccounts needs clientSecret"));
    }
    return this._runFlow(options.clientSecret).then(function (result) {
      if (result.failed) return failure("invalid_request_error", result.failed.error.message, result.failed.error);
      return { financialConnectionsSession: result.session };
    });
  };

  Stripe.prototype.collectBankAccountToken = function (options) {
    var self = this;
    return this.collectFinancialConnectionsAccounts(options).then(function (result) {
      if (result.error || !result.financialConnectionsSession.accounts.length) return result;
      return self._call("POST", "/_emulator/client/financial_connections/token",
        { client_secret: options.clientSecret }).then(function (made) {
        if (!made.ok) return failure("invalid_request_error", made.json.error.message, made.json.error);
        return { financialConnectionsSession: result.financialConnectionsSession, token: made.json };
      });
    });
  };

  Stripe.prototype.retrieveSetupIntent = function (clientSecret) {
    return this._call("GET", "/_emulator/client/setup_intent", { client_secret: clientSecret }).then(function (r) {
      return r.ok ? { setupIntent: r.json } : failure("invalid_request_error", r.json.error.message, r.json.error);
    });
  };

  Stripe.prototype.collectBankAccountForSetup = function (options) {
    var self = this;
    var secret = options && options.clientSecret;
    return this._call("POST", "/_emulator/client/setup_intent/session", { client_secret: secret })
      .then(function (made) {
        if (!made.ok) return failure("invalid_request_error", made.json.error.message, made.json.error);
        return self._runFlow(made.json.client_secret).then(function () {
          return self._call("POST", "/_emulator/client/setup_intent/attach", { client_secret: secret })
            .then(function (r) {
              return r.ok ? { setupIntent: r.json }
                          : failure("invalid_request_error", r.json.error.message, r.json.error);
            });
        });
      });
  };

  Stripe.prototype.confirmUsBankAccountSetup = function (clientSecret, data) {
    var params = { client_secret: clientSecret };
    if (data && data.payment_method) params.payment_method = data.payment_method;
    return this._call("POST", "/_emulator/client/setup_intent/confirm", params).then(function (r) {
      return r.ok ? { setupIntent: r.json } : failure(r.json.error.type, r.json.error.message, r.json.error);
    });
  };

  Stripe.version = release === "v3" ? 3 : release;
  // @stripe/stripe-js tells Stripe.js which wrapper loaded it; nothing to record here
  Stripe.prototype._registerWrapper = function () {};
  window.Stripe = Stripe;
})();
