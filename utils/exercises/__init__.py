"""Exercise checks, one module per lab (`lab00`, `lab01`, ...). See `utils.checks` for how they work."""
