"""A real Prosody on 127.0.0.1 with a throwaway CA, for tests that need an XMPP server.

`ProsodyServer(workdir).start()` writes a config, certificates and a CAPTCHA image into
`workdir`, starts `prosody -F` and waits until it accepts connections; `stop()` ends it.
Clients always connect to `host` (127.0.0.1) on `starttls_port` or `direct_tls_port` and verify
the certificate against the XMPP domain with `ca_file`.

Virtual hosts (all under `.test`):

- `open.test`: open in-band registration.
- `fields.test`: registration that also requires `email` and a custom `reason` field.
- `captcha.test`: registration behind a XEP-0158 CAPTCHA (prosody_modules/mod_test_captcha.lua):
  the form has an `ocr` field with a XEP-0231 image; the answer is `captcha_answer`.
- `ratelimit.test`: one registration per IP address per hour, 127.0.0.1 included.
- `closed.test`: registration disabled.
- `web.test`: sign-up on a web page only (prosody_modules/mod_test_web_signup.lua): the
  `register` stream feature is advertised, but the registration query answers with XEP-0077's
  redirection, instructions and a jabber:x:oob URL (`WEB_SIGNUP_URL`) and no fields; a submit
  is refused (cancel/not-allowed), as on public servers that only allow web sign-up.
- `notls.test`: no STARTTLS offered at all (and PLAIN allowed in the clear, as a trap).
- `expired.test`: registration open, but its certificate has expired.
- `wronghost.test`: registration open, but its certificate is for `hosting.example`.
- `selfsigned.test`: registration open, but its certificate is self-signed (for the right name,
  not issued by the test CA).
- `invite.test`: XEP-0401 invites (mod_invites, mod_invites_adhoc, mod_invites_register): every
  user may create an invite (ad-hoc `urn:xmpp:invite#invite`) that lets a friend sign up and
  become a contact; registration only with an invite's token. When Debian's prosody-modules is
  installed, mod_invites_page (external mode, no web server) adds the landing page
  `https://invite.test/invite?TOKEN` (attribute `invites_page`).
- `contactinvite.test`: the same modules, but users may only invite contacts (Prosody's default
  `allow_user_invites = false`): the invite is not valid for signing up.

`LOCAL_PROVIDERS` (tests/data/providers-local.json) is a server list in the XMPP Providers API
v2 format (the shape of onboard/data/providers-B.json) that points at these hosts: open, fields,
captcha, closed, web, expired, wronghost, selfsigned and notls. What it says about each one
(in-band registration, CAPTCHA, email, sign-up page) is what the host really does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import unicodedata
from pathlib import Path

MODULES_DIR = Path(__file__).resolve().parent / "prosody_modules"
CAPTCHA_ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no look-alikes (0/O, 1/I, 2/Z, 5/S, 8/B)

OPEN = "open.test"
FIELDS = "fields.test"
CAPTCHA = "captcha.test"
RATELIMIT = "ratelimit.test"
CLOSED = "closed.test"
WEB = "web.test"
WEB_SIGNUP_URL = "https://web.test/signup"
NOTLS = "notls.test"
EXPIRED = "expired.test"
WRONGHOST = "wronghost.test"
WRONGHOST_CERT_NAME = "hosting.example"
SELFSIGNED = "selfsigned.test"
INVITE = "invite.test"
CONTACTINVITE = "contactinvite.test"
INVITE_PAGE = "https://invite.test/invite?{invite.token}"  # mod_invites_page's template
LOCAL_PROVIDERS = Path(__file__).resolve().parents[1] / "data" / "providers-local.json"

STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
PORT_ATTEMPTS = 3
PORT_TAKEN = "Failed to open server port"


class ProsodyError(RuntimeError):
    """Prosody could not be started (the message ends with the tail of its log)."""


class _PortTaken(ProsodyError):
    pass


def invites_page_available() -> bool:
    """Whether mod_invites_page (Debian's prosody-modules, not prosody itself) is installed."""
    return any((Path(base) / "mod_invites_page" / "mod_invites_page.lua").is_file()
               for base in ("/usr/lib/prosody/modules", "/usr/local/lib/prosody/modules"))


def prosody_binary() -> str | None:
    """The prosody executable, or None when it is not installed."""
    return shutil.which("prosody") or next(
        (p for p in ("/usr/bin/prosody", "/usr/local/bin/prosody") if os.access(p, os.X_OK)), None
    )


def free_ports(count: int) -> list[int]:
    """Ports the kernel hands out for binding 127.0.0.1:0 (all held open until all are known)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the test process dies without teardown."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def storage_name(name: str) -> str:
    """Prosody's file name escaping (util.datamanager): every byte outside [A-Za-z0-9] → %xx."""
    return "".join(
        chr(b) if chr(b).isascii() and chr(b).isalnum() else f"%{b:02x}"
        for b in name.encode("utf-8")
    )


def lua_string(value: str | Path) -> str:
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def make_captcha_png(answer: str) -> bytes:
    """A small greyscale PNG showing `answer` in large dark letters, with a little noise."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = 180, 60
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default(size=40)
    except TypeError:  # Pillow without FreeType: the small bitmap font
        font = ImageFont.load_default()
    rng = secrets.SystemRandom()
    for _ in range(6):
        draw.line(
            [(rng.randrange(width), rng.randrange(height)), (rng.randrange(width),
                                                             rng.randrange(height))],
            fill=170, width=1,
        )
    left, top, right, bottom = draw.textbbox((0, 0), answer, font=font)
    x = (width - (right - left)) // 2 - left
    y = (height - (bottom - top)) // 2 - top
    draw.text((x, y), answer, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class ProsodyServer:
    """One Prosody process with the test virtual hosts; see the module docstring.

    Attributes: `host` ("127.0.0.1"), `starttls_port`, `direct_tls_port`, `notls_port` (the
    STARTTLS port: notls.test shares it), `ca_file`, `log_file`, `data_dir`, `workdir`,
    `config_file`, `captcha_answer`, `captcha_png`, `captcha_file`, `domains`,
    `registration_domains`, `web_signup_domains`, `web_signup_url`, `tls_cases`,
    `invite_domains`, `invites_page`, `process`.
    Methods: `start()`, `stop()` (also a context manager), `user_exists(domain, username)`,
    `account_file(domain, username)`, `account_invite(domain)`, `log_text()`, `log_tail()`,
    `cert_paths(domain)`.

    The server keeps its state for its whole life: ratelimit.test accepts one registration
    from 127.0.0.1 in all, and names taken stay taken, so tests should use fresh names.
    """

    host = "127.0.0.1"
    domains = (OPEN, FIELDS, CAPTCHA, RATELIMIT, CLOSED, WEB, NOTLS, EXPIRED, WRONGHOST,
               SELFSIGNED, INVITE, CONTACTINVITE)
    # Hosts whose registration is open (stream feature advertised).
    registration_domains = (OPEN, FIELDS, CAPTCHA, RATELIMIT, NOTLS, EXPIRED, WRONGHOST,
                            SELFSIGNED)
    # Hosts that exist to make certificate checks fail, by the name of the failure.
    tls_cases = ("expired", "wronghost", "selfsigned")
    # Hosts that advertise registration but send people to a sign-up web page, and its URL.
    web_signup_domains = (WEB,)
    web_signup_url = WEB_SIGNUP_URL
    # Hosts with XEP-0401 invites (registration there only with an invite's token).
    invite_domains = (INVITE, CONTACTINVITE)

    def __init__(self, workdir: Path | str, *, captcha_answer: str | None = None) -> None:
        self.workdir = Path(workdir)
        self.config_file = self.workdir / "prosody.cfg.lua"
        self.data_dir = self.workdir / "data"
        self.cert_dir = self.workdir / "certs"
        self.log_file = self.workdir / "prosody.log"
        self.output_file = self.workdir / "prosody.out"  # stdout/stderr of the process
        self.pid_file = self.workdir / "prosody.pid"
        self.ca_file = self.workdir / "ca.pem"
        self.captcha_file = self.workdir / "captcha.png"
        self.captcha_answer = captcha_answer or "".join(
            secrets.choice(CAPTCHA_ALPHABET) for _ in range(5)
        )
        self.captcha_png = b""
        self.starttls_port, self.direct_tls_port = free_ports(2)
        # notls.test shares the STARTTLS port: mod_tls is disabled for that host alone.
        self.notls_port = self.starttls_port
        # Whether invite.test's invites come with a landing page (see invites_page_available).
        self.invites_page = invites_page_available()
        self.process: subprocess.Popen[bytes] | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> ProsodyServer:
        binary = prosody_binary()
        if binary is None:
            raise ProsodyError("prosody is not installed (apt-get install prosody)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        self.cert_dir.mkdir(exist_ok=True)
        self._write_certificates()
        self.captcha_png = make_captcha_png(self.captcha_answer)
        self.captcha_file.write_bytes(self.captcha_png)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                self._launch(binary)
                return self
            except _PortTaken:
                if attempt == PORT_ATTEMPTS:
                    raise
                # Another process took a port between free_ports() and Prosody's bind.
                self.starttls_port, self.direct_tls_port = free_ports(2)
                self.notls_port = self.starttls_port
        raise AssertionError("unreachable")

    def _launch(self, binary: str) -> None:
        self.config_file.write_text(self._config())
        self.log_file.unlink(missing_ok=True)
        with self.output_file.open("wb") as output:
            self.process = subprocess.Popen(
                [binary, "-F", "--config", str(self.config_file)],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                cwd=self.workdir, start_new_session=True, preexec_fn=_die_with_parent,
            )
        try:
            self._wait_until_listening()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)

    def __enter__(self) -> ProsodyServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        waiting = [self.starttls_port, self.direct_tls_port]
        while waiting:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ProsodyError(
                    f"prosody exited with status {self.process.returncode} while starting\n"
                    + self.log_tail()
                )
            try:
                with socket.create_connection((self.host, waiting[0]), timeout=0.5):
                    waiting.pop(0)
                    continue
            except OSError:
                pass
            if PORT_TAKEN in self.log_text():
                raise _PortTaken(f"a port was taken by another process\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ProsodyError(
                    f"prosody did not accept connections on {self.host}:{waiting[0]} within "
                    f"{STARTUP_TIMEOUT:.0f} s\n" + self.log_tail()
                )
            time.sleep(0.02)

    # -- for tests ----------------------------------------------------------------------------

    def account_file(self, domain: str, username: str) -> Path:
        """Where Prosody stores the account (internal storage), whether it exists or not."""
        node = unicodedata.normalize("NFKC", username.casefold())  # roughly nodeprep
        return self.data_dir / storage_name(domain) / "accounts" / f"{storage_name(node)}.dat"

    def user_exists(self, domain: str, username: str) -> bool:
        return self.account_file(domain, username).is_file()

    def account_invite(self, domain: str) -> str:
        """The token of a new account invite for `domain` (one of `invite_domains`), made the
        way an admin makes one: `prosodyctl mod_invites generate DOMAIN`. It prints the landing
        page (`https://…/invite?TOKEN`) or the URI (`xmpp:DOMAIN?register;preauth=TOKEN`)."""
        prosodyctl = shutil.which("prosodyctl") or "/usr/bin/prosodyctl"
        result = subprocess.run(
            [prosodyctl, "--config", str(self.config_file), "mod_invites", "generate", domain],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
            cwd=self.workdir,
        )
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            raise ProsodyError(f"prosodyctl mod_invites generate {domain} failed "
                               f"({result.returncode}): {result.stdout} {result.stderr}")
        link = lines[-1].strip()
        return link.rpartition("preauth=")[2] if "preauth=" in link else link.rpartition("?")[2]

    def log_tail(self, lines: int = 40) -> str:
        """Prosody's errors and warnings, and the end of its log and console output."""
        parts = []
        with contextlib.suppress(OSError):
            problems = [line for line in self.log_file.read_text(errors="replace").splitlines()
                        if "\terror\t" in line or "\twarn\t" in line][-20:]
            if problems:
                parts.append("--- errors and warnings in prosody.log ---\n" + "\n".join(problems))
        for path in (self.log_file, self.output_file):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    title = f"--- {path.name} (last {len(text)} lines) ---"
                    parts.append("\n".join([title, *text]))
        return "\n".join(parts) or "(prosody wrote no log)"

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")
        return ""

    # -- files --------------------------------------------------------------------------------

    def _write_certificates(self) -> None:
        import trustme

        ca = trustme.CA(key_type=trustme.KeyType.RSA, organization_name="onboard test CA")
        ca.cert_pem.write_to_path(str(self.ca_file))
        now = dt.datetime.now(dt.UTC)
        for domain in self.domains:
            if domain == NOTLS:
                continue
            if domain == SELFSIGNED:
                self._write_self_signed(domain)
                continue
            if domain == EXPIRED:
                leaf = ca.issue_cert(domain, not_before=now - dt.timedelta(days=30),
                                     not_after=now - dt.timedelta(days=1),
                                     key_type=trustme.KeyType.RSA)
            elif domain == WRONGHOST:
                leaf = ca.issue_cert(WRONGHOST_CERT_NAME, key_type=trustme.KeyType.RSA)
            else:
                leaf = ca.issue_cert(domain, key_type=trustme.KeyType.RSA)
            # Named <domain>.crt/.key, Prosody also finds them for SNI on the direct TLS port.
            cert_path, key_path = self.cert_paths(domain)
            cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
            leaf.private_key_pem.write_to_path(str(key_path))

    def _write_self_signed(self, domain: str) -> None:
        """A certificate for `domain` signed by its own key: valid name and dates, no CA."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = self.cert_paths(domain)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ))

    def cert_paths(self, domain: str) -> tuple[Path, Path]:
        return self.cert_dir / f"{domain}.crt", self.cert_dir / f"{domain}.key"

    def _ssl(self, domain: str) -> str:
        cert, key = self.cert_paths(domain)
        return f"ssl = {{ certificate = {lua_string(cert)}; key = {lua_string(key)}; }}"

    def _config(self) -> str:
        q = lua_string
        page_module = ' "invites_page";' if self.invites_page else ""
        return f"""\
-- Written by tests/servers/prosody.py for one test session.
run_as_root = true
daemonize = false
pidfile = {q(self.pid_file)}
data_path = {q(self.data_dir)}
certificates = {q(self.cert_dir)}
plugin_paths = {{ {q(MODULES_DIR)} }}
log = {{ {{ levels = {{ min = "debug" }}, to = "file", filename = {q(self.log_file)} }} }}

interfaces = {{ "127.0.0.1" }}
local_interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {self.starttls_port} }}
c2s_direct_tls_ports = {{ {self.direct_tls_port} }}
-- Nothing else may listen.
s2s_ports = {{}}
s2s_direct_tls_ports = {{}}
legacy_ssl_ports = {{}}
component_ports = {{}}
http_ports = {{}}
https_ports = {{}}
proxy65_ports = {{}}

authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
allow_registration = false
modules_enabled = {{
  "register"; "pep"; "disco"; "roster"; "saslauth"; "tls"; "ping";
}}
modules_disabled = {{ "s2s"; "s2s_auth_certs"; "offline"; }}

VirtualHost "{OPEN}"
  {self._ssl(OPEN)}
  allow_registration = true

VirtualHost "{FIELDS}"
  {self._ssl(FIELDS)}
  allow_registration = true
  additional_registration_fields = {{
    "email+";
    {{ name = "reason"; type = "text-single"; label = "Why do you want an account?";
       required = true; }};
  }}

VirtualHost "{CAPTCHA}"
  {self._ssl(CAPTCHA)}
  allow_registration = true
  modules_enabled = {{ "test_captcha" }}  -- added to the global list
  test_captcha_image = {q(self.captcha_file)}
  test_captcha_answer = {q(self.captcha_answer)}

VirtualHost "{RATELIMIT}"
  {self._ssl(RATELIMIT)}
  allow_registration = true
  min_seconds_between_registrations = 3600
  registration_allowlist = {{}}

VirtualHost "{CLOSED}"
  {self._ssl(CLOSED)}
  allow_registration = false

VirtualHost "{WEB}"
  {self._ssl(WEB)}
  allow_registration = false
  modules_enabled = {{ "test_web_signup" }}  -- added to the global list
  test_web_signup_url = {q(WEB_SIGNUP_URL)}

VirtualHost "{NOTLS}"
  allow_registration = true
  c2s_require_encryption = false
  allow_unencrypted_plain_auth = true
  modules_disabled = {{ "tls" }}  -- added to the global list

VirtualHost "{EXPIRED}"
  {self._ssl(EXPIRED)}
  allow_registration = true

VirtualHost "{WRONGHOST}"
  {self._ssl(WRONGHOST)}
  allow_registration = true

VirtualHost "{SELFSIGNED}"
  {self._ssl(SELFSIGNED)}
  allow_registration = true

VirtualHost "{INVITE}"
  {self._ssl(INVITE)}
  modules_enabled = {{ "invites"; "invites_adhoc"; "invites_register";{page_module} }}
  allow_user_invites = true
  invites_page_external = true
  invites_page = {q(INVITE_PAGE)}

VirtualHost "{CONTACTINVITE}"
  {self._ssl(CONTACTINVITE)}
  modules_enabled = {{ "invites"; "invites_adhoc"; "invites_register" }}
"""
