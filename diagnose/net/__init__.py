"""Network clients that probes of several families share: DNS lookups and bounded HTTP checks."""
