"""Exit 0 if a TCP service answers at HOST PORT within one second, else 1 (used by make)."""

import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
try:
    with socket.create_connection((host, port), timeout=1):
        sys.exit(0)
except OSError:
    sys.exit(1)
