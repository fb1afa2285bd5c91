"""SQL of the webhook dispatcher: leases, cursors and the attempt log (migration 0006)."""

# Session-level, held while this process delivers the subscription; released when its connection ends.
TRY_LEASE = "SELECT pg_try_advisory_lock(hashtext('kamplan:webhook'), hashtext($1))"
RELEASE_LEASE = "SELECT pg_advisory_unlock(hashtext('kamplan:webhook'), hashtext($1))"

ENSURE_CURSOR = """
INSERT INTO webhook_cursors (subscription_id, position) VALUES ($1, $2)
ON CONFLICT (subscription_id) DO NOTHING
"""
# A delivery claims the cursor with a token of its own ($2, the fencing token), once, and only while its lease is
# held by the lease connection (backend $3); every later read or move of the cursor is made under that token, so a
# delivery whose lease was lost stops at its next write, and cannot claim the cursor back.
CLAIM = """
UPDATE webhook_cursors SET holder = $2
WHERE subscription_id = $1 AND EXISTS (
    SELECT FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND pid = $3 AND objsubid = 2
      AND classid = hashtext('kamplan:webhook')::oid AND objid = hashtext($1)::oid
)
RETURNING position, replays_applied, failures, url
"""
CURSOR = """
SELECT position, replays_applied, failures, url FROM webhook_cursors WHERE subscription_id = $1 AND holder = $2
"""
CURSORS = "SELECT subscription_id, position, failures FROM webhook_cursors WHERE subscription_id = ANY($1::text[])"
APPLY_REPLAY = """
UPDATE webhook_cursors SET position = least(position, $2), replays_applied = $3, failures = $5, updated_at = now()
WHERE subscription_id = $1 AND holder = $4
"""
ADVANCE = """
UPDATE webhook_cursors SET position = $2, failures = 0, updated_at = now() WHERE subscription_id = $1 AND holder = $3
"""
# The failures in a row, and the URL they were counted against (migration 0013): a new URL starts a fresh streak
FAILED = """
UPDATE webhook_cursors SET failures = $2, url = $4, updated_at = now() WHERE subscription_id = $1 AND holder = $3
"""

RECORD_ATTEMPT = """
INSERT INTO webhook_attempts (subscription_id, event_id, position, event_type, attempt, attempted_at,
                              duration_ms, status_code, error, delivered)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""
# A delivered event: its attempt logged and the cursor moved past it, in one statement (one commit, not two). The
# attempt is logged whoever holds the cursor now ($11): it was made.
RECORD_DELIVERED = f"""
WITH attempt AS ({RECORD_ATTEMPT})
UPDATE webhook_cursors SET position = $3, failures = 0, updated_at = now() WHERE subscription_id = $1 AND holder = $11
"""
# Newest first; $2 = the last attempt_id of the previous page (NULL for the first page).
ATTEMPTS = """
SELECT attempt_id, event_id, position, event_type, attempt, attempted_at, duration_ms, status_code, error, delivered
FROM webhook_attempts
WHERE subscription_id = $1 AND ($2::bigint IS NULL OR attempt_id < $2)
ORDER BY attempt_id DESC
LIMIT $3
"""

PRUNE_ATTEMPTS = "DELETE FROM webhook_attempts WHERE attempted_at < now() - make_interval(days => $1)"
CURSOR_IDS = "SELECT subscription_id FROM webhook_cursors"
DROP_CURSORS = "DELETE FROM webhook_cursors WHERE subscription_id = ANY($1::text[])"

STREAM_VERSION = "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1"

# ERP delivery ids with a hash of their request (migration 0007): one id, one body. The attempt that keeps an id
# holds it with a token of its own until `deciding_until` (migration 0012) and keeps its answer; a redelivery takes
# the delivery over only once it was given up (an error) or its hold ran out (a crash). Every write of a holder
# names its token, so one that lost its hold changes nothing.
REMEMBER_ERP_DELIVERY = """
INSERT INTO erp_deliveries (delivery_id, request_hash, holder, deciding_until)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id
"""
ERP_DELIVERY = "SELECT request_hash, answer FROM erp_deliveries WHERE delivery_id = $1"
TAKE_OVER_ERP_DELIVERY = """
UPDATE erp_deliveries SET holder = $2, deciding_until = now() + make_interval(secs => $3)
WHERE delivery_id = $1 AND answer IS NULL AND (deciding_until IS NULL OR deciding_until < now())
RETURNING delivery_id
"""
RENEW_ERP_HOLD = """
UPDATE erp_deliveries SET deciding_until = now() + make_interval(secs => $3)
WHERE delivery_id = $1 AND holder = $2 AND answer IS NULL AND deciding_until IS NOT NULL
RETURNING delivery_id
"""
KEEP_ERP_ANSWER = """
UPDATE erp_deliveries SET answer = $3, deciding_until = NULL
WHERE delivery_id = $1 AND holder = $2 AND answer IS NULL
"""
GIVE_UP_ERP_DELIVERY = (
    "UPDATE erp_deliveries SET deciding_until = NULL WHERE delivery_id = $1 AND holder = $2 AND answer IS NULL"
)
PRUNE_ERP_DELIVERIES = """
DELETE FROM erp_deliveries
WHERE received_at < now() - make_interval(days => $1) AND (deciding_until IS NULL OR deciding_until < now())
"""
