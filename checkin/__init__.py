"""Events, rotating signed QR check-ins, captain approval, and rule sets in the database.

Concepts:

- An event (`events`) belongs to a team and one activity of the community's active rule
  set; it is scheduled, opened by a captain, closed (by hand, or at its end time by the
  periodic job) or cancelled.
- The venue code (`codes`, layout in `tokens`) is a signed token naming the event and a
  time bucket of `ttl_seconds`; the kiosk shows it as a QR code of the URL
  `{public_base_url}/c/{token}` (`qr`). A code is accepted in its own bucket and the next.
- A member's personal code (`personal`) is a signed token naming the member, for
  neighbours without a smartphone: a captain scans it, online or offline (uploaded later).
- A check-in (`scans`) is one member at one event: pending until a captain or an admin
  approves or rejects it (`approval`); approval credits the ledger (`credit`); an admin
  may reverse a credit (`reversal`). Refused scans are filed (`refusals`, `recording`).
- Rule sets (`rulesets`) are versioned uploads per community; the active one computes new
  credits, and every text stays retrievable by the hash that credits name.

Invariants:

- One check-in per member per event (a unique constraint); an event never has more
  check-ins than places (one conditional UPDATE takes a place).
- One decision per check-in (a conditional UPDATE on `pending`); nobody decides their own.
- A credit and its approval are one transaction; a credit's ledger ref is `checkin/{id}`,
  so nothing credits a check-in twice; a reversal's is `reversal/{seq}`, so nothing
  reverses a credit twice. Credits are never edited.
- A refused scan changes nothing but the refusal record, written in its own transaction.
- Nothing in a code is trusted before its signature is verified; the signing keys are
  purpose keys of the community ("checkin", "member-code"), never the ledger's key.
- Domain functions take the session and never commit, except `recording`, which runs a
  scan in one transaction and files its refusal in another.
"""
