"""Checks the files that deploy gitfleet on Kubernetes, offline.

- Every object under manifests/ and every object the chart renders (with its default values and with
  each charts/gitfleet/ci/*-values.yaml) validates strictly against the Kubernetes schemas that
  kubernetes-validate bundles. The ServiceMonitor is a CRD those schemas do not hold: it is checked
  against servicemonitor.schema.json beside this file instead, and the output says so.
- The controller's pods keep the security promises (non-root, read-only root, no capabilities,
  seccomp RuntimeDefault) and probe /healthz and /readyz; so do the example load balancer's (nginx with a
  `gitfleet agent` sidecar), which also share the upstream file and a process namespace, and whose agents the
  controller requires, knows by token and can reach replica by replica.
- Every key of every controller configuration file (the ConfigMaps' config.yaml) is a setting the
  controller knows, so a typo is caught here and not by a crash-looping pod.
- Every manifest file is listed by a kustomization, or named here as deliberately not listed.
- The chart passes Helm's lint, and values that cannot work are refused with a message.

The chart is rendered by Helm's own library (helm-sdkpy): an install with Helm's in-memory release
storage against a stand-in API server on loopback that only answers discovery and accepts every
object. helm-sdkpy has no "template" call; an install renders exactly as `helm template` does, and
its result carries the rendered manifest.

Prints one line per check and ends with "N passed, N failed"; exits 1 when anything failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
CHART = ROOT / "charts" / "gitfleet"
KUBERNETES_VERSION = "1.30.0"
SERVICE_MONITOR_SCHEMA = Path(__file__).with_name("servicemonitor.schema.json")

# Files under manifests/ that no kustomization lists, on purpose.
NOT_IN_KUSTOMIZATION = {"secrets.example.yaml"}


class Checks:
    """Counts and prints outcomes; a failure never stops the other checks."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, what: str) -> None:
        self.passed += 1
        print(f"ok    {what}")

    def fail(self, what: str, why: str) -> None:
        self.failed += 1
        print(f"FAIL  {what}: {why}")

    def note(self, what: str) -> None:
        print(f"note  {what}")


# ---- objects --------------------------------------------------------------------------------------

def documents(text: str, source: str) -> list[tuple[str, dict]]:
    """The YAML documents of a file or a rendered manifest, each named for messages."""
    found = []
    for index, document in enumerate(yaml.safe_load_all(text)):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ValueError(f"{source}: document {index + 1} is not a mapping")
        kind = document.get("kind", "?")
        name = (document.get("metadata") or {}).get("name", "?")
        found.append((f"{source}: {kind}/{name}", document))
    return found


def validate_object(checks: Checks, label: str, obj: dict) -> None:
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        checks.ok(f"{label} validates against Kubernetes {KUBERNETES_VERSION} (strict)")
    except kubernetes_validate.SchemaNotFoundError:
        if obj.get("apiVersion") == "monitoring.coreos.com/v1" and obj.get("kind") == "ServiceMonitor":
            schema = json.loads(SERVICE_MONITOR_SCHEMA.read_text())
            errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
            if errors:
                checks.fail(label, "; ".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors))
            else:
                checks.ok(f"{label} validates against {SERVICE_MONITOR_SCHEMA.name} "
                          "(a CRD: the Kubernetes schemas do not hold it, the upstream CRD schema is not checked)")
        else:
            checks.fail(label, f"no schema for {obj.get('apiVersion')} {obj.get('kind')} and none of our own")
    except kubernetes_validate.ValidationError as error:
        checks.fail(label, str(error))


def component(obj: dict) -> str | None:
    """The app.kubernetes.io/component of a Deployment or StatefulSet (controller, load-balancer, etcd)."""
    if obj.get("kind") not in ("Deployment", "StatefulSet"):
        return None
    return ((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component")


def pod_security_problems(pod: dict) -> list[str]:
    """The security promises every pod we ship keeps: non-root, read-only root, no capabilities, seccomp."""
    problems = []
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True:
        problems.append("pod securityContext.runAsNonRoot is not true")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append("pod seccompProfile is not RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("a service account token is mounted")
    for container in pod["containers"]:
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{container['name']}: root filesystem is writable")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{container['name']}: privilege escalation allowed")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{container['name']}: capabilities are not all dropped")
    return problems


def check_controller_pod(checks: Checks, label: str, obj: dict) -> None:
    """The promises every controller Deployment (or StatefulSet, with agents) keeps, whichever file or values
    made it."""
    if component(obj) != "controller":
        return
    pod = obj["spec"]["template"]["spec"]
    problems = pod_security_problems(pod)
    for container in pod["containers"]:
        if container.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            problems.append(f"{container['name']}: liveness probe is not /healthz")
        if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            problems.append(f"{container['name']}: readiness probe is not /readyz")
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        for writable in ("/var/lib/gitfleet", "/home/gitfleet", "/tmp"):
            if writable not in mounts:
                problems.append(f"{container['name']}: nothing writable mounted at {writable}")
    if problems:
        checks.fail(label, "; ".join(problems))
    else:
        checks.ok(f"{label} runs non-root, read-only, no capabilities, seccomp RuntimeDefault, probes /healthz /readyz")


def check_load_balancer_pod(checks: Checks, label: str, obj: dict) -> None:
    """The example load balancer: nginx and a `gitfleet agent` sidecar, secured like the controller, sharing the
    upstream file (the agent writes, nginx reads) and a process namespace (the agent's reload signals nginx)."""
    if component(obj) != "load-balancer":
        return
    pod = obj["spec"]["template"]["spec"]
    problems = pod_security_problems(pod)
    containers = {container["name"]: container for container in pod["containers"]}
    agent, nginx = containers.get("agent"), containers.get("nginx")
    if agent is None or nginx is None:
        problems.append(f"expected containers agent and nginx, found {', '.join(containers)}")
    else:
        if agent.get("args", [None])[0] != "agent":
            problems.append("the agent container does not run `gitfleet agent`")
        env = {item["name"]: item for item in agent.get("env", [])}
        for required in ("GITFLEET_AGENT_NAME", "GITFLEET_AGENT_CONTROLLER", "GITFLEET_AGENT_OUTPUT",
                         "GITFLEET_AGENT_RELOAD_COMMAND", "GITFLEET_AGENT_TOKEN_FILE"):
            if required not in env:
                problems.append(f"the agent sets no {required}")
        output = env.get("GITFLEET_AGENT_OUTPUT", {}).get("value", "")
        written = output.split(":", 1)[-1].rsplit("/", 1)[0]
        agent_mounts = {m["mountPath"]: m["name"] for m in agent.get("volumeMounts", [])}
        nginx_mounts = {m["mountPath"]: m["name"] for m in nginx.get("volumeMounts", [])}
        if written not in agent_mounts or agent_mounts[written] not in nginx_mounts.values():
            problems.append(f"the agent writes {output!r} into no volume nginx mounts")
        if "readinessProbe" not in nginx:
            problems.append("nginx has no readiness probe")
        if pod.get("shareProcessNamespace") is not True:
            problems.append("no shared process namespace: the agent's reload command cannot signal nginx")
    if problems:
        checks.fail(label, "; ".join(problems))
    else:
        checks.ok(f"{label}: nginx and a gitfleet agent sidecar, non-root, read-only, sharing the upstream file")


def check_agents_wiring(checks: Checks, label: str, named: list[tuple[str, dict]]) -> None:
    """Where a set of objects holds the example load balancer: the controller requires each of its agents and
    knows its token (scope agent), and runs as a StatefulSet behind a headless Service, so that each agent reaches
    every replica at the address it was given (reports live in each replica's memory)."""
    balancers = [obj for _, obj in named if component(obj) == "load-balancer"]
    if not balancers:
        return
    controllers = [obj for _, obj in named if component(obj) == "controller"]
    configs = [yaml.safe_load(obj["data"]["config.yaml"]) for _, obj in named
               if obj.get("kind") == "ConfigMap" and "config.yaml" in (obj.get("data") or {})]
    problems = []
    if len(controllers) != 1 or len(configs) != 1:
        checks.fail(f"{label} agents", f"expected one controller and one configuration, found {len(controllers)} "
                                       f"and {len(configs)}")
        return
    controller, config = controllers[0], configs[0]
    # Settings in the controller's environment win over its file (and a list there is comma-separated).
    container = next(c for c in controller["spec"]["template"]["spec"]["containers"] if c["name"] == "controller")
    env = {item["name"]: item.get("value", "") for item in container.get("env", [])}
    required = config.get("requiredAgents") or []
    required = set(env["GITFLEET_REQUIRED_AGENTS"].split(",") if "GITFLEET_REQUIRED_AGENTS" in env else required)
    entries = config.get("apiTokens") or []
    entries = env["GITFLEET_API_TOKENS"].split(",") if "GITFLEET_API_TOKENS" in env else entries
    tokens = {entry.split()[0]: entry for entry in (entry.strip() for entry in entries) if entry}
    services = {obj["metadata"]["name"]: obj for _, obj in named if obj.get("kind") == "Service"}
    if controller["kind"] != "StatefulSet":
        problems.append(f"the controller is a {controller['kind']}: its replicas have no addresses of their own")
    else:
        headless = services.get(controller["spec"].get("serviceName"))
        if headless is None or headless["spec"].get("clusterIP") != "None":
            problems.append(f"no headless Service {controller['spec'].get('serviceName')} for the controller")
    replicas = [f"{controller['metadata']['name']}-{index}.{controller['spec'].get('serviceName')}."
                for index in range(controller["spec"].get("replicas", 1))]
    for balancer in balancers:
        names = {f"{balancer['metadata']['name']}-{index}" for index in range(balancer["spec"]["replicas"])}
        if not names <= required:
            problems.append(f"requiredAgents lacks {', '.join(sorted(names - required))}")
        for name in sorted(names):
            if "scope=agent" not in tokens.get(name, ""):
                problems.append(f"no apiTokens entry of scope agent for {name}")
        agent = next(c for c in balancer["spec"]["template"]["spec"]["containers"] if c["name"] == "agent")
        urls = next((e.get("value", "") for e in agent.get("env", []) if e["name"] == "GITFLEET_AGENT_CONTROLLER"), "")
        # A replica's address: <controller>-N.<headless service>.<namespace>.svc
        reached = [".".join((urlparse(url).hostname or "").split(".")[:2]) + "." for url in urls.split(",")]
        if sorted(reached) != sorted(replicas):
            problems.append(f"the agents follow {urls!r}, not each of the {len(replicas)} replicas")
    if problems:
        checks.fail(f"{label} agents", "; ".join(problems))
    else:
        checks.ok(f"{label} agents: required, with agent-scope tokens, reporting to each controller replica")


def known_settings() -> set[str]:
    table = (ROOT / "docs" / "configuration.md").read_text()
    return set(re.findall(r"^\| `([A-Za-z]+)` \|", table, flags=re.MULTILINE))


def check_configuration(checks: Checks, label: str, obj: dict, known: set[str]) -> None:
    if obj.get("kind") != "ConfigMap" or "config.yaml" not in (obj.get("data") or {}):
        return
    try:
        settings = yaml.safe_load(obj["data"]["config.yaml"])
    except yaml.YAMLError as error:
        checks.fail(f"{label} config.yaml", f"not YAML: {error}")
        return
    unknown = sorted(set(settings) - known)
    if unknown:
        checks.fail(f"{label} config.yaml", f"settings the controller does not know: {', '.join(unknown)}")
    else:
        checks.ok(f"{label} config.yaml holds only controller settings ({len(settings)} keys)")
    # The controller refuses an open API off loopback; what we ship must never need allowUnauthenticated.
    if settings.get("allowUnauthenticated"):
        checks.fail(f"{label} config.yaml", "sets allowUnauthenticated: the API would be open to the network")
    elif settings.get("listenHost", "127.0.0.1") not in ("127.0.0.1", "::1", "localhost") and not settings.get(
        "apiTokens"
    ):
        checks.fail(f"{label} config.yaml", "listens off loopback without apiTokens: the controller would refuse it")
    else:
        checks.ok(f"{label} config.yaml: the API needs tokens ({len(settings.get('apiTokens') or [])})")


def check_objects(checks: Checks, named: list[tuple[str, dict]], known: set[str]) -> None:
    for label, obj in named:
        validate_object(checks, label, obj)
        check_controller_pod(checks, label, obj)
        check_load_balancer_pod(checks, label, obj)
        check_configuration(checks, label, obj, known)


def kustomization_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The files a kustomization's resources name, through the folders it names as bases, and its patch files."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    files: list[Path] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        files += kustomization_files(path)[0] if path.is_dir() else [path]
    patches = [(directory / patch["path"]).resolve() for patch in kustomization.get("patches", []) if "path" in patch]
    return files, patches


def merge_patch(target: dict, patch: dict) -> None:
    """Kubernetes' strategic merge as far as our patches need it: maps merge, and lists of named items (containers,
    env) merge by name; any other value replaces."""
    for key, value in patch.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merge_patch(current, value)
        elif isinstance(value, list) and isinstance(current, list) and all(
                isinstance(item, dict) and "name" in item for item in value + current):
            for item in value:
                match = next((existing for existing in current if existing["name"] == item["name"]), None)
                if match is None:
                    current.append(item)
                else:
                    merge_patch(match, item)
        else:
            target[key] = value


def check_manifests(checks: Checks, known: set[str]) -> set[str]:
    listed: set[Path] = set()
    patch_files: set[Path] = set()
    for kustomization in sorted(MANIFESTS.rglob("kustomization.yaml")):
        loaded = yaml.safe_load(kustomization.read_text())
        for resource in loaded.get("resources", []):
            path = (kustomization.parent / resource).resolve()
            if not path.is_file() and not (path / "kustomization.yaml").is_file():
                checks.fail(str(kustomization.relative_to(ROOT)), f"lists {resource}, which does not exist")
            listed.add(path)
        for patch in loaded.get("patches", []):
            path = (kustomization.parent / patch.get("path", "")).resolve()
            if not path.is_file():
                checks.fail(str(kustomization.relative_to(ROOT)), f"patches with {patch}, which does not exist")
            listed.add(path)
            patch_files.add(path)
    kinds = set()
    for path in sorted(MANIFESTS.rglob("*.yaml")):
        relative = str(path.relative_to(ROOT))
        if path.name == "kustomization.yaml":
            continue
        if path.resolve() not in listed and path.name not in NOT_IN_KUSTOMIZATION:
            checks.fail(relative, "no kustomization.yaml lists it")
        if path.resolve() in patch_files:
            continue  # a partial object: checked merged into what it patches, below
        named = documents(path.read_text(), relative)
        kinds |= {obj["kind"] for _, obj in named}
        check_objects(checks, named, known)
    # Each kustomization's objects as kubectl would apply them (patches merged), for what spans files.
    for kustomization in sorted(MANIFESTS.rglob("kustomization.yaml")):
        files, patches = kustomization_files(kustomization.parent)
        label = str(kustomization.parent.relative_to(ROOT)) + "/"
        named = [item for path in files for item in documents(path.read_text(), str(path.relative_to(ROOT)))]
        for patch_path in patches:
            for _, patch in documents(patch_path.read_text(), str(patch_path.relative_to(ROOT))):
                target = next((obj for _, obj in named if obj["kind"] == patch["kind"]
                               and obj["metadata"]["name"] == patch["metadata"]["name"]), None)
                if target is None:
                    checks.fail(label, f"{patch_path.name} patches {patch['kind']}/{patch['metadata']['name']}, "
                                       "which the kustomization does not hold")
                    continue
                merge_patch(target, patch)
                validate_object(checks, f"{label} {patch['kind']}/{patch['metadata']['name']} patched by "
                                        f"{patch_path.name}", target)
        check_agents_wiring(checks, label, named)
    return kinds


# ---- the chart ------------------------------------------------------------------------------------

class StandInAPIServer:
    """Just enough of a Kubernetes API server for Helm to install into: discovery for the kinds the
    chart makes, and every object accepted as sent. Nothing is kept."""

    GROUPS = {
        "": {"v1": [("namespaces", "Namespace", False), ("serviceaccounts", "ServiceAccount", True),
                    ("configmaps", "ConfigMap", True), ("secrets", "Secret", True), ("services", "Service", True)]},
        "apps": {"v1": [("deployments", "Deployment", True), ("statefulsets", "StatefulSet", True)]},
        "policy": {"v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)]},
        "networking.k8s.io": {"v1": [("networkpolicies", "NetworkPolicy", True)]},
        "monitoring.coreos.com": {"v1": [("servicemonitors", "ServiceMonitor", True)]},
    }

    def __init__(self) -> None:
        groups = self.GROUPS

        def resource_list(group: str, version: str) -> dict:
            return {"kind": "APIResourceList", "apiVersion": "v1",
                    "groupVersion": f"{group}/{version}" if group else version,
                    "resources": [{"name": name, "singularName": "", "namespaced": namespaced, "kind": kind,
                                   "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                                  for name, kind, namespaced in groups[group][version]]}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlparse(self.path).path
                if path == "/version":
                    return self.reply(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0",
                                            "platform": "linux/amd64"})
                if path == "/api":
                    return self.reply(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
                if path == "/apis":
                    return self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                        {"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
                         "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}}
                        for g in groups if g]})
                if path == "/api/v1":
                    return self.reply(200, resource_list("", "v1"))
                match = re.fullmatch(r"/apis/([^/]+)/([^/]+)", path)
                if match and match.group(1) in groups and match.group(2) in groups[match.group(1)]:
                    return self.reply(200, resource_list(match.group(1), match.group(2)))
                if self.command in ("POST", "PUT", "PATCH"):
                    return self.reply(201, json.loads(body) if body.startswith(b"{") else {})
                self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                 "reason": "NotFound", "code": 404})

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "StandInAPIServer":
        self.thread.start()
        return self

    def __exit__(self, *args) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self, directory: Path) -> Path:
        path = directory / "kubeconfig"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "stand-in", "cluster": {"server": f"http://127.0.0.1:{self.server.server_port}"}}],
            "users": [{"name": "stand-in", "user": {}}],
            "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "stand-in"}}],
            "current-context": "stand-in"}))
        return path


def render(helm, kubeconfig: Path, values: dict) -> dict:
    configuration = helm.Configuration(namespace="gitfleet", kubeconfig=str(kubeconfig))
    return asyncio.run(helm.Install(configuration).run("gitfleet", str(CHART), values=values, wait=False, timeout=60))


def check_chart(checks: Checks, known: set[str], manifest_kinds: set[str]) -> None:
    # Helm keeps releases in memory instead of in Secrets of the (stand-in) cluster.
    os.environ["HELM_DRIVER"] = "memory"
    import helm_sdkpy as helm

    lint = asyncio.run(helm.Lint(helm.Configuration(namespace="gitfleet")).run(str(CHART)))
    # Severity: 1 info, 2 warning, 3 error (Helm's support.Severity).
    serious = [m for m in lint.get("Messages") or [] if m.get("Severity", 0) >= 2]
    if lint.get("Errors") or serious:
        # helm-sdkpy carries some messages' text as {}: the path and severity still say where to look.
        described = [f"{m.get('Path') or '(chart)'}: severity {m.get('Severity')}: {m.get('Err') or '(no text)'}"
                     for m in serious]
        checks.fail("helm lint charts/gitfleet", "; ".join(described) or json.dumps(lint.get("Errors")))
    else:
        checks.ok(f"helm lint charts/gitfleet ({helm.get_version()}): no warnings, no errors")

    value_sets = [("defaults", {})] + [
        (str(path.relative_to(ROOT)), yaml.safe_load(path.read_text()) or {})
        for path in sorted((CHART / "ci").glob("*-values.yaml"))]
    with StandInAPIServer() as api, tempfile.TemporaryDirectory() as scratch:
        kubeconfig = api.kubeconfig(Path(scratch))
        chart_kinds = set()
        for name, values in value_sets:
            try:
                release = render(helm, kubeconfig, values)
            except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the run
                checks.fail(f"helm render charts/gitfleet with {name}", str(error))
                continue
            named = documents(release["manifest"], f"chart[{name}]")
            chart_kinds |= {obj["kind"] for _, obj in named}
            checks.ok(f"helm render charts/gitfleet with {name}: {len(named)} objects")
            notes = (release.get("info") or {}).get("notes", "")
            if "git log --notes=gitfleet" in notes:
                checks.ok(f"chart[{name}]: NOTES.txt renders")
            else:
                checks.fail(f"chart[{name}]: NOTES.txt", "did not render")
            check_objects(checks, named, known)
            check_agents_wiring(checks, f"chart[{name}]", named)

        missing = manifest_kinds - chart_kinds - {"Secret"}
        if missing:
            checks.fail("chart and manifests/", f"the chart never makes {', '.join(sorted(missing))}")
        else:
            checks.ok(f"the chart makes every kind manifests/ has: {', '.join(sorted(manifest_kinds - {'Secret'}))}")

        # Values that cannot work must be refused by the schema or the chart, saying what to change.
        refusals = [
            ("an unknown runtime", {"runtime": {"kind": "podman"}}, "/runtime/kind"),
            ("a misspelt value", {"replicaCont": 3}, "replicaCont"),
            ("two replicas without etcd", {"etcd": {"example": {"enabled": False}}}, "needs etcd"),
            ("signed commits without signers", {"policy": {"requireSignedCommits": True}}, "allowedSigners"),
            ("an API without tokens", {"api": {"tokens": []}}, "api.tokens is empty"),
            ("tokens without their Secret", {"api": {"existingSecret": ""}}, "api.existingSecret"),
            ("a token of no known scope", {"api": {"tokens": [{"name": "ci", "scope": "admin"}]}}, "scope"),
            ("agents without their tokens' Secret", {"agents": {"required": ["edge-1"]}}, "agents.existingSecret"),
            ("an agent name with a space", {"agents": {"existingSecret": "t", "required": ["edge 1"]}},
             "/agents/required/0"),
        ]
        for what, values, expected in refusals:
            try:
                render(helm, kubeconfig, values)
                checks.fail(f"chart refuses {what}", "it rendered")
            except Exception as error:  # noqa: BLE001
                if expected in str(error):
                    checks.ok(f"chart refuses {what}: {str(error).splitlines()[-1].strip()[:140]}")
                else:
                    checks.fail(f"chart refuses {what}", f"the message does not name {expected!r}: {error}")


def check_container_context(checks: Checks) -> None:
    """The Containerfile builds from what .dockerignore lets into the context: that must be a package
    SwiftPM accepts, with the gitfleet product. (The image itself cannot be built here: no engine with
    network access to the base images.)"""
    allowed = [line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    copied = re.findall(r"^COPY (?!--from)(\S+)", (ROOT / "Containerfile").read_text(), re.M)
    missing = [path for path in copied if path not in allowed]
    if missing:
        checks.fail("Containerfile", f"copies {', '.join(missing)}, which .dockerignore keeps out of the context")
        return
    with tempfile.TemporaryDirectory(prefix="gitfleet-context-") as context:
        for path in copied:
            source = ROOT / path
            if source.is_dir():
                shutil.copytree(source, Path(context) / path)
            elif source.exists():
                shutil.copy(source, Path(context) / path)
        result = subprocess.run(
            ["swift", "package", "--package-path", context, "describe", "--type", "json"],
            capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            checks.fail("Containerfile build context", (result.stderr or result.stdout).strip()[-600:])
            return
        products = [product["name"] for product in json.loads(result.stdout).get("products", [])]
        if "gitfleet" in products:
            checks.ok(f"the Containerfile's build context ({', '.join(copied)}) is a package with the gitfleet product")
        else:
            checks.fail("Containerfile build context", f"no gitfleet product among {products}")


def main() -> int:
    checks = Checks()
    known = known_settings()
    if len(known) < 10:
        checks.fail("docs/configuration.md", f"found only {len(known)} settings in its table")
    try:
        kinds = check_manifests(checks, known)
        check_chart(checks, known, kinds)
        check_container_context(checks)
    except Exception:  # noqa: BLE001 - a crash of the checker is a failure, reported as such
        checks.fail("check-deploy", traceback.format_exc())
    print(f"check-deploy: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
