// A fake Stripe API for tests: PaymentIntents and Refunds kept in memory,
// Idempotency-Key semantics as Stripe documents them, failure injection
// through /_control, and webhooks signed by the official `stripe` library.
//
// env: PORT, API_KEY (expected secret key), TLS_CERT + TLS_KEY (serve HTTPS;
// plain HTTP without them), WEBHOOK_URL + WEBHOOK_SECRET (optional),
// WEBHOOK_CA (PEM trusted for an HTTPS webhook URL).
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const crypto = require('crypto');
const Stripe = require('stripe');

const signer = Stripe('sk_test_unused');
const apiKey = process.env.API_KEY || 'sk_test_fake';
const state = {
  intents: new Map(),
  refunds: new Map(),
  idempotency: new Map(), // key -> {fingerprint, status, body, done, waiters}
  requests: [],
  events: [],
  // decline_next: cards declined; fail_500_next: answers lost after the
  // work was done; slow_next: requests held delay_ms before the work;
  // hold_next: answers to requests whose path ends with hold_suffix held
  // delay_ms after the work (its webhooks go out first); refund_pending_next: refunds left pending, settled delay_ms
  // later (refund.updated); refund_error_next: {status, type, code, message}
  // answers the next refund instead of doing it.
  control: { decline_next: 0, fail_500_next: 0, delay_ms: 0, slow_next: 0, hold_next: 0,
    hold_suffix: '', refund_pending_next: 0, refund_error_next: null },
  webhook: { url: process.env.WEBHOOK_URL || '', secret: process.env.WEBHOOK_SECRET || '' },
};
let counter = 0;
const newId = (prefix) =>
  `${prefix}_${(++counter).toString().padStart(6, '0')}${crypto.randomBytes(4).toString('hex')}`;

// ISO 4217 codes Stripe takes without decimals, and the three-decimal ones.
const zeroDecimal = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg',
  'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const threeDecimal = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

function stripeError(status, type, message, extra = {}) {
  return { status, body: { error: { type, message, ...extra } } };
}
const invalid = (message, param) =>
  stripeError(400, 'invalid_request_error', message, param ? { param } : {});

function parseForm(body) {
  const params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (Object.prototype.hasOwnProperty.call(params, key)) {
      throw new Error(`duplicate parameter ${key}`);
    }
    params[key] = value;
  }
  return params;
}

function metadataOf(params) {
  const metadata = {};
  for (const [key, value] of Object.entries(params)) {
    const m = /^metadata\[([^\]]+)\]$/.exec(key);
    if (m) metadata[m[1]] = value;
  }
  return metadata;
}

function positiveInteger(text) {
  return typeof text === 'string' && /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : null;
}

const allowed = {
  create: new Set(['amount', 'currency', 'capture_method', 'description', 'payment_method',
    'confirm']),
  confirm: new Set(['payment_method', 'return_url']),
  capture: new Set(['amount_to_capture']),
  cancel: new Set(['cancellation_reason']),
  refund: new Set(['payment_intent', 'amount', 'reason']), // and metadata[...]
};

function checkKnown(params, which) {
  for (const key of Object.keys(params)) {
    if (key.startsWith('metadata[')) continue;
    if (!allowed[which].has(key)) return invalid(`Received unknown parameter: ${key}`, key);
  }
  return null;
}

function publicIntent(pi) {
  const { charges, ...rest } = pi;
  return JSON.parse(JSON.stringify(rest));
}

function createIntent(params) {
  const unknown = checkKnown(params, 'create');
  if (unknown) return unknown;
  const amount = positiveInteger(params.amount);
  if (amount === null) return invalid('Invalid integer: ' + params.amount, 'amount');
  if (!/^[a-z]{3}$/.test(params.currency || '')) {
    return invalid('Invalid currency: ' + params.currency, 'currency');
  }
  if (threeDecimal.has(params.currency) && amount % 10 !== 0) {
    return invalid('Amounts in three-decimal currencies must end in 0.', 'amount');
  }
  const capture = params.capture_method || 'automatic';
  if (!['automatic', 'manual', 'automatic_async'].includes(capture)) {
    return invalid('Invalid capture_method', 'capture_method');
  }
  const id = newId('pi');
  const pi = {
    id, object: 'payment_intent', amount, currency: params.currency, capture_method: capture,
    status: 'requires_payment_method', amount_received: 0, amount_capturable: 0,
    client_secret: `${id}_secret_${crypto.randomBytes(8).toString('hex')}`,
    metadata: metadataOf(params), last_payment_error: null, latest_charge: null,
    created: Math.floor(Date.now() / 1000), livemode: false, charges: [],
  };
  state.intents.set(id, pi);
  return { status: 200, body: publicIntent(pi) };
}

function confirmIntent(pi, params) {
  const unknown = checkKnown(params, 'confirm');
  if (unknown) return unknown;
  if (!['requires_payment_method', 'requires_confirmation'].includes(pi.status)) {
    return invalid(`This PaymentIntent's status is ${pi.status}; it cannot be confirmed.`);
  }
  const method = params.payment_method || 'pm_card_visa';
  const decline = state.control.decline_next > 0 || method === 'pm_card_chargeDeclined';
  if (state.control.decline_next > 0) state.control.decline_next--;
  if (decline) {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = { type: 'card_error', code: 'card_declined',
      decline_code: 'generic_decline', message: 'Your card was declined.' };
    sendEvent('payment_intent.payment_failed', publicIntent(pi));
    return stripeError(402, 'card_error', 'Your card was declined.', {
      code: 'card_declined', decline_code: 'generic_decline', payment_intent: publicIntent(pi) });
  }
  pi.last_payment_error = null;
  const charge = { id: newId('ch'), object: 'charge', amount: pi.amount, amount_refunded: 0,
    currency: pi.currency, payment_intent: pi.id, refunded: false, captured: false };
  pi.charges.push(charge);
  pi.latest_charge = charge.id;
  if (pi.capture_method === 'manual') {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    sendEvent('payment_intent.amount_capturable_updated', publicIntent(pi));
  } else {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    charge.captured = true;
    sendEvent('payment_intent.succeeded', publicIntent(pi));
  }
  return { status: 200, body: publicIntent(pi) };
}

function captureIntent(pi, params) {
  const unknown = checkKnown(params, 'capture');
  if (unknown) return unknown;
  if (pi.status !== 'requires_capture') {
    return invalid('This PaymentIntent could not be captured because it has a status of ' +
      `${pi.status}.`);
  }
  let amount = pi.amount_capturable;
  if (params.amount_to_capture !== undefined) {
    amount = positiveInteger(params.amount_to_capture);
    if (amount === null || amount > pi.amount_capturable) {
      return invalid('amount_to_capture must be at most amount_capturable', 'amount_to_capture');
    }
  }
  pi.status = 'succeeded';
  pi.amount_received = amount;
  pi.amount_capturable = 0;
  const charge = pi.charges[pi.charges.length - 1];
  charge.captured = true;
  charge.amount_captured = amount;
  sendEvent('payment_intent.succeeded', publicIntent(pi));
  return { status: 200, body: publicIntent(pi) };
}

function cancelIntent(pi, params) {
  const unknown = checkKnown(params, 'cancel');
  if (unknown) return unknown;
  if (['succeeded', 'canceled'].includes(pi.status)) {
    return invalid(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`);
  }
  pi.status = 'canceled';
  pi.amount_capturable = 0;
  sendEvent('payment_intent.canceled', publicIntent(pi));
  return { status: 200, body: publicIntent(pi) };
}

function createRefund(params) {
  const unknown = checkKnown(params, 'refund');
  if (unknown) return unknown;
  const pi = state.intents.get(params.payment_intent || '');
  if (!pi) return invalid('No such payment_intent: ' + params.payment_intent, 'payment_intent');
  if (pi.status !== 'succeeded') return invalid('This PaymentIntent has not been captured.');
  const charge = pi.charges[pi.charges.length - 1];
  const captured = pi.amount_received;
  const left = captured - charge.amount_refunded;
  const amount = params.amount === undefined ? left : positiveInteger(params.amount);
  if (amount === null || amount > left) {
    return invalid(`Refund amount (${params.amount}) is greater than unrefunded amount ` +
      `on charge (${left})`, 'amount');
  }
  const injected = state.control.refund_error_next;
  if (injected) {
    state.control.refund_error_next = null;
    return stripeError(injected.status || 400, injected.type || 'invalid_request_error',
      injected.message || 'Refund refused.', injected.code ? { code: injected.code } : {});
  }
  // Stripe counts a pending refund in the charge's amount_refunded at once.
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === captured;
  const pending = state.control.refund_pending_next > 0;
  if (pending) state.control.refund_pending_next--;
  const refund = { id: newId('re'), object: 'refund', amount, currency: pi.currency,
    payment_intent: pi.id, charge: charge.id, status: pending ? 'pending' : 'succeeded',
    metadata: metadataOf(params) };
  state.refunds.set(refund.id, refund);
  sendEvent('refund.created', { ...refund });
  sendEvent('charge.refunded', JSON.parse(JSON.stringify(charge)));
  if (pending) {
    setTimeout(() => {
      refund.status = 'succeeded';
      sendEvent('refund.updated', { ...refund });
    }, state.control.delay_ms);
  }
  return { status: 200, body: refund };
}

// A refund made in Stripe's Dashboard: rcommerce did not ask for it.
function dashboardRefund(params) {
  const pi = state.intents.get(params.payment_intent || '');
  if (!pi || pi.status !== 'succeeded') return invalid('No captured payment_intent');
  const charge = pi.charges[pi.charges.length - 1];
  charge.amount_refunded += params.amount;
  charge.refunded = charge.amount_refunded === pi.amount_received;
  const refund = { id: newId('re'), object: 'refund', amount: params.amount,
    currency: pi.currency, payment_intent: pi.id, charge: charge.id, status: 'succeeded',
    metadata: {} };
  state.refunds.set(refund.id, refund);
  sendEvent('refund.created', { ...refund });
  sendEvent('charge.refunded', JSON.parse(JSON.stringify(charge)));
  return { status: 200, body: refund };
}

function route(method, path, params) {
  if (method === 'POST' && path === '/v1/payment_intents') return createIntent(params);
  if (method === 'POST' && path === '/v1/refunds') return createRefund(params);
  const m = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)(?:\/(confirm|capture|cancel))?$/.exec(path);
  if (!m) {
    return stripeError(404, 'invalid_request_error',
      `Unrecognized request URL (${method}: ${path}).`);
  }
  const pi = state.intents.get(m[1]);
  if (!pi) {
    return stripeError(404, 'invalid_request_error', `No such payment_intent: '${m[1]}'`,
      { code: 'resource_missing' });
  }
  if (method === 'GET' && !m[2]) return { status: 200, body: publicIntent(pi) };
  if (method !== 'POST' || !m[2]) {
    return stripeError(405, 'invalid_request_error', 'Method not allowed');
  }
  return { confirm: confirmIntent, capture: captureIntent, cancel: cancelIntent }[m[2]](pi, params);
}

function sendEvent(type, object) {
  const event = { id: newId('evt'), object: 'event', type, api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000), livemode: false, data: { object } };
  state.events.push(event);
  deliver(event);
}

function deliver(event) {
  const { url, secret } = state.webhook;
  if (!url || !secret) return;
  const payload = JSON.stringify(event, null, 2);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret });
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  const options = { method: 'POST', headers: { 'Content-Type': 'application/json',
    'Stripe-Signature': header, 'Content-Length': Buffer.byteLength(payload) } };
  if (process.env.WEBHOOK_CA) options.ca = fs.readFileSync(process.env.WEBHOOK_CA);
  const req = lib.request(target, options, (res) => res.resume());
  req.on('error', (err) => console.error(`webhook ${event.id} to ${url}: ${err.message}`));
  req.end(payload);
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status,
    { 'Content-Type': 'application/json', 'Request-Id': newId('req'), ...headers });
  res.end(text);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function handleApi(req, res, body) {
  const auth = req.headers.authorization || '';
  if (auth !== `Bearer ${apiKey}`) {
    return send(res, 401,
      { error: { type: 'authentication_error', message: 'Invalid API Key provided.' } });
  }
  let params;
  try {
    params = req.method === 'POST' ? parseForm(body) : {};
  } catch (err) {
    return send(res, 400, invalid(err.message).body);
  }
  const path = req.url.split('?')[0];
  const key = req.headers['idempotency-key'];
  state.requests.push({ method: req.method, path, body, params, idempotency_key: key || null });

  const slow = state.control.slow_next > 0;
  if (slow) state.control.slow_next--;

  if (req.method !== 'POST' || !key) {
    if (slow) await sleep(state.control.delay_ms);
    const result = route(req.method, path, params);
    return send(res, result.status, result.body);
  }

  // Idempotency (as Stripe documents it): the first request with a key runs
  // and its result is kept; a later request with the same key and the same
  // parameters gets that result again; other parameters are an error; a
  // request while the first one still runs is a 409 that may be retried.
  const fingerprint = `${req.method} ${path} ${JSON.stringify(Object.entries(params).sort())}`;
  const seen = state.idempotency.get(key);
  if (seen) {
    if (seen.fingerprint !== fingerprint) {
      return send(res, 400, { error: { type: 'idempotency_error', message:
        'Keys for idempotent requests can only be used with the same parameters they were ' +
        `first used with. Try using a key other than '${key}' if you meant to execute a ` +
        'different request.' } });
    }
    if (!seen.done) {
      return send(res, 409, { error: { type: 'idempotency_error', code: 'idempotency_key_in_use',
        message: 'There is currently another in-progress request using this Idempotency-Key.' } },
      { 'Stripe-Should-Retry': 'true' });
    }
    return send(res, seen.status, seen.body, { 'Idempotent-Replayed': 'true' });
  }
  const entry = { fingerprint, done: false };
  state.idempotency.set(key, entry);
  if (slow) await sleep(state.control.delay_ms);
  const result = route(req.method, path, params);
  Object.assign(entry, { status: result.status, body: result.body, done: true });
  if (state.control.hold_next > 0 && path.endsWith(state.control.hold_suffix)) {
    state.control.hold_next--;
    await sleep(state.control.delay_ms);
  }

  // "fail with 500 once": the operation happened, the answer is lost. Only a
  // retry under the same key gets it without doing it twice.
  if (state.control.fail_500_next > 0) {
    state.control.fail_500_next--;
    return send(res, 500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
  }
  return send(res, result.status, result.body);
}

function handleControl(req, res, body) {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path === '/_control/requests') return send(res, 200, state.requests);
  if (req.method === 'GET' && path === '/_control/events') return send(res, 200, state.events);
  if (req.method === 'GET' && path === '/_control/state') {
    return send(res, 200, { intents: [...state.intents.values()].map(publicIntent),
      refunds: [...state.refunds.values()] });
  }
  if (req.method === 'POST' && path === '/_control') {
    let settings;
    try {
      settings = JSON.parse(body || '{}');
    } catch (err) {
      return send(res, 400, { error: err.message });
    }
    for (const k of ['decline_next', 'fail_500_next', 'delay_ms', 'slow_next', 'hold_next',
      'hold_suffix', 'refund_pending_next', 'refund_error_next']) {
      if (k in settings) state.control[k] = settings[k];
    }
    if ('webhook_url' in settings) state.webhook.url = settings.webhook_url;
    if ('webhook_secret' in settings) state.webhook.secret = settings.webhook_secret;
    return send(res, 200, { control: state.control, webhook_url: state.webhook.url });
  }
  if (req.method === 'POST' && path === '/_control/dashboard_refund') {
    const result = dashboardRefund(JSON.parse(body || '{}'));
    return send(res, result.status, result.body);
  }
  if (req.method === 'POST' && path === '/_control/resend') {
    // Delivers an already sent event again (replays).
    const { id } = JSON.parse(body || '{}');
    const event = state.events.find((e) => e.id === id);
    if (!event) return send(res, 404, { error: 'no such event' });
    deliver(event);
    return send(res, 200, { resent: id });
  }
  return send(res, 404, { error: 'unknown control endpoint' });
}

function handler(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const work = req.url.startsWith('/_control') ? Promise.resolve(handleControl(req, res, body))
      : handleApi(req, res, body);
    work.catch((err) => {
      console.error(err);
      send(res, 500, { error: { type: 'api_error', message: 'fake server bug' } });
    });
  });
}

const server = process.env.TLS_CERT
  ? https.createServer({ cert: fs.readFileSync(process.env.TLS_CERT),
    key: fs.readFileSync(process.env.TLS_KEY) }, handler)
  : http.createServer(handler);
server.listen(Number(process.env.PORT || 12111), '127.0.0.1', () => {
  const scheme = process.env.TLS_CERT ? 'https' : 'http';
  console.log(`fake stripe listening on ${scheme}://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
