"""A real SMTP server for the tests (Debian's python3-aiosmtpd): every message it accepts is written
to DIR as N.eml, and N.json holds the envelope and the message as Python's email package parses
it (headers, text and HTML bodies, attachments decoded): a MIME parser independent of the sender. Modes: "accept"; "tempfail-once" (answers the first DATA
with 451, then accepts); "refuse:ADDR[,ADDR]" (550 to RCPT TO of those recipients).
Usage: smtp_sink.py HOST PORT DIR MODE; or smtp_sink.py --parse FILE: that .eml parsed, as JSON on stdout."""
import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.controller import Controller



def parse(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = {"headers": {k.lower(): str(v) for k, v in msg.items()}, "text": None, "html": None, "attachments": []}
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_filename() is not None:
            out["attachments"].append(
                {"filename": part.get_filename(), "contentType": part.get_content_type(), "content": part.get_content()}
            )
        elif part.get_content_type() == "text/plain" and out["text"] is None:
            out["text"] = part.get_content()
        elif part.get_content_type() == "text/html" and out["html"] is None:
            out["html"] = part.get_content()
    return out


class Sink:
    def __init__(self):
        self.n = 0
        self.failed_once = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in refused:
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if mode == "tempfail-once" and not self.failed_once:
            self.failed_once = True
            open(os.path.join(folder, "tempfailed"), "w").close()
            return "451 4.3.0 Temporary failure, try again later"
        self.n += 1
        base = os.path.join(folder, "%04d" % self.n)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, **parse(envelope.original_content)}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted for delivery"


if sys.argv[1] == "--parse":
    with open(sys.argv[2], "rb") as f:
        print(json.dumps(parse(f.read())))
    sys.exit(0)
host, port, folder, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
refused = set(mode[len("refuse:"):].lower().split(",")) if mode.startswith("refuse:") else set()
controller = Controller(Sink(), hostname=host, port=port)
controller.start()
print("listening", flush=True)
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
