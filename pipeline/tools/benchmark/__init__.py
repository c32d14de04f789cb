"""`make bench`: build times against their budgets, and the engine at a million respondents.

Never imported by the stages: it drives them (and the libraries they are compared with).
"""
