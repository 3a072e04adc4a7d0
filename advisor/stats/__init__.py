"""Statistics: pure mathematics on counts and rates, the bottom layer of the package.

proportions   comparing two pooled rates (the view as the unit), kept for reference figures
typical       an account's typical range for a rate (robust, shrunk to a prior) and whether one
              video is credibly outside it given its own views; Benjamini-Hochberg over many
experiment    A/B tests and before/after changes with the video as the unit (between-video tau)
simulate      simulated accounts (beta-binomial-like, seeded) to calibrate the two above

numpy and scipy are imported inside the functions that need them: importing advisor.stats or
any of its modules stays cheap.
"""
