"""Latency: live sampling (httpx), log readers (pandas), and the statistics both share."""
