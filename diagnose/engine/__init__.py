"""The engine: probes -> facts -> rules -> ranked findings -> Diagnosis."""
