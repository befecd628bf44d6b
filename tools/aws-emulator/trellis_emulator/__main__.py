"""Run the emulator: `python -m trellis_emulator --port 0`.

Prints one line `TRELLIS_EMULATOR_LISTENING http://HOST:PORT` on stdout once
the socket accepts connections (port 0 picks a free one), then serves until
it is killed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .common import Settings
from .faults import FaultConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="trellis_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    parser.add_argument("--async-delay-ms", type=float, default=0.0, help="how long asynchronous statuses stay in progress")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every call")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="probability of a 429 throttling error")
    parser.add_argument("--error-rate", type=float, default=0.0, help="probability of a 500 internal error")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault random generator")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from .server import EmulatorApp

    faults = FaultConfig.from_json({
        "latency_ms": args.latency_ms, "throttle_rate": args.throttle_rate,
        "error_rate": args.error_rate, "seed": args.seed,
    })
    app = EmulatorApp(Settings(async_delay=args.async_delay_ms / 1000.0), faults)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"TRELLIS_EMULATOR_LISTENING http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
