"""Live sources: readers of live systems (the Convex CLI, DodoPayments, GitHub, Cloudflare).

A source produces what a file would (a Convex JSONL log, an env listing) or the facts of a
vendor's API; a file given on the command line always wins, and `--offline` turns them all off.
"""
