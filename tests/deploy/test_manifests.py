"""deploy/: the image, the compose file and the Kubernetes manifests hold their invariants: non-root,
probes on /healthz and /readyz, the HPA scales the API Deployment, the migration runs
`gateway db upgrade`, every command named is one the CLI has, every partner file is in the
ConfigMap. (No container engine runs here: what a build or a cluster would show is not tested.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from gateway.cli.main import app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"


def k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_documents() if d["kind"] == kind}


def cli_has(args: list[str]) -> bool:
    """Whether `gateway <args>` names a command of the CLI (options aside)."""
    command: Any = typer.main.get_command(app)
    for word in args:
        if word.startswith("-"):
            break
        commands = getattr(command, "commands", None)  # a group (typer ships its own click)
        if commands is None or word not in commands:
            return False
        command = commands[word]
    return getattr(command, "commands", None) is None


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def test_the_image_is_non_root_and_installs_the_package_against_the_lock() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "USER 10001:10001" in text
    assert 'pip install -c requirements.lock ".[otel]"' in text
    assert 'ENTRYPOINT ["gateway"]' in text
    assert 'CMD ["serve"]' in text
    assert cli_has(["serve"])
    assert not cli_has(["srve"])
    assert not cli_has(["db"])  # a group, not a command
    assert "requirements.lock" in text
    assert "-r requirements.lock" not in text


def test_compose_runs_the_migration_before_the_api_and_the_workers() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["read_only"] is True
        assert services[name]["cap_drop"] == ["ALL"]
    for name in ("migrate", "api", "worker"):
        assert cli_has(services[name]["command"]), services[name]["command"]
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_every_workload_runs_as_a_non_root_user_with_a_read_only_root() -> None:
    workloads = [*by_kind("Deployment").values(), *by_kind("Job").values()]
    assert {w["metadata"]["name"] for w in workloads} == {"gateway-api", "gateway-worker", "gateway-migrate"}
    for workload in workloads:
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
            assert container["image"] == "supplier-gateway"
            assert cli_has(container["args"]), container["args"]
            sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
            assert sources == {"gateway-settings", "gateway-secrets"}


def test_the_api_is_probed_on_healthz_and_readyz_and_scaled_by_the_hpa() -> None:
    api = pod_spec(by_kind("Deployment")["gateway-api"])["containers"][0]
    assert api["args"] == ["serve"]
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    (hpa,) = by_kind("HorizontalPodAutoscaler").values()
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "gateway-api")
    assert hpa["spec"]["minReplicas"] >= 2
    service = by_kind("Service")["gateway-api"]
    assert (
        service["spec"]["selector"] == by_kind("Deployment")["gateway-api"]["spec"]["selector"]["matchLabels"]
    )


def test_the_migration_job_runs_gateway_db_upgrade_and_workers_run_gateway_worker() -> None:
    (job,) = by_kind("Job").values()
    assert pod_spec(job)["containers"][0]["args"] == ["db", "upgrade"]
    worker = pod_spec(by_kind("Deployment")["gateway-worker"])["containers"][0]
    assert worker["args"] == ["worker"]


def test_partners_are_a_config_map_mounted_where_the_gateway_reads_them_and_secrets_a_secret() -> None:
    settings = by_kind("ConfigMap")["gateway-settings"]["data"]
    for name in ("gateway-api", "gateway-worker"):
        spec = pod_spec(by_kind("Deployment")[name])
        volumes = {v["name"]: v for v in spec["volumes"]}
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "partners")
        assert volumes["partners"]["configMap"]["name"] == "gateway-partners"
        assert mount["mountPath"] == settings["GATEWAY_PARTNERS_DIR"]
        assert mount["readOnly"] is True
    secret = by_kind("Secret")["gateway-secrets"]
    assert set(secret["stringData"]) == {"GATEWAY_DATABASE_URL", "GATEWAY_REDIS_URL"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_the_partner_config_map_command_takes_every_partner_file() -> None:
    partners = DEPLOY.parent / "partners"
    command = [
        "kubectl",
        "create",
        "configmap",
        "gateway-partners",
        "--namespace",
        "supplier-gateway",
        f"--from-file={partners}",
        "--dry-run=client",
        "-o",
        "yaml",
    ]
    assert "--from-file=partners/" in (K8S / "kustomization.yaml").read_text()
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    config_map = yaml.safe_load(result.stdout)
    assert config_map["metadata"]["name"] == "gateway-partners"
    files = {p.name for p in partners.iterdir() if p.is_file()}
    assert set(config_map.get("data", {})) | set(config_map.get("binaryData", {})) == files


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_renders_the_manifests_offline() -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]
    kinds = sorted(d["kind"] for d in rendered)
    assert kinds == sorted(
        [
            "Namespace",
            "ConfigMap",
            "Secret",
            "Job",
            "Deployment",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
        ]
    )
    images = {
        c["image"]
        for d in rendered
        if d["kind"] in ("Deployment", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"supplier-gateway:0.1.0"}
    assert all(
        d["metadata"].get("namespace") == "supplier-gateway" for d in rendered if d["kind"] != "Namespace"
    )
