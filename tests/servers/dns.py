"""A real DNS server (dnsmasq) on loopback that serves XMPP SRV records for the tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


class DnsServer:
    """dnsmasq answering only the SRV records given, on 127.0.0.1 and a free UDP port."""

    def __init__(self, workdir: Path, srv_records: Sequence[str]) -> None:
        self.workdir = workdir
        self.records = list(srv_records)  # dnsmasq --srv-host values
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> DnsServer:
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not os.path.exists(binary):
            raise RuntimeError("dnsmasq is not installed (apt-get install dnsmasq-base)")
        log = (self.workdir / "dnsmasq.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
             "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={self.port}",
             "--user=root", "--pid-file=", *[f"--srv-host={r}" for r in self.records]],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        time.sleep(0.2)
        if self.process.poll() is not None:
            raise RuntimeError((self.workdir / "dnsmasq.log").read_text())
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
        self.process = None
