"""Reading what users hand in: input files and standard input, safe YAML, exported values,
platform profiles, metric exports, plans, rule folders and the config file."""
