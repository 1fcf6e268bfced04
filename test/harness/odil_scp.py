"""An Odil (Debian's python3-odil) Verification SCP for the test suite: one association at a time,
as Odil's receive_association binds, accepts one peer and closes. Usage: odil_scp.py PORT.
Pinned to a loopback address by the harness's bind shim."""
import sys

import odil

port = int(sys.argv[1])
while True:
    association = odil.Association()
    try:
        association.receive_association("v4", port)
    except Exception:
        continue  # a peer that connected and left (the harness's readiness check, a sweep)
    dispatcher = odil.SCPDispatcher(association)
    dispatcher.set_echo_scp(odil.EchoSCP(association))
    try:
        while True:
            dispatcher.dispatch()
    except Exception:
        pass  # released, aborted or broken: wait for the next peer
