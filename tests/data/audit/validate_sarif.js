// Validates a SARIF log against the SARIF 2.1.0 JSON schema with ajv.
// usage: node validate_sarif.js SCHEMA.json LOG.sarif
"use strict";
const fs = require("fs");
// The schema is JSON Schema draft-04, which ajv 8 reads through ajv-draft-04.
const Ajv = require("ajv-draft-04");
const schema = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const log = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
// unicodeRegExp off: one pattern in the published schema (language tags) is
// not valid under the "u" flag, though it is under plain ECMAScript rules.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
const validate = ajv.compile(schema);
if (!validate(log)) {
  console.error(JSON.stringify(validate.errors, null, 2));
  process.exit(1);
}
if (log.version !== "2.1.0" || !Array.isArray(log.runs) || log.runs.length !== 1) {
  console.error("expected version 2.1.0 and one run");
  process.exit(1);
}
console.log("SARIF valid");
