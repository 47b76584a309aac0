"""Standard Webhooks signatures, captured deliveries and Convex logs: the webhooks family's readers."""
