"""The `jifen` command. Reads settings from the environment and passes them down."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from cli.demo import demo
from cli.ledger_commands import issue_checkpoints
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


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    print(f"Jifen is serving on http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    return serve(settings, host=args.host, port=args.port)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    return demo(settings, host=args.host, port=args.port, serve_after=not args.no_serve)


def _add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")


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
