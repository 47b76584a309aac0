"""ssl: from a domain name to the broken link (the TLS chain as served, HTTPS), with dns."""

from diagnose.family import Family

FAMILY = Family(
    name="ssl",
    summary="the TLS chain as served and HTTPS, with the domain's DNS",
    probes={
        "tls": "diagnose.families.ssl.tls:TLSProbe",
        "https": "diagnose.families.ssl.https:HTTPSProbe",
        "cloudflare": "diagnose.sources.cloudflare:CloudflareProbe",  # live source
    },
    options="diagnose.families.ssl.options:SslOptions",
    plan="diagnose.families.ssl.plan:plan",
)
