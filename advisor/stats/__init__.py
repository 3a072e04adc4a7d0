"""Statistics: pure mathematics on counts and rates, the bottom layer of the package.

proportions   comparing two pooled rates (the view as the unit), kept for reference figures
"""
