"""Shared helpers for the client programs the Rust integration tests drive.

Every program prints exactly one JSON object on its last stdout line (the result the
test asserts on) and exits non-zero with a message on stderr when it cannot do its job.
Connections are recorded from librdkafka's own debug log, so a test can assert that a
client only ever dialled proxy addresses.
"""
import json
import logging
import re
import sys
import threading

# librdkafka logs "Connecting to ipv4#127.0.0.1:9092 (plaintext) with socket 12" for
# every TCP connect it starts, whatever made it learn the address.
_CONNECT_RE = re.compile(r"Connecting to ipv[46]#\[?([0-9a-fA-F.:]+?)\]?:(\d+) ")


class ConnectionLog(logging.Handler):
    """A logging handler that collects every address librdkafka connects to."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self._lock = threading.Lock()
        self.addresses = set()
        self.errors = []

    def emit(self, record):
        message = record.getMessage()
        match = _CONNECT_RE.search(message)
        with self._lock:
            if match:
                self.addresses.add(f"{match.group(1)}:{match.group(2)}")
            if record.levelno >= logging.ERROR:
                self.errors.append(message)

    def sorted_addresses(self):
        with self._lock:
            return sorted(self.addresses)


def traced(config, log, name):
    """Return a copy of a librdkafka config that reports its connections to `log`."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(log)
    traced_config = dict(config)
    traced_config["debug"] = "broker"
    traced_config["logger"] = logger
    return traced_config


def emit(result):
    """Print the program's result as the last stdout line."""
    print(json.dumps(result, sort_keys=True), flush=True)


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)
