"""Small named queries, a module per area; each takes an engine and a scope and returns a DataFrame."""
