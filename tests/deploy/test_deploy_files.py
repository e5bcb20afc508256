"""What can be checked of deploy/ without Docker or systemd: the gunicorn config
loads with gunicorn's own loader and matches `hub serve`, the compose file has
the services it promises, every unit runs a real `hub` command, and the Docker
entrypoint really creates an instance."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from gunicorn.app.base import Application
from gunicorn.config import Config

import hub
from hub.cli import cli
from hub.config import DEFAULTS
from hub.server import gunicorn_options

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SYSTEMD = DEPLOY / "systemd"
HUB_COMMAND = "/opt/hub/venv/bin/hub"


class ConfigProbe(Application):
    """gunicorn's application loader, used only to read a config file."""

    def __init__(self) -> None:  # skip argument parsing: only the file is read
        self.cfg = Config()

    def init(self, parser, opts, args):  # pragma: no cover - required by the base class
        return None

    def load(self):  # pragma: no cover - required by the base class
        return None


def load_gunicorn_config() -> Config:
    probe = ConfigProbe()
    probe.load_config_from_file(str(DEPLOY / "gunicorn.conf.py"))
    return probe.cfg


def test_gunicorn_config_matches_hub_serve(monkeypatch):
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_gunicorn_config().settings
    reference = Config()  # `hub serve` sets these same options in code
    for key, value in gunicorn_options("127.0.0.1", 8000, None).items():
        reference.set(key, value)
        assert settings[key].get() == reference.settings[key].get(), key
    assert settings["preload_app"].get() is False


def test_gunicorn_config_takes_overrides_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "unix:/run/hub/hub.sock")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings = load_gunicorn_config().settings
    assert settings["bind"].get() == ["unix:/run/hub/hub.sock"]
    assert settings["workers"].get() == 3


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as section -> key -> values (keys like ExecStart may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"{path.name}: cannot read {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


SERVICES = sorted(SYSTEMD.glob("*.service"))
TIMERS = sorted(SYSTEMD.glob("*.timer"))


def exec_lines() -> list[tuple[str, str]]:
    return [
        (path.name, line) for path in SERVICES for line in read_unit(path)["Service"]["ExecStart"]
    ]


@pytest.mark.parametrize("unit", SERVICES, ids=lambda path: path.name)
def test_services_run_as_hub_on_the_instance(unit):
    service = read_unit(unit)["Service"]
    assert service["User"] == ["hub"]
    assert "HUB_INSTANCE_PATH=/var/lib/hub" in service["Environment"]
    assert service["ExecStart"], "no ExecStart"


@pytest.mark.parametrize(("unit", "line"), exec_lines(), ids=lambda value: str(value))
def test_exec_start_runs_a_real_hub_command(unit, line, app, monkeypatch):
    # A plugin's commands (hub toollibrary ...) are found through an instance.
    monkeypatch.setenv("HUB_INSTANCE_PATH", app.instance_path)
    executable, *args = line.lstrip("-").split()
    assert executable == HUB_COMMAND
    group: click.Command = cli
    ctx = click.Context(cli)
    while isinstance(group, click.Group) and args and not args[0].startswith("-"):
        command = group.get_command(ctx, args[0])
        if command is None:
            if group is cli and args[0] == "federation":
                pytest.skip("hub federation is not part of this build yet")
            pytest.fail(f"{unit}: hub has no command {args[0]!r}")
        group, args = command, args[1:]
    # Parses the options exactly as the command would, without running it.
    group.make_context(group.name, list(args))


def test_hub_service_serves_where_nginx_proxies():
    (line,) = read_unit(SYSTEMD / "hub.service")["Service"]["ExecStart"]
    assert line == f"{HUB_COMMAND} serve --host 127.0.0.1 --port 8000"
    nginx = (DEPLOY / "nginx" / "hub.conf").read_text()
    assert "server 127.0.0.1:8000;" in nginx


@pytest.mark.parametrize("timer", TIMERS, ids=lambda path: path.name)
def test_every_timer_has_its_service_and_a_schedule(timer):
    unit = read_unit(timer)
    assert (SYSTEMD / f"{timer.stem}.service").exists()
    schedule = unit["Timer"]
    assert "OnCalendar" in schedule or "OnUnitActiveSec" in schedule
    assert unit["Install"]["WantedBy"] == ["timers.target"]


def test_the_timers_promised_by_the_docs_exist():
    runs = {name: line for name, line in exec_lines()}
    assert "backup --output /var/backups/hub" in runs["hub-backup.service"]
    assert runs["hub-retention.service"].endswith("hub retention")
    assert runs["hub-toollibrary-reminders.service"].endswith("hub toollibrary reminders")
    federation = read_unit(SYSTEMD / "hub-federation.service")["Service"]["ExecStart"]
    assert [line.split()[-1] for line in federation] == ["publish", "push", "sync"]


def test_nginx_site_terminates_tls_and_passes_what_the_hub_needs():
    site = (DEPLOY / "nginx" / "hub.conf").read_text()
    assert re.search(r"listen 443 ssl", site)
    assert "ssl_certificate " in site and "ssl_certificate_key " in site
    assert "return 301 https://$host$request_uri;" in site
    for header in ("Host $host", "X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header};" in site
    assert f"client_max_body_size {DEFAULTS['MAX_UPLOAD_MB']}m;" in site
    alias = re.search(r"location /static/ \{\s*alias (\S+);", site)[1]
    assert alias.endswith("/site-packages/hub/static/")
    assert (Path(hub.__file__).parent / "static" / "hub.css").exists()


def test_compose_file_has_hub_and_postgres_15_with_healthchecks():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "hub"}
    db, app = services["db"], services["hub"]
    assert db["image"] == "postgres:15"
    assert "db-data:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["HUB_DATABASE_URL"].startswith("postgresql+psycopg://hub:")
    assert app["environment"]["HUB_DATABASE_URL"].endswith("@db:5432/hub")
    assert "hub-data:/data" in app["volumes"]
    assert "/.well-known/hub" in " ".join(app["healthcheck"]["test"])
    assert set(compose["volumes"]) == {"db-data", "hub-data"}
    build = DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]
    assert build.resolve() == (DEPLOY / "Dockerfile").resolve()
    assert app["ports"] == ["127.0.0.1:8000:8000"]


def test_dockerfile_copies_files_that_exist_and_serves_on_the_composed_port():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    root = DEPLOY.parent
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE):
        for part in source.split():
            assert (root / part).exists(), f"Dockerfile copies missing {part}"
    ignored = (root / ".dockerignore").read_text().split()
    assert {".venv", ".git", "demo-instance", "instance"} <= set(ignored)
    assert 'CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert "postgresql-client-15" in dockerfile  # pg_dump for `hub backup`
    assert "HUB_INSTANCE_PATH=/data" in dockerfile


def test_docker_entrypoint_creates_the_instance_then_runs_the_command(tmp_path, hub_databases):
    entrypoint = DEPLOY / "docker-entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HUB_INSTANCE_PATH": str(tmp_path / "data"),
        "HUB_DATABASE_URL": hub_databases.new("entrypoint"),
        "HUB_BASE_URL": "https://hub.example.org",
        "HUB_INSTANCE_NAME": "Riverside Food Bank",
    }
    result = subprocess.run(
        ["sh", str(entrypoint), "hub", "db", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Created instance" in result.stdout
    assert result.stdout.strip().endswith("Database is up to date.")
    assert (tmp_path / "data" / "hub.toml").exists()
    assert (tmp_path / "data" / "signing_key.pem").exists()


def test_nginx_logs_no_query_strings():
    """Searches (``/people/?q=a name``) are personal data: nginx logs paths only."""
    site = (DEPLOY / "nginx" / "hub.conf").read_text()
    log_format = site.split("log_format hub_private", 1)[1].split(";", 1)[0]
    assert "$uri" in log_format
    for leaky in (
        "$request ",
        '$request"',
        "$request_uri",
        "$args",
        "$query_string",
        "$http_referer",
    ):
        assert leaky not in log_format
    servers = site.split("server {")[1:]
    assert all("access_log /var/log/nginx/hub.access.log hub_private;" in s for s in servers[1:])


ROOT = DEPLOY.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)$")


def pinned() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        match = PIN.match(line)
        assert match, f"constraints.txt: {line!r} is not NAME==VERSION"
        pins[canonical(match[1])] = match[2]
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_requirements() -> set[str]:
    """Every third-party requirement of the core (with its test tools) and the plugins."""
    import tomllib

    from packaging.requirements import Requirement

    projects = [ROOT / "pyproject.toml", *ROOT.glob("plugins/*/pyproject.toml")]
    names = set()
    for path in projects:
        project = tomllib.loads(path.read_text())["project"]
        requirements = [*project.get("dependencies", ())]
        for extra in project.get("optional-dependencies", {}).values():
            requirements += extra
        names |= {canonical(Requirement(text).name) for text in requirements}
    return names - {"community-hub"}


def test_every_dependency_is_pinned_and_installed_at_its_pin():
    import importlib.metadata

    pins = pinned()
    missing = declared_requirements() - set(pins)
    assert not missing, f"constraints.txt does not pin {sorted(missing)}: run make constraints"
    assert not {"community-hub", "hub-foodbank", "hub-repaircafe"} & set(pins)
    # What the suite runs against is what is pinned (make install uses the file).
    installed = {
        canonical(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
    }
    differing = {
        name: (version, installed[name])
        for name, version in pins.items()
        if name in installed and installed[name] != version
    }
    assert not differing, f"installed versions differ from constraints.txt: {differing}"


def test_every_install_uses_the_constraints():
    makefile = (ROOT / "Makefile").read_text()
    assert "-c $(CONSTRAINTS) -e '.[test]'" in makefile
    assert "CONSTRAINTS := constraints.txt" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "pip install --no-cache-dir -c constraints.txt ." in (DEPLOY / "Dockerfile").read_text()
    guide = (ROOT / "docs" / "admin.md").read_text()
    installs = [line for line in guide.splitlines() if "/bin/pip install" in line]
    assert len(installs) >= 2
    assert all("-c /opt/hub/src/constraints.txt" in line for line in installs), installs
    assert "make constraints" in (ROOT / "README.md").read_text()


def test_plugins_depend_on_a_range_of_core_releases():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    for path in [*ROOT.glob("plugins/*/pyproject.toml"), *ROOT.glob("examples/*/pyproject.toml")]:
        requirements = tomllib.loads(path.read_text())["project"]["dependencies"]
        [core] = [Requirement(r) for r in requirements if Requirement(r).name == "community-hub"]
        assert core.specifier, f"{path}: community-hub needs a version range"
        assert Version(hub.__version__) in core.specifier, path


def test_make_test_runs_every_check_the_readme_names():
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile[makefile.index("\nlint:") : makefile.index("\ntest:")]
    for check in ("ruff check", "ruff format --check", "lint-imports", "mypy"):
        assert f"$(BIN)/{check}" in lint, check
    assert "\ntest: lint\n" in makefile
    readme = (ROOT / "README.md").read_text().splitlines()
    assert "mypy" in next(line for line in readme if line.startswith("make test"))
