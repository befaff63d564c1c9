#!/usr/bin/python3
"""k8s_check.py FILE.yaml [--expect ...] - an offline structural check of `svcfw gen k8s` output.

kubectl is not available offline, so this checks what `kubectl apply
--dry-run=client --validate` would look at for the kinds svcfw writes, and
what makes the graph work once applied:

  - every document parses (PyYAML), has apiVersion, kind (ConfigMap, Service,
    Deployment, StatefulSet) and a metadata.name that is a DNS-1123 label;
  - a ConfigMap's data values are strings; addresses.json and config.json are
    JSON objects;
  - a Service has ports (port and targetPort 1..65535, a name of at most 15
    characters) and a selector that matches a workload's pod labels (a
    headless Service, clusterIP None, needs no ports);
  - a Deployment/StatefulSet (apps/v1) has a selector that matches its pod
    labels, containers with a name, an image and a command of strings,
    containerPorts, probes on a declared containerPort, volume mounts of
    declared volumes (or claim templates), configMap volumes of ConfigMaps in
    the file, a preStop sleep shorter than terminationGracePeriodSeconds; a
    StatefulSet names a Service of the file as serviceName and has
    volumeClaimTemplates with accessModes and a storage request;
  - every connecting address in a ConfigMap's addresses.json
    (tcp://HOST:PORT, HOST not *) names a Service of the file with that port.

Expectations (repeatable): --service NAME:PORT (a Service with that port),
--kind NAME:KIND (the workload NAME is of that kind), --probes NAME:PORT
(liveness /livez and readiness /readyz on PORT), --no-probes NAME.
Prints one line per problem and exits 1 if any; else "k8s_check: OK ...".
"""
import json
import re
import sys

import yaml

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


def port_ok(value):
    return isinstance(value, int) and 1 <= value <= 65535


def check_configmap(doc, where):
    data = doc.get("data") or {}
    for key, value in data.items():
        if not isinstance(value, str):
            problem(where, f"data.{key} is not a string")
            continue
        if key.endswith(".json"):
            try:
                parsed = json.loads(value)
            except ValueError as error:
                problem(where, f"data.{key} is not JSON: {error}")
                continue
            if not isinstance(parsed, dict):
                problem(where, f"data.{key} is not a JSON object")


def pod_labels(doc):
    return ((doc.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}


def check_service(doc, where, workloads):
    spec = doc.get("spec") or {}
    headless = spec.get("clusterIP") == "None"
    ports = spec.get("ports") or []
    if not ports and not headless:
        problem(where, "no ports")
    for port in ports:
        if not port_ok(port.get("port")) or not port_ok(port.get("targetPort")):
            problem(where, f"bad port {port}")
        name = port.get("name", "")
        if len(ports) > 1 and not name or len(name) > 15:
            problem(where, f"port name '{name}' missing or longer than 15")
    selector = spec.get("selector") or {}
    if not selector:
        problem(where, "no selector")
    elif not any(selector.items() <= pod_labels(w).items() for w in workloads):
        problem(where, f"selector {selector} matches no workload's pods")


def check_workload(doc, where, names):
    if doc.get("apiVersion") != "apps/v1":
        problem(where, f"apiVersion {doc.get('apiVersion')}, expected apps/v1")
    spec = doc.get("spec") or {}
    match = (spec.get("selector") or {}).get("matchLabels") or {}
    if not match or not match.items() <= pod_labels(doc).items():
        problem(where, "spec.selector.matchLabels does not match the pod labels")
    pod = (spec.get("template") or {}).get("spec") or {}
    containers = pod.get("containers") or []
    if not containers:
        problem(where, "no containers")
    volumes = {v.get("name") for v in pod.get("volumes") or []}
    claims = {(c.get("metadata") or {}).get("name") for c in spec.get("volumeClaimTemplates") or []}
    for volume in pod.get("volumes") or []:
        cm = (volume.get("configMap") or {}).get("name")
        if "configMap" in volume and cm not in names.get("ConfigMap", set()):
            problem(where, f"volume {volume.get('name')}: ConfigMap '{cm}' is not in the file")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    for container in containers:
        cwhere = f"{where}: container {container.get('name')}"
        if not DNS_LABEL.match(str(container.get("name", ""))):
            problem(cwhere, "name is not a DNS-1123 label")
        if not container.get("image"):
            problem(cwhere, "no image")
        command = container.get("command")
        if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
            problem(cwhere, "command is not a list of strings")
        declared = set()
        for port in container.get("ports") or []:
            if not port_ok(port.get("containerPort")):
                problem(cwhere, f"bad containerPort {port}")
            declared.add(port.get("containerPort"))
        for kind in ("livenessProbe", "readinessProbe"):
            probe = container.get(kind)
            if probe is None:
                continue
            port = (probe.get("httpGet") or {}).get("port")
            if port not in declared:
                problem(cwhere, f"{kind} on port {port}, which is not a containerPort")
        for mount in container.get("volumeMounts") or []:
            if mount.get("name") not in volumes | claims:
                problem(cwhere, f"volumeMount of unknown volume '{mount.get('name')}'")
            if not str(mount.get("mountPath", "")).startswith("/"):
                problem(cwhere, f"mountPath '{mount.get('mountPath')}' is not absolute")
        stop = ((container.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command")
        if stop:
            if stop[0] != "sleep" or not stop[1].isdigit():
                problem(cwhere, f"preStop {stop} is not a sleep")
            elif int(stop[1]) >= grace:
                problem(cwhere, f"preStop sleeps {stop[1]} s, not within terminationGracePeriodSeconds {grace}")
    if doc.get("kind") == "StatefulSet":
        if spec.get("serviceName") not in names.get("Service", set()):
            problem(where, f"serviceName '{spec.get('serviceName')}' is not a Service of the file")
        if not claims:
            problem(where, "a StatefulSet without volumeClaimTemplates")
        for claim in spec.get("volumeClaimTemplates") or []:
            cspec = claim.get("spec") or {}
            if not cspec.get("accessModes") or not ((cspec.get("resources") or {}).get("requests") or {}).get("storage"):
                problem(where, "a volumeClaimTemplate without accessModes or a storage request")


def check_addresses(configmaps, service_ports):
    for doc in configmaps:
        where = f"ConfigMap {doc['metadata']['name']}"
        text = (doc.get("data") or {}).get("addresses.json")
        if not text:
            continue
        for endpoint in re.findall(r'"(tcp://[^"]+)"', text):
            host, _, port = endpoint[6:].rpartition(":")
            if host in ("*", "0.0.0.0"):
                continue
            if int(port) not in service_ports.get(host, set()):
                problem(where, f"{endpoint}: no Service '{host}' with port {port} in the file")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    expect = {"service": [], "kind": [], "probes": [], "no-probes": []}
    args = argv[2:]
    while args:
        option = args.pop(0)
        if not option.startswith("--") or option[2:] not in expect or not args:
            print(f"k8s_check: bad argument {option}", file=sys.stderr)
            return 2
        expect[option[2:]].append(args.pop(0))
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    names = {}
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            problem(f"{path}: document {i + 1}", "not a mapping")
            continue
        kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name", "")
        if kind not in ("ConfigMap", "Service", "Deployment", "StatefulSet") or not doc.get("apiVersion"):
            problem(f"{path}: document {i + 1}", f"kind {kind} / apiVersion {doc.get('apiVersion')}")
        if not DNS_LABEL.match(str(name)) or len(name) > 63:
            problem(f"{path}: {kind} '{name}'", "name is not a DNS-1123 label")
        if name in names.setdefault(kind, set()):
            problem(f"{path}: {kind} '{name}'", "defined twice")
        names[kind].add(name)
    docs = [d for d in docs if isinstance(d, dict)]
    workloads = [d for d in docs if d.get("kind") in ("Deployment", "StatefulSet")]
    service_ports = {}
    for doc in docs:
        where = f"{doc.get('kind')} {(doc.get('metadata') or {}).get('name')}"
        if doc.get("kind") == "ConfigMap":
            check_configmap(doc, where)
        elif doc.get("kind") == "Service":
            check_service(doc, where, workloads)
            service_ports[doc["metadata"]["name"]] = {p.get("port") for p in doc["spec"].get("ports") or []}
        elif doc in workloads:
            check_workload(doc, where, names)
    check_addresses([d for d in docs if d.get("kind") == "ConfigMap"], service_ports)

    by_name = {d["metadata"]["name"]: d for d in workloads}
    for item in expect["service"]:
        name, port = item.rsplit(":", 1)
        if int(port) not in service_ports.get(name, set()):
            problem("expected", f"a Service {name} with port {port}; Services: {sorted(service_ports.items())}")
    for item in expect["kind"]:
        name, kind = item.split(":", 1)
        if by_name.get(name, {}).get("kind") != kind:
            problem("expected", f"{name} to be a {kind}, got {by_name.get(name, {}).get('kind')}")
    for item in expect["probes"] + [n + ":" for n in expect["no-probes"]]:
        name, port = item.split(":", 1)
        containers = ((by_name.get(name, {}).get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or [{}]
        live, ready = containers[0].get("livenessProbe"), containers[0].get("readinessProbe")
        if not port:
            if live or ready:
                problem("expected", f"no probes on {name}")
            continue
        if not live or live["httpGet"]["path"] != "/livez" or live["httpGet"]["port"] != int(port) \
                or not ready or ready["httpGet"]["path"] != "/readyz" or ready["httpGet"]["port"] != int(port):
            problem("expected", f"{name}: /livez and /readyz probes on port {port}, got {live} / {ready}")

    for line in problems:
        print(f"k8s_check: {line}")
    if problems:
        return 1
    counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(names.items()))
    print(f"k8s_check: OK ({path}: {counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
