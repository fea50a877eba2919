// What goes on the wire to Stripe: amounts in Stripe's units, and
// application/x-www-form-urlencoded bodies the way Stripe reads them.
//
// Amounts. Stripe takes integers in the currency's smallest unit, but its idea
// of "smallest unit" differs from ISO 4217 in a few places:
// - zero-decimal currencies (BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND
//   VUV XAF XOF XPF) are sent as whole units: JPY 1000 -> amount=1000. MGA
//   has two ISO decimals, so only whole ariary can be sent;
// - ISK has no ISO decimals, but Stripe still takes it as two-decimal:
//   ISK 5 -> amount=500;
// - three-decimal currencies (BHD JOD KWD OMR TND) are sent in thousandths,
//   and the last digit must be 0 (Stripe rounds to hundredths for its card
//   partners): KWD 1.230 -> amount=1230, KWD 1.234 is refused;
// - other ISO three- and four-decimal currencies (IQD LYD CLF UYW) are not
//   charged through Stripe.
// Everything else is sent as is.
//
// Forms. Keys may carry brackets for nested fields (`metadata[order_id]`),
// which are sent literally; every other byte outside A-Z a-z 0-9 - . _ ~ is
// percent-encoded (RFC 3986 unreserved set), spaces as %20.
#pragma once

#include "core/money/money.hpp"
#include "core/payments/gateway.hpp"
#include "core/util/result.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcommerce::payments::stripe {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Our minor units -> Stripe's amount. ErrorKind::validation, code
// "unsupported_amount", when Stripe cannot take this currency or this exact
// amount (a KWD amount not ending in 0, a fraction of an ariary).
[[nodiscard]] Result<int64_t> to_stripe_amount(const money::Money &money);

// Stripe's amount -> our minor units (the inverse; Stripe's amounts are
// exact in ours for every currency it accepts).
[[nodiscard]] Result<int64_t> from_stripe_amount(int64_t stripe_amount,
                                                 const money::Currency &currency);

// "eur" from EUR: Stripe wants lower-case codes.
[[nodiscard]] std::string wire_currency(const money::Currency &currency);

[[nodiscard]] std::string percent_encode(std::string_view text);

// key=value&key=value, keys' brackets kept, everything else encoded.
[[nodiscard]] std::string form_encode(const FormFields &fields);

// Decodes a form body (for tests and the fake server's mirror); '+' is a
// space. Malformed escapes are kept literally.
[[nodiscard]] FormFields form_decode(std::string_view body);

// The bodies of the calls we make.
[[nodiscard]] Result<FormFields> create_payment_intent_form(const PaymentRequest &request);
[[nodiscard]] FormFields confirm_form(const ConfirmOptions &options);
[[nodiscard]] Result<FormFields> capture_form(const money::Currency &currency,
                                              std::optional<int64_t> amount);
// metadata[rcommerce_refund_id] carries our refund row's id, so the refund's
// webhooks find it even before Stripe's answer to the call is recorded.
[[nodiscard]] Result<FormFields>
refund_form(const GatewayPayment &payment, const money::Money &amount, std::string_view refund_id);

} // namespace rcommerce::payments::stripe
