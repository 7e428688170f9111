"""Use cases: one function each, keyword-only, given the session and the acting principal.

Services never commit: the caller's transaction commits the rows and their events together.
"""
