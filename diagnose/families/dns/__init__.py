"""dns: resolve a domain everywhere and explain what is wrong with its DNS."""

from diagnose.family import Family

FAMILY = Family(
    name="dns",
    summary="resolve a domain everywhere and explain what is wrong with its DNS",
    probes={
        "dns": "diagnose.families.dns.probe:DNSProbe",
        "delegation": "diagnose.families.dns.delegation:DelegationProbe",
    },
    options="diagnose.families.dns.options:DnsOptions",
)
