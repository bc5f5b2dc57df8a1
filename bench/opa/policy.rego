# The 20 rules of bench/policy.ts in Rego, for opa-envoy-plugin: the peer the
# benchmark runs side by side with the sidecar (W1). Same token checks (ES256
# signature against the issuer's JWKS, iss, aud, exp), same levels, same
# conditions. Signals come from data (all quiet), as OPA has no signal store.
package stepup.authz

import rego.v1

http := input.attributes.request.http

method := http.method

path := split(http.path, "?")[0]

body := object.get(input, "parsed_body", {})

# opa-envoy-plugin hands the request over in protojson: camelCase names.
route := object.get(input.attributes, "contextExtensions", {})

query := object.get(input, "parsed_query", {})

signals := data.stepup.signals

# --- identity ---------------------------------------------------------------

token := t if {
	auth := http.headers.authorization
	startswith(auth, "Bearer ")
	t := substring(auth, 7, -1)
}

claims := c if {
	[valid, _, c] := io.jwt.decode_verify(token, {"cert": data.stepup.jwks, "iss": data.stepup.issuer, "aud": data.stepup.audience, "alg": "ES256"})
	valid
}

default identity := null

identity := claims

default claim_values := {}

claim_values := claims

# --- levels -----------------------------------------------------------------

acr_at_or_above := {
	"basic": {"1", "urn:example:loa:1", "2", "urn:example:loa:2", "3"},
	"mfa": {"2", "urn:example:loa:2", "3"},
	"phishing-resistant": {"3"},
}

meets(level) if {
	level != "phishing-resistant"
	claims.acr in acr_at_or_above[level]
}

meets("phishing-resistant") if {
	claims.acr == "3"
	"hwk" in claims.amr
}

fresh(max_age) if max_age == 0

fresh(max_age) if time.now_ns() / 1000000000 - claims.auth_time <= max_age

# --- matching ---------------------------------------------------------------

on(patterns) if {
	some p in patterns
	glob.match(p, ["/"], path)
}

transfers := ["/v1/transfers", "/v1/transfers/**"]

write_methods := {"POST", "PUT", "PATCH", "DELETE"}

# --- the 20 rules: {name, action, level, max_age (s, 0 = none)} ---------------

large_transfer if body.amount > 10000

large_transfer if signals.ip.flagged

fired contains {"rule": "large-transfer", "action": "StepUp", "level": "mfa", "max_age": 300} if {
	method == "POST"
	on(transfers)
	large_transfer
}

fired contains {"rule": "transfer-from-new-device", "action": "StepUp", "level": "mfa", "max_age": 900} if {
	method == "POST"
	on(transfers)
	not signals.device.known
	body.amount > 1000
}

fired contains {"rule": "transfers-in-production", "action": "StepUp", "level": "mfa", "max_age": 43200} if {
	method == "POST"
	on(["/v1/transfers"])
	route.environment == "production"
	route.dataClass == "financial"
}

fired contains {"rule": "foreign-currency", "action": "StepUp", "level": "mfa", "max_age": 3600} if {
	method == "POST"
	on(["/v1/transfers"])
	body.currency != "EUR"
	body.amount > 500
}

fired contains {"rule": "new-country-transfer", "action": "StepUp", "level": "mfa", "max_age": 3600} if {
	method == "POST"
	on(transfers)
	signals.activity.newCountry
	body.amount > 100
}

fired contains {"rule": "high-risk-score", "action": "StepUp", "level": "mfa", "max_age": 300} if {
	on(["/v1/**"])
	signals.risk.score > 70
}

fired contains {"rule": "impossible-travel", "action": "Deny"} if {
	on(["/v1/**"])
	signals.travel.impossible
}

fired contains {"rule": "burst-of-activity", "action": "StepUp", "level": "mfa", "max_age": 600} if {
	on(["/v1/**"])
	signals.activity.rate > 100
	route.environment == "production"
}

fired contains {"rule": "batch-transfers", "action": "StepUp", "level": "phishing-resistant", "max_age": 600} if {
	method == "POST"
	on(["/v1/transfers/batch"])
	count(body.items) > 10
}

fired contains {"rule": "payouts", "action": "StepUp", "level": "phishing-resistant", "max_age": 600} if {
	method == "POST"
	on(["/v1/payouts", "/v1/payouts/**"])
	body.amount >= 5000
}

fired contains {"rule": "beneficiaries", "action": "StepUp", "level": "mfa", "max_age": 1800} if {
	method in write_methods
	on(["/v1/beneficiaries/**"])
	route.environment != "development"
}

fired contains {"rule": "close-account", "action": "StepUp", "level": "phishing-resistant", "max_age": 300} if {
	method == "DELETE"
	on(["/v1/accounts/*"])
	route.dataClass == "financial"
}

fired contains {"rule": "card-limits", "action": "StepUp", "level": "mfa", "max_age": 900} if {
	method in {"PATCH", "PUT"}
	on(["/v1/cards/*/limits"])
	body.dailyLimit > 2000
}

api_key_needs_hwk if identity == null

api_key_needs_hwk if not "hwk" in identity.amr

fired contains {"rule": "api-keys", "action": "StepUp", "level": "phishing-resistant", "max_age": 900} if {
	method == "POST"
	on(["/v1/api-keys"])
	api_key_needs_hwk
}

export_flagged if signals.ip.flagged

export_flagged if "tor-exit" in signals.ip.lists

fired contains {"rule": "export-from-flagged", "action": "Deny"} if {
	on(["/v1/export/**"])
	export_flagged
}

fired contains {"rule": "export-sensitive", "action": "StepUp", "level": "mfa", "max_age": 3600} if {
	method == "GET"
	on(["/v1/export/**"])
	route.dataClass in {"pii", "financial"}
}

fired contains {"rule": "statements-pdf", "action": "StepUp", "level": "basic", "max_age": 0} if {
	method == "GET"
	on(["/v1/statements/**"])
	"pdf" in object.get(query, "format", [])
}

fired contains {"rule": "change-email", "action": "StepUp", "level": "mfa", "max_age": 900} if {
	method in {"POST", "PUT"}
	on(["/v1/profile/email"])
	route.environment == "production"
}

admin_risky if route.environment == "production"

admin_risky if signals.risk.score > 20

fired contains {"rule": "admin", "action": "StepUp", "level": "phishing-resistant", "max_age": 900} if {
	on(["/admin/**"])
	admin_risky
}

fired contains {"rule": "internal-only", "action": "Deny"} if {
	on(["/internal/**"])
	not http.headers["x-internal-caller"]
}

# --- the decision -----------------------------------------------------------

denied if {
	some r in fired
	r.action == "Deny"
}

unmet contains r if {
	some r in fired
	r.action == "StepUp"
	not satisfied(r)
}

satisfied(r) if {
	meets(r.level)
	fresh(r.max_age)
}

allowed if {
	not denied
	count(unmet) == 0
}

status := 403 if denied

status := 401 if {
	not denied
	count(unmet) > 0
}

status := 200 if allowed

# What opa-envoy-plugin answers: allowed, headers for the upstream on allow,
# a challenge (RFC 9470 style) otherwise.
result := {"allowed": true, "headers": {"x-stepup-subject": object.get(claim_values, "sub", ""), "x-stepup-acr": object.get(claim_values, "acr", "")}} if allowed

result := {
	"allowed": false,
	"http_status": status,
	"headers": {"www-authenticate": sprintf("Bearer error=\"insufficient_user_authentication\", acr_values=\"%s\"", [concat(" ", sort([l | some r in unmet; l := r.level]))])},
	"body": "",
} if not allowed
