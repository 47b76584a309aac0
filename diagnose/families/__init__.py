"""The explicit probe registry: every probe, by name. Nothing registers itself by import."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from functools import cache

from diagnose.probe import Probe

# name -> "module:Class". Probe modules import their heavy libraries inside functions, so
# loading this table (for `rules lint`, say) stays cheap.
PROBES: dict[str, str] = {
    "smoke": "diagnose.families.smoke.probe:SmokeProbe",
    "buildlog": "diagnose.families.build.log_probe:BuildLogProbe",
    "project": "diagnose.families.build.project_probe:ProjectProbe",
    "envvars": "diagnose.families.env.probe:EnvVarsProbe",
    "webhook_logs": "diagnose.families.webhooks.logs_probe:WebhookLogsProbe",
    "webhook_captures": "diagnose.families.webhooks.captures_probe:WebhookCapturesProbe",
    "webhook_endpoint": "diagnose.families.webhooks.endpoint_probe:WebhookEndpointProbe",
    "dns": "diagnose.families.dns.probe:DNSProbe",
    "tls": "diagnose.families.ssl.tls:TLSProbe",
    "https": "diagnose.families.ssl.https:HTTPSProbe",
    "latency_budget": "diagnose.families.latency.sample_probe:LatencyBudgetProbe",
    "latency_sample": "diagnose.families.latency.sample_probe:LatencySampleProbe",
    "latency_logs": "diagnose.families.latency.logs_probe:LatencyLogsProbe",
    "deploys": "diagnose.families.deploy.probe:DeploysProbe",
    "checklist_pre": "diagnose.families.checklist.probe:PreDeployProbe",
    "checklist_post": "diagnose.families.checklist.probe:PostDeployProbe",
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
