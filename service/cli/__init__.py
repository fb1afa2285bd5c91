"""The `kamplan` command: serve, worker, migrate, rebuild, verify, token, demo, read-schema, openapi.

This module turns the outcome of a command into its exit code; `parser` holds the options and help texts,
`commands` what each command does.
"""

from __future__ import annotations

import logging
import signal
import sys

from pydantic import ValidationError

from service.cli.commands import STOPPED
from service.cli.parser import build_parser
from service.config import Settings
from service.db.pgdata import DataDirectoryError
from service.logs import configure_logging, handles_event_data

# a command's unforeseen failure is logged with its traceback, by the rule of the logs of work on stored events: a
# foreign error's text may quote a row or a payload (a violated constraint's row, a duplicate key), which Python's
# own traceback printed as raised; but for the commands that read nothing stored
_failed = handles_event_data(logging.getLogger("kamplan.commands"))
_READS_NOTHING_STORED = frozenset({"token", "openapi"})


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 failed (a broken chain, a stale file, the database out of reach or its directory
    unusable, an invalid index not built again), 2 a bad argument or setting, 130 interrupted, 143 stopped by SIGTERM
    before done."""
    from service.db.indexes import IndexRebuildFailed
    from service.db.server import DatabaseUnreachable

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"kamplan: {_refused_settings(error)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    # SIGTERM's default kills the process at once: an embedded PostgreSQL the command started (or joined) would keep
    # running; as an exception, it unwinds through database_url(), whose `finally` lets go of the server
    signal.signal(signal.SIGTERM, _stopped)
    try:
        return int(args.run(settings, args) or 0)
    except (DatabaseUnreachable, IndexRebuildFailed) as error:
        print(f"kamplan: {error}", file=sys.stderr)
        return 1
    except DataDirectoryError as error:  # the embedded database's directory: one line that says what to do
        logging.getLogger("kamplan").error(str(error))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log = logging.getLogger("kamplan") if args.command in _READS_NOTHING_STORED else _failed
        log.error("kamplan %s failed", args.command, exc_info=error)
        return 1
    finally:
        # the command is over and its exit code decided: a SIGTERM from here on would end the process with -15, as
        # Python gives signals it handles their default back while it shuts down (an ignored one stays ignored)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(STOPPED)


def _refused_settings(error: ValidationError) -> str:
    """One line naming each refused variable; never its value, which may be a secret."""
    problems = []
    for e in error.errors(include_input=False, include_url=False):
        field = str(e["loc"][0]) if e["loc"] else ""
        problems.append(f"{Settings.variable(field)}: {e['msg']}")
    return "invalid setting " + "; ".join(problems)
