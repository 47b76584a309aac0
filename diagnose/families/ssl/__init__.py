"""The ssl family."""
