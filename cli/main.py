"""The `jifen` command. Reads settings from the environment and passes them down."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from cli.demo import demo
from cli.ledger_commands import issue_checkpoints
from cli.rules_commands import rules_check, rules_simulate
from cli.serve import serve
from cli.verify import run_verify
from config.settings import Settings
from migrations.runner import upgrade

Handler = Callable[[argparse.Namespace, Settings], int]


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)
    print(f"database is at the latest revision: {settings.database_url}")
    return 0


def _ledger_verify(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(run_verify(settings, ledger=args.ledger, fast=args.fast))


def _ledger_checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(issue_checkpoints(settings, ledger=args.ledger))


def _listening(args: argparse.Namespace, settings: Settings) -> Settings:
    """Settings whose public URL is where we listen, unless JIFEN_PUBLIC_BASE_URL says."""
    if "JIFEN_PUBLIC_BASE_URL" in os.environ:
        return settings
    return replace(settings, public_base_url=f"http://{args.host}:{args.port}")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    print(f"Jifen is serving on http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    return serve(_listening(args, settings), host=args.host, port=args.port)


def _rules_check(args: argparse.Namespace, _settings: Settings) -> int:
    return rules_check(args.file)


def _rules_simulate(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(rules_simulate(settings, args.file, args.since, args.ledger))


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    settings = _listening(args, settings)
    return demo(settings, host=args.host, port=args.port, serve_after=not args.no_serve)


def _add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")


def _add_rules_commands(commands: Any) -> None:
    rules_parser = commands.add_parser("rules", help="points rule sets")
    rules_commands = rules_parser.add_subparsers(dest="rules_command", required=True)
    check = rules_commands.add_parser("check", help="validate a rule-set file")
    check.add_argument("file")
    check.set_defaults(handler=_rules_check)
    simulate = rules_commands.add_parser(
        "simulate", help="what a draft rule set would have awarded, beside what was awarded"
    )
    simulate.add_argument("file")
    simulate.add_argument("--since", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    simulate.add_argument("--ledger", help="one community's ledger id (default: every one)")
    simulate.set_defaults(handler=_rules_simulate)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jifen", description="Jifen points ledger service.")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply every pending migration").set_defaults(handler=_db_upgrade)

    serve_parser = commands.add_parser("serve", help="run the service")
    _add_listen_arguments(serve_parser)
    serve_parser.set_defaults(handler=_serve)

    demo_parser = commands.add_parser(
        "demo", help="seed a demo community into the embedded database and serve it"
    )
    _add_listen_arguments(demo_parser)
    demo_parser.add_argument("--no-serve", action="store_true", help="seed and exit")
    demo_parser.set_defaults(handler=_demo)

    ledger = commands.add_parser("ledger", help="the signed points ledger")
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True)
    verify = ledger_commands.add_parser(
        "verify", help="re-derive every hash, link, signature, root and balance"
    )
    verify.add_argument("--ledger", help="one ledger id (default: every ledger)")
    verify.add_argument(
        "--fast",
        action="store_true",
        help="hashes, links and Merkle roots against signed checkpoints only",
    )
    verify.set_defaults(handler=_ledger_verify)
    _add_rules_commands(commands)
    checkpoint = ledger_commands.add_parser("checkpoint", help="sign a checkpoint of each ledger")
    checkpoint.add_argument("--ledger", help="one ledger id (default: every ledger)")
    checkpoint.set_defaults(handler=_ledger_checkpoint)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jifen` console script."""
    args = _build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args, Settings.from_environ())


if __name__ == "__main__":
    sys.exit(main())
