"""What things are: metrics and their registry, the rule format, levels, stages, planned videos,
the heuristics catalogue, and the checks that make a rule set meaningful (semantics)."""
