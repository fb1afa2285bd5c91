"""Every SQL statement of the event store, as named constants."""

from service.events.envelope import ENVELOPE_FIELDS, ENVELOPE_METADATA

# One statement appends a whole group-committed batch of appends ("units"), each unit made of one or
# more stream slots with their own expected version. A unit is written only if all its slots pass; the
# others are simply not inserted and the caller classifies them (conflict, idempotent replay).
#
# Positions: `drawn` calls nextval once per accepted event in a narrow scan and sorts what it drew; the
# k-th accepted event (in the order sent) takes the k-th smallest. So a stream's events get increasing
# positions in version order however the executor orders the wide rows, which therefore need no sort.
# The positions returned are the ones drawn, not read back from the inserted rows: they match only because
# every slot's `size` is the number of its events sent (encoding.batch_parameters builds both from a Unit).
# Order matters for gap-free readers too: `tx` assigns this transaction's xid *before* any position is
# drawn (`drawn` joins it, and a joined row exists only once both sides have been read). See
# subscription.py for why readers rely on that.
#
# Events arrive in slot order, a slot's events in version order: slot k owns the events numbered
# first[k] .. first[k] + size[k] - 1. An event finds its slot by width_bucket over the ascending `first`
# array (a binary search), then an equality hash join; a range join would cost events × slots. Business
# time comes as microseconds since the epoch (asyncpg encodes a datetime element four times slower than
# an integer), converted exactly.
#
# Checks (a slot with no events: a stream the caller read and decided on, but does not write) must see every write to
# their stream that could precede them in the log. Each append holds a shared advisory lock on every stream it writes
# (`locked`, taken before any position is drawn, in key order); a batch with checks first takes LOCK_FOR_CHECKS in its
# own statement: exclusive on the checked streams, shared on the written ones, in the same key order. So a check
# waits for an append in flight to its stream and then reads it (the APPEND statement's snapshot is taken after the
# wait, at read committed), and an append starting during a check draws its positions after the check's commit.
# Writers do not block one another (shared locks), though one may queue behind a check waiting for another;
# ordered acquisition rules out deadlocks.
#
# The hash: sha256(link || position || version || recorded_at µs || digest), digest from the writer
# (see hashing.py). Returns one row: the accepted slots with their head versions before the append, and
# the positions drawn, in the order of the accepted events.
#
# Slots:  $1 unit int[], $2 stream_id text[], $3 stream_type text[], $4 expected bigint[] (NULL = any),
#         $5 metadata jsonb[], $6 number of the slot's first event int[] (ascending), $7 event count int[]
# Events: $8 event_id uuid[], $9 event_type text[], $10 schema_version int[], $11 data jsonb[],
#         $12 occurred_at µs bigint[], $13 digest bytea[]
STREAM_LOCKS = 7201  # advisory lock class of the streams: (STREAM_LOCKS, hashtext(stream_id))

APPEND = rf"""
WITH tx AS MATERIALIZED (
    SELECT xid, at AS recorded_at, int8send((extract(epoch FROM at) * 1000000)::bigint) AS recorded_bytes
    FROM (SELECT pg_current_xact_id() AS xid, clock_timestamp() AS at) AS now
), locked AS MATERIALIZED (
    SELECT count(pg_advisory_xact_lock_shared({STREAM_LOCKS}, key)) AS streams
    FROM (SELECT DISTINCT hashtext(stream_id) AS key FROM unnest($2::text[], $7::int[]) AS w(stream_id, size)
          WHERE size > 0 ORDER BY key) AS written
), slots AS MATERIALIZED (
    SELECT s.slot::int AS slot, s.unit, s.stream_id, s.stream_type, s.expected, s.metadata, s.first, s.size,
           coalesce(h.stream_version, 0) AS head_version,
           coalesce(h.hash, '\x'::bytea) AS link
    FROM locked, unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[], $6::int[], $7::int[])
         WITH ORDINALITY AS s(unit, stream_id, stream_type, expected, metadata, first, size, slot)
    LEFT JOIN LATERAL (
        SELECT e.stream_version, e.hash FROM events e
        WHERE e.stream_id = s.stream_id
        ORDER BY e.stream_version DESC LIMIT 1
    ) h ON true
), accepted AS MATERIALIZED (
    SELECT *, (sum(size) OVER (ORDER BY slot) - size)::int AS before  -- accepted events in earlier slots
    FROM slots WHERE unit IN (
        SELECT unit FROM slots GROUP BY unit
        HAVING bool_and(expected IS NULL OR expected = head_version))
), drawn AS MATERIALIZED (
    SELECT coalesce(array_agg(position ORDER BY position), '{{}}') AS positions
    FROM (SELECT nextval('events_position_seq') AS position
          FROM tx, generate_series(1, (SELECT coalesce(sum(size), 0) FROM accepted)::int)) AS n
), inserted AS (
    INSERT INTO events (position, stream_id, stream_type, stream_version, event_id, event_type, schema_version,
                        data, metadata, occurred_at, recorded_at, transaction_id, hash)
    SELECT at.position, a.stream_id, a.stream_type, at.version, e.event_id, e.event_type, e.schema_version,
           e.data, a.metadata,
           to_timestamp(e.occurred_us / 1000000) + (e.occurred_us % 1000000) * interval '1 microsecond',
           tx.recorded_at, tx.xid,
           sha256(a.link || int8send(at.position) || int8send(at.version) || tx.recorded_bytes || e.digest)
    FROM unnest($8::uuid[], $9::text[], $10::int[], $11::jsonb[], $12::bigint[], $13::bytea[])
         WITH ORDINALITY AS e(event_id, event_type, schema_version, data, occurred_us, digest, ord)
    JOIN accepted a ON a.slot = width_bucket(e.ord, $6::int[])
    CROSS JOIN tx CROSS JOIN drawn d
    CROSS JOIN LATERAL (  -- the event is the nth of its slot and the (before + n)th accepted one
        SELECT d.positions[a.before + e.ord - a.first + 1] AS position,
               a.head_version + (e.ord - a.first + 1) AS version
    ) AS at
)
SELECT (SELECT array_agg(slot ORDER BY slot) FROM accepted) AS slots,
       (SELECT array_agg(head_version ORDER BY slot) FROM accepted) AS heads,
       (SELECT positions FROM drawn) AS positions,
       (SELECT recorded_at FROM tx) AS recorded_at
"""

# Before the APPEND of a batch with checks, in its transaction: $1 the slots' streams, $2 their event counts.
LOCK_FOR_CHECKS = f"""
SELECT count(CASE WHEN checked THEN pg_advisory_xact_lock({STREAM_LOCKS}, key)
                  ELSE pg_advisory_xact_lock_shared({STREAM_LOCKS}, key) END)
FROM (SELECT hashtext(stream_id) AS key, bool_or(size = 0) AS checked
      FROM unnest($1::text[], $2::int[]) AS s(stream_id, size) GROUP BY 1 ORDER BY 1) AS streams
"""

STREAM_HEADS = """
SELECT s.stream_id,
       coalesce((SELECT max(e.stream_version) FROM events e WHERE e.stream_id = s.stream_id), 0) AS version
FROM unnest($1::text[]) AS s(stream_id)
"""

EVENTS_BY_ID = """
SELECT event_id, stream_id, stream_version, position, recorded_at
FROM events WHERE event_id = ANY($1::uuid[])
"""

_COLUMNS = """position, stream_id, stream_type, stream_version, event_id, event_type, schema_version,
              data, metadata, occurred_at, recorded_at"""

READ_STREAM = f"""
SELECT {_COLUMNS} FROM events
WHERE stream_id = $1 AND stream_version > $2 AND stream_version <= $3
  AND ($4::timestamptz IS NULL OR recorded_at <= $4)
  AND ($5::bigint IS NULL OR position <= $5)
ORDER BY stream_version
"""

READ_BY_IDS = f"""
SELECT {_COLUMNS} FROM events WHERE event_id = ANY($1::uuid[]) ORDER BY position
"""

# The first $3 events after $1, of those at or below $2. The bound is applied outside the LIMIT on purpose:
# `position > $1 AND position <= $2` lets the planner take the range for a small one when the table's
# statistics are stale (a bulk load, autovacuum off), and it then sorts the whole rest of the log for
# every batch (seen: 0.45 s per 5,000-event batch 150,000 events from the head). Ordered by the index
# and limited first, a batch costs what it reads.
READ_RANGE = f"""
SELECT * FROM (SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $3) AS batch
WHERE position <= $2
ORDER BY position
"""

# The same, for a reader of some event types ($4): every row of the range comes back, so that the reader
# knows how far it has read, but the payloads of other types stay on the server, neither sent nor decoded.
_ONLY_TYPES = _COLUMNS.replace(
    "data, metadata",
    "CASE WHEN event_type = ANY($4::text[]) THEN data END AS data, "
    "CASE WHEN event_type = ANY($4::text[]) THEN metadata END AS metadata",
)
READ_RANGE_OF_TYPES = f"""
SELECT * FROM (SELECT {_ONLY_TYPES} FROM events WHERE position > $1 ORDER BY position LIMIT $3) AS batch
WHERE position <= $2
ORDER BY position
"""

# The same range without the payloads, for readers that need only the envelope (the audit log): rows are
# envelope.ENVELOPE_FIELDS in order, the standard metadata fields extracted as text by the server.
_ENVELOPE = ", ".join(
    f"metadata->>'{field}' AS {field}" if field in ENVELOPE_METADATA else field for field in ENVELOPE_FIELDS
)
READ_RANGE_ENVELOPES = f"""
SELECT * FROM (SELECT {_ENVELOPE} FROM events WHERE position > $1 ORDER BY position LIMIT $3) AS batch
WHERE position <= $2
ORDER BY position
"""

# A fence: every event at or below `head` is final once `xmin` of a later snapshot reaches `next_xid`.
# `next_xid` is the xid counter read *after* the snapshot that saw `head`: age() measures from
# ReadNextTransactionId() in a transaction without an xid. (pg_snapshot_xmax is no substitute: it is
# the latest *completed* xid + 1, and a running transaction can hold an xid at or above it.)
FENCE = """
SELECT pg_snapshot_xmin(s)::text::bigint AS xmin,
       pg_snapshot_xmin(s)::text::bigint + age(xid(pg_snapshot_xmin(s))) AS next_xid,
       (SELECT coalesce(max(position), 0) FROM events) AS head
FROM pg_current_snapshot() AS s
"""

# Not its query: the text of another session's statement may hold anyone's data (a literal name, a password), and it
# would go into kamplan's logs. Who and where are enough to find the session.
OLDEST_TRANSACTION = """
SELECT pid, backend_xid::text AS xid, datname AS database, usename AS username, application_name, state,
       extract(epoch FROM clock_timestamp() - xact_start)::float8 AS age_seconds
FROM pg_stat_activity
WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
ORDER BY xact_start
LIMIT 1
"""

LISTEN_CHANNEL = "kamplan_events"

# The rows `verify` recomputes, stream by stream in version order.
VERIFY_ROWS = """
SELECT stream_id, stream_type, stream_version, position, event_id, event_type, schema_version, data, metadata,
       occurred_at, recorded_at, transaction_id::text AS transaction_id, hash
FROM events
WHERE $1::text IS NULL OR stream_id = $1
ORDER BY stream_id, stream_version
"""

SUBJECT_KEYS_FOR_WRITING = """
WITH created AS (
    INSERT INTO subject_keys (subject_id, key)
    SELECT * FROM unnest($1::text[], $2::bytea[])
    ON CONFLICT (subject_id) DO NOTHING
    RETURNING subject_id, key, forgotten_at
)
SELECT subject_id, key, forgotten_at FROM created
UNION ALL
SELECT subject_id, key, forgotten_at FROM subject_keys
WHERE subject_id = ANY($1::text[]) AND subject_id NOT IN (SELECT subject_id FROM created)
"""

SUBJECT_KEYS_FOR_READING = "SELECT subject_id, key FROM subject_keys WHERE subject_id = ANY($1::text[])"

# Forgetting: a tombstone for a subject never seen, or the key destroyed under a row lock.
FORGET_NEW_SUBJECT = """
INSERT INTO subject_keys (subject_id, key, forgotten_at, forgotten_xid)
VALUES ($1, NULL, clock_timestamp(), pg_current_xact_id())
ON CONFLICT (subject_id) DO NOTHING
RETURNING forgotten_at
"""

SUBJECT_KNOWN = "SELECT EXISTS (SELECT 1 FROM subject_streams WHERE subject_id = $1)"

LOCK_SUBJECT = "SELECT forgotten_at FROM subject_keys WHERE subject_id = $1 FOR UPDATE"

DESTROY_SUBJECT_KEY = """
UPDATE subject_keys SET key = NULL, forgotten_at = clock_timestamp(), forgotten_xid = pg_current_xact_id()
WHERE subject_id = $1
RETURNING forgotten_at
"""

# One row, `state` null when there is no snapshot, with `seen`: the snapshot of transactions this load began with,
# which SAVE_SNAPSHOTS is given back.
LATEST_SNAPSHOT = """
SELECT pg_current_snapshot()::text AS seen, s.stream_version, s.position, s.recorded_at, s.state
FROM (SELECT) AS one LEFT JOIN LATERAL (
    SELECT stream_version, position, recorded_at, state FROM snapshots
    WHERE stream_id = $1 AND snapshot_type = $2
      AND ($3::timestamptz IS NULL OR recorded_at <= $3)
      AND ($4::bigint IS NULL OR position <= $4)
    ORDER BY stream_version DESC
    LIMIT 1
) AS s ON true
"""

# Snapshots hold decrypted state. Writers take this lock shared and forgetting takes it exclusive (purging the
# subject's snapshots), and a snapshot of a stream with a forgotten subject is written only by a load that began
# after the forget committed ($7, LATEST_SNAPSHOT's `seen`): one that began before may have read the plaintext, and
# one after read neither the key nor a snapshot holding it. No plaintext survives a forget. A subject forgotten by
# older code has no forget transaction (migration 0014), and its streams keep no snapshot.
SNAPSHOT_LOCK_SHARED = "SELECT pg_advisory_xact_lock_shared(hashtext('kamplan:snapshots'))"
SNAPSHOT_LOCK_EXCLUSIVE = "SELECT pg_advisory_xact_lock(hashtext('kamplan:snapshots'))"

SAVE_SNAPSHOTS = """
INSERT INTO snapshots (stream_id, snapshot_type, stream_version, position, recorded_at, state)
SELECT $1, $2, * FROM unnest($3::bigint[], $4::bigint[], $5::timestamptz[], $6::json[])
WHERE NOT EXISTS (
    SELECT 1 FROM subject_streams s JOIN subject_keys k USING (subject_id)
    WHERE s.stream_id = $1 AND k.forgotten_at IS NOT NULL
      AND (k.forgotten_xid IS NULL OR NOT pg_visible_in_snapshot(k.forgotten_xid, $7::text::pg_snapshot)))
ON CONFLICT DO NOTHING
"""

REMEMBER_SUBJECT_STREAMS = """
INSERT INTO subject_streams (subject_id, stream_id)
SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT DO NOTHING
"""

PURGE_SUBJECT_SNAPSHOTS = """
DELETE FROM snapshots WHERE stream_id IN (SELECT stream_id FROM subject_streams WHERE subject_id = $1)
"""
