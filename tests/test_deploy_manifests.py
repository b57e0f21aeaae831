"""The deploy files agree with the app: probes hit real routes on the real port, every VERIFIER_*
variable is a Settings field with a valid value, the registry is mounted where VERIFIER_REGISTRY
points (as a directory, never subPath), and the Dockerfile's EXPOSE/HEALTHCHECK/CMD match.
No Docker engine or cluster runs here: the files are parsed, and rendered by kustomize if
kubectl is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from verifier.cli import build_parser
from verifier.settings import Settings
from verifier.web.app import create_app
from verifier.web.server import SHUTDOWN_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
PORT = Settings.model_fields["port"].default
IMAGE = "verifier"
API = {"app.kubernetes.io/name": "verifier", "app.kubernetes.io/component": "api"}
REDIS = {"app.kubernetes.io/name": "verifier", "app.kubernetes.io/component": "redis"}


def routes() -> set[str]:
    app = create_app(Settings(network_checks="off"))
    return {r.canonical for r in app.router.resources()}


def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if doc is not None and doc["kind"] != "Kustomization":
                out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def check_env(env: dict[str, str]) -> Settings:
    """Every VERIFIER_* name is a Settings field, and together the values are valid settings."""
    values: dict[str, Any] = {}
    for name, value in env.items():
        assert name.startswith("VERIFIER_"), name
        field = name.removeprefix("VERIFIER_").lower()
        assert field in Settings.model_fields, f"{name} is not a setting"
        values[field] = value
    return Settings(**values)


def image_name(ref: str) -> str:
    return ref.split("@")[0].rsplit(":", 1)[0]


# ---------------------------------------------------------------- Kubernetes


@pytest.fixture(scope="module")
def k8s() -> dict[tuple[str, str], dict[str, Any]]:
    return manifests()


@pytest.fixture(scope="module")
def pod(k8s: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = k8s[("Deployment", "verifier")]["spec"]["template"]["spec"]
    return spec


def container(pod: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod["containers"]
    return only  # type: ignore[no-any-return]


def env_of(c: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in c.get("env", [])}


def test_kustomization_lists_every_manifest(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text("utf-8"))
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    assert [i["name"] for i in kustomization["images"]] == [IMAGE]
    kinds = {kind for kind, _ in k8s}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            "NetworkPolicy"} <= kinds


def test_probes_ports_and_env_agree_with_the_app(pod: dict[str, Any]) -> None:
    c = container(pod)
    assert image_name(c["image"]) == IMAGE
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    settings = check_env(env_of(c))
    assert ports == {"http": settings.port} and settings.port == PORT
    served = routes()
    probes = {kind: c[kind]["httpGet"] for kind in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == "/healthz"
    for probe in probes.values():
        assert probe["path"] in served
        assert ports.get(probe["port"], probe["port"]) == settings.port
    args = build_parser().parse_args(c["command"][1:])
    assert c["command"][0] == "verifier" and args.host == "0.0.0.0"


def test_no_service_link_variables_in_our_settings_namespace(pod: dict[str, Any]) -> None:
    # Kubernetes would set VERIFIER_PORT=tcp://10.0.0.1:80 (from the Service "verifier") beside ours;
    # it works today only because the container sets VERIFIER_PORT itself.
    assert pod["enableServiceLinks"] is False


def test_graceful_termination_outlasts_the_drain(pod: dict[str, Any]) -> None:
    c = container(pod)
    pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] > int(pre_stop[1]) + SHUTDOWN_TIMEOUT


def test_runs_unprivileged_read_only(pod: dict[str, Any]) -> None:
    c = container(pod)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == dockerfile_uid()
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(c["resources"][kind])


def registry_lists() -> dict[str, str]:
    """The lists registry.yaml names: {field: relative path}."""
    raw = yaml.safe_load((ROOT / "registry" / "registry.yaml").read_text("utf-8"))
    return dict(raw["lists"])


def test_registry_configmap_mounted_as_a_directory(
    k8s: dict[tuple[str, str], dict[str, Any]], pod: dict[str, Any],
) -> None:
    c = container(pod)
    registry = PurePosixPath(env_of(c)["VERIFIER_REGISTRY"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    (mount,) = [m for m in c["volumeMounts"] if "configMap" in volumes[m["name"]]]
    assert "subPath" not in mount, "subPath mounts never see ConfigMap updates"
    assert mount["mountPath"] == str(registry.parent) and mount["readOnly"] is True
    config_map = volumes[mount["name"]]["configMap"]
    items = {i["key"]: i["path"] for i in config_map["items"]}
    expected = {registry.name: registry.name} | {
        PurePosixPath(rel).name: rel for rel in registry_lists().values()}
    assert items == expected

    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text("utf-8"))
    (gen,) = kustomization["configMapGenerator"]
    assert gen["name"] == config_map["name"]
    assert gen["options"]["disableNameSuffixHash"] is True  # in-place update: hot reload
    sources = dict(f.split("=", 1) for f in gen["files"])
    assert set(sources) == set(items)
    for key, source in sources.items():
        assert (K8S / source).resolve() == (ROOT / "registry" / items[key]).resolve()


def test_service_hpa_pdb_select_the_pods(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    deployment = k8s[("Deployment", "verifier")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels == API == deployment["spec"]["selector"]["matchLabels"]
    service = k8s[("Service", "verifier")]["spec"]
    assert service["selector"] == API
    assert [p["targetPort"] for p in service["ports"]] == ["http"]
    hpa = k8s[("HorizontalPodAutoscaler", "verifier")]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                     "name": "verifier"}
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    assert hpa["minReplicas"] >= 2
    assert k8s[("PodDisruptionBudget", "verifier")]["spec"]["selector"]["matchLabels"] == API


def test_redis_url_names_the_redis_service(
    k8s: dict[tuple[str, str], dict[str, Any]], pod: dict[str, Any],
) -> None:
    url = urlsplit(env_of(container(pod))["VERIFIER_REDIS_URL"])
    service = k8s[("Service", url.hostname or "")]["spec"]
    assert service["selector"] == REDIS
    assert [p["port"] for p in service["ports"]] == [url.port] == [6379]
    redis_pod = k8s[("Deployment", url.hostname or "")]["spec"]["template"]
    assert redis_pod["metadata"]["labels"] == REDIS
    assert "@sha256:" in redis_pod["spec"]["containers"][0]["image"]


def test_network_policy_allows_only_dns_and_redis(
    k8s: dict[tuple[str, str], dict[str, Any]], pod: dict[str, Any],
) -> None:
    policy = k8s[("NetworkPolicy", "verifier")]["spec"]
    assert policy["podSelector"]["matchLabels"] == API
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"port": PORT, "protocol": "TCP"}]
    dns, redis = policy["egress"]
    assert dns["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    assert sorted((p["port"], p["protocol"]) for p in dns["ports"]) == [(53, "TCP"), (53, "UDP")]
    assert redis["to"] == [{"podSelector": {"matchLabels": REDIS}}]
    assert redis["ports"] == [{"port": 6379, "protocol": "TCP"}]
    redis_policy = k8s[("NetworkPolicy", "verifier-redis")]["spec"]
    assert redis_policy["egress"] == [] and redis_policy["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": API}}]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_renders_the_registry_byte_for_byte() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", "--load-restrictor=LoadRestrictionsNone", str(K8S)],
        check=True, capture_output=True, text=True, timeout=60).stdout
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(rendered)}
    data = docs[("ConfigMap", "verifier-registry")]["data"]
    assert data["registry.yaml"] == (ROOT / "registry" / "registry.yaml").read_text("utf-8")
    for rel in registry_lists().values():
        assert data[PurePosixPath(rel).name] == (ROOT / "registry" / rel).read_text("utf-8")
    assert sum(len(v.encode()) for v in data.values()) < 1_000_000, "ConfigMaps hold ≤ 1 MiB"
    assert docs[("Deployment", "verifier")]["spec"]["template"]["spec"]["volumes"][0][
        "configMap"]["name"] == "verifier-registry"


# ---------------------------------------------------------------- compose


def test_compose_agrees_with_the_app() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    svc = services["verifier"]
    assert image_name(svc["image"]) == IMAGE
    assert (DEPLOY / svc["build"]["context"] / svc["build"]["dockerfile"]).resolve() == \
        DEPLOY / "Dockerfile"
    settings = check_env(svc["environment"])
    assert [p.split(":")[-1] for p in svc["ports"]] == [str(settings.port)]
    url = urlsplit(settings.redis_url or "")
    assert url.hostname in services and url.port == 6379
    assert "@sha256:" in services[url.hostname]["image"]
    assert "healthcheck" in services[url.hostname]
    (mount,) = svc["volumes"]
    assert mount["target"] == str(PurePosixPath(str(settings.registry)).parent)
    assert mount["read_only"] is True
    assert (DEPLOY / mount["source"]).resolve() == ROOT / "registry"
    paths = re.findall(r"http://127\.0\.0\.1:(\d+)(/\w+)", " ".join(svc["healthcheck"]["test"]))
    assert paths and all(int(p) == settings.port and r in routes() for p, r in paths)
    assert int(svc["stop_grace_period"].rstrip("s")) > SHUTDOWN_TIMEOUT


# ---------------------------------------------------------------- Dockerfile


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def instructions(name: str) -> list[str]:
    return [rest for word, rest in dockerfile() if word == name]


def dockerfile_uid() -> int:
    (user,) = instructions("USER")
    return int(user.split(":")[0])


def test_dockerfile_agrees_with_the_app() -> None:
    import json

    args = dict(a.split("=", 1) for a in instructions("ARG"))
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*@sha256:[0-9a-f]{64}", base)
    assert instructions("FROM") == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(instructions("ENV"))))
    settings = check_env({k: v for k, v in env.items() if k.startswith("VERIFIER_")})
    assert instructions("EXPOSE") == [str(settings.port)] and settings.port == PORT
    assert dockerfile_uid() != 0
    registry_dir = str(PurePosixPath(str(settings.registry)).parent)
    copies = instructions("COPY")
    assert f"registry/registry.yaml {settings.registry}" in copies
    for rel in registry_lists().values():
        assert any(c.split()[-1] in (f"{registry_dir}/{PurePosixPath(rel).parent}",
                                     f"{registry_dir}/{rel}") for c in copies), rel
    (health,) = instructions("HEALTHCHECK")
    probe = json.loads(health[health.index("CMD") + 3:].strip())
    assert probe[:2] == ["python", "-c"] and "/healthz" in probe[2] and "/healthz" in routes()
    assert "'8080'" in probe[2]
    (cmd,) = instructions("CMD")
    argv = json.loads(cmd)
    assert argv[:2] == ["verifier", "serve"] and build_parser().parse_args(argv[1:]).host == "0.0.0.0"


def test_dockerignore_keeps_local_state_out() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines[0] == "*", "ignore everything, then allow what the build needs"
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "verifier", "registry"}
