// Prints the Stripe-Signature header the official library makes for a body.
// usage: node sign.js <secret> <unix timestamp> <body file>
'use strict';
const fs = require('fs');
const Stripe = require('stripe');

const [secret, timestamp, bodyFile] = process.argv.slice(2);
if (!secret || !timestamp || !bodyFile) {
  console.error('usage: node sign.js <secret> <timestamp> <body file>');
  process.exit(2);
}
const stripe = Stripe('sk_test_unused');
const payload = fs.readFileSync(bodyFile, 'utf8');
process.stdout.write(stripe.webhooks.generateTestHeaderString({
  payload, secret, timestamp: Number(timestamp),
}));
