"""SQL of the projection runtime: generations, checkpoints, leases, lag."""

from service.events.sql import _COLUMNS

LOCK_PROJECTION = "SELECT pg_advisory_xact_lock(hashtext('kamplan:projection:' || $1))"

GENERATIONS = """
SELECT name, generation, version, status, position, events_applied, updated_at, live_since
FROM projection_generations
WHERE name = $1 AND status <> 'retired'
ORDER BY generation
"""

NEXT_GENERATION = "SELECT coalesce(max(generation), 0) + 1 FROM projection_generations WHERE name = $1"

INSERT_GENERATION = """
INSERT INTO projection_generations (name, generation, version, status, live_since, tables)
VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'live' THEN now() END, $5)
"""

# Session-level: held while this process applies the generation; released when its connection ends.
TRY_LEASE = "SELECT pg_try_advisory_lock(hashtext('kamplan:projection:' || $1), $2)"
RELEASE_LEASE = "SELECT pg_advisory_unlock(hashtext('kamplan:projection:' || $1), $2)"
# Who holds a generation's lease (or its key, for a transaction): enough to find the session, never its query, which
# may quote anyone's data. A two-key advisory lock is (classid, objid, objsubid 2) in pg_locks.
LEASE_HOLDER = """
SELECT l.pid, host(a.client_addr) AS client, a.application_name
FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = hashtext('kamplan:projection:' || $1)::oid AND l.objid = $2::int::oid
LIMIT 1
"""

# Projection writes are derived from the log and stored with their checkpoint in one transaction: a crash of
# the server can only lose the last few batches whole, rows and checkpoint together, and they are applied
# again. So their commits need not wait for the WAL flush, which is most of a small batch's cost.
ASYNC_COMMIT = "SET LOCAL synchronous_commit TO off"

# A built generation's indexes are created once, over all its rows: enough sort memory keeps a million-row
# index build in memory instead of spilling to disk (the server's default is 64 MB). This transaction only.
INDEX_MEMORY = "SET LOCAL maintenance_work_mem TO '256MB'"

# A switch waits this long for each lock, then gives up and is tried again at the next batch (or within a second when
# idle): readers of a view (a BI query, an open BI transaction) hold it up, and everything that reads the view queues
# behind the lock it waits for. This transaction only.
SWITCH_LOCK_TIMEOUT = "SET LOCAL lock_timeout TO '250ms'"

# The stable views a switch replaces or drops: those of `$1` that exist.
EXISTING_VIEWS = """
SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(format('read.%I', name)) IS NOT NULL ORDER BY name
"""
LIVE_TABLES = "SELECT tables FROM projection_generations WHERE name = $1 AND status = 'live'"

# First statement of every batch transaction: locks the checkpoint row, so a batch and a switch serialise.
LOCK_CHECKPOINT = """
SELECT position, status FROM projection_generations WHERE name = $1 AND generation = $2 FOR UPDATE
"""

CHECKPOINT = "SELECT position, status FROM projection_generations WHERE name = $1 AND generation = $2"

ADVANCE = """
UPDATE projection_generations
SET position = $3, events_applied = events_applied + $4, updated_at = now(), failure = NULL
WHERE name = $1 AND generation = $2
"""

# A failed batch (rolled back): since when the generation fails, how often, on what. A committed batch clears it.
RECORD_FAILURE = """
UPDATE projection_generations
SET failure = jsonb_build_object(
    'since', coalesce(failure -> 'since', to_jsonb(now())),
    'last_at', to_jsonb(now()),
    'attempts', coalesce((failure ->> 'attempts')::int, 0) + 1,
    'error', $3::text,
    'first_position', $4::bigint,
    'last_position', $5::bigint
)
WHERE name = $1 AND generation = $2
"""

# The retired generation's tables (NULL for one made before migration 0009).
RETIRE = """
UPDATE projection_generations SET status = 'retired', updated_at = now() WHERE name = $1 AND generation = $2
RETURNING tables
"""
GO_LIVE = """
UPDATE projection_generations SET status = 'live', live_since = now(), updated_at = now()
WHERE name = $1 AND generation = $2
"""

# A live generation of a newer version than this code's (`$3`) that no process runs, and that holds rows from before a
# forget (`$4`), which the code left cannot refold (`unrun_live`).
LOCK_NEWER_LIVE = """
SELECT tables FROM projection_generations
WHERE name = $1 AND generation = $2 AND status = 'live' AND version > $3 AND position > 0 AND position < $4
FOR UPDATE
"""
# The latest forget in the log between two positions (`$1` excluded): a scan of that range.
LAST_FORGET_BETWEEN = """
SELECT max(position) FROM events WHERE position > $1 AND position <= $2 AND event_type = 'SubjectForgotten'
"""

# A forget empties the builds of another version that no process runs (an upgrade rolled back) and that hold rows of
# positions before it (`$3`): their code is not here to refold them, and it rebuilds them from zero when it runs again
# (`unrun_builds`). Those at zero too: one a process holds may have read its first batch before the forget.
# Never a live generation: BI reads it, and only its own code could fill it again (but see LOCK_NEWER_LIVE).
UNRUN_BEFORE = """
SELECT generation FROM projection_generations
WHERE name = $1 AND status = 'building' AND version <> $2 AND position < $3
ORDER BY generation
"""
# The lease's key, for this transaction: taken only when no process holds the lease, and none can take it until the
# transaction ends, so a process of the build's version starting meanwhile waits, then reads the checkpoint reset.
TRY_LEASE_IN_TRANSACTION = "SELECT pg_try_advisory_xact_lock(hashtext('kamplan:projection:' || $1), $2)"
# UNRUN_BEFORE's conditions again, under the row lock, not waited for: a row locked (a retirement under way) owes.
LOCK_UNRUN = """
SELECT tables FROM projection_generations
WHERE name = $1 AND generation = $2 AND status = 'building' AND version <> $3 AND position > 0 AND position < $4
FOR UPDATE NOWAIT
"""
# A build whose lease a process holds, or that could not be emptied, owes the forget instead (`unrun_builds`), at zero
# too: its holder may have a batch in hand it read before the forget, rows it commits later. A plain insert, in the
# forget's own transaction: it waits for no lock of the build (its holder's batch under way holds its checkpoint row),
# so it can fail only as the batch can, and commits with it. A build that has got past the forget meanwhile owes
# nothing: a debt counts only while the checkpoint is below it.
OWE_FORGET = "INSERT INTO projection_forget_debts (name, generation, position) VALUES ($1, $2, $3)"
# The latest forget a build owes: its debts, and the mark processes before migration 0018 set on its row.
_OWED = """greatest(forget_owed, (
    SELECT max(d.position) FROM projection_forget_debts d WHERE d.name = g.name AND d.generation = g.generation
))"""
OWED = f"SELECT {_OWED} FROM projection_generations g WHERE name = $1 AND generation = $2"
# The builds of another version that owe a forget they have not applied (their checkpoint is below it).
OWING = f"""
SELECT generation, {_OWED} AS forget_owed FROM projection_generations g
WHERE name = $1 AND status = 'building' AND version <> $2 AND position > 0 AND position < {_OWED}
ORDER BY generation
"""
LOCK_OWING = f"""
SELECT tables FROM projection_generations g
WHERE name = $1 AND generation = $2 AND status = 'building' AND version <> $3 AND position > 0 AND position < {_OWED}
FOR UPDATE
"""
RESTART = """
UPDATE projection_generations
SET position = 0, events_applied = 0, failure = NULL, forget_owed = NULL, updated_at = now()
WHERE name = $1 AND generation = $2
"""
# A generation emptied, switched live or retired owes nothing. Waits for no lock of a forget's batch: the debts it
# inserts meanwhile are not seen (a build emptied meanwhile may then be emptied once more, at worst).
SETTLE_DEBTS = "DELETE FROM projection_forget_debts WHERE name = $1 AND generation = $2"
# The forgets recorded after a checkpoint (`$1`), that a generation failing on the batch after it applies ahead of it
# (`forgetting.AheadOfFailures`): read only while it fails, a scan of the log past its checkpoint at each retry.
FORGETS_AFTER = f"""
SELECT {_COLUMNS} FROM events WHERE position > $1 AND event_type = 'SubjectForgotten' ORDER BY position
"""
# The generation tables of `$1` (names without the schema) that exist.
EXISTING_TABLES = EXISTING_VIEWS

LIVE_VERSIONS = """
SELECT name, version FROM projection_generations WHERE status = 'live' AND name = ANY($1::text[])
"""

# A failure recorded before the checkpoint last moved is over: a batch of older code (before migration 0015), which
# does not clear it, committed since.
FAILURE = "CASE WHEN (failure ->> 'last_at')::timestamptz >= updated_at THEN failure END AS failure"

LIVE_POSITIONS = """
SELECT name, position FROM projection_generations WHERE status = 'live' AND name = ANY($1::text[])
"""

# What a read that waited in vain reports: which of the live projections it waited for are failing, and on what.
LIVE_FAILURES = f"""
SELECT name, failure FROM (
    SELECT name, {FAILURE} FROM projection_generations WHERE status = 'live' AND name = ANY($1::text[])
) AS live WHERE failure IS NOT NULL
"""

ALL_ACTIVE = f"""
SELECT name, generation, version, status, position, events_applied, updated_at, {FAILURE}
FROM projection_generations WHERE status <> 'retired' ORDER BY name, generation
"""

FIRST_EVENT_AFTER = "SELECT recorded_at FROM events WHERE position > $1 ORDER BY position LIMIT 1"
