"""The package as a user gets it: generated files up to date, types that a checker accepts (and rejects where it
should), and a wheel that builds offline, installs into a fresh virtualenv and runs the quick start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SDK, LiveServer, missing
from postbox import Postbox
from readme_blocks import answer_when_created, forget_mailboxes, python_blocks

PYTHON = sys.executable


def run(*args: str, cwd: Path = SDK, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("script", ["scripts/generate_types.py", "scripts/unasync.py"])
def test_generated_files_are_up_to_date(script: str) -> None:
    done = run(PYTHON, script, "--check")
    assert done.returncode == 0, done.stderr


def mypy() -> list[str]:
    if shutil.which("mypy") is None:
        missing("mypy is not installed (Debian: apt-get install mypy)")
    return ["mypy", "--config-file", str(SDK / "pyproject.toml"), "--cache-dir", str(SDK / ".mypy_cache")]


# Names the README's examples take from earlier examples or from the reader's own code.
README_PRELUDE = """
from typing import Any
from postbox import AsyncPostbox, Postbox
from postbox.types import Draft, Mailbox, MessageSummary

pb: Postbox
mailbox: Mailbox
msg: MessageSummary
draft: Draft
webhook_id: str
delivery_id: str
request: Any
"""


def test_the_package_and_the_readme_type_check(tmp_path: Path) -> None:
    # Each example in a function of its own: what one example names does not retype the next one's.
    blocks = [
        f"def example_{i}() -> None:\n" + textwrap.indent(code, "    ") + "\n"
        for i, (code, _, _) in enumerate(python_blocks())
    ]
    examples = tmp_path / "readme_examples.py"
    examples.write_text(README_PRELUDE + "\n\n" + "\n\n".join(blocks))
    done = run(*mypy(), "postbox", str(examples), env={**os.environ, "MYPYPATH": str(SDK)})
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_pii_operator_fails_type_checking(tmp_path: Path) -> None:
    bad = tmp_path / "bad_pii.py"
    bad.write_text(
        "from postbox import Postbox\n"
        "pb = Postbox(api_key='k')\n"
        "pb.mailboxes.update('m', pii_redaction_config="
        "{'EMAIL_ADDRESS': {'redact': True, 'operator': {'kind': 'hash_replace', 'keep_last': 4}}})\n"
    )
    done = run(*mypy(), str(bad), env={**os.environ, "MYPYPATH": str(SDK)})
    assert done.returncode == 1 and "bad_pii.py:3: error" in done.stdout, done.stdout


@pytest.mark.integration
def test_the_wheel_installs_into_a_fresh_venv_and_runs_the_quick_start(live: LiveServer, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SDK, source, ignore=shutil.ignore_patterns("tests", "build", "dist", "*.egg-info", ".*cache*", "__pycache__"))
    built = run(PYTHON, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", str(source), "-w", str(tmp_path / "dist"), cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = list((tmp_path / "dist").glob("postbox_sdk-*-py3-none-any.whl"))
    assert len(wheels) == 1

    venv = tmp_path / "venv"
    # --system-site-packages: httpx comes from the system (Debian's python3-httpx), as the only dependency.
    made = run(PYTHON, "-m", "venv", "--system-site-packages", str(venv), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    vpy = venv / "bin" / "python"
    installed = run(str(vpy), "-m", "pip", "install", "--no-index", "--no-deps", str(wheels[0]), cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    quick_start = python_blocks()[0][0]
    script = tmp_path / "quick_start.py"
    script.write_text(
        "import postbox, os\n"
        "assert postbox.__file__.startswith(os.environ['VENV']), postbox.__file__\n"
        "assert os.path.exists(os.path.join(os.path.dirname(postbox.__file__), 'py.typed'))\n"
        + quick_start
    )
    with Postbox(api_key=live.admin_key, base_url=live.url) as admin:
        forget_mailboxes(admin, live, "support")
        answerer = answer_when_created(admin, live.deliver)
        try:
            env = {"PATH": os.environ["PATH"], "VENV": str(venv), "POSTBOX_API_KEY": live.admin_key, "POSTBOX_URL": live.url}
            done = run(str(vpy), str(script), cwd=tmp_path, env=env)
        finally:
            forget_mailboxes(admin, live, "support")
    assert done.returncode == 0, done.stdout + done.stderr + f"\nthe answering thread: {answerer.error!r}"  # type: ignore[attr-defined]
    assert "Got reply from user@example.com: Re: Hello from my agent" in done.stdout
    assert "Hello from my agent (2 messages)" in done.stdout
