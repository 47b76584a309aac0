"""Rules: load and lint the YAML, the condition language, evaluation and ranking, cases, docs."""
