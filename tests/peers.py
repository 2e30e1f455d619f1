"""Real peers on loopback for the sources' tests: a MariaDB and a PostgreSQL
holding a vendor's schema (apps.ingestion.vendor), and an SFTP server (asyncssh,
in this process, on a loopback port, with throwaway keys).

The databases are the machine's own (README: MariaDB and PostgreSQL at
127.0.0.1, as CI runs them); a test database per test worker is created and
dropped here. Where a server does not answer, its tests are skipped — except
when HIPWATCH_TEST_PEERS=required (what .ci/run sets), where they fail."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

MARIADB = os.environ.get("HIPWATCH_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306")
POSTGRES = os.environ.get("HIPWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
READER_PASSWORD = "Re@d:0nly/#!"  # URL-unsafe characters on purpose


def _unreachable(why: str):
    if os.environ.get("HIPWATCH_TEST_PEERS") == "required":
        pytest.fail(f"a peer the tests need is down: {why}")
    pytest.skip(why)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture
def mariadb():
    """A vendor database on MariaDB, and a read-only account on it: SimpleNamespace
    (admin_url, url — without the password —, password)."""
    name = f"hw_vendor_{_worker()}"
    admin = sa.create_engine(f"{MARIADB}/", poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            c.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
            c.exec_driver_sql(f"DROP USER IF EXISTS '{name}'@'%%'")
            c.exec_driver_sql(f"CREATE USER '{name}'@'%%' IDENTIFIED BY '{READER_PASSWORD}'")
            c.exec_driver_sql(f"GRANT SELECT ON {name}.* TO '{name}'@'%%'")
    except sa.exc.OperationalError as exc:
        _unreachable(f"MariaDB at {MARIADB}: {exc.orig}")
    host = MARIADB.split("@", 1)[1]
    yield SimpleNamespace(
        admin_url=f"{MARIADB}/{name}",
        url=f"mysql+pymysql://{name}@{host}/{name}",
        password=READER_PASSWORD,
    )
    with admin.begin() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        c.exec_driver_sql(f"DROP USER IF EXISTS '{name}'@'%%'")
    admin.dispose()


@pytest.fixture
def vendor_postgres():
    """A vendor database on PostgreSQL, and an account that may only read it."""
    name = f"hw_vendor_{_worker()}"
    admin = sa.create_engine(
        f"{POSTGRES}/postgres", poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            c.exec_driver_sql(f"CREATE DATABASE {name}")
            c.exec_driver_sql(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') "
                f"THEN CREATE ROLE {name} LOGIN PASSWORD '{READER_PASSWORD}'; END IF; END $$"
            )
    except sa.exc.OperationalError as exc:
        _unreachable(f"PostgreSQL at {POSTGRES}: {exc.orig}")
    host = POSTGRES.split("@", 1)[1]
    ns = SimpleNamespace(
        admin_url=f"{POSTGRES}/{name}",
        url=f"postgresql+psycopg://{name}@{host}/{name}",
        password=READER_PASSWORD,
        reader=name,
    )
    yield ns
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
    admin.dispose()


def grant_reads(ns) -> None:
    """The read-only account may read the vendor's tables (once they exist)."""
    engine = sa.create_engine(ns.admin_url, poolclass=sa.pool.NullPool)
    with engine.begin() as c:
        c.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ns.reader}")
    engine.dispose()


class SftpServer:
    """asyncssh's SFTP server over `root` on a loopback port, in a thread of its
    own; `stop()` and `start()` take it down and up on the same port (a night
    with the file server away)."""

    def __init__(self, root):
        import asyncssh

        self.root = root
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        client = asyncssh.generate_private_key("ssh-ed25519")
        self.private_key = client.export_private_key("openssh").decode()
        self.authorized = asyncssh.import_authorized_keys(
            client.export_public_key("openssh").decode()
        )
        self.public_host_key = self.host_key.export_public_key("openssh").decode().strip()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = None
        self.accepted = []  # every SSH connection the server took, in order
        self.start()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def start(self) -> None:
        import asyncssh

        async def listen():
            return await asyncssh.listen(
                "127.0.0.1",
                self.port,
                server_host_keys=[self.host_key],
                authorized_client_keys=self.authorized,
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root)),
                reuse_address=True,
                acceptor=self.accepted.append,
            )

        self.server = self._call(listen())

    def drop(self) -> None:
        """Close every open session from the server's side (idle, it timed out)."""

        async def close():
            for connection in self.accepted:
                connection.close()

        self._call(close())

    def stop(self) -> None:
        async def close():
            self.server.close()
            await self.server.wait_closed()

        self._call(close())

    @property
    def url(self) -> str:
        return f"sftp://hipwatch@127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def sftp(tmp_path):
    pytest.importorskip("asyncssh")
    root = tmp_path / "drop"
    root.mkdir()
    server = SftpServer(root)
    yield server
    server.close()


class Proxy:
    """A TCP relay on a loopback port to a server: `down()` refuses and cuts every
    connection (the database stopped in the night), `up()` serves again."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        self.serving = True
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            if not self.serving:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self) -> None:
        self.serving = False
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open.clear()

    def up(self) -> None:
        self.serving = True

    def close(self) -> None:
        self.down()
        self.listener.close()
