// relink-shop-node: an integrator's Financial Connections relink code in Node.js, with the official `stripe`
// package, served over plain `http` with the routes of stripe-fc-emulator's HTTP adapter. Run it with
// `PORT=8000 node server.js`, then `stripe-fc-emulator scenario run builtin --client-url http://127.0.0.1:8000`.
'use strict';

const http = require('http');
const Stripe = require('stripe');

const MANDATE = {customer_acceptance: {type: 'online', online: {ip_address: '198.51.100.1', user_agent: 'shop-node'}}};

const store = {
  stripe: null,
  webhookSecret: '',
  prompts: [],
  known: {}, // relink session -> the account ids known before it
  methods: {}, // customer -> the PaymentMethod the shop debits (the one set up last)
  destinations: {}, // connected account -> the bank account the shop pays out to
  lastPayoutResponse: null, // what stripe-node read from the last payout's response
};

function client() {
  if (!store.stripe) throw new Error('configure first');
  return store.stripe;
}

function configure(settings) {
  const base = new URL(settings.base_url);
  store.stripe = new Stripe(settings.api_key, {
    apiVersion: settings.api_version,
    host: base.hostname,
    port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
    protocol: base.protocol.replace(':', ''),
    maxNetworkRetries: 0,
  });
  store.webhookSecret = settings.webhook_secret || '';
  return {ok: true};
}

function webhook(raw, signature) {
  let event;
  try {
    event = Stripe.webhooks.constructEvent(raw, signature, store.webhookSecret);
  } catch (err) {
    return [400, {action: 'rejected'}];
  }
  if (event.type !== 'financial_connections.account.deactivated') return [200, {action: 'ignored'}];
  const account = event.data.object;
  const inactive = (account.status_details || {}).inactive;
  if (account.status === 'inactive' && inactive) {
    if (inactive.action === 'relink_required') {
      store.prompts.push(account.id);
      return [200, {action: 'prompt_relink', account: account.id}];
    }
    return [200, {action: 'no_action', account: account.id}];
  }
  if (account.status === 'inactive') return [200, {action: 'check_api_version', account: account.id}];
  return [200, {action: 'no_action', account: account.id}];
}

async function needed(body) {
  const account = await client().financialConnections.accounts.retrieve(body.account);
  const inactive = (account.status_details || {}).inactive || {};
  if (account.status !== 'inactive' || inactive.action !== 'relink_required') return {needs_relink: false};
  // §6: only an inactive authorization can be repaired by a relink
  const authorization = await client().rawRequest('GET',
      `/v1/financial_connections/authorizations/${account.authorization}`);
  return {needs_relink: authorization.status === 'inactive'};
}

async function start(body) {
  const account = await client().financialConnections.accounts.retrieve(body.account);
  const holder = account.account_holder;
  const params = {
    account_holder: holder === null ? '' : holder,
    permissions: ['payment_method', ...(body.permissions || []).filter((p) => p !== 'payment_method')],
    relink_options: {authorization: account.authorization},
  };
  if (body.any_account) {
    params.filters = {account_subcategories: ['checking', 'savings']};
    params.limits = {accounts: 1};
  } else {
    params.relink_options.account = account.id;
  }
  const session = await client().financialConnections.sessions.create(params);
  const listing = {limit: 100};
  if (holder && holder.customer) listing.account_holder = {customer: holder.customer};
  const known = await client().financialConnections.accounts.list(listing);
  store.known[session.id] = known.data.map((a) => a.id);
  return {session: session.id, client_secret: session.client_secret};
}

async function finish(body) {
  const session = await client().financialConnections.sessions.retrieve(body.session);
  const result = session.relink_result || {};
  if (session.status === 'cancelled') {
    return {status: 'cancelled', account: null, is_new: null, failure_reason: result.failure_reason || null};
  }
  if (session.status !== 'succeeded' || session.accounts.data.length === 0) {
    return {status: 'failed', account: null, is_new: null, failure_reason: result.failure_reason || null};
  }
  const account = session.accounts.data[0].id;
  const isNew = !(store.known[body.session] || []).includes(account); // NOT the sample's inverted includes()
  return {status: 'relinked', account, is_new: isNew, failure_reason: null};
}

async function setupParams(accountId) {
  const account = await client().financialConnections.accounts.retrieve(accountId);
  const params = {
    allowed_payment_method_types: ['us_bank_account'],
    payment_method_data: {
      type: 'us_bank_account',
      us_bank_account: {financial_connections_account: accountId},
      billing_details: {name: 'Shop Customer'},
    },
  };
  if (account.account_holder && account.account_holder.customer) params.customer = account.account_holder.customer;
  return params;
}

async function payments(body) {
  const intent = await client().setupIntents.create(await setupParams(body.account));
  const done = await client().setupIntents.confirm(intent.id, {mandate_data: MANDATE});
  if (done.customer && done.status === 'succeeded') store.methods[done.customer] = done.payment_method;
  return {setup_intent: done.id, payment_method: done.payment_method, status: done.status};
}

async function payouts(body) {
  const params = {...(await setupParams(body.account)), flow_directions: ['outbound'], confirm: true};
  const intent = await client().setupIntents.create(params);
  const tokenParams = {bank_account: {payment_method: intent.payment_method}};
  if (intent.customer) tokenParams.customer = intent.customer;
  const token = await client().tokens.create(tokenParams);
  const holder = await client().financialConnections.accounts.retrieve(body.account);
  const owner = (holder.account_holder || {}).account;
  if (owner) { // the connected account's own bank account receives its payouts
    const bank = await client().accounts.createExternalAccount(owner,
        {external_account: token.id, default_for_currency: true});
    store.destinations[owner] = bank.id;
  }
  return {setup_intent: intent.id, payment_method: intent.payment_method, status: intent.status, token: token.id};
}

async function charge(body) {
  const method = store.methods[body.customer];
  try {
    const intent = await client().paymentIntents.create({
      amount: body.amount, currency: 'usd', customer: body.customer, payment_method: method,
      off_session: true, confirm: true,
    });
    return {payment_intent: intent.id, status: intent.status, payment_method: method, failure_code: null};
  } catch (err) { // Stripe's error carries the PaymentIntent it left
    const intent = err.raw && err.raw.payment_intent;
    if (!intent) throw err;
    return {payment_intent: intent.id, status: intent.status, payment_method: method, failure_code: err.code || null};
  }
}

async function payout(body) {
  const made = await client().payouts.create(
      {amount: body.amount, currency: 'usd', destination: store.destinations[body.account]},
      {stripeAccount: body.account});
  const seen = made.lastResponse;
  store.lastPayoutResponse = {
    requestId: seen.requestId, statusCode: seen.statusCode, apiVersion: seen.apiVersion,
    stripeAccount: seen.stripeAccount, expectedAccount: body.account,
  };
  return {payout: made.id, status: made.status, destination: made.destination};
}

const ROUTES = {
  '/relink/needed': needed,
  '/relink/start': start,
  '/relink/finish': finish,
  '/payments/setup': payments,
  '/payouts/setup': payouts,
  '/payments/charge': charge,
  '/payouts/pay': payout,
};

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text)});
  response.end(text);
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    try {
      if (request.method === 'GET' && request.url === '/debug/last-payout-response') {
        return send(response, 200, store.lastPayoutResponse);
      }
      if (request.method !== 'POST') return send(response, 405, {error: 'POST only'});
      if (request.url === '/_stripe_test/configure') return send(response, 200, configure(JSON.parse(raw)));
      if (request.url === '/webhooks/stripe') {
        const [status, body] = webhook(raw, request.headers['stripe-signature'] || '');
        return send(response, status, body);
      }
      const route = ROUTES[request.url];
      if (!route) return send(response, 404, {error: `no route ${request.url}`});
      return send(response, 200, await route(raw ? JSON.parse(raw) : {}));
    } catch (err) {
      return send(response, 500, {error: String(err && err.message || err)});
    }
  });
});

server.listen(Number(process.env.PORT || 8000), '127.0.0.1', () => {
  console.log(`relink-shop-node listening on http://127.0.0.1:${server.address().port}`);
});
