"""The explicit probe registry: every probe, by name. Nothing registers itself by import."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from functools import cache

from diagnose.probes.base import Probe

# name -> "module:Class". Probe modules import their heavy libraries inside functions, so
# loading this table (for `rules lint`, say) stays cheap.
PROBES: dict[str, str] = {
    "smoke": "diagnose.probes.smoke:SmokeProbe",
    "buildlog": "diagnose.probes.buildlog:BuildLogProbe",
    "project": "diagnose.probes.project:ProjectProbe",
    "envvars": "diagnose.probes.envvars:EnvVarsProbe",
    "webhook_logs": "diagnose.probes.webhook_logs:WebhookLogsProbe",
    "webhook_captures": "diagnose.probes.webhook_captures:WebhookCapturesProbe",
    "webhook_endpoint": "diagnose.probes.webhook_endpoint:WebhookEndpointProbe",
    "dns": "diagnose.probes.dns:DNSProbe",
    "tls": "diagnose.probes.tls:TLSProbe",
    "https": "diagnose.probes.https:HTTPSProbe",
    "latency_budget": "diagnose.probes.latency_sample:LatencyBudgetProbe",
    "latency_sample": "diagnose.probes.latency_sample:LatencySampleProbe",
    "latency_logs": "diagnose.probes.latency_logs:LatencyLogsProbe",
    "deploys": "diagnose.probes.deploys:DeploysProbe",
    "checklist_pre": "diagnose.probes.checklist:PreDeployProbe",
    "checklist_post": "diagnose.probes.checklist:PostDeployProbe",
}


def probe_class(name: str) -> type[Probe]:
    """Return the probe class registered under a name."""
    module, _, cls = PROBES[name].partition(":")
    found: type[Probe] = getattr(importlib.import_module(module), cls)
    return found


def make_probe(name: str) -> Probe:
    """Instantiate the named probe."""
    return probe_class(name)()


class FactCatalog(Mapping[str, str]):
    """Fact name -> the probe that provides it; a provided name may end in `.*` (a prefix)."""

    def __init__(self, table: Mapping[str, frozenset[str]]) -> None:
        self._exact = {fact: probe for probe, facts in table.items() for fact in facts}
        self._prefixes = [
            (fact[:-1], probe) for fact, probe in self._exact.items() if fact.endswith(".*")
        ]

    def __getitem__(self, name: str) -> str:
        if name in self._exact:
            return self._exact[name]
        for prefix, probe in self._prefixes:
            if name.startswith(prefix):
                return probe
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._exact)

    def __len__(self) -> int:
        return len(self._exact)


@cache
def catalog() -> FactCatalog:
    """Return the catalog of every fact every registered probe provides."""
    return FactCatalog({name: probe_class(name).provides for name in PROBES})
