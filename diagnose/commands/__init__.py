"""One module per command: glue between the CLI's parameters and the engine."""
