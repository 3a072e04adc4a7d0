"""What advisor does, one module per job: review, checklist, CTA and its lint, A/B, goals,
tiers, and the rule tooling (test, docs, schemas, lint). Each returns data, never text."""
