"""One HTTPS request to the site, verified as a browser would: does the page load over TLS?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from diagnose.families.ssl.verifiers import openssl_context
from diagnose.net.http_check import FIELDS, USER_AGENT, Check, send
from diagnose.net.resolve import resolve, resolvers_from
from diagnose.probe import FactSink, ProbeContext

if TYPE_CHECKING:
    import ssl

    import httpx


def _transport(host: str, port: int, address: str, aport: int, ca: Any) -> httpx.BaseTransport:
    """Return a transport that connects to ADDRESS:APORT for HOST:PORT, with SNI and Host kept."""
    import httpx

    inner = httpx.HTTPTransport(verify=ca)

    class ConnectTo(httpx.BaseTransport):
        """curl's --connect-to: same URL, same SNI, another socket address."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            # raw_host is the name as sent (IDNA, punycode): url.host is decoded to Unicode.
            if request.url.raw_host.decode("ascii") == host and (request.url.port or 443) == port:
                request.url = request.url.copy_with(host=address, port=aport)
                request.extensions = {**request.extensions, "sni_hostname": host}
            return inner.handle_request(request)

        def close(self) -> None:
            inner.close()

    return ConnectTo()


def verify_context(ca_file: str | None) -> ssl.SSLContext:
    """Return the verifying context: the tls probe's OpenSSL one (system store + ca_file).

    One context serves every request of a run (SSLContext is safe to share between threads),
    so the page is fetched trusting exactly what the chain was judged against.
    """
    return openssl_context(ca_file)


class HTTPSProbe:
    """GET https://DOMAIN/ through the addresses the other probes use; record what came back."""

    name: ClassVar[str] = "https"
    # Imported before the deadline starts: our start-up is not the peer's time.
    warm_imports: ClassVar[tuple[str, ...]] = ("httpx", "diagnose.net.http_check")
    provides: ClassVar[frozenset[str]] = frozenset({f"https.{f}" for f in FIELDS})

    def collect(self, ctx: ProbeContext, sink: FactSink) -> None:
        """Send the request; a failure (name, connection, certificate, loop) is a fact."""
        import httpx

        host = str(ctx.options["name"]).rstrip(".").lower()
        port = int(ctx.options["port"])
        url = f"https://{host}/" if port == 443 else f"https://{host}:{port}/"
        targets = [(a, int(p)) for a, p in ctx.options.get("connect_to") or ()]
        if not targets:
            found, error = resolve(host, resolvers_from(ctx.options), ctx.remaining(4.0))
            if not found:
                sink.update(
                    {
                        "https.checked": True,
                        "https.url": url,
                        "https.method": "GET",
                        "https.status": None,
                        "https.error": error,
                        "https.error_kind": "resolve",
                        "https.outcome": error,
                    }
                )
                return
            targets = [(found[0], port)]
        address, aport = targets[0]
        ca_file = ctx.options.get("ca_file")
        verify = verify_context(str(ca_file) if ca_file else None)
        cap = float(ctx.options["request_timeout"])
        with httpx.Client(
            transport=_transport(host, port, address, aport, verify),
            headers={"user-agent": USER_AGENT},
            follow_redirects=False,
        ) as client:
            # Leave time to report: a silent server becomes a fact before the run's deadline.
            timeout = min(cap, ctx.remaining() * 0.6)
            facts = send(client, Check("https", "GET", url), timeout)
        sink.update({f"https.{k}": v for k, v in facts.items()})
