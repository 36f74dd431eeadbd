"""Start anvil (from fixtures/devnet's npm packages) on a free loopback port; always stop it."""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests

from chains.errors import DevnetError

_PLATFORMS = {("Linux", "x86_64"): "linux-amd64", ("Linux", "aarch64"): "linux-arm64",
              ("Darwin", "x86_64"): "darwin-amd64", ("Darwin", "arm64"): "darwin-arm64"}


def devnet_dir() -> Path:
    configured = os.environ.get("TAXSCAN_DEVNET_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "fixtures" / "devnet"


def node_modules() -> Path:
    modules = devnet_dir() / "node_modules"
    if not modules.is_dir():
        raise DevnetError(f"devnet packages are not installed: run `npm ci` in {devnet_dir()} "
                          "(or `make demo`, which does it)")
    return modules


def anvil_binary() -> Path:
    modules = node_modules()
    suffix = _PLATFORMS.get((platform.system(), platform.machine()))
    if suffix:
        native = modules / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"
        if native.is_file():
            return native
    wrapper = modules / ".bin" / "anvil"
    if wrapper.exists():
        return wrapper
    raise DevnetError(f"anvil is not installed in {modules}: run `npm ci` in {devnet_dir()}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Anvil:
    """`with Anvil(genesis_timestamp=...) as node:` then use `node.url`."""

    def __init__(self, *, genesis_timestamp: int, chain_id: int = 31337,
                 startup_timeout_s: float = 30.0) -> None:
        self.genesis_timestamp = genesis_timestamp
        self.chain_id = chain_id
        self.startup_timeout_s = startup_timeout_s
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Anvil:
        binary = anvil_binary()
        for _ in range(3):  # another process may grab the free port before anvil does
            self.port = _free_port()
            self._process = subprocess.Popen(
                [str(binary), "--host", "127.0.0.1", "--port", str(self.port),
                 "--chain-id", str(self.chain_id), "--timestamp", str(self.genesis_timestamp),
                 "--silent"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
            )
            if self._wait_ready():
                return self
            self.stop()
        raise DevnetError("anvil did not start (three tries on free loopback ports)")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                answer = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1,
                                                       "method": "eth_chainId", "params": []},
                                       timeout=1)
                if answer.ok:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        finally:
            if process.stderr:
                process.stderr.close()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
